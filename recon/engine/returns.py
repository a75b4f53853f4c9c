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
from recon.engine.text import fill, kg, yuan

REQUEST_COLUMNS = [
    "request_id", "return_no", "order_no", "return_waybill_no", "courier_code", "sku", "quantity", "refund_fen",
    "refund_status", "requested_on", "refunded_on",
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


def _days(s) -> pd.Series:
    return pd.to_datetime(pd.Series(s), errors="coerce").dt.normalize().reset_index(drop=True)


def _text(s) -> pd.Series:
    return pd.Series(s, dtype=object).fillna("").astype(str).reset_index(drop=True)


def _ints(s) -> pd.Series:
    return pd.Series(pd.array(s, dtype="Int64")).reset_index(drop=True)


def _day_text(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s).dt.strftime("%Y-%m-%d").reset_index(drop=True)


def _frame(columns: list[str], data: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(columns=columns) if data is None or not len(data) else data.reset_index(drop=True)


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
    first, last, today = pd.Timestamp(start), pd.Timestamp(end), pd.Timestamp(as_of)
    grace = int(grace_days)

    # ---------------------------------------------------------------- requests → returns
    R = _frame(REQUEST_COLUMNS, requests)
    req = pd.DataFrame({
        "request_id": _ints(R["request_id"]), "return_no": _text(R["return_no"]), "order_no": _text(R["order_no"]),
        "waybill": _text(R["return_waybill_no"]), "courier_code": _text(R["courier_code"]), "sku": _text(R["sku"]),
        "quantity": _ints(R["quantity"]).fillna(0).astype(np.int64),
        "refund_fen": _ints(R["refund_fen"]).fillna(0).astype(np.int64),
        "refunded": (_text(R["refund_status"]) == "refunded").to_numpy(), "requested_on": _days(R["requested_on"]),
    })
    req["refunded_fen"] = np.where(req["refunded"], req["refund_fen"], 0)
    # "" sorts first, so max() takes a return's non-empty order number or courier whatever the rows' order.
    ret = req.groupby("return_no", sort=True).agg(
        requested_on=("requested_on", "min"), request_id=("request_id", "min"), order_no=("order_no", "max"),
        courier_code=("courier_code", "max"), refunded=("refunded", "any"), refunded_fen=("refunded_fen", "sum"),
        rows=("request_id", "size"),
    )
    ret["in_range"] = (ret["requested_on"] >= first) & (ret["requested_on"] <= last)
    ret["overdue"] = today > ret["requested_on"] + pd.Timedelta(days=grace)

    # ---------------------------------------------------------------- receipts → parcels → returns
    C = _frame(RECEIPT_COLUMNS, receipts)
    rec = pd.DataFrame({
        "receipt_id": _ints(C["receipt_id"]), "waybill": _text(C["return_waybill_no"]), "order_no": _text(C["order_no"]),
        "received_on": _days(C["received_on"]), "sku": _text(C["sku"]), "quantity": _ints(C["quantity"]),
        "condition": _text(C["condition"]),
    })
    rec = rec[(rec["received_on"] <= today).to_numpy() & ((rec["waybill"] != "") | (rec["order_no"] != "")).to_numpy()]
    rec = rec.reset_index(drop=True)
    has_wb = rec["waybill"] != ""
    rec["parcel"] = np.where(has_wb, "W:" + rec["waybill"], "O:" + rec["order_no"])
    rec["parcel_ref"] = np.where(has_wb, rec["waybill"], rec["order_no"])

    ret_waybills = req.loc[req["waybill"] != "", ["return_no", "waybill"]].drop_duplicates()
    parcel_waybills = rec.loc[has_wb, ["parcel", "waybill"]].drop_duplicates()
    by_waybill = ret_waybills.merge(parcel_waybills, on="waybill")[["return_no", "parcel"]]
    unmatched = ret.index[~ret.index.isin(by_waybill["return_no"])]
    open_rows = rec.loc[~rec["parcel"].isin(by_waybill["parcel"]) & (rec["order_no"] != ""), ["parcel", "order_no"]].drop_duplicates()
    ret_orders = ret.loc[unmatched, ["order_no"]].reset_index()
    by_order = ret_orders[ret_orders["order_no"] != ""].merge(open_rows, on="order_no")[["return_no", "parcel"]]
    matches = pd.concat([by_waybill, by_order], ignore_index=True).drop_duplicates()
    ret["arrived"] = ret.index.isin(matches["return_no"])

    judged = ret[ret["in_range"]]
    parts: list[pd.DataFrame] = []

    # ---------------------------------------------------------------- not received
    missing = judged[~judged["arrived"] & judged["overdue"]].reset_index()
    for kind, rows in (("refunded_not_received", missing[missing["refunded"]]),
                       ("return_not_received", missing[~missing["refunded"]])):
        if not len(rows):
            continue
        rows = rows.reset_index(drop=True)
        amount = rows["refunded_fen"].to_numpy(dtype=np.int64) if kind == "refunded_not_received" else np.zeros(len(rows), np.int64)
        fields = {"return_no": rows["return_no"], "requested_on": _day_text(rows["requested_on"]),
                  "refunded": yuan(rows["refunded_fen"]), "as_of": _const(today.strftime("%Y-%m-%d"), len(rows)),
                  "grace_days": _const(str(grace), len(rows))}
        parts.append(_rows(kind, rows, ref=rows["return_no"], amount=amount,
                           theirs=rows["refunded_fen"] if kind == "refunded_not_received" else None,
                           ours=np.zeros(len(rows), np.int64) if kind == "refunded_not_received" else None,
                           occurred_on=rows["requested_on"], courier_code=rows["courier_code"], request_id=rows["request_id"],
                           reason=fill(t[kind], fields, len(rows))))

    # ---------------------------------------------------------------- what arrived, SKU by SKU
    judged_matches = matches[matches["return_no"].isin(judged.index)]
    got = judged_matches.merge(rec, on="parcel")
    asked = req[req["return_no"].isin(judged.index)].groupby(["return_no", "sku"], sort=True).agg(
        q=("quantity", "sum"), refunded_fen=("refunded_fen", "sum"), refunded=("refunded", "any"),
        request_id=("request_id", "min"),
    ).reset_index()
    got = got.merge(asked[["return_no", "sku", "q"]], on=["return_no", "sku"], how="left")
    requested_sku = got["q"].notna().to_numpy()

    # An empty parcel row with no count stands for everything asked; a blank count on any other row of a requested SKU
    # is read the same way (the warehouse saw the item and did not count it).
    q_row = got["q"].fillna(0).astype(np.int64).to_numpy()
    qty = got["quantity"]
    is_damaged = got["condition"].isin(DAMAGED_CONDITIONS).to_numpy()
    blank = qty.isna().to_numpy() | ((got["condition"] == "empty").to_numpy() & (qty.fillna(0) == 0).to_numpy())
    got["count"] = np.where(blank, q_row, qty.fillna(0).astype(np.int64).to_numpy())
    got["good"] = np.where(is_damaged, 0, got["count"])
    got["bad"] = np.where(is_damaged, got["count"], 0)
    got["bad_receipt"] = got["receipt_id"].where(is_damaged)

    arrived_on = got.groupby("return_no")["received_on"].min()
    per_sku = got[requested_sku].groupby(["return_no", "sku"], sort=True).agg(
        good=("good", "sum"), bad=("bad", "sum"), receipt_id=("receipt_id", "min"), bad_receipt=("bad_receipt", "min"),
        last_on=("received_on", "max"),
    ).reset_index()
    sku = asked[asked["return_no"].isin(arrived_on.index)].merge(per_sku, on=["return_no", "sku"], how="left")
    sku[["good", "bad"]] = sku[["good", "bad"]].fillna(0).astype(np.int64)
    sku = sku.merge(ret[["courier_code"]], left_on="return_no", right_index=True, how="left")
    sku["arrived_on"] = sku["return_no"].map(arrived_on)
    q = sku["q"].to_numpy(dtype=np.int64)
    good = sku["good"].to_numpy(dtype=np.int64)
    received = good + sku["bad"].to_numpy(dtype=np.int64)
    short = np.maximum(q - received, 0)
    # Good items cover the request first: damaged ones beyond what was asked are more received, not a loss.
    bad = np.minimum(sku["bad"].to_numpy(dtype=np.int64), np.maximum(q - good, 0))
    refunded = sku["refunded"].to_numpy(dtype=bool)
    paid = sku["refunded_fen"].to_numpy(dtype=np.int64)

    for kind, count in (("return_quantity_short", short), ("return_damaged", bad)):
        mask = count > 0
        if not mask.any():
            continue
        rows = sku[mask].reset_index(drop=True)
        k, qq, refd, fen = count[mask], q[mask], refunded[mask], paid[mask]
        amount = np.where(refd, prorata_fen(fen, k, qq), 0)
        fields = {"return_no": rows["return_no"], "sku": rows["sku"], "requested": _num(qq), "received": _num(received[mask]),
                  "short": _num(k), "damaged": _num(k), "amount": yuan(pd.Series(amount))}
        reason = pd.Series(np.where(refd, fill(t[kind + "_refunded"], fields, len(rows)), fill(t[kind], fields, len(rows))),
                           dtype=object)
        receipt = rows["receipt_id"] if kind == "return_quantity_short" else rows["bad_receipt"]
        parts.append(_rows(kind, rows, ref=rows["return_no"], sku=rows["sku"], amount=amount,
                           theirs=np.where(refd, fen, pd.NA), ours=np.where(refd, fen - amount, pd.NA),
                           occurred_on=rows["arrived_on"] if kind == "return_quantity_short" else rows["last_on"],
                           courier_code=rows["courier_code"], request_id=rows["request_id"], receipt_id=receipt,
                           reason=reason))

    wrong = got[~requested_sku].groupby(["return_no", "sku"], sort=True).agg(
        receipt_id=("receipt_id", "min"), last_on=("received_on", "max")).reset_index()
    if len(wrong):
        wrong = wrong.merge(ret[["courier_code", "request_id"]], left_on="return_no", right_index=True, how="left")
        fields = {"return_no": wrong["return_no"], "sku": wrong["sku"]}
        parts.append(_rows("return_wrong_item", wrong, ref=wrong["return_no"], sku=wrong["sku"],
                           amount=np.zeros(len(wrong), np.int64), occurred_on=wrong["last_on"],
                           courier_code=wrong["courier_code"], request_id=wrong["request_id"],
                           receipt_id=wrong["receipt_id"], reason=fill(t["return_wrong_item"], fields, len(wrong))))

    # ---------------------------------------------------------------- parcels nobody asked for
    known = (rec["parcel"].isin(matches["parcel"]) | (has_wb & rec["waybill"].isin(ret_waybills["waybill"]))
             | ((rec["order_no"] != "") & rec["order_no"].isin(req["order_no"][req["order_no"] != ""])))
    parcel = rec.assign(known=known).groupby("parcel", sort=True).agg(
        ref=("parcel_ref", "first"), known=("known", "any"), received_on=("received_on", "min"),
        receipt_id=("receipt_id", "min"))
    stray = parcel[~parcel["known"] & (parcel["received_on"] >= first) & (parcel["received_on"] <= last)].reset_index(drop=True)
    if len(stray):
        fields = {"ref": stray["ref"], "received_on": _day_text(stray["received_on"])}
        parts.append(_rows("return_unexpected", stray, ref=stray["ref"], amount=np.zeros(len(stray), np.int64),
                           occurred_on=stray["received_on"], receipt_id=stray["receipt_id"],
                           reason=fill(t["return_unexpected"], fields, len(stray))))

    # ---------------------------------------------------------------- return freight
    parts += _freight(freight, req, ret, rates, first, last, today, t)

    parts = [p for p in parts if len(p)]
    disc = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=DISCREPANCY_COLUMNS)
    disc = _finish(disc)
    return ReturnsResult(discrepancies=disc, summary=_summary(ret, disc))


def _freight(freight, req, ret, rates, first, last, today, t) -> list[pd.DataFrame]:
    """The four freight types; a line that bills a waybill again takes the whole line."""
    F = _frame(FREIGHT_COLUMNS, freight)
    fr = pd.DataFrame({
        "line_id": _ints(F["line_id"]), "courier_code": _text(F["courier_code"]), "waybill": _text(F["waybill_no"]),
        "billed_on": _days(F["billed_on"]), "weight_g": _ints(F["billed_weight_g"]),
        "fee_fen": _ints(F["fee_fen"]).fillna(0).astype(np.int64), "province": _text(F["origin_province"]),
        "import_order": _ints(F["import_order"]).fillna(0), "line_no": _ints(F["line_no"]).fillna(0),
    })
    fr = fr[(fr["billed_on"] <= today).to_numpy()]
    # The first bill of a waybill is the earliest import, then the lowest line: never the first row handed in.
    fr = fr.sort_values(["import_order", "line_no", "line_id"], kind="stable").reset_index(drop=True)
    key = ["courier_code", "waybill"]
    fr["dup"] = fr.duplicated(key, keep="first")
    firsts = fr[~fr["dup"]].set_index(key)
    idx = pd.MultiIndex.from_frame(fr[key])
    fr["first_fee"] = firsts["fee_fen"].reindex(idx).to_numpy()
    fr["first_billed_on"] = firsts["billed_on"].reindex(idx).to_numpy()

    # A waybill several requests name belongs to the earliest of them: one run judges the line, once.
    owners = req.loc[req["waybill"] != "", ["waybill", "return_no", "request_id"]].merge(
        ret[["requested_on"]], left_on="return_no", right_index=True).reset_index(drop=True)
    owners = owners.sort_values(["requested_on", "request_id", "return_no"], kind="stable").drop_duplicates("waybill")
    owner = owners.set_index("waybill")["return_no"]
    fr["return_no"] = fr["waybill"].map(owner)
    matched = fr["return_no"].notna().to_numpy()
    info = ret.reindex(fr["return_no"].fillna("").to_numpy())
    in_range = (fr["billed_on"] >= first) & (fr["billed_on"] <= last)
    judged = np.where(matched, info["in_range"].fillna(False).to_numpy(dtype=bool), in_range.to_numpy(dtype=bool))
    fr["request_id"] = _ints(info["request_id"].to_numpy())
    fr["req_courier"] = info["courier_code"].fillna("").to_numpy()

    dup = judged & fr["dup"].to_numpy()
    checked = judged & ~fr["dup"].to_numpy()
    not_received = checked & matched & info["overdue"].fillna(False).to_numpy(dtype=bool) & ~info["arrived"].fillna(True).to_numpy(dtype=bool)
    unknown = checked & ~matched

    price = pd.Series(pd.NA, index=fr.index, dtype="Int64")
    tolerance = np.zeros(len(fr), dtype=np.int64)
    books = rates if isinstance(rates, Mapping) else {None: rates}
    for code, book in books.items():
        if book is None:
            continue
        rows = checked & (True if code is None else (fr["courier_code"] == code).to_numpy())
        if not rows.any():
            continue
        card = book.card_index(fr.loc[rows, "billed_on"].reset_index(drop=True))
        price[rows] = book.fee(card, fr.loc[rows, "province"].reset_index(drop=True),
                               fr.loc[rows, "weight_g"].reset_index(drop=True)).to_numpy()
        tolerance[rows] = book.card_values(card, "fee_tolerance_fen")
    fee = fr["fee_fen"].to_numpy(dtype=np.int64)
    over = np.asarray(fee - price.fillna(0).to_numpy(dtype=np.int64), dtype=np.int64)
    overcharge = checked & price.notna().to_numpy() & (over > tolerance)

    out = []
    common = {"fee": yuan(fr["fee_fen"]), "billed_on": _day_text(fr["billed_on"]), "waybill_no": fr["waybill"],
              "return_no": fr["return_no"].fillna(""), "as_of": _const(today.strftime("%Y-%m-%d"), len(fr)),
              "first_fee": yuan(fr["first_fee"]), "first_billed_on": _day_text(fr["first_billed_on"]),
              "card_fee": yuan(price), "weight": kg(fr["weight_g"]), "province": fr["province"],
              "stake": yuan(pd.Series(over))}
    for kind, mask, amount, ref, ref2 in (
        ("return_freight_duplicate", dup, fee, fr["waybill"], None),
        ("return_freight_not_received", not_received, fee, fr["return_no"], fr["waybill"]),
        ("return_freight_unknown", unknown, fee, fr["waybill"], None),
        ("return_freight_overcharge", overcharge, over, fr["waybill"], None),
    ):
        if not mask.any():
            continue
        rows = fr[mask].reset_index(drop=True)
        fields = {name: col[mask].reset_index(drop=True) for name, col in common.items()}
        ours = price[mask].reset_index(drop=True) if kind == "return_freight_overcharge" else np.zeros(len(rows), np.int64)
        out.append(_rows(kind, rows, ref=ref[mask].reset_index(drop=True),
                         ref2=ref2[mask].reset_index(drop=True) if ref2 is not None else None, amount=amount[mask],
                         theirs=rows["fee_fen"], ours=ours, occurred_on=rows["billed_on"], courier_code=rows["courier_code"],
                         request_id=rows["request_id"], line_id=rows["line_id"], reason=fill(t[kind], fields, len(rows))))
    return out


def _const(value: str, n: int) -> pd.Series:
    return pd.Series([value] * n, dtype=object)


def _num(values: np.ndarray) -> pd.Series:
    return pd.Series(np.asarray(values, dtype=np.int64)).astype(str)


def _rows(kind: str, rows: pd.DataFrame, *, ref, amount, reason, ref2=None, sku=None, theirs=None, ours=None,
          occurred_on=None, courier_code=None, request_id=None, receipt_id=None, line_id=None) -> pd.DataFrame:
    """One discrepancy frame of one type, every column present."""
    n = len(rows)

    def ints(values):
        return _ints([pd.NA] * n if values is None else pd.Series(values).reset_index(drop=True).tolist())

    def texts(values):
        return _const("", n) if values is None else _text(values)

    return pd.DataFrame({
        "type": _const(kind, n), "ref": texts(ref), "ref2": texts(ref2), "sku": texts(sku),
        "amount_fen": np.asarray(amount, dtype=np.int64), "theirs_fen": ints(theirs), "ours_fen": ints(ours),
        "occurred_on": pd.Series(pd.to_datetime(pd.Series(occurred_on)).reset_index(drop=True).dt.date if occurred_on is not None else [None] * n, dtype=object),
        "courier_code": texts(courier_code), "request_id": ints(request_id), "receipt_id": ints(receipt_id),
        "line_id": ints(line_id), "reason": pd.Series(reason, dtype=object).reset_index(drop=True),
    })


def _finish(disc: pd.DataFrame) -> pd.DataFrame:
    """Every column, is_claim set, and one order whatever the order of the inputs."""
    for col in DISCREPANCY_COLUMNS:
        if col not in disc.columns:
            disc[col] = pd.NA
    disc["amount_fen"] = disc["amount_fen"].astype(np.int64)
    for col in ("theirs_fen", "ours_fen", "request_id", "receipt_id", "line_id"):
        disc[col] = _ints(disc[col])
    disc["is_claim"] = disc["type"].isin(CLAIM_TYPES).to_numpy() & (disc["amount_fen"].to_numpy() > 0)
    disc["_order"] = disc["type"].map({k: i for i, k in enumerate(TYPES)})
    disc = disc.sort_values(["_order", "ref", "ref2", "sku", "line_id", "receipt_id"], kind="stable", na_position="first")
    return disc[DISCREPANCY_COLUMNS].reset_index(drop=True)


def _summary(ret: pd.DataFrame, disc: pd.DataFrame) -> dict:
    """What the returns page shows at the top: the range's returns by state, and counts and money per type."""
    judged = ret[ret["in_range"]]
    waiting = judged[~judged["arrived"]]
    lost = waiting[waiting["overdue"] & waiting["refunded"]]
    counts = disc.groupby("type").size()
    money = disc.groupby("type")["amount_fen"].sum()
    return {
        "requests": int(len(judged)),
        "request_rows": int(judged["rows"].sum()),
        "arrived": int(judged["arrived"].sum()),
        "pending": int((~waiting["overdue"]).sum()),
        "overdue": int(waiting["overdue"].sum()),
        "refunded_not_received": int(len(lost)),
        "refunded_not_received_fen": int(lost["refunded_fen"].sum()),
        "count_by_type": {k: int(counts.get(k, 0)) for k in TYPES},
        "fen_by_type": {k: int(money.get(k, 0)) for k in TYPES},
        "claims": int(disc["is_claim"].sum()),
        "claim_fen": int(disc.loc[disc["is_claim"], "amount_fen"].sum()),
    }
