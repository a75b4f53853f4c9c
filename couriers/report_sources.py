"""What courier fees offer to custom reports: the bills (billed money per courier and month) and their lines."""
from __future__ import annotations

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from reports.sources import Dimension, Measure, SourceSpec, month_of, month_text, period_text


def report_sources() -> list[SourceSpec]:
    """The bills and the bill lines of the bills that are not deleted."""
    bills = SourceSpec(
        code="courier_bills",
        label=_("Courier bills"),
        model="couriers.CourierBill",
        date_field="period_start",
        permission="couriers.view_courierbill",
        base_filter=Q(deleted_at__isnull=True),
        dimensions={
            "counterparty": Dimension(_("counterparty"), "courier__code", filter_path="courier__code"),
            "period": Dimension(_("period"), "period_start", display=period_text),
            "month": Dimension(_("month"), month_of("period_start"), display=month_text),
        },
        measures={
            "count": Measure(_("bills"), Count("pk"), money=False),
            "lines": Measure(_("lines"), Sum("line_count"), money=False),
            "billed": Measure(_("billed"), Sum("billed_total")),
        },
    )
    lines = SourceSpec(
        code="courier_bill_lines",
        label=_("Courier bill lines"),
        model="couriers.CourierBillLine",
        date_field="bill__period_start",
        permission="couriers.view_courierbill",
        base_filter=Q(bill__deleted_at__isnull=True),
        dimensions={
            "counterparty": Dimension(_("counterparty"), "bill__courier__code", filter_path="bill__courier__code"),
            "month": Dimension(_("month"), month_of("bill__period_start"), display=month_text),
            "province": Dimension(_("billed province"), "billed_province", filter_path="billed_province"),
        },
        measures={
            "count": Measure(_("lines"), Count("id"), money=False),
            "billed": Measure(_("billed"), Sum("billed_fee")),
            "expected": Measure(_("expected fee"), Sum("expected_fee")),
        },
    )
    return [bills, lines]
