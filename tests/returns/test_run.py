"""The returns run end to end: files imported through the real import, `reconcile returns`, the queue, exports, disputes."""
import csv
import io
import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from recon.core.models import Discrepancy, ReconRun
from recon.disputes.services import dispute_create
from recon.review.services import discrepancy_set_status
from recon.runs.services import setting_change
from returns.services import returns_file_import

from .conftest import FREIGHT_HEADER, RECEIPT_HEADER, REQUEST_HEADER, csv_bytes

pytestmark = pytest.mark.django_db

REQUESTS = [
    REQUEST_HEADER,
    # Refunded, never arrived; its waybill typed with the courier's name in front.
    ["RT1", "SO1", "淘宝", "旗舰店", "中通 7530-0000-0001", "中通", "SKU-A", "2", "100.00", "退款成功", "2026-10-04", "2026-10-03 10:00", "", "", "", ""],
    # Not refunded, never arrived.
    ["RT2", "SO2", "淘宝", "旗舰店", "753000000002", "ZTO", "SKU-A", "1", "50.00", "待处理", "", "2026-10-05", "", "", "", ""],
    # Arrived: one SKU-A short, the SKU-B damaged, and an SKU-X nobody asked for.
    ["RT3", "SO3", "淘宝", "旗舰店", "753000000003", "ZTO", "SKU-A", "3", "90.00", "退款成功", "2026-10-07", "2026-10-06", "", "", "", ""],
    ["RT3", "SO3", "淘宝", "旗舰店", "753000000003", "ZTO", "SKU-B", "1", "40.00", "退款成功", "2026-10-07", "2026-10-06", "", "", "", ""],
    # Refunded on the 26th: within 7 days of grace on the 31st, overdue with 3.
    ["RT4", "SO4", "淘宝", "旗舰店", "753000000004", "ZTO", "SKU-C", "1", "60.00", "退款成功", "2026-10-27", "2026-10-26", "", "", "", ""],
]
RECEIPTS = [
    RECEIPT_HEADER,
    ["753000000003", "", "2026-10-09", "SKU-A", "2", "良品", "杭州仓", "李四"],
    ["753000000003", "", "2026-10-09", "SKU-B", "1", "破损", "杭州仓", "李四"],
    ["753000000003", "", "2026-10-09", "SKU-X", "1", "良品", "杭州仓", "李四"],
    ["753000000099", "", "2026-10-10", "SKU-Q", "1", "良品", "杭州仓", "李四"],
]
# ZTO's demo card from 浙江: ¥3.00 up to 1 kg, ¥2.60 up to 0.5 kg.
FREIGHT = [
    FREIGHT_HEADER,
    ["753000000001", "2026-10-08", "1", "8.00", "", "浙江"],
    ["753000000003", "2026-10-08", "1", "3.00", "", "浙江"],
    ["753000000003", "2026-10-09", "1", "3.00", "", "浙江"],
    ["753000000077", "2026-10-12", "0.5", "5.00", "", "浙江"],
]

EXPECTED = [
    ("refunded_not_received", "RT1", "", "", "100.00", True),
    ("return_not_received", "RT2", "", "", "0.00", False),
    ("return_quantity_short", "RT3", "", "SKU-A", "30.00", True),
    ("return_damaged", "RT3", "", "SKU-B", "40.00", True),
    ("return_wrong_item", "RT3", "", "SKU-X", "0.00", False),
    ("return_unexpected", "753000000099", "", "", "0.00", False),
    ("return_freight_not_received", "RT1", "753000000001", "", "8.00", True),
    ("return_freight_unknown", "753000000077", "", "", "5.00", True),
    ("return_freight_duplicate", "753000000003", "", "", "3.00", True),
    ("return_freight_overcharge", "753000000001", "", "", "5.00", True),
    ("return_freight_overcharge", "753000000077", "", "", "2.40", True),
]


@pytest.fixture
def manager_client(client, manager_user):
    client.force_login(manager_user)
    return client


@pytest.fixture
def returns_files(zto, demo_rate_card):
    for rows, kind, courier in ((REQUESTS, "requests", None), (RECEIPTS, "receipts", None), (FREIGHT, "freight", zto)):
        returns_file_import(file=io.BytesIO(csv_bytes(rows)), filename=f"{kind}.csv", kind=kind, courier=courier, user=None)


def reconcile(capsys, *extra) -> dict:
    call_command("reconcile", "returns", "--from", "2026-10-01", "--to", "2026-10-31", "--as-of", "2026-10-31", *extra,
                 "--sync", "--json")
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    return json.loads(out[0])


def rows(run_id: int) -> list[tuple]:
    return [(d.type, d.ref, d.ref2, d.sku, f"{d.amount_at_stake:.2f}", d.is_claim)
            for d in Discrepancy.objects.filter(run_id=run_id).order_by("id")]


