"""The bank run: withdrawals, bank lines and statements loaded set-wise, matched by the engine, matches replaced and
discrepancies saved with COPY.

A run's scope is its dates (and its bank account with --counterparty, whose run reports no withdrawal by itself): withdrawals dated in [start, end] up to the
as-of time, bank lines of the scope's accounts booked in [start, end + window] up to the as-of day. Manual matches are
never touched; an automatic match is replaced when all its items are in the scope, and otherwise kept (an earlier or
later period's run made it), its items taking no part like a manual match's.
"""
from __future__ import annotations

import json
import time
from datetime import date, datetime, time as dtime, timedelta
from decimal import Decimal

import pandas as pd
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from orders.models import Platform
from recon.core.db import (bulk_load, chunked, db_to_local_naive, fen_sql, fen_values, fetch_frame, fetch_frame_copy,
                           is_postgres, money, now_db)
from recon.core.errors import UserFacingError
from recon.core.models import ReconRun
from recon.core.permissions import setting_value
from recon.engine.bank import DEFAULT_REASONS, TYPES, match_bank, statement_balance_breaks, totals
from recon.runs import services as run_services
from recon.runs.save import discrepancy_rows, run_results_save, run_summary
from recon.sources.models import SourceFile

from .kind_bank import SPEC, WINDOW_SETTING
from .models import BankAccount, BankLine, BankMatch, BankMatchCredit, BankMatchWithdrawal, BankStatement, SettlementLine

DEFAULT_WINDOW_DAYS = next(s.default for s in SPEC.settings if s.key == WINDOW_SETTING)


def window_days_setting() -> int:
    """The days a withdrawal's bank credit may take (bank_match_window_days), 0 or more."""
    value = setting_value(WINDOW_SETTING, DEFAULT_WINDOW_DAYS)
    return int(value) if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else DEFAULT_WINDOW_DAYS


def _new_run(*, start: date, end: date, as_of: datetime, window_days: int, account: BankAccount | None, user,
             rerun_of: ReconRun | None = None) -> ReconRun:
    return ReconRun.objects.create(
        kind=SPEC.code, counterparty=account.counterparty if account else None, period_start=start, period_end=end,
        created_by=user, rerun_of=rerun_of, progress_total=len(run_services.PHASE_ORDER) - 1,
        params={"as_of": timezone.localtime(as_of).isoformat(), "window_days": int(window_days),
                "account_id": account.id if account else None},
    )


def bank_reconcile(*, counterparty_code: str, start: date, end: date, as_of: datetime | None, user=None,
                   enqueue: bool = True) -> list[ReconRun]:
    """One run for the withdrawals and bank lines dated in [start, end], as of a time (default now), every bank
    account at once or the one whose counterparty code is given."""
    account = None
    if counterparty_code:
        account = BankAccount.objects.filter(counterparty__code=counterparty_code).select_related("counterparty").first()
        if account is None:
            raise UserFacingError("not_a_bank_account", _("“%(code)s” is not a bank account.") % {"code": counterparty_code})
    moment = as_of if as_of is not None else timezone.now()
    with transaction.atomic():
        run = _new_run(start=start, end=end, as_of=moment, window_days=window_days_setting(), account=account, user=user)
        if enqueue:
            run_services.run_enqueue(run=run)
    return [run]


def bank_run_rerun(*, run: ReconRun, user=None, enqueue: bool = True) -> ReconRun:
    """Run a bank run again on the same dates, as-of time, window and account."""
    params = run.params or {}
    account = BankAccount.objects.filter(pk=params.get("account_id")).select_related("counterparty").first() if params.get("account_id") else None
    with transaction.atomic():
        again = _new_run(start=run.period_start, end=run.period_end, as_of=datetime.fromisoformat(params["as_of"]),
                         window_days=int(params["window_days"]), account=account, user=user or run.created_by, rerun_of=run)
        if enqueue:
            run_services.run_enqueue(run=again)
    return again


# --------------------------------------------------------------------------- loading

def _day_start(day: date):
    moment = datetime.combine(day, dtime.min, tzinfo=timezone.get_default_timezone())
    return connection.ops.adapt_datetimefield_value(moment)


def _local_day_sql(column: str) -> str:
    return f"(({column}) AT TIME ZONE '{settings.TIME_ZONE}')::date" if is_postgres() else column


def _fen_or_none(values: pd.Series) -> pd.Series:
    blank = values.isna() | (values.astype(object) == "")
    out = pd.Series([None] * len(values), dtype=object, index=values.index)
    if (~blank).any():
        out[~blank] = fen_values(values[~blank]).astype(object)
    return out


