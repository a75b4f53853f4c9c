"""The outbound engine on hand-built frames: every type with its exact row, the bounds to the second, the quantity
arithmetic rounded once, and the per-waybill check agreeing with the full run."""
from datetime import date, datetime, timedelta
from fractions import Fraction

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recon.engine import RateBook, RateCardSpec
from recon.engine.outbound import (
    DISCREPANCY_COLUMNS, LINE_COLUMNS, ORDER_COLUMNS, OUTBOUND_COLUMNS, PICKUP_COLUMNS, PLATFORM_COLUMNS, TYPES,
    PARCEL_TYPES, WAYBILL_TYPES, check_waybills, reconcile_outbound, round_div,
)

OCT_1, OCT_31 = date(2026, 10, 1), date(2026, 10, 31)
LATE = datetime(2026, 11, 15, 9, 0)
Q = "outbound_quantity_mismatch"
T = pd.Timestamp


def order(no, status="paid", paid="2026-10-05 10:00", shipped=None, platform="TMALL"):
    return {"platform_code": platform, "order_no": no, "status": status, "paid_at": T(paid),
            "shipped_at": T(shipped) if shipped else pd.NaT}


def line(no, sku="A", qty=1, fen=1000, platform="TMALL"):
    return {"platform_code": platform, "order_no": no, "sku": sku, "quantity": qty, "line_fen": fen}


def ob(outbound_no, order_no, sku="A", qty=1, waybill=None, courier="ZTO", packed=1000, at="2026-10-05 12:00",
       province="广东", warehouse="杭州仓"):
    return {"outbound_no": outbound_no, "order_no": order_no, "sku": sku, "quantity": qty,
            "waybill_no": f"W-{outbound_no}" if waybill is None else waybill, "courier_code": courier,
            "packed_weight_g": packed, "outbound_at": T(at), "warehouse": warehouse, "province": province}


def pk(waybill, at="2026-10-05 15:00", weight=1000, courier="ZTO", site="杭州滨江"):
    return {"courier_code": courier, "waybill_no": waybill, "picked_up_at": T(at), "pickup_weight_g": weight, "site": site}


def frame(rows, columns):
    df = pd.DataFrame(list(rows), columns=columns)
    for c in ("packed_weight_g", "pickup_weight_g"):
        if c in columns:
            df[c] = pd.array(df[c], dtype="Int64")
    for c in ("paid_at", "shipped_at", "outbound_at", "picked_up_at"):
        if c in columns:
            df[c] = pd.to_datetime(df[c])
    return df


def card() -> RateBook:
    bands = pd.DataFrame([("广东", 1000, 600), ("广东", 3000, 900)], columns=["province", "upper_g", "price_fen"])
    return RateBook([RateCardSpec(id=1, effective_from=date(2026, 1, 1), bands=bands)])


def run(orders=(), lines=(), outbounds=(), pickups=(), *, start=OCT_1, end=OCT_31, as_of=LATE, grace=24, ship_within=48,
        tolerance=None, rates=None, texts=None):
    return reconcile_outbound(
        orders=frame(orders, ORDER_COLUMNS), order_lines=frame(lines, LINE_COLUMNS),
        outbounds=frame(outbounds, OUTBOUND_COLUMNS), pickups=frame(pickups, PICKUP_COLUMNS),
        platforms=frame([{"code": "TMALL", "ship_within_hours": ship_within}, {"code": "JD", "ship_within_hours": 24}],
                        PLATFORM_COLUMNS),
        start=start, end=end, as_of=as_of, pickup_grace_hours=grace, tolerance_g=tolerance, rates=rates, texts=texts)


def rows(result, *types):
    d = result.discrepancies
    if types:
        d = d[d["type"].isin(types)]
    return [(r.type, r.ref, r.ref2, r.sku, r.amount_fen, r.is_claim) for r in d.itertuples()]


def one(result, kind):
    d = result.discrepancies
    d = d[d["type"] == kind]
    assert len(d) == 1, rows(result)
    return d.iloc[0]


# ---------------------------------------------------------------------------------------------------- order types

def test_order_not_shipped_is_late_only_strictly_after_the_hours_allowed():
    orders = [order("O1", paid="2026-10-05 10:00:00")]
    assert rows(run(orders, as_of=datetime(2026, 10, 7, 10, 0, 0)), "order_not_shipped") == []
    r = run(orders, as_of=datetime(2026, 10, 7, 10, 0, 1))
    assert rows(r) == [("order_not_shipped", "O1", "", "", 0, False)]
    d = one(r, "order_not_shipped")
    assert (d.platform_code, d.occurred_on, d.paid_at, d.ship_within_hours, d.hours_late, d.order_status) == (
        "TMALL", date(2026, 10, 5), "2026-10-05 10:00:00", 48, 1, "paid")
    assert d.reason == ("Order O1 (TMALL) was paid at 2026-10-05 10:00 and nothing had left the warehouse for it by "
                        "2026-10-07 10:00:01: 1 h past the 48 h allowed.")


