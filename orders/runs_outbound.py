"""The outbound run: orders, their lines, outbound records and pickup scans loaded set-wise, judged by the engine
(recon.engine.outbound), saved through the core (recon.runs.save)."""
from __future__ import annotations

import json
import time
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from couriers.models import Courier
from couriers.selectors import rate_card_specs
from recon.core.db import copy_numbers, fen_sql, fen_values, fetch_frames_copy, utc_micros_local, utc_micros_sql
from recon.core.errors import UserFacingError
from recon.core.models import ReconRun
from recon.core.permissions import setting_value
from recon.engine.outbound import DEFAULT_REASONS, TOLERANCE_G, reconcile_outbound
from recon.engine.rates import RateBook
from recon.runs import services as run_services
from recon.runs.as_of import as_of_param, as_of_value, cut_db, local_midnight_db
from recon.runs.save import discrepancy_rows, json_numbers, json_texts, run_results_save, run_summary, runs_rejudged

from .kind_outbound import DEFAULT_GRACE_HOURS, GRACE_HOURS_SETTING, SPEC
from .models import Order, OrderLine, OutboundRecord, PickupScan, Platform


def grace_hours_setting() -> int:
    """The hours managers give couriers to scan a parcel after it leaves the warehouse (pickup_grace_hours)."""
    value = setting_value(GRACE_HOURS_SETTING, DEFAULT_GRACE_HOURS)
    return int(value) if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else DEFAULT_GRACE_HOURS


def _new_run(*, start: date, end: date, as_of: str, grace_hours: int, user, rerun_of: ReconRun | None = None) -> ReconRun:
    return ReconRun.objects.create(
        kind=SPEC.code, counterparty=None, period_start=start, period_end=end, created_by=user, rerun_of=rerun_of,
        params={"as_of": as_of, "grace_hours": int(grace_hours)}, progress_total=len(run_services.PHASE_ORDER) - 1,
    )


def outbound_reconcile(*, counterparty_code: str, start: date, end: date, as_of: datetime | None, user=None,
                       enqueue: bool = True, grace_hours: int | None = None) -> list[ReconRun]:
    """One run for the orders paid, the outbounds dated and the pickups scanned in [start, end], as of a moment
    (default: now), every platform and courier at once."""
    if counterparty_code:
        raise UserFacingError("no_counterparty", _("Outbound is reconciled for every platform and courier at once; "
                                                   "leave out --counterparty."))
    if grace_hours is not None and (isinstance(grace_hours, bool) or int(grace_hours) < 0):
        raise UserFacingError("invalid_grace_hours", _("The pickup grace is a whole number of hours, 0 or more."))
    grace = grace_hours_setting() if grace_hours is None else int(grace_hours)
    with transaction.atomic():
        run = _new_run(start=start, end=end, as_of=as_of_param(as_of), grace_hours=grace, user=user)
        if enqueue:
            run_services.run_enqueue(run=run)
    return [run]


def outbound_daily_run(*, user=None) -> ReconRun:
    """Yesterday's outbound (local day), judged as of now and queued: what beat starts every morning."""
    yesterday = timezone.localdate() - timedelta(days=1)
    [run] = outbound_reconcile(counterparty_code="", start=yesterday, end=yesterday, as_of=timezone.now(), user=user)
    return run


def outbound_run_rerun(*, run: ReconRun, user=None, enqueue: bool = True) -> ReconRun:
    """Run an outbound run again on the same dates, as-of and grace."""
    params = run.params or {}
    with transaction.atomic():
        again = _new_run(start=run.period_start, end=run.period_end, as_of=params["as_of"],
                         grace_hours=int(params["grace_hours"]), user=user or run.created_by, rerun_of=run)
        if enqueue:
            run_services.run_enqueue(run=again)
    return again


# --------------------------------------------------------------------------- loading

def _grams(values: pd.Series) -> pd.Series:
    return pd.Series(pd.array(values.where(values.astype(str) != "", None) if values.dtype == object else values,
                              dtype="Int64"), index=values.index)


def _range(start: date, end: date) -> list:
    return [local_midnight_db(start), local_midnight_db(end + timedelta(days=1))]


