"""make bench-reports: the period report of 1,000,000 discrepancies as Excel and CSV, against xlsxwriter alone.

PostgreSQL only. The rows are made by one INSERT … SELECT over generate_series for a month nobody uses (2031-01), marked, and deleted afterwards unless
--keep. Each measurement runs in a child process of its own, so its peak memory (the high-water resident memory of
that child, Python and Django included: VmHWM from /proc/self/status) is the measurement's alone.
"""
from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

MARK = "bench-reports"
PERIOD = "2031-01"
START, END = date(2031, 1, 1), date(2031, 1, 31)
COURIERS = ("ZTO", "STO", "YTO")
TYPES = ("rate_overcharge", "weight_overcharge", "unknown_waybill", "rate_undercharge")
MEASURES = ("fetch", "xlsxwriter", "period_xlsx", "period_csv")
TARGETS = {"xlsx_ratio": 1.2, "xlsx_peak_mb": 500, "csv_seconds": 10}


class Command(BaseCommand):
    help = "Time the period report (Excel, CSV) of 1,000,000 discrepancies against xlsxwriter's constant-memory mode alone."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=1_000_000)
        parser.add_argument("--repeat", type=int, default=3)
        parser.add_argument("--keep", action="store_true", help="keep the generated rows (and reuse them next time)")
        parser.add_argument("--cleanup", action="store_true", help="only delete the rows an earlier --keep left")
        parser.add_argument("--child", default="", help=argparse_hidden())
        parser.add_argument("--out", default="")
        parser.add_argument("--only", action="append", choices=MEASURES, default=[],
                            help="measure only this (repeatable), e.g. --only period_csv")

    def handle(self, *args, **o):
        if o["child"]:
            return self.child(o["child"], o["out"])
        if connection.vendor != "postgresql":
            raise CommandError("bench_reports needs PostgreSQL: set DATABASE_URL")
        if o["cleanup"]:
            self.cleanup()
            return None
        t0 = time.perf_counter()
        made = self.generate(o["rows"])
        self.stdout.write(f"{made:,} discrepancies of {PERIOD} ready in {time.perf_counter() - t0:.1f} s")
        results: dict[str, list[dict]] = {k: [] for k in MEASURES if not o["only"] or k in o["only"]}
        try:
            for round_no in range(1, o["repeat"] + 1):
                for name in results:
                    m = self.spawn(name)
                    results[name].append(m)
                    self.stdout.write(f"round {round_no} {name:12s} {m['seconds']:7.2f} s  peak {m['peak_mb']:6.0f} MB  "
                                      f"{m.get('bytes', 0) / 1e6:7.1f} MB file  load {os.getloadavg()[0]:.2f}")
            if not o["only"]:
                self.custom_report_bench()
        finally:
            if not o["keep"]:
                self.cleanup()
        med = {k: {"seconds": statistics.median(m["seconds"] for m in v), "peak_mb": statistics.median(m["peak_mb"] for m in v)}
               for k, v in results.items()}
        ratio = (med["period_xlsx"]["seconds"] / med["xlsxwriter"]["seconds"]
                 if "period_xlsx" in med and "xlsxwriter" in med else None)
        self.stdout.write(f"medians of {o['repeat']} on {made:,} rows (peak memory: VmHWM of each child process; "
                          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}):")
        for k, v in med.items():
            self.stdout.write(f"  {k:12s} {v['seconds']:7.2f} s  peak {v['peak_mb']:6.0f} MB")
        if ratio is not None:
            self.stdout.write(f"  period xlsx / xlsxwriter alone = {ratio:.2f}x (target ≤ {TARGETS['xlsx_ratio']}x); "
                              f"peak {med['period_xlsx']['peak_mb']:.0f} MB (target < {TARGETS['xlsx_peak_mb']} MB)")
        if "period_csv" in med:
            self.stdout.write(f"  csv {med['period_csv']['seconds']:.2f} s (target < {TARGETS['csv_seconds']} s)")
        out = Path(settings.VAR_DIR) / "bench" / f"reports-{datetime.now():%Y%m%d-%H%M%S}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({"rows": made, "repeat": o["repeat"], "runs": results, "medians": med, "xlsx_ratio": ratio}, indent=2))
        self.stdout.write(f"results: {out}")
        return None

    # ------------------------------------------------------------------------------------------- data

    def generate(self, rows: int) -> int:
        """The month's periods and runs, then every row in one INSERT … SELECT over generate_series (no Python per row);
        reused when an earlier --keep left them."""
        from couriers.models import Courier
        from recon.core.models import Discrepancy, ReconPeriod, ReconRun

        existing = Discrepancy.objects.filter(run__input_filename=MARK).count()
        if existing == rows:
            return existing
        self.cleanup(quiet=True)
        couriers = list(Courier.objects.filter(code__in=COURIERS).order_by("code"))
        slots = []
        with transaction.atomic():
            for c in couriers:
                period = ReconPeriod.objects.create(counterparty_id=c.counterparty_id, start=START, end=END)
                run = ReconRun.objects.create(kind="courier_fee", status="succeeded", phase="done", counterparty_id=c.counterparty_id,
                                              period_start=START, period_end=END, input_filename=MARK, params={"bench": MARK})
                slots.append((c.counterparty_id, period.id, run.id))
            # h: a fixed pseudo-random number per row (Knuth's multiplicative hash), so every run makes the same month.
            sql = """
                WITH g AS (
                    SELECT i, i %% %(n_slots)s + 1 AS slot, (i * 2654435761) %% 4294967296 AS h
                    FROM generate_series(0, %(rows)s - 1) AS i
                ), t AS (
                    SELECT *, (%(types)s::text[])[h %% 4 + 1] AS type, h %% 4999 + 1 AS fen, (h / 7) %% 29700 + 300 AS w FROM g
                )
                INSERT INTO recon_discrepancy (run_id, kind, type, status, counterparty_id, period_id, ref, ref2, source_line,
                    theirs_amount, ours_amount, amount_at_stake, is_claim, reason, details, created_at)
                SELECT (%(runs)s::bigint[])[slot], 'courier_fee', type,
                    (ARRAY['open', 'open', 'disputed', 'investigating'])[i %% 4 + 1],
                    (%(parties)s::bigint[])[slot], (%(periods)s::bigint[])[slot],
                    'BR' || lpad(i::text, 10, '0'), 'SO' || lpad(i::text, 9, '0'), i + 1,
                    (fen + 300) / 100.0,
                    (fen + 300 - CASE WHEN type = 'rate_undercharge' THEN -fen ELSE fen END) / 100.0,
                    CASE WHEN type = 'rate_undercharge' THEN -fen ELSE fen END / 100.0,
                    type <> 'rate_undercharge', '账单运费高于报价（bench）',
                    jsonb_build_object('billed_weight_g', w, 'expected_weight_g', w - 200, 'billed_province', '广东',
                                       'expected_province', '广东'),
                    now()
                FROM t
            """
            with connection.cursor() as cursor:
                cursor.execute(sql, {"n_slots": len(slots), "rows": rows, "types": list(TYPES),
                                     "runs": [s[2] for s in slots], "parties": [s[0] for s in slots],
                                     "periods": [s[1] for s in slots]})
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE recon_discrepancy")
        return rows

    def cleanup(self, quiet: bool = False) -> None:
        from recon.core.models import ReconPeriod, ReconRun

        run_ids = list(ReconRun.objects.filter(input_filename=MARK).values_list("id", flat=True))
        with transaction.atomic(), connection.cursor() as cursor:
            # One statement: the ORM's delete would load a million rows to look for what cascades from them.
            cursor.execute("DELETE FROM recon_discrepancy WHERE run_id = ANY(%s)", [run_ids])
            gone = cursor.rowcount
            ReconRun.objects.filter(id__in=run_ids).delete()
            ReconPeriod.objects.filter(start=START, end=END, counterparty__code__in=COURIERS, discrepancies__isnull=True,
                                       source_files__isnull=True).delete()
        if not quiet:
            self.stdout.write(f"deleted the benchmark's {gone:,} discrepancies")

    # ------------------------------------------------------------------------------------------- measuring

    def spawn(self, name: str) -> dict:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / f"{name}.json"
            subprocess.run([sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "bench_reports", "--child", name, "--out", str(out)], check=True)
            return json.loads(out.read_text())

    def child(self, name: str, out: str) -> None:
        """One measurement in this process: the time of the work and the process's peak memory."""
        from reports.period import period_report_csv, period_report_xlsx

        with tempfile.TemporaryDirectory() as tmp:
            target = Path(tmp) / f"out.{'csv' if name == 'period_csv' else 'xlsx'}"
            t0 = time.perf_counter()
            if name == "fetch":
                rows = sum(1 for _ in _rows())
            elif name == "xlsxwriter":
                rows = _xlsxwriter_alone(target)
            elif name == "period_xlsx":
                period_report_xlsx(period=PERIOD, counterparty=None, target=target)
                rows = None
            else:
                period_report_csv(period=PERIOD, counterparty=None, target=target)
                rows = None
            seconds = time.perf_counter() - t0
            size = target.stat().st_size if target.exists() else 0
        peak_kb = _peak_rss_kb()
        Path(out).write_text(json.dumps({"seconds": seconds, "peak_mb": peak_kb / 1024, "bytes": size, "rows": rows}))

    def custom_report_bench(self) -> None:
        """The custom report's grouping (counterparty × month × type < 1 s) is measured by the custom-reports part,
        on these same rows, here once reports.custom exists."""
        self.stdout.write("custom report grouping: not measured by this command yet (reports/custom.py)")


