"""Benchmark the review queue at scale: N discrepancies made in one INSERT … SELECT, then the list page, the API list
and the totals panel timed through Django's test client for the filters clerks use.

Everything it creates is marked (users `bench-queue-*`, bills `bench-queue-*`, runs named `bench-queue`, disputes
`BENCH-Q-*`, periods in 2040 held by those bills) and deleted at the end, also when a measurement fails; a run that
was killed is cleaned up by the next one. `--keep` leaves the data for a look with EXPLAIN.
"""
from __future__ import annotations

import calendar
import html
import json
import math
import re
import statistics
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from couriers.models import Courier, CourierBill
from recon.core.models import Discrepancy, Dispute, ReconPeriod, ReconRun

MARK = "bench-queue"
YEAR = 2040
MONTHS = 12
PAGE_BUDGET_MS = 200

# Share of the rows per courier: the big networks carry most parcels.
COURIERS = [("ZTO", 30, "7531"), ("YTO", 22, "YT880"), ("YUNDA", 15, "4312"), ("STO", 13, "7730"), ("JT", 12, "JT000"), ("SF", 8, "SF140")]
# How often each type turns up in a month of courier bills: weight disputes dominate.
TYPES = [
    ("weight_overcharge", 38), ("rate_overcharge", 18), ("zone_mismatch", 10), ("rate_undercharge", 8),
    ("duplicate_charge", 6), ("unknown_waybill", 6), ("not_billed", 5), ("no_rate", 3), ("courier_mismatch", 3),
    ("cancelled_shipment_charged", 3),
]
STATUSES = [("open", 80), ("investigating", 7), ("disputed", 6), ("resolved", 7)]
OUTCOMES = [("recovered", 60), ("accepted", 25), ("written_off", 15)]
# Money at stake in fen: (share, low, high); most are a few yuan, a long tail reaches thousands.
AMOUNT_TIERS = [(55, 50, 300), (25, 300, 1_000), (12, 1_000, 5_000), (6, 5_000, 20_000), (1.7, 20_000, 100_000), (0.3, 100_000, 500_000)]
PROVINCES = ["广东", "浙江", "江苏", "上海", "北京", "四川", "湖北", "山东", "河南", "福建"]
REASONS = {
    "weight_overcharge": "'账单重量 ' || {bw} || ' 克，高于我方称重 ' || {ew} || ' 克'",
    "rate_overcharge": "'账单运费高于报价单价格，差额 ' || {fen} || ' 分'",
    "zone_mismatch": "'账单目的省份与我方记录不符'",
    "rate_undercharge": "'账单运费低于报价单价格，差额 ' || {fen} || ' 分'",
    "duplicate_charge": "'同一运单重复计费'",
    "unknown_waybill": "'我方没有这个运单'",
    "not_billed": "'已发货，账单中没有'",
    "no_rate": "'报价单中没有这个重量段或省份'",
    "courier_mismatch": "'我方记录为其他快递公司发货'",
    "cancelled_shipment_charged": "'已取消的运单被计费'",
}
ASSIGNED_SHARE = 30  # percent of rows with an assignee; the rest wait in the pool
SUPERSEDED_EVERY = 4  # every 4th bill was reconciled twice: a quarter of its first run's rows stay, not current

# Pseudo-random draws from the row number, the same on PostgreSQL and SQLite: u = (i²·a + i·b + c) mod M.
M = 1_000_003
DRAWS = {
    "u_courier": (7_919, 104_729, 11), "u_period": (15_485, 86_969, 23), "u_type": (224_737, 350_377, 37),
    "u_status": (479_909, 611_953, 41), "u_outcome": (746_773, 882_377, 53), "u_assignee": (31_337, 555_557, 67),
    "u_amount": (999_331, 271_829, 71), "u_amount2": (662_813, 428_957, 83), "u_weight": (123_457, 987_631, 97),
    "u_province": (314_159, 265_359, 101), "u_current": (577_215, 664_901, 103), "u_order": (141_421, 356_237, 107),
    "u_time": (173_207, 508_075, 109), "u_fee": (271_828, 182_845, 113),
}


@dataclass
class Scenario:
    name: str
    params: dict
    deep: int = 0  # follow `next` this many times, then time that page
    page: list = field(default_factory=list)
    api: list = field(default_factory=list)
    totals: list = field(default_factory=list)
    info: dict = field(default_factory=dict)