def _outside_wanted(start: date, end: date, cut) -> tuple[str, list]:
    """The condition on an outbound row `b` dated outside the range that the run still needs: its waybill (courier,
    number) is on an outbound dated in the range or carrying an order paid in it, or was scanned in the range. Whatever
    its date, up to the as-of: a reuse, a late scan or a stray scan is judged against all of them.

    Rows dated in the range are read by their own index range; only the others are tested, each by index probes, so
    the day's half a million rows are never deduplicated or sorted as a set of waybills."""
    op, moment = cut
    lo, hi = _range(start, end)
    orders, outbound, pickups = Order._meta.db_table, OutboundRecord._meta.db_table, PickupScan._meta.db_table
    sql = (
        f"b.outbound_at {op} %s AND (b.outbound_at < %s OR b.outbound_at >= %s) AND ("
        f"EXISTS (SELECT 1 FROM {outbound} c WHERE c.courier_id = b.courier_id AND c.waybill_no = b.waybill_no "
        f"AND c.outbound_at {op} %s AND ((c.outbound_at >= %s AND c.outbound_at < %s) "
        f"OR EXISTS (SELECT 1 FROM {orders} o WHERE o.order_no = c.order_no AND o.paid_at >= %s AND o.paid_at < %s))) "
        f"OR EXISTS (SELECT 1 FROM {pickups} k WHERE k.courier_id = b.courier_id AND k.waybill_no = b.waybill_no "
        f"AND k.picked_up_at >= %s AND k.picked_up_at < %s AND k.picked_up_at {op} %s))"
    )
    return sql, [moment, lo, hi, moment, lo, hi, lo, hi, lo, hi, moment]


def _orders_read(start: date, end: date, cut) -> tuple:
    """The orders paid in the range, and the others some loaded outbound names (to know they are ours)."""
    op, moment = cut
    lo, hi = _range(start, end)
    outside, outside_params = _outside_wanted(start, end, cut)
    orders, outbound = Order._meta.db_table, OutboundRecord._meta.db_table
    cols = ["order_id", "platform_id", "order_no", "status", "paid_at", "shipped_at"]
    select = (f"SELECT o.id, o.platform_id, o.order_no, o.status, {utc_micros_sql('o.paid_at')}, "
              f"{utc_micros_sql('o.shipped_at')} FROM {orders} o ")
    sql = (
        f"{select} WHERE o.paid_at >= %s AND o.paid_at < %s UNION ALL "
        f"{select} WHERE (o.paid_at IS NULL OR o.paid_at < %s OR o.paid_at >= %s) AND o.order_no IN ("
        f"SELECT b.order_no FROM {outbound} b WHERE b.outbound_at >= %s AND b.outbound_at < %s AND b.outbound_at {op} %s "
        f"UNION SELECT b.order_no FROM {outbound} b WHERE {outside})"
    )
    return sql, [lo, hi, lo, hi, lo, hi, moment, *outside_params], cols, copy_numbers(
        order_id="int64", platform_id="int64", paid_at="Int64", shipped_at="Int64")


def _lines_read(start: date, end: date) -> tuple:
    """The items of the orders paid in the range (only they are judged for quantities), by order id: the orders' read
    has their platform and number."""
    lo, hi = _range(start, end)
    orders, lines = Order._meta.db_table, OrderLine._meta.db_table
    cols = ["order_id", "sku", "quantity", "line_fen"]
    sql = (f"SELECT l.order_id, l.sku, l.quantity, {fen_sql('l.line_amount')} FROM {lines} l JOIN {orders} o ON o.id = l.order_id "
           f"WHERE o.paid_at >= %s AND o.paid_at < %s")
    return sql, [lo, hi], cols, copy_numbers(order_id="int64", quantity="int64", line_fen="int64")


