"""Browser pages for our shipments (the list and the file import) and for platforms' orders (the list, the upload and an
uploaded file's rejected rows)."""
from __future__ import annotations

from decimal import Decimal

from django import forms
from django.db.models import Count, Sum
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_POST

from recon.core.errors import UserFacingError
from recon.core.permissions import requires
from recon.web.views import Column, kg, paginate, sort_headers, style_filter_form

from recon.sources.views import rejected_rows_views

from .filters import OrderFilter, ShipmentFilter
from .forms import OrderUploadForm, ShipmentImportForm
from .models import Platform, Shipment
from .selectors import order_list as order_list_query
from .services import ORDERS_FILE_KIND, orders_file_import, shipment_import

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


ORDER_COLUMNS = [
    Column(gettext_lazy("Platform")),
    Column(gettext_lazy("Order"), "order_no"),
    Column(gettext_lazy("Shop")),
    Column(gettext_lazy("Status")),
    Column(gettext_lazy("Paid at"), "paid_at", desc_first=True),
    Column(gettext_lazy("Shipped at")),
    Column(gettext_lazy("Order amount"), "order_amount", num=True, desc_first=True),
    Column(gettext_lazy("Refund amount"), "refund_amount", num=True, desc_first=True),
    Column(gettext_lazy("Order items")),
]


@requires("orders.view_order")
def order_list(request):
    """Orders with filters, the money of the whole filtered list, and each order's items."""
    filterset = OrderFilter(request.GET, queryset=order_list_query())
    style_filter_form(filterset.form, dates=["paid_from", "paid_to"])
    filterset.form.fields["platform"].widget = forms.Select(
        choices=[("", gettext("All platforms"))] + [(p.code, f"{p.code} {p.name}") for p in Platform.objects.order_by("code")])
    totals = filterset.qs.aggregate(n=Count("id"), order_amount=Sum("order_amount"), refund_amount=Sum("refund_amount"))
    page = paginate(request, filterset.qs.prefetch_related("lines"), 50, count=totals["n"])
    return render(request, "orders/order_list.html", {
        "filter": filterset, "page_obj": page, "totals": totals,
        "headers": sort_headers(request, ORDER_COLUMNS, "-paid_at"),
    })


@requires("orders.import_orders")
def order_upload(request):
    """Import an orders file and show what happened on the same page: the counts, then the rejected rows."""
    result = None
    if request.method == "POST":
        form = OrderUploadForm(request.POST, request.FILES)
        if form.is_valid():
            d = form.cleaned_data
            try:
                imported = orders_file_import(file=d["file"], filename=d["file"].name, platform=d["platform"], user=request.user,
                                              mapping=form.mapping(), confirm_columns=d["confirm_columns"])
            except UserFacingError as exc:
                form.add_error("file", exc.message)
            else:
                result = {**imported.as_dict(), "filename": d["file"].name, "repeated": imported.repeated,
                          "rejected_rows": imported.rejected_rows.head(REJECTED_SHOWN).to_dict("records")}
                form = OrderUploadForm(initial={"platform": d["platform"]})
    else:
        form = OrderUploadForm()
    return render(request, "orders/order_upload.html", {"form": form, "result": result, "shown": REJECTED_SHOWN})


@require_POST
@requires("orders.import_orders")
def orders_inspect(request):
    """The head of a chosen orders file, previewed for the upload page: its columns per field, and what the platform
    chosen does for it; stores nothing."""
    from recon.sources.preview import inspect_error_body
    from recon.sources.uploads import stage_upload

    from .forms import ORDER_MAPPED_FIELDS
    from .selectors import orders_field_labels, orders_file_inspect

    code = request.POST.get("platform", "").strip()
    platform = Platform.objects.filter(code=code, active=True).first() if code else None
    typed = {name: request.POST[f"map_{name}"].strip() for name in ORDER_MAPPED_FIELDS
             if request.POST.get(f"map_{name}", "").strip()}
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise UserFacingError("no_file", gettext("Choose the file."))
        staged = stage_upload(file=upload, filename=upload.name)
        try:
            body = orders_file_inspect(staged=staged, platform=platform, typed=typed)
        finally:
            staged.discard()
    except UserFacingError as exc:
        return JsonResponse(inspect_error_body(exc, orders_field_labels()), status=exc.http_status,
                            json_dumps_params={"ensure_ascii": False})
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


orders_file_rejected, orders_file_rejected_download = rejected_rows_views(
    file_kinds=(ORDERS_FILE_KIND,), download_url_name="orders-file-rejected-download", csv_name="orders-file",
    back_url_name="order-list", back_label=gettext_lazy("Orders"))
