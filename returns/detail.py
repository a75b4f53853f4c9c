"""What a returns discrepancy's page shows beside the core's: the return's request rows, what arrived, the freight billed."""
from __future__ import annotations

from django.db.models import Q

from .models import ReturnFreightLine, ReturnReceipt, ReturnRequest

# A page, not an export: a return has a handful of rows; a parcel billed a hundred times shows its first ones.
LIMIT = 50


def discrepancy_detail_context(d, request) -> dict:
    """The context of templates/returns/_discrepancy_detail.html."""
    details = d.details or {}
    request_row = ReturnRequest.objects.filter(pk=details.get("request_id") or 0).only("return_no").first()
    return_no = request_row.return_no if request_row else ""
    rows = list(ReturnRequest.objects.filter(return_no=return_no).select_related("return_courier").order_by("sku")) if return_no else []
    waybills = {r.return_waybill_no for r in rows if r.return_waybill_no}
    orders = {r.order_no for r in rows if r.order_no}
    line = ReturnFreightLine.objects.filter(pk=details.get("line_id") or 0).only("waybill_no").first()
    receipt = ReturnReceipt.objects.filter(pk=details.get("receipt_id") or 0).only("return_waybill_no", "order_no").first()
    for found in (line.waybill_no if line else "", receipt.return_waybill_no if receipt else ""):
        if found:
            waybills.add(found)
    if receipt is not None and not receipt.return_waybill_no and receipt.order_no:
        orders.add(receipt.order_no)
    parcels = Q(return_waybill_no__in=waybills) | Q(return_waybill_no="", order_no__in=orders)
    if not waybills:
        # A return matched by order number takes every parcel of that order.
        parcels |= Q(order_no__in=orders)
    receipts = list(ReturnReceipt.objects.filter(parcels).order_by("received_at", "id")[:LIMIT]) if (waybills or orders) else []
    freight = (list(ReturnFreightLine.objects.filter(waybill_no__in=waybills).select_related("courier").order_by("billed_at", "id")[:LIMIT])
               if waybills else [])
    return {"return_no": return_no, "request_rows": rows, "receipts": receipts, "freight_lines": freight}
