"""Benchmark the returns run: N return request rows with their receipts and freight lines written straight into the
tables (COPY, not files), then the run — stored rows to summary — timed per phase with --repeat.

Everything it makes is marked (return numbers BR…, waybills 98…, rate cards and periods in 2041) and deleted at the
end, also when a run fails; data left by a killed benchmark is removed by the next one.
"""
from __future__ import annotations

import io
import statistics
import time
from datetime import date, datetime, time as dtime

import numpy as np
import pandas as pd
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from couriers.demo_data import PRICES_FEN, rate_card_frame, region
from couriers.models import Courier, RateCard
from couriers.services import rate_card_import
from recon.core.db import bulk_load, is_postgres, money
from recon.core.models import Discrepancy, ReconPeriod, ReconRun
from recon.runs import services as run_services
from returns.models import ReturnFreightLine, ReturnReceipt, ReturnRequest
from returns.runs import returns_reconcile

MARK = "bench-returns"
START, END, AS_OF = date(2041, 10, 1), date(2041, 10, 31), date(2041, 11, 15)
COURIERS = ("ZTO", "YTO")
PROVINCES = ["浙江", "江苏", "上海", "广东", "北京", "四川", "湖北", "山东"]
PHASES = ("load", "match", "save", "carry_over", "persist", "total")


def _text(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill(numbers.astype(str), width)).astype(object)


def _stamp(days: np.ndarray, hours: np.ndarray, month: int = 10) -> np.ndarray:
    """Local times in 2041 as text PostgreSQL reads with their offset."""
    day = pd.Timestamp(2041, month, 1) + pd.to_timedelta(days, unit="D") + pd.to_timedelta(hours, unit="h")
    return (pd.Series(day).dt.strftime("%Y-%m-%d %H:%M:%S") + "+08:00").to_numpy(dtype=object)


