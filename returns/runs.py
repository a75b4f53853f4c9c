"""The returns run: requests, receipts and freight lines loaded set-wise, judged by the engine, saved with COPY."""
from __future__ import annotations

import time
from datetime import date, datetime, time as dtime, timedelta

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from couriers.models import Courier
from couriers.selectors import rate_card_specs
from recon.core.db import db_to_local_naive, fen_from_db, fetch_frames_copy, is_postgres
from recon.core.errors import UserFacingError
from recon.core.models import ReconRun
from recon.core.permissions import setting_value
from recon.engine.rates import RateBook
from recon.engine.returns import DEFAULT_REASONS, reconcile_returns
from recon.runs import services as run_services
from recon.runs.save import discrepancy_rows, json_numbers, json_texts, run_results_save, run_summary, runs_rejudged

from .kind import GRACE_DAYS_SETTING, SPEC
from recon.sources.models import SourceFile

from .models import ReturnFreightLine, ReturnReceipt, ReturnRequest

DEFAULT_GRACE_DAYS = next(s.default for s in SPEC.settings if s.key == GRACE_DAYS_SETTING)


def grace_days_setting() -> int:
    """The grace period managers set (returns_grace_days), in days."""
    value = setting_value(GRACE_DAYS_SETTING, DEFAULT_GRACE_DAYS)
    return int(value) if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else DEFAULT_GRACE_DAYS


def _new_run(*, start: date, end: date, as_of: date, grace_days: int, user, rerun_of: ReconRun | None = None) -> ReconRun:
    return ReconRun.objects.create(
        kind=SPEC.code, counterparty=None, period_start=start, period_end=end, created_by=user, rerun_of=rerun_of,
        params={"as_of": as_of.isoformat(), "grace_days": int(grace_days)}, progress_total=len(run_services.PHASE_ORDER) - 1,
    )


def returns_reconcile(*, counterparty_code: str, start: date, end: date, as_of: datetime | None, user=None,
                      enqueue: bool = True, grace_days: int | None = None) -> list[ReconRun]:
    """One run for the returns requested in [start, end], judged as of a day (default today), every courier at once."""
    if counterparty_code:
        raise UserFacingError("no_counterparty", _("Returns are reconciled for every courier at once; leave out --counterparty."))
    if grace_days is not None and (isinstance(grace_days, bool) or int(grace_days) < 0):
        raise UserFacingError("invalid_grace_days", _("The grace period is a whole number of days, 0 or more."))
    day = timezone.localdate(as_of) if as_of is not None else timezone.localdate()
    grace = grace_days_setting() if grace_days is None else int(grace_days)
    with transaction.atomic():
        run = _new_run(start=start, end=end, as_of=day, grace_days=grace, user=user)
        if enqueue:
            run_services.run_enqueue(run=run)
    return [run]


def returns_run_rerun(*, run: ReconRun, user=None, enqueue: bool = True) -> ReconRun:
    """Run a returns run again on the same dates, as-of day and grace period."""
    params = run.params or {}
    with transaction.atomic():
        again = _new_run(start=run.period_start, end=run.period_end, as_of=date.fromisoformat(params["as_of"]),
                         grace_days=int(params["grace_days"]), user=user or run.created_by, rerun_of=run)
        if enqueue:
            run_services.run_enqueue(run=again)
    return again


# --------------------------------------------------------------------------- loading

def _day_end(day: date):
    """The first moment after a local day, as the database compares it."""
    moment = datetime.combine(day + timedelta(days=1), dtime.min, tzinfo=timezone.get_default_timezone())
    return connection.ops.adapt_datetimefield_value(moment)


# On PostgreSQL the database gives local days as integer days since 1970 and money as integer fen, parsed in C
# (COPY); SQLite gives stored values to convert.
def _day_sql(column: str) -> str:
    return f"(({column}) AT TIME ZONE '{settings.TIME_ZONE}')::date - DATE '1970-01-01'" if is_postgres() else column


def _fen_sql(column: str) -> str:
    return f"(({column}) * 100)::bigint" if is_postgres() else column


def _pg_ints(**dtypes: str) -> dict[str, str]:
    """The columns _day_sql and _fen_sql make integers on PostgreSQL (SQLite's stored values are converted after)."""
    return dtypes if is_postgres() else {}


def _days(values: pd.Series) -> pd.Series:
    if not len(values):
        return pd.Series([], dtype="datetime64[ns]")
    if is_postgres():
        return pd.Series(pd.to_datetime(values, unit="D"), index=values.index).astype("datetime64[ns]")
    return db_to_local_naive(values).dt.normalize()


