"""A real Celery worker process takes a queued bill to a finished run (Redis and PostgreSQL in CI)."""
from datetime import date
from decimal import Decimal

import pytest

from couriers.services import courier_bill_submit, rate_card_import
from orders.services import shipments_bulk_create
from couriers.demo_data import generate, rate_card_frame, write_messy_csv
from tests.conftest import wait_for_run

# serialized_rollback restores the couriers the data migration created once the flush has emptied the tables
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_worker_reconciles_a_queued_bill(live_worker, tmp_path):
    from couriers.models import Courier

    zto = Courier.objects.get(code="ZTO")
    card = tmp_path / "card.xlsx"
    rate_card_frame().to_excel(card, index=False)
    with open(card, "rb") as fh:
        rate_card_import(file=fh, filename="card.xlsx", courier=zto, effective_from=date(2026, 1, 1))
    data = generate(300, seed=31)
    records = data.shipments.assign(shipped_at=data.shipments["shipped_at"].dt.strftime("%Y-%m-%d %H:%M:%S"))
    shipments_bulk_create(records=records.astype(object).where(records.notna(), None).to_dict("records"))
    path = tmp_path / "bill.csv"
    write_messy_csv(data.bill, path)
    with open(path, "rb") as fh:
        submission = courier_bill_submit(file=fh, filename="bill.csv", courier=zto, period="2026-10")
    run = wait_for_run(submission.run.id)
    assert run.status == "succeeded", (run.error_code, run.error)
    assert run.summary["lines"] == len(data.bill)
    for t, e in data.expected.items():
        assert run.summary["by_type"][t]["count"] == e["count"]
        assert Decimal(run.summary["by_type"][t]["amount_at_stake"]) == Decimal(e["amount_fen"]) / 100
