"""The analyses' figures: collection (rates, sales against collections, age buckets at their bounds), couriers, returns."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.urls import reverse

from reports.analysis import collection_analysis, courier_analysis, rate, returns_analysis, tables_csv, tables_xlsx

from .custom_data import known  # noqa: F401  (fixture)

D = Decimal
SH = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 30)
pytestmark = pytest.mark.django_db


@pytest.fixture
def orders(db):
    """Orders paid 30, 31, 90 and 91 days before 2026-11-30 (Shanghai), some settled, one with a refund."""
    from orders.models import Order, Platform
    from payments.models import SettlementLine

    tmall, _ = Platform.objects.get_or_create(code="TMALL", defaults={"name": "天猫"})
    jd, _ = Platform.objects.get_or_create(code="JD", defaults={"name": "京东"})
    for platform, no, shop, paid, amount, refund in (
        (tmall, "O1", "A", datetime(2026, 10, 31, 23, 30, tzinfo=SH), "100.00", "0"),   # 30 days: 0–30
        (tmall, "O2", "A", datetime(2026, 10, 30, 0, 10, tzinfo=SH), "50.00", "0"),     # 31 days: 31–60
        (tmall, "O3", "B", datetime(2026, 9, 1, 12, 0, tzinfo=SH), "80.00", "0"),       # 90 days, settled in full
        (tmall, "O5", "A", datetime(2026, 9, 1, 0, 5, tzinfo=SH), "10.00", "0"),        # 90 days: 61–90
        (jd, "O4", "C", datetime(2026, 8, 31, 9, 0, tzinfo=SH), "20.00", "5.00"),       # 91 days: 90+
    ):
        Order.objects.create(platform=platform, order_no=no, shop=shop, status="completed", paid_at=paid,
                             order_amount=D(amount), refund_amount=D(refund))
    for no, sid, when, amount in (("O1", "S1", datetime(2026, 11, 5, 8, 0, tzinfo=SH), "60.00"),
                                  ("O3", "S3", datetime(2026, 9, 10, 8, 0, tzinfo=SH), "80.00")):
        SettlementLine.objects.create(platform=tmall, shop="A" if no == "O1" else "B", settlement_id=sid, order_no=no,
                                      occurred_at=when, business_type="payment", amount=D(amount))


def by_key(tables):
    return {t.key: t for t in tables}


def test_collection_rate_by_platform_shop_and_month(orders):
    tables = by_key(collection_analysis(today=TODAY))
    assert tables["groups"].rows == [
        ["JD", "C", "2026-08", D("15.00"), D("0.00"), D("15.00"), D("0.0")],
        ["TMALL", "A", "2026-09", D("10.00"), D("0.00"), D("10.00"), D("0.0")],
        ["TMALL", "B", "2026-09", D("80.00"), D("80.00"), D("0.00"), D("100.0")],
        ["TMALL", "A", "2026-10", D("150.00"), D("60.00"), D("90.00"), D("40.0")],
    ]
    assert tables["months"].rows == [["2026-08", D("15.00"), D("0.00")], ["2026-09", D("90.00"), D("80.00")],
                                     ["2026-10", D("150.00"), D("0.00")], ["2026-11", D("0.00"), D("60.00")]]


def test_age_buckets_at_their_bounds(orders):
    ages = by_key(collection_analysis(today=TODAY))["ages"]
    assert ages.rows == [["0-30", 1, D("40.00")], ["31-60", 1, D("50.00")], ["61-90", 1, D("10.00")],
                         ["90+", 1, D("15.00")]]


def test_collection_filtered_by_platform_and_shop(orders):
    tables = by_key(collection_analysis(today=TODAY, platform="TMALL", shop="A"))
    assert [r[:3] for r in tables["groups"].rows] == [["TMALL", "A", "2026-09"], ["TMALL", "A", "2026-10"]]
    assert tables["months"].rows[-1] == ["2026-11", D("0.00"), D("60.00")]


def test_rate_rounds_half_up_and_has_no_value_without_a_denominator():
    assert rate(D("15.50"), D("200.00")) == D("7.8")
    assert rate(D("1"), D("0")) is None


def test_courier_overcharge_and_recovery_rates(known):
    rates, reasons = courier_analysis()
    assert rates.rows == [
        ["YTO", "2026-10", D("100.00"), 2, D("10.00"), D("10.0"), D("0.00"), D("0.0")],
        ["ZTO", "2026-10", D("200.00"), 3, D("15.50"), D("7.8"), D("5.50"), D("35.5")],
        ["ZTO", "2026-11", D("50.00"), 1, D("2.25"), D("4.5"), D("0.00"), D("0.0")],
    ]
    assert reasons.rows == [["重量超收", D("18.50"), 3], ["运费超收", D("9.25"), 2], ["运费少收", D("0.00"), 1]]


def test_courier_analysis_by_date_range(known):
    rates, _reasons = courier_analysis(date_from=date(2026, 11, 1), date_to=date(2026, 11, 30))
    assert rates.rows == [["ZTO", "2026-11", D("50.00"), 1, D("2.25"), D("4.5"), D("0.00"), D("0.0")]]


def test_returns_by_type_and_recovery(known):
    by_type, recovery = returns_analysis()
    assert by_type.rows == [["ZTO", "2026-10", "已退款，退货未收到", 1, D("8.00"), D("6.00")],
                            ["ZTO", "2026-10", "退货破损", 1, D("1.00"), D("0.00")]]
    assert recovery.rows == [["ZTO", "2026-10", 2, D("9.00"), D("6.00"), D("66.7")]]


def test_analysis_downloads(known):
    tables = courier_analysis()
    book = openpyxl.load_workbook(io.BytesIO(tables_xlsx(tables)))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == ["快递公司", "月份", "账单金额", "差异", "涉及金额", "多收率", "追回金额", "追回率"]
    assert sheet["F3"].value == 7.8 and sheet["F3"].number_format == '0.0"%"'
    assert sheet["C2"].number_format == "¥#,##0.00"
    assert [c.value for c in sheet[5]][:5] == ["合计", None, "=SUM(C2:C4)", "=SUM(D2:D4)", "=SUM(E2:E4)"]
    assert sheet.freeze_panes == "A2"
    body = tables_csv(tables)
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["按快递公司和月份的多收率与追回率"]
    assert rows[3] == ["ZTO", "2026-10", "200.00", "3", "15.50", "7.8", "5.50", "35.5"]


def test_analysis_pages_and_pdf(client, manager_user, known):
    import pypdf

    client.force_login(manager_user)
    page = client.get(reverse("report-analysis", args=["couriers"])).content.decode()
    assert "7.8%" in page and "35.5%" in page and "<svg" in page
    pdf = client.get(reverse("report-analysis", args=["returns"]), {"format": "pdf"}).content
    text = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "退货分析" in text and "66.7%" in text
