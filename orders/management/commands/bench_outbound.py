"""Benchmark outbound reconciliation: a day of orders (with their lines), their outbound records and pickup scans written
straight into the tables (COPY, not files), with known problems of every type injected, then the run of that day timed
per phase and the problems found counted exactly; then pickup scans posted through the real API view, with the checks
per waybill that run on arrival, timed and their findings counted exactly.

Everything it makes is marked (order numbers OB…, outbound numbers OBK…/OBA…, waybills 880…, the run's day in 2042, a
user of its own) and deleted at the end, also when a step fails; data left by a killed benchmark is removed by the next
one. The platforms' ship-within hours are set for the run and put back after it.
"""
from __future__ import annotations

import cProfile
import io
import pstats
import statistics
import time
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import override_settings
from django.utils import timezone

from couriers.models import Courier
from orders.kind_outbound import SPEC
from orders.models import Order, OrderLine, OutboundRecord, PickupScan, Platform, Shipment
from orders.runs_outbound import courier_terms, outbound_reconcile
from recon.core.db import bulk_load, is_postgres
from recon.core.models import Discrepancy, ReconRun
from recon.runs import services as run_services

DAY = date(2042, 3, 10)
AS_OF = datetime(2042, 3, 13, 12, 0)
PLATFORMS = ("TMALL", "JD", "PDD")
SHIP_WITHIN_HOURS = 48
GRACE_HOURS = 24
COURIER = "ZTO"
BOT = "bench-outbound-bot"
# Injected problems of the day's run, by type: what the run must find, no more, no less.
RUN_EXPECTED = {"order_not_shipped": 31, "shipped_not_outbound": 29, "outbound_quantity_mismatch": 37,
                "outbound_unknown_order": 23, "waybill_reused": 19, "outbound_not_picked_up": 41,
                "picked_up_not_outbound": 27, "pickup_weight_mismatch": 43}
# Scans posted through the API: the waybills made for it, the overweight scans and the reused waybills among them.
API_SCANS = 10_000
API_BATCH = 1_000
API_HEAVY = 47
API_REUSED = 13


def _stamp(seconds: np.ndarray) -> np.ndarray:
    """Local times on the benchmark's day as text PostgreSQL reads with their offset."""
    moment = pd.Timestamp(DAY) + pd.to_timedelta(seconds, unit="s")
    return (pd.Series(moment).dt.strftime("%Y-%m-%d %H:%M:%S") + "+08:00").to_numpy(dtype=object)


def _numbered(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill(np.asarray(numbers).astype(str), width)).astype(object)


