"""The returns overview (counts from the rows as of a day, money from the latest run) and a return's own page."""
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from couriers.models import Courier
from recon.core.models import Discrepancy, ReconRun
from returns.models import ReturnFreightLine, ReturnReceipt, ReturnRequest

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
OCTOBER = {"start": "2026-10-01", "end": "2026-10-31", "as_of": "2026-11-05", "grace_days": "7"}


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


def request_row(return_no, sku, requested_at, *, waybill="", order_no="", quantity=1, refund="0.00", status="requested", **extra):
    return ReturnRequest.objects.create(return_no=return_no, sku=sku, order_no=order_no, return_waybill_no=waybill,
                                        quantity=quantity, refund_amount=Decimal(refund), refund_status=status,
                                        requested_at=requested_at, **extra)


def receipt(waybill, sku, received_at, *, order_no="", quantity=1, condition="good", **extra):
    return ReturnReceipt.objects.create(return_waybill_no=waybill, order_no=order_no, sku=sku, quantity=quantity,
                                        condition=condition, received_at=received_at, **extra)


@pytest.fixture
def october(db):
    """Returns of October 2026 judged on 5 November with 7 days' grace.

    RT1 arrived by waybill, RT4 by order number (no waybill typed); RT2 and RT5 are overdue and refunded ¥50 + ¥80
    (RT5 at 00:30 on 1 October, Shanghai time: in the range though 30 September in UTC); RT7 (29 October: due by
    5 November inclusive) and RT3 wait within the grace period, RT7's parcel arriving only after the as-of day; RT6 is
    September's.
    """
    request_row("RT1", "SKU-A", local(2026, 10, 2, 10, 0), waybill="YT100001", quantity=2, refund="100.00", status="refunded",
                buyer_name="张三丰", buyer_phone="13812341234", buyer_address="浙江省杭州市西湖区文三路1号", reason="尺码不合适")
    request_row("RT1", "SKU-B", local(2026, 10, 2, 10, 0), waybill="YT100001", quantity=1, refund="30.00")
    request_row("RT2", "SKU-C", local(2026, 10, 3, 9, 0), waybill="YT100002", refund="50.00", status="refunded")
    request_row("RT3", "SKU-D", local(2026, 10, 31, 20, 0), waybill="YT100003", refund="20.00")
    request_row("RT4", "SKU-E", local(2026, 10, 10, 8, 0), order_no="SO4", refund="15.00", status="refunded")
    request_row("RT5", "SKU-F", local(2026, 10, 1, 0, 30), waybill="YT100005", refund="80.00", status="refunded")
    request_row("RT6", "SKU-G", local(2026, 9, 30, 23, 30), waybill="YT100006", refund="40.00", status="refunded")
    request_row("RT7", "SKU-H", local(2026, 10, 29, 12, 0), waybill="YT100007", refund="12.00", status="refunded")
    receipt("YT100001", "SKU-A", local(2026, 10, 8, 15, 0), quantity=2, warehouse="杭州仓", inspector="王五")
    receipt("YT100001", "SKU-B", local(2026, 10, 8, 15, 0), quantity=1, condition="damaged", warehouse="杭州仓", inspector="王五")
    receipt("", "SKU-E", local(2026, 10, 20, 9, 0), order_no="SO4")
    receipt("YT100007", "SKU-H", local(2026, 11, 6, 9, 0))
    zto, yto = Courier.objects.get(code="ZTO"), Courier.objects.get(code="YTO")
    ReturnFreightLine.objects.create(courier=yto, waybill_no="YT100001", fee=Decimal("6.50"), billed_weight_g=1200,
                                     origin_province="浙江", billed_at=local(2026, 10, 6, 12, 0), line_no=1)
    ReturnFreightLine.objects.create(courier=yto, waybill_no="YT100002", fee=Decimal("7.00"), line_no=2)

    def run(start, end, finished):
        return ReconRun.objects.create(kind="returns", status="succeeded", phase="done", period_start=start,
                                       period_end=end, finished_at=finished)

    older = run(date(2026, 10, 1), date(2026, 10, 31), timezone.now() - timedelta(days=1))
    latest = run(date(2026, 10, 1), date(2026, 10, 31), timezone.now())
    september = run(date(2026, 9, 1), date(2026, 9, 30), timezone.now() + timedelta(minutes=1))

    def found(r, type_, ref, stake, courier=None, claim=True, **extra):
        return Discrepancy.objects.create(run=r, kind="returns", type=type_, ref=ref, amount_at_stake=Decimal(stake),
                                          is_claim=claim, counterparty=courier.counterparty if courier else None,
                                          reason=f"{type_} {ref}", **extra)

    found(older, "refunded_not_received", "RT2", "999.00", yto)
    found(september, "refunded_not_received", "RT6", "40.00", yto)
    found(latest, "refunded_not_received", "RT2", "50.00", yto)
    found(latest, "refunded_not_received", "RT5", "80.00")
    found(latest, "return_not_received", "RT9", "0.00", yto, claim=False)
    found(latest, "return_freight_unknown", "ZT555", "8.00", zto)
    short = found(latest, "return_damaged", "RT1", "0.00", claim=False, sku="SKU-B")
    overcharge = found(latest, "return_freight_overcharge", "YT100001", "1.50", yto)
    found(latest, "return_freight_unknown", "YT100002", "7.00", yto, is_current=False)
    return {"latest": latest, "short": short, "overcharge": overcharge}


