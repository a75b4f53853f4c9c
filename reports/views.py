"""Downloads of discrepancies and shipments: the list page's current filter, as Excel or CSV."""
from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.filters import ShipmentFilter
from orders.masking import can_see_personal_data
from orders.models import Shipment
from recon.core.permissions import requires
from recon.review.selectors import discrepancy_filter

from .models import ExportJob

from .export_jobs import export_job_submit
from .exports import discrepancies_csv, discrepancies_xlsx, shipments_csv, shipments_xlsx

FORMATS = {
    "xlsx": (discrepancies_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "csv": (discrepancies_csv, "text/csv; charset=utf-8"),
}


def _filename(filterset, ext: str) -> str:
    data = filterset.form.cleaned_data
    if data.get("run"):
        scope = f"run-{int(data['run'])}"
    elif data.get("bill"):
        scope = f"bill-{int(data['bill'])}"
    else:
        scope = timezone.localdate().isoformat()
    return f"discrepancies-{scope}.{ext}"


@requires("recon.view_discrepancy")
def discrepancy_export(request):
    fmt = request.GET.get("format", "xlsx")
    if fmt not in FORMATS:
        return HttpResponseBadRequest(_("Unknown format; use xlsx or csv."))
    filterset = discrepancy_filter(params=request.GET, user=request.user)
    # An invalid filter must not silently widen the export to everything.
    if not filterset.is_valid():
        return HttpResponseBadRequest(_("The filter is not valid: %(errors)s") % {"errors": filterset.errors.as_text()})
    # More rows than a request should hold: a worker writes the file, the user finds it under "my exports".
    if filterset.qs.order_by().values("id")[: settings.EXPORT_ASYNC_ROWS + 1].count() > settings.EXPORT_ASYNC_ROWS:
        query = request.GET.copy()
        query.pop("format", None)
        export_job_submit(kind=ExportJob.Kind.DISCREPANCIES, fmt=fmt, params={"query": query.urlencode()}, user=request.user)
        messages.info(request, _("This export is large: it is being written in the background and will appear here."))
        return redirect("export-list")
    build, content_type = FORMATS[fmt]
    response = HttpResponse(build(filterset.qs), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{_filename(filterset, fmt)}"'
    return response


SHIPMENT_FORMATS = {"xlsx": (shipments_xlsx, FORMATS["xlsx"][1]), "csv": (shipments_csv, FORMATS["csv"][1])}


@requires("orders.view_shipment")
def shipment_export(request):
    """The shipment list under its current filter; recipients masked unless the user may see personal data."""
    fmt = request.GET.get("format", "xlsx")
    if fmt not in SHIPMENT_FORMATS:
        return HttpResponseBadRequest(_("Unknown format; use xlsx or csv."))
    filterset = ShipmentFilter(request.GET, queryset=Shipment.objects.all())
    if not filterset.is_valid():
        return HttpResponseBadRequest(_("The filter is not valid: %(errors)s") % {"errors": filterset.errors.as_text()})
    build, content_type = SHIPMENT_FORMATS[fmt]
    response = HttpResponse(build(filterset.qs, reveal=can_see_personal_data(request.user)), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="shipments-{timezone.localdate().isoformat()}.{fmt}"'
    return response
