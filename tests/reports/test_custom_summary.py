"""Custom reports on discrepancies answered from the month totals PostgreSQL keeps (reports/migrations/0007): the same
cells as the aggregate over the rows after every kind of write, and the rows are not read when the table can answer."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from itertools import combinations
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from couriers.services import courier_bill_delete, courier_bill_rerun
from recon.core.models import Discrepancy, ReconRun
from recon.runs import services as run_services
from reports.custom import definition_clean, report_run, summary_query
from tests.couriers.test_second_bill import october, submit_and_run  # noqa: F401 (fixtures)
from tests.factories import DiscrepancyFactory, ReconRunFactory
from tests.reports.dashboard_data import build, work_the_rows

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

DIMENSIONS = ["counterparty", "period", "kind", "type", "status", "month", "outcome"]
MEASURES = ["count", "at_stake", "recovered", "open", "disputed", "accepted", "written_off", "billed"]
FILTERS = [
    {},
    {"date_from": "2026-10-01", "date_to": "2026-10-31"},
    {"date_from": "2026-11-01"},
    {"date_to": "2026-09-30"},
    {"counterparty": ["ZTO"], "kind": ["courier_fee"]},
    {"type": ["weight_overcharge", "rate_overcharge"], "status": ["open", "investigating", "disputed"]},
    {"outcome": ["recovered", "written_off"], "date_from": "2026-01-01", "date_to": "2026-12-31"},
    {"counterparty": ["NOBODY"]},
]
DEFINITIONS = [
    {"source": "discrepancies", "dimensions": list(dims), "measures": MEASURES, "filters": filters}
    for filters in FILTERS
    for dims in [()] + [(d,) for d in DIMENSIONS] + [("counterparty", "month", "type"), ("month", "status", "outcome"),
                                                     ("period", "kind", "counterparty")]
] + [
    {"source": "discrepancies", "dimensions": list(dims), "measures": ["count", "open"], "filters": {}}
    for dims in combinations(DIMENSIONS, 2)
]


def undated_and_unattached():
    """A row with no date (found on 31 Oct 2026 at 23:30 in Shanghai, already 1 Nov there: month 2026-11) and a row with
    no counterparty and no period."""
    run = ReconRunFactory(kind="returns")
    found = DiscrepancyFactory(run=run, kind="returns", type="return_damaged", amount_at_stake=Decimal("4.40"),
                               occurred_on=None, theirs_amount=Decimal("9.90"))
    Discrepancy.objects.filter(pk=found.pk).update(
        created_at=datetime(2026, 11, 1, 7, 30, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(ZoneInfo("UTC")))
    DiscrepancyFactory(run=run, kind="returns", type="return_damaged", amount_at_stake=Decimal("1.10"),
                       occurred_on=date(2026, 10, 3), counterparty=None, period=None)


def assert_same_both_ways() -> int:
    """Every definition gives the same rows and totals from the month totals and from the rows; returns the cells."""
    cells = 0
    for definition in DEFINITIONS:
        assert summary_query(definition_clean(definition)) is not None, definition
        fast, slow = report_run(definition), report_run(definition, live=True)
        assert (fast.rows, fast.totals) == (slow.rows, slow.totals), definition
        cells += sum(len(r) for r in fast.rows)
    return cells


def test_a_runs_copy_a_rerun_and_a_deleted_bill_give_the_same_cells(october, zto, manager_user):  # noqa: F811
    _data, run_a, _xlsx = october
    undated_and_unattached()
    assert assert_same_both_ways() > 500
    assert report_run({"source": "discrepancies", "dimensions": ["month"], "measures": ["count", "billed"],
                       "filters": {"kind": ["returns"]}}).rows == [["2026-10", 1, Decimal("0.00")],
                                                                   ["2026-11", 1, Decimal("9.90")]]

    rerun = courier_bill_rerun(bill=run_a.courier_bill, user=manager_user, enqueue=False)
    run_services.run_execute(run_id=rerun.id)
    assert ReconRun.objects.get(pk=rerun.pk).status == "succeeded"
    assert_same_both_ways()

    courier_bill_delete(bill=run_a.courier_bill, user=manager_user)
    assert_same_both_ways()
    ReconRun.objects.filter(pk=run_a.pk).delete()  # its rows go with it
    assert_same_both_ways()
    Discrepancy.objects.filter(kind="returns").delete()
    assert assert_same_both_ways() > 0


def test_status_changes_partial_credit_and_bulk_actions_give_the_same_cells(manager_user, ops_user):
    rows = build()["rows"]
    undated_and_unattached()
    work_the_rows(rows, manager=manager_user, ops=ops_user, check=assert_same_both_ways)
    # A row moved to another month and replaced by hand, in one statement.
    Discrepancy.objects.filter(pk=rows["Z1"].pk).update(occurred_on=date(2026, 9, 30), is_current=False)
    assert_same_both_ways()


def test_the_report_reads_the_month_totals_not_the_rows(manager_user):
    rows = build()["rows"]
    definition = {"source": "discrepancies", "dimensions": ["counterparty", "month", "type"],
                  "measures": ["count", "at_stake", "recovered", "open"], "filters": {}}
    before = report_run(definition)
    with CaptureQueriesContext(connection) as queries:
        report_run(definition)
    assert len(queries) == 1
    assert "reports_discrepancy_month_totals" in queries[0]["sql"] and "recon_discrepancy " not in queries[0]["sql"]
    with connection.cursor() as c:
        # Only the month totals change: a figure that moves comes from them.
        c.execute("UPDATE reports_discrepancy_month_totals SET amount_sum = amount_sum + 100 "
                  "WHERE kind = %s AND type = %s AND is_claim", [rows["Z1"].kind, rows["Z1"].type])
    after = report_run(definition)
    assert sum(r[4] for r in after.rows) - sum(r[4] for r in before.rows) >= Decimal("100.00")
    assert report_run(definition, live=True).rows == before.rows


@pytest.mark.parametrize(("filters", "answered"), [
    ({"date_from": "2026-10-01", "date_to": "2026-10-31"}, True),
    ({"date_from": "2026-12-01", "date_to": "2027-02-28"}, True),
    ({"date_from": "2026-10-02"}, False),
    ({"date_to": "2026-10-30"}, False),
    ({"date_to": "2028-02-28"}, False),  # a leap year's February ends on the 29th
])
def test_only_month_boundaries_are_answered_from_the_month_totals(filters, answered, manager_user):
    build()
    definition = {"source": "discrepancies", "dimensions": ["counterparty", "type"], "measures": MEASURES,
                  "filters": filters}
    assert (summary_query(definition_clean(definition)) is not None) is answered
    fast, slow = report_run(definition), report_run(definition, live=True)
    assert (fast.rows, fast.totals) == (slow.rows, slow.totals)
