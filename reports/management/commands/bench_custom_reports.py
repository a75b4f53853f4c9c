"""Benchmark of custom reports: a million discrepancies grouped by counterparty × month × type, on PostgreSQL.

The rows are written by COPY under marked counterparties (code `BENCH-CR-*`) and a marked run, and deleted at the end
unless --keep (a later run first removes what an earlier, killed one left). The report is the same definition the
builder runs (reports.custom.report_run), timed end to end; the median of --repeat runs is printed with the plan of
its one query (EXPLAIN ANALYZE) and, with --json, as one JSON object. The report reads the summary table kept by
reports/migrations/0007 as the builder does; --live times the aggregate over the rows instead.
"""
from __future__ import annotations

import io
import json
import statistics
import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from recon.core.models import Counterparty, ReconRun
from reports.custom import definition_clean, report_queryset, report_run, summary_query

MARK = "BENCH-CR"
COUNTERPARTIES = 12
MONTHS = 12
TYPES = ("weight_overcharge", "rate_overcharge", "zone_mismatch", "duplicate_charge", "unknown_waybill",
         "rate_undercharge", "no_rate", "not_billed")
STATUSES = ("open", "open", "investigating", "disputed", "resolved")
DEFINITION = {"source": "discrepancies", "dimensions": ["counterparty", "month", "type"],
              "measures": ["count", "at_stake", "recovered", "open"], "filters": {}}
TARGET_S = 1.0


class Command(BaseCommand):
    help = "Time a custom report grouping N discrepancies by counterparty × month × type (PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=1_000_000)
        parser.add_argument("--repeat", type=int, default=5)
        parser.add_argument("--keep", action="store_true", help="keep the rows (and reuse them on the next run)")
        parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
        parser.add_argument("--live", action="store_true",
                            help="time the aggregate over the rows, not the summary table that answers it by default")

    def handle(self, *args, **o):
        if connection.vendor != "postgresql":
            raise CommandError("bench_custom_reports needs PostgreSQL: set DATABASE_URL.")
        if o["rows"] < 1 or o["repeat"] < 1:
            raise CommandError("--rows and --repeat must be at least 1.")
        run = ReconRun.objects.filter(input_filename=MARK).first()
        kept = run is not None and run.discrepancies.count() == o["rows"]
        if not kept:
            self.cleanup()
            t0 = time.perf_counter()
            run = self.generate(o["rows"])
            self.stdout.write(f"wrote {o['rows']:,} discrepancies by COPY in {time.perf_counter() - t0:.1f} s")
        try:
            result = self.measure(o["repeat"], live=o["live"])
        finally:
            if not o["keep"]:
                self.cleanup()
        result.update(rows=o["rows"], repeat=o["repeat"], target_s=TARGET_S)
        if o["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
        else:
            self.stdout.write(result.pop("plan"))
            self.stdout.write(
                f"custom report counterparty × month × type over {o['rows']:,} discrepancies ({result['path']}): "
                f"{result['groups']} groups, median {result['median_s']:.3f} s of {o['repeat']} "
                f"(min {result['min_s']:.3f} s, max {result['max_s']:.3f} s); target < {TARGET_S:.0f} s: "
                f"{'met' if result['median_s'] < TARGET_S else 'NOT met'}")

    def generate(self, rows: int) -> ReconRun:
        """The marked counterparties and run, and `rows` discrepancies spread over them, 12 months, 8 types."""
        with transaction.atomic():
            parties = [Counterparty.objects.create(kind="courier", code=f"{MARK}-{n:02d}", name=f"基准{n:02d}")
                       for n in range(COUNTERPARTIES)]
            run = ReconRun.objects.create(kind="courier_fee", status="succeeded", phase="done", input_filename=MARK,
                                          counterparty=parties[0])
            columns = ("kind", "type", "status", "ref", "ref2", "amount_at_stake", "reason", "details", "created_at",
                       "run_id", "counterparty_id", "occurred_on", "is_claim", "outcome", "recovered_amount")
            copy = (f"COPY recon_discrepancy ({', '.join(columns)}) FROM STDIN "
                    "WITH (FORMAT text, NULL '\\N')")
            months = [date(2025 + (m // 12), m % 12 + 1, 1) for m in range(MONTHS)]
            with connection.cursor() as cursor:
                for start in range(0, rows, 100_000):
                    buffer = io.StringIO()
                    for i in range(start, min(rows, start + 100_000)):
                        type_ = TYPES[(i * 7) % len(TYPES)]
                        status = STATUSES[(i * 13) % len(STATUSES)]
                        fen = 50 + (i * 7919) % 5000
                        claim = type_ not in ("rate_undercharge", "no_rate", "not_billed")
                        recovered = status == "resolved" and i % 2 == 0
                        day = months[(i // 7) % MONTHS].replace(day=1 + i % 28)
                        buffer.write(
                            f"courier_fee\t{type_}\t{status}\tBCR{i:010d}\t\t{fen / 100:.2f}\t\t{{}}\t"
                            f"{day.isoformat()} 12:00:00+08\t{run.id}\t{parties[i % COUNTERPARTIES].id}\t"
                            f"{day.isoformat()}\t{'t' if claim else 'f'}\t{'recovered' if recovered else ''}\t"
                            f"{f'{fen / 100:.2f}' if recovered else chr(92) + 'N'}\n")
                    buffer.seek(0)
                    cursor.cursor.copy_expert(copy, buffer)
        return run

    def measure(self, repeat: int, *, live: bool) -> dict:
        """The report run `repeat` times (the first one too: the database's cache is warm from the COPY)."""
        samples, groups = [], 0
        # As autovacuum would after a run's COPY: the planner's statistics (and reports' month statistics) up to date.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE recon_discrepancy")
        for _ in range(repeat):
            t0 = time.perf_counter()
            groups = len(report_run(DEFINITION, live=live).rows)
            samples.append(time.perf_counter() - t0)
        clean = definition_clean(DEFINITION)
        summary = None if live else summary_query(clean)
        sql, params = summary or report_queryset(clean).query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        return {"path": "rows" if summary is None else "summary table", "groups": groups, "median_s": round(statistics.median(samples), 4), "min_s": round(min(samples), 4),
                "max_s": round(max(samples), 4), "samples_s": [round(s, 4) for s in samples], "plan": plan}

    def cleanup(self) -> None:
        """Delete the marked run's rows, the run and the marked counterparties."""
        runs = list(ReconRun.objects.filter(input_filename=MARK).values_list("id", flat=True))
        with transaction.atomic():
            if runs:
                with connection.cursor() as cursor:
                    cursor.execute("DELETE FROM recon_discrepancy WHERE run_id = ANY(%s)", [runs])
                ReconRun.objects.filter(id__in=runs).delete()
            Counterparty.objects.filter(code__startswith=f"{MARK}-").delete()
