"""Outbound and shipping reconciliation (出库/发货对账, kind `outbound`): orders against the warehouse's outbound records
and the couriers' pickup scans.

Frames in, frames out; no Django. Money is integer fen, weights integer grams; times are naive local times
(Asia/Shanghai), days local calendar days. Judged: the order types, the orders paid in [start, end]; the parcel types,
the outbounds dated in [start, end]; `picked_up_not_outbound`, the pickups dated in [start, end]. Only records whose
own time is at or before as_of count (an order's shipped or completed status counts from its shipped_at). A time
exactly at a bound is in time: late means strictly more than the hours allowed.

Outbound files carry no platform, so an order is matched to outbound records by its order number alone: when two
platforms have an order with the same number, both are matched to the same outbound records (the warehouse's side
cannot tell them apart, and reporting on both is safer than guessing one).

Parcel types carry no platform (one parcel may hold orders of several). `outbound_unknown_order` is reported once per
outbound and unknown order number (its SKUs are one mistake). Hours late count every started hour, so that a row one
second past a bound does not read "0 h late". Days on rows: the paid day for an order not shipped, the shipped day (else
the paid day) for a notice without goods, the last outbound's day for quantities, the scan's day for
`picked_up_not_outbound` and `pickup_weight_mismatch`, the outbound's day for the other parcel types.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time

import numpy as np
import pandas as pd

from recon.engine.rates import RateBook
from recon.engine.settlement import as_of_moment
from recon.engine.text import fields_of, fill, kg, yuan

ORDER_COLUMNS = ["platform_code", "order_no", "status", "paid_at", "shipped_at"]
LINE_COLUMNS = ["platform_code", "order_no", "sku", "quantity", "line_fen"]
OUTBOUND_COLUMNS = [
    "outbound_no", "order_no", "sku", "quantity", "waybill_no", "courier_code", "packed_weight_g", "outbound_at",
    "warehouse", "province",
]
PICKUP_COLUMNS = ["courier_code", "waybill_no", "picked_up_at", "pickup_weight_g", "site"]
PLATFORM_COLUMNS = ["code", "ship_within_hours"]

# What a person needs to check a row, flat (the run stores them as JSON): "" or <NA> where a type has no such value.
# Times are text to the second, so that a row at a bound shows why it is (or is not) late.
DETAIL_TEXT_COLUMNS = [
    "outbound_no", "waybill_no", "outbound_nos", "first_outbound_no", "order_status", "warehouse", "province", "site",
    "paid_at", "shipped_at", "outbound_at", "first_outbound_at", "picked_up_at",
]
DETAIL_INT_COLUMNS = [
    "ordered_qty", "sent_qty", "line_fen", "unit_price_fen", "packed_weight_g", "pickup_weight_g", "tolerance_g",
    "ship_within_hours", "grace_hours", "hours_late",
]
DISCREPANCY_COLUMNS = [
    "type", "ref", "ref2", "sku", "courier_code", "platform_code", "amount_fen", "theirs_fen", "ours_fen", "is_claim",
    "occurred_on", "reason", *DETAIL_TEXT_COLUMNS, *DETAIL_INT_COLUMNS,
]

# In the order a list shows them.
TYPES = (
    "order_not_shipped", "shipped_not_outbound", "outbound_quantity_mismatch", "outbound_unknown_order", "waybill_reused",
    "outbound_not_picked_up", "picked_up_not_outbound", "pickup_weight_mismatch",
)
# More goods left than were sold: the warehouse owes them. Less is information; the expected weight overcharge is
# information until the bill comes.
CLAIM_TYPES = frozenset({"outbound_quantity_mismatch"})
# The per-waybill types that need nothing but the outbounds and the pickups of that waybill (checked on arrival).
WAYBILL_TYPES = ("waybill_reused", "pickup_weight_mismatch")
# Every type judged from a waybill's outbounds and pickups alone.
PARCEL_TYPES = ("waybill_reused", "outbound_not_picked_up", "picked_up_not_outbound", "pickup_weight_mismatch")

SHIP_WITHIN_HOURS = 48  # a platform with no setting
TOLERANCE_G = 50  # a courier with no rate card
SHIPPED_STATUSES = ("shipped", "completed")
_HOUR = np.timedelta64(3600, "s").astype("timedelta64[ns]")


def gettext_noop(text: str) -> str:
    """Marks a text for the translation catalogue without importing Django (the engine stays pure)."""
    return text


# English source texts; callers pass translated ones. Fields in braces are filled per row.
DEFAULT_REASONS: dict[str, str] = {
    "order_not_shipped": gettext_noop(
        "Order {order_no} ({platform}) was paid at {paid_at} and nothing had left the warehouse for it by {as_of}: "
        "{hours_late} h past the {allowed} h allowed."),
    "shipped_not_outbound_shipped": gettext_noop(
        "{platform} says order {order_no} was shipped, but the warehouse had no outbound record for it by {as_of}."),
    "shipped_not_outbound_completed": gettext_noop(
        "{platform} says order {order_no} was completed, but the warehouse had no outbound record for it by {as_of}."),
    "outbound_quantity_mismatch_more": gettext_noop(
        "Order {order_no}: {ordered} × {sku} ordered for ¥{line}, {sent} left the warehouse; the {diff} more are worth ¥{stake}."),
    "outbound_quantity_mismatch_less": gettext_noop(
        "Order {order_no}: {ordered} × {sku} ordered for ¥{line}, {sent} left the warehouse; the {diff} fewer are worth ¥{less}."),
    "outbound_quantity_mismatch_closed": gettext_noop(
        "Order {order_no} is closed, yet {sent} × {sku} left the warehouse; {ordered} were ordered for ¥{line}: ¥{stake}."),
    "outbound_quantity_mismatch_unordered": gettext_noop(
        "Order {order_no} has no {sku}, yet {sent} left the warehouse for it."),
    "outbound_unknown_order": gettext_noop(
        "Outbound {outbound_no} of {outbound_at} ships order {order_no}, which is none of our orders."),
    "waybill_reused": gettext_noop(
        "Waybill {waybill_no} ({courier}) is on outbound {outbound_no} of {outbound_at}, but outbound {first_outbound_no} "
        "of {first_outbound_at} already used it."),
    "outbound_not_picked_up": gettext_noop(
        "Outbound {outbound_no} left the warehouse at {outbound_at} with waybill {waybill_no}; {courier} had not scanned "
        "it by {as_of} ({grace} h allowed)."),
    "outbound_not_picked_up_late": gettext_noop(
        "Outbound {outbound_no} left the warehouse at {outbound_at} with waybill {waybill_no}; {courier} first scanned it "
        "at {picked_up_at}, {hours_late} h past the {grace} h allowed."),
    "picked_up_not_outbound": gettext_noop(
        "{courier} scanned waybill {waybill_no} at {picked_up_at}, and no outbound had that waybill by {as_of} "
        "({grace} h allowed)."),
    "pickup_weight_mismatch": gettext_noop(
        "{courier} weighed waybill {waybill_no} at {pickup_kg} kg at pickup; outbound {outbound_no} was packed at "
        "{packed_kg} kg ({tolerance} g tolerance). The bill should charge ¥{stake} more: ¥{theirs} instead of ¥{ours}."),
    "pickup_weight_mismatch_unpriced": gettext_noop(
        "{courier} weighed waybill {waybill_no} at {pickup_kg} kg at pickup; outbound {outbound_no} was packed at "
        "{packed_kg} kg ({tolerance} g tolerance). No rate card or destination province prices the difference."),
}


@dataclass
class OutboundResult:
    discrepancies: pd.DataFrame  # DISCREPANCY_COLUMNS
    summary: dict                # plain ints, ready for JSON


@dataclass(frozen=True)
class _When:
    cut: np.datetime64     # the last moment that counts
    first: np.datetime64   # first and last day judged
    last: np.datetime64
    as_of_text: str
    grace: np.timedelta64
    grace_hours: int


# ---------------------------------------------------------------------------------------------------- arithmetic

def round_div(num, den) -> np.ndarray:
    """num / den rounded once to an integer, halves away from zero, in integers only; 0 where den is not above 0."""
    n = np.asarray(num, dtype=np.int64)
    d = np.asarray(den, dtype=np.int64)
    safe = np.where(d > 0, d, 1)
    a = np.abs(n)
    # Beyond int64 (2 × a near 9 × 10**18) the doubling is taken in Python integers.
    if len(a) and int(a.max(initial=0)) >= 2**61:
        q = np.asarray((2 * a.astype(object) + safe.astype(object)) // (2 * safe.astype(object)), dtype=np.int64)
    else:
        q = (2 * a + safe) // (2 * safe)
    return np.where(d > 0, np.sign(n) * q, 0)


def _product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a × b exactly: int64 when it fits, else Python integers (an object array)."""
    if len(a) and int(np.abs(a).max(initial=0)) * int(np.abs(b).max(initial=0)) >= 2**61:
        return a.astype(object) * b.astype(object)
    return a * b


