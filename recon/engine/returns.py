"""Returns reconciliation (退货对账): return requests against the warehouse's receipts and the courier's return freight.

Frames in, frames out; no Django. Money is integer fen, weight integer grams, dates local calendar days.

A return is the request rows sharing a return number. Its parcels are the receipts whose waybill is one of the
return's waybills; a return none of whose waybills matches a receipt takes, by order number, every parcel (all receipt
rows of that waybill, or of that order number when a receipt has no waybill) that no request claimed by waybill.
Requests of every date are matched; only those of returns requested in [start, end] are judged. Receipts and
freight lines dated after as_of are not evidence yet.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from recon.engine.rates import RateBook
from recon.engine.text import fields_of, fill, kg, yuan

REQUEST_COLUMNS = [
    "request_id", "return_no", "order_no", "return_waybill_no", "courier_code", "sku", "quantity", "refund_fen",
    "refund_status", "requested_on",
]
RECEIPT_COLUMNS = ["receipt_id", "return_waybill_no", "order_no", "received_on", "sku", "quantity", "condition"]
FREIGHT_COLUMNS = [
    "line_id", "courier_code", "waybill_no", "billed_on", "billed_weight_g", "fee_fen", "origin_province", "import_order",
    "line_no",
]
DISCREPANCY_COLUMNS = [
    "type", "ref", "ref2", "sku", "amount_fen", "theirs_fen", "ours_fen", "occurred_on", "courier_code", "request_id",
    "receipt_id", "line_id", "is_claim", "reason",
]

# In the order a list shows them.
TYPES = (
    "refunded_not_received", "return_not_received", "return_quantity_short", "return_damaged", "return_wrong_item",
    "return_unexpected", "return_freight_not_received", "return_freight_unknown", "return_freight_duplicate",
    "return_freight_overcharge",
)
# Money someone owes us back. A shortfall or damage is one only when that row was refunded (its amount is then above
# 0); is_claim needs the money too, so the same type is information when nothing was refunded.
CLAIM_TYPES = frozenset({
    "refunded_not_received", "return_quantity_short", "return_damaged", "return_freight_not_received",
    "return_freight_unknown", "return_freight_duplicate", "return_freight_overcharge",
})
DAMAGED_CONDITIONS = ("damaged", "empty", "missing_parts")


def gettext_noop(text: str) -> str:
    """Marks a text for the translation catalogue without importing Django (the engine stays pure)."""
    return text


# English source texts; callers pass translated ones. Fields in braces are filled per row.
DEFAULT_REASONS: dict[str, str] = {
    "refunded_not_received": gettext_noop(
        "Return {return_no} was requested on {requested_on} and ¥{refunded} was refunded, but nothing had arrived by {as_of} ({grace_days} days allowed)."),
    "return_not_received": gettext_noop(
        "Return {return_no} was requested on {requested_on} and nothing had arrived by {as_of} ({grace_days} days allowed); nothing is refunded yet: follow up or refuse the refund."),
    "return_quantity_short_refunded": gettext_noop(
        "Return {return_no}: {requested} × {sku} requested, {received} received; the {short} missing were refunded ¥{amount}."),
    "return_quantity_short": gettext_noop(
        "Return {return_no}: {requested} × {sku} requested, {received} received; refund {short} fewer."),
    "return_damaged_refunded": gettext_noop(
        "Return {return_no}: {damaged} × {sku} arrived damaged, empty or incomplete; ¥{amount} was refunded for them."),
    "return_damaged": gettext_noop(
        "Return {return_no}: {damaged} × {sku} arrived damaged, empty or incomplete; nothing is refunded for them yet."),
    "return_wrong_item": gettext_noop("Return {return_no}: {sku} arrived in its parcel, but the request has no such item."),
    "return_unexpected": gettext_noop(
        "Parcel {ref} arrived on {received_on} and matches no return request by waybill or order number."),
    "return_freight_not_received": gettext_noop(
        "Return freight of ¥{fee} billed on {billed_on} for waybill {waybill_no} of return {return_no}, which had not arrived by {as_of}."),
    "return_freight_unknown": gettext_noop(
        "Return freight of ¥{fee} billed on {billed_on} for waybill {waybill_no}, which is in no return request."),
    "return_freight_duplicate": gettext_noop(
        "Waybill {waybill_no} was already billed ¥{first_fee} as return freight on {first_billed_on}; this line charges ¥{fee} again."),
    "return_freight_overcharge": gettext_noop(
        "Billed ¥{fee}; the rate card gives ¥{card_fee} for {weight} kg from {province}: ¥{stake} over."),
}


@dataclass
class ReturnsResult:
    discrepancies: pd.DataFrame  # DISCREPANCY_COLUMNS
    summary: dict                # plain ints, ready for JSON


def prorata_fen(amount_fen, k, q) -> np.ndarray:
    """amount × k / q, rounded once to the fen, halves up, in integers only; 0 where q is 0."""
    a = np.asarray(amount_fen, dtype=np.int64)
    k = np.asarray(k, dtype=np.int64)
    q = np.asarray(q, dtype=np.int64)
    safe = np.where(q > 0, q, 1)
    return np.where(q > 0, (2 * a * k + safe) // (2 * safe), 0)


def _days(s) -> np.ndarray:
    return pd.to_datetime(pd.Series(s), errors="coerce").dt.normalize().to_numpy(dtype="datetime64[ns]")


def _text(s) -> np.ndarray:
    values = pd.Series(s, dtype=object).to_numpy()
    # Loaded columns are text already: one scan in C instead of converting every cell again.
    if pd.api.types.infer_dtype(values, skipna=False) in ("string", "empty"):
        return values
    return pd.Series(values, dtype=object).fillna("").astype(str).to_numpy(dtype=object)


def _ints(s) -> pd.Series:
    return pd.Series(pd.array(s, dtype="Int64")).reset_index(drop=True)


def _int64(s, default: int = 0) -> np.ndarray:
    return np.asarray(pd.array(s, dtype="Int64").fillna(default), dtype=np.int64)


def _day_text(days: np.ndarray) -> pd.Series:
    return pd.Series(pd.to_datetime(days)).dt.strftime("%Y-%m-%d").fillna("")


def _frame(columns: list[str], data: pd.DataFrame | None) -> pd.DataFrame:
    return pd.DataFrame(columns=columns) if data is None or not len(data) else data.reset_index(drop=True)


def _vocab(*columns: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """One integer code per distinct key across several frames' columns, -1 for ""; and the keys by code."""
    joined = np.concatenate([np.asarray(c, dtype=object) for c in columns]) if columns else np.array([], dtype=object)
    codes, uniques = pd.factorize(joined)
    uniques = np.asarray(uniques, dtype=object)
    codes = np.asarray(codes, dtype=np.int64)
    blank = np.flatnonzero(uniques == "")
    if len(blank):
        codes[codes == blank[0]] = -1
    return np.split(codes, np.cumsum([len(c) for c in columns])[:-1]), uniques


