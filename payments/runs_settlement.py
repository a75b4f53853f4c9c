"""The settlement run: orders and settlement lines loaded set-wise, judged by the engine, saved with COPY."""
from __future__ import annotations

import time
from datetime import date, datetime, timedelta

import pandas as pd
from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from orders.models import Order, Platform
from recon.core.db import copy_numbers, fen_sql, fen_values, fetch_frames_copy, local_micros_sql, local_moments
from recon.core.errors import UserFacingError
from recon.core.models import ReconRun
from recon.engine.settlement import ARITHMETIC_COLUMNS, DEFAULT_REASONS, PLATFORM_COLUMNS, reconcile_settlements
from recon.runs import services as run_services
from recon.runs.as_of import as_of_param, as_of_value, cut_db, local_midnight_db
from recon.runs.save import discrepancy_rows, json_numbers, json_texts, run_results_save, run_summary
from recon.sources.models import SourceFile

from .kind_settlement import SPEC
from .models import SettlementLine


def _new_run(*, start: date, end: date, as_of: str, platform: Platform | None, user, rerun_of: ReconRun | None = None) -> ReconRun:
    return ReconRun.objects.create(
        kind=SPEC.code, counterparty=platform.counterparty if platform else None, period_start=start, period_end=end,
        created_by=user, rerun_of=rerun_of, params={"as_of": as_of, "platform": platform.code if platform else ""},
        progress_total=len(run_services.PHASE_ORDER) - 1,
    )


def settlement_reconcile(*, counterparty_code: str, start: date, end: date, as_of: datetime | None, user=None,
                         enqueue: bool = True) -> list[ReconRun]:
    """One run for the orders paid in [start, end] as of a moment (default: the end of today), one platform or all."""
    platform = None
    if counterparty_code:
        platform = Platform.objects.select_related("counterparty").filter(code=counterparty_code).first()
        if platform is None:
            raise UserFacingError("not_a_platform", _("“%(code)s” is not a platform; settlements are reconciled per platform.")
                                  % {"code": counterparty_code})
    with transaction.atomic():
        run = _new_run(start=start, end=end, as_of=as_of_param(as_of), platform=platform, user=user)
        if enqueue:
            run_services.run_enqueue(run=run)
    return [run]


def settlement_run_rerun(*, run: ReconRun, user=None, enqueue: bool = True) -> ReconRun:
    """Run a settlement run again on the same dates, as-of and platform."""
    params = run.params or {}
    platform = Platform.objects.select_related("counterparty").get(code=params["platform"]) if params.get("platform") else None
    with transaction.atomic():
        again = _new_run(start=run.period_start, end=run.period_end, as_of=params["as_of"], platform=platform,
                         user=user or run.created_by, rerun_of=run)
        if enqueue:
            run_services.run_enqueue(run=again)
    return again


# --------------------------------------------------------------------------- loading

def _orders_read(start: date, end: date, platform_id: int | None) -> tuple:
    cols = ["order_id", "platform_code", "order_no", "shop", "status", "paid_at", "order_fen", "refund_fen"]
    only = " AND o.platform_id = %s" if platform_id else ""
    sql = (f"SELECT o.id, p.code, o.order_no, o.shop, o.status, {local_micros_sql('o.paid_at')}, {fen_sql('o.order_amount')}, "
           f"{fen_sql('o.refund_amount')} FROM {Order._meta.db_table} o JOIN {Platform._meta.db_table} p "
           f"ON p.id = o.platform_id WHERE o.paid_at >= %s AND o.paid_at < %s{only}")
    params = [local_midnight_db(start), local_midnight_db(end + timedelta(days=1)), *([platform_id] if platform_id else [])]
    return sql, params, cols, copy_numbers(order_id="int64", paid_at="int64", order_fen="int64", refund_fen="int64")


def _orders_frame(frame: pd.DataFrame) -> pd.DataFrame:
    frame["order_id"] = frame["order_id"].astype("int64")
    frame["paid_at"] = local_moments(frame["paid_at"])
    frame["order_fen"], frame["refund_fen"] = fen_values(frame["order_fen"]), fen_values(frame["refund_fen"])
    # A handful of codes and statuses over a million rows: categories, which the engine joins without hashing each cell.
    frame["platform_code"] = frame["platform_code"].astype("category")
    frame["status"] = frame["status"].astype("category")
    return frame


def _lines_read(start: date, end: date, as_of: date | datetime, platform_id: int | None) -> tuple:
    """The lines of the orders judged, and the payment and refund lines dated in the range that name no order of ours;
    both only up to the as-of."""
    cols = ["line_id", "platform_code", "settlement_id", "order_no", "occurred_at", "business_type", "amount_fen"]
    op, cut_param = cut_db(as_of)
    cut = f"l.occurred_at {op} %s"
    lo, hi = local_midnight_db(start), local_midnight_db(end + timedelta(days=1))
    only = " AND l.platform_id = %s" if platform_id else ""
    extra = [platform_id] if platform_id else []
    lines, orders, platforms = SettlementLine._meta.db_table, Order._meta.db_table, Platform._meta.db_table
    select = (f"SELECT l.id, p.code, l.settlement_id, l.order_no, {local_micros_sql('l.occurred_at')}, l.business_type, "
              f"{fen_sql('l.amount')} FROM {lines} l JOIN {platforms} p ON p.id = l.platform_id ")
    # A deleted (or replaced) file's lines count for nothing until it is restored. The deleted files are named by id:
    # joined to the files table instead, PostgreSQL guesses a handful of lines (it estimates every NULL source badly)
    # and looks each of a million orders up by index instead of hashing them.
    deleted = sorted(SourceFile.objects.filter(deleted_at__isnull=False).values_list("id", flat=True))
    live = f"(l.source_id IS NULL OR l.source_id NOT IN ({', '.join(map(str, deleted))}))" if deleted else "TRUE"
    sql = (f"{select} JOIN {orders} o ON o.platform_id = l.platform_id AND o.order_no = l.order_no "
           f"WHERE o.paid_at >= %s AND o.paid_at < %s AND {cut} AND {live}{only} "
           f"UNION ALL {select} WHERE l.business_type IN ('payment', 'refund') AND l.occurred_at >= %s AND l.occurred_at < %s "
           f"AND {cut} AND {live}{only} AND NOT EXISTS (SELECT 1 FROM {orders} o "
           f"WHERE o.platform_id = l.platform_id AND o.order_no = l.order_no)")
    return (sql, [lo, hi, cut_param, *extra, lo, hi, cut_param, *extra], cols,
            copy_numbers(line_id="int64", occurred_at="int64", amount_fen="int64"))