def _outbounds_read(start: date, end: date, cut) -> tuple:
    """The outbounds dated in the range, and those of other days that share a waybill with what the range holds."""
    op, moment = cut
    lo, hi = _range(start, end)
    outside, outside_params = _outside_wanted(start, end, cut)
    outbound = OutboundRecord._meta.db_table
    cols = ["outbound_no", "order_no", "sku", "quantity", "waybill_no", "courier_id", "packed_weight_g", "outbound_at",
            "warehouse", "province"]
    select = (f"SELECT b.outbound_no, b.order_no, b.sku, b.quantity, b.waybill_no, b.courier_id, b.packed_weight_g, "
              f"{utc_micros_sql('b.outbound_at')}, b.warehouse, b.province FROM {outbound} b ")
    sql = (f"{select} WHERE b.outbound_at >= %s AND b.outbound_at < %s AND b.outbound_at {op} %s UNION ALL "
           f"{select} WHERE {outside}")
    return sql, [lo, hi, moment, *outside_params], cols, copy_numbers(quantity="int64", courier_id="int64",
                                                                      packed_weight_g="Int64", outbound_at="int64")


def _pickups_read(start: date, end: date, cut) -> tuple:
    """The scans of the range, and those of other days of a waybill an outbound of the range (or of an order paid in
    it) carries."""
    op, moment = cut
    lo, hi = _range(start, end)
    orders, outbound = Order._meta.db_table, OutboundRecord._meta.db_table
    pickups = PickupScan._meta.db_table
    cols = ["courier_id", "waybill_no", "picked_up_at", "pickup_weight_g", "site"]
    select = f"SELECT k.courier_id, k.waybill_no, {utc_micros_sql('k.picked_up_at')}, k.pickup_weight_g, k.site FROM {pickups} k "
    sql = (f"{select} WHERE k.picked_up_at >= %s AND k.picked_up_at < %s AND k.picked_up_at {op} %s UNION ALL "
           f"{select} WHERE k.picked_up_at {op} %s AND (k.picked_up_at < %s OR k.picked_up_at >= %s) "
           f"AND EXISTS (SELECT 1 FROM {outbound} b WHERE b.courier_id = k.courier_id AND b.waybill_no = k.waybill_no "
           f"AND b.outbound_at {op} %s AND ((b.outbound_at >= %s AND b.outbound_at < %s) "
           f"OR EXISTS (SELECT 1 FROM {orders} o WHERE o.order_no = b.order_no AND o.paid_at >= %s AND o.paid_at < %s)))")
    return sql, [lo, hi, moment, moment, lo, hi, moment, lo, hi, lo, hi], cols, copy_numbers(
        courier_id="int64", picked_up_at="int64", pickup_weight_g="Int64")


def _load(start: date, end: date, as_of: date | datetime) -> tuple[pd.DataFrame, ...]:
    """The four reads at once, each on its own connection on PostgreSQL (fetch_frames_copy).

    Platforms and couriers come as ids and lines by their order's id, named here from small tables and from the orders
    read: a join per read on the server, and half a million repeated texts parsed and held twice, saved."""
    cut = cut_db(as_of)
    orders, lines, outbounds, pickups = fetch_frames_copy(
        _orders_read(start, end, cut), _lines_read(start, end), _outbounds_read(start, end, cut), _pickups_read(start, end, cut))
    platforms = dict(Platform.objects.values_list("id", "code"))
    couriers = dict(Courier.objects.values_list("id", "code"))
    orders["platform_code"] = _names(orders.pop("platform_id"), platforms)
    orders["paid_at"], orders["shipped_at"] = utc_micros_local(orders["paid_at"]), utc_micros_local(orders["shipped_at"])
    # A line whose order the orders' read did not see (written between the two reads) is judged by neither.
    at = pd.Index(orders["order_id"].astype("int64")).get_indexer(lines.pop("order_id").astype("int64"))
    lines = lines[at >= 0].reset_index(drop=True)
    at = at[at >= 0]
    lines.insert(0, "order_no", orders["order_no"].to_numpy(dtype=object)[at])
    lines.insert(0, "platform_code", orders["platform_code"].to_numpy(dtype=object)[at])
    lines["quantity"] = lines["quantity"].astype("int64")
    lines["line_fen"] = fen_values(lines["line_fen"])
    outbounds.insert(5, "courier_code", _names(outbounds.pop("courier_id"), couriers))
    outbounds["quantity"] = outbounds["quantity"].astype("int64")
    outbounds["packed_weight_g"] = _grams(outbounds["packed_weight_g"])
    outbounds["outbound_at"] = utc_micros_local(outbounds["outbound_at"])
    pickups.insert(0, "courier_code", _names(pickups.pop("courier_id"), couriers))
    pickups["pickup_weight_g"] = _grams(pickups["pickup_weight_g"])
    pickups["picked_up_at"] = utc_micros_local(pickups["picked_up_at"])
    return orders, lines, outbounds, pickups


