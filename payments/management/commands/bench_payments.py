"""Benchmark payment-collection reconciliation: 1,000,000 orders with their settlement lines and 50,000 bank lines
written straight into the tables (COPY, not files), with known problems injected, then the runs — stored rows to
summary — timed per phase, and the problems found counted exactly.

The bank kind always runs; the settlement kind runs when it is declared (`settlement` in recon.kinds). Everything it
makes is marked (order and settlement numbers BP…, bank accounts BENCH…, dates in 2041) and deleted at the end, also when
a run fails; data left by a killed benchmark is removed by the next one. The platforms' fee rates and payer names are
set for the run and put back after it.
"""
from __future__ import annotations

import time
from datetime import date, datetime
from decimal import Decimal

import numpy as np
import pandas as pd
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from orders.models import Order, OrderLine, Platform
from payments.models import BankAccount, BankLine, BankMatch, BankStatement, SettlementLine
from recon.core.db import bulk_load, is_postgres
from recon.core.models import Counterparty, Discrepancy, ReconPeriod, ReconRun
from recon.kinds import kind_specs
from recon.runs import services as run_services

START, END = date(2041, 10, 1), date(2041, 10, 31)
AS_OF = datetime(2041, 11, 30, 23, 59)
PLATFORMS = {"TMALL": "支付宝（中国）网络技术有限公司", "JD": "北京京东世纪贸易有限公司", "PDD": "上海寻梦信息技术有限公司"}
FEE_RATE = "0.05"
# Injected problems, by type: what each run must find, no more, no less.
BANK_EXPECTED = {"withdrawal_not_received": 20, "withdrawal_amount_mismatch": 15, "ambiguous_match": 5,
                 "bank_credit_unmatched": 12, "statement_balance_break": 2}
SETTLEMENT_EXPECTED = {"order_unpaid": 100, "settlement_amount_mismatch": 80, "refund_mismatch": 0, "fee_overcharge": 60,
                       "settlement_unknown_order": 40}
ACCOUNTS = ("BENCH0001", "BENCH0002", "BENCH0003")


