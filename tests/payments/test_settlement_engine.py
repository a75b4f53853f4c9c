"""The settlement engine on hand-built frames: every type with its exact row and money, the signs, the dates, the fee."""
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from recon.engine.settlement import (
    LINE_COLUMNS, ORDER_COLUMNS, PLATFORM_COLUMNS, TYPES, expected_fee_fen, rate_micro, reconcile_settlements,
)

OCT_1, OCT_31 = date(2026, 10, 1), date(2026, 10, 31)


def order(no, amount=10000, refund=0, paid="2026-10-05 10:00", status="completed", platform="TMALL", oid=None, shop="旗舰店"):
    return {"order_id": oid or int("".join(c for c in no if c.isdigit()) or 1), "platform_code": platform, "order_no": no,
            "shop": shop, "status": status, "paid_at": pd.Timestamp(paid), "order_fen": amount, "refund_fen": refund}


def line(sid, no, btype, amount, at="2026-10-08 09:00", platform="TMALL", lid=None):
    return {"line_id": lid or int("".join(c for c in sid if c.isdigit()) or 1), "platform_code": platform,
            "settlement_id": sid, "order_no": no, "occurred_at": pd.Timestamp(at), "business_type": btype, "amount_fen": amount}


PLATFORMS = pd.DataFrame([("TMALL", "0.05", 15), ("JD", "0.006", 7)], columns=PLATFORM_COLUMNS)


def run(orders=(), lines=(), *, start=OCT_1, end=OCT_31, as_of=date(2026, 10, 31), platforms=PLATFORMS):
    return reconcile_settlements(orders=pd.DataFrame(list(orders), columns=ORDER_COLUMNS),
                                 lines=pd.DataFrame(list(lines), columns=LINE_COLUMNS), platforms=platforms,
                                 start=start, end=end, as_of=as_of)


def rows(result):
    return [(r.type, r.ref, r.ref2, r.amount_fen, r.is_claim) for r in result.discrepancies.itertuples()]


def settled(no, amount=10000, refund=0, fee=None, sid=None):
    """The lines of an order settled exactly as agreed: its payment, its refund, the 5 % fee on the rest."""
    sid = sid or f"S{no}"
    out = [line(f"{sid}1", no, "payment", amount)]
    if refund:
        out.append(line(f"{sid}2", no, "refund", -refund))
    out.append(line(f"{sid}3", no, "fee", -(fee if fee is not None else int(expected_fee_fen([50000], [amount - refund])[0]))))
    return out


def test_every_type_with_its_reference_money_and_reason():
    result = run(
        [order("A1"), order("A2", refund=2000), order("A3", amount=5000, paid="2026-10-03 10:00"), order("A4")],
        [line("S11", "A1", "payment", 9000),
         line("S21", "A2", "payment", 10000), line("S22", "A2", "refund", -2500), line("S23", "A2", "fee", -500),
         *settled("A4"),
         line("S91", "ZZ9", "payment", 700)],
    )
    assert rows(result) == [
        ("order_unpaid", "A3", "", 4750, True),
        ("settlement_amount_mismatch", "A1", "", 1000, True),
        ("refund_mismatch", "A2", "", 500, True),
        ("fee_overcharge", "A2", "", 100, True),
        ("settlement_unknown_order", "S91", "ZZ9", 700, False),
    ]
    d = result.discrepancies
    assert list(d["reason"]) == [
        "Order A3 was paid on 2026-10-03 with ¥50.00 due, but no payment had been settled by 2026-10-31, 28 days later "
        "(15 allowed); ¥47.50 is expected after the ¥2.50 fee.",
        "Order A1: the buyer paid ¥100.00, its payment lines settled ¥90.00: ¥10.00 short.",
        "Order A2: a refund of ¥20.00 was agreed, the platform refunded ¥25.00: ¥5.00 more.",
        "Order A2: ¥5.00 of fees charged; 5% of (¥100.00 − ¥20.00) is ¥4.00: ¥1.00 over.",
        "Settlement line S91 of 2026-10-08 settles a payment of ¥7.00 for order ZZ9, which is none of our TMALL orders.",
    ]
    assert [(r.theirs_fen, r.ours_fen) for r in d.itertuples()] == [(0, 4750), (9000, 10000), (2500, 2000), (500, 400),
                                                                   (700, pd.NA)]
    assert list(d["occurred_on"]) == [date(2026, 10, 3), date(2026, 10, 5), date(2026, 10, 5), date(2026, 10, 5),
                                      date(2026, 10, 8)]
    a2 = d[d["type"] == "fee_overcharge"].iloc[0]
    assert (a2.order_fen, a2.refund_fen, a2.paid_fen, a2.refunded_fen, a2.fees_fen, a2.expected_fee_fen) == (
        10000, 2000, 10000, 2500, 500, 400)
    assert result.summary["count_by_type"] == dict.fromkeys(TYPES, 1)
    assert (result.summary["orders"], result.summary["lines"], result.summary["claims"], result.summary["claim_fen"]) == (
        4, 7, 4, 6350)