def _first_given(req: pd.DataFrame, column: str) -> pd.Series:
    """Per return, the code of its lowest request id's row that gives this value: not the first row handed in."""
    given = req.loc[req[column] >= 0, ["ret", "request_id", column]].sort_values("request_id", kind="stable")
    return given.drop_duplicates("ret").set_index("ret")[column]


def _table(members: np.ndarray, size: int) -> np.ndarray:
    """A lookup of size+1 booleans: True at every member code; the last cell answers for -1 (no key)."""
    table = np.zeros(size + 1, dtype=bool)
    members = np.asarray(members, dtype=np.int64)
    table[members[members >= 0]] = True
    return table


def _look(table: np.ndarray, codes: np.ndarray) -> np.ndarray:
    return table[np.where(codes >= 0, codes, len(table) - 1)]


def reconcile_returns(
    *,
    requests: pd.DataFrame,
    receipts: pd.DataFrame,
    freight: pd.DataFrame,
    start: date,
    end: date,
    as_of: date,
    grace_days: int,
    rates: RateBook | Mapping[str, RateBook] | None,
    texts: dict[str, str] | None = None,
) -> ReturnsResult:
    """Judge the returns requested in [start, end] as of as_of, and the receipts and freight lines that belong to that run.

    `requests` should hold the requests of every date (a receipt or freight line matching an older request is not
    unexpected); `rates` is one courier's RateBook, or a RateBook per courier code.
    """
    t = {**DEFAULT_REASONS, **(texts or {})}
    first, last, today = (np.datetime64(pd.Timestamp(d), "ns") for d in (start, end, as_of))
    grace = int(grace_days)
    as_of_text = pd.Timestamp(as_of).strftime("%Y-%m-%d")
    R, C, F = _frame(REQUEST_COLUMNS, requests), _frame(RECEIPT_COLUMNS, receipts), _frame(FREIGHT_COLUMNS, freight)

    # Keys become integers once, so that every join below is an array lookup.
    (req_wb, rec_wb, fr_wb), wb_values = _vocab(_text(R["return_waybill_no"]), _text(C["return_waybill_no"]), _text(F["waybill_no"]))
    (req_ord, rec_ord), order_values = _vocab(_text(R["order_no"]), _text(C["order_no"]))
    (req_sku, rec_sku), sku_values = _vocab(_text(R["sku"]), _text(C["sku"]))
    (req_courier,), courier_values = _vocab(_text(R["courier_code"]))
    ret_code, ret_values = pd.factorize(_text(R["return_no"]))
    ret_values = np.asarray(ret_values, dtype=object)
    n_wb, n_ord, n_sku, n_ret = len(wb_values), len(order_values), len(sku_values), len(ret_values)

    # ---------------------------------------------------------------- requests → returns
    refunded_row = _text(R["refund_status"]) == "refunded"
    req = pd.DataFrame({
        "ret": np.asarray(ret_code, dtype=np.int64), "wb": req_wb, "order": req_ord, "sku": req_sku, "courier": req_courier,
        "request_id": _int64(R["request_id"]), "quantity": _int64(R["quantity"]),
        "refunded": refunded_row, "refunded_fen": np.where(refunded_row, _int64(R["refund_fen"]), 0),
        "requested_on": _days(R["requested_on"]),
    })
    g = req.groupby("ret", sort=True)
    ret = pd.DataFrame({
        "requested_on": g["requested_on"].min(), "request_id": g["request_id"].min(), "order": _first_given(req, "order"),
        "courier": _first_given(req, "courier"), "refunded": g["refunded"].any(), "refunded_fen": g["refunded_fen"].sum(),
        "rows": g.size(),
    }).reindex(np.arange(n_ret))
    ret[["order", "courier"]] = ret[["order", "courier"]].fillna(-1).astype(np.int64)
    r_on = ret["requested_on"].to_numpy(dtype="datetime64[ns]")
    r_request = ret["request_id"].to_numpy(dtype=np.int64)
    r_order = ret["order"].to_numpy(dtype=np.int64)
    r_courier_code = ret["courier"].to_numpy(dtype=np.int64)
    r_courier = np.append(courier_values, "")[np.where(r_courier_code >= 0, r_courier_code, len(courier_values))]
    r_refunded = ret["refunded"].to_numpy(dtype=bool)
    r_refunded_fen = ret["refunded_fen"].to_numpy(dtype=np.int64)
    in_range = (r_on >= first) & (r_on <= last)
    overdue = today > r_on + np.timedelta64(grace, "D")

    # ---------------------------------------------------------------- receipts → parcels → returns
    rec = pd.DataFrame({
        "receipt_id": _int64(C["receipt_id"]), "wb": rec_wb, "order": rec_ord, "sku": rec_sku,
        "quantity": _ints(C["quantity"]), "condition": _text(C["condition"]), "received_on": _days(C["received_on"]),
    })
    rec = rec[(rec["received_on"].to_numpy() <= today) & ((rec_wb >= 0) | (rec_ord >= 0))].reset_index(drop=True)
    # A parcel is a receipt waybill, or an order number when the receipt has no waybill: one code space for both.
    rec["parcel"] = np.where(rec["wb"] >= 0, rec["wb"], n_wb + rec["order"])
    p_rec = rec["parcel"].to_numpy(dtype=np.int64)

    ret_waybills = req.loc[req["wb"] >= 0, ["ret", "wb"]].drop_duplicates()
    by_waybill = ret_waybills[_look(_table(rec["wb"], n_wb), ret_waybills["wb"].to_numpy())].rename(columns={"wb": "parcel"})
    claimed = _table(by_waybill["parcel"], n_wb + n_ord)
    ret_matched = _table(by_waybill["ret"], n_ret)[:n_ret]
    candidates = np.flatnonzero(~ret_matched & (r_order >= 0))
    open_rows = rec.loc[~_look(claimed, p_rec) & (rec["order"] >= 0).to_numpy(), ["parcel", "order"]].drop_duplicates()
    by_order = pd.DataFrame({"ret": candidates, "order": r_order[candidates]}).merge(open_rows, on="order")[["ret", "parcel"]]
    matches = pd.concat([by_waybill, by_order], ignore_index=True).drop_duplicates()
    arrived = _table(matches["ret"], n_ret)[:n_ret]

    parts: list[pd.DataFrame] = []

    # ---------------------------------------------------------------- not received
    missing = in_range & ~arrived & overdue
    for kind, mask in (("refunded_not_received", missing & r_refunded), ("return_not_received", missing & ~r_refunded)):
        pos = np.flatnonzero(mask)
        if not len(pos):
            continue
        refunded_fen = r_refunded_fen[pos]
        fields = {"return_no": lambda: ret_values[pos], "requested_on": lambda: _day_text(r_on[pos]),
                  "refunded": lambda: yuan(pd.Series(refunded_fen)), "as_of": lambda: as_of_text, "grace_days": lambda: str(grace)}
        claim = kind == "refunded_not_received"
        parts.append(_rows(kind, len(pos), ref=ret_values[pos], amount=refunded_fen if claim else 0,
                           theirs=refunded_fen if claim else None, ours=0 if claim else None, occurred_on=r_on[pos],
                           courier_code=r_courier[pos], request_id=r_request[pos], reason=_reason(t[kind], fields, len(pos))))

    # ---------------------------------------------------------------- what arrived, SKU by SKU
    width = n_sku + 1  # (return, SKU) as one integer; SKU "" is code -1, so shifted by one
    judged_matches = matches[in_range[matches["ret"].to_numpy(dtype=np.int64)]]
    got = judged_matches.merge(rec, on="parcel")
    got_key = got["ret"].to_numpy(dtype=np.int64) * width + got["sku"].to_numpy(dtype=np.int64) + 1
    judged_req = req[in_range[req["ret"].to_numpy()]]
    ga = judged_req.groupby(judged_req["ret"].to_numpy() * width + judged_req["sku"].to_numpy() + 1, sort=True)
    asked = pd.DataFrame({"q": ga["quantity"].sum(), "refunded_fen": ga["refunded_fen"].sum(), "refunded": ga["refunded"].any(),
                          "request_id": ga["request_id"].min()})
    at = asked.index.get_indexer(got_key)
    requested_sku = at >= 0

    # An empty parcel row with no count stands for everything asked; a blank count on any other row of a requested SKU
    # is read the same way (the warehouse saw the item and did not count it).
    q_row = np.where(requested_sku, asked["q"].to_numpy(dtype=np.int64)[np.maximum(at, 0)] if len(asked) else 0, 0)
    qty = got["quantity"]
    condition = got["condition"].to_numpy(dtype=object)
    is_damaged = np.isin(condition, DAMAGED_CONDITIONS)
    blank = qty.isna().to_numpy() | ((condition == "empty") & (qty.fillna(0) == 0).to_numpy())
    count = np.where(blank, q_row, np.asarray(qty.fillna(0), dtype=np.int64))
    got = got.assign(key=got_key, good=np.where(is_damaged, 0, count), bad=np.where(is_damaged, count, 0),
                     bad_receipt=np.where(is_damaged, got["receipt_id"], np.iinfo(np.int64).max))

    arrived_on = got.groupby("ret")["received_on"].min()
    gs = got[requested_sku].groupby("key", sort=True)
    per_sku = pd.DataFrame({"good": gs["good"].sum(), "bad": gs["bad"].sum(), "receipt_id": gs["receipt_id"].min(),
                            "bad_receipt": gs["bad_receipt"].min(), "last_on": gs["received_on"].max()})
    a_key = asked.index.to_numpy(dtype=np.int64)
    a_ret = a_key // width
    seen = _look(_table(arrived_on.index, n_ret), a_ret)
    sku = asked[seen]
    s_key, s_ret = a_key[seen], a_ret[seen]
    s_sku = s_key % width - 1
    ps = per_sku.index.get_indexer(s_key)
    has = ps >= 0
    psx = np.maximum(ps, 0)

    def pick(col, fill_value):
        values = per_sku[col].to_numpy()[psx] if len(per_sku) else np.zeros(len(ps), dtype=per_sku[col].dtype)
        return np.where(has, values, fill_value)

    q = sku["q"].to_numpy(dtype=np.int64)
    good = pick("good", 0).astype(np.int64)
    damaged = pick("bad", 0).astype(np.int64)
    received = good + damaged
    short = np.maximum(q - received, 0)
    # Good items cover the request first: damaged ones beyond what was asked are more received, not a loss.
    bad = np.minimum(damaged, np.maximum(q - good, 0))
    refunded = sku["refunded"].to_numpy(dtype=bool)
    paid = sku["refunded_fen"].to_numpy(dtype=np.int64)
    s_arrived_on = arrived_on.reindex(s_ret).to_numpy(dtype="datetime64[ns]")
    s_last_on = pick("last_on", np.datetime64("NaT")).astype("datetime64[ns]")
    s_sku_text = np.append(sku_values, "")[np.where(s_sku >= 0, s_sku, n_sku)]
    s_request = sku["request_id"].to_numpy(dtype=np.int64)
    receipt_any = pick("receipt_id", 0).astype(np.int64)
    receipt_bad = pick("bad_receipt", 0).astype(np.int64)

    for kind, counted in (("return_quantity_short", short), ("return_damaged", bad)):
        pos = np.flatnonzero(counted > 0)
        if not len(pos):
            continue
        k, qq, refd, fen = counted[pos], q[pos], refunded[pos], paid[pos]
        amount = np.where(refd, prorata_fen(fen, k, qq), 0)
        fields = {"return_no": lambda: ret_values[s_ret[pos]], "sku": lambda: s_sku_text[pos], "requested": lambda: _num(qq),
                  "received": lambda: _num(received[pos]), "short": lambda: _num(k), "damaged": lambda: _num(k),
                  "amount": lambda: yuan(pd.Series(amount))}
        reason = np.empty(len(pos), dtype=object)
        reason[refd] = _reason(t[kind + "_refunded"], fields, len(pos), refd)
        reason[~refd] = _reason(t[kind], fields, len(pos), ~refd)
        receipt = receipt_any[pos] if kind == "return_quantity_short" else receipt_bad[pos]
        parts.append(_rows(kind, len(pos), ref=ret_values[s_ret[pos]], sku=s_sku_text[pos], amount=amount,
                           theirs=pd.arrays.IntegerArray(fen, ~refd), ours=pd.arrays.IntegerArray(fen - amount, ~refd),
                           occurred_on=s_arrived_on[pos] if kind == "return_quantity_short" else s_last_on[pos],
                           courier_code=r_courier[s_ret[pos]], request_id=s_request[pos],
                           receipt_id=pd.arrays.IntegerArray(receipt, ~has[pos]), reason=reason))

    gw = got[~requested_sku].groupby("key", sort=True)
    wrong = pd.DataFrame({"receipt_id": gw["receipt_id"].min(), "last_on": gw["received_on"].max()})
    if len(wrong):
        w_key = wrong.index.to_numpy(dtype=np.int64)
        w_ret, w_sku = w_key // width, w_key % width - 1
        w_sku_text = np.append(sku_values, "")[np.where(w_sku >= 0, w_sku, n_sku)]
        fields = {"return_no": lambda: ret_values[w_ret], "sku": lambda: w_sku_text}
        parts.append(_rows("return_wrong_item", len(wrong), ref=ret_values[w_ret], sku=w_sku_text, amount=0,
                           occurred_on=wrong["last_on"].to_numpy(), courier_code=r_courier[w_ret], request_id=r_request[w_ret],
                           receipt_id=wrong["receipt_id"].to_numpy(), reason=_reason(t["return_wrong_item"], fields, len(wrong))))

    # ---------------------------------------------------------------- parcels nobody asked for
    known = (_look(_table(req_wb, n_wb), rec["wb"].to_numpy(dtype=np.int64))
             | _look(_table(req_ord, n_ord), rec["order"].to_numpy(dtype=np.int64)))
    gp = rec.assign(known=known).groupby("parcel", sort=True)
    parcel = pd.DataFrame({"known": gp["known"].any(), "received_on": gp["received_on"].min(), "receipt_id": gp["receipt_id"].min()})
    p_on = parcel["received_on"].to_numpy(dtype="datetime64[ns]")
    stray = ~parcel["known"].to_numpy(dtype=bool) & (p_on >= first) & (p_on <= last)
    if stray.any():
        code = parcel.index.to_numpy(dtype=np.int64)[stray]
        ref = np.where(code < n_wb, np.append(wb_values, "")[np.minimum(code, n_wb)], np.append(order_values, "")[np.clip(code - n_wb, 0, n_ord)])
        fields = {"ref": lambda: ref, "received_on": lambda: _day_text(p_on[stray])}
        parts.append(_rows("return_unexpected", len(code), ref=ref, amount=0, occurred_on=p_on[stray],
                           receipt_id=parcel["receipt_id"].to_numpy()[stray], reason=_reason(t["return_unexpected"], fields, len(code))))

    # ---------------------------------------------------------------- return freight
    owner = np.full(n_wb + 1, -1, dtype=np.int64)
    named = req[req["wb"] >= 0]
    if len(named):
        # A waybill several requests name belongs to the earliest of them: one run judges its freight, once.
        by_date = np.lexsort((named["request_id"].to_numpy(), r_on[named["ret"].to_numpy()]))
        wbs, rets = named["wb"].to_numpy()[by_date], named["ret"].to_numpy()[by_date]
        uniq, first_at = np.unique(wbs, return_index=True)
        owner[uniq] = rets[first_at]
    parts += _freight(F, fr_wb, wb_values, owner, in_range, overdue, arrived, ret_values, r_request, rates, first, last,
                      today, as_of_text, t)

    parts = [p for p in parts if len(p)]
    disc = pd.concat(parts, ignore_index=True) if parts else _rows("", 0, ref=None, amount=0, reason=[])
    disc = _finish(disc)
    waiting = in_range & ~arrived
    lost = waiting & overdue & r_refunded
    summary = {
        "requests": int(in_range.sum()),
        "request_rows": int(ret["rows"].to_numpy()[in_range].sum()),
        "arrived": int((in_range & arrived).sum()),
        "pending": int((waiting & ~overdue).sum()),
        "overdue": int((waiting & overdue).sum()),
        "refunded_not_received": int(lost.sum()),
        "refunded_not_received_fen": int(r_refunded_fen[lost].sum()),
    }
    return ReturnsResult(discrepancies=disc, summary={**summary, **_totals(disc)})