def _names(ids: pd.Series, names: dict[int, str]) -> pd.Series:
    """Ids as their codes, by one lookup per distinct id; the same few text objects shared by every row."""
    codes = pd.Series(list(names.values()) + [""], dtype=object)
    at = pd.Index(list(names.keys()), dtype="int64").get_indexer(ids.astype("int64"))
    return pd.Series(codes.to_numpy()[np.where(at >= 0, at, len(names))], index=ids.index, dtype=object)


def _platforms() -> pd.DataFrame:
    return pd.DataFrame(list(Platform.objects.order_by("code").values_list("code", "ship_within_hours")),
                        columns=["code", "ship_within_hours"])


def courier_terms(codes, on: date) -> tuple[dict[str, int], dict[str, RateBook]]:
    """Each courier's weight tolerance (its rate card in force on the day; the engine's default without one) and its
    rate cards, for pricing a pickup weight."""
    tolerance, books = {}, {}
    for courier in Courier.objects.filter(code__in=sorted(codes)):
        specs = rate_card_specs(courier=courier)
        books[courier.code] = RateBook(specs)
        in_force = [c for c in specs if c.effective_from <= on and (c.effective_to is None or c.effective_to >= on)]
        tolerance[courier.code] = max(in_force, key=lambda c: (c.effective_from, c.id)).weight_tolerance_g if in_force else TOLERANCE_G
    return tolerance, books


def translated_reasons() -> dict[str, str]:
    """The engine's reason templates in the product's language (stored reasons are read by the whole team)."""
    with translation.override(settings.LANGUAGE_CODE):
        return {key: _(text) for key, text in DEFAULT_REASONS.items()}


# --------------------------------------------------------------------------- saving

DETAIL_TEXTS = ("outbound_no", "waybill_no", "outbound_nos", "first_outbound_no", "order_status", "warehouse", "province",
                "site", "paid_at", "shipped_at", "outbound_at", "first_outbound_at", "picked_up_at", "courier_code",
                "platform_code", "judged_on")
DETAIL_NUMBERS = ("ordered_qty", "sent_qty", "line_fen", "unit_price_fen", "packed_weight_g", "pickup_weight_g",
                  "tolerance_g", "ship_within_hours", "grace_hours", "hours_late")
# What puts a row in a run's range: the order types are judged by the payment's day, picked_up_not_outbound by the
# scan's, every other parcel type by its outbound's.
ORDER_TYPES = ("order_not_shipped", "shipped_not_outbound", "outbound_quantity_mismatch")


def judged_on(disc: pd.DataFrame) -> pd.Series:
    """The local day that puts each row in a run's range (details.judged_on)."""
    if disc.empty:
        return pd.Series([], dtype=object)
    moment = disc["outbound_at"].where(disc["outbound_at"].astype(str) != "", disc["picked_up_at"])
    moment = moment.where(~disc["type"].isin(ORDER_TYPES), disc["paid_at"])
    moment = moment.where(disc["type"] != "picked_up_not_outbound", disc["picked_up_at"])
    return moment.astype(str).str.slice(0, 10).reset_index(drop=True)


# Below this many rows the details are written row by row: column-wise, pandas' fixed cost per column (26 of them)
# outweighs the rows, and the check of one post raises a handful.
ROW_WISE_DETAILS = 64


def _json_text(value) -> str:
    return "null" if value is None or pd.isna(value) or value == "" else json.dumps(str(value), ensure_ascii=False)


def _json_number(value) -> str:
    return "null" if pd.isna(value) else str(int(value))