def argparse_hidden():
    import argparse

    return argparse.SUPPRESS


def _peak_rss_kb() -> int:
    """The high-water resident memory of this process's own address space (VmHWM, Linux). getrusage's ru_maxrss would
    not do: across fork and exec it keeps the parent's peak, and the parent held the generated rows."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _typed_blocks():
    """(columns, rows) per type as the period report reads them on PostgreSQL (one type after another, money first)."""
    from reports.period import _labels, _report_columns, _types_present, period_scope, typed_type_rows

    scope = period_scope(period=PERIOD)
    labels = _labels()
    for kind, type_code, _n in _types_present(scope):
        columns = _report_columns(kind)
        yield type_code, columns, typed_type_rows(scope, kind, type_code, columns, labels)[1]


def _rows():
    """The month's rows as the period report reads them, streamed."""
    for _type, _columns, rows in _typed_blocks():
        yield from rows


def _xlsxwriter_alone(target) -> int:
    """The same rows from the same cursor, written by xlsxwriter's constant-memory mode with write_row and nothing
    else; the money and weight columns get the report's formats as column formats (xlsxwriter puts a column's format on
    each cell written without one), so the file carries the same formats for no work per cell."""
    import xlsxwriter

    from reports.period import MONEY_FORMAT, WEIGHT_FORMAT

    book = xlsxwriter.Workbook(str(target), {"constant_memory": True})
    money, weight = book.add_format({"num_format": MONEY_FORMAT}), book.add_format({"num_format": WEIGHT_FORMAT})
    n = 0
    for type_code, columns, rows in _typed_blocks():
        sheet = book.add_worksheet(type_code[:31])
        for i, col in enumerate(columns):
            sheet.set_column(i, i, 12, money if col.money else weight if col.kg else None)
        write_row = sheet.write_row
        for r, row in enumerate(rows, start=1):
            write_row(r, 0, row)
            n += 1
    book.close()
    return n
