"""The settlement run end to end on rows in the database: `reconcile settlement`, one platform or all, the as-of time,
carry-over on a rerun, the export, the discrepancy's page."""
import csv
import io
import json
from datetime import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from orders.models import Order, Platform
from payments.models import SettlementLine
from recon.core.models import Discrepancy, ReconPeriod, ReconRun
from recon.review.services import discrepancy_set_status

pytestmark = pytest.mark.django_db


def at(text: str) -> datetime:
    return timezone.make_aware(datetime.fromisoformat(text))


def order(platform: Platform, no: str, amount: str, paid: str, refund: str = "0", status: str = "completed") -> Order:
    return Order.objects.create(platform=platform, order_no=no, shop="旗舰店", status=status, paid_at=at(paid),
                                order_amount=Decimal(amount), refund_amount=Decimal(refund))


def line(platform: Platform, sid: str, no: str, btype: str, amount: str, when: str) -> SettlementLine:
    return SettlementLine.objects.create(platform=platform, settlement_id=sid, order_no=no, occurred_at=at(when),
                                         business_type=btype, amount=Decimal(amount))


@pytest.fixture
def platforms(db):
    Platform.objects.filter(code="TMALL").update(fee_rate=Decimal("0.05"), settle_within_days=15)
    Platform.objects.filter(code="JD").update(fee_rate=Decimal("0.006"), settle_within_days=7)
    return Platform.objects.get(code="TMALL"), Platform.objects.get(code="JD")


@pytest.fixture
def october(platforms):
    tmall, jd = platforms
    order(tmall, "T1", "100.00", "2026-10-03 10:00")
    line(tmall, "S-T1-1", "T1", "payment", "90.00", "2026-10-06 09:00")
    line(tmall, "S-T1-2", "T1", "fee", "-4.50", "2026-10-06 09:00")
    order(tmall, "T2", "100.00", "2026-10-04 10:00", refund="20.00")
    line(tmall, "S-T2-1", "T2", "payment", "100.00", "2026-10-07 09:00")
    line(tmall, "S-T2-2", "T2", "refund", "-25.00", "2026-10-09 09:00")
    line(tmall, "S-T2-3", "T2", "fee", "-5.00", "2026-10-07 09:00")
    order(tmall, "T3", "50.00", "2026-10-05 10:00")                       # never settled, 26 days on the 31st
    order(tmall, "T4", "60.00", "2026-10-20 10:00")                       # not settled yet, 11 days: not overdue
    order(tmall, "T5", "80.00", "2026-10-06 10:00")
    line(tmall, "S-T5-1", "T5", "payment", "80.10", "2026-10-08 09:00")
    line(tmall, "S-T5-2", "T5", "fee", "-4.00", "2026-10-08 09:00")
    order(tmall, "T6", "30.00", "2026-10-02 10:00", status="closed")       # closed: never unpaid
    order(tmall, "T7", "100.00", "2026-10-10 10:00")                      # paid out on the 31st in the afternoon
    line(tmall, "S-T7-1", "T7", "payment", "100.00", "2026-10-31 15:00")
    line(tmall, "S-T7-2", "T7", "fee", "-5.00", "2026-10-31 15:00")
    line(tmall, "S-X1", "X999", "payment", "12.00", "2026-10-12 11:00")   # an order we do not have
    line(tmall, "S-X2", "X998", "payment", "13.00", "2026-11-01 11:00")   # after the range
    line(jd, "S-T3", "T3", "payment", "50.00", "2026-10-12 11:00")        # a Tmall order number on JD
    order(jd, "J1", "200.00", "2026-10-01 10:00")                         # JD settles within 7 days


EXPECTED = [
    ("order_unpaid", "JD", "J1", "", "198.80", True),
    ("order_unpaid", "TMALL", "T3", "", "47.50", True),
    ("settlement_amount_mismatch", "TMALL", "T1", "", "10.00", True),
    ("settlement_amount_mismatch", "TMALL", "T5", "", "-0.10", False),
    ("refund_mismatch", "TMALL", "T2", "", "5.00", True),
    ("fee_overcharge", "TMALL", "T2", "", "1.00", True),
    ("settlement_unknown_order", "JD", "S-T3", "T3", "50.00", False),
    ("settlement_unknown_order", "TMALL", "S-X1", "X999", "12.00", False),
]


def reconcile(capsys, *extra, as_of="2026-10-31") -> dict:
    call_command("reconcile", "settlement", "--from", "2026-10-01", "--to", "2026-10-31", "--as-of", as_of, *extra,
                 "--sync", "--json")
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    return json.loads(out[0])


