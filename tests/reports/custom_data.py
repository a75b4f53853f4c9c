"""A known data set for the custom-report and analysis tests: two couriers' bills and discrepancies, and returns."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.factories import DiscrepancyFactory, ReconRunFactory
from tests.factories.couriers import CourierBillFactory, CourierFactory

D = Decimal


@pytest.fixture
def known(db):
    """ZTO: October bill ¥200.00 (3 discrepancies in October: ¥10.00 open, ¥5.50 recovered, ¥4.00 information) and
    a November bill ¥50.00 (¥2.25 disputed); YTO: October bill ¥100.00 (¥7.00 written off, ¥3.00 investigating);
    one replaced row (not current) that no report counts; returns: ZTO October ¥8.00 recovered ¥6.00, ¥1.00 open."""
    zto, yto = CourierFactory(code="ZTO"), CourierFactory(code="YTO")
    zto_oct = CourierBillFactory(courier=zto, billed_total=D("200.00"))
    zto_nov = CourierBillFactory(courier=zto, period_start=date(2026, 11, 1), period_end=date(2026, 11, 30),
                                 billed_total=D("50.00"))
    yto_oct = CourierBillFactory(courier=yto, billed_total=D("100.00"))
    run_zo, run_zn, run_yo = (ReconRunFactory(courier_bill=b) for b in (zto_oct, zto_nov, yto_oct))
    rows = [
        (run_zo, "weight_overcharge", "10.00", date(2026, 10, 5), {}),
        (run_zo, "weight_overcharge", "5.50", date(2026, 10, 20),
         {"status": "resolved", "outcome": "recovered", "recovered_amount": D("5.50")}),
        (run_zo, "rate_undercharge", "4.00", date(2026, 10, 21), {}),
        (run_zn, "rate_overcharge", "2.25", date(2026, 11, 2), {"status": "disputed"}),
        (run_yo, "rate_overcharge", "7.00", date(2026, 10, 10), {"status": "resolved", "outcome": "written_off"}),
        (run_yo, "weight_overcharge", "3.00", date(2026, 10, 31), {"status": "investigating"}),
        (run_yo, "weight_overcharge", "99.00", date(2026, 10, 31), {"is_current": False}),
    ]
    for run, type_, amount, day, extra in rows:
        DiscrepancyFactory(run=run, type=type_, amount_at_stake=D(amount), occurred_on=day, **extra)
    returns_run = ReconRunFactory(kind="returns", courier=zto)
    for type_, amount, extra in (
        ("refunded_not_received", "8.00", {"status": "resolved", "outcome": "recovered", "recovered_amount": D("6.00"),
                                           "shortfall_amount": D("2.00")}),
        ("return_damaged", "1.00", {}),
    ):
        DiscrepancyFactory(run=returns_run, kind="returns", type=type_, amount_at_stake=D(amount),
                           occurred_on=date(2026, 10, 12), **extra)
    return {"zto": zto, "yto": yto}
