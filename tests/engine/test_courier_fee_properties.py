"""The courier-fee engine against random rate cards and random bills: four properties, checked on every example.

An independent, deliberately naive pricing (one weight at a time, plain Python) is the oracle the engine's
vectorized arithmetic is held to, to the fen.
"""
from datetime import date

import pandas as pd
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from recon.engine import RateCardSpec, reconcile_courier_bill
from recon.engine.courier_fee import SHIPMENT_COLUMNS, WHOLE_LINE_TYPES

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")

PROVINCES = ["广东", "新疆", "江苏"]
UNPRICED = "火星"  # a province no generated card prices
WAYBILLS = [f"7500000000{i:03d}" for i in range(12)]
# The product's claim types (couriers/kind.py): the ones a clerk disputes with the courier.
CLAIM_TYPES = {"unknown_waybill", "duplicate_charge", "cancelled_shipment_charged", "courier_mismatch",
               "rate_overcharge", "zone_mismatch", "weight_overcharge"}


@st.composite
def rate_cards(draw):
    """One card: 2–3 priced provinces, each with 1–4 bands and maybe a step price above the last band."""
    provinces = draw(st.lists(st.sampled_from(PROVINCES), min_size=2, max_size=3, unique=True))
    bands, zones = [], []
    for province in provinces:
        uppers = sorted(draw(st.lists(st.integers(1, 10_000), min_size=1, max_size=4, unique=True)))
        prices = sorted(draw(st.lists(st.integers(0, 3000), min_size=len(uppers), max_size=len(uppers))))
        bands += [(province, u, p) for u, p in zip(uppers, prices)]
        if draw(st.sampled_from([True, True, True, False])):
            zones.append((province, draw(st.sampled_from([1, 100, 500, 1000, 1500])), draw(st.integers(0, 1000))))
    return RateCardSpec(
        id=1,
        effective_from=date(2026, 1, 1),
        volumetric_divisor=draw(st.sampled_from([None, 0, 5000, 6000, 8000, 12000])),
        weight_tolerance_g=draw(st.sampled_from([0, 0, 10, 100, 500])),
        fee_tolerance_fen=draw(st.sampled_from([0, 0, 1, 50, 200])),
        bands=pd.DataFrame(bands, columns=["province", "upper_g", "price_fen"]),
        zones=pd.DataFrame(zones, columns=["province", "step_g", "step_price_fen"]),
    )


# Mostly present and priced, so that most lines get priced and split; sometimes missing or unpriced.
province_or_none = st.sampled_from(PROVINCES * 6 + [None, UNPRICED])
weight_or_none = st.one_of(st.integers(1, 9_000), st.integers(1, 9_000), st.integers(1, 9_000), st.none())


@st.composite
def shipments(draw):
    rows = []
    missing = draw(st.lists(st.sampled_from(WAYBILLS), unique=True, max_size=2))
    for i, waybill in enumerate(w for w in WAYBILLS if w not in missing):
        dims = draw(st.one_of(st.just((None, None, None)), st.tuples(*[st.integers(1, 800)] * 3)))
        rows.append({
            "shipment_id": i + 1, "waybill_no": waybill, "order_no": f"O-{waybill}",
            "courier_code": draw(st.sampled_from(["ZTO"] * 7 + ["YTO"])),
            "status": draw(st.sampled_from(["shipped"] * 7 + ["cancelled"])),
            "shipped_at": pd.Timestamp(2026, 10, draw(st.integers(1, 31))),
            "weight_g": draw(weight_or_none), "length_mm": dims[0], "width_mm": dims[1], "height_mm": dims[2],
            "province": draw(province_or_none),
        })
    return pd.DataFrame(rows, columns=SHIPMENT_COLUMNS)


@st.composite
def bill_lines(draw):
    rows = []
    for no in range(1, draw(st.integers(3, 8)) + 1):
        rows.append({
            "line_no": no, "waybill_no": draw(st.sampled_from(WAYBILLS)),
            "billed_fee_fen": draw(st.integers(0, 20_000)), "billed_weight_g": draw(weight_or_none),
            "billed_province": draw(province_or_none), "billed_at": pd.Timestamp(2026, 10, draw(st.integers(1, 31))),
        })
    return pd.DataFrame(rows)


