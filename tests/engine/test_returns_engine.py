"""The returns engine on hand-built frames: every type with its exact row, the dates, the pro-rata arithmetic."""
from datetime import date

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recon.engine import RateBook, RateCardSpec
from recon.engine.returns import (
    CLAIM_TYPES, FREIGHT_COLUMNS, RECEIPT_COLUMNS, REQUEST_COLUMNS, TYPES, prorata_fen, reconcile_returns,
)

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")

OCT_1, OCT_31, AS_OF = date(2026, 10, 1), date(2026, 10, 31), date(2026, 11, 15)


def req(return_no, sku="A", qty=1, refund=1000, status="refunded", on="2026-10-05", waybill="", order="", courier="ZTO", rid=1):
    return {"request_id": rid, "return_no": return_no, "order_no": order or f"O-{return_no}", "return_waybill_no": waybill,
            "courier_code": courier, "sku": sku, "quantity": qty, "refund_fen": refund, "refund_status": status,
            "requested_on": pd.Timestamp(on).date(), "refunded_on": pd.NaT if status != "refunded" else pd.Timestamp(on).date()}


def rec(waybill, sku="A", qty=1, condition="good", on="2026-10-09", order="", rid=1):
    return {"receipt_id": rid, "return_waybill_no": waybill, "order_no": order, "received_on": pd.Timestamp(on).date(),
            "sku": sku, "quantity": qty, "condition": condition}


def fl(waybill, fee=800, weight=1000, province="广东", on="2026-10-10", courier="ZTO", import_order=1, line_no=1, lid=1):
    return {"line_id": lid, "courier_code": courier, "waybill_no": waybill, "billed_on": pd.Timestamp(on).date(),
            "billed_weight_g": weight, "fee_fen": fee, "origin_province": province, "import_order": import_order,
            "line_no": line_no}


def card(tolerance=0) -> RateCardSpec:
    bands = pd.DataFrame([("广东", 1000, 600), ("广东", 3000, 900), ("新疆", 1000, 1500)], columns=["province", "upper_g", "price_fen"])
    return RateCardSpec(id=3, effective_from=date(2026, 1, 1), fee_tolerance_fen=tolerance, bands=bands)


def frame(rows, columns):
    df = pd.DataFrame(list(rows), columns=columns)
    if "quantity" in columns:
        df["quantity"] = pd.array(df["quantity"], dtype="Int64")
    if "billed_weight_g" in columns:
        df["billed_weight_g"] = pd.array(df["billed_weight_g"], dtype="Int64")
    return df


def run(requests=(), receipts=(), freight=(), *, start=OCT_1, end=OCT_31, as_of=AS_OF, grace=7, rates=None, texts=None):
    return reconcile_returns(
        requests=frame(requests, REQUEST_COLUMNS), receipts=frame(receipts, RECEIPT_COLUMNS),
        freight=frame(freight, FREIGHT_COLUMNS), start=start, end=end, as_of=as_of, grace_days=grace,
        rates=rates, texts=texts,
    )


def rows(result):
    d = result.discrepancies
    return [(r.type, r.ref, r.ref2, r.sku, r.amount_fen, r.is_claim) for r in d.itertuples()]


# ------------------------------------------------------------------------------------------ one scenario per type

def test_refunded_not_received_takes_the_refunded_rows_only():
    result = run([req("R1", "A", refund=1000, waybill="W1", rid=11), req("R1", "B", refund=500, status="requested", waybill="W1", rid=12)])
    assert rows(result) == [("refunded_not_received", "R1", "", "", 1000, True)]
    d = result.discrepancies.iloc[0]
    assert (d.request_id, d.occurred_on, d.courier_code, d.theirs_fen, d.ours_fen) == (11, date(2026, 10, 5), "ZTO", 1000, 0)
    assert d.reason == "Return R1 was requested on 2026-10-05 and ¥10.00 was refunded, but nothing had arrived by 2026-11-15 (7 days allowed)."


