"""The outbound run end to end on rows in the database (`reconcile outbound`), the checks of API posts as they arrive,
the sweep once a pickup grace has passed, the morning schedule, and the page for today."""
import csv
import io
import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from couriers.models import Courier
from orders.models import Order, OrderLine, OutboundRecord, PickupScan, Platform
from recon.core.models import Discrepancy, ReconRun
from recon.review.services import discrepancy_set_status

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def order(no: str, paid: str, status: str = "paid", shipped: str | None = None, lines=()) -> Order:
    o = Order.objects.create(platform=Platform.objects.get(code="TMALL"), order_no=no, shop="旗舰店", status=status,
                             paid_at=at(paid), shipped_at=at(shipped) if shipped else None,
                             order_amount=sum((Decimal(a) for _, _, a in lines), Decimal("0")) or Decimal("10.00"))
    for n, (sku, qty, amount) in enumerate(lines, start=1):
        OrderLine.objects.create(order=o, line_no=n, sku=sku, quantity=qty, line_amount=Decimal(amount))
    return o


def outbound(no: str, order_no: str, sku: str, qty: int, waybill: str, when: str, weight_g: int = 1000) -> None:
    OutboundRecord.objects.create(outbound_no=no, order_no=order_no, sku=sku, quantity=qty, waybill_no=waybill,
                                  courier=Courier.objects.get(code="ZTO"), packed_weight_g=weight_g, outbound_at=at(when),
                                  warehouse="杭州仓", province="浙江")


def pickup(waybill: str, when: str, weight_g: int = 1000) -> None:
    PickupScan.objects.create(courier=Courier.objects.get(code="ZTO"), waybill_no=waybill, picked_up_at=at(when),
                              pickup_weight_g=weight_g, site="余杭")


@pytest.fixture
def day(db):
    """One day (2026-10-10) with one finding of each type."""
    order("A1", "2026-10-10 09:00")                                                    # nothing sent, 51 h at the as-of
    order("A2", "2026-10-10 10:00", status="shipped", shipped="2026-10-10 18:00")      # a notice without goods
    order("A3", "2026-10-10 11:00", lines=[("SKU-X", 2, "100.00")])
    outbound("OB3", "A3", "SKU-X", 3, "W3", "2026-10-10 15:00", weight_g=1000)           # one more than sold
    pickup("W3", "2026-10-10 17:00", weight_g=1200)                                       # 200 g above the packed weight
    outbound("OB4", "ZZ9", "SKU-Q", 1, "W4", "2026-10-10 12:00")                          # an order that is none of ours
    pickup("W4", "2026-10-10 13:00")
    order("A5", "2026-10-10 08:00", lines=[("SKU-Y", 1, "30.00")])
    order("A6", "2026-10-10 08:30", lines=[("SKU-Z", 1, "20.00")])
    outbound("OB5", "A5", "SKU-Y", 1, "W5", "2026-10-10 14:00")
    outbound("OB6", "A6", "SKU-Z", 1, "W5", "2026-10-10 16:00")                           # the same waybill again
    pickup("W5", "2026-10-10 15:00")
    order("A7", "2026-10-10 07:00", lines=[("SKU-Y", 1, "30.00")])
    outbound("OB7", "A7", "SKU-Y", 1, "W7", "2026-10-10 10:00")                           # never scanned
    pickup("W8", "2026-10-10 20:00")                                                      # scanned, never sent by us


def _reconcile(as_of: str = "2026-10-12 12:00") -> dict:
    out = io.StringIO()
    call_command("reconcile", "outbound", "--from", "2026-10-10", "--to", "2026-10-10", "--as-of", as_of, "--sync", "--json",
                 stdout=out)
    return json.loads(out.getvalue())


def _current(**filters) -> list[tuple]:
    return list(Discrepancy.objects.filter(kind="outbound", is_current=True, **filters).order_by("type", "ref", "ref2")
                .values_list("type", "ref", "ref2", "sku", "amount_at_stake", "is_claim", "counterparty__code"))


