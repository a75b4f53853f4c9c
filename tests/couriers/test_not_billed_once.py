"""A shipment of the period that no current bill charges is one "not billed" item, however many bills the period has."""
import pandas as pd
import pytest

from couriers.services import courier_bill_delete
from recon.core.models import Discrepancy
from tests.couriers.test_second_bill import submit_and_run

pytestmark = pytest.mark.django_db


def waybill(n: int) -> str:
    return f"75000000{n:05d}"


@pytest.fixture
def shipped(demo_rate_card):
    """Six ZTO parcels to 广东 in October."""
    from orders.services import shipments_bulk_create

    shipments_bulk_create(records=[
        {"waybill_no": waybill(n), "order_no": f"SO{n:04d}", "courier": "ZTO", "status": "shipped",
         "shipped_at": f"2026-10-{n:02d} 10:00:00", "weight_kg": 0.8, "province": "广东"}
        for n in range(1, 7)
    ])


def bill(path, numbers) -> None:
    rows = [[waybill(n), "2026-10-15 09:00:00", "广东省", "0.8", "3.50"] for n in numbers]
    pd.DataFrame(rows, columns=["运单号", "揽收时间", "目的省份", "计费重量(kg)", "运费(元)"]).to_csv(path, index=False)


def not_billed() -> list[tuple[str, int]]:
    return sorted(Discrepancy.objects.filter(type="not_billed", is_current=True).values_list("ref", "source_id"))


def test_a_supplementary_bill_does_not_list_again_what_the_first_bill_lists_as_not_billed(shipped, zto, no_enqueue, tmp_path):
    bill(tmp_path / "a.csv", [1, 2, 3])
    bill(tmp_path / "b.csv", [4])
    run_a = submit_and_run(tmp_path / "a.csv", zto)
    run_b = submit_and_run(tmp_path / "b.csv", zto, mode="supplement")
    assert (run_a.status, run_b.status) == ("succeeded", "succeeded")
    a = run_a.courier_bill_id

    # 5 and 6 are billed by neither bill: listed once each, by the first bill that found them; 4 is billed by b.
    assert not_billed() == [(waybill(5), a), (waybill(6), a)]
    assert run_b.summary["by_type"]["not_billed"] == {"count": 0, "amount_at_stake": "0.00"}


def test_when_the_bill_that_listed_them_is_deleted_the_other_bill_lists_them_on_its_next_run(
        shipped, zto, no_enqueue, manager_user, tmp_path):
    from couriers.services import courier_bill_rerun
    from recon.runs import services as run_services

    bill(tmp_path / "a.csv", [1, 2, 3])
    bill(tmp_path / "b.csv", [4])
    run_a = submit_and_run(tmp_path / "a.csv", zto)
    run_b = submit_and_run(tmp_path / "b.csv", zto, mode="supplement")
    courier_bill_delete(bill=run_a.courier_bill, user=manager_user)

    again = courier_bill_rerun(bill=run_b.courier_bill, user=manager_user)
    run_services.run_execute(run_id=again.id)
    # A deleted bill's items leave the queue; b, run again, now finds every shipment only a billed.
    current = Discrepancy.objects.filter(type="not_billed", is_current=True, source__deleted_at__isnull=True)
    assert sorted(current.values_list("ref", "source_id")) == [
        (waybill(n), run_b.courier_bill_id) for n in (1, 2, 3, 5, 6)]