def test_return_not_received_when_nothing_is_refunded():
    result = run([req("R2", status="requested"), req("R3", sku="B", status="refused", rid=2)])
    assert rows(result) == [("return_not_received", "R2", "", "", 0, False), ("return_not_received", "R3", "", "", 0, False)]


def test_quantity_short_refunded_is_a_claim_of_the_pro_rata_refund():
    result = run([req("R3", qty=3, refund=10000, waybill="W3", rid=31)], [rec("W3", qty=2, rid=7)])
    assert rows(result) == [("return_quantity_short", "R3", "", "A", 3333, True)]
    d = result.discrepancies.iloc[0]
    assert (d.request_id, d.receipt_id, d.occurred_on, d.theirs_fen, d.ours_fen) == (31, 7, date(2026, 10, 9), 10000, 6667)
    assert d.reason == "Return R3: 3 × A requested, 2 received; the 1 missing were refunded ¥33.33."


def test_quantity_short_not_refunded_is_information():
    result = run([req("R3", qty=3, refund=10000, status="requested", waybill="W3")], [rec("W3", qty=2)])
    assert rows(result) == [("return_quantity_short", "R3", "", "A", 0, False)]
    assert result.discrepancies.iloc[0].reason == "Return R3: 3 × A requested, 2 received; refund 1 fewer."
    assert pd.isna(result.discrepancies.iloc[0].theirs_fen)


def test_damaged_rows_of_a_sku_together():
    result = run(
        [req("R4", qty=4, refund=8000, waybill="W4")],
        [rec("W4", qty=1, rid=1), rec("W4", qty=1, condition="damaged", rid=2), rec("W4", qty=1, condition="missing_parts", rid=3),
         rec("W4", qty=1, condition="empty", rid=4)],
    )
    assert rows(result) == [("return_damaged", "R4", "", "A", 6000, True)]
    d = result.discrepancies.iloc[0]
    assert d.receipt_id == 2
    assert d.reason == "Return R4: 3 × A arrived damaged, empty or incomplete; ¥60.00 was refunded for them."


def test_damaged_not_refunded_is_information():
    result = run([req("R4", qty=1, refund=8000, status="requested", waybill="W4")], [rec("W4", condition="damaged")])
    assert rows(result) == [("return_damaged", "R4", "", "A", 0, False)]


def test_wrong_item_one_per_sku():
    result = run([req("R5", waybill="W5")], [rec("W5", rid=1), rec("W5", sku="Z", rid=2), rec("W5", sku="Z", condition="damaged", rid=3)])
    assert rows(result) == [("return_wrong_item", "R5", "", "Z", 0, False)]
    assert result.discrepancies.iloc[0].receipt_id == 2
    assert result.discrepancies.iloc[0].reason == "Return R5: Z arrived in its parcel, but the request has no such item."


def test_unexpected_parcel_by_waybill_or_by_order_number():
    result = run([req("R6", waybill="W6")], [rec("W6"), rec("W9", rid=2), rec("W9", sku="B", rid=3), rec("", order="O-77", rid=4)])
    assert rows(result) == [("return_unexpected", "O-77", "", "", 0, False), ("return_unexpected", "W9", "", "", 0, False)]
    d = result.discrepancies.iloc[1]
    assert (d.receipt_id, d.occurred_on) == (2, date(2026, 10, 9))
    assert d.reason == "Parcel W9 arrived on 2026-10-09 and matches no return request by waybill or order number."


def test_freight_not_received():
    result = run([req("R1", refund=1000, waybill="W1")], [], [fl("W1", fee=1200, lid=5)])
    assert rows(result) == [("refunded_not_received", "R1", "", "", 1000, True),
                            ("return_freight_not_received", "R1", "W1", "", 1200, True)]
    d = result.discrepancies.iloc[1]
    assert (d.line_id, d.request_id, d.occurred_on, d.theirs_fen) == (5, 1, date(2026, 10, 10), 1200)
    assert d.reason == "Return freight of ¥12.00 billed on 2026-10-10 for waybill W1 of return R1, which had not arrived by 2026-11-15."