def test_order_not_shipped_uses_each_platforms_hours_and_ignores_shipped_closed_and_sent_orders():
    orders = [order("J1", platform="JD"), order("T1"), order("C1", status="closed"), order("S1"),
              order("X1", status="shipped", shipped="2026-10-05 11:00")]
    r = run(orders, [line("S1")], [ob("OB1", "S1")], as_of=datetime(2026, 10, 6, 10, 0, 1))
    assert rows(r, "order_not_shipped") == [("order_not_shipped", "J1", "", "", 0, False)]


def test_order_not_shipped_counts_only_outbounds_at_or_before_as_of():
    orders = [order("O1", paid="2026-10-05 10:00")]
    sent_later = [ob("OB1", "O1", at="2026-10-08 09:00")]
    r = run(orders, [line("O1")], sent_later, as_of=datetime(2026, 10, 8, 8, 59))
    assert rows(r, "order_not_shipped") == [("order_not_shipped", "O1", "", "", 0, False)]
    assert rows(run(orders, [line("O1")], sent_later, as_of=datetime(2026, 10, 8, 9, 0)), "order_not_shipped") == []


def test_orders_judged_are_those_paid_in_the_range():
    orders = [order("SEP", paid="2026-09-30 23:59:59"), order("OCT1", paid="2026-10-01 00:00:00"),
              order("OCT31", paid="2026-10-31 23:59:59"), order("NOV", paid="2026-11-01 00:00:00")]
    assert [r[1] for r in rows(run(orders), "order_not_shipped")] == ["OCT1", "OCT31"]


def test_shipped_not_outbound_for_shipped_and_completed_orders_without_an_outbound():
    orders = [order("O1", status="shipped", shipped="2026-10-06 09:00"), order("O2", status="completed"),
              order("O3", status="shipped"), order("O4", status="shipped", shipped="2026-11-20 09:00")]
    r = run(orders, [line("O3")], [ob("OB3", "O3")], [pk("W-OB3")], as_of=datetime(2026, 11, 1, 9, 0))
    assert rows(r) == [("order_not_shipped", "O4", "", "", 0, False),
                       ("shipped_not_outbound", "O1", "", "", 0, False), ("shipped_not_outbound", "O2", "", "", 0, False)]
    d = r.discrepancies.set_index("ref")
    assert d.loc["O1", "occurred_on"] == date(2026, 10, 6) and d.loc["O2", "occurred_on"] == date(2026, 10, 5)
    assert d.loc["O1", "reason"] == ("TMALL says order O1 was shipped, but the warehouse had no outbound record for it by "
                                     "2026-11-01 09:00.")
    assert d.loc["O2", "reason"] == ("TMALL says order O2 was completed, but the warehouse had no outbound record for it "
                                     "by 2026-11-01 09:00.")
    # Shipped after as_of: at as_of the platform still said paid, so it is judged as not shipped.
    assert d.loc["O4", "order_status"] == "paid"


# ---------------------------------------------------------------------------------------------------- quantities

def test_quantity_more_sent_than_ordered_is_a_claim_at_the_ordered_unit_price():
    r = run([order("O1")], [line("O1", "A", 2, 2000)], [ob("OB1", "O1", "A", 3)])
    assert rows(r, Q) == [("outbound_quantity_mismatch", "O1", "", "A", 1000, True)]
    d = one(r, "outbound_quantity_mismatch")
    assert (d.theirs_fen, d.ours_fen, d.ordered_qty, d.sent_qty, d.line_fen, d.unit_price_fen, d.outbound_nos,
            d.occurred_on, d.platform_code) == (3000, 2000, 2, 3, 2000, 1000, "OB1", date(2026, 10, 5), "TMALL")
    assert d.reason == "Order O1: 2 × A ordered for ¥20.00, 3 left the warehouse; the 1 more are worth ¥10.00."
    assert r.summary["claim_fen"] == 1000 and r.summary["claims"] == 1