def rows(run_id: int) -> list[tuple]:
    return [(d.type, d.counterparty.code, d.ref, d.ref2, f"{d.amount_at_stake:.2f}", d.is_claim)
            for d in Discrepancy.objects.filter(run_id=run_id).select_related("counterparty").order_by("id")]


def test_every_type_is_found_with_its_references_money_and_platform(october, capsys):
    result = reconcile(capsys)
    run = ReconRun.objects.get(pk=result["run_id"])
    assert (result["status"], result["kind"], run.counterparty_id) == ("succeeded", "settlement", None)
    assert run.params == {"as_of": "2026-10-31", "platform": ""}
    assert rows(run.id) == EXPECTED
    assert result["by_type"] == {
        "order_unpaid": {"count": 2, "amount_at_stake": "246.30"},
        "settlement_amount_mismatch": {"count": 2, "amount_at_stake": "9.90"},
        "refund_mismatch": {"count": 1, "amount_at_stake": "5.00"},
        "fee_overcharge": {"count": 1, "amount_at_stake": "1.00"},
        "settlement_unknown_order": {"count": 2, "amount_at_stake": "62.00"},
    }
    assert (run.summary["orders"], run.summary["claims"], run.summary["claim_fen"], run.summary["amount_at_stake"]) == (
        8, 5, 26230, "262.30")
    by_ref = {(d.type, d.ref): d for d in Discrepancy.objects.filter(run=run)}
    unpaid = by_ref[("order_unpaid", "T3")]
    assert unpaid.reason == ("订单 T3 于 2026-10-05 付款，应收 ¥50.00，但截至 2026-10-31（已过 26 天，约定 15 天内结算）仍未结算货款；"
                             "扣除费用 ¥2.50 后应收 ¥47.50。")
    assert (unpaid.theirs_amount, unpaid.ours_amount, str(unpaid.occurred_on)) == (Decimal("0.00"), Decimal("47.50"), "2026-10-05")
    excess = by_ref[("settlement_amount_mismatch", "T5")]
    assert (excess.direction, excess.theirs_amount, excess.ours_amount) == ("by_us", Decimal("80.10"), Decimal("80.00"))
    assert by_ref[("fee_overcharge", "T2")].reason == "订单 T2：扣费 ¥5.00；(¥100.00 − ¥20.00) × 5% = ¥4.00：多扣 ¥1.00。"
    assert by_ref[("fee_overcharge", "T2")].details == {
        "platform_code": "TMALL", "shop": "旗舰店", "order_id": Order.objects.get(order_no="T2").id, "line_id": None,
        "order_fen": 10000, "refund_fen": 2000, "paid_fen": 10000, "refunded_fen": 2500, "fees_fen": 500, "expected_fee_fen": 400}
    assert by_ref[("settlement_unknown_order", "S-X1")].details["line_id"] == SettlementLine.objects.get(settlement_id="S-X1").id
    # Each platform's discrepancies are in that platform's period.
    tmall = Platform.objects.get(code="TMALL")
    assert by_ref[("refund_mismatch", "T2")].period == ReconPeriod.objects.get(counterparty=tmall.counterparty)


def test_an_as_of_time_leaves_out_a_payment_booked_after_it(october, capsys):
    result = reconcile(capsys, as_of="2026-10-31 14:30")
    run = ReconRun.objects.get(pk=result["run_id"])
    assert run.params["as_of"] == "2026-10-31 14:30"
    assert [r for r in rows(run.id) if r[0] == "order_unpaid"] == [
        ("order_unpaid", "JD", "J1", "", "198.80", True), ("order_unpaid", "TMALL", "T3", "", "47.50", True),
        ("order_unpaid", "TMALL", "T7", "", "95.00", True)]
    assert Discrepancy.objects.get(run=run, ref="T7").reason.startswith("订单 T7 于 2026-10-10 付款，应收 ¥100.00，但截至 2026-10-31 14:30")


def test_one_platform_only_and_its_rows_replace_only_its_own(october, capsys):
    everything = reconcile(capsys)["run_id"]
    jd_only = reconcile(capsys, "--counterparty", "JD")
    run = ReconRun.objects.get(pk=jd_only["run_id"])
    assert run.counterparty.code == "JD" and run.params == {"as_of": "2026-10-31", "platform": "JD"}
    assert rows(run.id) == [e for e in EXPECTED if e[1] == "JD"]
    # The first run's Tmall rows stay in the queue; its JD rows gave way to the JD run's.
    current = Discrepancy.objects.filter(kind="settlement", is_current=True)
    assert set(current.filter(run_id=everything).values_list("counterparty__code", flat=True)) == {"TMALL"}
    assert current.count() == len(EXPECTED)