def test_freight_unknown():
    result = run([], [], [fl("WX", fee=900, lid=6)])
    assert rows(result) == [("return_freight_unknown", "WX", "", "", 900, True)]
    assert result.discrepancies.iloc[0].reason == "Return freight of ¥9.00 billed on 2026-10-10 for waybill WX, which is in no return request."


def test_freight_duplicate_takes_the_later_import_whole_line():
    result = run(
        [req("R3", waybill="W3")], [rec("W3")],
        # The repeat is handed in first and is overpriced: it is still only the duplicate.
        [fl("W3", fee=5000, import_order=2, line_no=1, lid=9, on="2026-10-20"), fl("W3", fee=600, import_order=1, line_no=4, lid=8)],
        rates=RateBook([card()]),
    )
    assert rows(result) == [("return_freight_duplicate", "W3", "", "", 5000, True)]
    d = result.discrepancies.iloc[0]
    assert d.line_id == 9
    assert d.reason == "Waybill W3 was already billed ¥6.00 as return freight on 2026-10-10; this line charges ¥50.00 again."


def test_freight_duplicate_within_one_import_by_line_number():
    result = run([req("R3", waybill="W3")], [rec("W3")], [fl("W3", fee=600, line_no=7, lid=1), fl("W3", fee=600, line_no=2, lid=2)])
    assert rows(result) == [("return_freight_duplicate", "W3", "", "", 600, True)]
    assert result.discrepancies.iloc[0].line_id == 1


def test_lines_without_a_waybill_are_not_duplicates_of_each_other():
    result = run([], [], [fl("", fee=500, lid=1), fl("", fee=600, lid=2)])
    assert rows(result) == [("return_freight_unknown", "", "", "", 500, True), ("return_freight_unknown", "", "", "", 600, True)]


def test_same_waybill_billed_by_two_couriers_is_not_a_duplicate():
    result = run([req("R3", waybill="W3")], [rec("W3")], [fl("W3", lid=1, fee=600), fl("W3", courier="YTO", lid=2, fee=600)])
    assert rows(result) == []


def test_freight_overcharge_against_the_origin_province_beyond_the_tolerance():
    freight = [fl("W3", fee=800, weight=1000, lid=1), fl("W4", fee=1700, weight=900, province="新疆", lid=2),
               fl("W5", fee=900, weight=2500, lid=3)]
    requests = [req("R3", waybill="W3"), req("R4", waybill="W4", rid=2), req("R5", waybill="W5", rid=3)]
    receipts = [rec("W3"), rec("W4", rid=2), rec("W5", rid=3)]
    result = run(requests, receipts, freight, rates=RateBook([card()]))
    assert rows(result) == [("return_freight_overcharge", "W3", "", "", 200, True), ("return_freight_overcharge", "W4", "", "", 200, True)]
    d = result.discrepancies.iloc[0]
    assert (d.theirs_fen, d.ours_fen, d.line_id) == (800, 600, 1)
    assert d.reason == "Billed ¥8.00; the rate card gives ¥6.00 for 1 kg from 广东: ¥2.00 over."
    assert rows(run(requests, receipts, freight, rates=RateBook([card(tolerance=200)]))) == []
    assert rows(run(requests, receipts, freight, rates=RateBook([card(tolerance=199)])))[0] == ("return_freight_overcharge", "W3", "", "", 200, True)


def test_overcharge_is_checked_on_lines_also_not_received_or_unknown():
    result = run([req("R1", waybill="W1")], [], [fl("W1", fee=700, lid=1), fl("WX", fee=650, lid=2)], rates=RateBook([card()]))
    assert rows(result) == [
        ("refunded_not_received", "R1", "", "", 1000, True),
        ("return_freight_not_received", "R1", "W1", "", 700, True),
        ("return_freight_unknown", "WX", "", "", 650, True),
        ("return_freight_overcharge", "W1", "", "", 100, True),
        ("return_freight_overcharge", "WX", "", "", 50, True),
    ]


