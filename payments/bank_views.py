"""Browser pages for bank statements: statements with their balance flag, lines, the upload, a file's rejected rows."""
from __future__ import annotations

from django import forms
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext, gettext_lazy as _
from django.views.decorators.http import require_POST

from recon.core.errors import UserFacingError
from recon.core.permissions import requires
from recon.sources.views import rejected_rows_views
from recon.web.views import paginate, style_filter_form

from .bank_filters import BankLineFilter, BankStatementFilter
from .bank_formats.sheet import BANK_SHEET_SPEC
from .bank_services import FILE_KIND, bank_statement_import
from .models import BankLine, BankStatement

MAPPED_FIELDS = tuple(f.name for f in BANK_SHEET_SPEC.fields)

REJECTED_SHOWN = 1000
STATEMENTS_SHOWN = 50


class BankUploadForm(forms.Form):
    # Empty files pass here so that the import service gives its own message.
    file = forms.FileField(label=_("Statement file"), allow_empty_file=True,
                           help_text=_("MT940, CAMT.053, OFX, or a CSV/XLS/XLSX export of the bank."))
    # Another account has other remembered columns: the page looks at the file again (upload.js).
    account = forms.CharField(label=_("Account number"), required=False, max_length=64,
                              widget=forms.TextInput(attrs={"data-reinspect": "account"}),
                              help_text=_("Only for files that do not name their account (most CSV and Excel exports)."))
    # Set by the page once the clerk has seen the preview of a sheet's columns; without it a guess is refused.
    confirm_columns = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The header of the column the preview's chooser picked for a field of a sheet, sent as map_<field>.
        for name in MAPPED_FIELDS:
            self.fields[f"map_{name}"] = forms.CharField(required=False, max_length=64,
                                                         widget=forms.HiddenInput(attrs={"data-from-preview": "1"}))

    def mapping_fields(self):
        return [self[f"map_{name}"] for name in MAPPED_FIELDS]

    def mapping(self) -> dict[str, str]:
        """The headers chosen for a sheet's fields, by field name; the others are left to automatic detection."""
        return {name: self.cleaned_data[f"map_{name}"].strip() for name in MAPPED_FIELDS
                if (self.cleaned_data.get(f"map_{name}") or "").strip()}


@requires("payments.import_payments")
def bank_upload(request):
    """Import a statement and show what happened: counts, balance flags, rejected rows."""
    result = None
    if request.method == "POST":
        form = BankUploadForm(request.POST, request.FILES)
        if form.is_valid():
            d = form.cleaned_data
            try:
                imported = bank_statement_import(file=d["file"], filename=d["file"].name, account_no=d["account"],
                                                 user=request.user, mapping=form.mapping(),
                                                 confirm_columns=d["confirm_columns"])
            except UserFacingError as exc:
                form.add_error("file", exc.message)
            else:
                result = {**imported.as_dict(), "filename": d["file"].name, "repeated": imported.repeated,
                          "statements": imported.statements,
                          "rejected_rows": imported.rejected_rows.head(REJECTED_SHOWN).to_dict("records")}
                form = BankUploadForm()
    else:
        form = BankUploadForm()
    return render(request, "payments/bank_upload.html", {"form": form, "result": result, "shown": REJECTED_SHOWN})


@require_POST
@requires("payments.import_payments")
def bank_inspect(request):
    """A chosen statement file previewed for the upload page: its format, balances, first lines (and a sheet's columns
    per field); stores nothing."""
    from recon.ingest import IngestError
    from recon.sources.preview import inspect_error_body
    from recon.sources.uploads import ingest_error, stage_upload

    from .selectors_bank import bank_field_labels, bank_file_inspect

    typed = {name: request.POST[f"map_{name}"].strip() for name in MAPPED_FIELDS
             if request.POST.get(f"map_{name}", "").strip()}
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise UserFacingError("no_file", gettext("Choose the file."))
        staged = stage_upload(file=upload, filename=upload.name, sniff=False)
        try:
            body = bank_file_inspect(staged=staged, account_no=request.POST.get("account", "").strip()[:64], typed=typed)
        except IngestError as exc:
            raise ingest_error(exc) from exc
        finally:
            staged.discard()
    except UserFacingError as exc:
        return JsonResponse(inspect_error_body(exc, bank_field_labels()), status=exc.http_status,
                            json_dumps_params={"ensure_ascii": False})
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


@requires("payments.view_bankstatement", "payments.view_bankline")
def bank_overview(request):
    """Statements (a balance that does not add up shown first-hand) and the lines under the filter."""
    lines = BankLineFilter(request.GET, queryset=BankLine.objects.select_related("account", "statement")
                           .order_by("-booked_on", "id"))
    style_filter_form(lines.form, dates=["booked_from", "booked_to"])
    # The statements of the account in the filter (all accounts without one), newest first.
    statements = BankStatementFilter({"account": request.GET.get("account", "")},
                                     queryset=BankStatement.objects.select_related("account", "source")
                                     .order_by("-closed_on", "-id"))
    return render(request, "payments/bank_overview.html", {
        "statements": statements.qs[:STATEMENTS_SHOWN], "statements_shown": STATEMENTS_SHOWN,
        "filter": lines, "page_obj": paginate(request, lines.qs, 50),
    })


bank_file_rejected, bank_file_rejected_download = rejected_rows_views(
    file_kinds=(FILE_KIND,), download_url_name="bank-file-rejected-download", csv_name="bank-file",
    back_url_name="bank-overview", back_label=_("Bank statements"))
