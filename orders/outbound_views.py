"""The browser upload of outbound records and pickup scans, and an uploaded file's rejected rows."""
from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_POST

from recon.core.errors import UserFacingError
from recon.core.permissions import requires
from recon.sources.views import rejected_rows_views

from .outbound_forms import OutboundUploadForm
from .outbound_services import KINDS, outbound_file_import

REJECTED_SHOWN = 1000


@requires("orders.import_outbound")
def outbound_upload(request):
    """Import an outbound or pickups file and show what happened on the same page: the counts, then the rejected rows."""
    result = None
    if request.method == "POST":
        form = OutboundUploadForm(request.POST, request.FILES)
        if form.is_valid():
            d = form.cleaned_data
            try:
                imported = outbound_file_import(file=d["file"], filename=d["file"].name, kind=d["kind"], user=request.user,
                                                mapping=form.mapping(), confirm_columns=d["confirm_columns"])
            except UserFacingError as exc:
                form.add_error("file", exc.message)
            else:
                result = {**imported.as_dict(), "filename": d["file"].name, "repeated": imported.repeated,
                          "rejected_rows": imported.rejected_rows.head(REJECTED_SHOWN).to_dict("records")}
                form = OutboundUploadForm(initial={"kind": d["kind"]})
    else:
        form = OutboundUploadForm(initial={"kind": request.GET.get("kind") if request.GET.get("kind") in KINDS else "outbound"})
    return render(request, "orders/outbound_upload.html", {"form": form, "result": result, "shown": REJECTED_SHOWN})


def _kind_it_reads_as(*, staged, besides: str) -> str | None:
    """The other kind of file whose columns the staged file has, if one has them all."""
    from .outbound_selectors import outbound_file_inspect

    for kind in KINDS:
        if kind == besides:
            continue
        try:
            outbound_file_inspect(staged=staged, kind=kind, typed={})
        except UserFacingError:
            continue
        return kind
    return None


@require_POST
@requires("orders.import_outbound")
def outbound_inspect(request):
    """The head of a chosen outbound or pickups file, previewed for the upload page: its columns per field, the weights'
    unit and the first rows as they will be stored; stores nothing."""
    from recon.sources.preview import inspect_error_body
    from recon.sources.uploads import stage_upload

    from .outbound_forms import OUTBOUND_MAPPED_FIELDS
    from .outbound_selectors import outbound_field_labels, outbound_file_inspect

    kind = request.POST.get("kind", "").strip()
    if kind not in KINDS:
        return JsonResponse({"errors": {"kind": [gettext("Choose the kind of file.")]}, "code": "invalid_kind"}, status=400)
    typed = {name: request.POST[f"map_{name}"].strip() for name in OUTBOUND_MAPPED_FIELDS
             if request.POST.get(f"map_{name}", "").strip()}
    upload = request.FILES.get("file")
    looks_like = None
    try:
        if upload is None:
            raise UserFacingError("no_file", gettext("Choose the file."))
        staged = stage_upload(file=upload, filename=upload.name)
        try:
            try:
                body = outbound_file_inspect(staged=staged, kind=kind, typed=typed)
            except UserFacingError:
                looks_like = _kind_it_reads_as(staged=staged, besides=kind)
                raise
        finally:
            staged.discard()
    except UserFacingError as exc:
        body = inspect_error_body(exc, outbound_field_labels(kind=kind))
        if looks_like:
            # The clerk picked the wrong radio more often than the file is wrong: say which one reads it.
            body["looks_like"] = looks_like
            body["errors"]["file"].append(gettext("This file looks like %(kind)s: choose that kind of file above.")
                                          % {"kind": dict(OutboundUploadForm.base_fields["kind"].choices)[looks_like]})
        return JsonResponse(body, status=exc.http_status, json_dumps_params={"ensure_ascii": False})
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


outbound_file_rejected, outbound_file_rejected_download = rejected_rows_views(
    file_kinds=KINDS, download_url_name="outbound-file-rejected-download", csv_name="outbound-file",
    back_url_name="outbound-upload", back_label=gettext_lazy("Upload outbound records and pickup scans"))
