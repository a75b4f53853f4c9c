"""Courier-fee reconciliation (快递费对账): classify every bill line against our shipments and the rate card.

Frames in, frames out; no Django. Money is integer fen, weight integer grams.

Four types take the whole line (and stop further checks): duplicate_charge, unknown_waybill,
courier_mismatch, cancelled_shipment_charged. On every other line the gap between the billed fee and
F(our billable weight, our province) is split into parts that add up exactly:
    billed − F(Wb, Pb)        rate_overcharge / rate_undercharge
    F(Wb, Pb) − F(Wb, Po)     zone_mismatch
    F(Wb, Po) − F(Wo, Po)     weight_overcharge
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from recon.engine.rates import RateBook, RateCardSpec
from recon.engine.text import fields_of, fill, kg, yuan

LINE_COLUMNS = ["line_no", "waybill_no", "billed_fee_fen", "billed_weight_g", "billed_province", "billed_at"]
SHIPMENT_COLUMNS = [
    "shipment_id", "waybill_no", "order_no", "courier_code", "status", "shipped_at",
    "weight_g", "length_mm", "width_mm", "height_mm", "province",
]
PREVIOUS_COLUMNS = ["waybill_no", "bill_id"]

WHOLE_LINE_TYPES = ("duplicate_charge", "unknown_waybill", "courier_mismatch", "cancelled_shipment_charged")

def gettext_noop(text: str) -> str:
    """Marks a text for the translation catalogue without importing Django (the engine stays pure)."""
    return text


# English source texts; callers pass translated ones. Fields in braces are filled per row.
DEFAULT_REASONS: dict[str, str] = {
    "duplicate_charge_same_bill": gettext_noop("Waybill {waybill_no} is already billed on line {first_line} of this bill; this line charges ¥{billed_fee} again."),
    "duplicate_charge_earlier_bill": gettext_noop("Waybill {waybill_no} was already billed in bill #{previous_bill}; this line charges ¥{billed_fee} again."),
    "unknown_waybill": gettext_noop("Waybill {waybill_no} is not one of our shipments; billed ¥{billed_fee}."),
    "courier_mismatch": gettext_noop("We shipped waybill {waybill_no} with {our_courier}, not with this courier; billed ¥{billed_fee}."),
    "cancelled_shipment_charged": gettext_noop("Order {order_no} (waybill {waybill_no}) was cancelled; nothing is owed, billed ¥{billed_fee}."),
    "rate_overcharge": gettext_noop("Billed ¥{billed_fee}; the rate card gives ¥{fee_billed} for {billed_weight} kg to {billed_province}: ¥{stake} over."),
    "rate_undercharge": gettext_noop("Billed ¥{billed_fee}; the rate card gives ¥{fee_billed} for {billed_weight} kg to {billed_province}: ¥{stake_abs} under."),
    "zone_mismatch": gettext_noop("Billed to {billed_province}, we shipped to {our_province}: ¥{fee_billed} instead of ¥{fee_zone} for {billed_weight} kg."),
    "weight_overcharge": gettext_noop("Billed weight {billed_weight} kg, our billable weight {our_weight} kg: ¥{fee_zone} instead of ¥{fee_ours} to {our_province}."),
    "no_rate_card": gettext_noop("No rate card of this courier is in force on {date}; the line cannot be checked."),
    "no_rate_province": gettext_noop("The rate card has no price for {province} at {weight} kg; the line cannot be checked."),
    "no_rate_weight": gettext_noop("Neither the bill nor our record gives a weight; the line cannot be checked."),
    "no_rate_destination": gettext_noop("Neither the bill nor our record gives a destination province; the line cannot be checked."),
    "not_billed": gettext_noop("Shipped on {shipped_date} to {our_province} with this courier, but not in this bill."),
}

DISCREPANCY_COLUMNS = [
    "type", "line_no", "waybill_no", "order_no", "shipment_id", "billed_fee_fen", "expected_fee_fen",
    "billed_weight_g", "expected_weight_g", "billed_province", "expected_province", "amount_at_stake_fen",
    "reason", "card_id", "fee_billed_fen", "fee_zone_fen", "fee_ours_fen",
]


@dataclass
class CourierFeeResult:
    lines: pd.DataFrame          # one row per input line: result, expected_fee_fen, our_weight_g, our_province, shipment_id, card_id
    discrepancies: pd.DataFrame  # DISCREPANCY_COLUMNS


def _ints(s) -> pd.Series:
    return pd.Series(pd.array(s, dtype="Int64"))


def billable_weight_g(weight_g: pd.Series, length_mm: pd.Series, width_mm: pd.Series, height_mm: pd.Series, divisor: np.ndarray) -> pd.Series:
    """max(actual, L×W×H / divisor) in grams; mm³/divisor is grams since cm³/divisor is kilograms."""
    actual = _ints(weight_g).reset_index(drop=True)
    volume = _ints(length_mm).reset_index(drop=True) * _ints(width_mm).reset_index(drop=True) * _ints(height_mm).reset_index(drop=True)
    div = pd.Series(divisor, dtype="Int64").where(pd.Series(divisor) > 0)
    # Rounded up to the gram: a courier never rounds a volumetric weight down.
    volumetric = -((-volume) // div)
    both = pd.concat([actual, volumetric], axis=1)
    return _ints(both.max(axis=1, skipna=True))


def reconcile_courier_bill(
    *,
    lines: pd.DataFrame,
    shipments: pd.DataFrame,
    courier_code: str,
    cards: list[RateCardSpec],
    previous: pd.DataFrame | None = None,
    period_start: date,
    period_end: date,
    reasons: dict[str, str] | None = None,
    courier_names: dict[str, str] | None = None,
) -> CourierFeeResult:
    """Classify every bill line and list our shipments of the period that were not billed."""
    texts = {**DEFAULT_REASONS, **(reasons or {})}
    names = courier_names or {}
    book = RateBook(cards)
    n = len(lines)
    L = lines.reset_index(drop=True)
    ships = shipments.drop_duplicates("waybill_no").set_index("waybill_no")
    prev = previous if previous is not None else pd.DataFrame(columns=PREVIOUS_COLUMNS)

    wb = L["waybill_no"].astype(str)
    fee = pd.Series(np.asarray(L["billed_fee_fen"], dtype=np.int64))
    matched = wb.isin(ships.index).to_numpy()
    ship = ships.reindex(wb.to_numpy()).reset_index(drop=True)

    # -- the four whole-line types, in priority order
    # The original charge is the lowest line number, not the first row: the result must not depend on row order.
    first_line = L.groupby(wb, sort=False)["line_no"].transform("min")
    by_line_no = np.argsort(np.asarray(L["line_no"]), kind="stable")
    dup_same = np.zeros(n, dtype=bool)
    dup_same[by_line_no] = wb.iloc[by_line_no].duplicated(keep="first").to_numpy()
    prev_bill = pd.Series(pd.NA, index=L.index, dtype="Int64")
    if len(prev):
        first_prev = prev.drop_duplicates("waybill_no").set_index("waybill_no")["bill_id"]
        prev_bill = _ints(first_prev.reindex(wb.to_numpy()).to_numpy())
    dup_earlier = prev_bill.notna().to_numpy() & ~dup_same
    is_dup = dup_same | dup_earlier
    is_unknown = ~is_dup & ~matched
    ship_courier = ship["courier_code"].fillna("").astype(str)
    is_mismatch = ~is_dup & matched & (ship_courier != courier_code).to_numpy()
    is_cancelled = ~is_dup & matched & ~is_mismatch & (ship["status"] == "cancelled").to_numpy()
    whole = is_dup | is_unknown | is_mismatch | is_cancelled

    # -- weights, provinces, cards
    line_date = pd.to_datetime(L["billed_at"]).copy()
    line_date = line_date.fillna(pd.to_datetime(ship["shipped_at"])).fillna(pd.Timestamp(period_start))
    card_idx = book.card_index(line_date)
    divisor = book.card_values(card_idx, "volumetric_divisor")
    w_ours = billable_weight_g(ship["weight_g"], ship["length_mm"], ship["width_mm"], ship["height_mm"], divisor)
    w_billed = _ints(L["billed_weight_g"])
    wb_eff = w_billed.fillna(w_ours)  # no weight on the bill: nothing to dispute about weight
    wo_eff = w_ours.fillna(w_billed)
    p_billed = L["billed_province"].fillna("").astype(str)
    p_ours = ship["province"].fillna("").astype(str)
    pb_eff = p_billed.where(p_billed != "", p_ours)
    po_eff = p_ours.where(p_ours != "", p_billed)

    f_billed = book.fee(card_idx, pb_eff, wb_eff)   # F(Wb, Pb)
    f_zone = book.fee(card_idx, po_eff, wb_eff)     # F(Wb, Po)
    f_ours = book.fee(card_idx, po_eff, wo_eff)     # F(Wo, Po)
    checkable = ~whole
    no_card = checkable & (card_idx < 0)
    no_weight = checkable & ~no_card & wb_eff.isna().to_numpy()
    no_dest = checkable & ~no_card & ~no_weight & (pb_eff == "").to_numpy()
    no_price = checkable & ~no_card & ~no_weight & ~no_dest & (f_billed.isna() | f_zone.isna() | f_ours.isna()).to_numpy()
    is_no_rate = no_card | no_weight | no_dest | no_price
    checked = checkable & ~is_no_rate

    fee_tol = book.card_values(card_idx, "fee_tolerance_fen")
    w_tol = book.card_values(card_idx, "weight_tolerance_g")
    fb = np.asarray(f_billed.fillna(0), dtype=np.int64)
    fz = np.asarray(f_zone.fillna(0), dtype=np.int64)
    fo = np.asarray(f_ours.fillna(0), dtype=np.int64)
    fee_np = fee.to_numpy()
    rate_part = fee_np - fb
    is_over = checked & (rate_part > fee_tol)
    is_under = checked & (rate_part < -fee_tol)
    is_zone = checked & (p_billed != "").to_numpy() & (p_ours != "").to_numpy() & (p_billed != p_ours).to_numpy()
    is_weight = checked & w_billed.notna().to_numpy() & w_ours.notna().to_numpy() & (
        np.asarray(w_billed.fillna(0), dtype=np.int64) > np.asarray(w_ours.fillna(0), dtype=np.int64) + w_tol
    )

    # -- per-line results
    expected = pd.Series(pd.NA, index=L.index, dtype="Int64")
    expected[checked] = fo[checked]
    expected[whole] = 0
    any_disc = whole | is_over | is_under | is_zone | is_weight
    result = np.where(is_no_rate, "unchecked", np.where(any_disc, "discrepancy", "ok"))
    line_out = pd.DataFrame(
        {
            "line_no": L["line_no"].to_numpy(),
            "result": result,
            "expected_fee_fen": expected,
            "our_weight_g": w_ours,
            "our_province": p_ours.to_numpy(),
            "shipment_id": _ints(ship["shipment_id"]),
            "card_id": book.card_ids(card_idx),
        }
    )

    # -- discrepancy rows: one frame per type, then concatenated
    shipment_id = _ints(ship["shipment_id"])
    order_no = ship["order_no"].fillna("").astype(str)
    base = pd.DataFrame(
        {
            "line_no": _ints(L["line_no"]),
            "waybill_no": wb,
            "order_no": order_no,
            "shipment_id": shipment_id,
            "billed_fee_fen": _ints(fee),
            "expected_fee_fen": expected,
            "billed_weight_g": w_billed,
            "expected_weight_g": w_ours,
            "billed_province": p_billed,
            "expected_province": p_ours,
            "card_id": line_out["card_id"],
            "fee_billed_fen": f_billed,
            "fee_zone_fen": f_zone,
            "fee_ours_fen": f_ours,
        }
    )
    # Reason fields, each made only for the rows that get a reason (a few percent of a bill), from their positions.
    fields = {
        "waybill_no": lambda p: wb.iloc[p],
        "order_no": lambda p: order_no.iloc[p],
        "billed_fee": lambda p: yuan(fee.iloc[p]),
        "first_line": lambda p: first_line.iloc[p].astype(str),
        "previous_bill": lambda p: prev_bill.iloc[p].astype(str),
        "our_courier": lambda p: ship_courier.iloc[p].map(names).fillna(ship_courier.iloc[p]) if names else ship_courier.iloc[p],
        "fee_billed": lambda p: yuan(f_billed.iloc[p]),
        "fee_zone": lambda p: yuan(f_zone.iloc[p]),
        "fee_ours": lambda p: yuan(f_ours.iloc[p]),
        "billed_weight": lambda p: kg(wb_eff.iloc[p]),
        "our_weight": lambda p: kg(wo_eff.iloc[p]),
        "billed_province": lambda p: pb_eff.iloc[p],
        "our_province": lambda p: po_eff.iloc[p],
        "stake": lambda p: yuan(pd.Series(rate_part[p])),
        "stake_abs": lambda p: yuan(pd.Series(-rate_part[p])),
        "date": lambda p: line_date.iloc[p].dt.strftime("%Y-%m-%d"),
        "province": lambda p: pb_eff.iloc[p].where(f_billed.iloc[p].isna(), po_eff.iloc[p]),
        "weight": lambda p: kg(wb_eff.iloc[p].where(f_billed.iloc[p].isna() | f_zone.iloc[p].isna(), wo_eff.iloc[p])),
    }

    def reasons(template: str, rows: np.ndarray) -> np.ndarray:
        pos = np.flatnonzero(rows)
        values = {name: fields[name](pos).reset_index(drop=True) for name in set(fields_of(template))}
        return fill(template, values, len(pos)).to_numpy()

    parts: list[pd.DataFrame] = []

    def add(kind: str, mask: np.ndarray, stake: np.ndarray, template_key: str | pd.Series) -> None:
        if not mask.any():
            return
        rows = base[mask].copy()
        rows["type"] = kind
        rows["amount_at_stake_fen"] = np.asarray(stake, dtype=np.int64)[mask]
        if isinstance(template_key, str):
            rows["reason"] = reasons(texts[template_key], mask)
        else:
            reason = pd.Series("", index=rows.index, dtype=object)
            keys = template_key[mask]
            for key in keys.unique():
                sub = (template_key == key).to_numpy() & mask
                reason[keys.index[keys == key]] = reasons(texts[key], sub)
            rows["reason"] = reason
        parts.append(rows)

    dup_key = pd.Series(np.where(dup_same, "duplicate_charge_same_bill", "duplicate_charge_earlier_bill"))
    add("duplicate_charge", is_dup, fee_np, dup_key)
    add("unknown_waybill", is_unknown, fee_np, "unknown_waybill")
    add("courier_mismatch", is_mismatch, fee_np, "courier_mismatch")
    add("cancelled_shipment_charged", is_cancelled, fee_np, "cancelled_shipment_charged")
    add("rate_overcharge", is_over, rate_part, "rate_overcharge")
    add("rate_undercharge", is_under, rate_part, "rate_undercharge")
    add("zone_mismatch", is_zone, fb - fz, "zone_mismatch")
    add("weight_overcharge", is_weight, fz - fo, "weight_overcharge")
    no_rate_key = pd.Series(
        np.select([no_card, no_weight, no_dest], ["no_rate_card", "no_rate_weight", "no_rate_destination"], "no_rate_province")
    )
    add("no_rate", is_no_rate, np.zeros(n, dtype=np.int64), no_rate_key)

    parts.append(_not_billed(ships, wb, courier_code, period_start, period_end, texts))
    parts = [p for p in parts if len(p)]
    if parts:
        disc = pd.concat(parts, ignore_index=True)
    else:
        disc = pd.DataFrame(columns=DISCREPANCY_COLUMNS)
    for col in DISCREPANCY_COLUMNS:
        if col not in disc.columns:
            disc[col] = pd.NA
    return CourierFeeResult(lines=line_out, discrepancies=disc[DISCREPANCY_COLUMNS].reset_index(drop=True))


def _not_billed(ships: pd.DataFrame, billed_waybills: pd.Series, courier_code: str, period_start: date, period_end: date, texts: dict[str, str]) -> pd.DataFrame:
    """Our shipments with this courier in the period, not cancelled, with no line in the bill."""
    if not len(ships):
        return pd.DataFrame(columns=DISCREPANCY_COLUMNS)
    s = ships.reset_index()
    shipped = pd.to_datetime(s["shipped_at"])
    start = pd.Timestamp(period_start)
    end = pd.Timestamp(period_end) + pd.Timedelta(days=1)
    mask = (
        (s["courier_code"] == courier_code)
        & (s["status"] != "cancelled")
        & (shipped >= start)
        & (shipped < end)
        & ~s["waybill_no"].isin(billed_waybills)
    ).to_numpy()
    if not mask.any():
        return pd.DataFrame(columns=DISCREPANCY_COLUMNS)
    s = s[mask].reset_index(drop=True)
    count = len(s)
    weight = _ints(s["weight_g"])
    out = pd.DataFrame(
        {
            "type": "not_billed",
            "line_no": pd.Series([pd.NA] * count, dtype="Int64"),
            "waybill_no": s["waybill_no"].astype(str),
            "order_no": s["order_no"].fillna("").astype(str),
            "shipment_id": _ints(s["shipment_id"]),
            "billed_fee_fen": pd.Series([pd.NA] * count, dtype="Int64"),
            "expected_fee_fen": pd.Series([pd.NA] * count, dtype="Int64"),
            "billed_weight_g": pd.Series([pd.NA] * count, dtype="Int64"),
            "expected_weight_g": weight,
            "billed_province": "",
            "expected_province": s["province"].fillna("").astype(str),
            "amount_at_stake_fen": np.zeros(count, dtype=np.int64),
        }
    )
    out["reason"] = fill(
        texts["not_billed"],
        {"shipped_date": pd.to_datetime(s["shipped_at"]).dt.strftime("%Y-%m-%d"), "our_province": out["expected_province"]},
        count,
    ).to_numpy()
    return out