def _freight(F, fr_wb, wb_values, owner, in_range, overdue, arrived, ret_values, r_request, rates, first, last, today,
             as_of_text, t) -> list[pd.DataFrame]:
    """The four freight types; a line that bills a waybill again takes the whole line."""
    (courier,), courier_values = _vocab(_text(F["courier_code"]))
    fr = pd.DataFrame({
        "line_id": _int64(F["line_id"]), "courier": courier, "wb": fr_wb, "billed_on": _days(F["billed_on"]),
        "weight_g": _ints(F["billed_weight_g"]), "fee_fen": _int64(F["fee_fen"]), "province": _text(F["origin_province"]),
        "import_order": _int64(F["import_order"]), "line_no": _int64(F["line_no"]),
    })
    fr = fr[fr["billed_on"].to_numpy() <= today]
    # The first bill of a waybill is the earliest import, then the lowest line: never the first row handed in.
    fr = fr.sort_values(["import_order", "line_no", "line_id"], kind="stable").reset_index(drop=True)
    n = len(fr)
    wb = fr["wb"].to_numpy(dtype=np.int64)
    key = fr["courier"].to_numpy(dtype=np.int64) * (len(wb_values) + 1) + wb + 1
    _, first_at, inverse = np.unique(key, return_index=True, return_inverse=True)
    first_pos = first_at[inverse.reshape(-1)] if n else np.zeros(0, dtype=np.int64)
    # A line with no waybill repeats nothing (the importer refuses them; the engine does not guess).
    dup = (np.arange(n) != first_pos) & (wb >= 0)

    ret = owner[np.where(wb >= 0, wb, len(owner) - 1)]
    matched = ret >= 0
    rx = np.maximum(ret, 0)
    billed_on = fr["billed_on"].to_numpy(dtype="datetime64[ns]")
    if len(in_range):
        judged = np.where(matched, in_range[rx], (billed_on >= first) & (billed_on <= last))
        not_received = matched & overdue[rx] & ~arrived[rx]
    else:
        judged = (billed_on >= first) & (billed_on <= last)
        not_received = np.zeros(n, dtype=bool)
    checked = judged & ~dup
    not_received &= checked
    unknown = checked & ~matched

    price = np.zeros(n, dtype=np.int64)
    priced = np.zeros(n, dtype=bool)
    tolerance = np.zeros(n, dtype=np.int64)
    codes = np.append(courier_values, "")[np.where(fr["courier"] >= 0, fr["courier"], len(courier_values))]
    books = rates if isinstance(rates, Mapping) else {None: rates}
    for code, book in books.items():
        rows = np.flatnonzero(checked & (True if code is None else codes == code))
        if book is None or not len(rows):
            continue
        card = book.card_index(pd.Series(billed_on[rows]))
        fee = book.fee(card, pd.Series(fr["province"].to_numpy()[rows]), fr["weight_g"].iloc[rows].reset_index(drop=True))
        price[rows] = np.asarray(fee.fillna(0), dtype=np.int64)
        priced[rows] = fee.notna().to_numpy()
        tolerance[rows] = book.card_values(card, "fee_tolerance_fen")
    fee = fr["fee_fen"].to_numpy(dtype=np.int64)
    over = fee - price
    overcharge = checked & priced & (over > tolerance)

    waybill = np.append(wb_values, "")[np.where(wb >= 0, wb, len(wb_values))]
    return_no = np.append(ret_values, "")[np.where(matched, ret, len(ret_values))]
    request_id = pd.arrays.IntegerArray(r_request[rx] if len(r_request) else np.zeros(n, dtype=np.int64), ~matched)
    line_id = fr["line_id"].to_numpy(dtype=np.int64)
    out = []
    for kind, mask, amount, ours in (
        ("return_freight_duplicate", judged & dup, fee, 0),
        ("return_freight_not_received", not_received, fee, 0),
        ("return_freight_unknown", unknown, fee, 0),
        ("return_freight_overcharge", overcharge, over, price),
    ):
        pos = np.flatnonzero(mask)
        if not len(pos):
            continue
        fields = {
            "fee": lambda: yuan(pd.Series(fee[pos])), "billed_on": lambda: _day_text(billed_on[pos]),
            "waybill_no": lambda: waybill[pos], "return_no": lambda: return_no[pos], "as_of": lambda: as_of_text,
            "first_fee": lambda: yuan(pd.Series(fee[first_pos[pos]])), "first_billed_on": lambda: _day_text(billed_on[first_pos[pos]]),
            "card_fee": lambda: yuan(pd.Series(price[pos])), "weight": lambda: kg(fr["weight_g"].iloc[pos]),
            "province": lambda: fr["province"].to_numpy()[pos], "stake": lambda: yuan(pd.Series(over[pos])),
        }
        not_rec = kind == "return_freight_not_received"
        parts_ours = ours[pos] if isinstance(ours, np.ndarray) else ours
        out.append(_rows(kind, len(pos), ref=return_no[pos] if not_rec else waybill[pos], ref2=waybill[pos] if not_rec else None,
                         amount=amount[pos], theirs=fee[pos], ours=parts_ours, occurred_on=billed_on[pos],
                         courier_code=codes[pos], request_id=request_id[pos], line_id=line_id[pos],
                         reason=_reason(t[kind], fields, len(pos))))
    return out