def test_every_type_is_found_with_its_references_and_money(returns_files, capsys):
    result = reconcile(capsys)
    run = ReconRun.objects.get(pk=result["run_id"])
    assert (result["status"], result["kind"], run.counterparty_id) == ("succeeded", "returns", None)
    assert run.params == {"as_of": "2026-10-31", "grace_days": 7}
    assert rows(run.id) == EXPECTED
    assert result["by_type"] == {
        "refunded_not_received": {"count": 1, "amount_at_stake": "100.00"},
        "return_not_received": {"count": 1, "amount_at_stake": "0.00"},
        "return_quantity_short": {"count": 1, "amount_at_stake": "30.00"},
        "return_damaged": {"count": 1, "amount_at_stake": "40.00"},
        "return_wrong_item": {"count": 1, "amount_at_stake": "0.00"},
        "return_unexpected": {"count": 1, "amount_at_stake": "0.00"},
        "return_freight_not_received": {"count": 1, "amount_at_stake": "8.00"},
        "return_freight_unknown": {"count": 1, "amount_at_stake": "5.00"},
        "return_freight_duplicate": {"count": 1, "amount_at_stake": "3.00"},
        "return_freight_overcharge": {"count": 2, "amount_at_stake": "7.40"},
    }
    assert (run.summary["requests"], run.summary["arrived"], run.summary["pending"], run.summary["overdue"]) == (4, 1, 1, 2)
    assert (run.summary["claims"], run.summary["claim_fen"], run.summary["amount_at_stake"]) == (8, 19340, "193.40")
    # Everything the courier's parcel or charge is behind belongs to ZTO; the unexpected parcel names no courier.
    by_ref = {(d.type, d.ref): d for d in Discrepancy.objects.filter(run=run)}
    assert by_ref[("refunded_not_received", "RT1")].counterparty.code == "ZTO"
    assert by_ref[("return_freight_unknown", "753000000077")].counterparty.code == "ZTO"
    assert by_ref[("return_unexpected", "753000000099")].counterparty_id is None
    assert by_ref[("refunded_not_received", "RT1")].reason == "退货单 RT1 于 2026-10-03 申请，已退款 ¥100.00，但截至 2026-10-31（宽限 7 天）仍未收到退货。"


def test_grace_days_from_the_command_and_from_the_setting(returns_files, capsys, manager_user):
    shorter = reconcile(capsys, "--grace-days", "3")
    assert ReconRun.objects.get(pk=shorter["run_id"]).params["grace_days"] == 3
    assert [r for r in rows(shorter["run_id"]) if r[0] == "refunded_not_received"] == [
        ("refunded_not_received", "RT1", "", "", "100.00", True), ("refunded_not_received", "RT4", "", "", "60.00", True)]

    # A grace period longer than RT2's 26 days: it is pending, not overdue; RT1 still is (28 days).
    setting_change(key="returns_grace_days", value=27, user=manager_user)
    longer = reconcile(capsys)
    assert ReconRun.objects.get(pk=longer["run_id"]).params["grace_days"] == 27
    assert [r[:2] for r in rows(longer["run_id"]) if r[0].endswith("not_received")] == [
        ("refunded_not_received", "RT1"), ("return_freight_not_received", "RT1")]


def test_a_bad_grace_period_or_a_counterparty_is_refused(returns_files):
    with pytest.raises(CommandError, match="--grace-days"):
        call_command("reconcile", "returns", "--from", "2026-10-01", "--to", "2026-10-31", "--grace-days", "-1", "--sync")
    with pytest.raises(CommandError, match="^no_counterparty: 退货对账一次核对所有快递公司，请去掉 --counterparty。$"):
        call_command("reconcile", "returns", "--from", "2026-10-01", "--to", "2026-10-31", "--counterparty", "ZTO", "--sync")
    with pytest.raises(CommandError, match="^对账类型“courier_fee”不接受 --grace-days 选项。$"):
        call_command("reconcile", "courier_fee", "--from", "2026-10-01", "--to", "2026-10-31", "--grace-days", "3", "--sync")
    assert ReconRun.objects.count() == 0


def test_a_rerun_keeps_the_work_done(returns_files, capsys, manager_user):
    first = reconcile(capsys)["run_id"]
    short = Discrepancy.objects.get(run_id=first, type="return_quantity_short")
    discrepancy_set_status(discrepancy=short, status="investigating", user=manager_user)
    second = reconcile(capsys)["run_id"]
    assert rows(second) == EXPECTED
    again = Discrepancy.objects.get(run_id=second, type="return_quantity_short")
    assert (again.status, again.is_current) == ("investigating", True)
    assert Discrepancy.objects.filter(run_id=first, is_current=True).count() == 0
    assert Discrepancy.objects.filter(run_id=second, is_current=True).count() == len(EXPECTED)
    assert set(Discrepancy.objects.filter(run_id=second).exclude(pk=again.pk).values_list("status", flat=True)) == {"open"}


def run_range(capsys, start: str, end: str, as_of: str) -> int:
    call_command("reconcile", "returns", "--from", start, "--to", end, "--as-of", as_of, "--sync", "--json")
    return json.loads(capsys.readouterr().out.strip())["run_id"]