def _cut(column: str, choices: list) -> str:
    """A CASE that picks each choice for its share of the draw's range."""
    total = sum(w for _v, w in choices)
    parts, acc = [], 0.0
    for value, weight in choices[:-1]:
        acc += weight
        parts.append(f"WHEN {column} < {int(M * acc / total)} THEN {value}")
    return f"CASE {' '.join(parts)} ELSE {choices[-1][0]} END"


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile: with 20 samples, p95 is the 19th fastest."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


class Command(BaseCommand):
    help = ("Benchmark the review queue: generate N discrepancies (set-based), then time the list page, the API list and "
            "the totals panel per filter through Django's test client. PostgreSQL only unless --allow-sqlite.")

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=1_000_000)
        parser.add_argument("--repeat", type=int, default=20)
        parser.add_argument("--totals-repeat", type=int, default=5,
                            help="timed requests of the totals panel per filter (default 5: it adds up every matching row)")
        parser.add_argument("--explain", action="store_true", help="EXPLAIN (ANALYZE, BUFFERS) the main query of each scenario")
        parser.add_argument("--allow-sqlite", action="store_true", help="allow SQLite, for small smoke runs only")
        parser.add_argument("--keep", action="store_true", help="leave the generated data in the database")
        parser.add_argument("--reuse", action="store_true", help="measure the rows a --keep run left, if it made as many")
        parser.add_argument("--output", default="", help="JSON file (default var/bench/queue-<timestamp>.json)")

    def handle(self, *args, **o):
        vendor = connection.vendor
        if vendor != "postgresql" and not (vendor == "sqlite" and o["allow_sqlite"]):
            raise CommandError(
                f"bench_queue measures PostgreSQL (this database is {vendor}). Set DATABASE_URL to a PostgreSQL database, "
                "or pass --allow-sqlite for a small smoke run whose timings mean nothing."
            )
        if o["rows"] < 1:
            raise CommandError("--rows must be at least 1")
        repeat, totals_repeat = max(1, o["repeat"]), max(1, o["totals_repeat"])
        self.rows, self.totals_done = o["rows"], {}
        fixtures = self.load_fixtures() if o["reuse"] else None
        if fixtures and self.counts(fixtures)["rows"] != o["rows"]:
            fixtures = None
        if not fixtures:
            self.cleanup(quiet=False)
        try:
            t0 = time.perf_counter()
            reused = bool(fixtures)
            if reused:
                inserted = o["rows"]
            else:
                fixtures = self.create_fixtures()
                inserted = self.generate(o["rows"], fixtures)
            generate_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            with connection.cursor() as c:
                c.execute("ANALYZE")
            analyze_s = time.perf_counter() - t0
            counts = self.counts(fixtures)
            self.stdout.write(f"database: {vendor}; {'reused' if reused else 'generated'} {counts['rows']:,} discrepancies in {generate_s:.1f} s "
                              f"({counts['current']:,} current), ANALYZE {analyze_s:.1f} s")
            # SQLite reports no row count for a statement that starts with WITH (-1); the table is the proof.
            if counts["rows"] != o["rows"] or inserted not in (-1, o["rows"]):
                raise CommandError(f"generated {counts['rows']:,} rows (the database said {inserted:,}), not {o['rows']:,}")
            scenarios = self.scenarios(fixtures)
            client = Client()
            client.force_login(fixtures["manager"])
            # Timed as production serves pages: DEBUG off, so no query log grows in the benchmark's memory.
            with override_settings(DEBUG=False):
                for s in scenarios:
                    self.measure(client, s, repeat, totals_repeat, explain=o["explain"])
            client.logout()
        finally:
            if not o["keep"]:
                self.cleanup(quiet=True)
        report = self.report(scenarios, vendor=vendor, rows=counts["rows"], current=counts["current"], counts=counts,
                             repeat=repeat, totals_repeat=totals_repeat, generate_s=generate_s, analyze_s=analyze_s,
                             kept=o["keep"])
        out = Path(o["output"]) if o["output"] else Path(settings.VAR_DIR) / "bench" / f"queue-{datetime.now():%Y%m%d-%H%M%S}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
        self.stdout.write(f"results: {out}")
        return None

    # ----------------------------------------------------------------------------------------------- data

    def create_fixtures(self) -> dict:
        """Users, periods, bills, runs and disputes the rows point to; all marked for the cleanup."""
        User = get_user_model()
        tz = ZoneInfo(settings.TIME_ZONE)
        with transaction.atomic():
            manager = User.objects.create_user(f"{MARK}-manager", first_name="Bench", last_name="Manager")
            manager.groups.add(Group.objects.get(name="manager"))
            ops = []
            for n in range(1, 6):
                user = User.objects.create_user(f"{MARK}-ops-{n}", first_name=f"Ops{n}")
                user.groups.add(Group.objects.get(name="ops"))
                ops.append(user)
            slots = []
            for code, _share, prefix in COURIERS:
                courier = Courier.objects.get(code=code)
                dispute = Dispute.objects.create(number=f"BENCH-Q-{code}", counterparty_id=courier.counterparty_id, note=MARK)
                for month in range(1, MONTHS + 1):
                    start = date(YEAR, month, 1)
                    end = date(YEAR, month, calendar.monthrange(YEAR, month)[1])
                    period = ReconPeriod.objects.create(counterparty_id=courier.counterparty_id, start=start, end=end, cycle=ReconPeriod.Cycle.MONTHLY)
                    bill = CourierBill.objects.create(
                        courier=courier, period=period, period_start=start, period_end=end, file=f"bench/{MARK}.csv",
                        original_filename=f"{MARK}-{code}-{start:%Y-%m}.csv", sha256=f"{MARK}-{code}-{start:%Y-%m}",
                        size_bytes=0,
                    )
                    run_fields = dict(kind="courier_fee", status=ReconRun.Status.SUCCEEDED, phase=ReconRun.Phase.DONE, counterparty_id=courier.counterparty_id,
                                      courier_bill=bill, period_start=start, period_end=end, input_filename=MARK, params={"bench": MARK})
                    old_run = ReconRun.objects.create(**run_fields) if len(slots) % SUPERSEDED_EVERY == 0 else None
                    run = ReconRun.objects.create(**run_fields)
                    epoch = int(datetime(YEAR, month, 1, tzinfo=tz).timestamp())
                    slots.append({"counterparty_id": courier.counterparty_id, "code": code, "month": month, "prefix": prefix, "period_id": period.id, "bill_id": bill.id,
                                  "run_id": run.id, "old_run_id": old_run.id if old_run else None, "dispute_id": dispute.id, "epoch": epoch})
        return {"manager": manager, "ops": ops, "slots": slots}

    def load_fixtures(self) -> dict | None:
        """The fixtures of an earlier --keep run, as create_fixtures() returned them."""
        users = {u.username: u for u in get_user_model().objects.filter(username__startswith=f"{MARK}-")}
        manager = users.get(f"{MARK}-manager")
        ops = [users[f"{MARK}-ops-{n}"] for n in range(1, 6) if f"{MARK}-ops-{n}" in users]
        slots = []
        for code, _share, prefix in COURIERS:
            dispute = Dispute.objects.filter(number=f"BENCH-Q-{code}").first()
            for month in range(1, MONTHS + 1):
                bill = CourierBill.objects.filter(sha256=f"{MARK}-{code}-{YEAR}-{month:02d}").first()
                runs = list(ReconRun.objects.filter(courier_bill=bill, input_filename=MARK).order_by("id")) if bill else []
                if not (bill and runs and dispute):
                    return None
                epoch = int(datetime(YEAR, month, 1, tzinfo=ZoneInfo(settings.TIME_ZONE)).timestamp())
                slots.append({"counterparty_id": bill.courier.counterparty_id, "code": code, "month": month, "prefix": prefix, "period_id": bill.period_id,
                              "bill_id": bill.id, "run_id": runs[-1].id, "old_run_id": runs[0].id if len(runs) > 1 else None,
                              "dispute_id": dispute.id, "epoch": epoch})
        return {"manager": manager, "ops": ops, "slots": slots} if manager and len(ops) == 5 else None

    def generate(self, rows: int, fx: dict) -> int:
        """All rows in one INSERT … SELECT over a series of row numbers; returns the database's row count (-1 on SQLite)."""
        pg = connection.vendor == "postgresql"
        if pg:
            ts = lambda s: f"to_timestamp({s})"  # noqa: E731
            money = lambda fen: f"(({fen})::numeric / 100)"  # noqa: E731
            pad = lambda x, n: f"lpad(({x})::text, {n}, '0')"  # noqa: E731
            details = lambda *pairs: "jsonb_build_object(" + ", ".join(pairs) + ")"  # noqa: E731
            recursive = ""
            series = f"generate_series(1::bigint, {int(rows)}) AS g(i)"
            series_cte = ""
        else:
            ts = lambda s: f"datetime({s}, 'unixepoch')"  # noqa: E731
            money = lambda fen: f"round(({fen}) / 100.0, 2)"  # noqa: E731
            pad = lambda x, n: f"substr('{'0' * n}' || ({x}), -{n}, {n})"  # noqa: E731
            details = lambda *pairs: "json_object(" + ", ".join(pairs) + ")"  # noqa: E731
            recursive = "RECURSIVE"
            series = "series AS g"
            series_cte = f"series(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM series WHERE i < {int(rows)}), "
        slot_values = ", ".join(
            f"({n}, {s['counterparty_id']}, {s['period_id']}, {s['bill_id']}, {s['run_id']}, "
            f"{s['old_run_id'] if s['old_run_id'] else 'NULL'}, {s['dispute_id']}, {s['epoch']}, {_q(s['prefix'])})"
            for n, s in enumerate(fx["slots"])
        )
        draws = ", ".join(f"(((g.i * g.i) % {M}) * {a} + g.i * {b} + {c}) % {M} AS {name}" for name, (a, b, c) in DRAWS.items())
        courier_idx = _cut("d.u_courier", [(n, share) for n, (_c, share, _p) in enumerate(COURIERS)])
        tier = _cut("d.u_amount", [(n, share) for n, (share, _lo, _hi) in enumerate(AMOUNT_TIERS)])
        tier_lo = " ".join(f"WHEN {n} THEN {lo}" for n, (_s, lo, _hi) in enumerate(AMOUNT_TIERS))
        tier_width = " ".join(f"WHEN {n} THEN {hi - lo}" for n, (_s, lo, hi) in enumerate(AMOUNT_TIERS))
        manager, ops = fx["manager"].id, [u.id for u in fx["ops"]]
        # The manager gets a sixth of the assigned rows, like each ops user.
        assignee = (f"CASE WHEN x.u_assignee >= {int(M * ASSIGNED_SHARE / 100)} THEN NULL "
                    f"ELSE CASE x.u_assignee % 6 WHEN 0 THEN {manager} " + " ".join(f"WHEN {k + 1} THEN {uid}" for k, uid in enumerate(ops)) + " END END")
        province = lambda expr: "CASE (" + expr + ") % 10 " + " ".join(f"WHEN {k} THEN {_q(p)}" for k, p in enumerate(PROVINCES)) + " END"  # noqa: E731
        superseded = f"(s.old_run_id IS NOT NULL AND x.u_current < {M // 4})"
        sql = f"""
WITH {recursive} {series_cte}
slots(slot, counterparty_id, period_id, bill_id, run_id, old_run_id, dispute_id, epoch, prefix) AS (VALUES {slot_values}),
d AS (SELECT g.i, {draws}, (g.i * 3131131131 + 1234567891) % 10000000000 AS wb, (g.i * 7777777777 + 99) % 10000000000000000 AS ord FROM {series}),
x AS (
  SELECT d.*, ({courier_idx}) * {MONTHS} + d.u_period % {MONTHS} AS slot,
    {_cut("d.u_type", [(_q(t), w) for t, w in TYPES])} AS type,
    {_cut("d.u_status", [(_q(s), w) for s, w in STATUSES])} AS status,
    {_cut("d.u_outcome", [(_q(v), w) for v, w in OUTCOMES])} AS outcome_if_resolved,
    (CASE ({tier}) {tier_lo} END) + d.u_amount2 % (CASE ({tier}) {tier_width} END) AS fen,
    300 + d.u_fee % 1200 AS base_fen,
    200 + d.u_weight % 4800 AS our_g
  FROM d
)
INSERT INTO recon_discrepancy (
  kind, type, status, ref, ref2, source_line, theirs_amount, ours_amount, details, amount_at_stake, reason, created_at,
  counterparty_id, run_id, source_id, period_id, is_current, assignee_id, outcome, outcome_reason, recovered_amount,
  dispute_id, updated_at, is_claim, carry_key
)
SELECT
  'courier_fee', x.type, x.status,
  s.prefix || {pad("x.wb", 10)},
  CASE WHEN x.type = 'unknown_waybill' THEN ''
       WHEN x.u_order < {int(M * 0.65)} THEN '38' || {pad("x.ord", 16)}
       ELSE '400' || {pad("x.u_period % 12 + 1", 2)} || '15-' || {pad("x.ord % 1000000000000000", 15)} END,
  x.i,
  CASE x.type WHEN 'not_billed' THEN NULL WHEN 'rate_undercharge' THEN {money("x.base_fen")} ELSE {money("x.base_fen + x.fen")} END,
  CASE WHEN x.type IN ('unknown_waybill', 'no_rate', 'courier_mismatch') THEN NULL
       WHEN x.type IN ('duplicate_charge', 'cancelled_shipment_charged') THEN 0
       WHEN x.type = 'rate_undercharge' THEN {money("x.base_fen + x.fen")} ELSE {money("x.base_fen")} END,
  {details(
      "'billed_weight_g'", "CASE x.type WHEN 'not_billed' THEN NULL WHEN 'weight_overcharge' THEN x.our_g + 500 + x.u_weight % 2500 ELSE x.our_g END",
      "'expected_weight_g'", "CASE x.type WHEN 'unknown_waybill' THEN NULL ELSE x.our_g END",
      "'billed_province'", f"CASE x.type WHEN 'not_billed' THEN '' ELSE {province('x.u_province')} END",
      "'expected_province'", f"CASE x.type WHEN 'unknown_waybill' THEN '' WHEN 'zone_mismatch' THEN {province('x.u_province + 3')} ELSE {province('x.u_province')} END",
  )},
  {money("x.fen")},
  CASE x.type {" ".join(f"WHEN {_q(t)} THEN {r.format(bw='(x.our_g + 500 + x.u_weight % 2500)', ew='x.our_g', fen='x.fen')}" for t, r in REASONS.items())} END,
  {ts("s.epoch + x.u_time % 2419200")},
  s.counterparty_id,
  CASE WHEN {superseded} THEN s.old_run_id ELSE s.run_id END,
  s.bill_id, s.period_id,
  CASE WHEN {superseded} THEN FALSE ELSE TRUE END,
  {assignee},
  CASE x.status WHEN 'resolved' THEN x.outcome_if_resolved ELSE '' END,
  CASE WHEN x.status = 'resolved' AND x.outcome_if_resolved <> 'recovered' THEN '快递公司提供了称重照片' ELSE '' END,
  CASE WHEN x.status = 'resolved' AND x.outcome_if_resolved = 'recovered' THEN
       CASE WHEN x.u_fee % 4 = 0 THEN {money("x.fen / 2")} ELSE {money("x.fen")} END END,
  CASE WHEN x.status = 'disputed' OR (x.status = 'resolved' AND x.outcome_if_resolved = 'recovered') THEN s.dispute_id END,
  CASE WHEN x.status <> 'open' THEN {ts("s.epoch + x.u_time % 2419200 + 86400")} END,
  x.type NOT IN ('rate_undercharge', 'no_rate', 'not_billed'),
  x.type || '|' || s.prefix || {pad("x.wb", 10)} || '|' || x.i
FROM x JOIN slots s ON s.slot = x.slot
"""
        with transaction.atomic(), connection.cursor() as c:
            c.execute(sql)
            return c.rowcount

    def counts(self, fx: dict) -> dict:
        runs = [s["run_id"] for s in fx["slots"]] + [s["old_run_id"] for s in fx["slots"] if s["old_run_id"]]
        qs = Discrepancy.objects.filter(run_id__in=runs)
        return {
            "rows": qs.count(), "current": qs.filter(is_current=True).count(),
            "couriers": len({s["code"] for s in fx["slots"]}), "periods": len(fx["slots"]), "bills": len(fx["slots"]), "runs": len(runs),
            "assignees": 1 + len(fx["ops"]),
        }

    def cleanup(self, *, quiet: bool) -> None:
        """Delete everything a bench run made (set-based for the rows), including what a killed run left behind."""
        User = get_user_model()
        runs = list(ReconRun.objects.filter(input_filename=MARK).values_list("id", flat=True))
        bills = CourierBill.objects.filter(sha256__startswith=f"{MARK}-")
        periods = list(bills.exclude(period=None).values_list("period_id", flat=True))
        users = User.objects.filter(username__startswith=f"{MARK}-")
        if not (runs or periods or users.exists() or bills.exists()):
            return
        t0 = time.perf_counter()
        with transaction.atomic():
            if runs:
                with connection.cursor() as c:
                    c.execute(f"DELETE FROM recon_discrepancy WHERE run_id IN ({', '.join(str(int(r)) for r in runs)})")
                ReconRun.objects.filter(id__in=runs).delete()
            bills.delete()
            Dispute.objects.filter(number__startswith="BENCH-Q-", note=MARK).delete()
            ReconPeriod.objects.filter(id__in=periods).delete()
            users.delete()
        if connection.vendor == "postgresql":
            with connection.cursor() as c:
                c.execute("ANALYZE recon_discrepancy")
        if not quiet:
            self.stdout.write(f"removed the data of an earlier bench_queue run ({time.perf_counter() - t0:.1f} s)")

    # ----------------------------------------------------------------------------------------------- measuring

    def scenarios(self, fx: dict) -> list[Scenario]:
        slot = next(s for s in fx["slots"] if s["code"] == "ZTO" and s["month"] == 6)
        runs = [s["run_id"] for s in fx["slots"]]
        mine = Discrepancy.objects.filter(run_id__in=runs, is_current=True).order_by("id")
        first = mine.first()
        middle = mine.filter(id__gte=first.id + self.rows // 2) if first else mine
        row = middle.exclude(ref2="").first() or mine.exclude(ref2="").first()
        zto_row = middle.filter(counterparty_id=slot["counterparty_id"]).first() or mine.filter(counterparty_id=slot["counterparty_id"]).first()
        # A clerk types the first digits of a waybill: 8 characters narrow ZTO's 14-digit numbers to a few dozen rows.
        prefix = (zto_row.ref if zto_row else "7531")[:8]
        users = fx["ops"]
        dispute = Dispute.objects.get(number="BENCH-Q-ZTO")
        queue = Discrepancy.objects.filter(is_current=True).count()
        scenarios = [
            Scenario("default (money first)", {}),
            Scenario("status=open", {"status": "open"}),
            Scenario("courier=ZTO", {"courier": "ZTO"}),
            Scenario("assignee=me", {"assignee": "me"}),
            Scenario("assignee=none", {"assignee": "none"}),
            Scenario("type=weight_overcharge", {"type": "weight_overcharge"}),
            Scenario(f"period=<ZTO {YEAR}-06>", {"period": slot["period_id"]}),
            Scenario(f"q={prefix} (waybill prefix)", {"q": prefix}),
            Scenario("q=<exact order no>", {"q": row.ref2 if row else "none"}),
            Scenario("amount_min=50", {"amount_min": "50"}),
            Scenario("status=open&courier=YTO&type=rate_overcharge", {"status": "open", "courier": "YTO", "type": "rate_overcharge"}),
            Scenario("sort by waybill_no", {"ordering": "waybill_no"}),
            Scenario("deep page (21st, money first)", {}, deep=20),
            Scenario("cursor in the middle of the queue", {"cursor": self.middle_cursor(queue)}),
            # The other filters and sort keys of the queue, so that none of them is left without an index.
            Scenario("outcome=written_off", {"outcome": "written_off"}),
            Scenario("type=zone_mismatch&type=no_rate", {"type": ["zone_mismatch", "no_rate"]}),
            Scenario("kind=courier_fee&status=investigating", {"kind": "courier_fee", "status": "investigating"}),
            Scenario("assignee=<username>", {"assignee": users[0].username}),
            Scenario("dispute=<ZTO dispute>", {"dispute": dispute.id}),
            Scenario("bill=<ZTO 2040-06 bill>", {"bill": slot["bill_id"]}),
            Scenario("run=<ZTO 2040-06 run>", {"run": slot["run_id"]}),
            Scenario("amount_max=1", {"amount_max": "1"}),
            Scenario(f"waybill_no={prefix[:6]} (prefix)", {"waybill_no": prefix[:6]}),
            Scenario("sort by -created_at (newest first)", {"ordering": "-created_at"}),
            Scenario("sort by type", {"ordering": "type"}),
            Scenario("sort by status", {"ordering": "status"}),
            Scenario("sort by id", {"ordering": "id"}),
            Scenario("deep page (21st, by waybill_no)", {"ordering": "waybill_no"}, deep=20),
        ]
        # A smoke run with a few hundred rows has no 21st page and no middle to jump to.
        return [s for s in scenarios if (s.deep + 1) * 50 < queue and ("cursor" not in s.params or queue > 100)]

    def middle_cursor(self, queue: int) -> str:
        """The `next` cursor of the row halfway down the default order, as if a clerk had paged that far."""
        from recon.review.selectors import _encode

        current = Discrepancy.objects.filter(is_current=True).order_by("-amount_at_stake", "id")
        row = current.values_list("amount_at_stake", "id")[queue // 2] if queue else ("0", 0)
        return _encode([str(row[0]), row[1]], "next")

    def measure(self, client: Client, s: Scenario, repeat: int, totals_repeat: int, *, explain: bool) -> None:
        query = urlencode(s.params, doseq=True)
        page_url = f"{reverse('discrepancy-list')}?{query}"
        api_url = f"{reverse('api-discrepancy-list')}?{query}"
        if s.deep:
            page_url, api_url = self._follow(client, page_url, s.deep, api=False), self._follow(client, api_url, s.deep, api=True)
        # The panel ignores sorting and paging: a filter already added up is not timed again.
        totals_url = f"{reverse('discrepancy-totals')}?{urlencode({k: v for k, v in s.params.items() if k not in ('ordering', 'cursor')}, doseq=True)}"
        if totals_url in self.totals_done:
            s.info["totals_same_as"], totals_url = self.totals_done[totals_url], None
        else:
            self.totals_done[totals_url] = s.name
        for url in filter(None, (page_url, api_url, totals_url)):
            self._get(client, url)  # warm the caches, as a clerk's second page would be
        for _i in range(repeat):
            s.page.append(self._timed(client, page_url))
            s.api.append(self._timed(client, api_url))
        if totals_url:
            s.totals = [self._timed(client, totals_url) for _i in range(totals_repeat)]
        s.info["page_url"], s.info["api_url"], s.info["totals_url"] = page_url, api_url, totals_url
        with CaptureQueriesContext(connection) as captured:
            self._get(client, page_url)
        s.info["page_queries"] = len(captured.captured_queries)
        s.info["page_sql_ms"] = round(sum(float(q["time"]) for q in captured.captured_queries) * 1000, 2)
        main = [q["sql"] for q in captured.captured_queries if 'FROM "recon_discrepancy"' in q["sql"] and "LIMIT 51" in q["sql"]]
        s.info["main_sql"] = main[0] if main else None
        with CaptureQueriesContext(connection) as captured:
            s.info["rows_on_page"] = len(self._get(client, api_url).json()["results"])
        s.info["api_queries"] = len(captured.captured_queries)
        if explain and main:
            s.info["plan"] = self._explain(main[0])
        self.stdout.write(f"  {s.name:<48} page {statistics.median(s.page):7.1f} ms   api {statistics.median(s.api):7.1f} ms"
                          + (f"   totals {statistics.median(s.totals):8.1f} ms" if s.totals else ""))

    def _get(self, client: Client, url: str):
        response = client.get(url)
        if response.status_code != 200:
            raise CommandError(f"GET {url} answered {response.status_code}: {response.content[:300]!r}")
        return response

    def _timed(self, client: Client, url: str) -> float:
        t0 = time.perf_counter()
        self._get(client, url)
        return (time.perf_counter() - t0) * 1000

    def _follow(self, client: Client, url: str, times: int, *, api: bool) -> str:
        for _i in range(times):
            response = self._get(client, url)
            if api:
                link = response.json().get("next")
                if not link:
                    raise CommandError(f"{url}: no next page to follow (too few rows for a deep page)")
                parts = urlsplit(link)
                url = f"{parts.path}?{parts.query}"
            else:
                found = re.search(r'<a href="([^"]+)" rel="next"', response.content.decode())
                if not found:
                    raise CommandError(f"{url}: no next page to follow (too few rows for a deep page)")
                url = reverse("discrepancy-list") + html.unescape(found.group(1))
        return url

    def _explain(self, sql: str) -> dict:
        with connection.cursor() as c:
            if connection.vendor == "postgresql":
                c.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            else:
                try:
                    c.execute(f"EXPLAIN QUERY PLAN {sql}")
                except Exception as exc:  # the logged SQLite text is not always valid SQL; the plan is optional
                    return {"first_line": f"(no plan: {exc})", "index_scan": None, "lines": []}
            lines = [" | ".join(str(v) for v in r) if len(r) > 1 else str(r[0]) for r in c.fetchall()]
        text = "\n".join(lines)
        execution = re.search(r"Execution Time: ([\d.]+) ms", text)
        # How the discrepancy table itself is read (the joined couriers, users and periods are looked up by key).
        if connection.vendor == "postgresql":
            access = [ln.strip().lstrip("-> ").split("  (")[0] for ln in lines
                      if re.search(r"on recon_discrepancy\b", ln) or "Bitmap Index Scan" in ln]
        else:
            access = [ln.split(" | ")[-1] for ln in lines if "recon_discrepancy" in ln]
        return {
            "first_line": lines[0].strip() if lines else "",
            "discrepancy_access": access,
            "index_scan": any(re.search(r"Index|INDEX", a) for a in access),
            "seq_scan": any(re.search(r"Seq Scan|^SCAN recon_discrepancy$", a) for a in access),
            "indexes": sorted({m for a in access for m in re.findall(r"(?:using|Index Scan on|INDEX) (\w+)", a)}),
            "execution_ms": float(execution.group(1)) if execution else None,
            "lines": lines,
        }

    # ----------------------------------------------------------------------------------------------- report

    def report(self, scenarios: list[Scenario], **meta) -> dict:
        def stats(samples):
            return {"median_ms": round(statistics.median(samples), 1), "p95_ms": round(percentile(samples, 95), 1), "samples_ms": [round(v, 2) for v in samples]} if samples else None

        rows = []
        self.stdout.write("")
        self.stdout.write(f"review queue, {meta['rows']:,} discrepancies ({meta['current']:,} current) on {meta['vendor']}; "
                          f"median / p95 of {meta['repeat']} requests (totals: {meta['totals_repeat']}), ms; budget {PAGE_BUDGET_MS} ms per page")
        head = f"{'scenario':<48} {'page med':>8} {'p95':>7} {'api med':>8} {'p95':>7} {'totals med':>10} {'p95':>8}  {'queries':>7}  plan"
        self.stdout.write(head)
        self.stdout.write("-" * len(head))
        over = []
        for s in scenarios:
            entry = {"name": s.name, "params": s.params, "deep": s.deep, "page": stats(s.page), "api": stats(s.api), "totals": stats(s.totals), **s.info}
            rows.append(entry)
            plan = s.info.get("plan")
            plan_text = ""
            if plan:
                plan_text = ("index " + ",".join(plan["indexes"]) if plan["index_scan"] else "NO INDEX") + (
                    f" {plan['execution_ms']:.1f} ms" if plan.get("execution_ms") is not None else "")
            t = entry["totals"]
            totals = f"{t['median_ms']:10.1f} {t['p95_ms']:8.1f}" if t else f"{'(as above)':>19}"
            self.stdout.write(
                f"{s.name:<48} {entry['page']['median_ms']:8.1f} {entry['page']['p95_ms']:7.1f} {entry['api']['median_ms']:8.1f} "
                f"{entry['api']['p95_ms']:7.1f} {totals}  {s.info.get('page_queries', 0):>7}  {plan_text}"
            )
            if entry["page"]["median_ms"] > PAGE_BUDGET_MS or entry["api"]["median_ms"] > PAGE_BUDGET_MS:
                over.append(s.name)
        self.stdout.write("over budget: " + (", ".join(over) if over else "none"))
        return {**meta, "budget_ms": PAGE_BUDGET_MS, "over_budget": over, "measured_at": datetime.now().isoformat(timespec="seconds"), "scenarios": rows}
