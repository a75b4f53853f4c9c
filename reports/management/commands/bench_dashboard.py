"""Benchmark the dashboard at scale: N discrepancies loaded by COPY, then the home page requested as a manager.

Everything it creates is marked (the user `bench-dash-manager`, runs whose file name is `bench-dash`, periods in 2041
held by those runs' couriers) and deleted at the end, also when a measurement fails, unless --keep.
"""
from __future__ import annotations

import calendar
import statistics
import time
from datetime import date, datetime, timezone as dt_timezone

import numpy as np
import pandas as pd
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse

from recon.core.db import bulk_load
from recon.core.models import Discrepancy, ReconPeriod, ReconRun

MARK = "bench-dash"
YEAR = 2041
COURIERS = ["ZTO", "YTO", "YUNDA", "STO", "JT", "SF"]
TYPES = ["weight_overcharge", "rate_overcharge", "zone_mismatch", "duplicate_charge", "unknown_waybill", "not_billed"]
STATUSES = ["open", "open", "open", "open", "investigating", "disputed", "resolved"]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


class Command(BaseCommand):
    help = "Benchmark the dashboard: N discrepancies by COPY, then the home page as a manager (median, p95, each panel's query)."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=1_000_000)
        parser.add_argument("--repeat", type=int, default=20)
        parser.add_argument("--keep", action="store_true", help="leave the generated data in the database")

    def handle(self, *args, **o):
        if connection.vendor != "postgresql":
            raise CommandError(f"bench_dashboard measures PostgreSQL (this database is {connection.vendor}).")
        if o["rows"] < 1:
            raise CommandError("--rows must be at least 1")
        self.cleanup()
        try:
            t0 = time.perf_counter()
            manager, runs = self.fixtures()
            self.generate(o["rows"], runs)
            with connection.cursor() as c:
                c.execute("ANALYZE recon_discrepancy")
            self.stdout.write(f"loaded {o['rows']:,} discrepancies by COPY in {time.perf_counter() - t0:.1f} s")
            self.measure(manager, max(1, o["repeat"]))
        finally:
            if not o["keep"]:
                self.cleanup()

    def fixtures(self):
        from couriers.models import Courier

        with transaction.atomic():
            manager = get_user_model().objects.create_user(f"{MARK}-manager")
            manager.groups.add(Group.objects.get(name="manager"))
            runs = []
            for code in COURIERS:
                cp = Courier.objects.get(code=code).counterparty
                for month in range(1, 13):
                    start, end = date(YEAR, month, 1), date(YEAR, month, calendar.monthrange(YEAR, month)[1])
                    period = ReconPeriod.objects.create(counterparty=cp, start=start, end=end)
                    run = ReconRun.objects.create(kind="courier_fee", status=ReconRun.Status.SUCCEEDED, counterparty=cp,
                                                  period_start=start, period_end=end, input_filename=MARK,
                                                  summary={"billed_total": "250000.00"})
                    runs.append((run.id, cp.id, period.id))
        return manager, runs

    def generate(self, rows: int, runs: list) -> None:
        rng = np.random.default_rng(13)
        slot = rng.integers(0, len(runs), rows)
        run_ids, cp_ids, period_ids = (np.array(col)[slot] for col in zip(*runs))
        types = np.array(TYPES)[rng.integers(0, len(TYPES), rows)]
        status = np.array(STATUSES)[rng.integers(0, len(STATUSES), rows)]
        fen = rng.integers(50, 20_000, rows)
        recovered = np.where(status == "resolved", fen / 100, np.nan)
        created = datetime(YEAR, 1, 1, tzinfo=dt_timezone.utc).timestamp() + rng.integers(0, 360 * 86400, rows)
        frame = pd.DataFrame({
            "run_id": run_ids, "kind": "courier_fee", "type": types, "status": status, "counterparty_id": cp_ids,
            "ref": [f"BD{i:010d}" for i in range(rows)], "ref2": "", "sku": "", "amount_at_stake": fen / 100,
            "is_claim": types != "not_billed", "direction": "to_us", "carry_key": "", "reason": MARK, "details": "{}",
            "created_at": pd.to_datetime(created, unit="s", utc=True), "period_id": period_ids, "is_current": True,
            "outcome": np.where(status == "resolved", "recovered", ""), "recovered_amount": recovered,
            "outcome_reason": "", "shortfall_outcome": "", "shortfall_reason": "",
        })
        table = Discrepancy._meta.db_table
        with transaction.atomic(), connection.cursor() as c:
            # Keeping a score of indexes up to date row by row made the COPY of a million rows take over 16 minutes;
            # building each index once after the load sorts the rows once. The same indexes, as the migrations made them.
            c.execute("SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s AND NOT EXISTS ("
                      "SELECT 1 FROM pg_constraint k WHERE k.conname = i.indexname)", [table])
            indexes = c.fetchall()
            c.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for name, _definition in indexes:
                c.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
            t0 = time.perf_counter()
            bulk_load(table, frame)
            # The run's foreign key is checked at commit; an index cannot be built while those checks are pending.
            c.execute("SET CONSTRAINTS ALL IMMEDIATE")
            copied = time.perf_counter() - t0
            t0 = time.perf_counter()
            for _name, definition in indexes:
                c.execute(definition)
        self.stdout.write(f"  COPY {copied:.1f} s, {len(indexes)} indexes rebuilt in {time.perf_counter() - t0:.1f} s")

    def measure(self, manager, repeat: int) -> None:
        from reports import dashboard as d

        client = Client()
        client.force_login(manager)
        url = f"{reverse('home')}?period={YEAR}-12"
        with override_settings(DEBUG=False):
            assert client.get(url).status_code == 200  # warm the caches once, as a server that has run a while
            samples = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                response = client.get(url)
                samples.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200
        self.stdout.write(f"dashboard page ({repeat} requests): median {statistics.median(samples):.0f} ms, "
                          f"p95 {percentile(samples, 95):.0f} ms, max {max(samples):.0f} ms")
        w = d.window(date(YEAR, 12, 1))
        panels = {
            "money by month and counterparty (KPIs, trend, rates)": lambda: d.money_by_month_and_counterparty(w),
            "counts by kind, type and status": lambda: d.counts_by_type(w),
            "billed from run summaries": lambda: d.billed_by_month_and_counterparty(w),
            "oldest open items": d.oldest_open,
            "failed runs": d.failed_runs,
            "latest runs": d.latest_runs,
            "period picker": d.period_months,
        }
        for name, fn in panels.items():
            times = []
            for _ in range(max(3, repeat // 4)):
                t0 = time.perf_counter()
                fn()
                times.append((time.perf_counter() - t0) * 1000)
            self.stdout.write(f"  {name}: median {statistics.median(times):.1f} ms")

    def cleanup(self) -> None:
        runs = ReconRun.objects.filter(input_filename=MARK)
        with transaction.atomic():
            with connection.cursor() as c:
                c.execute("DELETE FROM recon_discrepancy WHERE run_id IN (SELECT id FROM recon_reconrun WHERE input_filename = %s)", [MARK])
            periods = list(runs.values_list("counterparty_id", "period_start", "period_end"))
            runs.delete()
            for cp, start, end in periods:
                ReconPeriod.objects.filter(counterparty_id=cp, start=start, end=end, start__year=YEAR).delete()
            get_user_model().objects.filter(username=f"{MARK}-manager").delete()
