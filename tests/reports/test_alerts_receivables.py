"""The receivables rule through the settlements kind's real hook: unsettled order money older than N days."""
from __future__ import annotations

from decimal import Decimal

import pytest

from reports.alerts import RECEIVABLES, alerts_check
from reports.alerts_models import AlertRule
from tests.factories import UserFactory
from tests.payments.test_receivables import line, order

pytestmark = pytest.mark.django_db


def test_the_settlements_hook_sums_the_outstanding_money_older_than_n_days_and_the_rule_fires_on_it():
    from payments.receivables import receivables_by_age

    order("D30", days_ago=30, amount="100.00")
    order("D31", days_ago=31, amount="100.00")
    order("D61", days_ago=61, amount="100.00")
    line("D61", "40.00")
    order("D90PAID", days_ago=90, amount="100.00")
    line("D90PAID", "100.00")
    assert receivables_by_age(older_than_days=30) == Decimal("160.00")
    assert receivables_by_age(older_than_days=60) == Decimal("60.00")
    rule = AlertRule.objects.create(name="应收超 30 天", rule_type="receivables_age", days=30, threshold_amount=Decimal("159.99"))
    rule.subscribers.add(UserFactory(username="carol", role="manager"))
    (alert,) = alerts_check(event=RECEIVABLES)
    assert (alert.amount, alert.link) == (Decimal("160.00"), "/payments/receivables/")
