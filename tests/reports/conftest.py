import pytest

# The shipment with a recipient is shared with the orders tests.
from tests.orders.conftest import shipment  # noqa: F401
from tests.reports.dashboard_data import add_without_counterparty, build


@pytest.fixture
def dashboard_data(db):
    """The dashboard's known month (tests/reports/dashboard_data.build): ZTO and YTO in October, ZTO in September."""
    return build()


@pytest.fixture
def without_counterparty(dashboard_data):
    """The dashboard's month and the returns findings with no counterparty or period (add_without_counterparty)."""
    return add_without_counterparty()
