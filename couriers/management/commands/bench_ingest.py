import json
import statistics
import tempfile
import time
from pathlib import Path

from django.core.management.base import BaseCommand

from couriers.demo_data import generate, write_messy_csv, write_messy_xlsx
from recon.ingest import read_courier_bill
from recon.ingest.bills import _read_courier_bill
from recon.ingest.guard import check_xlsx


def _median(fn, repeat: int) -> float:
    times = []
    for _i in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


class Command(BaseCommand):
    help = "Benchmark reading a bill of N lines (xlsx and csv): the limits' checks and the child process against the parse."

    def add_arguments(self, parser):
        parser.add_argument("--lines", type=int, default=100_000)
        parser.add_argument("--repeat", type=int, default=3)

    def handle(self, *args, **o):
        n, repeat = o["lines"], o["repeat"]
        data = generate(n, seed=5)
        results = {"lines": len(data.bill), "repeat": repeat}
        with tempfile.TemporaryDirectory() as tmp:
            xlsx, csv = Path(tmp) / "bill.xlsx", Path(tmp) / "bill.csv"
            write_messy_xlsx(data.bill, xlsx)
            write_messy_csv(data.bill, csv, encoding="utf-8")
            for label, path in (("xlsx", xlsx), ("csv", csv)):
                row = {"size_mb": round(path.stat().st_size / 1e6, 1)}
                # In a child under the limits, as uploads are read; and the same parse in this process.
                row["read_isolated_s"] = _median(lambda p=path: read_courier_bill(p, p.name), repeat)
                row["read_in_process_s"] = _median(lambda p=path: _read_courier_bill(p, p.name), repeat)
                if label == "xlsx":
                    row["limits_scan_s"] = _median(lambda p=path: check_xlsx(p, p.name), repeat)
                    row["scan_share"] = round(row["limits_scan_s"] / row["read_in_process_s"], 3)
                row["isolation_overhead_s"] = round(row["read_isolated_s"] - row["read_in_process_s"], 3)
                results[label] = {k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}
        self.stdout.write(json.dumps(results, indent=2))
