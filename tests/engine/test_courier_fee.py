"""The courier-fee engine on hand-built frames: every type, exact fen, no database."""
from datetime import date

import numpy as np
import pandas as pd
import pytest

from recon.engine import RateBook, RateCardSpec, reconcile_courier_bill
from recon.engine.courier_fee import SHIPMENT_COLUMNS

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


def card(**kw) -> RateCardSpec:
    bands = pd.DataFrame(
        [
            ("广东", 500, 260), ("广东", 1000, 300), ("广东", 2000, 400), ("广东", 3000, 500),
            ("新疆", 500, 800), ("新疆", 1000, 1000), ("新疆", 3000, 1400),
        ],
        columns=["province", "upper_g", "price_fen"],
    )
    zones = pd.DataFrame([("广东", 1000, 100), ("新疆", 1000, 600)], columns=["province", "step_g", "step_price_fen"])
    base = dict(id=7, effective_from=date(2026, 1, 1), volumetric_divisor=8000, bands=bands, zones=zones)
    base.update(kw)
    return RateCardSpec(**base)


def ship(waybill, courier="ZTO", status="shipped", weight=800, province="广东", when="2026-10-05", dims=(None, None, None), order=None):
    return {
        "shipment_id": abs(hash(waybill)) % 10**6, "waybill_no": waybill, "order_no": order or f"O-{waybill}",
        "courier_code": courier, "status": status, "shipped_at": pd.Timestamp(when), "weight_g": weight,
        "length_mm": dims[0], "width_mm": dims[1], "height_mm": dims[2], "province": province,
    }


def line(no, waybill, fee, weight, province, when="2026-10-06"):
    return {"line_no": no, "waybill_no": waybill, "billed_fee_fen": fee, "billed_weight_g": weight,
            "billed_province": province, "billed_at": pd.Timestamp(when) if when else pd.NaT}


def run(lines, shipments, previous=None, cards=None):
    return reconcile_courier_bill(
        lines=pd.DataFrame(lines),
        shipments=pd.DataFrame(shipments, columns=SHIPMENT_COLUMNS),
        courier_code="ZTO",
        cards=cards if cards is not None else [card()],
        previous=previous,
        period_start=date(2026, 10, 1),
        period_end=date(2026, 10, 31),
    )


def by_waybill(result):
    d = result.discrepancies
    return {(r.waybill_no, r.type): int(r.amount_at_stake_fen) for r in d.itertuples()}


def test_every_type_with_exact_money():
    shipments = [
        ship("W1"), ship("W2"), ship("W3", weight=900), ship("W4", weight=1000), ship("W6", status="cancelled"),
        ship("W7", courier="YTO"), ship("W8"), ship("W9", weight=5200), ship("W10", weight=1000),
        ship("W11", province="西藏"), ship("W12"), ship("W13"), ship("W14", status="cancelled"),
        ship("W15", when="2026-09-30 23:59"), ship("W16", weight=500, dims=(400, 300, 200)),
        ship("W17", weight=1000),
    ]
    lines = [
        line(1, "W1", 300, 800, "广东"),
        line(2, "W2", 350, 800, "广东"),
        line(3, "W3", 500, 2500, "广东"),
        line(4, "W4", 1000, 1000, "新疆"),
        line(5, "W5", 400, 800, "广东"),
        line(6, "W2", 350, 800, "广东"),
        line(7, "W6", 300, 800, "广东"),
        line(8, "W7", 280, 800, "广东"),
        line(9, "W8", 300, 800, "广东"),
        line(10, "W9", 800, 5200, "广东"),
        line(11, "W10", 300, 1000, "广东"),
        line(12, "W11", 900, 800, "西藏"),
        line(13, "W12", 250, 800, "广东"),
        line(14, "W16", 500, 3000, "广东"),
        line(15, "W17", 2000, 2500, "新疆"),
    ]
    previous = pd.DataFrame({"waybill_no": ["W8"], "bill_id": [3]})
    result = run(lines, shipments, previous)
    assert by_waybill(result) == {
        ("W2", "rate_overcharge"): 50,
        ("W3", "weight_overcharge"): 200,
        ("W4", "zone_mismatch"): 700,
        ("W5", "unknown_waybill"): 400,
        ("W2", "duplicate_charge"): 350,
        ("W6", "cancelled_shipment_charged"): 300,
        ("W7", "courier_mismatch"): 280,
        ("W8", "duplicate_charge"): 300,
        ("W11", "no_rate"): 0,
        ("W12", "rate_undercharge"): -50,
        ("W17", "rate_overcharge"): 600,
        ("W17", "zone_mismatch"): 900,
        ("W17", "weight_overcharge"): 200,
        ("W13", "not_billed"): 0,
    }
    res = result.lines.set_index("line_no")
    assert res.loc[1, "result"] == "ok" and res.loc[1, "expected_fee_fen"] == 300
    assert res.loc[11, "result"] == "ok"  # exactly on a band's bound belongs to that band
    assert res.loc[10, "expected_fee_fen"] == 800  # ¥5.00 + 3 started kilograms at ¥1.00
    assert res.loc[14, "our_weight_g"] == 3000  # 40×30×20 cm / 8000 = 3 kg beats 0.5 kg actual
    assert res.loc[12, "result"] == "unchecked"
    assert res.loc[5, "expected_fee_fen"] == 0
    dup = result.discrepancies[result.discrepancies.type == "duplicate_charge"].set_index("waybill_no")
    assert dup.loc["W2", "line_no"] == 6  # the repeat, not the first occurrence
    assert "第" in dup.loc["W2", "reason"] or "line 2" in dup.loc["W2", "reason"]


