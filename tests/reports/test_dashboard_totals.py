"""The totals table PostgreSQL keeps for the dashboard: after every kind of write it holds exactly the table's figures,
and the dashboard reads it (not the million rows)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from couriers.services import courier_bill_delete, courier_bill_rerun
from recon.core.models import Discrepancy, ReconRun
from recon.review.bulk import bulk_action_execute, bulk_action_submit
from recon.review.selectors import queue_totals
from recon.review.services import (
    discrepancy_resolve, discrepancy_set_status, discrepancy_shortfall_accept, discrepancy_shortfall_reopen,
)
from recon.runs import services as run_services
from recon.web.views import stakes_by_courier as live_stakes
from reports.dashboard import dashboard_figures
from reports.totals import stakes_by_courier
from tests.couriers.test_second_bill import october, submit_and_run  # noqa: F401 (a fixture)
from tests.reports.dashboard_data import build

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

GROUP = ("run_id", "period_id", "counterparty_id", "kind", "type", "status", "outcome", "shortfall_outcome", "is_claim",
         "is_current")


def _table(sql: str) -> dict:
    with connection.cursor() as c:
        c.execute(sql)
        return {tuple(r[:-3]): tuple(r[-3:]) for r in c.fetchall()}


def kept() -> dict:
    """The totals table's groups (an emptied group is deleted, so none holds zero rows)."""
    return _table(f"SELECT {', '.join(GROUP)}, row_count, amount_sum, recovered_sum FROM recon_discrepancy_totals")


def live() -> dict:
    """The same groups added up from the discrepancies themselves."""
    key = ", ".join(GROUP).replace("period_id", "coalesce(period_id, 0)").replace("counterparty_id", "coalesce(counterparty_id, 0)")
    return _table(f"SELECT {key}, count(*), sum(amount_at_stake), sum(coalesce(recovered_amount, 0)) "
                  f"FROM recon_discrepancy GROUP BY {key}")


def assert_exact():
    expected = live()
    assert kept() == expected
    return expected


def month_figures(month: date) -> dict:
    """The dashboard's month totals next to the queue's money panel over the same rows (the live aggregates)."""
    shown = dashboard_figures(month=month).totals
    rows = Discrepancy.objects.filter(is_current=True, period__start__year=month.year, period__start__month=month.month)
    panel = queue_totals(rows)["total"]
    return {k: shown[k] for k in panel}, panel


def test_a_runs_copy_a_rerun_and_a_deleted_bill_keep_the_totals_exact(october, zto, manager_user):  # noqa: F811
    _data, run_a, _xlsx = october
    first = assert_exact()
    assert sum(n for n, _a, _r in first.values()) == Discrepancy.objects.filter(run=run_a).count() == 9

    # Reconciled again: the new run's rows are current, the first run's are kept but no longer current.
    rerun = courier_bill_rerun(bill=run_a.courier_bill, user=manager_user, enqueue=False)
    run_services.run_execute(run_id=rerun.id)
    assert ReconRun.objects.get(pk=rerun.pk).status == "succeeded"
    after = assert_exact()
    assert {k[-1] for k in after if k[0] == run_a.id} == {False}
    shown, panel = month_figures(date(2026, 10, 1))
    assert shown == panel and panel["count"] == Discrepancy.objects.filter(run=rerun, is_current=True).count()

    courier_bill_delete(bill=run_a.courier_bill, user=manager_user)
    assert_exact()
    shown, panel = month_figures(date(2026, 10, 1))
    assert shown == panel and shown["count"] == 0 and shown["at_stake"] == Decimal("0.00")

    ReconRun.objects.filter(pk=run_a.pk).delete()  # its rows go with it
    assert {k[0] for k in assert_exact()} == {rerun.id}


def test_status_changes_partial_credit_and_bulk_actions_keep_the_totals_exact(manager_user, ops_user):
    data = build()
    rows = data["rows"]
    assert_exact()
    discrepancy_set_status(discrepancy=rows["Z1"], status="investigating", user=manager_user)
    # A partial credit: ¥12.00 of the ¥20.00 recovered, its ¥8.00 rest back in the queue.
    discrepancy_resolve(discrepancy=rows["Z2"], outcome="recovered", amount="12.00", user=manager_user)
    discrepancy_shortfall_reopen(discrepancy=Discrepancy.objects.get(pk=rows["Z2"].pk), user=manager_user)
    # A partial credit whose uncredited rest is accepted: ¥5.00 of ¥12.50 credited, ¥7.50 accepted.
    discrepancy_resolve(discrepancy=Discrepancy.objects.get(pk=rows["Y1"].pk), outcome="recovered", amount="5.00",
                        user=manager_user)
    discrepancy_shortfall_accept(discrepancy=Discrepancy.objects.get(pk=rows["Y1"].pk), reason="称重无误", user=manager_user)
    assert_exact()
    job = bulk_action_submit(action="status", params={"status": "disputed"}, ids=[rows["Z1"].pk, rows["S1"].pk],
                             user=manager_user)
    bulk_action_execute(bulk_action_id=job.pk)
    job = bulk_action_submit(action="assign", params={"assignee": ops_user.username}, ids=[rows["Z1"].pk], user=manager_user)
    bulk_action_execute(bulk_action_id=job.pk)
    assert Discrepancy.objects.get(pk=rows["Z1"].pk).assignee_id == ops_user.pk
    assert_exact()

    shown, panel = month_figures(date(2026, 10, 1))
    assert shown == panel
    assert (shown["count"], shown["at_stake"], shown["open"], shown["disputed"], shown["recovered"], shown["accepted"],
            shown["shortfall"], shown["informational"]) == (
        5, Decimal("72.50"), Decimal("8.00"), Decimal("30.00"), Decimal("27.00"), Decimal("7.50"), Decimal("0.00"),
        Decimal("5.00"))


def test_the_dashboard_reads_the_totals_not_the_rows(manager_user):
    data = build()
    before = dashboard_figures(month=date(2026, 10, 1))
    assert before.totals["at_stake"] == Decimal("72.50")
    with connection.cursor() as c:
        # Only the totals change: a figure that moves comes from them.
        c.execute("UPDATE recon_discrepancy_totals SET amount_sum = amount_sum + 100 WHERE run_id = %s AND type = 'rate_overcharge'",
                  [data["rows"]["Z3"].run_id])
    after = dashboard_figures(month=date(2026, 10, 1))
    assert after.totals["at_stake"] == Decimal("172.50")
    assert [t["count"] for t in after.types] == [3, 1, 1]


def test_stakes_by_courier_from_the_totals_are_the_live_ones(manager_user):
    build()
    fast = {s["counterparty__code"]: (s["count"], s["amount"], s["runs"], s["open"]) for s in stakes_by_courier()}
    assert fast == {s["counterparty__code"]: (s["count"], s["amount"], s["runs"], s["open"]) for s in live_stakes()}
    assert fast == {"ZTO": (4, Decimal("67.25"), 2, Decimal("37.25")), "YTO": (1, Decimal("12.50"), 1, Decimal("12.50"))}