def _round_div_exact(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    if num.dtype == object:
        d = den.astype(object)
        out = [0 if dd <= 0 else (1 if nn >= 0 else -1) * ((2 * abs(nn) + dd) // (2 * dd)) for nn, dd in zip(num, d)]
        return np.asarray(out, dtype=np.int64)
    return round_div(num, den)


# ---------------------------------------------------------------------------------------------------- columns

def _frame(columns: list[str], data: pd.DataFrame | None) -> pd.DataFrame:
    return pd.DataFrame(columns=columns) if data is None or not len(data) else data.reset_index(drop=True)


def _text(s) -> np.ndarray:
    values = np.asarray(s, dtype=object)
    # Loaded columns are text already: one scan in C instead of converting every cell again.
    if pd.api.types.infer_dtype(values, skipna=False) in ("string", "empty"):
        return values
    return pd.Series(values, dtype=object).fillna("").astype(str).to_numpy(dtype=object)


def _int64(s, default: int = 0) -> np.ndarray:
    values = np.asarray(s) if not isinstance(getattr(s, "dtype", None), pd.api.extensions.ExtensionDtype) else None
    # A plain integer column (the rule) needs no pass through pandas' nullable integers.
    if values is not None and values.dtype.kind in "iu":
        return values.astype(np.int64, copy=False)
    return np.asarray(pd.array(s, dtype="Int64").fillna(default), dtype=np.int64)


def _weights(s) -> tuple[np.ndarray, np.ndarray]:
    """Grams and whether each is known."""
    values = s.array if isinstance(getattr(s, "dtype", None), pd.Int64Dtype) else pd.array(s, dtype="Int64")
    return values.to_numpy(dtype=np.int64, na_value=0), ~np.asarray(values.isna(), dtype=bool)


def _moments(s) -> np.ndarray:
    return pd.to_datetime(pd.Series(s), errors="coerce").to_numpy(dtype="datetime64[ns]")


def _vocab(*columns: np.ndarray, sort: bool = False) -> tuple[list[np.ndarray], np.ndarray]:
    """One integer code per distinct text across several columns, -1 for ""; and the texts by code.

    With sort, codes follow the texts' order, so comparing codes compares the texts.
    """
    joined = np.concatenate([np.asarray(c, dtype=object) for c in columns])
    codes, uniques = pd.factorize(joined, sort=sort)
    uniques = np.asarray(uniques, dtype=object)
    codes = np.asarray(codes, dtype=np.int64)
    blank = np.flatnonzero(uniques == "")
    if len(blank):
        codes[codes == blank[0]] = -1
    return np.split(codes, np.cumsum([len(c) for c in columns])[:-1]), uniques


def _pick(values: np.ndarray, codes: np.ndarray, missing="") -> np.ndarray:
    """values[code], `missing` where the code is -1."""
    return np.append(values, np.array([missing], dtype=object))[np.where(codes >= 0, codes, len(values))]


def _clock(moments: np.ndarray, seconds: bool = True) -> np.ndarray:
    """Times as "2026-10-05 10:00:00" (or to the minute), "" for none."""
    at = np.asarray(moments, dtype="datetime64[ns]")
    unit, width = ("s", 19) if seconds else ("m", 16)
    # numpy's ISO text with its "T" replaced in place: several times faster than strftime on every row.
    text = np.datetime_as_string(at.astype(f"datetime64[{unit}]"), unit=unit).astype(f"U{width}")
    if len(text):
        text.view("U1").reshape(len(text), width)[:, 10] = " "
    out = text.astype(object)
    out[np.isnat(at)] = ""
    return out


def _hours_up(span: np.ndarray) -> np.ndarray:
    """A positive time span in hours, every started hour counted (one second late is an hour late)."""
    ns = np.asarray(span, dtype="timedelta64[ns]").astype(np.int64)
    h = _HOUR.astype(np.int64)
    return -(-ns // h)


def _num(values) -> pd.Series:
    return pd.Series(np.asarray(values, dtype=np.int64)).astype(str)


def _reason(template: str, fields: dict, pos: np.ndarray) -> np.ndarray:
    """A template filled for the rows at pos; only the fields it names are computed, and only for those rows."""
    values = {}
    for name in set(fields_of(template)):
        v = fields[name](pos)
        values[name] = pd.Series([v] * len(pos) if isinstance(v, str) else np.asarray(v, dtype=object), dtype=object)
    return fill(template, values, len(pos)).to_numpy(dtype=object)


def _reasons(n: int, choices: list[tuple[str, np.ndarray]], fields: dict) -> np.ndarray:
    """One reason per row, from the template whose mask holds the row."""
    out = np.empty(n, dtype=object)
    for template, mask in choices:
        pos = np.flatnonzero(mask)
        if len(pos):
            out[pos] = _reason(template, fields, pos)
    return out


def _shifted(fields: dict, pos: np.ndarray) -> dict:
    """The same fields read at pos[p] instead of p: a subset's reasons from fields over every parcel."""
    return {name: (lambda f: lambda p: f(pos[p]))(f) for name, f in fields.items()}


def _rows(kind: str, n: int, **columns) -> pd.DataFrame:
    """One discrepancy frame of one type, every column present; a scalar stands for a whole column."""
    data = {"type": np.full(n, kind, dtype=object)}
    for name in ("ref", "ref2", "sku", "courier_code", "platform_code", "reason", *DETAIL_TEXT_COLUMNS):
        v = columns.get(name)
        data[name] = np.full(n, "" if v is None else v, dtype=object) if v is None or isinstance(v, str) else np.asarray(v, dtype=object)
    data["amount_fen"] = np.broadcast_to(np.asarray(columns.get("amount_fen", 0), dtype=np.int64), (n,)).copy()
    for name in ("theirs_fen", "ours_fen", *DETAIL_INT_COLUMNS):
        v = columns.get(name)
        if v is None:
            data[name] = pd.array([pd.NA] * n, dtype="Int64")
        elif isinstance(v, pd.api.extensions.ExtensionArray):
            data[name] = v
        else:
            data[name] = pd.array(np.broadcast_to(np.asarray(v, dtype=np.int64), (n,)), dtype="Int64")
    on = columns.get("occurred_on")
    days = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]") if on is None else np.asarray(on).astype("datetime64[D]")
    data["occurred_on"] = days.astype(object)  # dates, None for none
    data["is_claim"] = np.zeros(n, dtype=bool)
    return pd.DataFrame(data)


def _finish(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """is_claim set, and one order whatever the order of the inputs."""
    parts = [p for p in parts if len(p)]
    disc = pd.concat(parts, ignore_index=True) if parts else _rows("", 0)
    disc["is_claim"] = disc["type"].isin(CLAIM_TYPES).to_numpy() & (disc["amount_fen"].to_numpy(dtype=np.int64) > 0)
    order = disc["type"].map({k: i for i, k in enumerate(TYPES)})
    disc = disc.assign(_order=order).sort_values(["_order", "ref", "ref2", "sku", "platform_code"], kind="stable")
    return disc[DISCREPANCY_COLUMNS].reset_index(drop=True)


def _totals(disc: pd.DataFrame) -> dict:
    """Counts and money per type (every type, zeros included), and the claims among them."""
    counts = disc.groupby("type").size()
    money = disc.groupby("type")["amount_fen"].sum()
    return {
        "count_by_type": {k: int(counts.get(k, 0)) for k in TYPES},
        "fen_by_type": {k: int(money.get(k, 0)) for k in TYPES},
        "claims": int(disc["is_claim"].sum()),
        "claim_fen": int(disc.loc[disc["is_claim"], "amount_fen"].sum()),
    }


def _when(start: date | None, end: date | None, as_of: date | datetime, grace_hours: int) -> _When:
    cut = as_of_moment(as_of)
    timed = isinstance(as_of, datetime) and pd.Timestamp(as_of).time() != time.max
    ts = pd.Timestamp(as_of)
    as_of_text = ts.strftime("%Y-%m-%d %H:%M:%S" if timed and ts.second else "%Y-%m-%d %H:%M") if timed else str(cut.astype("datetime64[D]"))
    first = np.datetime64("1900-01-01", "D") if start is None else np.datetime64(start, "D")
    last = np.datetime64("2999-12-31", "D") if end is None else np.datetime64(end, "D")
    grace = np.timedelta64(int(grace_hours), "h").astype("timedelta64[ns]")
    return _When(cut, first, last, as_of_text, grace, int(grace_hours))


def _in_range(moments: np.ndarray, w: _When) -> np.ndarray:
    day = moments.astype("datetime64[D]")
    return ~np.isnat(moments) & (day >= w.first) & (day <= w.last)


# ---------------------------------------------------------------------------------------------------- the run

def reconcile_outbound(
    *,
    orders: pd.DataFrame,
    order_lines: pd.DataFrame,
    outbounds: pd.DataFrame,
    pickups: pd.DataFrame,
    platforms: pd.DataFrame,
    start: date,
    end: date,
    as_of: date | datetime,
    pickup_grace_hours: int,
    tolerance_g: Mapping[str, int] | None = None,
    rates: Mapping[str, RateBook] | None = None,
    texts: dict[str, str] | None = None,
) -> OutboundResult:
    """Judge the orders paid, the outbounds dated and the pickups scanned in [start, end], as of a moment.

    `orders` should hold the orders of every date (an outbound of an older order is not of an unknown order), and
    `outbounds` and `pickups` those of every date too (an older outbound may have used a waybill first); records after
    as_of are left out here. `tolerance_g` and `rates` are by courier code.
    """
    t = {**DEFAULT_REASONS, **(texts or {})}
    w = _when(start, end, as_of, pickup_grace_hours)
    O, L, P = _frame(ORDER_COLUMNS, orders), _frame(LINE_COLUMNS, order_lines), _frame(PLATFORM_COLUMNS, platforms)
    B = _counted_outbounds(_frame(OUTBOUND_COLUMNS, outbounds), w)
    K = _counted_pickups(_frame(PICKUP_COLUMNS, pickups), w)

    parts, order_summary = _order_types(O, L, P, B, w, t)
    parcel_parts, parcel_summary = _parcel_types(B, K, w, t, tolerance_g or {}, rates or {}, TYPES)
    disc = _finish(parts + parcel_parts)
    return OutboundResult(discrepancies=disc, summary={**order_summary, **parcel_summary, **_totals(disc)})


def check_waybills(
    *,
    outbounds: pd.DataFrame,
    pickups: pd.DataFrame,
    waybills: Iterable[tuple[str, str]],
    as_of: date | datetime,
    tolerance_g: Mapping[str, int] | None = None,
    rates: Mapping[str, RateBook] | None = None,
    start: date | None = None,
    end: date | None = None,
    kinds: tuple[str, ...] = WAYBILL_TYPES,
    pickup_grace_hours: int = 0,
    texts: dict[str, str] | None = None,
) -> OutboundResult:
    """Judge the per-waybill types for some (courier code, waybill) pairs, as their records arrive.

    By default `waybill_reused` and `pickup_weight_mismatch`; `kinds` may also name `outbound_not_picked_up` and
    `picked_up_not_outbound` (with the grace), for a periodic check of waybills whose grace has passed. `outbounds` and
    `pickups` need hold only the records of those waybills (others are ignored); the rows are those the full run over
    the same [start, end] and as_of gives for these waybills (no bound: every date).
    """
    unknown = set(kinds) - set(PARCEL_TYPES)
    if unknown:
        raise ValueError(f"not a per-waybill type: {', '.join(sorted(unknown))}")
    t = {**DEFAULT_REASONS, **(texts or {})}
    w = _when(start, end, as_of, pickup_grace_hours)
    wanted = pd.MultiIndex.from_tuples([(str(c), str(b)) for c, b in waybills], names=["courier_code", "waybill_no"])
    B, K = _frame(OUTBOUND_COLUMNS, outbounds), _frame(PICKUP_COLUMNS, pickups)

    def of_waybills(frame: pd.DataFrame) -> pd.DataFrame:
        keys = pd.MultiIndex.from_arrays([_text(frame["courier_code"]), _text(frame["waybill_no"])])
        return frame[keys.isin(wanted) if len(wanted) else np.zeros(len(frame), dtype=bool)].reset_index(drop=True)

    B = _counted_outbounds(of_waybills(B), w)
    K = _counted_pickups(of_waybills(K), w)
    parts, summary = _parcel_types(B, K, w, t, tolerance_g or {}, rates or {}, tuple(kinds))
    disc = _finish(parts)
    return OutboundResult(discrepancies=disc, summary={**summary, **_totals(disc)})


def _counted_outbounds(B: pd.DataFrame, w: _When) -> dict[str, np.ndarray]:
    """The outbound rows as arrays, those after the as-of moment (or without a time) dropped."""
    at = _moments(B["outbound_at"])
    keep = np.flatnonzero(~np.isnat(at) & (at <= w.cut))
    packed, packed_known = _weights(B["packed_weight_g"])
    # Plain arrays: a DataFrame would copy the object columns into one block, for nothing.
    return {
        "outbound_no": _text(B["outbound_no"])[keep], "order_no": _text(B["order_no"])[keep], "sku": _text(B["sku"])[keep],
        "quantity": _int64(B["quantity"])[keep], "waybill_no": _text(B["waybill_no"])[keep],
        "courier_code": _text(B["courier_code"])[keep], "packed_g": packed[keep], "packed_known": packed_known[keep],
        "at": at[keep], "warehouse": _text(B["warehouse"])[keep], "province": _text(B["province"])[keep],
    }


def _counted_pickups(K: pd.DataFrame, w: _When) -> dict[str, np.ndarray]:
    """The pickup scans as arrays, those after the as-of moment (or without a time) dropped."""
    at = _moments(K["picked_up_at"])
    keep = np.flatnonzero(~np.isnat(at) & (at <= w.cut))
    weight, known = _weights(K["pickup_weight_g"])
    return {
        "courier_code": _text(K["courier_code"])[keep], "waybill_no": _text(K["waybill_no"])[keep], "at": at[keep],
        "weight_g": weight[keep], "weight_known": known[keep], "site": _text(K["site"])[keep],
    }


# ---------------------------------------------------------------------------------------------------- order types

def _order_types(O, L, P, B, w: _When, t: dict) -> tuple[list[pd.DataFrame], dict]:
    """order_not_shipped, shipped_not_outbound, outbound_quantity_mismatch and outbound_unknown_order."""
    (o_plat, l_plat), plat_values = _vocab(_text(O["platform_code"]), _text(L["platform_code"]))
    (o_ord, l_ord, b_ord), ord_values = _vocab(_text(O["order_no"]), _text(L["order_no"]), B["order_no"])
    (l_sku, b_sku), sku_values = _vocab(_text(L["sku"]), B["sku"])
    n_ord, n_sku = len(ord_values), len(sku_values)
    width = n_ord + 1
    pairs = pd.Index(o_plat * width + o_ord)
    if not pairs.is_unique:
        raise ValueError("an order is given twice (the same platform and order number)")
    l_at = pairs.get_indexer(l_plat * width + l_ord)

    allowed = {str(c): int(h) for c, h in zip(P["code"], P["ship_within_hours"])}
    p_hours = np.array([allowed.get(str(c), SHIP_WITHIN_HOURS) for c in plat_values] + [SHIP_WITHIN_HOURS], dtype=np.int64)

    # Which order numbers the warehouse shipped (outbound rows at or before as_of); the last cell answers for "".
    has_outbound = np.zeros(n_ord + 1, dtype=bool)
    has_outbound[b_ord[b_ord >= 0]] = True

    paid_at, shipped_at = _moments(O["paid_at"]), _moments(O["shipped_at"])
    status = _text(O["status"]).copy()
    # The platform's word counts from its own time: shipped after as_of was not yet said at as_of.
    status[np.isin(status, SHIPPED_STATUSES) & ~np.isnat(shipped_at) & (shipped_at > w.cut)] = "paid"
    judged = _in_range(paid_at, w) & (paid_at <= w.cut)
    j = np.flatnonzero(judged)
    j_ord = o_ord[j]
    shipped = has_outbound[np.where(j_ord >= 0, j_ord, n_ord)]
    j_status = status[j]
    j_paid = paid_at[j]
    hours = p_hours[np.where(o_plat[j] >= 0, o_plat[j], len(plat_values))]
    order_no = _pick(ord_values, j_ord)
    platform = _pick(plat_values, o_plat[j])
    parts: list[pd.DataFrame] = []

    # ------------------------------------------------ nothing left the warehouse
    late_by = (w.cut - j_paid) - hours.astype("timedelta64[h]").astype("timedelta64[ns]")
    not_shipped = (j_status == "paid") & ~shipped & (late_by > np.timedelta64(0, "ns"))
    pos = np.flatnonzero(not_shipped)
    if len(pos):
        hours_late = _hours_up(late_by[pos])
        fields = {"order_no": lambda p: order_no[pos][p], "platform": lambda p: platform[pos][p],
                  "paid_at": lambda p: _clock(j_paid[pos][p], seconds=False), "as_of": lambda p: w.as_of_text,
                  "hours_late": lambda p: _num(hours_late[p]), "allowed": lambda p: _num(hours[pos][p])}
        parts.append(_rows(
            "order_not_shipped", len(pos), ref=order_no[pos], platform_code=platform[pos], occurred_on=j_paid[pos],
            order_status="paid", paid_at=_clock(j_paid[pos]), ship_within_hours=hours[pos], hours_late=hours_late,
            reason=_reason(t["order_not_shipped"], fields, np.arange(len(pos)))))

    notice = np.isin(j_status, SHIPPED_STATUSES) & ~shipped
    pos = np.flatnonzero(notice)
    if len(pos):
        st = j_status[pos]
        on = np.where(np.isnat(shipped_at[j][pos]), j_paid[pos], shipped_at[j][pos])
        fields = {"order_no": lambda p: order_no[pos][p], "platform": lambda p: platform[pos][p], "as_of": lambda p: w.as_of_text}
        reason = _reasons(len(pos), [(t["shipped_not_outbound_shipped"], st == "shipped"),
                                     (t["shipped_not_outbound_completed"], st == "completed")], fields)
        parts.append(_rows(
            "shipped_not_outbound", len(pos), ref=order_no[pos], platform_code=platform[pos], occurred_on=on,
            order_status=st, paid_at=_clock(j_paid[pos]), shipped_at=_clock(shipped_at[j][pos]), reason=reason))

    parts.append(_quantity_rows(j, j_ord, shipped, j_status, order_no, platform, l_at, l_sku, L, b_ord, b_sku, B,
                                sku_values, n_sku, t))

    # ------------------------------------------------ outbound rows of order numbers we do not have
    known = np.zeros(n_ord + 1, dtype=bool)
    known[o_ord[o_ord >= 0]] = True
    stray = ~known[np.where(b_ord >= 0, b_ord, n_ord)] & _in_range(B["at"], w)
    if stray.any():
        # Once per outbound and order number: the SKUs of that order in the parcel are one mistake.
        s = pd.DataFrame({k: v[stray] for k, v in B.items()}).drop_duplicates(["outbound_no", "order_no"])
        at = s["at"].to_numpy()
        fields = {"outbound_no": lambda p: s["outbound_no"].to_numpy()[p], "order_no": lambda p: s["order_no"].to_numpy()[p],
                  "outbound_at": lambda p: _clock(at[p], seconds=False)}
        parts.append(_rows(
            "outbound_unknown_order", len(s), ref=s["outbound_no"].to_numpy(), ref2=s["order_no"].to_numpy(),
            courier_code=s["courier_code"].to_numpy(), occurred_on=at, outbound_no=s["outbound_no"].to_numpy(),
            waybill_no=s["waybill_no"].to_numpy(), warehouse=s["warehouse"].to_numpy(), province=s["province"].to_numpy(),
            outbound_at=_clock(at), reason=_reason(t["outbound_unknown_order"], fields, np.arange(len(s)))))

    summary = {
        "orders": int(len(j)),
        "orders_shipped": int(shipped.sum()),
        "orders_waiting": int(((j_status == "paid") & ~shipped & ~not_shipped).sum()),
    }
    return parts, summary


def _quantity_rows(j, j_ord, shipped, j_status, order_no, platform, l_at, l_sku, L, b_ord, b_sku, B, sku_values, n_sku,
                   t) -> pd.DataFrame:
    """outbound_quantity_mismatch: per judged order that left the warehouse and per SKU, sent against ordered."""
    m = np.flatnonzero(shipped)  # judged orders with an outbound record, by their place among the judged
    n_orders = int(max(j.max(initial=-1), l_at.max(initial=-1))) + 1
    slot_of = np.full(n_orders + 1, -1, dtype=np.int64)
    slot_of[j[m]] = m
    width = n_sku + 1  # (judged order, SKU) as one integer; SKU "" is code -1, so shifted by one

    l_slot = slot_of[np.where(l_at >= 0, l_at, n_orders)]
    mine = l_slot >= 0
    # What left per order number and SKU, handed to every judged order of that number (one per platform).
    b_rows = np.flatnonzero(b_ord >= 0)
    by_key, (sent_by,) = _sum_by(b_ord[b_rows] * width + b_sku[b_rows] + 1, B["quantity"][b_rows])
    at, sent_slot = _expand(by_key // width, j_ord[m], m)
    key, (q, lf, sent_q, lines) = _sum_by(
        np.concatenate([l_slot[mine] * width + l_sku[mine] + 1, sent_slot * width + by_key[at] % width]),
        np.concatenate([_int64(L["quantity"])[mine], np.zeros(len(at), dtype=np.int64)]),
        np.concatenate([_int64(L["line_fen"])[mine], np.zeros(len(at), dtype=np.int64)]),
        np.concatenate([np.zeros(int(mine.sum()), dtype=np.int64), sent_by[at]]),
        np.concatenate([np.ones(int(mine.sum()), dtype=np.int64), np.zeros(len(at), dtype=np.int64)]))
    slot, sku = key // width, key % width - 1
    closed = j_status[slot] == "closed"
    # Goods sent after the order was closed were sold to nobody: everything sent counts as ordered 0, at its price.
    ours_q = np.where(closed, 0, q)
    diff = sent_q - ours_q
    off = np.flatnonzero(diff != 0)
    if not len(off):
        return _rows("outbound_quantity_mismatch", 0)
    slot, sku, q, lf, sent_q, lines, closed, diff = (a[off] for a in (slot, sku, q, lf, sent_q, lines, closed, diff))
    # (sent − ordered) × line / quantity, exact, then rounded once; an SKU the order lacks has unit price 0.
    stake = _round_div_exact(_product(diff, lf), q)
    ours = np.where(closed, 0, lf)
    sku_text = _pick(sku_values, sku)
    o_no = order_no[slot]

    # Which outbounds carried the order, and when the last left, for the few orders reported.
    mine = np.isin(b_ord, j_ord[slot])
    carried = pd.DataFrame({"ord": b_ord[mine], "no": B["outbound_no"][mine], "at": B["at"][mine]})
    last_at = carried.groupby("ord")["at"].max()
    at = last_at.reindex(j_ord[slot]).to_numpy(dtype="datetime64[ns]")
    carried = carried.drop_duplicates(["ord", "no"]).sort_values(["ord", "no"])
    nos = _joined(carried["ord"].to_numpy(), carried["no"].to_numpy())

    unordered = lines == 0
    fields = {"order_no": lambda p: o_no[p], "sku": lambda p: sku_text[p], "ordered": lambda p: _num(q[p]),
              "sent": lambda p: _num(sent_q[p]), "line": lambda p: yuan(pd.Series(lf[p])), "diff": lambda p: _num(np.abs(diff[p])),
              "stake": lambda p: yuan(pd.Series(stake[p])), "less": lambda p: yuan(pd.Series(-stake[p]))}
    reason = _reasons(len(off), [
        (t["outbound_quantity_mismatch_unordered"], unordered),
        (t["outbound_quantity_mismatch_closed"], ~unordered & closed),
        (t["outbound_quantity_mismatch_more"], ~unordered & ~closed & (diff > 0)),
        (t["outbound_quantity_mismatch_less"], ~unordered & ~closed & (diff < 0)),
    ], fields)
    return _rows(
        "outbound_quantity_mismatch", len(off), ref=o_no, sku=sku_text, platform_code=platform[slot], amount_fen=stake,
        theirs_fen=ours + stake, ours_fen=ours, occurred_on=at, order_status=j_status[slot],
        outbound_nos=nos.reindex(j_ord[slot]).fillna("").to_numpy(dtype=object), ordered_qty=q, sent_qty=sent_q,
        line_fen=lf, unit_price_fen=round_div(lf, q), reason=reason)


# ---------------------------------------------------------------------------------------------------- parcel types

def _parcel_types(B: pd.DataFrame, K: pd.DataFrame, w: _When, t: dict, tolerance_g: Mapping[str, int],
                  rates: Mapping[str, RateBook], kinds: tuple[str, ...]) -> tuple[list[pd.DataFrame], dict]:
    """The types of a parcel (one outbound number) and of a pickup scan, each outbound reported once."""
    # One parcel per outbound number (its code); the parcel's fields are on every row of it, so any row gives them.
    (ob,), ob_values = _vocab(B["outbound_no"])
    row, p_ref = _smallest_order(ob, B["order_no"])
    n = len(row)
    p_no = _pick(ob_values, ob[row])
    p_at = B["at"][row]
    p_courier = B["courier_code"][row]
    p_wb = B["waybill_no"][row]
    (p_courier_code, k_courier), courier_values = _vocab(p_courier, K["courier_code"])
    (p_wb_code, k_wb), wb_values = _vocab(p_wb, K["waybill_no"])
    wb_width = len(wb_values) + 1
    # (courier, waybill) as one integer; -1 without a waybill (nothing can be scanned or reused without one).
    p_key = np.where(p_wb_code >= 0, (p_courier_code + 1) * wb_width + p_wb_code, -1)
    k_key = np.where(k_wb >= 0, (k_courier + 1) * wb_width + k_wb, -1)
    p_packed, p_packed_known = B["packed_g"][row], B["packed_known"][row]
    p_province, p_warehouse = B["province"][row], B["warehouse"][row]
    p_judged = _in_range(p_at, w)

    # Each waybill's first scan at or before as_of (a courier scans a parcel once; a repeat changes nothing).
    by_scan = np.lexsort((K["at"], k_key))
    by_scan = by_scan[k_key[by_scan] >= 0]
    if len(by_scan):
        by_scan = by_scan[np.r_[True, k_key[by_scan][1:] != k_key[by_scan][:-1]]]
    scans = pd.Index(k_key[by_scan])
    at_scan = scans.get_indexer(p_key) if len(p_key) else np.zeros(0, dtype=np.int64)
    has_scan = (at_scan >= 0) & (p_key >= 0)
    s_row = by_scan[np.maximum(at_scan, 0)] if len(by_scan) else np.zeros(n, dtype=np.int64)

    def scan(column: str, fill_value):
        values = K[column][s_row] if len(by_scan) else np.full(n, fill_value)
        return np.where(has_scan, values, fill_value)

    parts: list[pd.DataFrame] = []
    parcel = {"ref": p_ref, "courier_code": p_courier, "outbound_no": p_no, "waybill_no": p_wb,
              "warehouse": p_warehouse, "province": p_province}

    def of(pos: np.ndarray) -> dict:
        return {name: values[pos] for name, values in parcel.items()}

    fields = {"outbound_no": lambda p: p_no[p], "waybill_no": lambda p: p_wb[p], "courier": lambda p: p_courier[p],
              "outbound_at": lambda p: _clock(p_at[p], seconds=False), "as_of": lambda p: w.as_of_text,
              "grace": lambda p: str(w.grace_hours)}

    # ------------------------------------------------ one waybill on several outbounds
    if "waybill_reused" in kinds:
        keys, counts = np.unique(p_key[p_key >= 0], return_counts=True)
        shared = np.flatnonzero(np.isin(p_key, keys[counts > 1]))
        # Earliest by outbound time, then by outbound number (as text); only waybills on several outbounds are sorted.
        order = shared[pd.DataFrame({"k": p_key[shared], "at": p_at[shared], "no": p_no[shared]}).sort_values(
            ["k", "at", "no"], kind="stable").index.to_numpy(dtype=np.int64)]
        k = p_key[order]
        head = np.r_[True, k[1:] != k[:-1]] if len(order) else np.zeros(0, dtype=bool)
        first_of = order[np.maximum.accumulate(np.where(head, np.arange(len(order)), 0))] if len(order) else order
        later = order[~head]
        first_later = first_of[~head]
        keep = p_judged[later]
        pos, first = later[keep], first_later[keep]
        if len(pos):
            parts.append(_reused_rows(pos, first, p_no, p_wb, p_courier, p_at, p_warehouse, p_province, t))

    # ------------------------------------------------ never scanned within the grace
    if "outbound_not_picked_up" in kinds:
        grace_end = p_at + w.grace
        s_at = scan("at", np.datetime64("NaT", "ns")).astype("datetime64[ns]")
        # A scan before outbound_at is in time (the warehouse booked the outbound after handing the parcel over).
        in_time = has_scan & (s_at <= grace_end)
        missing = p_judged & (grace_end <= w.cut) & ~in_time
        pos = np.flatnonzero(missing)
        if len(pos):
            late = has_scan[pos]
            hours_late = pd.array(_hours_up(np.where(late, s_at[pos] - grace_end[pos], np.timedelta64(0, "ns"))), dtype="Int64")
            hours_late[~late] = pd.NA
            fp = {**fields, "picked_up_at": lambda p: _clock(s_at[p], seconds=False),
                  "hours_late": lambda p: _num(_hours_up(s_at[p] - grace_end[p]))}
            reason = _reasons(len(pos), [(t["outbound_not_picked_up"], ~late), (t["outbound_not_picked_up_late"], late)],
                              _shifted(fp, pos))
            parts.append(_rows(
                "outbound_not_picked_up", len(pos), **of(pos), ref2=p_wb[pos], occurred_on=p_at[pos],
                outbound_at=_clock(p_at[pos]), picked_up_at=_clock(s_at[pos]), grace_hours=w.grace_hours,
                hours_late=hours_late, reason=reason))

    # ------------------------------------------------ scanned, and no outbound has the waybill
    if "picked_up_not_outbound" in kinds:
        first_scans = by_scan
        k_at = K["at"][first_scans]
        known = pd.Index(np.unique(p_key[p_key >= 0])).get_indexer(k_key[first_scans]) >= 0
        stray = ~known & _in_range(k_at, w) & (k_at + w.grace <= w.cut)
        pos = first_scans[stray]
        if len(pos):
            courier, wb, at = K["courier_code"][pos], K["waybill_no"][pos], K["at"][pos]
            weight = pd.arrays.IntegerArray(K["weight_g"][pos], ~K["weight_known"][pos])
            fp = {"courier": lambda p: courier[p], "waybill_no": lambda p: wb[p], "picked_up_at": lambda p: _clock(at[p], seconds=False),
                  "as_of": lambda p: w.as_of_text, "grace": lambda p: str(w.grace_hours)}
            parts.append(_rows(
                "picked_up_not_outbound", len(pos), ref=wb, courier_code=courier, occurred_on=at, waybill_no=wb,
                site=K["site"][pos], picked_up_at=_clock(at), pickup_weight_g=weight, grace_hours=w.grace_hours,
                reason=_reason(t["picked_up_not_outbound"], fp, np.arange(len(pos)))))

    # ------------------------------------------------ the courier weighed more than we packed
    if "pickup_weight_mismatch" in kinds:
        s_w = scan("weight_g", 0).astype(np.int64)
        s_known = scan("weight_known", False).astype(bool)
        tol = np.array([int(tolerance_g.get(c, TOLERANCE_G)) for c in courier_values] + [TOLERANCE_G], dtype=np.int64)
        p_tol = tol[np.where(p_courier_code >= 0, p_courier_code, len(courier_values))]
        heavy = p_judged & has_scan & s_known & p_packed_known & (s_w - p_packed > p_tol)
        pos = np.flatnonzero(heavy)
        if len(pos):
            s_at = scan("at", np.datetime64("NaT", "ns")).astype("datetime64[ns]")
            theirs, ours = _fees(rates, p_courier[pos], p_at[pos], p_province[pos], s_w[pos], p_packed[pos])
            priced = ~np.asarray(pd.isna(theirs)) & ~np.asarray(pd.isna(ours))
            stake = np.where(priced, np.asarray(theirs.fillna(0), dtype=np.int64) - np.asarray(ours.fillna(0), dtype=np.int64), 0)
            fp = {**fields, "pickup_kg": lambda p: kg(pd.Series(s_w[p])), "packed_kg": lambda p: kg(pd.Series(p_packed[p])),
                  "tolerance": lambda p: _num(p_tol[p])}
            local = _shifted(fp, pos)
            local.update({"stake": lambda p: yuan(pd.Series(stake[p])), "theirs": lambda p: yuan(pd.Series(theirs[p])),
                          "ours": lambda p: yuan(pd.Series(ours[p]))})
            reason = _reasons(len(pos), [(t["pickup_weight_mismatch"], priced),
                                         (t["pickup_weight_mismatch_unpriced"], ~priced)], local)
            parts.append(_rows(
                "pickup_weight_mismatch", len(pos), **of(pos), ref2=p_wb[pos], amount_fen=stake,
                theirs_fen=pd.array(theirs, dtype="Int64"), ours_fen=pd.array(ours, dtype="Int64"), occurred_on=s_at[pos],
                site=scan("site", "")[pos], outbound_at=_clock(p_at[pos]), picked_up_at=_clock(s_at[pos]),
                packed_weight_g=p_packed[pos], pickup_weight_g=s_w[pos], tolerance_g=p_tol[pos], reason=reason))

    summary = {
        "outbounds": int(p_judged.sum()),
        "outbounds_picked_up": int((p_judged & has_scan).sum()),
        "pickups": int(_in_range(K["at"], w).sum()),
    }
    return parts, summary


def _smallest_order(ob: np.ndarray, order_no: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per outbound code, a row of it and its smallest order number (compared as text)."""
    by_ob = np.argsort(ob, kind="stable")
    sorted_ob = ob[by_ob]
    head = np.r_[True, sorted_ob[1:] != sorted_ob[:-1]] if len(ob) else np.zeros(0, dtype=bool)
    starts = np.flatnonzero(head)
    row = by_ob[starts]
    smallest = order_no[row].copy()
    # Most outbounds carry one order: only those naming several are sorted, as text.
    group = np.cumsum(head) - 1
    texts = order_no[by_ob]
    several = np.unique(group[texts != smallest[group]]) if len(ob) else group
    if len(several):
        at = np.flatnonzero(np.isin(group, several))
        first = pd.DataFrame({"g": group[at], "o": texts[at]}).sort_values(["g", "o"], kind="stable").drop_duplicates("g")
        smallest[first["g"].to_numpy(dtype=np.int64)] = first["o"].to_numpy(dtype=object)
    return row, smallest


def _sum_by(keys: np.ndarray, *columns: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """The distinct keys, sorted, and each column's integer sum per key (exact: no float on the way)."""
    order = np.argsort(keys, kind="stable")
    k = keys[order]
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]]) if len(k) else np.zeros(0, dtype=np.int64)
    sums = [np.add.reduceat(np.asarray(c, dtype=np.int64)[order], starts) if len(k) else np.zeros(0, dtype=np.int64)
            for c in columns]
    return k[starts], sums


def _expand(wanted: np.ndarray, owners: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every (position in wanted, value) pair whose owner equals wanted there: a join on one integer key, one to many."""
    order = np.argsort(owners, kind="stable")
    sorted_owners, sorted_values = owners[order], values[order]
    lo = np.searchsorted(sorted_owners, wanted, side="left")
    count = np.searchsorted(sorted_owners, wanted, side="right") - lo
    at = np.repeat(np.arange(len(wanted)), count)
    offset = np.arange(len(at)) - np.repeat(np.cumsum(count) - count, count)
    return at, sorted_values[lo[at] + offset]


def _joined(groups: np.ndarray, texts: np.ndarray) -> pd.Series:
    """The texts of each group (rows sorted by group) joined with commas, by group."""
    if not len(groups):
        return pd.Series([], dtype=object)
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    joined = np.add.reduceat(np.asarray(texts, dtype=object) + ",", starts)
    return pd.Series(pd.Series(joined, dtype=object).str[:-1].to_numpy(dtype=object), index=groups[starts])


def _reused_rows(pos, first, p_no, p_wb, p_courier, p_at, p_warehouse, p_province, t) -> pd.DataFrame:
    """waybill_reused: each later outbound of a waybill, with the outbound that used it first."""
    fields = {"waybill_no": lambda p: p_wb[pos[p]], "courier": lambda p: p_courier[pos[p]],
              "outbound_no": lambda p: p_no[pos[p]], "outbound_at": lambda p: _clock(p_at[pos[p]], seconds=False),
              "first_outbound_no": lambda p: p_no[first[p]], "first_outbound_at": lambda p: _clock(p_at[first[p]], seconds=False)}
    return _rows(
        "waybill_reused", len(pos), ref=p_wb[pos], ref2=p_no[pos], courier_code=p_courier[pos], occurred_on=p_at[pos],
        outbound_no=p_no[pos], waybill_no=p_wb[pos], first_outbound_no=p_no[first], warehouse=p_warehouse[pos],
        province=p_province[pos], outbound_at=_clock(p_at[pos]), first_outbound_at=_clock(p_at[first]),
        reason=_reason(t["waybill_reused"], fields, np.arange(len(pos))))


def _fees(rates: Mapping[str, RateBook], courier, on, province, heavy_g, light_g) -> tuple[pd.Series, pd.Series]:
    """The courier's rate-card fee at two weights, for the province on the outbound's day; <NA> where nothing prices it."""
    n = len(courier)
    theirs = pd.Series(pd.array([pd.NA] * n, dtype="Int64"))
    ours = pd.Series(pd.array([pd.NA] * n, dtype="Int64"))
    for code in pd.unique(courier):
        book = rates.get(code)
        rows = np.flatnonzero(courier == code)
        if book is None or not book.cards:
            continue
        card = book.card_index(pd.Series(on[rows]))
        prov = pd.Series(province[rows])
        theirs.iloc[rows] = book.fee(card, prov, pd.Series(heavy_g[rows])).to_numpy()
        ours.iloc[rows] = book.fee(card, prov, pd.Series(light_g[rows])).to_numpy()
    return theirs, ours