def _stamp(days: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    """Local times in October 2041 as text PostgreSQL reads with their offset."""
    moment = pd.Timestamp(2041, 10, 1) + pd.to_timedelta(days, unit="D") + pd.to_timedelta(seconds, unit="s")
    return (pd.Series(moment).dt.strftime("%Y-%m-%d %H:%M:%S") + "+08:00").to_numpy(dtype=object)


def _yuan(fen: np.ndarray) -> np.ndarray:
    fen = np.asarray(fen, dtype=np.int64)
    sign = np.where(fen < 0, "-", "")
    a = np.abs(fen)
    return np.char.add(np.char.add(np.char.add(sign, (a // 100).astype(str)), "."), np.char.zfill((a % 100).astype(str), 2)).astype(object)


class Command(BaseCommand):
    help = ("Benchmark payment-collection reconciliation on PostgreSQL: 1,000,000 orders, their settlement lines and "
            "50,000 bank lines (COPY), then the bank run (and the settlement run when that kind is declared), timed per "
            "phase, with the injected problems counted exactly.")

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=1_000_000)
        parser.add_argument("--bank-lines", type=int, default=50_000)
        parser.add_argument("--withdrawals", type=int, default=5_000)
        parser.add_argument("--seed", type=int, default=11)
        parser.add_argument("--allow-sqlite", action="store_true", help="allow SQLite, for small smoke runs only")
        parser.add_argument("--keep", action="store_true", help="leave the generated rows and the runs in place")

    def handle(self, *args, **o):
        if not is_postgres() and not o["allow_sqlite"]:
            raise CommandError("bench_payments measures PostgreSQL: set DATABASE_URL (or pass --allow-sqlite for a smoke run).")
        if o["orders"] < 1000 or o["withdrawals"] < 200 or o["bank_lines"] < o["withdrawals"] + 500:
            raise CommandError("--orders ≥ 1000, --withdrawals ≥ 200 and --bank-lines ≥ withdrawals + 500.")
        saved = {p.code: (p.fee_rate, p.payer_names) for p in Platform.objects.filter(code__in=PLATFORMS)}
        self.cleanup()
        try:
            t = time.perf_counter()
            rng = np.random.default_rng(o["seed"])
            self.configure()
            counts = self.generate_orders(o["orders"], rng) if "settlement" in kind_specs() else {}
            counts.update(self.generate_bank(o["withdrawals"], o["bank_lines"], rng))
            with connection.cursor() as cursor:
                for model in (Order, SettlementLine, BankLine, BankStatement):
                    cursor.execute(f"ANALYZE {model._meta.db_table}")
            self.stdout.write(f"generated {counts} in {time.perf_counter() - t:.1f} s")
            total = 0.0
            failures = []
            # The bank kind twice: a first run, and a rerun that replaces every automatic match the first one made.
            kinds = ["bank", "bank"] + (["settlement"] if "settlement" in kind_specs() else [])
            if "settlement" not in kind_specs():
                self.stdout.write("kind settlement is not declared in recon.kinds: only the bank kind runs")
            for kind in kinds:
                wall, found = self.run_kind(kind)
                total += wall
                expected = BANK_EXPECTED if kind == "bank" else SETTLEMENT_EXPECTED
                if found != expected:
                    failures.append(f"{kind}: found {found}, injected {expected}")
            self.stdout.write(f"total reconcile wall time: {total:.2f} s (target < 30 s)")
            if failures:
                raise CommandError("; ".join(failures))
            self.stdout.write("every injected problem found, nothing else")
        finally:
            if not o["keep"]:
                self.cleanup()
                for code, (rate, names) in saved.items():
                    Platform.objects.filter(code=code).update(fee_rate=rate, payer_names=names)

    # ----------------------------------------------------------------------- the runs

    def run_kind(self, kind: str) -> tuple[float, dict]:
        spec = kind_specs()[kind]
        as_of = timezone.make_aware(AS_OF)
        run = spec.hook("reconcile")(counterparty_code="", start=START, end=END, as_of=as_of, user=None, enqueue=False)[0]
        t = time.perf_counter()
        run_services.run_execute(run_id=run.id)
        wall = time.perf_counter() - t
        run.refresh_from_db()
        if run.status != ReconRun.Status.SUCCEEDED:
            raise CommandError(f"{kind} run #{run.id} {run.status}: {run.error_code} {run.error}")
        phases = ", ".join(f"{k} {v:.2f} s" for k, v in (run.timings or {}).items())
        self.stdout.write(f"{kind}: run #{run.id} in {wall:.2f} s ({phases})")
        found = {t.code: int(((run.summary or {}).get("by_type") or {}).get(t.code, {}).get("count", 0)) for t in spec.types}
        self.stdout.write(f"{kind}: found {found}")
        if kind == "bank":
            self.stdout.write(f"bank: matches {run.summary.get('matches_by_rule')}")
        return wall, found

    # ----------------------------------------------------------------------- data

    def configure(self) -> None:
        for code, payer in PLATFORMS.items():
            p = Platform.objects.get(code=code)
            p.fee_rate, p.payer_names = FEE_RATE, [payer]
            p.save()
        self.platform_ids = dict(Platform.objects.filter(code__in=PLATFORMS).values_list("code", "id"))

    def generate_orders(self, n: int, rng) -> dict:
        """Orders paid in October on three platforms, each with one payment and one fee line; some unpaid, some paid
        short, some overcharged in fees, and payments for orders we do not have."""
        codes = np.array(list(PLATFORMS))
        plat = rng.integers(0, len(codes), n)
        # Amounts in multiples of 20 fen: the 5 % fee is then exact, with no rounding to argue about.
        amount = rng.integers(5, 50_000, n) * 20
        day = rng.integers(5, 31, n)
        seconds = rng.integers(0, 86_400, n)
        order_no = np.char.add("BP", np.char.zfill(np.arange(n).astype(str), 9)).astype(object)
        paid_at = _stamp(day, seconds)
        ids_plat = np.array([self.platform_ids[c] for c in codes])[plat]
        now = timezone.now().isoformat()
        bulk_load(Order._meta.db_table, pd.DataFrame({
            "order_no": order_no, "shop": "旗舰店", "status": "completed", "paid_at": paid_at, "shipped_at": paid_at,
            "order_amount": _yuan(amount), "refund_amount": "0.00", "row_no": None, "created_at": now, "updated_at": now,
            "source_id": None, "platform_id": ids_plat,
        }))
        k_unpaid, k_short, k_fee = SETTLEMENT_EXPECTED["order_unpaid"], SETTLEMENT_EXPECTED["settlement_amount_mismatch"], SETTLEMENT_EXPECTED["fee_overcharge"]
        picks = rng.permutation(n)[: k_unpaid + k_short + k_fee]
        unpaid, short, over = picks[:k_unpaid], picks[k_unpaid:k_unpaid + k_short], picks[k_unpaid + k_short:]
        # Unpaid orders were paid early in the month: by the as-of day they are past any settle-within period.
        day[unpaid] = 1
        paid_at[unpaid] = _stamp(day[unpaid], seconds[unpaid])
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {Order._meta.db_table} SET paid_at = %s::timestamptz WHERE order_no = ANY(%s)",
                           ["2041-10-01 09:00:00+08:00", list(order_no[unpaid])])
        has_lines = np.ones(n, dtype=bool)
        has_lines[unpaid] = False
        rows = np.flatnonzero(has_lines)
        pay = amount[rows].copy()
        pay[np.isin(rows, short)] -= 100
        fee = amount[rows] // 20
        fee[np.isin(rows, over)] += 50
        m = len(rows)
        unknown = SETTLEMENT_EXPECTED["settlement_unknown_order"]
        frame = pd.DataFrame({
            "shop": "旗舰店",
            "settlement_id": np.concatenate([np.char.add("BPP", np.char.zfill(np.arange(m).astype(str), 9)),
                                             np.char.add("BPF", np.char.zfill(np.arange(m).astype(str), 9)),
                                             np.char.add("BPU", np.char.zfill(np.arange(unknown).astype(str), 9))]).astype(object),
            "order_no": np.concatenate([order_no[rows], order_no[rows],
                                        np.char.add("BPX", np.char.zfill(np.arange(unknown).astype(str), 8)).astype(object)]),
            "trade_no": "", "occurred_at": np.concatenate([_stamp(day[rows], seconds[rows] // 2 + 3600),
                                                            _stamp(day[rows], seconds[rows] // 2 + 3600),
                                                            _stamp(np.full(unknown, 10), np.full(unknown, 36_000))]),
            "business_type": np.concatenate([np.full(m, "payment"), np.full(m, "fee"), np.full(unknown, "payment")]).astype(object),
            "business_type_raw": "", "amount": np.concatenate([_yuan(pay), _yuan(-fee), _yuan(np.full(unknown, 9_900))]),
            "balance": None, "counterparty_name": "", "remark": "", "row_no": None, "created_at": now, "source_id": None,
            "platform_id": np.concatenate([ids_plat[rows], ids_plat[rows], np.full(unknown, ids_plat[0])]),
        })
        bulk_load(SettlementLine._meta.db_table, frame)
        return {"orders": n, "settlement_lines": len(frame)}

    def generate_bank(self, n_withdrawals: int, n_lines: int, rng) -> dict:
        """Withdrawals and the bank lines that pay them: most one to one, a share named by reference (a few of another
        amount), groups, plus debits and other payers' credits; the injected problems are kept apart by amount so
        that nothing else can fit them."""
        now = timezone.now().isoformat()
        codes = list(PLATFORMS)
        accounts = []
        for no in ACCOUNTS:
            acc = BankAccount(account_no=no, name=f"bench {no}", bank_name="bench")
            acc.save()
            accounts.append(acc)
        w_rows, c_rows = [], []  # (platform, sid, day, fen) and (account index, day, fen, payer, remark)

        def w(code, day, fen):
            sid = f"BPW{len(w_rows):08d}"
            w_rows.append((code, sid, day, fen))
            return sid

        def c(acc, day, fen, payer, remark=""):
            c_rows.append((acc, day, fen, payer, remark))

        specials = (BANK_EXPECTED["withdrawal_not_received"] + BANK_EXPECTED["withdrawal_amount_mismatch"]
                    + 4 * BANK_EXPECTED["ambiguous_match"] + 25)
        normal = n_withdrawals - specials
        # Normal payouts: ≥ ¥1,000, each amount different (an index in the fen), so no two can be confused.
        for i in range(normal):
            code, day = codes[i % 3], int(rng.integers(0, 28))
            fen = 100_000 + i * 137 + int(rng.integers(0, 100))
            sid = w(code, day, fen)
            lag = int(rng.integers(0, 4))
            # A third of the bank's remarks quote the payout's serial (by reference), the rest only the payer's name.
            c(i % 2, day + lag, fen, PLATFORMS[code], f"提现 {sid}" if i % 3 == 0 else "提现")
        for i in range(BANK_EXPECTED["withdrawal_amount_mismatch"]):
            code = codes[i % 3]
            fen = 90_000_000 + i * 1000
            sid = w(code, 10 + i % 10, fen)
            c(0, 12 + i % 10, fen - 500, "某某代付", f"平台提现 {sid}")
        for i in range(BANK_EXPECTED["withdrawal_not_received"]):
            # Too large for anything else in the window to add up to, and no credit names them.
            w(codes[i % 3], 2 + i, 1_000_000_000 + i * 1000)
        for i in range(25):
            # Groups of two to four payouts of one platform paid as one credit: amounts from ¥50,000, above every
            # normal payout, and distinct.
            code, day, size = codes[i % 3], 3 + i, 2 + i % 3
            fens = [5_000_000 + i * 600 + j * 150 for j in range(size)]
            for fen in fens:
                w(code, day, fen)
            c(1, day + 1, sum(fens), PLATFORMS[code])
        for i in range(BANK_EXPECTED["ambiguous_match"]):
            # ¥300 fits {¥100, ¥200} and {¥120, ¥180} (each shifted by a few fen): two combinations, a person decides.
            code, day, base = codes[i % 3], 5 + 4 * i, i * 7
            for fen in (10_000 + base, 20_000, 12_000 + base, 18_000):
                w(code, day, fen)
            c(0, day + 1, 30_000 + base, PLATFORMS[code])
        for i in range(BANK_EXPECTED["bank_credit_unmatched"]):
            c(1, 2 + 2 * i, 1_234 + i, PLATFORMS[codes[i % 3]], "退款返还")
        # The rest: debits and credits from other payers, on every account.
        rest = n_lines - len(c_rows)
        for i in range(rest):
            fen = int(rng.integers(100, 5_000_000))
            c(i % 3, int(rng.integers(0, 31)), -fen if i % 2 else fen, "" if i % 2 else f"客户{i % 500}", "货款" if i % 2 == 0 else "费用")

        w_frame = pd.DataFrame(w_rows, columns=["code", "sid", "day", "fen"])
        bulk_load(SettlementLine._meta.db_table, pd.DataFrame({
            "shop": "", "settlement_id": w_frame["sid"].to_numpy(), "order_no": "", "trade_no": "",
            "occurred_at": _stamp(w_frame["day"].to_numpy(), np.full(len(w_frame), 50_000)), "business_type": "withdrawal",
            "business_type_raw": "提现", "amount": _yuan(-w_frame["fen"].to_numpy()), "balance": None, "counterparty_name": "",
            "remark": "", "row_no": None, "created_at": now, "source_id": None,
            "platform_id": w_frame["code"].map(self.platform_ids).to_numpy(),
        }))

        c_frame = pd.DataFrame(c_rows, columns=["acc", "day", "fen", "payer", "remark"])
        c_frame["day"] = c_frame["day"].clip(upper=30)
        c_frame = c_frame.sort_values(["acc", "day"], kind="stable").reset_index(drop=True)
        c_frame["position"] = c_frame.groupby("acc").cumcount() + 1
        # Account 1 states its balances; account 2 gives a running balance; account 0 states an opening and closing
        # that are ¥12.34 apart from its lines (break 1), and account 2 lost one line from its file (break 2).
        statements = []
        for idx, acc in enumerate(accounts):
            fens = c_frame.loc[c_frame["acc"] == idx, "fen"].to_numpy(dtype=np.int64)
            opening = 500_000_000
            closing = opening + int(fens.sum()) + (1_234 if idx == 0 else 0)
            stated = idx in (0, 1)
            st = BankStatement.objects.create(
                account=acc, format="bench", statement_ref=f"BENCH-{idx}", opened_on=START, closed_on=END,
                opening_balance=Decimal(opening) / 100 if stated else None,
                closing_balance=Decimal(closing) / 100 if stated else None, line_count=len(fens))
            statements.append(st)
        balances = np.zeros(len(c_frame), dtype=np.int64)
        for idx in range(3):
            rows = np.flatnonzero(c_frame["acc"].to_numpy() == idx)
            balances[rows] = 500_000_000 + np.cumsum(c_frame["fen"].to_numpy(dtype=np.int64)[rows])
        days = pd.Timestamp(2041, 10, 1) + pd.to_timedelta(c_frame["day"], unit="D")
        lines = pd.DataFrame({
            "ref": np.char.add("BENCHL", np.char.zfill(np.arange(len(c_frame)).astype(str), 7)).astype(object),
            "booked_on": days.dt.strftime("%Y-%m-%d").to_numpy(dtype=object), "value_on": None,
            "amount": _yuan(c_frame["fen"].to_numpy()), "balance": _yuan(balances), "currency": "CNY",
            "counterparty_name": c_frame["payer"].to_numpy(dtype=object), "counterparty_account": "",
            "description": c_frame["remark"].to_numpy(dtype=object), "position": c_frame["position"].to_numpy(),
            "row_no": None, "created_at": now, "account_id": c_frame["acc"].map(lambda i: accounts[i].id).to_numpy(),
            "statement_id": c_frame["acc"].map(lambda i: statements[i].id).to_numpy(),
        })
        # Account 2's file lost a debit in the middle: one break of its running balance.
        on_two = np.flatnonzero((c_frame["acc"].to_numpy() == 2) & (c_frame["fen"].to_numpy() < 0))
        lost = on_two[len(on_two) // 2]
        lines = lines.drop(index=lost)
        bulk_load(BankLine._meta.db_table, lines)
        return {"withdrawals": len(w_frame), "bank_lines": len(lines)}

    def cleanup(self) -> None:
        with transaction.atomic():
            runs = list(ReconRun.objects.filter(kind__in=["bank", "settlement"], period_start=START).values_list("id", flat=True))
            BankMatch.objects.filter(run_id__in=runs).delete()
            Discrepancy.objects.filter(run_id__in=runs).delete()
            ReconRun.objects.filter(id__in=runs).delete()
            ReconPeriod.objects.filter(start=START, end=END, counterparty__code__in=[*ACCOUNTS, *PLATFORMS]).delete()
            accounts = BankAccount.objects.filter(account_no__in=ACCOUNTS)
            BankLine.objects.filter(account__in=accounts).delete()
            BankStatement.objects.filter(account__in=accounts).delete()
            cps = list(accounts.values_list("counterparty_id", flat=True))
            accounts.delete()
            Counterparty.objects.filter(id__in=cps).delete()
            SettlementLine.objects.filter(settlement_id__startswith="BP").delete()
            OrderLine.objects.filter(order__order_no__startswith="BP").delete()
            Order.objects.filter(order_no__startswith="BP").delete()