def _fen(values: pd.Series) -> pd.Series:
    if not len(values):
        return pd.Series([], dtype="int64")
    return values if is_postgres() else fen_from_db(values)


def _courier_codes(ids: pd.Series, codes: dict[int, str]) -> pd.Series:
    """Courier ids -> codes ("" for none): a handful of couriers, looked up once instead of joined on every row."""
    return pd.Series(ids.map(codes), index=ids.index, dtype=object).fillna("")


# Each input is a read (fetch_frame_copy's arguments) and the typing of what it returned, so that the three reads can
# run at once (fetch_frames_copy).

def _requests_read() -> tuple:
    """Every request of every date: a receipt or freight line matching an old request is not unexpected."""
    # Only what the engine reads: the refund date, the shop and the texts for people are not loaded.
    cols = ["request_id", "return_no", "order_no", "return_waybill_no", "courier_id", "sku", "quantity", "refund_fen",
            "refund_status", "requested_on"]
    return (f"SELECT id, return_no, order_no, return_waybill_no, return_courier_id, sku, quantity, "
            f"{_fen_sql('refund_amount')}, refund_status, {_day_sql('requested_at')} FROM {ReturnRequest._meta.db_table}",
            [], cols, {"request_id": "int64", "courier_id": "Int64", "quantity": "int64",
                       **_pg_ints(refund_fen="int64", requested_on="Int64")})


def _requests_frame(frame: pd.DataFrame, codes: dict[int, str]) -> pd.DataFrame:
    frame.insert(4, "courier_code", _courier_codes(frame.pop("courier_id"), codes))
    frame["refund_fen"] = _fen(frame["refund_fen"])
    frame["requested_on"] = _days(frame["requested_on"])
    return frame


def _receipts_read(as_of: date) -> tuple:
    cols = ["receipt_id", "return_waybill_no", "order_no", "received_on", "sku", "quantity", "condition"]
    return (f"SELECT id, return_waybill_no, order_no, {_day_sql('received_at')}, sku, quantity, condition "
            f"FROM {ReturnReceipt._meta.db_table} WHERE received_at < %s", [_day_end(as_of)], cols,
            {"receipt_id": "int64", "quantity": "Int64", **_pg_ints(received_on="Int64")})


def _receipts_frame(frame: pd.DataFrame) -> pd.DataFrame:
    frame["received_on"] = _days(frame["received_on"])
    return frame


def _freight_read(as_of: date) -> tuple:
    # The order of import is the time a line was written (a file's lines share it), then its line number.
    cols = ["line_id", "courier_id", "waybill_no", "billed_on", "billed_weight_g", "fee_fen", "origin_province", "created_at",
            "line_no"]
    return (f"SELECT l.id, l.courier_id, l.waybill_no, {_day_sql('l.billed_at')}, l.billed_weight_g, {_fen_sql('l.fee')}, "
            f"l.origin_province, l.created_at, l.line_no FROM {ReturnFreightLine._meta.db_table} l "
            # A deleted (or replaced) file's lines count for nothing until it is restored, like a deleted bill's.
            f"LEFT JOIN {SourceFile._meta.db_table} s ON s.id = l.source_id "
            f"WHERE (l.billed_at IS NULL OR l.billed_at < %s) AND s.deleted_at IS NULL",
            [_day_end(as_of)], cols,
            {"line_id": "int64", "courier_id": "int64", "billed_weight_g": "Int64", "line_no": "int64",
             **_pg_ints(fee_fen="int64", billed_on="Int64")})


def _freight_frame(frame: pd.DataFrame, codes: dict[int, str]) -> pd.DataFrame:
    frame.insert(1, "courier_code", _courier_codes(frame.pop("courier_id"), codes))
    frame["fee_fen"] = _fen(frame["fee_fen"])
    frame["billed_on"] = _days(frame["billed_on"])
    created = frame.pop("created_at")
    # Lines of one import share their created_at: a distinct time per import, ranked, is the import order.
    imports, stamps = pd.factorize(created)
    rank = pd.Series(pd.to_datetime(pd.Series(stamps, dtype=object), utc=True, format="ISO8601")).rank(method="dense")
    frame["import_order"] = rank.to_numpy(dtype=np.int64)[imports] if len(frame) else np.zeros(0, dtype=np.int64)
    return frame


