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
from tests.reports.test_period_report import WAYBILLS, month  # noqa: F401  (the fixture)

WAYBILL_UNDER = WAYBILLS[3]

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


def test_type_sheets_total_the_claims_the_cover_counts(month, tmp_path):
    path = tmp_path / "october.xlsx"
    period_report_xlsx(period="2026-10", counterparty=None, target=path)
    book = openpyxl.load_workbook(path)
    cached = openpyxl.load_workbook(path, data_only=True)
    under = [list(r) for r in book["运费少收"].iter_rows(values_only=True)]
    # The undercharge is information: shown, marked, and out of the totals.
    assert (under[0][16], under[1][0], under[1][5], under[1][16]) == ("计入涉及金额", WAYBILL_UNDER, -4.99, "否")
    assert under[2][:8] == ["索赔合计", None, None, None, None, '=SUMIF($Q$2:$Q$2,"是",F2:F2)', '=SUMIF($Q$2:$Q$2,"是",G2:G2)',
                            '=SUMIF($Q$2:$Q$2,"是",H2:H2)']
    assert list(cached["运费少收"].iter_rows(values_only=True))[2][5:8] == (0, 0, 0)
    at_stake = {}
    for title in ("运费超收", "运费少收", "已退款，退货未收到", "退货破损"):
        header, *rows = cached[title].iter_rows(values_only=True)
        at_stake[title] = Decimal(str(rows[-1][header.index("涉及金额")]))
    assert at_stake == {"运费超收": Decimal("282"), "运费少收": Decimal("0"), "已退款，退货未收到": Decimal("12.3"),
                        "退货破损": Decimal("20")}
    cover_total = list(cached["封面"].iter_rows(values_only=True))[3][5]
    assert sum(at_stake.values()) == Decimal(str(cover_total)) == period_cover(period="2026-10")["at_stake"] == Decimal("314.30")


def test_run_parameters_are_labelled_and_dated_alike(month, tmp_path):
    run = month["returns"][1]
    # A moment stored in UTC with seconds, one in local time with an offset, a date, and a key no kind labels.
    run.params = {"as_of": "2026-11-05T02:30:15+00:00", "grace_days": 14, "checked_at": "2026-11-05T10:31:00+08:00",
                  "since": "2026-10-01", "extra_rule_code": "R7"}
    run.save(update_fields=["params"])
    path = tmp_path / "october.xlsx"
    period_report_xlsx(period="2026-10", counterparty=None, target=path)
    params = [list(r) for r in openpyxl.load_workbook(path)["对账参数"].iter_rows(values_only=True)]
    assert [r[3:] for r in params[1:] if r[0] == run.id] == [
        ["2026-10-01–2026-10-31", "截至", "2026-11-05 10:30"],
        ["2026-10-01–2026-10-31", "checked at", "2026-11-05 10:31"],
        ["2026-10-01–2026-10-31", "extra rule code", "R7"],
        ["2026-10-01–2026-10-31", "宽限天数", "14"],
        ["2026-10-01–2026-10-31", "since", "2026-10-01"],
    ]


@pytest.mark.parametrize("path", ["typed", "orm"])
def test_references_are_string_cells_on_every_sheet(month, tmp_path, monkeypatch, path):
    from reports import period

    if path == "orm":
        monkeypatch.setattr(period, "typed_type_rows", lambda *a: None)
    october = month["run"].courier_bill.period
    run = ReconRunFactory(kind="outbound", courier=month["run"].counterparty.courier, period_start=date(2026, 10, 1),
                          period_end=date(2026, 10, 31))
    for i, (ref, outbound, waybill) in enumerate([("0012", "0078202610000148", "0078202610000148"),
                                                   ("78202610000149", 7312345678901, 7312345678901.0)]):
        d = DiscrepancyFactory(run=run, period=october, type="waybill_reused", waybill_no=ref, ref2="000123",
                               amount_at_stake=Decimal(f"{i}.00"))
        Discrepancy.objects.filter(id=d.id).update(details={"outbound_no": outbound, "waybill_no": waybill, "warehouse": "007"})
    target = tmp_path / "october.xlsx"
    period_report_xlsx(period="2026-10", counterparty=None, target=target)
    book = openpyxl.load_workbook(target)
    rows = [list(r) for r in book["运单号重复使用"].iter_rows(values_only=True)]
    assert rows[0][5:8] + rows[0][10:12] == ["出库单号", "运单号", "仓库", "单号", "第二单号"]
    assert [r[5:8] + r[10:12] for r in rows[1:3]] == [
        ["7312345678901", "7312345678901", "007", "78202610000149", "000123"],
        ["0078202610000148", "0078202610000148", "007", "0012", "000123"],
    ]
    references = {"运单号", "订单号", "出库单号", "单号", "第二单号", "SKU", "仓库", "对账方", "快递公司", "账单省份", "我方省份"}
    for sheet in book.worksheets[1:-2]:
        header, *body = sheet.iter_rows()
        for cell in (c for row in body[:-1] for c in row):
            if header[cell.column - 1].value in references and cell.value is not None:
                assert (sheet.title, cell.coordinate, cell.data_type) == (sheet.title, cell.coordinate, "s")

    target = tmp_path / "october.csv"
    period_report_csv(period="2026-10", counterparty=None, target=target, use_copy=None if path == "typed" else False)
    found = [r for r in csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"), newline="")) if r and r[0] == "waybill_reused"]
    assert [r[5:8] + r[10:12] for r in found] == [
        ["7312345678901", "7312345678901", "007", "78202610000149", "000123"],
        ["0078202610000148", "0078202610000148", "007", "0012", "000123"],
    ]