def test_a_rate_book_per_courier():
    freight = [fl("WX", fee=700, lid=1), fl("WY", fee=700, courier="YTO", lid=2)]
    result = run([], [], freight, rates={"ZTO": RateBook([card()])})
    assert [r for r in rows(result) if r[0] == "return_freight_overcharge"] == [("return_freight_overcharge", "WX", "", "", 100, True)]


def test_unpriced_freight_is_not_an_overcharge():
    freight = [fl("WX", fee=9999, province="火星", lid=1), fl("WY", fee=9999, weight=None, lid=2), fl("WZ", fee=9999, weight=5000, lid=3)]
    assert [r[0] for r in rows(run([], [], freight, rates=RateBook([card()])))] == ["return_freight_unknown"] * 3


# ------------------------------------------------------------------------------------------ dates

def test_grace_period_boundaries():
    requests = [req("R1", on="2026-10-05", waybill="W1")]
    at_due = run(requests, as_of=date(2026, 10, 12))
    assert rows(at_due) == []
    assert (at_due.summary["pending"], at_due.summary["overdue"]) == (1, 0)
    after = run(requests, as_of=date(2026, 10, 13))
    assert rows(after) == [("refunded_not_received", "R1", "", "", 1000, True)]
    assert (after.summary["pending"], after.summary["overdue"], after.summary["refunded_not_received_fen"]) == (0, 1, 1000)
    assert rows(run(requests, as_of=date(2026, 10, 13), grace=8)) == []


def test_arrived_late_is_arrived_but_not_after_the_as_of_date():
    requests = [req("R1", on="2026-10-05", waybill="W1")]
    assert rows(run(requests, [rec("W1", on="2026-11-14")], as_of=date(2026, 11, 15))) == []
    assert rows(run(requests, [rec("W1", on="2026-11-15")], as_of=date(2026, 11, 15))) == []
    assert rows(run(requests, [rec("W1", on="2026-11-16")], as_of=date(2026, 11, 15))) == [("refunded_not_received", "R1", "", "", 1000, True)]


def test_freight_after_the_as_of_date_is_not_evidence():
    assert rows(run([], [], [fl("WX", on="2026-11-16")], as_of=date(2026, 11, 15))) == []


def test_range_boundaries_are_inclusive():
    requests = [req("R0", on="2026-09-30", rid=1), req("R1", on="2026-10-01", rid=2), req("R2", on="2026-10-31", rid=3),
                req("R3", on="2026-11-01", rid=4)]
    result = run(requests, as_of=date(2026, 12, 31))
    assert rows(result) == [("refunded_not_received", "R1", "", "", 1000, True), ("refunded_not_received", "R2", "", "", 1000, True)]
    assert result.summary["requests"] == 2


def test_unmatched_receipts_and_freight_are_judged_by_their_own_date():
    receipts = [rec("W8", on="2026-09-30", rid=1), rec("W9", on="2026-10-01", rid=2), rec("WA", on="2026-10-31", rid=3), rec("WB", on="2026-11-01", rid=4)]
    freight = [fl("F8", on="2026-09-30", lid=1), fl("F9", on="2026-10-01", lid=2), fl("FA", on="2026-10-31", lid=3), fl("FB", on="2026-11-01", lid=4)]
    assert [(r[0], r[1]) for r in rows(run([], receipts, freight))] == [
        ("return_unexpected", "W9"), ("return_unexpected", "WA"), ("return_freight_unknown", "F9"), ("return_freight_unknown", "FA")]


def test_freight_of_a_request_is_judged_by_the_run_that_holds_the_request():
    # Requested in September, billed in October: the September run judges the line, the October run does not.
    requests = [req("R9", on="2026-09-25", waybill="W9")]
    freight = [fl("W9", fee=700, on="2026-10-10")]
    assert rows(run(requests, [], freight, rates=RateBook([card()]))) == []
    september = run(requests, [], freight, start=date(2026, 9, 1), end=date(2026, 9, 30), rates=RateBook([card()]))
    assert rows(september) == [("refunded_not_received", "R9", "", "", 1000, True),
                               ("return_freight_not_received", "R9", "W9", "", 700, True),
                               ("return_freight_overcharge", "W9", "", "", 100, True)]


