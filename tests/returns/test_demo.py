"""Returns' demo: a month of files imported through the real import, and every injected problem found by the run with
its type and money, nothing else."""
import io
import json
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import OutputWrapper

from recon.core.models import Discrepancy
from returns.demo import returns_demo, returns_demo_frames
from returns.models import ReturnFreightLine, ReturnReceipt, ReturnRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(zto, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    out = io.StringIO()
    notes = returns_demo(lines=0, period="2026-10", out_dir=tmp_path, stdout=OutputWrapper(out))
    return returns_demo_frames(period="2026-10"), out.getvalue(), notes, tmp_path


def test_the_demo_files_are_imported_whole(seeded):
    demo, log, notes, out_dir = seeded
    assert (len(demo.requests), len(demo.receipts), len(demo.freight)) == (238, 238, 159)
    assert log.splitlines() == ["returns requests: 238 rows imported, 0 rejected", "returns receipts: 238 rows imported, 0 rejected",
                                "returns freight: 159 rows imported, 0 rejected"]
    assert (ReturnRequest.objects.count(), ReturnReceipt.objects.count(), ReturnFreightLine.objects.count()) == (238, 238, 159)
    assert sorted(p.name for p in out_dir.glob("returns-*")) == [
        "returns-2026-10-expected.csv", "returns-2026-10-receipts.xlsx", "returns-2026-10-requests.csv", "returns-2026-10-zto-freight.xlsx"]
    assert notes == [f"Returns files (2026-10, with 12 injected problems listed in returns-2026-10-expected.csv): {out_dir}"]
    # Every type of the kind is injected at least once.
    assert Counter(i.type for i in demo.injected) == {
        "refunded_not_received": 1, "return_not_received": 2, "return_quantity_short": 1, "return_damaged": 2,
        "return_wrong_item": 1, "return_unexpected": 1, "return_freight_not_received": 1, "return_freight_unknown": 1,
        "return_freight_duplicate": 1, "return_freight_overcharge": 1}


def test_seeding_twice_writes_nothing_more(seeded, tmp_path):
    out = io.StringIO()
    assert returns_demo(lines=0, period="2026-10", out_dir=tmp_path, stdout=OutputWrapper(out)) == []
    assert out.getvalue() == "returns demo data already present\n"
    assert ReturnRequest.objects.count() == 238


def test_the_run_finds_every_injected_problem_and_nothing_else(seeded):
    demo, _log, _notes, _out = seeded
    out = io.StringIO()
    call_command("reconcile", "returns", "--from", "2026-10-01", "--to", "2026-10-31", "--as-of", "2026-11-14",
                 "--grace-days", "7", "--sync", "--json", stdout=out)
    found = sorted(Discrepancy.objects.filter(kind="returns").values_list("type", "ref", "sku", "amount_at_stake"))
    expected = sorted((i.type, i.ref, i.sku, i.amount_fen) for i in demo.injected)
    assert [(t, ref, sku, int(amount * 100)) for t, ref, sku, amount in found] == expected
    assert json.loads(out.getvalue())
