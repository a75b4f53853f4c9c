"""The totals table PostgreSQL keeps for the dashboard: after every kind of write it holds exactly the table's figures,
and the dashboard reads it (not the million rows)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from couriers.services import courier_bill_delete, courier_bill_rerun
from recon.core.models import Discrepancy, ReconRun
from recon.review.selectors import queue_totals
from recon.runs import services as run_services
from recon.web.views import stakes_by_courier as live_stakes
from reports.dashboard import dashboard_figures
from reports.months import discrepancy_month_q
from reports.totals import stakes_by_courier
from tests.couriers.test_second_bill import october, submit_and_run  # noqa: F401 (a fixture)
from tests.reports.dashboard_data import work_the_rows

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

GROUP = ("run_id", "period_id", "counterparty_id", "kind", "type", "status", "outcome", "shortfall_outcome", "is_claim",
         "is_current", "unperiodised_month")


def _table(sql: str) -> dict:
    with connection.cursor() as c:
        c.execute(sql)
        return {tuple(r[:-3]): tuple(r[-3:]) for r in c.fetchall()}


def kept() -> dict:
    """The totals table's groups (an emptied group is deleted, so none holds zero rows)."""
    return _table(f"SELECT {', '.join(GROUP)}, row_count, amount_sum, recovered_sum FROM recon_discrepancy_totals")


def live() -> dict:
    """The same groups added up from the discrepancies themselves, the month of a row without a period by
    reports.months (computed here in Python, not by the migration's SQL)."""
    from reports.months import unperiodised_month_q

    months = {}
    for first in [date(y, m, 1) for y in (2025, 2026, 2027) for m in range(1, 13)]:
        for pk in Discrepancy.objects.filter(unperiodised_month_q(first)).values_list("id", flat=True):
            months[pk] = first
    groups: dict = {}
    for d in Discrepancy.objects.order_by("id"):
        key = (d.run_id, d.period_id or 0, d.counterparty_id or 0, d.kind, d.type, d.status, d.outcome, d.shortfall_outcome,
               d.is_claim, d.is_current, date(1, 1, 1) if d.period_id else months[d.id])
        n, amount, recovered = groups.get(key, (0, Decimal("0.00"), Decimal("0.00")))
        groups[key] = (n + 1, amount + d.amount_at_stake, recovered + (d.recovered_amount or 0))
    return groups


def assert_exact():
    expected = live()
    assert kept() == expected
    return expected


def month_figures(month: date) -> dict:
    """The dashboard's month totals next to the queue's money panel over the same rows (the live aggregates)."""
    shown = dashboard_figures(month=month).totals
    rows = Discrepancy.objects.filter(discrepancy_month_q(month))
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
    assert {k[GROUP.index("is_current")] for k in after if k[0] == run_a.id} == {False}
    shown, panel = month_figures(date(2026, 10, 1))
    assert shown == panel and panel["count"] == Discrepancy.objects.filter(run=rerun, is_current=True).count()

    courier_bill_delete(bill=run_a.courier_bill, user=manager_user)
    assert_exact()
    shown, panel = month_figures(date(2026, 10, 1))
    assert shown == panel and shown["count"] == 0 and shown["at_stake"] == Decimal("0.00")

    ReconRun.objects.filter(pk=run_a.pk).delete()  # its rows go with it
    assert {k[0] for k in assert_exact()} == {rerun.id}


def test_status_changes_partial_credit_and_bulk_actions_keep_the_totals_exact(manager_user, ops_user, dashboard_data):
    rows = dashboard_data["rows"]
    work_the_rows(rows, manager=manager_user, ops=ops_user, check=assert_exact)
    assert Discrepancy.objects.get(pk=rows["Z1"].pk).assignee_id == ops_user.pk
    assert_exact()

    shown, panel = month_figures(date(2026, 10, 1))
    assert shown == panel
    assert (shown["count"], shown["at_stake"], shown["open"], shown["disputed"], shown["recovered"], shown["accepted"],
            shown["shortfall"], shown["informational"]) == (
        5, Decimal("72.50"), Decimal("8.00"), Decimal("30.00"), Decimal("27.00"), Decimal("7.50"), Decimal("0.00"),
        Decimal("5.00"))


def test_the_dashboard_reads_the_totals_not_the_rows(manager_user, dashboard_data):
    before = dashboard_figures(month=date(2026, 10, 1))
    assert before.totals["at_stake"] == Decimal("72.50")
    with connection.cursor() as c:
        # Only the totals change: a figure that moves comes from them.
        c.execute("UPDATE recon_discrepancy_totals SET amount_sum = amount_sum + 100 WHERE run_id = %s AND type = 'rate_overcharge'",
                  [dashboard_data["rows"]["Z3"].run_id])
    after = dashboard_figures(month=date(2026, 10, 1))
    assert after.totals["at_stake"] == Decimal("172.50")
    assert [t["count"] for t in after.types] == [3, 1, 1]


def test_stakes_by_courier_from_the_totals_are_the_live_ones(manager_user, dashboard_data):
    fast = {s["counterparty__code"]: (s["count"], s["amount"], s["runs"], s["open"]) for s in stakes_by_courier()}
    assert fast == {s["counterparty__code"]: (s["count"], s["amount"], s["runs"], s["open"]) for s in live_stakes()}
    assert fast == {"ZTO": (4, Decimal("67.25"), 2, Decimal("37.25")), "YTO": (1, Decimal("12.50"), 1, Decimal("12.50"))}


def test_rows_without_a_period_are_kept_under_their_month(without_counterparty):
    extra = without_counterparty
    assert_exact()
    assert kept()[(extra["run"].id, 0, 0, "returns", "refunded_not_received", "open", "", "", True, True, date(2026, 10, 1))] == (
        1, Decimal("199.00"), Decimal("0.00"))
    shown, panel = month_figures(date(2026, 10, 1))
    assert shown == panel and (shown["count"], shown["at_stake"]) == (7, Decimal("271.50"))
    shown, panel = month_figures(date(2026, 9, 1))
    assert shown == panel and (shown["count"], shown["at_stake"]) == (2, Decimal("8.25"))
    # A return dated another month moves there, and its run's deletion takes it away.
    Discrepancy.objects.filter(pk=extra["R1"].pk).update(occurred_on=date(2026, 9, 30))
    assert_exact()
    assert month_figures(date(2026, 9, 1))[0]["at_stake"] == Decimal("207.25")
    extra["run"].delete()
    assert_exact()
    assert month_figures(date(2026, 10, 1))[0]["at_stake"] == Decimal("72.50")