def _dates(values: pd.Series) -> pd.Series:
    """A date column (text on PostgreSQL's COPY, dates or ISO text on SQLite) as dates."""
    if not len(values):
        return pd.Series([], dtype=object)
    return pd.to_datetime(values.astype(str).str.slice(0, 10), format="%Y-%m-%d").dt.date


def _local_dates(values: pd.Series) -> pd.Series:
    """A moment's local day: PostgreSQL gives it (the query converts); SQLite gives UTC text to convert."""
    if is_postgres() or not len(values):
        return _dates(values)
    return db_to_local_naive(values).dt.date


def _load_withdrawals(start: date, end: date, as_of: datetime) -> pd.DataFrame:
    cols = ["withdrawal_id", "platform_code", "settlement_id", "occurred_on", "amount_fen"]
    # Paid out of the platform account: booked negative there, a positive amount on its way to the bank.
    frame = fetch_frame_copy(
        f"SELECT s.id, p.code, s.settlement_id, {_local_day_sql('s.occurred_at')}, {fen_sql('-s.amount')} "
        f"FROM {SettlementLine._meta.db_table} s JOIN {Platform._meta.db_table} p ON p.id = s.platform_id "
        f"WHERE s.business_type = 'withdrawal' AND s.occurred_at >= %s AND s.occurred_at < %s AND s.occurred_at <= %s",
        [_day_start(start), _day_start(end + timedelta(days=1)), connection.ops.adapt_datetimefield_value(as_of)], cols)
    frame["withdrawal_id"] = frame["withdrawal_id"].astype("int64")
    frame["amount_fen"] = fen_values(frame["amount_fen"])
    frame["occurred_on"] = _local_dates(frame["occurred_on"])
    return frame


def _account_filter(account_id) -> tuple[str, list]:
    return ("AND l.account_id = %s", [account_id]) if account_id else ("", [])


def _load_lines(start: date, last: date, account_id) -> pd.DataFrame:
    cols = ["line_id", "account_no", "ref", "booked_on", "amount_fen", "counterparty_name", "description"]
    where, params = _account_filter(account_id)
    frame = fetch_frame_copy(
        f"SELECT l.id, a.account_no, l.ref, l.booked_on, {fen_sql('l.amount')}, l.counterparty_name, l.description "
        f"FROM {BankLine._meta.db_table} l JOIN {BankAccount._meta.db_table} a ON a.id = l.account_id "
        f"WHERE l.booked_on >= %s AND l.booked_on <= %s {where}", [start, last, *params], cols)
    frame["line_id"] = frame["line_id"].astype("int64")
    frame["amount_fen"] = fen_values(frame["amount_fen"])
    frame["booked_on"] = _dates(frame["booked_on"])
    return frame


