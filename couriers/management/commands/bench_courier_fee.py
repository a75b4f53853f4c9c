import json
from datetime import date
import statistics
import tempfile
import threading
import time
from pathlib import Path

import psutil
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from couriers.models import CourierBill, RateCard
from couriers.selectors import courier_get
from couriers.services import courier_bill_submit, rate_card_import
from orders.services import shipments_bulk_create
from recon.runs import services as run_services
from couriers.demo_data import generate, rate_card_frame, write_messy_csv
from recon.core.models import ReconRun

PHASES = ["read", "validate", "load", "match", "persist"]


class PeakRss:
    """Samples this process's resident memory while a block runs (peak above the starting level)."""

    def __init__(self, interval: float = 0.01):
        self.interval, self.peak, self.base = interval, 0, 0
        self._stop = threading.Event()

    def __enter__(self):
        proc = psutil.Process()
        self.base = proc.memory_info().rss

        def sample():
            while not self._stop.is_set():
                self.peak = max(self.peak, proc.memory_info().rss)
                time.sleep(self.interval)

        self._thread = threading.Thread(target=sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


class Command(BaseCommand):
    help = "Benchmark courier-fee reconciliation: N bill lines against N shipments, per phase, median of repeats."

    def add_arguments(self, parser):
        parser.add_argument("--lines", type=int, default=100_000)
        parser.add_argument("--repeat", type=int, default=3)
        parser.add_argument("--output", default="", help="write the results as JSON here too")

    def handle(self, *args, **o):
        n, repeat = o["lines"], o["repeat"]
        zto = courier_get(code="ZTO")
        vendor = connection.vendor
        self.stdout.write(f"database: {vendor}; generating {n:,} shipments and a bill …")
        data = generate(n, period="2031-03", seed=5)
        with tempfile.TemporaryDirectory() as tmp:
            card = Path(tmp) / "card.xlsx"
            rate_card_frame().to_excel(card, index=False)
            if not RateCard.objects.filter(courier=zto, effective_from="2031-01-01").exists():
                with open(card, "rb") as fh:
                    rate_card_import(file=fh, filename="card.xlsx", courier=zto, effective_from=date(2031, 1, 1), name="bench")
            records = data.shipments.assign(shipped_at=data.shipments["shipped_at"].dt.strftime("%Y-%m-%d %H:%M:%S"))
            t = time.perf_counter()
            result = shipments_bulk_create(records=records.astype(object).where(records.notna(), None).to_dict("records"))
            self.stdout.write(f"shipments upserted: {result.created:,} new, {result.updated:,} updated in {time.perf_counter() - t:.2f} s")
            bill_path = Path(tmp) / "bill.csv"
            write_messy_csv(data.bill, bill_path, period="2031-03", encoding="utf-8")
            size_mb = bill_path.stat().st_size / 1e6
            runs = []
            for i in range(repeat):
                self._forget_bench_bills(zto)
                with PeakRss() as mem:
                    t0 = time.perf_counter()
                    with open(bill_path, "rb") as fh, transaction.atomic():
                        sub = courier_bill_submit(file=fh, filename="bill.csv", courier=zto, period="2031-03", enqueue=False)
                    t_store = time.perf_counter() - t0
                    run_services.run_execute(run_id=sub.run.id)
                    total = time.perf_counter() - t0
                run = ReconRun.objects.get(id=sub.run.id)
                if run.status != "succeeded":
                    self.stderr.write(f"run failed: {run.error_code} {run.error}")
                    return
                timing = {"store": t_store, **{p: run.timings.get(p, 0.0) for p in PHASES}, "total": total,
                          "peak_rss_mb": (mem.peak - mem.base) / 1e6, "process_peak_mb": mem.peak / 1e6}
                runs.append(timing)
                self.stdout.write(f"  repeat {i + 1}: total {total:.2f} s, lines {run.summary['lines']:,}, discrepancies {run.summary['discrepancies']:,}")
            self._forget_bench_bills(zto)
        lines = n
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        self.stdout.write("")
        self.stdout.write(f"courier-fee reconciliation, {lines:,} lines ({size_mb:.1f} MB CSV) on {vendor}, median of {repeat}:")
        for phase in ["store", *PHASES]:
            rate = lines / med[phase] if med[phase] > 0 else float("inf")
            self.stdout.write(f"  {phase:<9} {med[phase]:7.3f} s  {rate:>12,.0f} rows/s")
        self.stdout.write(f"  {'total':<9} {med['total']:7.3f} s  {lines / med['total']:>12,.0f} rows/s   (target < 5 s on PostgreSQL: {med['total'] / 5:.2f}× the budget)")
        self.stdout.write(f"  peak memory above start: {med['peak_rss_mb']:.0f} MB (process peak {med['process_peak_mb']:.0f} MB)")
        report = {"lines": lines, "database": vendor, "repeat": repeat, "median": med, "runs": runs}
        out = Path(o["output"] or Path(settings.BASE_DIR) / "bench-results" / f"courier-fee-{vendor}-{lines}.json")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2))
        self.stdout.write(f"results: {out}")

    def _forget_bench_bills(self, courier):
        """Remove earlier benchmark bills (set-based), so every repeat matches the same work."""
        bills = list(CourierBill.objects.filter(courier=courier, period_start="2031-03-01").values_list("id", flat=True))
        if not bills:
            return
        with transaction.atomic(), connection.cursor() as c:
            marks = ", ".join(["%s"] * len(bills))
            c.execute(f"DELETE FROM recon_discrepancy WHERE run_id IN (SELECT id FROM recon_reconrun WHERE courier_bill_id IN ({marks}))", bills)
            c.execute(f"DELETE FROM recon_reconrun WHERE courier_bill_id IN ({marks})", bills)
            c.execute(f"DELETE FROM couriers_courierbillline WHERE bill_id IN ({marks})", bills)
            c.execute(f"DELETE FROM recon_rejectedrow WHERE source_id IN ({marks})", bills)
            c.execute(f"DELETE FROM couriers_courierbill WHERE id IN ({marks})", bills)
            c.execute(f"DELETE FROM recon_sourcefile WHERE id IN ({marks})", bills)
