"""A change inside a period and the closing of that period never interleave (PostgreSQL row locks)."""
import threading

import pytest
from django.db import connection, transaction

from recon.core.errors import UserFacingError
from recon.core.models import Discrepancy, ReconPeriod
from recon.periods.services import period_close
from recon.review.services import discrepancy_resolve, discrepancy_set_status

# serialized_rollback: a transactional test before this one flushed the couriers and roles the migrations made.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_reopen_in_flight_makes_the_close_wait_and_then_refuse(reconciled, ops_user, manager_user):
    for d in reconciled["discrepancies"][:3]:
        discrepancy_resolve(discrepancy=d, outcome="written_off", reason="small", user=ops_user)
    target = reconciled["discrepancies"][0]
    period = reconciled["bill"].period
    changed, release, outcome = threading.Event(), threading.Event(), {}

    def reopen():
        try:
            with transaction.atomic():
                discrepancy_set_status(discrepancy=target, status="open", reason="courier wrote back", user=ops_user)
                changed.set()
                release.wait(10)  # keep the transaction (and its locks) open while the manager tries to close
        finally:
            connection.close()

    def close():
        try:
            period_close(period=period, user=manager_user)
            outcome["close"] = "closed"
        except UserFacingError as exc:
            outcome["close"] = exc.code
        finally:
            connection.close()

    a = threading.Thread(target=reopen)
    a.start()
    assert changed.wait(10)
    b = threading.Thread(target=close)
    b.start()
    b.join(1)
    assert b.is_alive()  # the close waits for the period's lock
    release.set()
    a.join(10)
    b.join(10)
    assert outcome == {"close": "period_has_open_items"}
    assert ReconPeriod.objects.get(pk=period.pk).status == "open"
    assert Discrepancy.objects.get(pk=target.pk).status == "open"