def _load(as_of: date) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The requests, the receipts and the freight lines the engine judges, read at once."""
    requests, receipts, freight = fetch_frames_copy(_requests_read(), _receipts_read(as_of), _freight_read(as_of))
    codes = dict(Courier.objects.values_list("id", "code"))
    return _requests_frame(requests, codes), _receipts_frame(receipts), _freight_frame(freight, codes)


def _rate_books(codes) -> dict[str, RateBook]:
    return {c.code: RateBook(rate_card_specs(courier=c)) for c in Courier.objects.filter(code__in=list(codes))}


def translated_reasons() -> dict[str, str]:
    """The engine's reason templates in the product's language (stored reasons are read by the whole team)."""
    with translation.override(settings.LANGUAGE_CODE):
        return {key: _(text) for key, text in DEFAULT_REASONS.items()}


# --------------------------------------------------------------------------- saving

def _json_details(disc: pd.DataFrame) -> pd.Series:
    """The ids behind a discrepancy (request row, receipt row, freight line) and its courier, as JSON text column-wise."""
    courier = json_texts(disc["courier_code"].fillna("").astype(str))
    judged = ""
    if "judged_on" in disc:
        judged = ', "judged_on": ' + ('"' + disc["judged_on"].astype(str) + '"').where(disc["judged_on"].notna(), "null")
    return ('{"request_id": ' + json_numbers(disc["request_id"]) + ', "receipt_id": ' + json_numbers(disc["receipt_id"])
            + ', "line_id": ' + json_numbers(disc["line_id"]) + ', "courier_code": ' + courier + judged + "}")


def _judged_on(disc: pd.DataFrame, requests: pd.DataFrame) -> pd.Series:
    """The day that puts a discrepancy in a run's range: its request's day when it has one (a freight line of a request
    is judged with the request), otherwise its own (a parcel or a freight line that matches no request)."""
    if disc.empty:
        return pd.Series([], dtype=object)
    by_request = pd.Series(pd.to_datetime(requests["requested_on"]).dt.strftime("%Y-%m-%d").to_numpy(),
                           index=requests["request_id"].to_numpy())
    request_ids = pd.Series(pd.array(disc["request_id"], dtype="Int64"))
    own = pd.Series(pd.to_datetime(pd.Series(disc["occurred_on"].to_numpy(dtype=object))).dt.strftime("%Y-%m-%d"))
    judged = request_ids.map(by_request)
    return judged.where(judged.notna(), own).reset_index(drop=True)


def _carry_keys(disc: pd.DataFrame) -> pd.Series:
    line = pd.Series(pd.array(disc["line_id"], dtype="Int64")).astype(str).where(disc["line_id"].notna().to_numpy(), "")
    return disc["type"] + "|" + disc["ref"] + "|" + disc["ref2"] + "|" + disc["sku"] + "|" + line


def returns_run_execute(*, run: ReconRun) -> None:
    """Load every request, the receipts and freight dated by the as-of day, judge them, and save the discrepancies."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    params = run.params or {}
    as_of = date.fromisoformat(params["as_of"])
    grace_days = int(params["grace_days"])

    run_services.run_progress(run_id=run.id, phase="loading")
    requests, receipts, freight = _load(as_of)
    codes = set(freight["courier_code"]) if len(freight) else set()
    books = _rate_books(codes)
    t1 = time.perf_counter()
    timings["load"] = t1 - t0

    run_services.run_progress(run_id=run.id, phase="matching")
    result = reconcile_returns(requests=requests, receipts=receipts, freight=freight, start=run.period_start,
                               end=run.period_end, as_of=as_of, grace_days=grace_days, rates=books, texts=translated_reasons())
    disc = result.discrepancies
    t2 = time.perf_counter()
    timings["match"] = t2 - t1

    run_services.run_progress(run_id=run.id, phase="saving")
    named = sorted(set(disc["courier_code"]) - {""}) if len(disc) else []
    counterparties = dict(Courier.objects.filter(code__in=named).values_list("code", "counterparty_id"))
    summary = run_summary(spec=SPEC, engine_summary=result.summary)
    same_range, rejudged = runs_rejudged(run=run)
    disc = disc.assign(judged_on=_judged_on(disc, requests).to_numpy()) if len(disc) else disc
    rows = discrepancy_rows(run=run, disc=disc, counterparty_id=lambda d: d["courier_code"].map(counterparties),
                            carry_key=_carry_keys, details=_json_details)
    run_results_save(run=run, rows=rows, summary=summary, timings=timings, started=t0, matched=t2,
                     carry_runs=same_range, carry_ids=rejudged, timed_steps=True)