def _reason(template: str, fields: dict, n: int, subset: np.ndarray | None = None) -> np.ndarray:
    """A template filled for n rows (or the subset of them); only the fields it names are computed."""
    values = {}
    size = n if subset is None else int(np.count_nonzero(subset))
    for name in set(fields_of(template)):
        v = fields[name]()
        if isinstance(v, str):
            values[name] = pd.Series([v] * size, dtype=object)
        else:
            v = np.asarray(v, dtype=object)
            values[name] = pd.Series(v if subset is None else v[subset])
    return fill(template, values, size).to_numpy(dtype=object)


def _num(values: np.ndarray) -> pd.Series:
    return pd.Series(np.asarray(values, dtype=np.int64)).astype(str)


def _rows(kind: str, n: int, *, ref, amount, reason, ref2=None, sku=None, theirs=None, ours=None, occurred_on=None,
          courier_code=None, request_id=None, receipt_id=None, line_id=None) -> pd.DataFrame:
    """One discrepancy frame of one type, every column present; scalars stand for a whole column."""

    def ints(values):
        if values is None:
            return pd.array([pd.NA] * n, dtype="Int64")
        if np.isscalar(values):
            values = np.full(n, values, dtype=np.int64)
        return pd.array(values, dtype="Int64")

    def texts(values):
        return np.full(n, "", dtype=object) if values is None else np.asarray(values, dtype=object)

    days = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]") if occurred_on is None else (
        np.asarray(pd.to_datetime(pd.Series(occurred_on)), dtype="datetime64[D]"))
    return pd.DataFrame({
        "type": np.full(n, kind, dtype=object), "ref": texts(ref), "ref2": texts(ref2), "sku": texts(sku),
        "amount_fen": np.broadcast_to(np.asarray(amount, dtype=np.int64), (n,)).copy(), "theirs_fen": ints(theirs),
        "ours_fen": ints(ours), "occurred_on": days.astype(object),  # dates, None for none
        "courier_code": texts(courier_code), "request_id": ints(request_id), "receipt_id": ints(receipt_id),
        "line_id": ints(line_id), "reason": np.asarray(reason, dtype=object),
    })