def test_quantity_less_sent_is_information_with_a_negative_amount():
    r = run([order("O1")], [line("O1", "A", 3, 3000), line("O1", "B", 1, 500)], [ob("OB1", "O1", "A", 1)])
    assert rows(r, Q) == [("outbound_quantity_mismatch", "O1", "", "A", -2000, False),
                       ("outbound_quantity_mismatch", "O1", "", "B", -500, False)]
    assert one(run([order("O1")], [line("O1", "A", 3, 3000)], [ob("OB1", "O1", "A", 1)]), "outbound_quantity_mismatch").reason == (
        "Order O1: 3 × A ordered for ¥30.00, 1 left the warehouse; the 2 fewer are worth ¥20.00.")


def test_partial_shipments_of_one_order_are_summed_over_its_outbounds():
    lines = [line("O1", "A", 3, 3000)]
    whole = [ob("OB2", "O1", "A", 1, at="2026-10-06 08:00"), ob("OB1", "O1", "A", 2)]
    assert rows(run([order("O1")], lines, whole), Q) == []
    short = run([order("O1")], lines, whole[:1])
    assert rows(short, Q) == [("outbound_quantity_mismatch", "O1", "", "A", -2000, False)]
    over = run([order("O1")], lines, whole + [ob("OB3", "O1", "A", 1, at="2026-10-07 08:00")])
    d = one(over, "outbound_quantity_mismatch")
    assert (d.amount_fen, d.outbound_nos, d.occurred_on) == (1000, "OB1,OB2,OB3", date(2026, 10, 7))


def test_quantity_rounded_once_to_the_fen():
    # 1000 fen for 3: one more is 333.33… → 333, one fewer −333; 1001 fen for 2: 500.5 → 501 and −501 (away from 0).
    assert rows(run([order("O1")], [line("O1", "A", 3, 1000)], [ob("OB1", "O1", "A", 4)]), Q)[0][4] == 333
    assert rows(run([order("O1")], [line("O1", "A", 3, 1000)], [ob("OB1", "O1", "A", 2)]), Q)[0][4] == -333
    assert rows(run([order("O1")], [line("O1", "A", 2, 1001)], [ob("OB1", "O1", "A", 3)]), Q)[0][4] == 501
    assert rows(run([order("O1")], [line("O1", "A", 2, 1001)], [ob("OB1", "O1", "A", 1)]), Q)[0][4] == -501
    # Once, not per unit: 2 more at 1000/3 are 666.67 → 667 (333 twice would be 666).
    assert rows(run([order("O1")], [line("O1", "A", 3, 1000)], [ob("OB1", "O1", "A", 5)]), Q)[0][4] == 667


def test_round_div_halves_away_from_zero():
    assert list(round_div([1, -1, 3, -3, 5, -5, 1000, 7], [2, 2, 2, 2, 4, 4, 3, 0])) == [1, -1, 2, -2, 1, -1, 333, 0]


def test_closed_order_everything_sent_counts_as_ordered_zero_and_an_unsent_item_is_nothing():
    lines = [line("O1", "A", 2, 2000), line("O1", "B", 1, 700)]
    r = run([order("O1", status="closed")], lines, [ob("OB1", "O1", "A", 1)])
    assert rows(r, Q) == [("outbound_quantity_mismatch", "O1", "", "A", 1000, True)]
    d = one(r, "outbound_quantity_mismatch")
    assert (d.theirs_fen, d.ours_fen, d.ordered_qty, d.sent_qty, d.order_status) == (1000, 0, 2, 1, "closed")
    assert d.reason == "Order O1 is closed, yet 1 × A left the warehouse; 2 were ordered for ¥20.00: ¥10.00."
    # Closed and nothing sent: no outbound record, nothing reported at all.
    assert rows(run([order("O2", status="closed")], [line("O2")])) == []


def test_an_sku_the_order_lacks_is_ordered_zero_at_price_zero():
    r = run([order("O1")], [line("O1", "A", 1, 1000)], [ob("OB1", "O1", "A", 1), ob("OB1", "O1", "Z", 2)])
    assert rows(r, Q) == [("outbound_quantity_mismatch", "O1", "", "Z", 0, False)]
    d = one(r, "outbound_quantity_mismatch")
    assert (d.ordered_qty, d.sent_qty, d.line_fen, d.unit_price_fen, d.theirs_fen, d.ours_fen) == (0, 2, 0, 0, 0, 0)
    assert d.reason == "Order O1 has no Z, yet 2 left the warehouse for it."


