"""Returns' demo: a month of files imported through the real import, and every injected problem found by the run with
its type and money, nothing else."""
import io
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import OutputWrapper

from recon.core.models import Discrepancy, ReconRun
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
    assert log.splitlines()[:3] == ["returns requests: 238 rows imported, 0 rejected", "returns receipts: 238 rows imported, 0 rejected",
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


def found_by(run) -> list[tuple]:
    rows = Discrepancy.objects.filter(run=run).values_list("type", "ref", "sku", "amount_at_stake")
    return sorted((t, ref, sku, int(amount * 100)) for t, ref, sku, amount in rows)


def test_the_run_finds_every_injected_problem_and_nothing_else(seeded):
    demo, log, _notes, _out = seeded
    expected = sorted((i.type, i.ref, i.sku, i.amount_fen) for i in demo.injected)
    # The demo reconciles the month itself, as the courier demo does its bill, so that the pages have a result.
    seeded_run = ReconRun.objects.get(kind="returns")
    assert log.splitlines()[3] == f"returns reconciled: run #{seeded_run.id} succeeded, 12 discrepancies"
    assert found_by(seeded_run) == expected

    out = io.StringIO()
    call_command("reconcile", "returns", "--from", "2026-10-01", "--to", "2026-10-31", "--as-of", "2026-11-14",
                 "--grace-days", "7", "--sync", "--json", stdout=out)
    run = ReconRun.objects.filter(kind="returns").latest("id")
    assert run.id != seeded_run.id and run.status == "succeeded"
    assert found_by(run) == expected
    assert run.summary["claim_fen"] == 19900 + 17800 + 5990 + 25900 + 350 + 350 + 1800 + 300
