"""`manage.py reconcile KIND`: the generic command, answered by courier fees and by a kind declared in the tests."""
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import translation

from couriers.demo_data import generate, write_messy_csv
from recon.core.models import Counterparty, Discrepancy, ReconRun
from recon.review.services import discrepancy_assign
from tests.couriers.test_bill_reconciliation import load_shipments, submit_and_run

pytestmark = pytest.mark.django_db

KEYS = ["run_id", "status", "kind", "by_type"]


@pytest.fixture
def first_run(demo_rate_card, zto, no_enqueue, tmp_path):
    data = generate(120, seed=11)
    load_shipments(data)
    path = tmp_path / "zto-bill.csv"
    write_messy_csv(data.bill, path)
    run = submit_and_run(path, zto)
    assert run.status == "succeeded"
    return run


def reconcile(*args):
    out = io.StringIO()
    call_command("reconcile", *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_sync_json_reruns_the_period_bill_with_the_same_results(first_run, ops_user):
    assigned = Discrepancy.objects.filter(run=first_run, type="weight_overcharge").order_by("source_line").first()
    discrepancy_assign(discrepancy=assigned, assignee=ops_user, user=ops_user)

    [row] = reconcile("courier_fee", "--period", "2026-10", "--counterparty", "ZTO", "--sync", "--json")

    assert list(row) == KEYS
    new = ReconRun.objects.get(id=row["run_id"])
    assert new.id != first_run.id and new.courier_bill_id == first_run.courier_bill_id
    assert row["status"] == "succeeded" and row["kind"] == "courier_fee"
    assert row["by_type"] == {t: {"count": v["count"], "amount_at_stake": v["amount_at_stake"]}
                              for t, v in first_run.summary["by_type"].items()}
    assert row["by_type"]["weight_overcharge"]["count"] > 0
    carried = Discrepancy.objects.get(run=new, type="weight_overcharge", ref=assigned.ref, source_line=assigned.source_line)
    assert carried.assignee_id == ops_user.id
    assert new.params == {}


def test_from_to_and_as_of_are_kept_on_the_pending_run(first_run, no_enqueue):
    [row] = reconcile("courier_fee", "--from", "2026-09-01", "--to", "2026-10-31", "--as-of", "2026-11-05 09:30", "--json")
    run = ReconRun.objects.get(id=row["run_id"])
    assert row == {"run_id": run.id, "status": "pending", "kind": "courier_fee", "by_type": {}}
    assert run.params == {"as_of": "2026-11-05T09:30:00+08:00"}
    assert no_enqueue == [first_run.id, run.id]


def test_human_summary(first_run):
    out = io.StringIO()
    call_command("reconcile", "courier_fee", "--period", "2026-10", "--sync", stdout=out)
    run = ReconRun.objects.latest("id")
    lines = out.getvalue().splitlines()
    assert lines[0] == f"run #{run.id} courier_fee 2026-10-01..2026-10-31: succeeded"
    weight = first_run.summary["by_type"]["weight_overcharge"]
    assert f"  {'weight_overcharge':<28} {weight['count']:>8}  ¥{weight['amount_at_stake']}" in lines


@pytest.mark.parametrize(("args", "message"), [
    (["parcels", "--period", "2026-10"], "Unknown reconciliation kind “parcels”; known kinds: courier_fee, returns, settlement, bank, outbound, toy."),
    (["toy", "--period", "2026-10"], "The kind “toy” cannot be reconciled for a range of days."),
    (["courier_fee", "--period", "2026-13"],
     "Period “2026-13” is not valid: use YYYY-MM (a month), YYYY-Www (an ISO week) or YYYY-MM-DD (a day)."),
    (["courier_fee", "--from", "2026-10-01"], "Give --period, or both --from and --to."),
    (["courier_fee"], "Give --period, or both --from and --to."),
    (["courier_fee", "--period", "2026-10", "--from", "2026-10-01", "--to", "2026-10-31"],
     "Give either --period or --from/--to, not both."),
    (["courier_fee", "--from", "2026-10-32", "--to", "2026-10-31"], "--from “2026-10-32” is not a date: use YYYY-MM-DD."),
    (["courier_fee", "--from", "2026-10-31", "--to", "2026-10-01"], "--to is before --from."),
    (["courier_fee", "--period", "2026-10", "--as-of", "31/10/2026"],
     "--as-of “31/10/2026” is not valid: use “YYYY-MM-DD” or “YYYY-MM-DD HH:MM”."),
    (["courier_fee", "--period", "2026-10", "--counterparty", "NOPE"], "Unknown counterparty “NOPE”."),
    (["courier_fee", "--period", "2026-11", "--counterparty", "ZTO"],
     "Nothing to reconcile for “courier_fee” from 2026-11-01 to 2026-11-30."),
])
def test_errors_write_nothing(first_run, args, message):
    before = ReconRun.objects.count()
    toy = override_settings(RECON_EXTRA_KINDS={"toy": "tests.recon.toy_kind.SPEC"})
    with toy, translation.override("en"), pytest.raises(CommandError) as exc:
        reconcile(*args)
    assert str(exc.value) == message
    assert ReconRun.objects.count() == before


def test_a_shop_is_not_a_courier(first_run):
    Counterparty.objects.create(kind="shop", code="TMALL1", name="天猫旗舰店")
    with translation.override("en"), pytest.raises(CommandError) as exc:
        reconcile("courier_fee", "--period", "2026-10", "--counterparty", "TMALL1")
    assert str(exc.value) == "not_a_courier: “TMALL1” is not a courier; courier fees are reconciled per courier."
    assert ReconRun.objects.count() == 1


def test_messages_in_the_users_language(db):
    with translation.override("zh-hans"), pytest.raises(CommandError) as exc:
        reconcile("courier_fee", "--period", "2026-10", "--from", "2026-10-01", "--to", "2026-10-31")
    assert str(exc.value) == "请给出 --period 或 --from/--to，不能同时给出。"


def test_a_kind_declared_in_the_tests_answers_the_command(db, no_enqueue):
    shop = Counterparty.objects.create(kind="shop", code="TMALL1", name="天猫旗舰店")
    with override_settings(RECON_EXTRA_KINDS={"toy": "tests.recon.toy_kind.RECONCILING_SPEC"}):
        [row] = reconcile("toy", "--period", "2026-W44", "--counterparty", "TMALL1", "--sync", "--json")
    run = ReconRun.objects.get(id=row["run_id"])
    assert row == {"run_id": run.id, "status": "succeeded", "kind": "toy", "by_type": {}}
    assert (run.counterparty_id, str(run.period_start), str(run.period_end)) == (shop.id, "2026-10-26", "2026-11-01")
    assert no_enqueue == []
