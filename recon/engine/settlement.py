"""Orders against the platforms' settlements (回款对账, kind `settlement`).

Frames in, frames out; no Django. Money is integer fen; times are naive local times (Asia/Shanghai), days local
calendar days. The orders judged are those paid in [start, end]; only settlement lines at or before as_of count.

Settlement amounts are signed as the ledger books them (money in positive): a payment line is positive, a refund
or a fee line negative. So "refunds settled" is minus the sum of an order's refund lines, "fees charged" minus the sum
of its fee lines (a fee given back on a refund is a positive fee line and lowers it).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

import numpy as np
import pandas as pd

from recon.engine.text import fields_of, fill, yuan

ORDER_COLUMNS = ["order_id", "platform_code", "order_no", "shop", "status", "paid_at", "order_fen", "refund_fen"]
LINE_COLUMNS = ["line_id", "platform_code", "settlement_id", "order_no", "occurred_at", "business_type", "amount_fen"]
PLATFORM_COLUMNS = ["code", "fee_rate", "settle_within_days"]
# The order's arithmetic, kept with each discrepancy for its page (empty on an unknown-order line).
ARITHMETIC_COLUMNS = ["order_fen", "refund_fen", "paid_fen", "refunded_fen", "fees_fen", "expected_fee_fen"]
DISCREPANCY_COLUMNS = [
    "type", "ref", "ref2", "amount_fen", "theirs_fen", "ours_fen", "occurred_on", "platform_code", "shop", "order_id",
    "line_id", *ARITHMETIC_COLUMNS, "is_claim", "reason",
]

TYPES = ("order_unpaid", "settlement_amount_mismatch", "refund_mismatch", "fee_overcharge", "settlement_unknown_order")
# A claim only with money above 0: a short payment is one, a payment in excess is information.
CLAIM_TYPES = frozenset({"order_unpaid", "settlement_amount_mismatch", "refund_mismatch", "fee_overcharge"})

# Rates are stored with 6 decimal places: rate × 10**6 is an exact integer.
RATE_SCALE = 10**6


def gettext_noop(text: str) -> str:
    """Marks a text for the translation catalogue without importing Django (the engine stays pure)."""
    return text


# English source texts; callers pass translated ones. Fields in braces are filled per row.
DEFAULT_REASONS: dict[str, str] = {
    "order_unpaid": gettext_noop(
        "Order {order_no} was paid on {paid_on} with ¥{due} due, but no payment had been settled by {as_of}, {days} days "
        "later ({settle_days} allowed); ¥{stake} is expected after the ¥{fee} fee."),
    "settlement_amount_mismatch_short": gettext_noop(
        "Order {order_no}: the buyer paid ¥{order}, its payment lines settled ¥{paid}: ¥{stake} short."),
    "settlement_amount_mismatch_excess": gettext_noop(
        "Order {order_no}: the buyer paid ¥{order}, its payment lines settled ¥{paid}: ¥{less} in excess."),
    "refund_mismatch_more": gettext_noop(
        "Order {order_no}: a refund of ¥{refund} was agreed, the platform refunded ¥{refunded}: ¥{stake} more."),
    "refund_mismatch_less": gettext_noop(
        "Order {order_no}: a refund of ¥{refund} was agreed, the platform refunded ¥{refunded}: ¥{less} less."),
    "fee_overcharge": gettext_noop(
        "Order {order_no}: ¥{fees} of fees charged; {rate} of (¥{order} − ¥{refund}) is ¥{fee}: ¥{stake} over."),
    "settlement_unknown_order_payment": gettext_noop(
        "Settlement line {settlement_id} of {occurred_on} settles a payment of ¥{amount} for order {order_no}, "
        "which is none of our {platform} orders."),
    "settlement_unknown_order_refund": gettext_noop(
        "Settlement line {settlement_id} of {occurred_on} books a refund of ¥{amount} for order {order_no}, "
        "which is none of our {platform} orders."),
    "settlement_unknown_order_blank": gettext_noop(
        "Settlement line {settlement_id} of {occurred_on} books ¥{amount} as a payment or refund without an order number."),
}


@dataclass
class SettlementResult:
    discrepancies: pd.DataFrame  # DISCREPANCY_COLUMNS
    summary: dict                # plain ints, ready for JSON


def as_of_moment(as_of: date | datetime) -> np.datetime64:
    """The last moment that counts: a day without a time means the whole of that day."""
    if isinstance(as_of, datetime):
        return np.datetime64(pd.Timestamp(as_of), "ns")
    return np.datetime64(pd.Timestamp(datetime.combine(as_of, time.max)), "ns")


def rate_micro(rate) -> int:
    """A fee rate (Decimal, text or int; never a float's binary noise) as an exact integer of millionths."""
    scaled = Decimal(str(rate)) * RATE_SCALE
    if scaled != scaled.to_integral_value():
        raise ValueError(f"fee rate {rate} has more than 6 decimal places")
    return int(scaled)


def expected_fee_fen(rate_millionths, net_fen) -> np.ndarray:
    """rate × net, rounded half up to the fen, in integers only; a net at or below 0 has no fee."""
    r = np.asarray(rate_millionths, dtype=np.int64)
    net = np.maximum(np.asarray(net_fen, dtype=np.int64), 0)
    # Beyond int64 (a rate near 10 on a net above 9 × 10**11 fen) the product is taken in Python integers.
    if len(net) and int(r.max(initial=0)) * int(net.max(initial=0)) >= 2**62:
        product = r.astype(object) * net.astype(object)
        return np.asarray((product + RATE_SCALE // 2) // RATE_SCALE, dtype=np.int64)
    return (r * net + RATE_SCALE // 2) // RATE_SCALE


def _text(s) -> np.ndarray:
    values = np.asarray(s, dtype=object)
    # Text columns without gaps are the rule (one scan in C says so): only anything else is converted cell by cell.
    if pd.api.types.infer_dtype(values, skipna=False) == "string":
        return values
    return pd.Series(values, dtype=object).fillna("").astype(str).to_numpy(dtype=object)


def _code_of(values: np.ndarray, text: str) -> int:
    """The code of a text among the values _codes gave, or -2 (no code) when it is absent."""
    at = np.flatnonzero(values == text)
    return int(at[0]) if len(at) else -2


def _codes(*columns) -> tuple[list[np.ndarray], np.ndarray]:
    """One integer code per distinct text across several columns, and the texts by code.

    Categorical columns (a platform code repeated on millions of lines) are combined through their categories instead
    of hashing every cell.
    """
    if columns and all(isinstance(getattr(c, "dtype", None), pd.CategoricalDtype) for c in columns):
        cats = [pd.Categorical(c) for c in columns]
        values = pd.Index(pd.unique(np.concatenate([_text(c.categories) for c in cats])))
        out = []
        for c in cats:
            remap = np.append(values.get_indexer(_text(c.categories)), -1)
            out.append(remap[np.asarray(c.codes, dtype=np.int64)].astype(np.int64))
        return out, np.asarray(values, dtype=object)
    joined = np.concatenate([_text(c) for c in columns]) if columns else np.array([], dtype=object)
    codes, values = pd.factorize(joined)
    return np.split(codes.astype(np.int64), np.cumsum([len(c) for c in columns])[:-1]), np.asarray(values, dtype=object)


def _int64(s) -> np.ndarray:
    return np.asarray(pd.array(s, dtype="Int64").fillna(0), dtype=np.int64)


def _moments(s) -> np.ndarray:
    return pd.to_datetime(pd.Series(s), errors="coerce").to_numpy(dtype="datetime64[ns]")


def _frame(columns: list[str], data: pd.DataFrame | None) -> pd.DataFrame:
    # Columns are read as arrays by position: the index is never used, so a big frame is not copied to reset it.
    return pd.DataFrame(columns=columns) if data is None or not len(data) else data


def _day_text(days: np.ndarray) -> pd.Series:
    return pd.Series(pd.to_datetime(days)).dt.strftime("%Y-%m-%d").fillna("")


def _money(values) -> pd.Series:
    return yuan(pd.Series(np.asarray(values, dtype=np.int64)))


def _rate_text(micro: int) -> str:
    """Millionths as a percentage without trailing zeros: 50000 → "5%", 12345 → "1.2345%"."""
    text = format(Decimal(int(micro)).scaleb(-4), "f")
    return (text.rstrip("0").rstrip(".") if "." in text else text) + "%"


def _reason(template: str, fields: dict, mask: np.ndarray) -> np.ndarray:
    """A template filled for the rows of a mask; only the fields it names are computed, and only for those rows."""
    pos = np.flatnonzero(mask)
    values = {}
    for name in set(fields_of(template)):
        v = fields[name](pos)
        values[name] = pd.Series([v] * len(pos) if isinstance(v, str) else np.asarray(v, dtype=object), dtype=object)
    return fill(template, values, len(pos)).to_numpy(dtype=object)


def reconcile_settlements(
    *,
    orders: pd.DataFrame,
    lines: pd.DataFrame,
    platforms: pd.DataFrame,
    start: date,
    end: date,
    as_of: date | datetime,
    reasons: dict[str, str] | None = None,
) -> SettlementResult:
    """Judge the orders paid in [start, end], and the payment and refund lines dated then, as of a moment.

    `orders` may hold orders of other dates too: they are not judged, but a line naming one is not of an unknown order.
    `lines` may hold lines after as_of: they are left out here.
    """
    t = {**DEFAULT_REASONS, **(reasons or {})}
    O, L, P = _frame(ORDER_COLUMNS, orders), _frame(LINE_COLUMNS, lines), _frame(PLATFORM_COLUMNS, platforms)
    cut = as_of_moment(as_of)
    as_of_day = cut.astype("datetime64[D]")
    timed = isinstance(as_of, datetime) and pd.Timestamp(as_of).time() != time.max
    as_of_text = pd.Timestamp(as_of).strftime("%Y-%m-%d %H:%M") if timed else str(as_of_day)
    first, last = np.datetime64(start, "D"), np.datetime64(end, "D")

    # Lines as arrays, the ones after the as-of moment dropped before anything else is computed on them.
    occurred = _moments(L["occurred_at"])
    counted = np.flatnonzero(occurred <= cut)
    occurred = occurred[counted]
    l_order = _text(L["order_no"])[counted]
    (l_btype,), btypes = _codes(L["business_type"])
    l_btype = l_btype[counted]
    amount = _int64(L["amount_fen"])[counted]

    # Each line's order, by (platform, order number) as one integer: every later join is an array lookup.
    (o_plat, l_plat), plat_values = _codes(O["platform_code"], L["platform_code"])
    l_plat = l_plat[counted]
    (o_ord, l_ord), ord_values = _codes(O["order_no"], l_order)
    width = len(ord_values) + 1
    pairs = pd.Index(o_plat * width + o_ord)
    if not pairs.is_unique:
        raise ValueError("an order is given twice (the same platform and order number)")
    l_at = pairs.get_indexer(l_plat * width + l_ord)

    # ---------------------------------------------------------------- the platforms' contracts, by platform code
    contract = {str(c): (rate_micro(r), int(d)) for c, r, d in zip(P["code"], P["fee_rate"], P["settle_within_days"])}
    missing = [c for c in plat_values[np.unique(o_plat)] if c not in contract] if len(O) else []
    if missing:
        raise ValueError(f"no contract given for platform(s) {', '.join(sorted(missing))}")
    p_rate = np.array([contract.get(c, (0, 0))[0] for c in plat_values], dtype=np.int64)
    p_days = np.array([contract.get(c, (0, 0))[1] for c in plat_values], dtype=np.int64)
    p_rate_text = np.array([_rate_text(r) for r in p_rate], dtype=object)

    # ---------------------------------------------------------------- the orders judged, and their lines summed by type
    paid_at = _moments(O["paid_at"])
    paid_day = paid_at.astype("datetime64[D]")
    judged = ~np.isnat(paid_at) & (paid_day >= first) & (paid_day <= last)
    j = np.flatnonzero(judged)
    # A judged order's place among the judged ones, -1 for every other order and for no order at all.
    slot = np.full(len(O) + 1, -1, dtype=np.int64)
    slot[j] = np.arange(len(j))
    l_slot = slot[l_at]

    is_pay, is_ref, is_fee = (l_btype == _code_of(btypes, name) for name in ("payment", "refund", "fee"))
    btype = np.append(btypes, "")[l_btype]
    mine = l_slot >= 0
    sums = pd.DataFrame({
        "lines": np.ones(int(mine.sum()), dtype=np.int64), "payments": is_pay[mine].astype(np.int64),
        "paid": np.where(is_pay, amount, 0)[mine], "refunded": np.where(is_ref, -amount, 0)[mine],
        "fees": np.where(is_fee, -amount, 0)[mine],
    }).groupby(l_slot[mine], sort=False).sum()

    def per_order(column: str) -> np.ndarray:
        out = np.zeros(len(j), dtype=np.int64)
        out[sums.index.to_numpy(dtype=np.int64)] = sums[column].to_numpy(dtype=np.int64)
        return out

    lines_n, payments_n, paid, refunded, fees = (per_order(c) for c in ("lines", "payments", "paid", "refunded", "fees"))
    jp = o_plat[j]
    order_fen, refund_fen = _int64(O["order_fen"])[j], _int64(O["refund_fen"])[j]
    status = _text(O["status"])[j]
    due = order_fen - refund_fen
    fee = expected_fee_fen(p_rate[jp], due)
    days = (as_of_day - paid_day[j]).astype(np.int64)
    settle_days = p_days[jp]
    order_no = _text(O["order_no"])[j]
    order_id = _int64(O["order_id"])[j]
    shop = _text(O["shop"])[j]
    platform = plat_values[jp]
    paid_on = paid_day[j].astype("datetime64[ns]")

    def order_rows(kind: str, mask: np.ndarray, stake: np.ndarray, theirs, ours, reason: np.ndarray) -> pd.DataFrame:
        pos = np.flatnonzero(mask)
        return pd.DataFrame({
            "type": kind, "ref": order_no[pos], "ref2": "", "amount_fen": stake[pos],
            "theirs_fen": pd.array(theirs[pos], dtype="Int64"), "ours_fen": pd.array(ours[pos], dtype="Int64"),
            "occurred_on": paid_on[pos], "platform_code": platform[pos], "shop": shop[pos],
            "order_id": pd.array(order_id[pos], dtype="Int64"), "line_id": pd.array([pd.NA] * len(pos), dtype="Int64"),
            "order_fen": pd.array(order_fen[pos], dtype="Int64"), "refund_fen": pd.array(refund_fen[pos], dtype="Int64"),
            "paid_fen": pd.array(paid[pos], dtype="Int64"), "refunded_fen": pd.array(refunded[pos], dtype="Int64"),
            "fees_fen": pd.array(fees[pos], dtype="Int64"), "expected_fee_fen": pd.array(fee[pos], dtype="Int64"),
            "reason": reason,
        })

    # Each field is computed for the rows of one reason only (a million orders, a few hundred discrepancies).
    fields = {
        "order_no": lambda p: order_no[p], "paid_on": lambda p: _day_text(paid_on[p]), "due": lambda p: _money(due[p]),
        "as_of": lambda p: as_of_text, "days": lambda p: days[p].astype(str), "settle_days": lambda p: settle_days[p].astype(str),
        "fee": lambda p: _money(fee[p]), "order": lambda p: _money(order_fen[p]), "paid": lambda p: _money(paid[p]),
        "refund": lambda p: _money(refund_fen[p]), "refunded": lambda p: _money(refunded[p]), "fees": lambda p: _money(fees[p]),
        "rate": lambda p: p_rate_text[jp[p]],
    }
    parts: list[pd.DataFrame] = []

    def judged_rows(kind: str, mask: np.ndarray, stake: np.ndarray, theirs, ours, templates: tuple[str, str]) -> pd.DataFrame:
        """Rows of one type; the first template for a positive stake, the second for a negative one."""
        more = {**fields, "stake": lambda p: _money(stake[p]), "less": lambda p: _money(-stake[p])}
        reason = np.empty(int(mask.sum()), dtype=object)
        positive = (stake > 0)[mask]
        reason[positive] = _reason(t[templates[0]], more, mask & (stake > 0))
        reason[~positive] = _reason(t[templates[1]], more, mask & (stake <= 0))
        return order_rows(kind, mask, stake, theirs, ours, reason)

    # Money due, nothing paid in, and later than the contract allows (calendar days between the two local dates).
    unpaid = (status != "closed") & (due > 0) & (payments_n == 0) & (days > settle_days)
    stake = due - fee
    parts.append(judged_rows("order_unpaid", unpaid, stake, paid, stake, ("order_unpaid", "order_unpaid")))

    mismatch = (payments_n > 0) & (paid != order_fen)
    parts.append(judged_rows("settlement_amount_mismatch", mismatch, order_fen - paid, paid, order_fen,
                             ("settlement_amount_mismatch_short", "settlement_amount_mismatch_excess")))

    # An order the platform has booked nothing for yet is only judged as unpaid.
    refund_off = (lines_n > 0) & (refunded != refund_fen)
    parts.append(judged_rows("refund_mismatch", refund_off, refunded - refund_fen, refunded, refund_fen,
                             ("refund_mismatch_more", "refund_mismatch_less")))

    overcharged = fees > fee
    parts.append(judged_rows("fee_overcharge", overcharged, fees - fee, fees, fee, ("fee_overcharge", "fee_overcharge")))

    # ---------------------------------------------------------------- payments and refunds of orders we do not have
    l_day = occurred.astype("datetime64[D]")
    stray = (is_pay | is_ref) & (l_day >= first) & (l_day <= last) & (l_at < 0)
    parts.append(_unknown_rows(L, counted, stray, l_order, plat_values[l_plat], amount, btype, occurred, t))

    disc = pd.concat([p for p in parts if len(p)] or [order_rows("", np.zeros(0, dtype=bool), due, due, due,
                                                                  np.empty(0, dtype=object))], ignore_index=True)
    disc = _finish(disc)
    summary = {
        "orders": int(len(j)),
        "orders_with_lines": int((lines_n > 0).sum()),
        "orders_paid_in": int((payments_n > 0).sum()),
        "lines": int(len(counted)),
        "order_fen": int(order_fen.sum()),
        "paid_fen": int(paid.sum()),
    }
    return SettlementResult(discrepancies=disc, summary={**summary, **_totals(disc)})


def _unknown_rows(L, counted, stray, l_order, l_platform, amount, btype, occurred, t) -> pd.DataFrame:
    """One row per payment or refund line whose order number names none of our orders of its platform."""
    pos = np.flatnonzero(stray)
    blank = l_order[pos] == ""
    rows = counted[pos]
    sid = _text(L["settlement_id"].to_numpy(dtype=object)[rows])
    on, booked, order, platform = occurred[pos].astype("datetime64[D]"), np.abs(amount[pos]), l_order[pos], l_platform[pos]
    fields = {"settlement_id": lambda p: sid[p], "occurred_on": lambda p: _day_text(on[p]),
              "amount": lambda p: _money(booked[p]), "order_no": lambda p: order[p], "platform": lambda p: platform[p]}
    reason = np.empty(len(pos), dtype=object)
    for key, mask in (("settlement_unknown_order_blank", blank),
                      ("settlement_unknown_order_payment", ~blank & (btype[pos] == "payment")),
                      ("settlement_unknown_order_refund", ~blank & (btype[pos] == "refund"))):
        reason[mask] = _reason(t[key], fields, mask)
    none = pd.array([pd.NA] * len(pos), dtype="Int64")
    return pd.DataFrame({
        "type": "settlement_unknown_order", "ref": sid, "ref2": l_order[pos], "amount_fen": amount[pos],
        "theirs_fen": pd.array(amount[pos], dtype="Int64"), "ours_fen": none,
        "occurred_on": occurred[pos].astype("datetime64[D]").astype("datetime64[ns]"), "platform_code": l_platform[pos],
        "shop": "", "order_id": none, "line_id": pd.array(_int64(L["line_id"].to_numpy()[rows]), dtype="Int64"),
        **{c: none for c in ARITHMETIC_COLUMNS}, "reason": reason,
    })


def _finish(disc: pd.DataFrame) -> pd.DataFrame:
    """is_claim set, dates as dates, and one order whatever the order of the inputs."""
    disc["is_claim"] = disc["type"].isin(CLAIM_TYPES).to_numpy() & (disc["amount_fen"].to_numpy(dtype=np.int64) > 0)
    disc["amount_fen"] = disc["amount_fen"].astype(np.int64)
    disc["occurred_on"] = pd.to_datetime(disc["occurred_on"]).dt.date.astype(object).to_numpy()
    order = disc["type"].map({k: i for i, k in enumerate(TYPES)})
    disc = disc.assign(_order=order).sort_values(["_order", "platform_code", "ref", "ref2"], kind="stable")
    return disc[DISCREPANCY_COLUMNS].reset_index(drop=True)


def _totals(disc: pd.DataFrame) -> dict:
    """Counts and money per type (every type, zeros included), money per platform, and the claims among them."""
    counts = disc.groupby("type").size()
    money = disc.groupby("type")["amount_fen"].sum()
    claims = disc[disc["is_claim"]]
    by_platform = claims.groupby("platform_code")["amount_fen"].sum()
    return {
        "count_by_type": {k: int(counts.get(k, 0)) for k in TYPES},
        "fen_by_type": {k: int(money.get(k, 0)) for k in TYPES},
        "claim_fen_by_platform": {str(k): int(v) for k, v in by_platform.items()},
        "claims": int(len(claims)),
        "claim_fen": int(claims["amount_fen"].sum()),
    }