def test_paid_in_excess_and_refunded_less_are_information_with_negative_money():
    result = run([order("B1"), order("B2", refund=3000)],
                 [line("S11", "B1", "payment", 10000), line("S12", "B1", "payment", 250),
                  *settled("B2", refund=3000)[:1], line("S22", "B2", "refund", -2000), line("S23", "B2", "fee", -350)])
    assert rows(result) == [("settlement_amount_mismatch", "B1", "", -250, False), ("refund_mismatch", "B2", "", -1000, False)]
    assert list(result.discrepancies["reason"]) == [
        "Order B1: the buyer paid ¥100.00, its payment lines settled ¥102.50: ¥2.50 in excess.",
        "Order B2: a refund of ¥30.00 was agreed, the platform refunded ¥20.00: ¥10.00 less.",
    ]
    assert (result.summary["claims"], result.summary["fen_by_type"]["settlement_amount_mismatch"]) == (0, -250)


@pytest.mark.parametrize(("as_of", "expected"), [
    # Paid on the 1st late at night; 15 days allowed: the 16th is exactly 15 calendar days later, the 17th one more.
    (date(2026, 10, 16), []),
    (datetime(2026, 10, 16, 23, 59), []),
    (datetime(2026, 10, 17, 0, 1), [("order_unpaid", "C1", "", 9500, True)]),
    (date(2026, 10, 17), [("order_unpaid", "C1", "", 9500, True)]),
])
def test_unpaid_only_after_the_settle_within_days_in_calendar_days(as_of, expected):
    assert rows(run([order("C1", paid="2026-10-01 23:50")], as_of=as_of)) == expected


def test_the_overdue_rule_is_each_platforms_own():
    result = run([order("D1", platform="JD", paid="2026-10-01 08:00"), order("D2", paid="2026-10-01 08:00")],
                 as_of=date(2026, 10, 9))
    # JD settles within 7 days: 8 days later it is overdue; Tmall has 15. JD's 0.6 % of ¥100.00 is ¥0.60.
    assert rows(result) == [("order_unpaid", "D1", "", 9940, True)]


def test_an_as_of_time_cuts_a_line_booked_after_it():
    orders = [order("E1", paid="2026-10-01 10:00")]
    lines = [line("S1", "E1", "payment", 10000, at="2026-10-20 14:31"), line("S2", "E1", "fee", -500, at="2026-10-20 14:31")]
    assert rows(run(orders, lines, as_of=datetime(2026, 10, 20, 14, 30))) == [("order_unpaid", "E1", "", 9500, True)]
    reason = run(orders, lines, as_of=datetime(2026, 10, 20, 14, 30)).discrepancies["reason"][0]
    assert "no payment had been settled by 2026-10-20 14:30, 19 days later" in reason
    # A line at the as-of minute itself counts.
    assert rows(run(orders, lines, as_of=datetime(2026, 10, 20, 14, 31))) == []
    # A payment after the as-of day is not known yet, and does not make the order's other lines count.
    assert rows(run(orders, lines[:1] + [line("S3", "E1", "fee", -600, at="2026-10-19 10:00")], as_of=date(2026, 10, 19))) == [
        ("order_unpaid", "E1", "", 9500, True), ("fee_overcharge", "E1", "", 100, True)]


def test_the_fee_is_rounded_half_up_to_the_fen():
    # 5 % of ¥10.10 is 50.5 fen: 51 fen expected (half to even would say 50).
    assert list(expected_fee_fen([rate_micro("0.05")], [1010])) == [51]
    assert list(expected_fee_fen([rate_micro("0.05")], [1009, 1011, 0, -500])) == [50, 51, 0, 0]
    fair = run([order("F1", amount=1010)], [line("S1", "F1", "payment", 1010), line("S2", "F1", "fee", -51)])
    assert rows(fair) == []
    over = run([order("F1", amount=1010)], [line("S1", "F1", "payment", 1010), line("S2", "F1", "fee", -52)])
    assert rows(over) == [("fee_overcharge", "F1", "", 1, True)]
    assert over.discrepancies["reason"][0] == "Order F1: ¥0.52 of fees charged; 5% of (¥10.10 − ¥0.00) is ¥0.51: ¥0.01 over."


