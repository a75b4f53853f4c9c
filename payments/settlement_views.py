"""Browser pages for platform settlements: the list of ledger lines, the upload, and an uploaded file's rejected rows."""
from __future__ import annotations

from django import forms
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from orders.models import Platform
from recon.core.errors import UserFacingError
from recon.core.permissions import requires
from recon.sources.views import rejected_rows_views
from recon.web.views import paginate, style_filter_form

from .models import SettlementLine
from .settlement_filters import BUSINESS_TYPE_LABELS, SettlementLineFilter
from .settlement_forms import SettlementUploadForm
from .settlement_services import FILE_KIND, settlement_file_import
from .settlement_specs import FORMATS

REJECTED_SHOWN = 1000
# The list's columns, headed by the model's own (translated) field names.
LIST_COLUMNS = ("platform", "shop", "settlement_id", "occurred_at", "business_type", "order_no", "trade_no", "amount",
                "balance", "counterparty_name", "remark")
FORMAT_LABELS = {f.code: f.label for f in FORMATS}


@requires("payments.view_settlementline")
def settlement_list(request):
    """Every settlement line, newest first, amounts signed (money in positive)."""
    queryset = SettlementLine.objects.select_related("platform").order_by("-occurred_at", "id")
    filterset = SettlementLineFilter(request.GET, queryset=queryset)
    style_filter_form(filterset.form, dates=["occurred_from", "occurred_to"])
    platforms = Platform.objects.order_by("code").values_list("code", "name")
    filterset.form.fields["platform"].widget = forms.Select(
        choices=[("", _("All platforms"))] + [(code, f"{code} {name}") for code, name in platforms])
    page = paginate(request, filterset.qs, 50)
    for line in page:
        line.type_label = BUSINESS_TYPE_LABELS.get(line.business_type, line.business_type)
    headers = [(capfirst(SettlementLine._meta.get_field(name).verbose_name), name in ("amount", "balance"))
               for name in LIST_COLUMNS]
    return render(request, "payments/settlement_list.html", {"filter": filterset, "page_obj": page, "headers": headers})


@requires("payments.import_payments")
def settlement_upload(request):
    """Import a settlement file and show what happened on the same page: the counts, then every rejected row."""
    result = None
    if request.method == "POST":
        form = SettlementUploadForm(request.POST, request.FILES)
        if form.is_valid():
            d = form.cleaned_data
            try:
                imported = settlement_file_import(file=d["file"], filename=d["file"].name, platform=d["platform"],
                                                  shop=d["shop"].strip(), user=request.user, mapping=form.mapping(),
                                                  confirm_columns=d["confirm_columns"])
            except UserFacingError as exc:
                form.add_error("file", exc.message)
            else:
                result = {**imported.as_dict(), "filename": d["file"].name, "platform": d["platform"],
                          "format": _(FORMAT_LABELS[imported.format]) if imported.format in FORMAT_LABELS else "",
                          "repeated": imported.repeated,
                          "rejected_rows": imported.rejected_rows.head(REJECTED_SHOWN).to_dict("records")}
                form = SettlementUploadForm(initial={"platform": d["platform"], "shop": d["shop"]})
    else:
        form = SettlementUploadForm()
    return render(request, "payments/settlement_upload.html", {"form": form, "result": result, "shown": REJECTED_SHOWN})


@require_POST
@requires("payments.import_payments")
def settlements_inspect(request):
    """The head of a chosen settlement file, previewed for the upload page: the layout recognised and its columns per
    field; stores nothing."""
    from recon.sources.preview import inspect_error_body
    from recon.sources.uploads import stage_upload

    from .settlement_forms import SETTLEMENT_MAPPED_FIELDS
    from .settlement_selectors import settlement_file_inspect

    code = request.POST.get("platform", "").strip()
    platform = Platform.objects.filter(code=code, active=True).first() if code else None
    typed = {name: request.POST[f"map_{name}"].strip() for name in SETTLEMENT_MAPPED_FIELDS
             if request.POST.get(f"map_{name}", "").strip()}
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise UserFacingError("no_file", _("Choose the file."))
        staged = stage_upload(file=upload, filename=upload.name)
        try:
            body = settlement_file_inspect(staged=staged, platform=platform, typed=typed)
        finally:
            staged.discard()
    except UserFacingError as exc:
        return JsonResponse(inspect_error_body(exc, {}), status=exc.http_status, json_dumps_params={"ensure_ascii": False})
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


settlement_file_rejected, settlement_file_rejected_download = rejected_rows_views(
    file_kinds=(FILE_KIND,), download_url_name="settlement-file-rejected-download", csv_name="settlement-file",
    back_url_name="settlement-list", back_label=gettext_lazy("Platform settlements"))
