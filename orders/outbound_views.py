"""The browser upload of outbound records and pickup scans, and an uploaded file's rejected rows."""
from __future__ import annotations

from django.shortcuts import render
from django.utils.translation import gettext_lazy

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
                imported = outbound_file_import(file=d["file"], filename=d["file"].name, kind=d["kind"], user=request.user)
            except UserFacingError as exc:
                form.add_error("file", exc.message)
            else:
                result = {**imported.as_dict(), "filename": d["file"].name, "repeated": imported.repeated,
                          "rejected_rows": imported.rejected_rows.head(REJECTED_SHOWN).to_dict("records")}
                form = OutboundUploadForm(initial={"kind": d["kind"]})
    else:
        form = OutboundUploadForm(initial={"kind": request.GET.get("kind") if request.GET.get("kind") in KINDS else "outbound"})
    return render(request, "orders/outbound_upload.html", {"form": form, "result": result, "shown": REJECTED_SHOWN})


outbound_file_rejected, outbound_file_rejected_download = rejected_rows_views(
    file_kinds=KINDS, download_url_name="outbound-file-rejected-download", csv_name="outbound-file",
    back_url_name="outbound-upload", back_label=gettext_lazy("Upload outbound records and pickup scans"))