def test_two_platforms_with_one_order_number_are_both_matched_to_its_outbounds():
    orders = [order("O1"), order("O1", platform="JD")]
    lines = [line("O1", "A", 1, 1000), line("O1", "A", 2, 3000, platform="JD")]
    r = run(orders, lines, [ob("OB1", "O1", "A", 2)], as_of=datetime(2026, 10, 20))
    assert [(x.type, x.ref, x.platform_code, x.amount_fen) for x in r.discrepancies.itertuples() if x.type == Q] == [
        ("outbound_quantity_mismatch", "O1", "TMALL", 1000)]
    r = run(orders, lines, [ob("OB1", "O1", "A", 3)], as_of=datetime(2026, 10, 20))
    assert [(x.platform_code, x.amount_fen) for x in r.discrepancies.itertuples() if x.type == Q] == [("JD", 1500), ("TMALL", 2000)]
    assert r.summary["count_by_type"]["order_not_shipped"] == 0


def test_order_lines_of_one_sku_are_summed():
    r = run([order("O1")], [line("O1", "A", 1, 1000), line("O1", "A", 2, 1001)], [ob("OB1", "O1", "A", 4)])
    # 2001 fen for 3, one more: 667.
    assert rows(r, Q) == [("outbound_quantity_mismatch", "O1", "", "A", 667, True)]


# ---------------------------------------------------------------------------------------------------- unknown orders

def test_outbound_unknown_order_once_per_outbound_and_order_number_in_the_range():
    outbounds = [ob("OB1", "NOPE", "A"), ob("OB1", "NOPE", "B"), ob("OB1", "O1"), ob("OB0", "GONE", at="2026-09-30 23:00"),
                 ob("OB2", "OLD")]
    orders = [order("O1"), order("OLD", paid="2026-08-01 10:00", status="completed")]
    r = run(orders, [line("O1"), line("OLD")], outbounds, pickups=[pk("W-OB1"), pk("W-OB2"), pk("W-OB0", at="2026-09-30 23:30")])
    assert rows(r) == [("outbound_unknown_order", "OB1", "NOPE", "", 0, False)]
    d = one(r, "outbound_unknown_order")
    assert (d.outbound_no, d.waybill_no, d.courier_code, d.occurred_on, d.outbound_at) == (
        "OB1", "W-OB1", "ZTO", date(2026, 10, 5), "2026-10-05 12:00:00")
    assert d.reason == "Outbound OB1 of 2026-10-05 12:00 ships order NOPE, which is none of our orders."


# ---------------------------------------------------------------------------------------------------- waybills

def test_waybill_reused_lists_each_outbound_after_the_earliest_by_time_then_number():
    outbounds = [ob("OB1", "O1", waybill="W9", at="2026-10-05 10:00"), ob("OB2", "O2", waybill="W9", at="2026-10-05 10:00"),
                 ob("OB3", "O3", waybill="W9", at="2026-10-05 09:00"),
                 ob("OB4", "O4", waybill="W9", courier="YTO", at="2026-10-05 09:00")]
    orders = [order(f"O{i}") for i in range(1, 5)]
    r = run(orders, [line(f"O{i}") for i in range(1, 5)], outbounds, [pk("W9"), pk("W9", courier="YTO")])
    assert rows(r) == [("waybill_reused", "W9", "OB1", "", 0, False), ("waybill_reused", "W9", "OB2", "", 0, False)]
    d = one(run(orders[:2], [line("O1"), line("O2")], outbounds[:2], [pk("W9")]), "waybill_reused")
    assert (d.ref2, d.first_outbound_no, d.courier_code, d.first_outbound_at) == ("OB2", "OB1", "ZTO", "2026-10-05 10:00:00")
    assert d.reason == ("Waybill W9 (ZTO) is on outbound OB2 of 2026-10-05 10:00, but outbound OB1 of 2026-10-05 10:00 "
                        "already used it.")


def test_one_outbound_carrying_several_orders_is_not_a_reuse_and_its_ref_is_its_smallest_order_number():
    # "O10" < "O9" as text.
    outbounds = [ob("OB1", "O9", waybill="W1"), ob("OB1", "O10", waybill="W1"), ob("OB1", "O9", "B", waybill="W1")]
    r = run([order("O9"), order("O10")], [line("O9"), line("O9", "B"), line("O10")], outbounds)
    assert rows(r) == [("outbound_not_picked_up", "O10", "W1", "", 0, False)]