def test_a_receipt_of_an_older_request_is_not_unexpected():
    assert rows(run([req("R9", on="2026-08-01", waybill="W9")], [rec("W9", on="2026-10-03")])) == []


# ------------------------------------------------------------------------------------------ arithmetic

@pytest.mark.parametrize(("refund", "qty", "received", "amount"), [
    (10000, 3, 2, 3333),   # 100.00 × 1/3 = 33.333…
    (10000, 3, 1, 6667),   # 100.00 × 2/3 = 66.666…
    (5, 2, 1, 3),          # 0.05 × 1/2 = 0.025: halves up
    (7, 4, 1, 5),          # 0.07 × 3/4 = 0.0525
    (10000, 3, 0, 10000),  # a parcel arrived with none of them: the whole refund
])
def test_pro_rata_shortfall(refund, qty, received, amount):
    result = run([req("R1", qty=qty, refund=refund, waybill="W1")], [rec("W1", qty=received)])
    assert rows(result) == [("return_quantity_short", "R1", "", "A", amount, True)]


def test_prorata_fen_in_integers():
    assert prorata_fen([10000, 10000, 5, 3, 0, 999], [1, 2, 1, 1, 1, 1], [3, 3, 2, 2, 5, 0]).tolist() == [3333, 6667, 3, 2, 0, 0]
    # 2^53 + 1 fen is exact in integers where a float would round it.
    assert prorata_fen([2**53 + 1], [1], [1]).tolist() == [2**53 + 1]


@pytest.mark.parametrize("qty", [0, None])
def test_empty_parcel_without_a_count_counts_the_requested_quantity(qty):
    result = run([req("R1", qty=2, refund=4000, waybill="W1")], [rec("W1", qty=qty, condition="empty")])
    assert rows(result) == [("return_damaged", "R1", "", "A", 4000, True)]


def test_empty_parcel_with_a_count_counts_that_many():
    result = run([req("R1", qty=3, refund=9000, waybill="W1")], [rec("W1", qty=1, condition="empty")])
    assert rows(result) == [("return_quantity_short", "R1", "", "A", 6000, True), ("return_damaged", "R1", "", "A", 3000, True)]


def test_more_received_than_requested_is_nothing():
    assert rows(run([req("R1", qty=1, waybill="W1")], [rec("W1", qty=3)])) == []
    # Two good items cover the two asked: the damaged third is extra, not a loss.
    assert rows(run([req("R1", qty=2, waybill="W1")], [rec("W1", qty=2, rid=1), rec("W1", condition="damaged", rid=2)])) == []


def test_short_and_damaged_on_one_sku_add_up_to_the_refund():
    result = run([req("R1", qty=3, refund=10000, waybill="W1")], [rec("W1", condition="damaged")])
    assert rows(result) == [("return_quantity_short", "R1", "", "A", 6667, True), ("return_damaged", "R1", "", "A", 3333, True)]


def test_each_sku_against_its_own_row():
    requests = [req("R1", "A", qty=2, refund=3000, waybill="W1", rid=1), req("R1", "B", qty=1, refund=500, status="requested", waybill="W1", rid=2)]
    result = run(requests, [rec("W1", "A", qty=1, rid=1)])
    assert rows(result) == [("return_quantity_short", "R1", "", "A", 1500, True), ("return_quantity_short", "R1", "", "B", 0, False)]
    assert result.discrepancies["request_id"].tolist() == [1, 2]


# ------------------------------------------------------------------------------------------ matching

def test_matched_by_order_number_when_the_waybill_matches_no_receipt():
    requests = [req("R1", "A", waybill="W-TYPO", order="O-1", rid=1), req("R1", "B", waybill="W-TYPO", order="O-1", rid=2)]
    # Only one row of the parcel carries the order number: the whole parcel belongs to the return.
    receipts = [rec("W8", "A", order="O-1", rid=1), rec("W8", "B", rid=2)]
    result = run(requests, receipts)
    assert rows(result) == []
    assert result.summary["arrived"] == 1