def price(card: RateCardSpec, province, weight):
    """F(weight, province) the slow way; None where the card has no price."""
    if province is None or weight is None:
        return None
    bands = sorted((int(u), int(p)) for pr, u, p in card.bands.itertuples(index=False) if pr == province)
    if not bands:
        return None
    for upper, fen in bands:
        if weight <= upper:
            return fen
    step = {pr: (s, sp) for pr, s, sp in card.zones.itertuples(index=False)}.get(province)
    if step is None:
        return None
    step_g, step_fen = step
    over = weight - bands[-1][0]
    return bands[-1][1] + ((over + step_g - 1) // step_g) * step_fen


def billable(card: RateCardSpec, s):
    actual = None if pd.isna(s["weight_g"]) else int(s["weight_g"])
    if not card.volumetric_divisor or any(pd.isna(s[k]) for k in ("length_mm", "width_mm", "height_mm")):
        return actual
    volume = int(s["length_mm"]) * int(s["width_mm"]) * int(s["height_mm"])
    volumetric = -(-volume // card.volumetric_divisor)
    return volumetric if actual is None else max(actual, volumetric)


def present(value):
    return None if value is None or pd.isna(value) else value


def reconcile(card, lines, ships, previous):
    return reconcile_courier_bill(
        lines=lines, shipments=ships, courier_code="ZTO", cards=[card], previous=previous,
        period_start=date(2026, 10, 1), period_end=date(2026, 10, 31),
    )


def canonical(result) -> tuple:
    """The result as a row-order-free value: lines and discrepancies sorted by their keys."""
    lines = result.lines.astype(object).where(result.lines.notna(), None)
    disc = result.discrepancies.astype(object).where(result.discrepancies.notna(), None)
    return (
        sorted(tuple(r) for r in lines.itertuples(index=False)),
        sorted((tuple(str(v) for v in r) for r in disc.itertuples(index=False))),
    )


@settings(max_examples=100, deadline=None)
@given(card=rate_cards(), lines=bill_lines(), ships=shipments(),
       earlier=st.lists(st.sampled_from(WAYBILLS), unique=True, max_size=2), data=st.data())
def test_random_cards_and_bills_keep_the_four_properties(card, lines, ships, earlier, data):
    previous = pd.DataFrame({"waybill_no": earlier, "bill_id": [41] * len(earlier)})
    result = reconcile(card, lines, ships, previous)
    d = result.discrepancies
    on_lines = d[d["line_no"].notna()]
    by_line = {int(no): rows for no, rows in on_lines.groupby("line_no")}
    lines_out = result.lines.set_index("line_no")
    assert sorted(lines_out.index) == sorted(lines["line_no"])
    ship_of = {s["waybill_no"]: s for _, s in ships.iterrows()}
    checked_lines = 0

    for _, ln in lines.iterrows():
        no = int(ln["line_no"])
        rows = by_line.get(no, d.iloc[0:0])
        types = list(rows["type"])
        stake = dict(zip(rows["type"], (int(v) for v in rows["amount_at_stake_fen"])))
        fee = int(ln["billed_fee_fen"])

        # 1. At most one whole-line type, and nothing else beside it.
        whole = [t for t in types if t in WHOLE_LINE_TYPES]
        assert len(whole) <= 1
        if whole:
            assert types == whole
            event(f"a line is {whole[0]}")
            assert stake[whole[0]] == fee
            assert lines_out.loc[no, "expected_fee_fen"] == 0
            continue
        s = ship_of[ln["waybill_no"]]
        assert s["courier_code"] == "ZTO" and s["status"] != "cancelled"
        assert len(types) == len(set(types))

        ours_w, billed_w = present(billable(card, s)), present(ln["billed_weight_g"])
        ours_p, billed_p = present(s["province"]), present(ln["billed_province"])
        wb, wo = billed_w if billed_w is not None else ours_w, ours_w if ours_w is not None else billed_w
        pb, po = billed_p if billed_p is not None else ours_p, ours_p if ours_p is not None else billed_p
        f_billed, f_zone, f_ours = price(card, pb, wb), price(card, po, wb), price(card, po, wo)

        if None in (f_billed, f_zone, f_ours):
            event("a line is no_rate")
            assert types == ["no_rate"]
            assert stake == {"no_rate": 0}
            assert lines_out.loc[no, "result"] == "unchecked"
            assert pd.isna(lines_out.loc[no, "expected_fee_fen"])
            continue
        checked_lines += 1
        assert int(lines_out.loc[no, "expected_fee_fen"]) == f_ours

        # 2. The parts add up exactly to fee − F(our weight, our province); a part is left out only when a
        #    tolerance absorbs it, the provinces agree, or the bill does not weigh more than we do.
        parts = {"rate": fee - f_billed, "zone": f_billed - f_zone, "weight": f_zone - f_ours}
        assert sum(parts.values()) == fee - f_ours
        rate_type = [t for t in types if t in ("rate_overcharge", "rate_undercharge")]
        recorded = {"rate": stake[rate_type[0]] if rate_type else None,
                    "zone": stake.get("zone_mismatch"), "weight": stake.get("weight_overcharge")}
        for name, amount in recorded.items():
            if amount is not None:
                assert amount == parts[name]
        if recorded["rate"] is None:
            assert abs(parts["rate"]) <= card.fee_tolerance_fen
        else:
            assert rate_type == ["rate_overcharge" if parts["rate"] > 0 else "rate_undercharge"]
            assert abs(parts["rate"]) > card.fee_tolerance_fen
        assert (recorded["zone"] is not None) == (billed_p is not None and ours_p is not None and billed_p != ours_p)
        if recorded["zone"] is None:
            assert parts["zone"] == 0
        weighs_more = billed_w is not None and ours_w is not None and billed_w > ours_w + card.weight_tolerance_g
        assert (recorded["weight"] is not None) == weighs_more
        unrecorded = sum(parts[name] for name, amount in recorded.items() if amount is None)
        assert sum(a for a in recorded.values() if a is not None) + unrecorded == fee - f_ours
        assert set(types) <= {"rate_overcharge", "rate_undercharge", "zone_mismatch", "weight_overcharge"}
        assert lines_out.loc[no, "result"] == ("discrepancy" if types else "ok")

    event(f"lines priced and split into parts: {min(checked_lines, 3)}{'+' if checked_lines >= 3 else ''}")
    event(f"claims with money at stake: {'yes' if ((d['amount_at_stake_fen'] > 0) & d['type'].isin(CLAIM_TYPES)).any() else 'no'}")

    # 3. Every claim has money at stake > 0: a claim type with nothing (or less than nothing) at stake is a
    #    zone or weight difference that costs us nothing, or a whole line billed at ¥0.
    for r in d.itertuples():
        if r.type in CLAIM_TYPES and int(r.amount_at_stake_fen) <= 0:
            assert r.type in ("zone_mismatch", "weight_overcharge") or (
                r.type in WHOLE_LINE_TYPES and int(r.billed_fee_fen) == 0), r
    assert (d.loc[d["type"] == "rate_overcharge", "amount_at_stake_fen"] > 0).all()
    assert (d.loc[d["type"] == "rate_undercharge", "amount_at_stake_fen"] < 0).all()
    assert (d.loc[d["type"].isin(["no_rate", "not_billed"]), "amount_at_stake_fen"] == 0).all()

    # 4. Row order does not matter: shuffled bill lines, shipments and earlier bills give the same result.
    shuffled = reconcile(
        card,
        lines.iloc[data.draw(st.permutations(range(len(lines))))].reset_index(drop=True),
        ships.iloc[data.draw(st.permutations(range(len(ships))))].reset_index(drop=True),
        previous.iloc[::-1].reset_index(drop=True),
    )
    assert canonical(shuffled) == canonical(result)