def test_waybill_reused_judges_outbounds_dated_in_range_against_earlier_ones():
    outbounds = [ob("OB1", "O1", waybill="W1", at="2026-09-30 10:00"), ob("OB2", "O2", waybill="W1", at="2026-10-01 10:00")]
    scans = [pk("W1", at="2026-09-30 11:00")]
    r = run([order("O1", paid="2026-09-30 09:00"), order("O2", paid="2026-10-01 09:00")], [line("O1"), line("O2")], outbounds, scans)
    assert rows(r) == [("waybill_reused", "W1", "OB2", "", 0, False)]
    assert rows(run([order("O1", paid="2026-09-30 09:00"), order("O2", paid="2026-10-01 09:00")], [line("O1"), line("O2")], outbounds, scans,
                    end=date(2026, 9, 30), start=date(2026, 9, 1))) == []


# ---------------------------------------------------------------------------------------------------- pickups

def _parcel(at="2026-10-05 12:00:00", **kw):
    return [order("O1")], [line("O1")], [ob("OB1", "O1", waybill="W1", at=at, **kw)]


def test_outbound_not_picked_up_is_reported_once_its_grace_has_ended():
    o, lines, b = _parcel()
    assert rows(run(o, lines, b, as_of=datetime(2026, 10, 6, 11, 59, 59))) == []
    r = run(o, lines, b, as_of=datetime(2026, 10, 6, 12, 0, 0))
    assert rows(r) == [("outbound_not_picked_up", "O1", "W1", "", 0, False)]
    d = one(r, "outbound_not_picked_up")
    assert (d.outbound_no, d.waybill_no, d.courier_code, d.grace_hours, d.occurred_on, d.picked_up_at) == (
        "OB1", "W1", "ZTO", 24, date(2026, 10, 5), "")
    assert pd.isna(d.hours_late)
    assert d.reason == ("Outbound OB1 left the warehouse at 2026-10-05 12:00 with waybill W1; ZTO had not scanned it by "
                        "2026-10-06 12:00 (24 h allowed).")


def test_a_scan_exactly_at_the_grace_end_or_before_outbound_at_is_in_time():
    o, lines, b = _parcel()
    assert rows(run(o, lines, b, [pk("W1", at="2026-10-06 12:00:00")])) == []
    assert rows(run(o, lines, b, [pk("W1", at="2026-10-05 11:00:00")])) == []


def test_a_scan_one_second_after_the_grace_end_is_late():
    o, lines, b = _parcel()
    r = run(o, lines, b, [pk("W1", at="2026-10-06 12:00:01")])
    assert rows(r) == [("outbound_not_picked_up", "O1", "W1", "", 0, False)]
    d = one(r, "outbound_not_picked_up")
    assert (d.picked_up_at, d.hours_late) == ("2026-10-06 12:00:01", 1)
    assert d.reason == ("Outbound OB1 left the warehouse at 2026-10-05 12:00 with waybill W1; ZTO first scanned it at "
                        "2026-10-06 12:00, 1 h past the 24 h allowed.")


def test_a_scan_of_another_courier_does_not_pick_up_the_parcel():
    o, lines, b = _parcel()
    assert rows(run(o, lines, b, [pk("W1", courier="YTO", at="2026-10-01 10:00")]), "outbound_not_picked_up") == [
        ("outbound_not_picked_up", "O1", "W1", "", 0, False)]


def test_picked_up_not_outbound_after_the_grace_of_the_scan():
    scans = [pk("W7", at="2026-10-10 08:00:00", weight=1200)]
    assert rows(run(pickups=scans, as_of=datetime(2026, 10, 11, 7, 59, 59))) == []
    r = run(pickups=scans, as_of=datetime(2026, 10, 11, 8, 0, 0))
    assert rows(r) == [("picked_up_not_outbound", "W7", "", "", 0, False)]
    d = one(r, "picked_up_not_outbound")
    assert (d.courier_code, d.waybill_no, d.site, d.picked_up_at, d.pickup_weight_g, d.occurred_on) == (
        "ZTO", "W7", "杭州滨江", "2026-10-10 08:00:00", 1200, date(2026, 10, 10))
    assert d.reason == ("ZTO scanned waybill W7 at 2026-10-10 08:00, and no outbound had that waybill by 2026-10-11 08:00 "
                        "(24 h allowed).")


def test_picked_up_not_outbound_judges_scans_dated_in_range_and_known_waybills_of_any_date():
    o, lines, b = _parcel(at="2026-09-29 12:00")
    scans = [pk("W1", at="2026-10-01 08:00"), pk("W8", at="2026-09-30 23:59:59"), pk("W9", at="2026-11-01 00:00:00")]
    assert rows(run([order("O1", paid="2026-09-29 10:00")], lines, b, scans)) == []


