"""Return freight billed inside a courier bill (业务类型 = 退件/退回/逆向/退货): handed to returns, never checked as
courier fees; a bill without the column is read as before."""
from datetime import datetime
from decimal import Decimal

import pandas as pd
import pytest
from django.utils import timezone

from couriers.demo_data import generate, write_messy_csv
from couriers.models import CourierBillLine
from recon.core.models import Discrepancy
from returns.models import ReturnFreightLine
from tests.couriers.test_bill_reconciliation import assert_matches_injected, load_shipments, submit_and_run

pytestmark = pytest.mark.django_db


def bill_with_returns(data) -> tuple[pd.DataFrame, str]:
    """The demo bill with a 业务类型 column and three return lines appended: two waybills that are no shipment of ours
    (unknown_waybill if checked) and one of our own waybills carried back (a duplicate_charge if checked)."""
    bill = data.bill.copy()
    bill["业务类型"] = "正常件"
    ours = bill["运单号"].iloc[0]
    returns = pd.DataFrame([
        {"运单号": "75319990001", "揽收时间": "2026-10-05 09:00:00", "目的省份": "江苏省", "计费重量(kg)": "1.2", "运费(元)": "6.50", "业务类型": "退件"},
        {"运单号": "75319990002", "揽收时间": "2026-10-06 10:30:00", "目的省份": "四川省", "计费重量(kg)": "0.4", "运费(元)": "12.00", "业务类型": "逆向件"},
        {"运单号": ours, "揽收时间": "2026-10-28 16:00:00", "目的省份": "广东省", "计费重量(kg)": "2.5", "运费(元)": "8.00", "业务类型": " 退回 "},
    ])
    return pd.concat([bill, returns], ignore_index=True), ours


def test_return_lines_of_a_bill_become_return_freight_and_no_courier_fee_discrepancy(demo_rate_card, zto, no_enqueue, tmp_path):
    data = generate(100, seed=4)
    load_shipments(data)
    bill, ours = bill_with_returns(data)
    path = tmp_path / "zto-2026-10-with-returns.csv"
    write_messy_csv(bill, path)

    run = submit_and_run(path, zto)

    assert run.status == "succeeded", (run.error_code, run.error)
    # Courier fees sees the bill as if the return lines were never there: exactly what was injected, no more.
    assert_matches_injected(run, data.expected)
    assert run.summary["lines"] == len(data.bill) == 101
    assert run.summary["handed_over"] == {"returns": 3}
    assert run.summary["file_totals_match"] is True
    assert run.courier_bill.line_count == 101
    assert CourierBillLine.objects.filter(bill=run.courier_bill).count() == 101
    assert not Discrepancy.objects.filter(run=run, ref__in=["75319990001", "75319990002"]).exists()
    assert Discrepancy.objects.filter(run=run, type="duplicate_charge", ref=ours).count() == 0

    freight = list(ReturnFreightLine.objects.order_by("line_no").values(
        "source_id", "courier_id", "waybill_no", "fee", "billed_weight_g", "origin_province", "origin_province_raw", "line_no", "billed_at"))
    tz = timezone.get_current_timezone()
    assert freight == [
        {"source_id": run.courier_bill.pk, "courier_id": zto.pk, "waybill_no": "75319990001", "fee": Decimal("6.50"),
         "billed_weight_g": 1200, "origin_province": "江苏", "origin_province_raw": "江苏省", "line_no": 102,
         "billed_at": datetime(2026, 10, 5, 9, 0, tzinfo=tz)},
        {"source_id": run.courier_bill.pk, "courier_id": zto.pk, "waybill_no": "75319990002", "fee": Decimal("12.00"),
         "billed_weight_g": 400, "origin_province": "四川", "origin_province_raw": "四川省", "line_no": 103,
         "billed_at": datetime(2026, 10, 6, 10, 30, tzinfo=tz)},
        {"source_id": run.courier_bill.pk, "courier_id": zto.pk, "waybill_no": ours, "fee": Decimal("8.00"),
         "billed_weight_g": 2500, "origin_province": "广东", "origin_province_raw": "广东省", "line_no": 104,
         "billed_at": datetime(2026, 10, 28, 16, 0, tzinfo=tz)},
    ]