def _load_statements(start: date, end: date, account_id) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The statements with a line booked in [start, end], or closed in it (a statement with no lines), and their lines."""
    where, params = _account_filter(account_id)
    where_s = where.replace("l.account_id", "s.account_id")
    st = BankStatement._meta.db_table
    ids_sql = (f"SELECT s.id FROM {st} s WHERE ((s.closed_on >= %s AND s.closed_on <= %s) OR EXISTS (SELECT 1 FROM "
               f"{BankLine._meta.db_table} l WHERE l.statement_id = s.id AND l.booked_on >= %s AND l.booked_on <= %s)) {where_s}")
    ids_params = [start, end, start, end, *params]
    cols = ["statement_id", "account_no", "file_name", "statement_ref", "opening_fen", "closing_fen", "closed_on"]
    statements = fetch_frame(
        f"SELECT s.id, a.account_no, COALESCE(f.original_filename, ''), s.statement_ref, s.opening_balance, s.closing_balance, "
        f"s.closed_on FROM {st} s JOIN {BankAccount._meta.db_table} a ON a.id = s.account_id "
        f"LEFT JOIN {SourceFile._meta.db_table} f ON f.id = s.source_id WHERE s.id IN ({ids_sql})", ids_params, cols)
    statements["statement_id"] = statements["statement_id"].astype("int64")
    # A statement without a file (made by the API) is named by its own reference, or its number.
    named = statements["file_name"].astype(str)
    fallback = statements["statement_ref"].astype(str).where(statements["statement_ref"].astype(str) != "",
                                                               "#" + statements["statement_id"].astype(str))
    statements["file_name"] = named.where(named != "", fallback)
    statements["opening_fen"] = _decimal_fen(statements["opening_fen"])
    statements["closing_fen"] = _decimal_fen(statements["closing_fen"])
    lcols = ["line_id", "statement_id", "ref", "booked_on", "position", "amount_fen", "balance_fen"]
    lines = fetch_frame_copy(
        f"SELECT l.id, l.statement_id, l.ref, l.booked_on, l.position, {fen_sql('l.amount')}, {fen_sql('l.balance')} "
        f"FROM {BankLine._meta.db_table} l WHERE l.statement_id IN ({ids_sql})", ids_params, lcols)
    for col in ("line_id", "statement_id", "position"):
        lines[col] = lines[col].astype("int64")
    lines["amount_fen"] = fen_values(lines["amount_fen"])
    lines["balance_fen"] = _fen_or_none(lines["balance_fen"])
    lines["booked_on"] = _dates(lines["booked_on"])
    return statements, lines


def _decimal_fen(values: pd.Series) -> pd.Series:
    def one(v):
        if v is None or v == "" or (isinstance(v, float) and pd.isna(v)):
            return None
        return int((Decimal(str(v)) * 100).to_integral_value())
    return values.map(one).astype(object)


def _existing_matches() -> pd.DataFrame:
    cols = ["match_id", "rule", "side", "item_id"]
    return fetch_frame(
        f"SELECT m.id, m.rule, 'w', i.settlement_line_id FROM {BankMatch._meta.db_table} m "
        f"JOIN {BankMatchWithdrawal._meta.db_table} i ON i.match_id = m.id "
        f"UNION ALL SELECT m.id, m.rule, 'c', i.bank_line_id FROM {BankMatch._meta.db_table} m "
        f"JOIN {BankMatchCredit._meta.db_table} i ON i.match_id = m.id", [], cols)


def _split_matches(existing: pd.DataFrame, w_ids: set[int], c_ids: set[int]) -> tuple[list[int], list[dict]]:
    """The automatic matches this run replaces (every item in its scope), and the matches it keeps."""
    items: dict[int, dict] = {}
    for match_id, rule, side, item_id in existing.itertuples(index=False):
        m = items.setdefault(int(match_id), {"match_id": int(match_id), "rule": rule, "withdrawal_ids": [], "line_ids": []})
        m["withdrawal_ids" if side == "w" else "line_ids"].append(int(item_id))
    replaced, kept = [], []
    for match_id in sorted(items):
        m = items.pop(match_id)
        rule = m.pop("rule")
        if rule != BankMatch.Rule.MANUAL and all(i in w_ids for i in m["withdrawal_ids"]) and all(i in c_ids for i in m["line_ids"]):
            replaced.append(match_id)
        else:
            kept.append(m)
    return replaced, kept


def payer_names() -> dict[str, list[str]]:
    """Every platform's payer names, by platform code."""
    return {code: list(names or []) for code, names in Platform.objects.values_list("code", "payer_names")}


def translated_reasons() -> dict[str, str]:
    """The engine's reason templates in the product's language (stored reasons are read by the whole team)."""
    with translation.override(settings.LANGUAGE_CODE):
        return {key: _(text) for key, text in DEFAULT_REASONS.items()}


# --------------------------------------------------------------------------- saving