def test_a_day_finds_each_type_once_with_its_references_and_money(day):
    result = _reconcile()
    (run,) = result["runs"] if "runs" in result else [result]
    assert _current() == [
        ("order_not_shipped", "A1", "", "", Decimal("0.00"), False, "TMALL"),
        ("outbound_not_picked_up", "A7", "W7", "", Decimal("0.00"), False, "ZTO"),
        ("outbound_quantity_mismatch", "A3", "", "SKU-X", Decimal("50.00"), True, "TMALL"),
        ("outbound_unknown_order", "OB4", "ZZ9", "", Decimal("0.00"), False, "ZTO"),
        ("picked_up_not_outbound", "W8", "", "", Decimal("0.00"), False, "ZTO"),
        ("pickup_weight_mismatch", "A3", "W3", "", Decimal("0.00"), False, "ZTO"),
        ("shipped_not_outbound", "A2", "", "", Decimal("0.00"), False, "TMALL"),
        ("waybill_reused", "W5", "OB6", "", Decimal("0.00"), False, "ZTO"),
    ]
    stored = ReconRun.objects.get(kind="outbound")
    assert stored.status == "succeeded"
    assert stored.params == {"as_of": "2026-10-12 12:00", "grace_hours": 24}
    assert stored.summary["discrepancies"] == 8
    assert stored.summary["amount_at_stake"] == "50.00"
    late = Discrepancy.objects.get(type="order_not_shipped")
    assert late.reason == "订单 A1（TMALL）于 2026-10-10 09:00 付款，截至 2026-10-12 12:00 仓库未出库：超出允许的 48 小时 3 小时。"
    assert late.details["judged_on"] == "2026-10-10"
    assert Discrepancy.objects.get(type="waybill_reused").details["outbound_no"] == "OB6"


def test_the_grace_and_ship_within_bounds_at_the_as_of(day):
    # 2026-10-12 09:00 is exactly 48 h after A1's payment: in time; a minute later it is late.
    _reconcile("2026-10-12 09:00")
    assert not Discrepancy.objects.filter(type="order_not_shipped", is_current=True).exists()
    _reconcile("2026-10-12 09:01")
    assert Discrepancy.objects.filter(type="order_not_shipped", is_current=True).count() == 1
    # W7 left at 10:00 on the 10th: its 24 h have not all passed at 09:59 on the 11th, and have at 10:00 with no scan.
    _reconcile("2026-10-11 09:59")
    assert not Discrepancy.objects.filter(type="outbound_not_picked_up", is_current=True).exists()
    _reconcile("2026-10-11 10:00")
    assert _current(type="outbound_not_picked_up") == [("outbound_not_picked_up", "A7", "W7", "", Decimal("0.00"), False, "ZTO")]
    # W8 was scanned at 20:00 on the 10th: no outbound by 20:00 on the 11th makes it a stray scan.
    assert not Discrepancy.objects.filter(type="picked_up_not_outbound", is_current=True).exists()
    _reconcile("2026-10-11 20:00")
    assert _current(type="picked_up_not_outbound") == [("picked_up_not_outbound", "W8", "", "", Decimal("0.00"), False, "ZTO")]


def test_a_rerun_keeps_the_work_and_lists_nothing_twice(day, manager_user):
    _reconcile()
    claim = Discrepancy.objects.get(type="outbound_quantity_mismatch")
    discrepancy_set_status(discrepancy=claim, user=manager_user, status="investigating")
    _reconcile()
    assert Discrepancy.objects.filter(kind="outbound", is_current=True).count() == 8
    again = Discrepancy.objects.get(type="outbound_quantity_mismatch", is_current=True)
    assert again.id != claim.id and again.status == "investigating"


def test_the_export_lists_the_issue_s_columns(day, tmp_path):
    _reconcile()
    run = ReconRun.objects.get(kind="outbound")
    call_command("export_discrepancies", str(run.id), "--format", "csv", "-o", str(tmp_path / "out.csv"))
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out.csv").read_text(encoding="utf-8-sig"))))
    assert {"kind", "type", "ref", "ref2", "sku", "amount_at_stake", "reason"} <= set(rows[0])
    mismatch = next(r for r in rows if r["type"] == "outbound_quantity_mismatch")
    assert (mismatch["kind"], mismatch["ref"], mismatch["sku"], mismatch["amount_at_stake"]) == ("outbound", "A3", "SKU-X", "50.00")


PICKUPS_URL = "/api/v1/pickups/"