def test_matched_by_order_number_when_the_request_has_no_waybill():
    result = run([req("R1", qty=2, refund=2000, order="O-1")], [rec("", order="O-1")])
    assert rows(result) == [("return_quantity_short", "R1", "", "A", 1000, True)]


def test_a_parcel_claimed_by_waybill_is_not_taken_by_order_number():
    requests = [req("R1", "A", waybill="W1", order="O-1", rid=1), req("R2", "B", waybill="", order="O-1", rid=2, status="requested")]
    receipts = [rec("W1", "A", order="O-1")]
    assert rows(run(requests, receipts)) == [("return_not_received", "R2", "", "", 0, False)]


def test_without_waybill_or_order_match_the_return_is_missing_and_the_parcel_unexpected():
    result = run([req("R1", waybill="W-TYPO", order="O-1")], [rec("W8", order="O-2")])
    assert rows(result) == [("refunded_not_received", "R1", "", "", 1000, True), ("return_unexpected", "W8", "", "", 0, False)]


# ------------------------------------------------------------------------------------------ summary and texts

def test_summary_counts_and_money():
    requests = [req("R1", waybill="W1", rid=1, courier=""), req("R1", "B", waybill="W1", rid=5, refund=0), req("R2", waybill="W2", rid=2, status="requested"),
                req("R3", waybill="W3", qty=2, refund=2000, rid=3), req("R4", on="2026-10-30", rid=4, waybill="W4")]
    result = run(requests, [rec("W3")], [fl("W1", fee=700, lid=1), fl("WX", fee=650, lid=2)], as_of=date(2026, 11, 3))
    s = result.summary
    assert (s["requests"], s["request_rows"], s["arrived"], s["pending"], s["overdue"]) == (4, 5, 1, 1, 2)
    assert (s["refunded_not_received"], s["refunded_not_received_fen"]) == (1, 1000)
    assert {k: v for k, v in s["count_by_type"].items() if v} == {
        "refunded_not_received": 1, "return_not_received": 1, "return_quantity_short": 1,
        "return_freight_not_received": 1, "return_freight_unknown": 1}
    assert {k: v for k, v in s["fen_by_type"].items() if v} == {
        "refunded_not_received": 1000, "return_quantity_short": 1000, "return_freight_not_received": 700,
        "return_freight_unknown": 650}
    assert (s["claims"], s["claim_fen"]) == (4, 3350)
    assert s["fen_by_courier"] == {"ZTO": 3350}


def test_reasons_in_the_language_given():
    texts = {"return_unexpected": "包裹 {ref} 于 {received_on} 签收，运单号和订单号均未匹配任何退货申请。"}
    result = run([], [rec("W9")], texts=texts)
    assert result.discrepancies.iloc[0].reason == "包裹 W9 于 2026-10-09 签收，运单号和订单号均未匹配任何退货申请。"


def test_every_reason_has_its_chinese_translation():
    from django.utils import translation

    from recon.engine.returns import DEFAULT_REASONS

    with translation.override("zh-hans"):
        texts = {key: translation.gettext(text) for key, text in DEFAULT_REASONS.items()}
    assert [key for key, text in texts.items() if text == DEFAULT_REASONS[key]] == []
    result = run([req("R1", qty=3, refund=10000, waybill="W1")], [rec("W1", qty=2)], [fl("W1", fee=700, lid=1)],
                 rates=RateBook([card()]), texts=texts)
    assert result.discrepancies["reason"].tolist() == [
        "退货单 R1：A 申请退 3 件，实收 2 件；缺少的 1 件已退款 ¥33.33。",
        "收取 ¥7.00；按价格表，从广东寄出 1 kg 应为 ¥6.00：多收 ¥1.00。",
    ]