def _details(disc: pd.DataFrame) -> pd.Series:
    """Each row's details as JSON text; the same text whichever way it is written."""
    if len(disc) <= ROW_WISE_DETAILS:
        texts = [[f'"{name}": ' + _json_text(v) for v in disc[name].tolist()] for name in DETAIL_TEXTS]
        numbers = [[f'"{name}": ' + _json_number(v) for v in disc[name].tolist()] for name in DETAIL_NUMBERS]
        return pd.Series(["{" + ", ".join(cells) + "}" for cells in zip(*texts, *numbers)], dtype=object)
    return _details_columns(disc)


def _details_columns(disc: pd.DataFrame) -> pd.Series:
    parts = [f'"{name}": ' + json_texts(disc[name].replace("", None)).reset_index(drop=True) for name in DETAIL_TEXTS]
    parts += [f'"{name}": ' + json_numbers(disc[name]).reset_index(drop=True) for name in DETAIL_NUMBERS]
    out = "{" + parts[0]
    for part in parts[1:]:
        out = out + ", " + part
    return out + "}"


def _counterparties(disc: pd.DataFrame) -> pd.Series:
    """The platform for the order types (and an outbound's goods), the courier for the parcel types."""
    platforms = dict(Platform.objects.values_list("code", "counterparty_id"))
    couriers = dict(Courier.objects.values_list("code", "counterparty_id"))
    by_platform = disc["platform_code"].astype(str).map(platforms)
    by_courier = disc["courier_code"].astype(str).map(couriers)
    return by_platform.where(disc["platform_code"].astype(str) != "", by_courier)


def _carry_keys(disc: pd.DataFrame) -> pd.Series:
    return disc["type"] + "|" + disc["ref"].astype(str) + "|" + disc["ref2"].astype(str) + "|" + disc["sku"].astype(str)


def outbound_rows(run: ReconRun, disc: pd.DataFrame) -> pd.DataFrame:
    """The engine's rows as Discrepancy columns: the run uses it, and so does the check of records as they arrive."""
    disc = disc.reset_index(drop=True)
    if len(disc):
        disc = disc.assign(judged_on=judged_on(disc).to_numpy())
    stake = disc["amount_fen"].to_numpy() if len(disc) else np.zeros(0, dtype=np.int64)
    return discrepancy_rows(
        run=run, disc=disc, counterparty_id=_counterparties, carry_key=_carry_keys, details=_details,
        # Fewer goods sent than sold is the buyer's (or the shop's) loss, not money owed to us.
        direction=lambda d: pd.Series(np.where(stake < 0, "by_us", "to_us")),
    )


def outbound_run_execute(*, run: ReconRun) -> None:
    """Load what the run's range needs, judge it as of the run's as-of, save the result."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    params = run.params or {}
    as_of = as_of_value(params["as_of"])
    grace = int(params["grace_hours"])

    run_services.run_progress(run_id=run.id, phase="loading")
    orders, lines, outbounds, pickups = _load(run.period_start, run.period_end, as_of)
    codes = set(outbounds["courier_code"]) | set(pickups["courier_code"])
    tolerance, books = courier_terms(codes, run.period_end)
    t1 = time.perf_counter()
    timings["load"] = t1 - t0

    run_services.run_progress(run_id=run.id, phase="matching")
    result = reconcile_outbound(orders=orders, order_lines=lines, outbounds=outbounds, pickups=pickups,
                                platforms=_platforms(), start=run.period_start, end=run.period_end, as_of=as_of,
                                pickup_grace_hours=grace, tolerance_g=tolerance, rates=books, texts=translated_reasons())
    t2 = time.perf_counter()
    timings["match"] = t2 - t1

    run_services.run_progress(run_id=run.id, phase="saving")
    rows = outbound_rows(run, result.discrepancies)
    same_range, rejudged = runs_rejudged(run=run)
    run_results_save(run=run, rows=rows, summary=run_summary(spec=SPEC, engine_summary=result.summary), timings=timings,
                     started=t0, matched=t2, carry_runs=same_range, carry_ids=rejudged, timed_steps=True)
