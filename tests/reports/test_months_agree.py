"""One month for a discrepancy wherever a month of money is shown: the dashboard, the queue's month filter, the courier
analysis and a custom report by period file a row under its period's month (reports.months); a custom report's "month"
is the month it happened, and says so in its header."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import translation

from recon.core.models import Discrepancy
from reports.analysis import courier_analysis, discrepancy_groups
from reports.custom import report_csv, report_run
from reports.dashboard import dashboard_figures
from tests.factories import DiscrepancyFactory, ReconRunFactory
from tests.factories.couriers import CourierBillFactory, CourierFactory

D = Decimal
SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def found(row, when: datetime):
    Discrepancy.objects.filter(pk=row.pk).update(created_at=when)


@pytest.fixture
def split(db):
    """ZTO's October bill (¥200.00 billed) with a row about a September shipment (2026-09-28, ¥10.00 at stake) and a
    row with no date (¥4.00), both found on 2 November; and a row of a run of no bill, so with no period and no range,
    with no date either (¥1.00), found at 00:30 on 1 November in Shanghai (31 October in UTC)."""
    zto = CourierFactory(code="ZTO")
    bill = CourierBillFactory(courier=zto, billed_total=D("200.00"))
    run = ReconRunFactory(courier_bill=bill, summary={"billed_total": "200.00", "lines": 3})
    september = DiscrepancyFactory(run=run, type="weight_overcharge", amount_at_stake=D("10.00"),
                                   occurred_on=date(2026, 9, 28))
    undated = DiscrepancyFactory(run=run, type="rate_overcharge", amount_at_stake=D("4.00"), occurred_on=None)
    for row in (september, undated):
        found(row, datetime(2026, 11, 2, 10, 0, tzinfo=SH))
    loose = DiscrepancyFactory(run=ReconRunFactory(courier=zto), type="rate_overcharge", amount_at_stake=D("1.00"),
                               occurred_on=None)
    found(loose, datetime(2026, 11, 1, 0, 30, tzinfo=SH))
    assert september.period_id == undated.period_id == bill.period_id and loose.period_id is None
    return {"zto": zto, "bill": bill}


def test_the_dashboard_files_both_bill_rows_under_october_and_the_loose_one_under_november(split):
    october = dashboard_figures(month=date(2026, 10, 1))
    assert (october.totals["count"], october.totals["at_stake"], october.totals["billed"]) == (2, D("14.00"), D("200.00"))
    assert [(c["code"], c["billed"], c["at_stake"], c["overcharge_rate"]) for c in october.counterparties] == [
        ("ZTO", D("200.00"), D("14.00"), D("7.0"))]
    assert [(t["month"], t["count"], t["at_stake"]) for t in october.trend[-2:]] == [
        ("2026-09", 0, D("0.00")), ("2026-10", 2, D("14.00"))]
    november = dashboard_figures(month=date(2026, 11, 1))
    assert (november.totals["count"], november.totals["at_stake"], november.totals["billed"]) == (1, D("1.00"), D("0.00"))


def test_the_courier_analysis_agrees_with_the_dashboard_month_by_month(split):
    rates, reasons = courier_analysis()
    assert rates.rows == [
        ["ZTO", "2026-10", D("200.00"), 2, D("14.00"), D("7.0"), D("0.00"), D("0.0")],
        ["ZTO", "2026-11", D("0.00"), 1, D("1.00"), None, D("0.00"), D("0.0")],
    ]
    assert reasons.rows == [["重量超收", D("10.00"), 1], ["运费超收", D("5.00"), 2]]
    for month, row in ((date(2026, 10, 1), rates.rows[0]), (date(2026, 11, 1), rates.rows[1])):
        shown = dashboard_figures(month=month).counterparties[0]
        assert (shown["count"], shown["at_stake"], shown["recovered"]) == (row[3], row[4], row[6])
    # A date range keeps the months whose rows it covers by the same rule: the September shipment is October's.
    october, reasons = courier_analysis(date_from=date(2026, 10, 1), date_to=date(2026, 10, 31))
    assert october.rows == [["ZTO", "2026-10", D("200.00"), 2, D("14.00"), D("7.0"), D("0.00"), D("0.0")]]
    assert reasons.rows == [["重量超收", D("10.00"), 1], ["运费超收", D("4.00"), 1]]
    september, _reasons = courier_analysis(date_from=date(2026, 9, 1), date_to=date(2026, 9, 30))
    assert september.rows == []


def test_the_queues_month_lists_what_the_dashboard_and_the_analysis_count(client, manager_user, split):
    client.force_login(manager_user)
    url = reverse("discrepancy-totals")
    october = client.get(url, {"month": "2026-10"}).context["totals"]["total"]
    november = client.get(url, {"month": "2026-11"}).context["totals"]["total"]
    september = client.get(url, {"month": "2026-09"}).context["totals"]["total"]
    assert (october["count"], october["at_stake"]) == (2, D("14.00"))
    assert (november["count"], november["at_stake"]) == (1, D("1.00"))
    assert september["count"] == 0


@pytest.mark.parametrize("live", [False, True])
def test_a_custom_report_by_period_agrees_and_its_month_is_the_month_it_happened(split, live):
    by_period = report_run({"source": "discrepancies", "dimensions": ["counterparty", "period"],
                            "measures": ["count", "at_stake"], "filters": {}}, live=live)
    # (The row of no period sorts first on SQLite, last on PostgreSQL.)
    assert sorted(by_period.rows) == [["ZTO", "", 1, D("1.00")], ["ZTO", "2026-10", 2, D("14.00")]]
    by_month = report_run({"source": "discrepancies", "dimensions": ["counterparty", "month"],
                           "measures": ["count", "at_stake"], "filters": {}}, live=live)
    # September's shipment in September; the undated bill row in the month it was found (November, in Shanghai), as
    # the loose row found at 00:30 on 1 November.
    assert by_month.headers == ["对账方", "发生月份", "数量", "涉及金额"]
    assert by_month.rows == [["ZTO", "2026-09", 1, D("10.00")], ["ZTO", "2026-11", 2, D("5.00")]]
    # The same range of days keeps what that month shows.
    october = report_run({"source": "discrepancies", "dimensions": ["month"], "measures": ["count"],
                          "filters": {"date_from": "2026-10-01", "date_to": "2026-10-31"}}, live=live)
    assert october.rows == []


def test_the_month_of_occurrence_is_named_in_both_languages_on_screen_and_in_downloads(client, finance_user, split):
    definition = {"source": "discrepancies", "dimensions": ["counterparty", "month"], "measures": ["count"],
                  "filters": {}}
    with translation.override("en"):
        rows = list(csv.reader(io.StringIO(report_csv(report_run(definition)).decode("utf-8-sig"))))
    assert rows[0][:2] == ["counterparty", "month of occurrence"]
    with translation.override("zh-hans"):
        rows = list(csv.reader(io.StringIO(report_csv(report_run(definition)).decode("utf-8-sig"))))
    assert rows[0][:2] == ["对账方", "发生月份"]
    client.force_login(finance_user)
    page = client.get(reverse("custom-report-builder"), {
        "source": "discrepancies", "dim1": "counterparty", "dim2": "month", "measure": ["count"], "run": "1"}).content.decode()
    assert "<th>发生月份</th>" in page and '<option value="month" selected>发生月份</option>' in page


@pytest.mark.parametrize("live", [False, True])
def test_the_analysis_groups_are_the_same_from_the_totals_and_from_the_rows(split, live):
    # On PostgreSQL the dashboard's totals table answers whole months (or no range); a range of days reads the rows.
    measures = ["count", "at_stake", "recovered"]
    assert discrepancy_groups(kind="courier_fee", dimensions=["counterparty", "month", "type"], measures=measures,
                              live=live) == [
        ["ZTO", "2026-10", "运费超收", 1, D("4.00"), D("0.00")],
        ["ZTO", "2026-10", "重量超收", 1, D("10.00"), D("0.00")],
        ["ZTO", "2026-11", "运费超收", 1, D("1.00"), D("0.00")],
    ]
    assert discrepancy_groups(kind="courier_fee", dimensions=["month"], measures=measures, live=live,
                              date_from=date(2026, 11, 1), date_to=date(2026, 11, 30)) == [["2026-11", 1, D("1.00"), D("0.00")]]
    assert discrepancy_groups(kind="courier_fee", dimensions=["month"], measures=measures, live=live,
                              date_from=date(2026, 10, 2), date_to=date(2026, 11, 30)) == [["2026-11", 1, D("1.00"), D("0.00")]]
    assert discrepancy_groups(kind="returns", dimensions=["month"], measures=measures, live=live) == []


@pytest.mark.postgres
def test_the_courier_analysis_reads_the_dashboards_totals_on_postgresql(split):
    with connection.cursor() as c:
        # Only the totals change: a figure that moves comes from them.
        c.execute("UPDATE recon_discrepancy_totals SET amount_sum = amount_sum + 100 WHERE period_id = %s AND type = %s",
                  [split["bill"].period_id, "weight_overcharge"])
    rates, _reasons = courier_analysis()
    assert rates.rows[0] == ["ZTO", "2026-10", D("200.00"), 2, D("114.00"), D("57.0"), D("0.00"), D("0.0")]
    # A range that does not fall on whole months reads the rows.
    rates, _reasons = courier_analysis(date_from=date(2026, 10, 1), date_to=date(2026, 10, 30))
    assert rates.rows[0] == ["ZTO", "2026-10", D("200.00"), 2, D("14.00"), D("7.0"), D("0.00"), D("0.0")]
