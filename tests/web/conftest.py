"""Fixtures for the browser pages: a logged-in clerk and a reconciled bill built directly from models."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import CourierBillFactory, CourierBillLineFactory, DiscrepancyFactory, ReconRunFactory, ShipmentFactory
from tests.factories.couriers import OCT_END, OCT_START


@pytest.fixture
def clerk_client(client, finance_user):
    client.force_login(finance_user)
    return client


def shipped_at(day: int) -> datetime:
    return timezone.make_aware(datetime(2026, 10, day, 10, 0))


def make_bill(courier, user, *, sha="a" * 64, lines=3, rejected=1):
    from recon.core.models import RejectedRow

    bill = CourierBillFactory(
        courier=courier, original_filename="中通10月账单.csv", sha256=sha, line_count=lines, rejected_count=rejected,
        billed_total=Decimal("15.10"), uploaded_by=user,
        read_info={
            "format": "csv", "encoding": "gbk", "delimiter": ",", "skipped_sheets": [], "weight_unit": "kg",
            "weight_unit_source": "header", "blank_rows": 2, "repeated_headers": 0,
            "sheets": [{"name": "csv", "header_row": 3, "data_rows": lines + rejected,
                        "columns": {"waybill_no": "运单号", "billed_fee": "运费(元)"}, "hidden": False}],
            "totals_rows": [{"sheet": "csv", "row_no": 9, "text": "合计", "fee_fen": 1510}],
        },
    )
    for i in range(lines):
        CourierBillLineFactory(
            bill=bill, line_no=i + 1, sheet="csv", row_no=i + 4, waybill_no=f"ZT{i + 1:08d}", billed_weight_g=1000 + i,
            billed_fee=Decimal("3.50"), billed_province="广东", billed_province_raw="广东省",
            result="ok" if i % 2 else "discrepancy", expected_fee=Decimal("3.00"), our_weight_g=1000, our_province="广东",
        )
    RejectedRow.objects.bulk_create(
        RejectedRow(source=bill, sheet="csv", row_no=100 + i, reason_code="fee_invalid", reason="运费不是数字", raw="ZT999,abc")
        for i in range(rejected)
    )
    return bill


SUMMARY = {
    "lines": 3, "rejected": 1, "lines_ok": 1, "lines_with_discrepancy": 2, "lines_unchecked": 0,
    "billed_total": "15.10", "expected_total": "9.10", "unchecked_billed_total": "0.00", "amount_at_stake": "6.00",
    "discrepancies": 4, "file_totals_row": "15.10", "file_totals_match": True,
    "by_type": {
        "rate_overcharge": {"count": 1, "amount_at_stake": "2.00"},
        "weight_overcharge": {"count": 1, "amount_at_stake": "1.00"},
        "unknown_waybill": {"count": 1, "amount_at_stake": "3.00"},
        "rate_undercharge": {"count": 1, "amount_at_stake": "0.50"},
    },
}

# waybill, type, amount at stake, billed fee, expected fee
DISCREPANCIES = [
    ("ZT00000001", "rate_overcharge", "2.00", "4.60", "2.60"),
    ("ZT00000002", "weight_overcharge", "1.00", "4.00", "3.00"),
    ("ZT99999999", "unknown_waybill", "3.00", "3.00", None),
    ("ZT00000003", "rate_undercharge", "0.50", "2.50", "3.00"),
]


def make_run(courier, user, bill, **fields):
    values = {
        "courier": courier, "courier_bill": bill, "period_start": OCT_START, "period_end": OCT_END,
        "progress_current": 6, "progress_total": 6, "summary": SUMMARY,
        "input_filename": "中通10月账单.csv", "created_by": user, "finished_at": timezone.now(), "timings": {"total": 0.8},
    }
    values.update(fields)
    return ReconRunFactory(**values)


def make_discrepancy(run, waybill, type_, stake, billed, expected, **extra):
    return DiscrepancyFactory(
        run=run, type=type_, waybill_no=waybill, line_no=extra.pop("line_no", None),
        amount_at_stake=Decimal(stake), billed_fee=Decimal(billed), expected_fee=None if expected is None else Decimal(expected),
        billed_weight_g=extra.pop("billed_weight_g", 2000), expected_weight_g=extra.pop("expected_weight_g", 1250),
        billed_province="浙江", expected_province="上海", **extra,
    )


@pytest.fixture
def reconciled(zto, finance_user):
    """A bill, its succeeded run and four discrepancies of which one is informational."""
    bill = make_bill(zto, finance_user)
    run = make_run(zto, finance_user, bill)
    shipment = ShipmentFactory(
        order_no="SO-1", waybill_no="ZT00000001", courier=zto, shipped_at=shipped_at(3), weight_g=500,
        length_mm=200, width_mm=150, height_mm=105, province="浙江", city="杭州",
    )
    line = bill.lines.get(line_no=1)
    found = [
        make_discrepancy(run, w, t, s, b, e, line_no=i + 1 if t != "unknown_waybill" else None)
        for i, (w, t, s, b, e) in enumerate(DISCREPANCIES)
    ]
    found[0].details = {**found[0].details, "bill_line_id": line.id, "shipment_id": shipment.id,
                        "card_id": None, "fee_billed_fen": 260, "fee_zone_fen": 260, "fee_ours_fen": 260}
    found[0].save()
    return {"bill": bill, "run": run, "discrepancies": found, "shipment": shipment}