def _match_ids(n: int) -> list[int]:
    """n new ids for bank matches, taken from the table's own sequence (COPY does not hand ids back)."""
    table = BankMatch._meta.db_table
    return [int(r[0]) for r in fetch_frame(
        f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, %s)", [n], ["id"]).itertuples(index=False)]


def _save_matches(run: ReconRun, replaced: list[int], matches: list[dict]) -> None:
    if replaced:
        with connection.cursor() as cursor:
            for table, column in ((BankMatchWithdrawal._meta.db_table, "match_id"), (BankMatchCredit._meta.db_table, "match_id"),
                                  (BankMatch._meta.db_table, "id")):
                for batch in chunked(replaced, 30_000):
                    cursor.execute(f"DELETE FROM {table} WHERE {column} IN ({', '.join(['%s'] * len(batch))})", batch)
    if not matches:
        return
    if is_postgres():
        ids = _match_ids(len(matches))
        bulk_load(BankMatch._meta.db_table, pd.DataFrame({
            "id": ids, "rule": [m["rule"] for m in matches],
            "keys": [json.dumps(m["keys"], ensure_ascii=False) for m in matches],
            "date_diff_days": [int(m["date_diff_days"]) for m in matches],
            "amount_diff": money(pd.Series([int(m["amount_diff_fen"]) for m in matches])).to_numpy(),
            "run_id": run.id, "created_by_id": None, "created_at": now_db()}))
    else:
        objs = BankMatch.objects.bulk_create([
            BankMatch(rule=m["rule"], keys=m["keys"], date_diff_days=m["date_diff_days"],
                      amount_diff=Decimal(m["amount_diff_fen"]) / 100, run=run) for m in matches], batch_size=500)
        ids = [o.pk for o in objs]
    w_items = [(pk, i) for pk, m in zip(ids, matches) for i in m["withdrawal_ids"]]
    c_items = [(pk, i) for pk, m in zip(ids, matches) for i in m["line_ids"]]
    bulk_load(BankMatchWithdrawal._meta.db_table,
              pd.DataFrame(w_items, columns=["match_id", "settlement_line_id"]))
    bulk_load(BankMatchCredit._meta.db_table, pd.DataFrame(c_items, columns=["match_id", "bank_line_id"]))


def _details(disc: pd.DataFrame) -> pd.Series:
    out = []
    for row in disc.itertuples(index=False):
        out.append(json.dumps({
            "withdrawal_id": None if pd.isna(row.withdrawal_id) else int(row.withdrawal_id),
            "line_id": None if pd.isna(row.line_id) else int(row.line_id),
            "statement_id": None if pd.isna(row.statement_id) else int(row.statement_id),
            "platform_code": row.platform_code, "account_no": row.account_no, "bound": bool(row.bound),
        }, ensure_ascii=False))
    return pd.Series(out, dtype=object)


def _carry_keys(disc: pd.DataFrame) -> pd.Series:
    return disc["type"] + "|" + disc["ref"].astype(str) + "|" + disc["ref2"].astype(str)


def bank_run_execute(*, run: ReconRun) -> None:
    """Load the scope's withdrawals, bank lines and statements, match them, replace the automatic matches and save
    the discrepancies."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    params = run.params or {}
    as_of = datetime.fromisoformat(params["as_of"])
    as_of_day = timezone.localtime(as_of).date()
    window = int(params["window_days"])
    account_id = params.get("account_id")
    start, end = run.period_start, run.period_end

    run_services.run_progress(run_id=run.id, phase="loading")
    withdrawals = _load_withdrawals(start, end, as_of)
    lines = _load_lines(start, min(end + timedelta(days=window), as_of_day), account_id)
    statements, statement_lines = _load_statements(start, end, account_id)
    existing = _existing_matches()
    t1 = time.perf_counter()
    timings["load"] = t1 - t0

    run_services.run_progress(run_id=run.id, phase="matching")
    replaced, kept = _split_matches(existing, set(withdrawals["withdrawal_id"].tolist()), set(lines["line_id"].tolist()))
    texts = translated_reasons()
    result = match_bank(withdrawals, lines, payer_names(), start, end, as_of_day, window, kept, texts=texts)
    breaks = statement_balance_breaks(statements, statement_lines, texts=texts)
    parts = [p for p in (result.discrepancies, breaks) if len(p)]
    disc = pd.concat(parts, ignore_index=True) if parts else result.discrepancies
    if account_id and len(disc):
        # One account's run judges the money that reached it: a withdrawal that reached no credit of this account may
        # have reached another, so only a run of every account reports it (not received, or ambiguous by itself).
        withdrawal_only = disc["withdrawal_id"].notna() & disc["line_id"].isna()
        disc = disc[~withdrawal_only.to_numpy()].reset_index(drop=True)
    t2 = time.perf_counter()
    timings["match"] = t2 - t1

    run_services.run_progress(run_id=run.id, phase="saving")
    platforms = dict(Platform.objects.values_list("code", "counterparty_id"))
    accounts = dict(BankAccount.objects.values_list("account_no", "counterparty_id"))

    def counterparty_ids(disc: pd.DataFrame) -> pd.Series:
        # A row about a withdrawal is its platform's; any other (a bank line's, a statement's) its account's.
        return pd.Series([platforms.get(p) if w else accounts.get(a) for p, a, w in
                          zip(disc["platform_code"], disc["account_no"], disc["withdrawal_id"].notna())], dtype="Int64")

    summary = run_summary(spec=SPEC, engine_summary={**result.summary, "replaced_matches": len(replaced), **totals(disc)})
    earlier = list(ReconRun.objects.filter(kind=SPEC.code, period_start=start, period_end=end, counterparty=run.counterparty,
                                           id__lt=run.id).values_list("id", flat=True))
    rows = discrepancy_rows(run=run, disc=disc, counterparty_id=counterparty_ids, carry_key=_carry_keys, details=_details)
    run_results_save(run=run, rows=rows, summary=summary, timings=timings, started=t0, matched=t2, carry_runs=earlier,
                     extra=lambda: _save_matches(run, replaced, result.matches))


assert set(TYPES) == {t.code for t in SPEC.types}
