"""Receivables (回款管理): outstanding amounts and age buckets, follow-up with its audit trail, the export, and the
collection rates."""
import csv
import io
import re
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.test import Client

from orders.models import Order, Platform
from payments.models import ReceivableFollowUp, SettlementLine
from payments.receivables import collection_rates, receivables, sales_and_collections, shanghai_today
from recon.core.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def browser(role: str) -> Client:
    client = Client()
    client.force_login(UserFactory(username=f"{role}-recv", role=role))
    return client


def at(day, hh=12, mm=0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=SHANGHAI)


def order(no, *, days_ago=None, paid_at=None, amount="100.00", refund="0", status="shipped", platform="TMALL", shop="旗舰店"):
    paid_at = paid_at or at(shanghai_today() - timedelta(days=days_ago))
    return Order.objects.create(platform=Platform.objects.get(code=platform), order_no=no, shop=shop, status=status,
                                paid_at=paid_at, order_amount=Decimal(amount), refund_amount=Decimal(refund))


seq = iter(range(1, 10_000))


def line(order_no, amount, kind="payment", platform="TMALL", occurred_at=None):
    return SettlementLine.objects.create(
        platform=Platform.objects.get(code=platform), settlement_id=f"S{next(seq)}", order_no=order_no,
        occurred_at=occurred_at or at(shanghai_today() - timedelta(days=1)), business_type=kind, amount=Decimal(amount))