def test_pickup_weight_mismatch_above_the_tolerance_priced_on_the_card():
    o, lines, b = _parcel(packed=1000)
    assert rows(run(o, lines, b, [pk("W1", weight=1050)], rates={"ZTO": card()})) == []
    r = run(o, lines, b, [pk("W1", weight=1051, at="2026-10-05 18:00")], rates={"ZTO": card()})
    assert rows(r) == [("pickup_weight_mismatch", "O1", "W1", "", 300, False)]
    d = one(r, "pickup_weight_mismatch")
    assert (d.theirs_fen, d.ours_fen, d.packed_weight_g, d.pickup_weight_g, d.tolerance_g, d.province, d.site,
            d.occurred_on, d.outbound_no) == (900, 600, 1000, 1051, 50, "广东", "杭州滨江", date(2026, 10, 5), "OB1")
    assert d.reason == ("ZTO weighed waybill W1 at 1.051 kg at pickup; outbound OB1 was packed at 1 kg (50 g tolerance). "
                        "The bill should charge ¥3.00 more: ¥9.00 instead of ¥6.00.")
    assert r.summary["claim_fen"] == 0 and r.summary["fen_by_type"]["pickup_weight_mismatch"] == 300


def test_pickup_weight_mismatch_uses_the_couriers_tolerance_and_is_zero_without_card_or_province():
    o, lines, b = _parcel(packed=1000)
    assert rows(run(o, lines, b, [pk("W1", weight=1100)], tolerance={"ZTO": 100})) == []
    r = run(o, lines, b, [pk("W1", weight=1101)], tolerance={"ZTO": 100})
    d = one(r, "pickup_weight_mismatch")
    assert (d.amount_fen, d.tolerance_g) == (0, 100) and pd.isna(d.theirs_fen) and pd.isna(d.ours_fen)
    assert d.reason == ("ZTO weighed waybill W1 at 1.101 kg at pickup; outbound OB1 was packed at 1 kg (100 g tolerance). "
                        "No rate card or destination province prices the difference.")
    o, lines, b = _parcel(packed=1000, province="")
    assert one(run(o, lines, b, [pk("W1", weight=2000)], rates={"ZTO": card()}), "pickup_weight_mismatch").amount_fen == 0


def test_no_weight_no_mismatch():
    o, lines, b = _parcel(packed=None)
    assert rows(run(o, lines, b, [pk("W1", weight=5000)])) == []
    o, lines, b = _parcel()
    assert rows(run(o, lines, b, [pk("W1", weight=None)])) == []


def test_records_after_as_of_are_not_evidence_yet():
    o, lines, b = _parcel(packed=1000)
    heavy = [pk("W1", weight=2000, at="2026-10-05 18:00:00")]
    assert rows(run(o, lines, b, heavy, as_of=datetime(2026, 10, 5, 17, 59, 59))) == []
    assert rows(run(o, lines, b, heavy, as_of=datetime(2026, 10, 5, 18, 0, 0))) == [
        ("pickup_weight_mismatch", "O1", "W1", "", 0, False)]
    stray = [ob("OB9", "NOPE", at="2026-10-05 18:00:00")]
    assert rows(run(outbounds=stray, pickups=[pk("W-OB9")], as_of=datetime(2026, 10, 5, 17, 59, 59))) == []
    assert rows(run(outbounds=stray, pickups=[pk("W-OB9")], as_of=datetime(2026, 10, 5, 18, 0, 0))) == [
        ("outbound_unknown_order", "OB9", "NOPE", "", 0, False)]


def test_an_as_of_day_means_the_whole_day():
    r = run([order("O1", paid="2026-10-05 23:59:59")], as_of=date(2026, 10, 7))
    assert rows(r) == [("order_not_shipped", "O1", "", "", 0, False)]
    assert one(r, "order_not_shipped").reason.endswith("by 2026-10-07: 1 h past the 48 h allowed.")
    assert rows(run([order("O1", paid="2026-10-06 00:00:00")], as_of=date(2026, 10, 7))) == []


# ---------------------------------------------------------------------------------------------------- the result

def test_empty_inputs_give_every_column_and_zero_totals():
    r = run()
    assert list(r.discrepancies.columns) == DISCREPANCY_COLUMNS and len(r.discrepancies) == 0
    assert r.summary["count_by_type"] == {k: 0 for k in TYPES} and r.summary["claim_fen"] == 0


def test_texts_replace_the_reasons():
    r = run([order("O1")], texts={"order_not_shipped": "订单 {order_no} 超时未发货"})
    assert one(r, "order_not_shipped").reason == "订单 O1 超时未发货"


