"""What the orders offer to custom reports: sales per platform, shop and month of payment."""
from __future__ import annotations

from django.db.models import Count, F, Sum
from django.utils.translation import gettext_lazy as _

from reports.sources import Dimension, Measure, SourceSpec, month_of, month_text


def report_sources() -> list[SourceSpec]:
    """The orders: sales amount (order amount − refunds) by platform, shop and month of payment (Shanghai time)."""
    return [SourceSpec(
        code="orders",
        label=_("Orders"),
        model="orders.Order",
        date_field="paid_at__date",
        permission="orders.view_order",
        dimensions={
            "platform": Dimension(_("platform"), "platform__code", filter_path="platform__code"),
            "shop": Dimension(_("shop"), "shop", filter_path="shop"),
            "status": Dimension(_("status"), "status", filter_path="status"),
            "month": Dimension(_("month"), month_of("paid_at", tz=True), display=month_text),
        },
        measures={
            "count": Measure(_("orders"), Count("id"), money=False),
            "order_amount": Measure(_("order amount"), Sum("order_amount")),
            "sales": Measure(_("sales amount"), Sum(F("order_amount") - F("refund_amount"))),
        },
    )]