def test_reasons_name_the_numbers():
    result = run([line(1, "W3", 500, 2500, "广东")], [ship("W3", weight=900)])
    (reason,) = result.discrepancies["reason"]
    assert reason == "Billed weight 2.5 kg, our billable weight 0.9 kg: ¥5.00 instead of ¥3.00 to 广东."


def test_tolerances_absorb_small_differences():
    c = card(fee_tolerance_fen=10, weight_tolerance_g=50)
    result = run([line(1, "W1", 310, 1040, "广东"), line(2, "W2", 311, 800, "广东")], [ship("W1", weight=1000), ship("W2")], cards=[c])
    # W1: 1040 g billed vs 1000 g ours is inside 50 g, but 1040 g is in the 2 kg band: F = ¥4.00, billed ¥3.10 -> under by 90
    assert by_waybill(result) == {("W1", "rate_undercharge"): -90, ("W2", "rate_overcharge"): 11}


def test_no_card_in_force_is_no_rate():
    c = card(effective_from=date(2026, 11, 1))
    result = run([line(1, "W1", 300, 800, "广东")], [ship("W1")], cards=[c])
    d = result.discrepancies.iloc[0]
    assert (d.type, int(d.amount_at_stake_fen)) == ("no_rate", 0)
    assert d.reason == "No rate card of this courier is in force on 2026-10-06; the line cannot be checked."


def test_newest_card_wins_and_card_date_falls_back_to_shipped_at():
    old = card(id=1)
    new = card(id=2, effective_from=date(2026, 10, 1), bands=pd.DataFrame([("广东", 1000, 350)], columns=["province", "upper_g", "price_fen"]))
    result = run([line(1, "W1", 350, 800, "广东", when=None)], [ship("W1", when="2026-10-02")], cards=[old, new])
    assert result.lines.loc[0, "card_id"] == 2
    assert result.lines.loc[0, "result"] == "ok"


def test_missing_bill_weight_and_province_fall_back_to_ours():
    result = run([line(1, "W1", 300, None, "")], [ship("W1")])
    assert result.discrepancies.empty
    assert result.lines.loc[0, "expected_fee_fen"] == 300


def test_rate_book_fee_on_bounds_and_steps():
    book = RateBook([card()])
    idx = np.zeros(6, dtype=np.int64)
    fees = book.fee(idx, pd.Series(["广东"] * 5 + ["江苏"]), pd.Series([1, 500, 501, 3000, 3001, 800]))
    assert fees.tolist()[:5] == [260, 260, 300, 500, 600]
    assert pd.isna(fees.iloc[5])


def test_duplicate_is_the_later_line_number_whatever_the_row_order():
    result = run([line(2, "W1", 500, 800, "广东"), line(1, "W1", 300, 800, "广东")], [ship("W1")])
    d = result.discrepancies
    assert [(int(r.line_no), r.type, int(r.amount_at_stake_fen), r.reason) for r in d.itertuples()] == [
        (2, "duplicate_charge", 500, "Waybill W1 is already billed on line 1 of this bill; this line charges ¥5.00 again."),
    ]
    assert result.lines["result"].tolist() == ["discrepancy", "ok"]