def test_a_rerun_of_the_bill_keeps_the_return_lines_out(demo_rate_card, zto, no_enqueue, tmp_path):
    from couriers.services import courier_bill_rerun
    from recon.runs import services as run_services
    from recon.core.models import ReconRun

    data = generate(100, seed=4)
    load_shipments(data)
    bill, _ours = bill_with_returns(data)
    path = tmp_path / "zto-2026-10-with-returns.csv"
    write_messy_csv(bill, path)
    first = submit_and_run(path, zto)

    again = courier_bill_rerun(bill=first.courier_bill, enqueue=False)
    run_services.run_execute(run_id=again.id)
    again = ReconRun.objects.get(id=again.id)

    assert again.status == "succeeded", (again.error_code, again.error)
    assert_matches_injected(again, data.expected)
    assert again.summary["handed_over"] == {"returns": 3}
    assert ReturnFreightLine.objects.count() == 3


def test_a_bill_whose_type_column_says_nothing_of_returns_is_all_courier_fees(demo_rate_card, zto, no_enqueue, tmp_path):
    data = generate(100, seed=4)
    load_shipments(data)
    bill = data.bill.assign(业务类型="正常件")
    path = tmp_path / "zto-2026-10-typed.csv"
    write_messy_csv(bill, path)

    run = submit_and_run(path, zto)

    assert_matches_injected(run, data.expected)
    assert run.summary["lines"] == 101
    assert run.summary["handed_over"] == {}
    assert ReturnFreightLine.objects.count() == 0


def test_a_bill_of_return_freight_only_is_a_bill_with_no_courier_fee_line(demo_rate_card, zto, no_enqueue, tmp_path):
    data = generate(100, seed=4)
    load_shipments(data)
    bill, _ours = bill_with_returns(data)
    path = tmp_path / "zto-2026-10-returns-only.csv"
    write_messy_csv(bill.tail(3).reset_index(drop=True), path)

    run = submit_and_run(path, zto)

    assert run.status == "succeeded", (run.error_code, run.error)
    assert (run.summary["lines"], run.summary["handed_over"], run.summary["billed_total"]) == (0, {"returns": 3}, "0.00")
    assert run.summary["file_totals_match"] is True
    # Nothing is checked: the only discrepancies are our October shipments that no bill of the period bills yet.
    assert set(Discrepancy.objects.filter(run=run).values_list("type", flat=True)) == {"not_billed"}
    assert list(ReturnFreightLine.objects.order_by("line_no").values_list("line_no", "fee")) == [
        (1, Decimal("6.50")), (2, Decimal("12.00")), (3, Decimal("8.00"))]

    from couriers.services import courier_bill_rerun
    from recon.core.models import ReconRun
    from recon.runs import services as run_services

    again = courier_bill_rerun(bill=run.courier_bill, enqueue=False)
    run_services.run_execute(run_id=again.id)
    again = ReconRun.objects.get(id=again.id)
    assert (again.status, again.summary["lines"], again.summary["handed_over"]) == ("succeeded", 0, {"returns": 3})
    assert ReturnFreightLine.objects.count() == 3


def test_a_deleted_bills_return_freight_counts_for_nothing_in_the_returns_run(demo_rate_card, zto, no_enqueue, tmp_path, manager_user):
    """The return lines a bill handed over leave the returns run with the bill, and come back when it is restored."""
    import json
    from io import StringIO

    from django.core.management import call_command

    from couriers.services import courier_bill_delete, courier_bill_restore

    data = generate(100, seed=4)
    load_shipments(data)
    bill, _ours = bill_with_returns(data)
    path = tmp_path / "zto-2026-10-with-returns.csv"
    write_messy_csv(bill, path)
    run = submit_and_run(path, zto)
    assert run.status == "succeeded"

    def freight_found() -> list[tuple[str, str, str]]:
        out = StringIO()
        call_command("reconcile", "returns", "--from", "2026-10-01", "--to", "2026-10-31", "--as-of", "2026-11-20", "--sync", "--json", stdout=out)
        returns_run = json.loads(out.getvalue().splitlines()[-1])
        return sorted(Discrepancy.objects.filter(run_id=returns_run["run_id"], is_current=True).values_list("type", "ref", "amount_at_stake"))

    # No return request exists: each handed-over line is freight for a waybill in no request, and the demo card
    # prices each of them lower than billed (from the sender's province).
    handed_over = [
        ("return_freight_overcharge", _ours, Decimal("1.50")), ("return_freight_overcharge", "75319990001", Decimal("2.50")),
        ("return_freight_overcharge", "75319990002", Decimal("9.00")), ("return_freight_unknown", _ours, Decimal("8.00")),
        ("return_freight_unknown", "75319990001", Decimal("6.50")), ("return_freight_unknown", "75319990002", Decimal("12.00")),
    ]
    assert freight_found() == handed_over
    courier_bill_delete(bill=run.courier_bill, user=manager_user)
    assert freight_found() == []
    courier_bill_restore(bill=run.courier_bill, user=manager_user)
    assert freight_found() == handed_over