def _lines_frame(frame: pd.DataFrame) -> pd.DataFrame:
    frame["line_id"] = frame["line_id"].astype("int64")
    frame["occurred_at"] = local_moments(frame["occurred_at"])
    frame["amount_fen"] = fen_values(frame["amount_fen"])
    frame["platform_code"] = frame["platform_code"].astype("category")
    frame["business_type"] = frame["business_type"].astype("category")
    return frame


def _load(start: date, end: date, as_of: date | datetime, platform_id: int | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Orders and lines read at once, each on its own connection on PostgreSQL (fetch_frames_copy)."""
    orders, lines = fetch_frames_copy(_orders_read(start, end, platform_id), _lines_read(start, end, as_of, platform_id))
    return _orders_frame(orders), _lines_frame(lines)


def _load_platforms() -> pd.DataFrame:
    rows = Platform.objects.order_by("code").values_list("code", "fee_rate", "settle_within_days")
    return pd.DataFrame([(code, str(rate), days) for code, rate, days in rows], columns=PLATFORM_COLUMNS)


def translated_reasons() -> dict[str, str]:
    """The engine's reason templates in the product's language (stored reasons are read by the whole team)."""
    with translation.override(settings.LANGUAGE_CODE):
        return {key: _(text) for key, text in DEFAULT_REASONS.items()}


# --------------------------------------------------------------------------- saving

def _json_details(disc: pd.DataFrame) -> pd.Series:
    """The order or line behind a discrepancy, its platform and shop, and the order's arithmetic, as JSON text column-wise."""
    def text(values):
        return json_texts(values.fillna("").astype(str))

    out = '{"platform_code": ' + text(disc["platform_code"]) + ', "shop": ' + text(disc["shop"])
    for column in ("order_id", "line_id", *ARITHMETIC_COLUMNS):
        out = out + f', "{column}": ' + json_numbers(disc[column])
    return out + "}"


def _carry_keys(disc: pd.DataFrame) -> pd.Series:
    return disc["type"] + "|" + disc["platform_code"].astype(str) + "|" + disc["ref"] + "|" + disc["ref2"]


def _direction(disc: pd.DataFrame) -> pd.Series:
    # Money paid in excess, or a refund short of what was agreed, is the platform's or the buyer's, not ours.
    return pd.Series(disc["amount_fen"].to_numpy() < 0).map({True: "by_us", False: "to_us"})


def settlement_run_execute(*, run: ReconRun) -> None:
    """Load the orders paid in the run's range and their settlement lines up to its as-of, judge them, save the result."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    params = run.params or {}
    as_of = as_of_value(params["as_of"])
    platform = Platform.objects.get(code=params["platform"]) if params.get("platform") else None
    platform_id = platform.id if platform else None

    run_services.run_progress(run_id=run.id, phase="loading")
    orders, lines = _load(run.period_start, run.period_end, as_of, platform_id)
    platforms = _load_platforms()
    t1 = time.perf_counter()
    timings["load"] = t1 - t0

    run_services.run_progress(run_id=run.id, phase="matching")
    result = reconcile_settlements(orders=orders, lines=lines, platforms=platforms, start=run.period_start,
                                   end=run.period_end, as_of=as_of, reasons=translated_reasons())
    disc = result.discrepancies
    t2 = time.perf_counter()
    timings["match"] = t2 - t1

    run_services.run_progress(run_id=run.id, phase="saving")
    named = sorted(set(disc["platform_code"].astype(str))) if len(disc) else []
    counterparties = dict(Platform.objects.filter(code__in=named).values_list("code", "counterparty_id"))
    summary = run_summary(spec=SPEC, engine_summary=result.summary)
    earlier = ReconRun.objects.filter(kind=SPEC.code, period_start=run.period_start, period_end=run.period_end, id__lt=run.id)
    if platform is not None:
        # A run of one platform replaces that platform's rows of earlier runs of it or of every platform, nothing else.
        earlier = earlier.filter(counterparty__isnull=True) | earlier.filter(counterparty_id=platform.counterparty_id)
    earlier_ids = list(earlier.values_list("id", flat=True))
    rows = discrepancy_rows(run=run, disc=disc, counterparty_id=lambda d: d["platform_code"].map(counterparties),
                            carry_key=_carry_keys, details=_json_details, direction=_direction)
    run_results_save(run=run, rows=rows, summary=summary, timings=timings, started=t0, matched=t2, carry_runs=earlier_ids,
                     carry_counterparty_id=platform.counterparty_id if platform else None)