def test_a_run_over_an_overlapping_range_replaces_only_what_it_judges_again(returns_files, capsys, manager_user):
    october = run_range(capsys, "2026-10-01", "2026-10-31", "2026-11-15")
    late = Discrepancy.objects.get(run_id=october, type="refunded_not_received", ref="RT4")
    discrepancy_set_status(discrepancy=late, status="investigating", user=manager_user)
    # From the 20th: RT4 (requested on the 26th) is judged again; RT1–RT3, the stray parcel of the 10th and the unknown
    # freight of the 12th are not, and stay in the queue from the October run.
    later = run_range(capsys, "2026-10-20", "2026-11-30", "2026-11-15")
    assert sorted((d.type, d.ref, d.status) for d in Discrepancy.objects.filter(run_id=later)) == [
        ("refunded_not_received", "RT4", "investigating")]
    current = Discrepancy.objects.filter(kind="returns", is_current=True)
    assert sorted((d.run_id == later, d.type, d.ref) for d in current if d.ref in ("RT4", "RT1")) == [
        (False, "refunded_not_received", "RT1"), (False, "return_freight_not_received", "RT1"),
        (True, "refunded_not_received", "RT4")]
    assert current.count() == Discrepancy.objects.filter(run_id=october).count()
    assert Discrepancy.objects.get(pk=late.pk).is_current is False


def test_the_export_lists_kind_type_references_money_and_reason(returns_files, capsys, tmp_path):
    run_id = reconcile(capsys)["run_id"]
    out = tmp_path / "run.csv"
    call_command("export_discrepancies", str(run_id), "--format", "csv", "-o", str(out))
    table = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert {"kind", "type", "ref", "ref2", "sku", "amount_at_stake", "reason"} <= set(table[0])
    picked = [(r["kind"], r["type"], r["ref"], r["ref2"], r["sku"], r["amount_at_stake"]) for r in table[:4]]
    # Largest money first.
    assert picked == [
        ("returns", "refunded_not_received", "RT1", "", "", "100.00"),
        ("returns", "return_damaged", "RT3", "", "SKU-B", "40.00"),
        ("returns", "return_quantity_short", "RT3", "", "SKU-A", "30.00"),
        ("returns", "return_freight_not_received", "RT1", "753000000001", "", "8.00"),
    ]
    assert table[2]["reason"] == Discrepancy.objects.get(run_id=run_id, type="return_quantity_short").reason
    assert table[2]["counterparty"] == "ZTO" and len(table) == len(EXPECTED)


def test_the_queue_lists_the_kind_and_a_courier_dispute_holds_return_freight(returns_files, capsys, manager_client, manager_user):
    run_id = reconcile(capsys)["run_id"]
    page = manager_client.get("/discrepancies/", {"kind": "returns"})
    assert page.status_code == 200
    assert sorted((d.type, d.ref) for d in page.context["rows"]) == sorted((e[0], e[1]) for e in EXPECTED)
    detail = manager_client.get(f"/discrepancies/{Discrepancy.objects.get(run_id=run_id, type='return_damaged').pk}/")
    assert detail.status_code == 200
    assert [r.sku for r in detail.context["request_rows"]] == ["SKU-A", "SKU-B"]
    assert [(r.sku, r.condition) for r in detail.context["receipts"]] == [("SKU-A", "good"), ("SKU-B", "damaged"), ("SKU-X", "good")]
    assert [f"{line.fee:.2f}" for line in detail.context["freight_lines"]] == ["3.00", "3.00"]

    freight = Discrepancy.objects.filter(run_id=run_id, type__startswith="return_freight_")
    dispute = dispute_create(discrepancies=freight, user=manager_user)
    assert dispute.counterparty.code == "ZTO"
    assert (dispute.item_count, dispute.amount_claimed) == (5, Decimal("23.40"))
    assert sorted(freight.values_list("status", flat=True)) == ["disputed"] * 5


def test_the_settings_page_shows_and_changes_the_grace_period(manager_client):
    from recon.core.models import AuditEvent, Setting

    page = manager_client.get("/settings/")
    assert [(r["key"], r["value"], r["bool"]) for r in page.context["rows"]] == [
        ("ops_edit_own_only", True, True), ("returns_grace_days", 7, False), ("bank_match_window_days", 3, False),
        ("pickup_grace_hours", 24, False)]
    assert 'name="returns_grace_days" value="7"' in page.content.decode()

    saved = manager_client.post("/settings/", {"ops_edit_own_only": "on", "returns_grace_days": "10"}, follow=True)
    assert [str(m) for m in saved.context["messages"]] == ["设置已保存。"]
    assert Setting.objects.get(key="returns_grace_days").value == 10
    assert AuditEvent.objects.get(object_type="setting").changes == {"returns_grace_days": [7, 10]}

    refused = manager_client.post("/settings/", {"ops_edit_own_only": "on", "returns_grace_days": "-1"}, follow=True)
    assert [str(m) for m in refused.context["messages"]] == ["“returns_grace_days”须为 0 或以上的整数。"]
    assert Setting.objects.get(key="returns_grace_days").value == 10
