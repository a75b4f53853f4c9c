"""Bill periods in each courier's cycle, and the reconciliation period each bill lands in."""
from datetime import date

import pytest

from couriers.selectors import period_bounds
from recon.core.errors import UserFacingError
from recon.periods.services import period_get_or_create


@pytest.mark.parametrize(("text", "start", "end"), [
    ("2026-10", date(2026, 10, 1), date(2026, 10, 31)),
    ("2026-02", date(2026, 2, 1), date(2026, 2, 28)),
    ("2026-W44", date(2026, 10, 26), date(2026, 11, 1)),
    ("2026-w01", date(2025, 12, 29), date(2026, 1, 4)),
    ("2026-10-05", date(2026, 10, 5), date(2026, 10, 5)),
    (" 2026-10-01..2026-10-15 ", date(2026, 10, 1), date(2026, 10, 15)),
])
def test_period_texts(text, start, end):
    assert period_bounds(text) == (start, end)


@pytest.mark.parametrize("text", ["10/2026", "2026-13", "2026-W54", "2026-10-32", "2026-10-15..2026-10-01", ""])
def test_bad_periods_are_refused(text):
    with pytest.raises(UserFacingError) as err:
        period_bounds(text)
    assert err.value.code == "invalid_period"


@pytest.mark.django_db
@pytest.mark.parametrize(("text", "cycle", "label"), [
    ("2026-10", "monthly", "2026-10"), ("2026-W44", "weekly", "2026-W44"), ("2026-10-05", "daily", "2026-10-05"),
])
def test_each_bill_period_is_a_reconciliation_period_in_its_cycle(zto, text, cycle, label):
    start, end = period_bounds(text)
    period = period_get_or_create(counterparty=zto.counterparty, start=start, end=end)
    assert (period.cycle, period.label) == (cycle, label)
    assert period_get_or_create(counterparty=zto.counterparty, start=start, end=end).pk == period.pk
