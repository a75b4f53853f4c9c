"""bench_outbound on a small day: every injected problem is found by the run and by the checks of the API posts, exactly,
and nothing the benchmark made is left behind."""
import io

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError

from orders.models import Order, OrderLine, OutboundRecord, PickupScan, Platform
from recon.core.models import Discrepancy, ReconRun

pytestmark = pytest.mark.django_db


@pytest.mark.postgres
def test_the_benchmark_finds_exactly_what_it_injected_and_cleans_up():
    Platform.objects.filter(code="JD").update(ship_within_hours=72)
    out = io.StringIO()
    call_command("bench_outbound", "--orders", "2000", "--api-scans", "2000", stdout=out)
    text = out.getvalue()
    assert ("outbound: found {'order_not_shipped': 31, 'shipped_not_outbound': 29, 'outbound_quantity_mismatch': 37, "
            "'outbound_unknown_order': 23, 'waybill_reused': 19, 'outbound_not_picked_up': 41, 'picked_up_not_outbound': 27, "
            "'pickup_weight_mismatch': 43}") in text
    assert "generated {'orders': 2000, 'order_lines': 2667, 'outbound_records': 2609, 'pickup_scans': 1910}" in text
    assert "found {'waybill_reused': 13, 'pickup_weight_mismatch': 47}" in text
    assert "found {'waybill_reused': 13, 'pickup_weight_mismatch': 52}" in text
    assert text.endswith("every injected problem found, nothing else\n")
    assert Order.objects.filter(order_no__startswith="OB").count() == 0
    assert OrderLine.objects.count() == 0
    assert OutboundRecord.objects.count() == 0
    assert PickupScan.objects.count() == 0
    assert ReconRun.objects.filter(kind="outbound").count() == 0
    assert Discrepancy.objects.count() == 0
    assert not User.objects.filter(username="bench-outbound-bot").exists()
    # The platforms' own setting is put back.
    assert Platform.objects.get(code="JD").ship_within_hours == 72


def test_the_benchmark_refuses_a_database_other_than_postgresql(monkeypatch):
    monkeypatch.setattr("orders.management.commands.bench_outbound.is_postgres", lambda: False)
    with pytest.raises(CommandError, match="bench_outbound measures PostgreSQL"):
        call_command("bench_outbound", "--orders", "2000")