def rows_of(html: bytes) -> list[list[str]]:
    out = []
    for row in re.findall(r'data-testid="receivable-row">(.*?)</tr>', html.decode(), re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        out.append([re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", c)).strip() for c in cells])
    return out


@pytest.fixture
def edges():
    """Orders paid 0, 7, 8, 30, 31, 60 and 61 days ago, one just after midnight in Shanghai (the UTC date is a day earlier)."""
    today = shanghai_today()
    for days in (0, 7, 8, 30, 31, 60, 61):
        order(f"E{days:02d}", days_ago=days)
    order("MIDNIGHT7", paid_at=at(today - timedelta(days=7), 0, 30))


def test_age_buckets_at_their_edges_by_the_payment_date_in_shanghai(edges):
    got = {o.order_no: o.age_bucket for o in receivables()}
    assert got == {"E00": "0-7", "E07": "0-7", "MIDNIGHT7": "0-7", "E08": "8-30", "E30": "8-30", "E31": "31-60",
                   "E60": "31-60", "E61": "60+"}


def test_outstanding_counts_payments_and_refunds_and_drops_settled_refunded_and_closed_orders():
    order("PART", days_ago=3, amount="100.00")
    line("PART", "60.00")
    line("PART", "-5.00", kind="refund")
    line("PART", "-3.00", kind="fee")           # a fee is not money the buyer owes
    order("REFUNDED", days_ago=3, amount="100.00", refund="100.00")
    order("HALFREFUND", days_ago=3, amount="100.00", refund="40.00")
    line("HALFREFUND", "60.00")
    order("CLOSED", days_ago=3, status="closed")
    order("OTHERPLATFORM", days_ago=3, amount="50.00")
    line("OTHERPLATFORM", "50.00", platform="JD")  # the same order number on another platform settles nothing
    order("FUTURE", days_ago=3, amount="10.00")
    line("FUTURE", "10.00", occurred_at=at(shanghai_today() + timedelta(days=2)))  # not booked yet
    got = {o.order_no: (o.due, o.settled, o.outstanding) for o in receivables()}
    assert got == {
        "PART": (Decimal("100.00"), Decimal("55.00"), Decimal("45.00")),
        "OTHERPLATFORM": (Decimal("50.00"), Decimal("0.00"), Decimal("50.00")),
        "FUTURE": (Decimal("10.00"), Decimal("0.00"), Decimal("10.00")),
    }


def test_page_shows_the_summary_and_the_list_oldest_first(edges):
    line("E08", "30.00")
    response = browser("ops").get("/payments/receivables/")
    assert response.status_code == 200
    html = response.content.decode()
    assert [r[0] for r in rows_of(response.content)] == ["E61", "E60", "E31", "E30", "E08", "MIDNIGHT7", "E07", "E00"]
    assert rows_of(response.content)[4] == ["E08", "TMALL", "旗舰店", (at(shanghai_today() - timedelta(days=8))).strftime("%Y-%m-%d %H:%M"),
                                            "100.00", "30.00", "70.00", "8", "待跟进", ""]
    summary = re.findall(r'data-testid="summary-row">(.*?)</tr>', html, re.S)
    cells = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", summary[0], re.S)]
    assert cells == ["TMALL 天猫", "3 · ¥300.00", "2 · ¥170.00", "2 · ¥200.00", "1 · ¥100.00", "8 · ¥770.00"]
    assert 'href="?platform=TMALL&amp;age=8-30"' in html
    assert "应收金额 = 订单金额 − 退款金额（未关闭的订单）" in html


def test_filters_age_platform_shop_month_and_follow_up(edges):
    order("JD1", days_ago=10, platform="JD", shop="京东店")
    client = browser("finance")
    assert [r[0] for r in rows_of(client.get("/payments/receivables/?age=8-30").content)] == ["E30", "JD1", "E08"]
    assert [r[0] for r in rows_of(client.get("/payments/receivables/?platform=JD").content)] == ["JD1"]
    assert [r[0] for r in rows_of(client.get("/payments/receivables/?shop=京东店").content)] == ["JD1"]
    month = (shanghai_today() - timedelta(days=61)).strftime("%Y-%m")
    expected = [o.order_no for o in receivables() if o.paid_date.strftime("%Y-%m") == month]
    assert [r[0] for r in rows_of(client.get(f"/payments/receivables/?paid_month={month}").content)] == expected
    ReceivableFollowUp.objects.create(order=Order.objects.get(order_no="E31"), status="promised")
    assert [r[0] for r in rows_of(client.get("/payments/receivables/?follow_up=promised").content)] == ["E31"]
    assert "E31" not in [r[0] for r in rows_of(client.get("/payments/receivables/?follow_up=open").content)]


def test_follow_up_is_saved_and_every_change_audited():
    o = order("FU1", days_ago=12)
    client = browser("finance")
    response = client.post("/payments/receivables/follow-up/", {
        "order": o.pk, f"o{o.pk}-order": o.pk, f"o{o.pk}-status": "contacted", f"o{o.pk}-note": "已电话联系平台",
        "next": "/payments/receivables/?age=8-30"})
    assert response.status_code == 302 and response["Location"] == "/payments/receivables/?age=8-30"
    client.post("/payments/receivables/follow-up/", {
        "order": o.pk, f"o{o.pk}-order": o.pk, f"o{o.pk}-status": "promised", f"o{o.pk}-note": "已电话联系平台",
        "next": "https://evil.example/"})
    follow_up = ReceivableFollowUp.objects.get(order=o)
    assert (follow_up.status, follow_up.note, follow_up.updated_by.username) == ("promised", "已电话联系平台", "finance-recv")
    events = list(AuditEvent.objects.filter(object_type="receivable_follow_up").order_by("id")
                  .values_list("object_id", "action", "changes", "note", "actor_name"))
    assert events == [
        (follow_up.pk, "create", {"status": [None, "contacted"], "note": [None, "已电话联系平台"]}, "TMALL FU1", "finance-recv"),
        (follow_up.pk, "change", {"status": ["contacted", "promised"]}, "TMALL FU1", "finance-recv"),
    ]
    rows = rows_of(browser("auditor").get("/payments/receivables/").content)
    assert rows[0][-2:] == ["已承诺", "已电话联系平台"]


def test_follow_up_is_refused_to_ops_and_a_bad_status_saves_nothing():
    o = order("FU2", days_ago=12)
    data = {"order": o.pk, f"o{o.pk}-order": o.pk, f"o{o.pk}-status": "contacted"}
    assert browser("ops").post("/payments/receivables/follow-up/", data).status_code == 403
    bad = browser("manager").post("/payments/receivables/follow-up/", {**data, f"o{o.pk}-status": "paid"})
    assert bad.status_code == 400
    assert not ReceivableFollowUp.objects.exists() and not AuditEvent.objects.filter(object_type="receivable_follow_up").exists()


def test_export_csv_is_exact(edges):
    line("E08", "30.00")
    ReceivableFollowUp.objects.create(order=Order.objects.get(order_no="E61"), status="disputed", note="=平台称已付")
    response = browser("auditor").get("/payments/receivables/export.csv?age=60%2B")
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    paid = at(shanghai_today() - timedelta(days=61)).strftime("%Y-%m-%d %H:%M:%S")
    assert list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")))) == [
        ["订单号", "平台", "店铺", "付款时间", "应收金额", "已结算", "未回款", "账龄（天）", "账龄段", "跟进状态", "备注"],
        ["E61", "TMALL", "旗舰店", paid, "100.00", "0.00", "100.00", "61", "60天以上", "有争议", "'=平台称已付"],
    ]


def test_export_excel_has_the_same_rows(edges):
    response = browser("finance").get("/payments/receivables/export.xlsx?age=8-30")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:3] == ("订单号", "平台", "店铺")
    assert [(r[0], r[6], r[7]) for r in values[1:]] == [("E30", 100, 30), ("E08", 100, 8)]


def test_collection_rates_and_sales_against_collections_are_exact():
    old = datetime(2025, 3, 10, 12, tzinfo=SHANGHAI)
    order("M1", paid_at=old, amount="100.00")
    order("M2", paid_at=old, amount="200.00", refund="50.00")
    order("M3", paid_at=datetime(2025, 3, 31, 23, 30, tzinfo=SHANGHAI), amount="33.33")  # 15:30 UTC: still March
    order("J1", paid_at=old, amount="80.00", platform="JD")
    order("CLOSED", paid_at=old, status="closed")
    line("M1", "100.00", occurred_at=datetime(2025, 4, 1, 0, 10, tzinfo=SHANGHAI))  # April in Shanghai, March in UTC
    line("M2", "200.00", occurred_at=datetime(2025, 3, 20, tzinfo=SHANGHAI))
    line("M2", "-50.00", kind="refund", occurred_at=datetime(2025, 3, 21, tzinfo=SHANGHAI))
    line("J1", "20.00", platform="JD", occurred_at=datetime(2025, 3, 21, tzinfo=SHANGHAI))
    assert [(r["month"], r["platform__code"], r["count"], r["due_total"], r["settled_total"], r["rate"])
            for r in collection_rates()] == [
        ("2025-03", "JD", 1, Decimal("80.00"), Decimal("20.00"), Decimal("25.0")),
        ("2025-03", "TMALL", 3, Decimal("283.33"), Decimal("250.00"), Decimal("88.2")),
    ]
    assert sales_and_collections() == [
        {"month": "2025-03", "sales": Decimal("363.33"), "collections": Decimal("220.00")},
        {"month": "2025-04", "sales": Decimal("0.00"), "collections": Decimal("100.00")},
    ]
    html = browser("ops").get("/payments/collections/").content.decode()
    assert "88.2%" in html and "25.0%" in html
    assert 'href="/payments/receivables/?platform=TMALL&amp;paid_month=2025-03"' in html
    assert 'href="/payments/settlements/?business_type=payment&amp;occurred_from=2025-04-01&amp;occurred_to=2025-04-30"' in html


def test_list_queries_do_not_grow_with_the_orders_and_a_bad_filter_is_no_error(edges, django_assert_max_num_queries):
    for n in range(30):
        o = order(f"MANY{n:02d}", days_ago=n % 70)
        ReceivableFollowUp.objects.create(order=o, status="contacted", note=f"n{n}")
    client = browser("finance")
    with django_assert_max_num_queries(12):
        response = client.get("/payments/receivables/")
    assert len(rows_of(response.content)) == 38
    assert client.get("/payments/receivables/?age=99&paid_month=2025-13").status_code == 200
