"""The analyses after the walk: undated discrepancies in the month the dashboard gives them (their bill's, else the
month they were found in), with or without a date range; negative money written as the product writes it (-¥10.00)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from recon.core.models import Discrepancy
from reports.analysis import Table, courier_analysis, tables_display, tables_pdf
from tests.factories import DiscrepancyFactory, ReconRunFactory

from .custom_data import known  # noqa: F401  (fixture)

D = Decimal
SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def undated(run, found: datetime, amount: str):
    """A ZTO courier-fee discrepancy of `run` with no date (a line without a pickup day), found at `found`."""
    row = DiscrepancyFactory(run=run, type="weight_overcharge", amount_at_stake=D(amount), occurred_on=None)
    Discrepancy.objects.filter(pk=row.pk).update(created_at=found)
    return row


def test_an_undated_discrepancy_of_a_bill_is_in_its_bills_month_with_or_without_a_date_range(known):  # noqa: F811
    october_run = Discrepancy.objects.filter(counterparty=known["zto"].counterparty, occurred_on__month=10).first().run
    # Found after the October bill's month ended: still October's, as the ¥200.00 it was billed in.
    undated(october_run, datetime(2026, 10, 31, 23, 30, tzinfo=SH), "1.00")
    undated(october_run, datetime(2026, 11, 1, 0, 30, tzinfo=SH), "2.00")
    rates, _reasons = courier_analysis()
    assert [r[:6] for r in rates.rows] == [
        ["YTO", "2026-10", D("100.00"), 2, D("10.00"), D("10.0")],
        ["ZTO", "2026-10", D("200.00"), 5, D("18.50"), D("9.3")],
        ["ZTO", "2026-11", D("50.00"), 1, D("2.25"), D("4.5")],
    ]
    october, _reasons = courier_analysis(date_from=date(2026, 10, 1), date_to=date(2026, 10, 31))
    assert [r[:5] for r in october.rows] == [["YTO", "2026-10", D("100.00"), 2, D("10.00")],
                                             ["ZTO", "2026-10", D("200.00"), 5, D("18.50")]]
    november, _reasons = courier_analysis(date_from=date(2026, 11, 1), date_to=date(2026, 11, 30))
    assert [r[:5] for r in november.rows] == [["ZTO", "2026-11", D("50.00"), 1, D("2.25")]]


def test_an_undated_discrepancy_with_no_period_or_range_is_in_the_month_it_was_found_in_shanghai(known):  # noqa: F811
    unbilled = ReconRunFactory(courier=known["zto"])  # a run of no bill: no period, no range
    assert unbilled.period_start is None
    undated(unbilled, datetime(2026, 10, 31, 23, 30, tzinfo=SH), "1.00")   # 15:30 UTC: still October in Shanghai
    undated(unbilled, datetime(2026, 11, 1, 0, 30, tzinfo=SH), "2.00")     # 31 Oct 16:30 UTC: November in Shanghai
    rates, _reasons = courier_analysis()
    assert [r[:5] for r in rates.rows] == [
        ["YTO", "2026-10", D("100.00"), 2, D("10.00")],
        ["ZTO", "2026-10", D("200.00"), 4, D("16.50")],
        ["ZTO", "2026-11", D("50.00"), 2, D("4.25")],
    ]
    november, _reasons = courier_analysis(date_from=date(2026, 11, 1), date_to=date(2026, 11, 30))
    assert [r[:5] for r in november.rows] == [["ZTO", "2026-11", D("50.00"), 2, D("4.25")]]


def test_negative_money_reads_minus_yuan_on_the_page_and_in_the_pdf():
    import io

    import pypdf

    table = Table(title="回款", key="groups", columns=[("店铺", "text"), ("未回款", "money"), ("回款率", "percent")],
                  rows=[["A", D("-10.00"), None], ["B", D("-1234.5"), D("12.5")]])
    shown = tables_display([table])[0]
    assert [[cell for cell, _right in row] for row in shown["rows"]] == [["A", "-¥10.00", "—"],
                                                                         ["B", "-¥1,234.50", "12.5%"]]
    assert [cell for cell, _right in shown["totals"]] == ["合计", "-¥1,244.50", ""]
    text = pypdf.PdfReader(io.BytesIO(tables_pdf([table], title="回款分析"))).pages[0].extract_text()
    assert "-¥10.00" in text and "¥-" not in text


def test_the_collection_page_shows_a_negative_outstanding_as_minus_yuan(client, manager_user):
    from orders.models import Order, Platform
    from payments.models import SettlementLine

    tmall, _ = Platform.objects.get_or_create(code="TMALL", defaults={"name": "天猫"})
    Order.objects.create(platform=tmall, order_no="O1", shop="A", status="completed",
                         paid_at=datetime(2026, 10, 5, 9, 0, tzinfo=SH), order_amount=D("20.00"), refund_amount=D("0"))
    # Settled ¥10.00 more than was due (a platform's double payment): outstanding is -¥10.00.
    SettlementLine.objects.create(platform=tmall, shop="A", settlement_id="S1", order_no="O1", business_type="payment",
                                  occurred_at=datetime(2026, 10, 9, 8, 0, tzinfo=SH), amount=D("30.00"))
    client.force_login(manager_user)
    page = client.get(reverse("report-analysis", args=["collection"])).content.decode()
    assert "-¥10.00" in page and "¥-10.00" not in page
