"""On PostgreSQL the period report's cover and its list of types come from the totals table the triggers keep; they are
the figures the month's rows add up to, whatever happened to the rows."""
from __future__ import annotations

from decimal import Decimal

import pytest

from recon.core.models import Discrepancy
from reports import period
from reports.period import period_cover_rows, period_scope
from tests.factories import DiscrepancyFactory
from tests.reports.test_period_fixes import _returns_without_counterparty
from tests.reports.test_period_report import month  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _both(label: str, counterparty: str | None = None):
    table = period_scope(period=label, counterparty=counterparty)
    live = period_scope(period=label, counterparty=counterparty)
    return ((period_cover_rows(scope=table), period._types_present(table)),
            (period_cover_rows(scope=live, live=True), period._types_present(live, live=True)))


def test_cover_and_types_from_the_table_are_the_rows_sums(month, monkeypatch):  # noqa: F811
    _returns_without_counterparty(month)
    run = month["run"]
    october = run.courier_bill.period
    # A partial credit with its shortfall accepted, one written off, a withdrawn (not current) row, an informational row.
    partial = DiscrepancyFactory(run=run, period=october, type="rate_overcharge", waybill_no="P1", amount_at_stake=Decimal("40.00"))
    Discrepancy.objects.filter(id=partial.id).update(status="resolved", outcome="recovered", recovered_amount=Decimal("15.50"),
                                                     shortfall_outcome="accepted")
    gone = DiscrepancyFactory(run=run, period=october, type="weight_overcharge", waybill_no="W1", amount_at_stake=Decimal("8.00"))
    Discrepancy.objects.filter(id=gone.id).update(status="resolved", outcome="written_off")
    DiscrepancyFactory(run=run, period=october, type="weight_overcharge", waybill_no="W2", amount_at_stake=Decimal("9.00"),
                       is_current=False)
    reads = []
    real = period.totals_table.period_report_groups
    monkeypatch.setattr(period.totals_table, "period_report_groups", lambda **kw: reads.append(kw) or real(**kw))

    (table_cover, table_types), (live_cover, live_types) = _both("2026-10")
    assert table_cover == live_cover
    assert table_types == live_types
    # One read of the table serves the cover and the types.
    assert len(reads) == 1
    rows, overall = table_cover
    assert (overall["at_stake"], overall["recovered"], overall["accepted"], overall["written_off"], overall["count"]) == (
        Decimal("561.30"), Decimal("109.50"), Decimal("24.50"), Decimal("8.00"), 10)
    assert [(k, t, n) for k, t, n in table_types] == [
        ("courier_fee", "rate_overcharge", 4), ("courier_fee", "rate_undercharge", 1), ("courier_fee", "weight_overcharge", 1),
        ("returns", "refunded_not_received", 1), ("returns", "return_damaged", 3)]
    assert [(r["code"], r["at_stake"]) for r in rows] == [
        ("STO", Decimal("12.30")), ("ZTO", Decimal("350.00")), ("", Decimal("199.00"))]

    # One counterparty's report: its periods' rows and its own rows without a period.
    (table_cover, table_types), (live_cover, live_types) = _both("2026-10", "ZTO")
    assert (table_cover, table_types) == (live_cover, live_types)
    assert table_cover[1]["at_stake"] == Decimal("350.00")


def test_the_table_follows_a_rerun_and_a_deletion(month):  # noqa: F811
    """Rows replaced by a rerun (no longer current) and rows deleted leave the cover as the live sums do."""
    run = month["run"]
    Discrepancy.objects.filter(run=run, ref__endswith="3").update(is_current=False)
    Discrepancy.objects.filter(run=run, type="rate_undercharge").delete()
    (table_cover, table_types), (live_cover, live_types) = _both("2026-10")
    assert (table_cover, table_types) == (live_cover, live_types)
    rows, overall = table_cover
    assert (overall["at_stake"], [r["at_stake"] for r in rows]) == (Decimal("220.30"), [Decimal("12.30"), Decimal("208.00")])
    assert ("courier_fee", "rate_undercharge") not in {(k, t) for k, t, _n in table_types}