def test_nothing_in_nothing_out():
    result = run()
    assert list(result.discrepancies.columns) == [
        "type", "ref", "ref2", "sku", "amount_fen", "theirs_fen", "ours_fen", "occurred_on", "courier_code", "request_id",
        "receipt_id", "line_id", "is_claim", "reason"]
    assert len(result.discrepancies) == 0
    assert result.summary["requests"] == 0 and result.summary["claim_fen"] == 0


# ------------------------------------------------------------------------------------------ properties

WAYBILLS = ["W1", "W2", "W3", "W4", ""]
ORDERS = ["O-1", "O-2", "O-3", ""]
DAYS = pd.date_range("2026-09-25", "2026-11-20").date.tolist()


@st.composite
def scenarios(draw):
    n_req = draw(st.integers(0, 6))
    requests = []
    for i in range(n_req):
        requests.append(req(
            f"R{draw(st.integers(1, 4))}", sku=draw(st.sampled_from("ABC")), qty=draw(st.integers(0, 4)),
            refund=draw(st.integers(0, 20000)), status=draw(st.sampled_from(["requested", "refunded", "refused"])),
            on=str(draw(st.sampled_from(DAYS))), waybill=draw(st.sampled_from(WAYBILLS)), order=draw(st.sampled_from(ORDERS)) or "O-9",
            rid=i + 1))
    # One row per return and SKU, as the importer keeps them; a return's rows share its date and order.
    seen, unique = set(), []
    for r in requests:
        if (r["return_no"], r["sku"]) not in seen:
            seen.add((r["return_no"], r["sku"]))
            unique.append(r)
    receipts = [rec(draw(st.sampled_from(WAYBILLS)), sku=draw(st.sampled_from("ABCZ")), qty=draw(st.one_of(st.none(), st.integers(0, 4))),
                    condition=draw(st.sampled_from(["good", "damaged", "wrong_item", "empty", "missing_parts"])),
                    on=str(draw(st.sampled_from(DAYS))), order=draw(st.sampled_from(ORDERS)), rid=i + 1)
                for i in range(draw(st.integers(0, 6)))]
    receipts = [r for r in receipts if r["return_waybill_no"] or r["order_no"]]
    freight = [fl(draw(st.sampled_from(WAYBILLS[:4] + ["WX"])), fee=draw(st.integers(0, 2000)), weight=draw(st.sampled_from([None, 500, 1000, 2500, 4000])),
                  province=draw(st.sampled_from(["广东", "新疆", "火星"])), on=str(draw(st.sampled_from(DAYS))),
                  courier=draw(st.sampled_from(["ZTO", "YTO"])), import_order=draw(st.integers(1, 3)), line_no=i + 1, lid=i + 1)
               for i in range(draw(st.integers(0, 6)))]
    return unique, receipts, freight, draw(st.randoms(use_true_random=False)), draw(st.integers(0, 10))


@settings(max_examples=40, deadline=None)
@given(scenarios())
def test_properties_row_order_claims_and_amounts(scenario):
    requests, receipts, freight, rnd, grace = scenario
    book = RateBook([card(tolerance=rnd.choice([0, 50]))])
    kwargs = dict(as_of=date(2026, 11, 5), grace=grace, rates=book)
    result = run(requests, receipts, freight, **kwargs)
    for group in (requests, receipts, freight):
        rnd.shuffle(group)
    shuffled = run(requests, receipts, freight, **kwargs)
    pd.testing.assert_frame_equal(result.discrepancies, shuffled.discrepancies)
    assert result.summary == shuffled.summary
    d = result.discrepancies
    assert set(d["type"]) <= set(TYPES)
    assert str(d["amount_fen"].dtype) == "int64"
    assert (d["amount_fen"] >= 0).all()
    assert (d.loc[d["is_claim"], "amount_fen"] > 0).all()
    assert d["is_claim"].tolist() == [t in CLAIM_TYPES and a > 0 for t, a in zip(d["type"], d["amount_fen"])]
    assert d["reason"].str.len().gt(0).all()