def test_the_overview_counts_the_range_as_of_the_day(october, finance_user, client, django_assert_max_num_queries):
    client.force_login(finance_user)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("return-overview"), OCTOBER)
    assert page.status_code == 200
    o = page.context["o"]
    assert o.counts == {"requests": 6, "received": 2, "pending": 2, "overdue": 2, "refunded_not_received": 2,
                        "refunded_not_received_amount": Decimal("130.00")}
    assert o.run == october["latest"]
    assert [(t["type"], t["count"], t["claims"], t["amount"]) for t in o.by_type] == [
        ("refunded_not_received", 2, 2, Decimal("130.00")),
        ("return_not_received", 1, 0, Decimal("0.00")),
        ("return_damaged", 1, 0, Decimal("0.00")),
        ("return_freight_unknown", 2, 2, Decimal("15.00")),
        ("return_freight_overcharge", 1, 1, Decimal("1.50")),
    ]
    assert [(c["counterparty__code"], c["count"], c["amount"]) for c in o.by_courier] == [
        (None, 1, Decimal("80.00")), ("YTO", 3, Decimal("58.50")), ("ZTO", 1, Decimal("8.00"))]
    assert [(r["return_no"], r["age_days"], r["overdue"], r["refunded"]) for r in o.oldest_open] == [
        ("RT5", 35, True, Decimal("80.00")), ("RT2", 33, True, Decimal("50.00")),
        ("RT7", 7, False, Decimal("12.00")), ("RT3", 5, False, Decimal("0.00"))]
    html = page.content.decode()
    assert 'data-testid="refunded-not-received">¥130.00<' in html
    assert f'href="{reverse("return-detail", args=["RT5"])}"' in html


def test_one_more_day_makes_the_last_day_of_grace_overdue(october, finance_user, client):
    client.force_login(finance_user)
    o = client.get(reverse("return-overview"), {**OCTOBER, "as_of": "2026-11-06"}).context["o"]
    # RT7's parcel is received on 6 November: it arrives that day instead of falling overdue.
    assert o.counts == {"requests": 6, "received": 3, "pending": 1, "overdue": 2, "refunded_not_received": 2,
                        "refunded_not_received_amount": Decimal("130.00")}
    o = client.get(reverse("return-overview"), {**OCTOBER, "as_of": "2026-11-08", "grace_days": "3"}).context["o"]
    assert (o.counts["pending"], o.counts["overdue"]) == (0, 3)


def test_the_overview_defaults_to_last_month_and_says_when_no_run_covers_it(october, finance_user, client, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: date(2026, 12, 15))
    client.force_login(finance_user)
    page = client.get(reverse("return-overview"))
    o = page.context["o"]
    assert (o.start, o.end, o.as_of, o.grace_days) == (date(2026, 11, 1), date(2026, 11, 30), date(2026, 12, 15), 7)
    assert o.counts["requests"] == 0 and o.run is None
    assert 'data-testid="no-run"' in page.content.decode()


def test_a_return_page_shows_what_was_asked_what_arrived_what_was_billed_and_found(october, ops_user, client):
    client.force_login(ops_user)
    page = client.get(reverse("return-detail", args=["RT1"]))
    assert page.status_code == 200
    r = page.context["r"]
    assert [(q.sku, q.quantity, q.refund_amount) for q in r.requests] == [("SKU-A", 2, Decimal("100.00")), ("SKU-B", 1, Decimal("30.00"))]
    assert [(c.sku, c.quantity, c.condition, c.inspector) for c in r.receipts] == [("SKU-A", 2, "good", "王五"), ("SKU-B", 1, "damaged", "王五")]
    assert [(f.waybill_no, f.fee, f.billed_weight_g, f.origin_province) for f in r.freight] == [("YT100001", Decimal("6.50"), 1200, "浙江")]
    assert [d.pk for d in r.discrepancies] == [october["short"].pk, october["overcharge"].pk]
    html = page.content.decode()
    for d in (october["short"], october["overcharge"]):
        assert f'href="{reverse("discrepancy-detail", args=[d.pk])}"' in html
    assert "张**" in html and "138****1234" in html and "张三丰" not in html

    ops_user.user_permissions.add(Permission.objects.get(codename="view_personal_data"))
    seer = Client()
    seer.force_login(type(ops_user).objects.get(pk=ops_user.pk))
    assert "张三丰" in seer.get(reverse("return-detail", args=["RT1"])).content.decode()


def test_a_return_without_waybill_shows_the_parcel_of_its_order(october, finance_user, client):
    client.force_login(finance_user)
    r = client.get(reverse("return-detail", args=["RT4"])).context["r"]
    assert [(c.order_no, c.sku) for c in r.receipts] == [("SO4", "SKU-E")]
    assert r.freight == [] and r.discrepancies == []


def test_an_unknown_return_is_not_found(october, finance_user, client):
    client.force_login(finance_user)
    assert client.get(reverse("return-detail", args=["RT404"])).status_code == 404
