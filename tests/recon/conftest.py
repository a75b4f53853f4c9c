"""The review-queue fixtures: a reconciled bill built from models (shared with the page tests)."""
import pytest

from tests.web.conftest import make_bill, make_discrepancy, make_run  # noqa: F401  (re-exported for the tests here)
from tests.web.conftest import reconciled  # noqa: F401  (a fixture)


@pytest.fixture
def ops_client(client, ops_user):
    client.force_login(ops_user)
    return client


@pytest.fixture
def manager_client(client, manager_user):
    client.force_login(manager_user)
    return client