class Command(BaseCommand):
    help = ("Benchmark the returns run: generate N return request rows with receipts and freight (COPY), then time the "
            "run per phase. PostgreSQL only unless --allow-sqlite.")

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=200_000, help="return request rows (default 200,000)")
        parser.add_argument("--repeat", type=int, default=3)
        parser.add_argument("--seed", type=int, default=11)
        parser.add_argument("--allow-sqlite", action="store_true", help="allow SQLite, for small smoke runs only")
        parser.add_argument("--keep", action="store_true", help="leave the generated rows and the last run in place")

    def handle(self, *args, **o):
        if not is_postgres() and not o["allow_sqlite"]:
            raise CommandError("bench_returns measures PostgreSQL: set DATABASE_URL (or pass --allow-sqlite for a smoke run).")
        if o["requests"] < 10 or o["repeat"] < 1:
            raise CommandError("--requests must be at least 10 and --repeat at least 1.")
        self.cleanup()
        try:
            t = time.perf_counter()
            counts, expected = self.generate(o["requests"], np.random.default_rng(o["seed"]))
            self.stdout.write(f"generated {counts} in {time.perf_counter() - t:.1f} s")
            samples: dict[str, list[float]] = {p: [] for p in PHASES}
            walls = []
            for i in range(o["repeat"]):
                # Each timed run is a first run of its range: the previous one goes, so nothing carries over.
                self.delete_runs()
                as_of = timezone.make_aware(datetime.combine(AS_OF, dtime(23, 59)))
                run = returns_reconcile(counterparty_code="", start=START, end=END, as_of=as_of, user=None, enqueue=False,
                                        grace_days=7)[0]
                t = time.perf_counter()
                run_services.run_execute(run_id=run.id)
                walls.append(time.perf_counter() - t)
                run.refresh_from_db()
                if run.status != ReconRun.Status.SUCCEEDED:
                    raise CommandError(f"run #{run.id} {run.status}: {run.error_code} {run.error}")
                self.verify(run, expected)
                for p in PHASES:
                    samples[p].append(float(run.timings.get(p, 0.0)))
                self.stdout.write(f"run {i + 1}: " + ", ".join(f"{p} {run.timings.get(p, 0):.2f} s" for p in PHASES)
                                  + f"; wall {walls[-1]:.2f} s; {run.summary['discrepancies']} discrepancies")
            self.stdout.write("median: " + ", ".join(f"{p} {statistics.median(samples[p]):.2f} s" for p in PHASES)
                              + f"; wall {statistics.median(walls):.2f} s (target < 10 s)")
            by_type = {t: v["count"] for t, v in run.summary["by_type"].items()}
            self.stdout.write(f"last run #{run.id}: {by_type}")
            self.stdout.write(f"every run found exactly the injected problems: {len(expected)} types, counts and money checked; "
                              f"spread of wall {min(walls):.2f}–{max(walls):.2f} s")
        finally:
            if not o["keep"]:
                self.cleanup()

    # ------------------------------------------------------------------ data

    def generate(self, n: int, rng: np.random.Generator) -> tuple[dict, dict]:
        couriers = {c.code: c for c in Courier.objects.filter(code__in=COURIERS)}
        if len(couriers) != len(COURIERS):
            raise CommandError(f"couriers {', '.join(COURIERS)} are needed (migrate creates them)")
        for courier in couriers.values():
            buffer = io.BytesIO()
            rate_card_frame().to_excel(buffer, index=False)
            buffer.seek(0)
            rate_card_import(file=buffer, filename=f"{MARK}.xlsx", courier=courier, effective_from=date(2041, 1, 1),
                             effective_to=date(2041, 12, 31), name=MARK)
        stamp = pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%d %H:%M:%S+00:00")

        # Requests: a quarter of the returns hold two items (two rows); 3 % not shipped yet. Problem rates are a few percent
        # each, as in a real month (the courier-fee benchmark injects 6 %).
        k = np.arange(n)
        ret = (k * 3) // 4
        n_ret = int(ret[-1]) + 1
        code_of_ret = np.array(COURIERS)[ret % len(COURIERS)]
        waybill_of_ret = _text("98", np.arange(n_ret), 12)
        unshipped = rng.random(n_ret) < 0.03
        waybill_of_ret[unshipped] = ""
        day_of_ret = rng.integers(0, 31, n_ret)
        status_draw = rng.random(n)
        status = np.where(status_draw < 0.70, "refunded", np.where(status_draw < 0.95, "requested", "refused")).astype(object)
        quantity = rng.integers(1, 4, n)
        refund_fen = rng.integers(990, 49_900, n)
        sku = _text("SKU-", k % 50, 3)
        ids = {c: couriers[c].pk for c in COURIERS}
        requests = pd.DataFrame({
            "return_no": _text("BR", ret, 10), "sku": sku, "order_no": _text("BO", ret, 10), "platform": "淘宝",
            "shop": MARK, "return_waybill_no": waybill_of_ret[ret], "return_waybill_raw": waybill_of_ret[ret],
            "return_courier_id": np.vectorize(ids.get)(code_of_ret[ret]), "return_courier_raw": code_of_ret[ret],
            "quantity": quantity, "refund_amount": money(pd.Series(refund_fen)).to_numpy(), "refund_status": status,
            "refunded_at": np.where(status == "refunded", _stamp(day_of_ret[ret] + 1, np.full(n, 10)), None),
            "requested_at": _stamp(day_of_ret[ret], rng.integers(8, 22, n)), "reason": "", "buyer_name": "",
            "buyer_phone": "", "buyer_address": "", "row_no": k + 2, "created_at": stamp, "updated_at": stamp,
        })

        # Receipts: 94 % of the shipped returns arrive, each item on its own row; a few short, damaged or empty,
        # some with an item nobody asked for, and parcels no request names.
        arrived_ret = ~unshipped & (rng.random(n_ret) < 0.94)
        rows = np.flatnonzero(arrived_ret[ret])
        r_qty = quantity[rows] - (rng.random(len(rows)) < 0.02)
        cond_draw = rng.random(len(rows))
        condition = np.where(cond_draw < 0.015, "damaged", np.where(cond_draw < 0.02, "empty", "good")).astype(object)
        receipts = [pd.DataFrame({
            "return_waybill_no": waybill_of_ret[ret[rows]], "order_no": "", "sku": sku[rows], "quantity": r_qty,
            "condition": condition, "day": day_of_ret[ret[rows]] + rng.integers(2, 9, len(rows)),
        })]
        wrong = np.flatnonzero(arrived_ret)[rng.random(int(arrived_ret.sum())) < 0.005]
        receipts.append(pd.DataFrame({"return_waybill_no": waybill_of_ret[wrong], "order_no": "", "sku": "SKU-WRONG",
                                      "quantity": 1, "condition": "good", "day": day_of_ret[wrong] + 3}))
        stray = max(1, n // 200)
        receipts.append(pd.DataFrame({"return_waybill_no": _text("97", np.arange(stray), 12), "order_no": "", "sku": "SKU-001",
                                      "quantity": 1, "condition": "good", "day": rng.integers(0, 31, stray)}))
        rec = pd.concat(receipts, ignore_index=True)
        receipt_rows = pd.DataFrame({
            "return_waybill_no": rec["return_waybill_no"].to_numpy(), "return_waybill_raw": rec["return_waybill_no"].to_numpy(),
            "order_no": rec["order_no"].to_numpy(), "received_at": _stamp(rec["day"].to_numpy(), np.full(len(rec), 14)),
            "sku": rec["sku"].to_numpy(), "quantity": rec["quantity"].to_numpy(), "condition": rec["condition"].to_numpy(),
            "warehouse": MARK, "inspector": "", "row_no": np.arange(len(rec)) + 2, "created_at": stamp, "updated_at": stamp,
        })

        # Freight: one line per shipped return, 1 % billed again, 0.5 % for waybills no request names; 3 % overcharged.
        shipped = np.flatnonzero(~unshipped)
        again = shipped[rng.random(len(shipped)) < 0.01]
        unknown = max(1, n // 200)
        f_ret = np.concatenate([shipped, again])
        f_waybill = np.concatenate([waybill_of_ret[f_ret], _text("96", np.arange(unknown), 12)])
        f_code = np.concatenate([code_of_ret[f_ret], np.array(COURIERS)[np.arange(unknown) % len(COURIERS)]])
        m = len(f_waybill)
        province = np.array(PROVINCES, dtype=object)[rng.integers(0, len(PROVINCES), m)]
        band = rng.integers(0, 4, m)
        weight = np.array([400, 800, 1500, 2500])[band]
        price = np.array([PRICES_FEN[region(p)][b] for p, b in zip(province, band)])
        fee = price + np.where(rng.random(m) < 0.03, 150, 0)
        f_day = np.concatenate([day_of_ret[f_ret] + 2, rng.integers(0, 31, unknown)])
        freight = pd.DataFrame({
            "courier_id": np.vectorize(ids.get)(f_code), "waybill_no": f_waybill, "waybill_raw": f_waybill,
            "billed_at": _stamp(f_day, np.full(m, 9)), "billed_weight_g": weight, "fee": money(pd.Series(fee)).to_numpy(),
            "origin_province": province, "origin_province_raw": province, "line_no": np.arange(m) + 1, "sheet": MARK,
            "row_no": np.arange(m) + 2, "created_at": stamp,
        })
        with transaction.atomic():
            bulk_load(ReturnRequest._meta.db_table, requests)
            bulk_load(ReturnReceipt._meta.db_table, receipt_rows)
            bulk_load(ReturnFreightLine._meta.db_table, freight)
        if is_postgres():
            with connection.cursor() as cursor:
                for model in (ReturnRequest, ReturnReceipt, ReturnFreightLine):
                    cursor.execute(f"ANALYZE {model._meta.db_table}")
        counts = {"requests": len(requests), "returns": n_ret, "receipts": len(receipt_rows), "freight": len(freight)}

        # What the run must find, worked out from what was injected (every return is requested in the range and overdue
        # by AS_OF, each row of a return is its own SKU, and no receipt carries an order number).
        refunded_fen = np.where(status == "refunded", refund_fen, 0)
        paid_by_ret = np.bincount(ret, weights=refunded_fen, minlength=n_ret).astype(np.int64)
        refunded_ret = np.bincount(ret, weights=status == "refunded", minlength=n_ret) > 0
        lost = ~arrived_ret
        # A row arrived on its own receipt row: an empty parcel with no count stands for everything asked.
        q = quantity[rows]
        got = np.where((condition == "empty") & (r_qty == 0), q, r_qty)
        bad = np.where(np.isin(condition, ["damaged", "empty"]), got, 0)
        short = q - got
        paid = refunded_fen[rows]

        def prorata(k):
            return np.where(paid > 0, (2 * paid * k + q) // (2 * q), 0)

        first_lines = np.arange(len(f_ret)) < len(shipped)
        billed = np.concatenate([first_lines, np.zeros(unknown, dtype=bool)])
        known_line = np.concatenate([np.ones(len(f_ret), dtype=bool), np.zeros(unknown, dtype=bool)])
        not_arrived_line = np.concatenate([~arrived_ret[f_ret], np.zeros(unknown, dtype=bool)])
        surcharge = fee - price
        checked = billed | ~known_line
        expected = {
            "refunded_not_received": (int((lost & refunded_ret).sum()), int(paid_by_ret[lost & refunded_ret].sum())),
            "return_not_received": (int((lost & ~refunded_ret).sum()), 0),
            "return_quantity_short": (int((short > 0).sum()), int(prorata(short)[short > 0].sum())),
            "return_damaged": (int((bad > 0).sum()), int(prorata(bad)[bad > 0].sum())),
            "return_wrong_item": (len(wrong), 0),
            "return_unexpected": (stray, 0),
            "return_freight_not_received": (int((billed & not_arrived_line).sum()), int(fee[billed & not_arrived_line].sum())),
            "return_freight_unknown": (unknown, int(fee[~known_line].sum())),
            "return_freight_duplicate": (len(again), int(fee[len(shipped):len(f_ret)].sum())),
            "return_freight_overcharge": (int((checked & (surcharge > 0)).sum()), int(surcharge[checked].sum())),
        }
        return counts, expected

    def verify(self, run: ReconRun, expected: dict) -> None:
        """Fail unless the run found exactly the injected problems: count and money of every type."""
        found = {t: (int(run.summary["count_by_type"].get(t, 0)), int(run.summary["fen_by_type"].get(t, 0))) for t in expected}
        wrong = {t: {"expected": expected[t], "found": found[t]} for t in expected if found[t] != expected[t]}
        if wrong or run.summary["discrepancies"] != sum(c for c, _ in expected.values()):
            raise CommandError(f"run #{run.id} did not find what was injected (count, fen): {wrong}")

    def delete_runs(self) -> None:
        runs = ReconRun.objects.filter(kind="returns", period_start=START, period_end=END)
        Discrepancy.objects.filter(run__in=runs).delete()
        runs.delete()

    def cleanup(self) -> None:
        self.delete_runs()
        ReturnRequest.objects.filter(shop=MARK).delete()
        ReturnReceipt.objects.filter(warehouse=MARK).delete()
        ReturnFreightLine.objects.filter(sheet=MARK).delete()
        RateCard.objects.filter(name=MARK).delete()
        ReconPeriod.objects.filter(start=START, end=END, discrepancies__isnull=True).delete()