def _yuan(fen: np.ndarray) -> np.ndarray:
    fen = np.asarray(fen, dtype=np.int64)
    return np.char.add(np.char.add((fen // 100).astype(str), "."), np.char.zfill((fen % 100).astype(str), 2)).astype(object)


class Command(BaseCommand):
    help = ("Benchmark outbound reconciliation on PostgreSQL: a day of 500,000 orders with their outbound records and "
            "pickup scans (COPY), the run of that day timed per phase, then 10,000 pickup scans posted through the API "
            "with their checks per waybill; the injected problems are counted exactly.")

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=500_000)
        parser.add_argument("--api-scans", type=int, default=API_SCANS)
        parser.add_argument("--repeat", type=int, default=1, help="runs of the day (the median is reported too)")
        parser.add_argument("--seed", type=int, default=12)
        parser.add_argument("--allow-sqlite", action="store_true", help="allow SQLite, for small smoke runs only")
        parser.add_argument("--keep", action="store_true", help="leave the generated rows and the runs in place")
        parser.add_argument("--skip-run", action="store_true", help="time the API only (the day is still generated)")
        parser.add_argument("--profile", type=int, default=0, metavar="N",
                            help="profile the posts of 1,000 (cProfile, CPU time of this process) and print their N costliest functions")

    def handle(self, *args, **o):
        if not is_postgres() and not o["allow_sqlite"]:
            raise CommandError("bench_outbound measures PostgreSQL: set DATABASE_URL (or pass --allow-sqlite for a smoke run).")
        if o["orders"] < 2000 or o["api_scans"] < 2 * API_BATCH or o["api_scans"] % API_BATCH:
            raise CommandError(f"--orders ≥ 2000 and --api-scans a multiple of {API_BATCH}, at least {2 * API_BATCH}.")
        saved = dict(Platform.objects.filter(code__in=PLATFORMS).values_list("code", "ship_within_hours"))
        self.cleanup()
        self.results: dict = {}
        try:
            t = time.perf_counter()
            rng = np.random.default_rng(o["seed"])
            Platform.objects.filter(code__in=PLATFORMS).update(ship_within_hours=SHIP_WITHIN_HOURS)
            self.platform_ids = dict(Platform.objects.filter(code__in=PLATFORMS).values_list("code", "id"))
            self.courier = Courier.objects.get(code=COURIER)
            tolerance, _books = courier_terms({COURIER}, DAY)
            self.tolerance_g = int(tolerance[COURIER])
            counts = self.generate_day(o["orders"], rng)
            self.analyze()
            self.stdout.write(f"generated {counts} in {time.perf_counter() - t:.1f} s")
            failures = []
            walls = []
            for _ in range(0 if o["skip_run"] else o["repeat"]):
                wall, found = self.run_day()
                walls.append(wall)
                if found != RUN_EXPECTED:
                    failures.append(f"run: found {found}, injected {RUN_EXPECTED}")
            self.results["run_wall"] = walls
            if walls:
                self.stdout.write(f"run wall time: median {statistics.median(walls):.2f} s of {len(walls)} "
                                  f"({', '.join(f'{w:.2f}' for w in walls)}) (target < 15 s)")
            failures += self.bench_api(o["api_scans"], rng, profile=o["profile"])
            if failures:
                raise CommandError("; ".join(failures))
            self.stdout.write("every injected problem found, nothing else")
        finally:
            if not o["keep"]:
                self.cleanup()
                for code, hours in saved.items():
                    Platform.objects.filter(code=code).update(ship_within_hours=hours)

    # ----------------------------------------------------------------------- the day's run

    def run_day(self) -> tuple[float, dict]:
        as_of = timezone.make_aware(AS_OF)
        [run] = outbound_reconcile(counterparty_code="", start=DAY, end=DAY, as_of=as_of, user=None, enqueue=False,
                                   grace_hours=GRACE_HOURS)
        t = time.perf_counter()
        run_services.run_execute(run_id=run.id)
        wall = time.perf_counter() - t
        run.refresh_from_db()
        if run.status != ReconRun.Status.SUCCEEDED:
            raise CommandError(f"outbound run #{run.id} {run.status}: {run.error_code} {run.error}")
        phases = ", ".join(f"{k} {v:.2f} s" for k, v in (run.timings or {}).items())
        self.stdout.write(f"outbound: run #{run.id} in {wall:.2f} s ({phases})")
        found = {t.code: int(((run.summary or {}).get("by_type") or {}).get(t.code, {}).get("count", 0)) for t in SPEC.types}
        self.stdout.write(f"outbound: found {found}")
        self.results.setdefault("runs", []).append({"wall": wall, "timings": run.timings, "found": found})
        return wall, found

    # ----------------------------------------------------------------------- the API

    def bench_api(self, n: int, rng, profile: int = 0) -> list[str]:
        """Outbounds made for the API's scans (COPY), then the scans posted in batches of 1,000 and, for as many other
        waybills, in one post; every post's check is counted by type."""
        from rest_framework.authtoken.models import Token
        from rest_framework.test import APIClient

        user = User.objects.create_user(username=BOT)
        user.groups.add(Group.objects.get(name="integration"))
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        # The check judges as of now: the parcels left the warehouse this morning, and were scanned an hour later.
        left = timezone.localtime(timezone.now()).replace(tzinfo=None, microsecond=0) - timedelta(hours=6)
        parcels = 2 * n
        no = np.arange(parcels)
        waybill = _numbered("8801", no, 10)
        packed = rng.integers(200, 20_000, parcels)
        at = (left + timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:%S") + "+08:00"
        now = timezone.now().isoformat()
        frame = pd.DataFrame({"outbound_no": _numbered("OBA", no, 9), "order_no": _numbered("OBAO", no, 9), "sku": "SKU-API",
                              "quantity": 1, "waybill_no": waybill, "packed_weight_g": packed, "outbound_at": at,
                              "warehouse": "杭州仓", "province": "浙江"})
        # A few waybills of each half are on a second outbound too: the check of their scan finds the reuse.
        reused = np.r_[rng.choice(n, API_REUSED, replace=False), n + rng.choice(n, API_REUSED, replace=False)]
        again = pd.DataFrame({**{c: frame[c].to_numpy()[reused] for c in frame.columns},
                              "outbound_no": _numbered("OBA", parcels + np.arange(len(reused)), 9)})
        again["outbound_at"] = (left + timedelta(minutes=2)).strftime("%Y-%m-%d %H:%M:%S") + "+08:00"
        frame = pd.concat([frame, again], ignore_index=True)
        bulk_load(OutboundRecord._meta.db_table, frame.assign(courier_id=self.courier.id, source_id=None, row_no=None,
                                                              created_at=now, updated_at=now))
        heavy = np.r_[rng.choice(n, API_HEAVY, replace=False), n + rng.choice(n, API_HEAVY + 5, replace=False)]
        heavy = heavy[~np.isin(heavy, reused)]  # a reused waybill's second outbound weighs the same: one finding each
        weight = packed.copy()
        weight[heavy] += int(courier_terms({COURIER}, timezone.localdate())[0][COURIER]) + 1_000
        scanned = (left + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
        scans = [{"waybill_no": waybill[i], "courier": COURIER, "picked_up_at": scanned,
                  "pickup_weight": f"{weight[i] / 1000:.3f}", "site": "余杭"} for i in range(parcels)]
        expected = {
            "batches": {"waybill_reused": API_REUSED, "pickup_weight_mismatch": int(np.count_nonzero(heavy < n))},
            "one_post": {"waybill_reused": API_REUSED, "pickup_weight_mismatch": int(np.count_nonzero(heavy >= n))},
        }
        failures = []
        with override_settings(ALLOWED_HOSTS=["testserver"]):
            for label, posts in (("batches", [scans[i:i + API_BATCH] for i in range(0, n, API_BATCH)]),
                                 ("one_post", [scans[n:]])):
                found = {"waybill_reused": 0, "pickup_weight_mismatch": 0}
                profiler = cProfile.Profile(time.process_time) if profile and label == "batches" else None
                if profiler is not None:
                    profiler.enable()
                t = time.perf_counter()
                for records in posts:
                    response = client.post("/api/v1/pickups/", records, format="json")
                    if response.status_code != 200:
                        raise CommandError(f"POST /api/v1/pickups/ answered {response.status_code}: {response.content[:300]!r}")
                    body = response.json()
                    if body["rows"] != len(records) or body["checked"] != len(records):
                        raise CommandError(f"POST /api/v1/pickups/ wrote {body['rows']} and checked {body['checked']} "
                                           f"of {len(records)}")
                    if body["check_run"]:
                        by_type = ReconRun.objects.get(id=body["check_run"]).summary["by_type"]
                        for code in found:
                            found[code] += int(by_type[code]["count"])
                wall = time.perf_counter() - t
                if profiler is not None:
                    profiler.disable()
                    out = io.StringIO()
                    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(profile)
                    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(profile)
                    self.stdout.write(out.getvalue())
                rate = n / wall
                self.results[label] = {"wall": wall, "rate": rate, "found": found}
                self.stdout.write(f"api {label}: {n} scans in {len(posts)} post(s), {wall:.2f} s, {rate:,.0f} scans/s "
                                  f"(target > 5,000), found {found}")
                if found != expected[label]:
                    failures.append(f"api {label}: found {found}, injected {expected[label]}")
        return failures

    # ----------------------------------------------------------------------- data

    def generate_day(self, n: int, rng) -> dict:
        """A day of orders on three platforms, one or two items each, each shipped in its own parcel (a few parcels carry
        two orders) and scanned by the courier, with the problems of RUN_EXPECTED injected on orders kept apart."""
        e = RUN_EXPECTED
        idx = np.arange(n)
        plat = np.array([self.platform_ids[c] for c in PLATFORMS])[idx % len(PLATFORMS)]
        # Paid before noon: outbound two hours later and the scan three hours after that stay on the same day.
        paid_s = rng.integers(0, 12 * 3600, n)
        order_no = _numbered("OB", idx, 9)
        # Every 100th order shares the parcel of the order before it (合并发货); those pairs get no injected problem.
        parcel = idx.copy()
        parcel[idx % 100 == 1] -= 1
        free = np.flatnonzero((idx % 100 > 1))
        picks = rng.permutation(free)
        cut = np.cumsum([0, e["order_not_shipped"], e["shipped_not_outbound"], e["outbound_quantity_mismatch"],
                         e["waybill_reused"], e["waybill_reused"], e["outbound_not_picked_up"], e["pickup_weight_mismatch"]])
        unshipped, notice, qty_off, reuse_first, reuse_later, unscanned, heavy = (
            picks[cut[i]:cut[i + 1]] for i in range(len(cut) - 1))

        status = np.full(n, "shipped", dtype=object)
        status[idx % 7 == 0] = "completed"
        status[unshipped] = "paid"
        shipped_s = paid_s + 3 * 3600
        shipped_at = _stamp(shipped_s)
        shipped_at[unshipped] = None
        now = timezone.now().isoformat()
        bulk_load(Order._meta.db_table, pd.DataFrame({
            "order_no": order_no, "shop": "旗舰店", "status": status, "paid_at": _stamp(paid_s), "shipped_at": shipped_at,
            "order_amount": "0.00", "refund_amount": "0.00", "row_no": None, "created_at": now, "updated_at": now,
            "source_id": None, "platform_id": plat,
        }))
        ids = pd.Series(dict(Order.objects.filter(order_no__startswith="OB").values_list("order_no", "id").iterator(chunk_size=50_000)))
        order_id = ids.reindex(order_no).to_numpy(dtype=np.int64)

        # Items: one per order, a second on every third order.
        two = idx[idx % 3 == 0]
        l_order = np.r_[idx, two]
        l_no = np.r_[np.ones(n, dtype=np.int64), np.full(len(two), 2)]
        l_sku = np.r_[_numbered("SKU-A", idx % 500, 3), _numbered("SKU-B", two % 200, 3)]
        l_qty = rng.integers(1, 4, len(l_order))
        l_fen = l_qty * rng.integers(500, 50_000, len(l_order))
        bulk_load(OrderLine._meta.db_table, pd.DataFrame({
            "line_no": l_no, "sku": l_sku, "quantity": l_qty, "line_amount": _yuan(l_fen), "order_id": order_id[l_order]}))

        # Outbound items: every item of every order but the unshipped ones, in the order's parcel.
        sent = ~np.isin(l_order, np.r_[unshipped, notice])
        b_order, b_sku, b_qty = l_order[sent], l_sku[sent], l_qty[sent].copy()
        b_qty[np.isin(b_order, qty_off) & (l_no[sent] == 1)] += 1
        b_parcel = parcel[b_order]
        waybill_of = _numbered("8800", idx, 10)
        # The later order of each reused pair is packed in a parcel of its own but labelled with the first's waybill.
        waybill_of[reuse_later] = waybill_of[reuse_first]
        packed = rng.integers(200, 20_000, n)
        packed[reuse_later] = packed[reuse_first]
        out_s = paid_s + 2 * 3600
        out_s[reuse_later] = np.maximum(out_s[reuse_later], out_s[reuse_first])
        out_s[idx % 100 == 0] = np.maximum(out_s[idx % 100 == 0], out_s[np.minimum(idx[idx % 100 == 0] + 1, n - 1)])
        outbound_at = _stamp(out_s)
        unknown = np.arange(e["outbound_unknown_order"])
        bulk_load(OutboundRecord._meta.db_table, pd.DataFrame({
            "outbound_no": np.r_[_numbered("OBK", b_parcel, 9), _numbered("OBKX", unknown, 8)],
            "order_no": np.r_[order_no[b_order], _numbered("OBX", unknown, 9)],
            "sku": np.r_[b_sku, np.full(len(unknown), "SKU-X")].astype(object),
            "quantity": np.r_[b_qty, np.ones(len(unknown), dtype=np.int64)],
            "waybill_no": np.r_[waybill_of[b_parcel], _numbered("88009", unknown, 9)],
            "courier_id": self.courier.id, "packed_weight_g": np.r_[packed[b_parcel], np.full(len(unknown), 1000)],
            "outbound_at": np.r_[outbound_at[b_parcel], _stamp(np.full(len(unknown), 36_000))],
            "warehouse": "杭州仓", "province": "浙江", "source_id": None, "row_no": None, "created_at": now, "updated_at": now,
        }))

        # One scan per parcel's waybill, an hour after it left, at its packed weight; the unscanned have none.
        parcels = np.unique(b_parcel)
        parcels = parcels[~np.isin(parcels, np.r_[unscanned, reuse_later])]
        weight = packed.copy()
        weight[heavy] += self.tolerance_g + 1_000
        stray = np.arange(e["picked_up_not_outbound"])
        bulk_load(PickupScan._meta.db_table, pd.DataFrame({
            "waybill_no": np.r_[waybill_of[parcels], _numbered("88009", unknown, 9), _numbered("88008", stray, 9)],
            "picked_up_at": np.r_[_stamp(out_s[parcels] + 3600), _stamp(np.full(len(unknown), 40_000)),
                                  _stamp(np.full(len(stray), 43_200))],
            "pickup_weight_g": np.r_[weight[parcels], np.full(len(unknown), 1000), np.full(len(stray), 800)],
            "site": "余杭", "source_id": None, "row_no": None, "created_at": now, "updated_at": now,
            "courier_id": self.courier.id,
        }))
        return {"orders": n, "order_lines": len(l_order), "outbound_records": int(sent.sum()) + len(unknown),
                "pickup_scans": len(parcels) + len(unknown) + len(stray)}

    def analyze(self) -> None:
        with connection.cursor() as cursor:
            for model in (Order, OrderLine, OutboundRecord, PickupScan):
                cursor.execute(f"ANALYZE {model._meta.db_table}")

    def cleanup(self) -> None:
        """Delete what this benchmark made (in SQL: half a million rows through the ORM's collector would take minutes)."""
        bot = list(User.objects.filter(username=BOT).values_list("id", flat=True))
        with transaction.atomic(), connection.cursor() as cursor:
            runs = list(ReconRun.objects.filter(kind=SPEC.code, period_start__year=2042).values_list("id", flat=True))
            runs += list(ReconRun.objects.filter(kind=SPEC.code, created_by_id__in=bot).values_list("id", flat=True))
            runs += list(Discrepancy.objects.filter(kind=SPEC.code, details__waybill_no__startswith="880")
                         .values_list("run_id", flat=True).distinct())
            Discrepancy.objects.filter(run_id__in=runs).delete()
            ReconRun.objects.filter(id__in=runs).delete()
            for sql in (
                f"DELETE FROM {OrderLine._meta.db_table} WHERE order_id IN "
                f"(SELECT id FROM {Order._meta.db_table} WHERE order_no LIKE 'OB%%')",
                f"DELETE FROM {Order._meta.db_table} WHERE order_no LIKE 'OB%%'",
                f"DELETE FROM {OutboundRecord._meta.db_table} WHERE outbound_no LIKE 'OB%%'",
                f"DELETE FROM {PickupScan._meta.db_table} WHERE waybill_no LIKE '880%%'",
                f"DELETE FROM {Shipment._meta.db_table} WHERE waybill_no LIKE '880%%'",
            ):
                cursor.execute(sql)
            User.objects.filter(id__in=bot).delete()