def test_a_counterparty_that_is_not_a_platform_is_refused(october, zto):
    with pytest.raises(CommandError, match="^not_a_platform: “ZTO”不是销售平台；平台结算按平台对账。$"):
        call_command("reconcile", "settlement", "--from", "2026-10-01", "--to", "2026-10-31", "--counterparty", "ZTO", "--sync")
    assert ReconRun.objects.count() == 0


def test_a_rerun_keeps_the_work_done(october, capsys, manager_user):
    first = reconcile(capsys)["run_id"]
    short = Discrepancy.objects.get(run_id=first, type="settlement_amount_mismatch", ref="T1")
    discrepancy_set_status(discrepancy=short, status="investigating", user=manager_user)
    second = reconcile(capsys)["run_id"]
    assert rows(second) == EXPECTED
    again = Discrepancy.objects.get(run_id=second, type="settlement_amount_mismatch", ref="T1")
    assert (again.status, again.is_current) == ("investigating", True)
    assert Discrepancy.objects.filter(run_id=first, is_current=True).count() == 0
    assert set(Discrepancy.objects.filter(run_id=second).exclude(pk=again.pk).values_list("status", flat=True)) == {"open"}


def test_the_export_lists_kind_type_references_money_and_reason(october, capsys, tmp_path):
    run_id = reconcile(capsys)["run_id"]
    out = tmp_path / "run.csv"
    call_command("export_discrepancies", str(run_id), "--format", "csv", "-o", str(out))
    table = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert list(table[0]) == ["type", "type_label", "status", "amount_at_stake", "settled", "expected", "occurred_on", "shop",
                              "run_id", "reason", "kind", "ref", "ref2", "sku", "counterparty"]
    # Largest money first.
    assert [(r["kind"], r["type"], r["ref"], r["ref2"], r["sku"], r["amount_at_stake"], r["counterparty"]) for r in table] == [
        ("settlement", "order_unpaid", "J1", "", "", "198.80", "JD"),
        ("settlement", "settlement_unknown_order", "S-T3", "T3", "", "50.00", "JD"),
        ("settlement", "order_unpaid", "T3", "", "", "47.50", "TMALL"),
        ("settlement", "settlement_unknown_order", "S-X1", "X999", "", "12.00", "TMALL"),
        ("settlement", "settlement_amount_mismatch", "T1", "", "", "10.00", "TMALL"),
        ("settlement", "refund_mismatch", "T2", "", "", "5.00", "TMALL"),
        ("settlement", "fee_overcharge", "T2", "", "", "1.00", "TMALL"),
        ("settlement", "settlement_amount_mismatch", "T5", "", "", "-0.10", "TMALL"),
    ]
    t5 = table[-1]
    assert (t5["type_label"], t5["settled"], t5["expected"], t5["occurred_on"], t5["shop"]) == (
        "结算金额与订单不符", "80.10", "80.00", "2026-10-06", "旗舰店")
    assert t5["reason"] == "订单 T5：买家实付 ¥80.00，货款流水结算 ¥80.10：多结算 ¥0.10。"


def test_the_discrepancy_page_shows_the_order_its_lines_and_the_arithmetic(october, capsys, client, manager_user):
    run_id = reconcile(capsys)["run_id"]
    client.force_login(manager_user)
    fee = Discrepancy.objects.get(run_id=run_id, type="fee_overcharge")
    page = client.get(f"/discrepancies/{fee.pk}/")
    assert page.status_code == 200
    assert page.context["order"].order_no == "T2"
    assert [(line.settlement_id, f"{line.amount:.2f}") for line in page.context["settlement_lines"]] == [
        ("S-T2-1", "100.00"), ("S-T2-3", "-5.00"), ("S-T2-2", "-25.00")]
    arithmetic = page.context["arithmetic"]
    assert (arithmetic["due"], arithmetic["expected_fee"], arithmetic["fees"], arithmetic["settle_within_days"]) == (
        Decimal("80.00"), Decimal("4.00"), Decimal("5.00"), 15)
    html = page.content.decode()
    assert "计算过程" in html and "应扣费用（四舍五入到分） (5%)" in html

    stray = Discrepancy.objects.get(run_id=run_id, ref="S-X1")
    page = client.get(f"/discrepancies/{stray.pk}/")
    assert page.status_code == 200
    assert page.context["order"] is None and page.context["arithmetic"] is None
    assert [line.settlement_id for line in page.context["settlement_lines"]] == ["S-X1"]
    assert "我方没有此订单号的订单。" in page.content.decode()