def test_summary_counts():
    o, lines, b = _parcel()
    r = run(o + [order("O2")], lines, b, [pk("W1"), pk("W5")], as_of=datetime(2026, 10, 20))
    assert {k: v for k, v in r.summary["count_by_type"].items() if v} == {"order_not_shipped": 1, "picked_up_not_outbound": 1}
    assert (r.summary["orders"], r.summary["orders_shipped"], r.summary["outbounds"], r.summary["outbounds_picked_up"],
            r.summary["pickups"]) == (2, 1, 1, 1, 2)


# ---------------------------------------------------------------------------------------------------- per waybill

def _check(outbounds, pickups, waybills, **kw):
    return check_waybills(outbounds=frame(outbounds, OUTBOUND_COLUMNS), pickups=frame(pickups, PICKUP_COLUMNS),
                          waybills=waybills, **kw)


def test_check_waybills_gives_the_full_runs_rows_for_those_waybills():
    outbounds = [ob("OB1", "O1", waybill="W1", at="2026-10-05 10:00"), ob("OB2", "O2", waybill="W1", at="2026-10-05 11:00"),
                 ob("OB3", "O3", waybill="W3", packed=500)]
    pickups = [pk("W1", weight=1200), pk("W3", weight=900)]
    full = run([order(f"O{i}") for i in (1, 2, 3)], [line(f"O{i}") for i in (1, 2, 3)], outbounds, pickups,
               rates={"ZTO": card()}).discrepancies
    got = _check(outbounds, pickups, [("ZTO", "W1")], as_of=LATE, rates={"ZTO": card()}, start=OCT_1, end=OCT_31)
    want = full[full["type"].isin(WAYBILL_TYPES) & (full["waybill_no"] == "W1")].reset_index(drop=True)
    pd.testing.assert_frame_equal(got.discrepancies, want)
    assert rows(got) == [("waybill_reused", "W1", "OB2", "", 0, False), ("pickup_weight_mismatch", "O1", "W1", "", 300, False),
                         ("pickup_weight_mismatch", "O2", "W1", "", 300, False)]
    assert rows(_check(outbounds, pickups, [("ZTO", "W3")], as_of=LATE)) == [("pickup_weight_mismatch", "O3", "W3", "", 0, False)]
    assert rows(_check(outbounds, pickups, [], as_of=LATE)) == []


def test_check_waybills_with_the_grace_types_for_the_periodic_check():
    outbounds = [ob("OB1", "O1", waybill="W1", at="2026-10-05 10:00"), ob("OB2", "O2", waybill="W2", at="2026-10-05 10:00")]
    pickups = [pk("W2", at="2026-10-06 10:00:01"), pk("W5", at="2026-10-05 09:00")]
    as_of = datetime(2026, 10, 6, 10, 0, 1)
    full = run([order("O1"), order("O2")], [line("O1"), line("O2")], outbounds, pickups, as_of=as_of).discrepancies
    assert rows(run([order("O1"), order("O2")], [line("O1"), line("O2")], outbounds, pickups, as_of=as_of)) == [
        ("outbound_not_picked_up", "O1", "W1", "", 0, False), ("outbound_not_picked_up", "O2", "W2", "", 0, False),
        ("picked_up_not_outbound", "W5", "", "", 0, False)]
    got = _check(outbounds, pickups, [("ZTO", "W2"), ("ZTO", "W5")], as_of=as_of, kinds=PARCEL_TYPES, pickup_grace_hours=24,
                 start=OCT_1, end=OCT_31)
    pd.testing.assert_frame_equal(got.discrepancies, full[full["waybill_no"].isin(["W2", "W5"])].reset_index(drop=True))


# ---------------------------------------------------------------------------------------------------- properties

def _half_away(x: Fraction) -> int:
    n = abs(x.numerator) * 2 + x.denominator
    return (1 if x >= 0 else -1) * (n // (2 * x.denominator))


item = st.tuples(st.sampled_from("ABC"), st.integers(0, 5), st.integers(0, 5), st.integers(0, 10**7))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["paid", "shipped", "closed"]), st.lists(item, min_size=1, max_size=4)),
                min_size=1, max_size=6))