def test_the_fee_arithmetic_is_exact_for_any_rate_and_amount():
    # 1.5 % of ¥3.00 is 4.5 fen: 5 (Python's round() of the float product says 4).
    assert list(expected_fee_fen([rate_micro("0.015")], [300])) == [5]
    # 0.123457 × ¥98,765,432.10 = 1,219,328,395.08 fen.
    assert list(expected_fee_fen([rate_micro("0.123457")], [9876543210])) == [1219328395]
    assert list(expected_fee_fen([rate_micro("9.999999")], [10**13])) == [99999990000000]
    with pytest.raises(ValueError):
        rate_micro("0.0000005")


def test_an_order_without_any_settlement_line_is_only_checked_for_unpaid():
    # Refunded in part and not settled: no refund mismatch for an order the platform has booked nothing for.
    result = run([order("G1", refund=4000, paid="2026-10-25 10:00")])
    assert rows(result) == []
    late = run([order("G1", refund=4000, paid="2026-10-01 10:00")])
    assert rows(late) == [("order_unpaid", "G1", "", 5700, True)]


def test_closed_orders_are_never_unpaid_but_their_lines_still_count():
    assert rows(run([order("H1", status="closed", paid="2026-10-01 10:00")])) == []
    result = run([order("H2", status="closed", refund=10000)],
                 [line("S1", "H2", "payment", 10000), line("S2", "H2", "refund", -9000)])
    assert rows(result) == [("refund_mismatch", "H2", "", -1000, False)]


def test_refund_only_orders():
    # Refunded in full: nothing is due, so no unpaid order, and a refund line that matches is fine.
    assert rows(run([order("K1", refund=10000, paid="2026-10-01 10:00")], [line("S1", "K1", "refund", -10000)])) == []
    # Its refund line alone makes it an order with lines: the refund is checked, the missing payment is not.
    assert rows(run([order("K2", refund=10000, paid="2026-10-01 10:00")], [line("S2", "K2", "refund", -12000)])) == [
        ("refund_mismatch", "K2", "", 2000, True)]


def test_unknown_order_lines_only_in_the_range_only_payments_and_refunds_and_per_platform():
    result = run(
        [order("M1"), order("M0", paid="2026-09-20 10:00")],
        [*settled("M1"),
         line("S1", "X1", "payment", 800, at="2026-09-30 23:59"),   # before the range
         line("S2", "X2", "refund", -300, at="2026-11-01 00:00"),   # after the range (and after the as-of day)
         line("S3", "X3", "fee", -40),                               # a fee is not a payment or refund
         line("S4", "M0", "payment", 10000),                         # an order of ours, paid before the range
         line("S5", "M1", "payment", 600, platform="JD"),           # our Tmall order number, on JD
         line("S6", "X6", "refund", -300),
         line("S7", "", "payment", 120)],
        as_of=date(2026, 11, 5),
    )
    assert rows(result) == [
        ("settlement_unknown_order", "S5", "M1", 600, False),
        ("settlement_unknown_order", "S6", "X6", -300, False),
        ("settlement_unknown_order", "S7", "", 120, False),
    ]
    assert list(result.discrepancies["reason"]) == [
        "Settlement line S5 of 2026-10-08 settles a payment of ¥6.00 for order M1, which is none of our JD orders.",
        "Settlement line S6 of 2026-10-08 books a refund of ¥3.00 for order X6, which is none of our TMALL orders.",
        "Settlement line S7 of 2026-10-08 books ¥1.20 as a payment or refund without an order number.",
    ]
    assert list(result.discrepancies["line_id"]) == [5, 6, 7]


def test_orders_paid_outside_the_range_are_not_judged():
    result = run([order("N1", paid="2026-09-30 23:59"), order("N2", paid="2026-11-01 00:00")],
                 [line("S1", "N1", "payment", 1)], as_of=date(2026, 12, 31))
    assert rows(result) == []


def test_the_result_does_not_depend_on_the_order_of_the_inputs():
    orders = [order(f"P{i}", amount=1000 + i, paid=f"2026-10-{1 + i % 28:02d} 10:00") for i in range(40)]
    lines = [line(f"S{i}", f"P{i}", "payment", 1000 + i - (i % 3)) for i in range(0, 40, 2)]
    lines += [line(f"S{100 + i}", f"Q{i}", "refund", -i - 1) for i in range(5)]
    a = run(orders, lines)
    shuffled = np.random.default_rng(3)
    b = run([orders[i] for i in shuffled.permutation(len(orders))], [lines[i] for i in shuffled.permutation(len(lines))])
    pd.testing.assert_frame_equal(a.discrepancies, b.discrepancies)
    assert a.summary == b.summary


def test_a_platform_without_a_contract_is_an_error():
    with pytest.raises(ValueError, match="no contract given for platform"):
        run([order("R1", platform="PDD")])


def test_nothing_in_nothing_out():
    result = run()
    assert result.discrepancies.empty and list(result.discrepancies.columns)[:3] == ["type", "ref", "ref2"]
    assert result.summary["count_by_type"] == dict.fromkeys(TYPES, 0)