def _finish(disc: pd.DataFrame) -> pd.DataFrame:
    """is_claim set, and one order whatever the order of the inputs."""
    disc["is_claim"] = disc["type"].isin(CLAIM_TYPES).to_numpy() & (disc["amount_fen"].to_numpy() > 0)
    order = disc["type"].map({k: i for i, k in enumerate(TYPES)})
    disc = disc.assign(_order=order).sort_values(["_order", "ref", "ref2", "sku", "line_id", "receipt_id"], kind="stable", na_position="first")
    return disc[DISCREPANCY_COLUMNS].reset_index(drop=True)


def _totals(disc: pd.DataFrame) -> dict:
    """Counts and money per type (every type, zeros included), money per courier, and the claims among them."""
    counts = disc.groupby("type").size()
    money = disc.groupby("type")["amount_fen"].sum()
    by_courier = disc[disc["amount_fen"] > 0].groupby("courier_code")["amount_fen"].sum()
    return {
        "count_by_type": {k: int(counts.get(k, 0)) for k in TYPES},
        "fen_by_type": {k: int(money.get(k, 0)) for k in TYPES},
        # "" holds what no courier is named for (a refund for a return whose courier is unknown).
        "fen_by_courier": {str(k): int(v) for k, v in by_courier.items()},
        "claims": int(disc["is_claim"].sum()),
        "claim_fen": int(disc.loc[disc["is_claim"], "amount_fen"].sum()),
    }
