"""The period report's defects found walking the demo: money with no counterparty, totals of claims only, references
as text, readable run parameters."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.db.models import Sum

from recon.core.models import Discrepancy
from reports.months import discrepancy_month_q
from reports.period import period_cover, period_report_csv, period_report_xlsx
from tests.factories import DiscrepancyFactory, ReconRunFactory
from tests.reports.test_period_report import month  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db


def _returns_without_counterparty(month) -> None:
    """Returns with no courier or shop known, so no period: ¥150 found on 2026-10-20, ¥49 without a date in a run of
    October, and ¥5 found on 2026-11-02 (November's)."""
    run = ReconRunFactory(kind="returns", counterparty=None, period_start=date(2026, 10, 1), period_end=date(2026, 10, 31))
    for ref, on, amount in [("RN1", date(2026, 10, 20), "150.00"), ("RN2", None, "49.00"), ("RN3", date(2026, 11, 2), "5.00")]:
        DiscrepancyFactory(run=run, counterparty=None, period=None, type="return_damaged", waybill_no=ref, occurred_on=on,
                           amount_at_stake=Decimal(amount))


def test_months_rule_places_rows_without_a_period(month):
    _returns_without_counterparty(month)
    undated = ReconRunFactory(kind="returns", counterparty=None, period_start=None, period_end=None)
    late = DiscrepancyFactory(run=undated, counterparty=None, period=None, type="return_damaged", waybill_no="RN4",
                              amount_at_stake=Decimal("1.00"))
    # Created at 00:30 on 1 November in Shanghai: 16:30 on 31 October in UTC, November's.
    Discrepancy.objects.filter(id=late.id).update(created_at=datetime(2026, 11, 1, 0, 30, tzinfo=ZoneInfo("Asia/Shanghai")))
    october = Discrepancy.objects.filter(discrepancy_month_q(date(2026, 10, 1)))
    november = Discrepancy.objects.filter(discrepancy_month_q(date(2026, 11, 1)))
    assert sorted(october.filter(period=None).values_list("ref", flat=True)) == ["RN1", "RN2"]
    assert sorted(november.values_list("ref", flat=True)) == ["RN3", "RN4", "RS2"]


def test_money_without_a_counterparty_is_in_the_report(month, tmp_path):
    _returns_without_counterparty(month)
    cover = period_cover(period="2026-10")
    assert (cover["at_stake"], cover["open"]) == (Decimal("513.30"), Decimal("325.30"))
    queue = Discrepancy.objects.filter(discrepancy_month_q(date(2026, 10, 1)), is_claim=True).aggregate(s=Sum("amount_at_stake"))
    assert queue["s"] == cover["at_stake"]
    # The counterparty's own report keeps to its rows.
    assert period_cover(period="2026-10", counterparty="ZTO")["at_stake"] == Decimal("302.00")

    path = tmp_path / "october.xlsx"
    period_report_xlsx(period="2026-10", counterparty=None, target=path)
    book = openpyxl.load_workbook(path, data_only=True)
    rows = [list(r) for r in book["封面"].iter_rows(values_only=True)]
    assert rows[3] == ["2026-10", None, "无对账方", 0, 0, 199, 199, 0, 0, 0, 0, 0, 0, 2]
    assert rows[4][3:6] == [297.01, 20, 513.3]
    damaged = [list(r) for r in book["退货破损"].iter_rows(values_only=True)]
    assert [(r[9], r[3]) for r in damaged[1:-1]] == [("RN1", 150), ("RN2", 49), ("RZ1", 20)]

    path = tmp_path / "october.csv"
    period_report_csv(period="2026-10", counterparty=None, target=path)
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))
    assert rows[3] == ["2026-10", "", "无对账方", "0.00", "0.00", "199.00", "199.00", "0.00", "0.00", "0.00", "0.00", "0.00",
                       "0.00", "2"]
    assert rows[4][:6] == ["2026-10", "合计", "", "297.01", "20.00", "513.30"]
    assert sorted(r[9] for r in rows if r and r[0] == "return_damaged") == ["RN1", "RN2", "RZ1"]