def test_a_posted_pickup_is_checked_at_once_and_a_correction_withdraws_the_finding(token_client, manager_user):
    order("B1", "2026-10-10 09:00", lines=[("SKU-Y", 1, "30.00")])
    outbound("OB9", "B1", "SKU-Y", 1, "75300000000009", "2026-10-10 10:00", weight_g=1000)
    heavy = [{"waybill_no": "75300000000009", "courier": "ZTO", "picked_up_at": "2026-10-10 12:00", "pickup_weight": "1.3"}]

    response = token_client.post(PICKUPS_URL, heavy, format="json")
    assert response.status_code == 200
    body = response.json()
    check = ReconRun.objects.get(id=body["check_run"])
    assert (body["rows"], body["checked"], body["found"]) == (1, 1, 1)
    assert check.params["trigger"] == "arrival"
    assert (check.period_start, check.period_end) == (date(2026, 10, 10), date(2026, 10, 10))
    assert _current() == [("pickup_weight_mismatch", "B1", "75300000000009", "", Decimal("0.00"), False, "ZTO")]
    found = Discrepancy.objects.get(is_current=True)
    discrepancy_set_status(discrepancy=found, user=manager_user, status="investigating")

    # The same scan again writes nothing and checks nothing.
    again = token_client.post(PICKUPS_URL, heavy, format="json").json()
    assert (again["duplicates"], again["checked"], again["check_run"]) == (1, 0, None)

    # The day's run lists it once, with its work.
    _reconcile("2026-10-10 23:00")
    assert _current(type="pickup_weight_mismatch") == [("pickup_weight_mismatch", "B1", "75300000000009", "", Decimal("0.00"), False, "ZTO")]
    assert Discrepancy.objects.get(type="pickup_weight_mismatch", is_current=True).status == "investigating"

    # The courier corrects the weight: the finding is withdrawn.
    fixed = token_client.post(PICKUPS_URL, [{**heavy[0], "pickup_weight": "1.02"}], format="json").json()
    assert (fixed["rows"], fixed["checked"], fixed["found"]) == (1, 1, 0)
    assert _current(type="pickup_weight_mismatch") == []


def test_a_posted_outbound_that_reuses_a_waybill_is_in_the_queue_at_once(token_client):
    outbound("OB1", "C1", "SKU-Y", 1, "75300000000001", "2026-10-10 10:00")
    body = token_client.post("/api/v1/outbound/", [
        {"outbound_no": "OB2", "order_no": "C2", "sku": "SKU-Y", "quantity": 1, "waybill_no": "75300000000001", "courier": "ZTO",
         "packed_weight": "1.0", "outbound_at": "2026-10-10 11:00"}], format="json").json()
    assert (body["rows"], body["checked"], body["found"]) == (1, 1, 1)
    assert _current() == [("waybill_reused", "75300000000001", "OB2", "", Decimal("0.00"), False, "ZTO")]


def test_the_sweep_reports_a_scan_no_outbound_has_once_its_grace_ends():
    from orders.outbound_checks import outbound_grace_sweep

    scanned = timezone.now() - timedelta(hours=25)
    PickupScan.objects.create(courier=Courier.objects.get(code="ZTO"), waybill_no="W-STRAY", picked_up_at=scanned)
    run = outbound_grace_sweep()
    assert run.params["trigger"] == "sweep"
    assert _current() == [("picked_up_not_outbound", "W-STRAY", "", "", Decimal("0.00"), False, "ZTO")]
    # A second sweep over the same waybill replaces the row: still one.
    outbound_grace_sweep()
    assert len(_current()) == 1


def test_the_morning_run_is_a_schedule_in_beat_s_database():
    from django_celery_beat.models import PeriodicTask

    from orders.tasks import outbound_daily_run

    daily = PeriodicTask.objects.get(name="outbound-daily")
    assert (daily.task, daily.crontab.minute, daily.crontab.hour, str(daily.crontab.timezone)) == (
        "orders.tasks.outbound_daily_run", "0", "6", "Asia/Shanghai")
    sweep = PeriodicTask.objects.get(name="outbound-grace-sweep")
    assert (sweep.task, sweep.interval.every, sweep.interval.period) == ("orders.tasks.outbound_grace_sweep", 10, "minutes")

    run_id = outbound_daily_run.apply().get()
    run = ReconRun.objects.get(id=run_id)
    yesterday = timezone.localdate() - timedelta(days=1)
    assert (run.kind, run.period_start, run.period_end) == ("outbound", yesterday, yesterday)


def test_the_page_for_today_counts_today_s_work(client, manager_user):
    now = timezone.localtime()
    today = now.strftime("%Y-%m-%d")
    order("D1", (now - timedelta(hours=60)).strftime("%Y-%m-%d %H:%M"))       # late
    order("D2", (now - timedelta(minutes=30)).strftime("%Y-%m-%d %H:%M"))     # to ship, in time
    early = min(now - timedelta(minutes=5), now.replace(hour=0, minute=1, second=0, microsecond=0))
    outbound("OBT", "D9", "SKU-Y", 1, "WT", early.strftime("%Y-%m-%d %H:%M"))
    client.force_login(manager_user)
    page = client.get(reverse("outbound-today"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="today-to-ship">2<' in html
    assert 'data-testid="today-late">1<' in html
    assert 'data-testid="today-shipped">1<' in html
    assert 'data-testid="today-not-picked-up">1<' in html
    assert today in html
    partial = client.get(reverse("outbound-today") + "?partial=1").content.decode()
    assert "<html" not in partial and 'data-testid="today-to-ship">2<' in partial
