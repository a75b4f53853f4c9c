"""Browser pages for our shipments: the list and the file import."""
from __future__ import annotations

from decimal import Decimal

from django.shortcuts import render
from django.utils.translation import gettext_lazy

from recon.core.errors import UserFacingError
from recon.core.permissions import requires
from recon.web.views import Column, kg, paginate, sort_headers, style_filter_form

from .filters import ShipmentFilter
from .forms import ShipmentImportForm
from .models import Shipment
from .services import shipment_import

REJECTED_SHOWN = 1000


def _cm(mm: int) -> str:
    return format((Decimal(mm) / 10).normalize(), "f")


SHIPMENT_COLUMNS = [
    Column(gettext_lazy("Waybill"), "waybill_no"),
    Column(gettext_lazy("Order")),
    Column(gettext_lazy("Courier")),
    Column(gettext_lazy("Shipped at"), "shipped_at", desc_first=True),
    Column(gettext_lazy("Weight (kg)"), "weight_g", num=True, desc_first=True),
    Column(gettext_lazy("Size (cm)"), num=True),
    Column(gettext_lazy("Destination")),
    Column(gettext_lazy("Recipient")),
    Column(gettext_lazy("Status")),
    Column(gettext_lazy("Declared value"), num=True),
]


@requires("orders.view_shipment")
def shipment_list(request):
    filterset = ShipmentFilter(request.GET, queryset=Shipment.objects.select_related("courier"))
    style_filter_form(filterset.form, courier="courier", dates=["shipped_from", "shipped_to"])
    page = paginate(request, filterset.qs, 50)
    rows = list(page)
    for s in rows:
        s.weight_kg = kg(s.weight_g)
        dims = [s.length_mm, s.width_mm, s.height_mm]
        s.dims_cm = " × ".join(_cm(v) for v in dims) if all(v is not None for v in dims) else ""
    return render(request, "orders/shipment_list.html", {
        "filter": filterset, "page_obj": page, "rows": rows, "export_query": request.GET.urlencode(),
        "headers": sort_headers(request, SHIPMENT_COLUMNS, "-shipped_at"),
    })


@requires("orders.add_shipment")
def shipment_import_view(request):
    """Import a file and show what happened on the same page: counts, then every rejected row with its reason."""
    result = None
    if request.method == "POST":
        form = ShipmentImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                imported = shipment_import(file=upload, filename=upload.name, user=request.user)
            except UserFacingError as exc:
                form.add_error("file", exc.message)
            else:
                result = imported.as_dict()
                result["filename"] = upload.name
                result["rejected_rows"] = result["rejected_rows"][:REJECTED_SHOWN]
                form = ShipmentImportForm()
    else:
        form = ShipmentImportForm()
    return render(request, "orders/shipment_import.html", {"form": form, "result": result, "shown": REJECTED_SHOWN})