def test_quantity_stakes_are_the_exact_totals_rounded_per_sku(orders_items):
    orders, lines, outbounds, want = [], [], [], {}
    for i, (status, items) in enumerate(orders_items):
        no = f"O{i}"
        orders.append(order(no, status=status))
        per_sku = {}
        for sku, ordered, sent, fen in items:
            o_q, o_f, s_q = per_sku.get(sku, (0, 0, 0))
            per_sku[sku] = (o_q + ordered, o_f + (fen if ordered else 0), s_q + sent)
            if ordered:
                lines.append(line(no, sku, ordered, fen))
            if sent:
                outbounds.append(ob(f"OB{i}{sku}{len(outbounds)}", no, sku, sent))
        if not any(s for _, _, s in per_sku.values()):
            continue
        for sku, (o_q, o_f, s_q) in per_sku.items():
            ours_q = 0 if status == "closed" else o_q
            if s_q != ours_q:
                want[(no, sku)] = _half_away(Fraction((s_q - ours_q) * o_f, o_q)) if o_q else 0
    r = run(orders, lines, outbounds, pickups=[pk(b["waybill_no"]) for b in outbounds])
    d = r.discrepancies[r.discrepancies["type"] == "outbound_quantity_mismatch"]
    assert dict(zip(zip(d["ref"], d["sku"]), d["amount_fen"])) == want
    assert r.summary["fen_by_type"]["outbound_quantity_mismatch"] == sum(want.values())


# Few waybills and couriers, so that reuse, scans in and out of the grace and heavy scans are frequent.
parcel = st.tuples(st.sampled_from(["W1", "W2", "W3", ""]), st.sampled_from(["ZTO", "YTO"]), st.integers(0, 30),
                   st.sampled_from([None, 600, 1000, 1400]), st.sampled_from(["O1", "O2", "O3"]))
scan = st.tuples(st.sampled_from(["W1", "W2", "W3", "W4"]), st.sampled_from(["ZTO", "YTO"]), st.integers(0, 50),
                 st.sampled_from([None, 600, 1020, 1100, 1700]))
pair = st.tuples(st.sampled_from(["ZTO", "YTO"]), st.sampled_from(["W1", "W2", "W3", "W4"]))


@settings(max_examples=30, deadline=None)
@given(st.lists(parcel, min_size=2, max_size=8), st.lists(scan, min_size=1, max_size=6, unique_by=lambda s: (s[0], s[1])),
       st.sets(pair, min_size=1), st.integers(0, 60),
       st.sampled_from([WAYBILL_TYPES, PARCEL_TYPES]))
def test_check_waybills_agrees_with_the_full_run(parcels, scans, wanted, as_of_hours, kinds):
    base = datetime(2026, 10, 31, 12, 0)
    outbounds = [ob(f"OB{i % 5}", o, waybill=wb, courier=c, packed=w, at=base + timedelta(hours=h))
                 for i, (wb, c, h, w, o) in enumerate(parcels)]
    # Rows of one outbound carry one parcel's fields.
    first = {}
    outbounds = [b for b in outbounds if first.setdefault(b["outbound_no"], (b["waybill_no"], b["courier_code"])) == (
        b["waybill_no"], b["courier_code"])]
    for b in outbounds:
        same = next(x for x in outbounds if x["outbound_no"] == b["outbound_no"])
        b.update({k: same[k] for k in ("packed_weight_g", "outbound_at")})
    pickups = [pk(wb, courier=c, at=base + timedelta(hours=h), weight=w) for wb, c, h, w in scans]
    as_of = base + timedelta(hours=as_of_hours)
    full = run([order(o) for o in ("O1", "O2", "O3")], [], outbounds, pickups, start=OCT_1, end=date(2026, 11, 1),
               as_of=as_of, grace=6, rates={"ZTO": card()}, tolerance={"YTO": 0})
    d = full.discrepancies
    keys = pd.MultiIndex.from_arrays([d["courier_code"], d["waybill_no"]])
    want = d[d["type"].isin(kinds) & keys.isin(list(wanted))].reset_index(drop=True)
    got = _check(outbounds, pickups, sorted(wanted), as_of=as_of, rates={"ZTO": card()}, tolerance_g={"YTO": 0},
                 start=OCT_1, end=date(2026, 11, 1), kinds=kinds, pickup_grace_hours=6).discrepancies
    pd.testing.assert_frame_equal(got, want)


def test_check_waybills_refuses_a_type_that_needs_more_than_the_waybill():
    with pytest.raises(ValueError, match="not a per-waybill type: order_not_shipped"):
        _check([], [], [], as_of=LATE, kinds=("order_not_shipped",))


@pytest.mark.parametrize("kind", TYPES)
def test_every_type_has_a_reason(kind):
    from recon.engine.outbound import DEFAULT_REASONS
    assert any(key == kind or key.startswith(kind + "_") for key in DEFAULT_REASONS)
