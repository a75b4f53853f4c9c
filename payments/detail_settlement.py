"""What a settlement discrepancy's page shows beside the core's: the order, its settlement lines, and the arithmetic."""
from __future__ import annotations

from orders.models import Order
from recon.core.db import yuan_of

from .models import SettlementLine

# A page, not an export: an order has a handful of lines; an order number booked a hundred times shows its first ones.
LIMIT = 50


def discrepancy_detail_context(d, request) -> dict:
    """The context of templates/payments/_settlement_discrepancy_detail.html."""
    details = d.details or {}
    code = details.get("platform_code") or ""
    order = Order.objects.filter(pk=details.get("order_id") or 0).select_related("platform").first()
    order_no = order.order_no if order else (d.ref2 if details.get("line_id") else d.ref)
    lines = (list(SettlementLine.objects.filter(platform__code=code, order_no=order_no).order_by("occurred_at", "id")[:LIMIT])
             if order_no else [])
    if not lines and details.get("line_id"):
        lines = list(SettlementLine.objects.filter(pk=details["line_id"]))

    def money(key):
        value = details.get(key)
        return None if value is None else yuan_of(value)

    arithmetic = None
    if order is not None and details.get("order_fen") is not None:
        arithmetic = {
            "order": money("order_fen"), "refund": money("refund_fen"), "due": yuan_of(details["order_fen"] - details["refund_fen"]),
            "paid": money("paid_fen"), "refunded": money("refunded_fen"), "fees": money("fees_fen"),
            "expected_fee": money("expected_fee_fen"), "fee_rate_percent": order.platform.fee_rate * 100,
            "settle_within_days": order.platform.settle_within_days,
        }
    return {"order": order, "order_no": order_no, "settlement_lines": lines, "highlight_line_id": details.get("line_id"),
            "arithmetic": arithmetic}
