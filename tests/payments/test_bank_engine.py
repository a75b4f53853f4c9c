"""The bank matching engine on hand-made frames: every rule, every type, the window's bounds, the group bound."""
from __future__ import annotations

import time
from datetime import date

import pandas as pd

from recon.engine import bank
from recon.engine.bank import match_bank, statement_balance_breaks

PAYERS = {"TMALL": ["支付宝（中国）网络技术有限公司"], "JD": ["北京京东世纪贸易有限公司"], "PDD": ["上海寻梦信息技术有限公司"]}
ALIPAY, JD_NAME = "支付宝(中国)网络技术有限公司", "北京京东世纪贸易有限公司"
START, END = date(2026, 10, 1), date(2026, 10, 31)


def W(*rows):
    """(id, platform, settlement_id, day, yuan)"""
    return pd.DataFrame([{"withdrawal_id": i, "platform_code": p, "settlement_id": s, "occurred_on": date.fromisoformat(d),
                          "amount_fen": round(a * 100)} for i, p, s, d, a in rows], columns=bank.WITHDRAWAL_COLUMNS)


def C(*rows):
    """(id, ref, day, yuan, payer, remark)"""
    return pd.DataFrame([{"line_id": i, "account_no": "6222", "ref": r, "booked_on": date.fromisoformat(d),
                          "amount_fen": round(a * 100), "counterparty_name": n, "description": t}
                         for i, r, d, a, n, t in rows], columns=bank.CREDIT_COLUMNS)


def run(w, c, as_of=date(2026, 11, 30), window=3, manual=(), start=START, end=END):
    return match_bank(w, c, PAYERS, start, end, as_of, window, manual)


def types(result):
    return list(zip(result.discrepancies["type"], result.discrepancies["ref"], result.discrepancies["amount_fen"]))


def pairs(result):
    return [(m["rule"], m["withdrawal_ids"], m["line_ids"], m["date_diff_days"], m["amount_diff_fen"]) for m in result.matches]


def test_by_reference_whatever_the_date_and_payer_records_the_difference():
    r = run(W((1, "TMALL", "TX20261005001", "2026-10-05", 500)),
            C((10, "B1", "2026-10-20", 500, "某某公司", "提现 TX20261005001 到账")))
    assert pairs(r) == [("reference", [1], [10], 15, 0)]
    assert r.matches[0]["keys"] == {"settlement_ids": ["TX20261005001"], "bank_refs": ["B1"]}
    assert types(r) == []


def test_reference_of_another_amount_is_withdrawal_amount_mismatch():
    r = run(W((1, "TMALL", "TX1001", "2026-10-05", 500)), C((10, "B1", "2026-10-06", 480.5, ALIPAY, "TX1001")))
    assert pairs(r) == [("reference", [1], [10], 1, 1950)]
    d = r.discrepancies.iloc[0]
    assert (d["type"], d["ref"], d["ref2"], d["amount_fen"], d["is_claim"]) == ("withdrawal_amount_mismatch", "TX1001", "B1", 1950, True)
    assert d["reason"] == "Withdrawal TX1001 of ¥500.00 is named by bank line B1, which credits ¥480.50: ¥19.50 apart."


def test_credit_larger_than_the_withdrawal_named_is_a_mismatch_but_no_claim():
    r = run(W((1, "TMALL", "TX1001", "2026-10-05", 500)), C((10, "B1", "2026-10-06", 501, ALIPAY, "TX1001")))
    assert types(r) == [("withdrawal_amount_mismatch", "TX1001", -100)]
    assert not r.discrepancies.iloc[0]["is_claim"]


def test_one_to_one_same_amount_one_candidate_each_side():
    r = run(W((1, "TMALL", "T1", "2026-10-05", 1234.56)), C((10, "B1", "2026-10-07", 1234.56, ALIPAY, "")))
    assert pairs(r) == [("one_to_one", [1], [10], 2, 0)]


def test_payer_name_normalised_like_headers():
    r = run(W((1, "TMALL", "T1", "2026-10-05", 100)), C((10, "B1", "2026-10-05", 100, " 支付宝 （中国） 网络技术有限公司 ", "")))
    assert pairs(r) == [("one_to_one", [1], [10], 0, 0)]


def test_window_both_days_included_and_not_one_more():
    w = W((1, "TMALL", "T1", "2026-10-05", 100), (2, "JD", "J1", "2026-10-05", 200), (3, "PDD", "P1", "2026-10-10", 300))
    c = C((10, "B1", "2026-10-05", 100, ALIPAY, ""), (11, "B2", "2026-10-08", 200, JD_NAME, ""),
          (12, "B3", "2026-10-14", 300, "上海寻梦信息技术有限公司", ""), (13, "B4", "2026-10-09", 300, "上海寻梦信息技术有限公司", ""))
    r = run(w, c)
    assert pairs(r) == [("one_to_one", [1], [10], 0, 0), ("one_to_one", [2], [11], 3, 0)]
    # 10-14 is four days after 10-10, 10-09 is before it: neither is a candidate.
    assert types(r) == [("withdrawal_not_received", "P1", 30000), ("bank_credit_unmatched", "B3", 30000),
                        ("bank_credit_unmatched", "B4", 30000)]


def test_credits_up_to_window_days_after_to_are_candidates_but_not_reported():
    w = W((1, "TMALL", "T1", "2026-10-31", 100))
    c = C((10, "B1", "2026-11-03", 100, ALIPAY, ""), (11, "B2", "2026-11-02", 77, ALIPAY, ""))
    r = run(w, c)
    assert pairs(r) == [("one_to_one", [1], [10], 3, 0)]
    assert types(r) == []


def test_other_payers_debits_and_reversals_are_not_credits():
    w = W((1, "TMALL", "T1", "2026-10-05", 100))
    c = C((10, "B1", "2026-10-05", -100, ALIPAY, ""), (11, "B2", "2026-10-05", 100, "张三", ""),
          (12, "B3", "2026-10-06", 0, ALIPAY, "T1"))
    r = run(w, c)
    assert pairs(r) == []
    assert types(r) == [("withdrawal_not_received", "T1", 10000)]


def test_not_received_only_after_the_window_ended_before_as_of():
    w = W((1, "TMALL", "T1", "2026-10-05", 100))
    assert types(run(w, C(), as_of=date(2026, 10, 8))) == []
    assert types(run(w, C(), as_of=date(2026, 10, 9))) == [("withdrawal_not_received", "T1", 10000)]
    d = run(w, C(), as_of=date(2026, 10, 9)).discrepancies.iloc[0]
    assert d["reason"] == "Withdrawal T1 of ¥100.00 on 2026-10-05 (TMALL) reached the bank by no credit within 3 days."
    assert d["is_claim"]


def test_several_withdrawals_of_one_platform_to_one_credit():
    w = W((1, "TMALL", "T1", "2026-10-05", 100), (2, "TMALL", "T2", "2026-10-06", 250.5), (3, "TMALL", "T3", "2026-10-07", 49.5))
    r = run(w, C((10, "B1", "2026-10-08", 400, ALIPAY, "")))
    # The date difference is counted from the group's latest withdrawal.
    assert pairs(r) == [("group", [1, 2, 3], [10], 1, 0)]
    assert types(r) == []


def test_group_window_runs_from_latest_withdrawal_to_window_after_earliest():
    w = W((1, "TMALL", "T1", "2026-10-01", 100), (2, "TMALL", "T2", "2026-10-03", 200))
    # 10-05 is four days after the earliest withdrawal: not a candidate for the group.
    r = run(w, C((10, "B1", "2026-10-05", 300, ALIPAY, "")))
    assert pairs(r) == []
    assert types(r) == [("withdrawal_not_received", "T1", 10000), ("withdrawal_not_received", "T2", 20000),
                        ("bank_credit_unmatched", "B1", 30000)]
    r = run(w, C((10, "B1", "2026-10-04", 300, ALIPAY, "")))
    assert pairs(r) == [("group", [1, 2], [10], 1, 0)]


def test_one_withdrawal_to_several_credits():
    w = W((1, "JD", "J1", "2026-10-05", 1000))
    r = run(w, C((10, "B1", "2026-10-05", 600, JD_NAME, ""), (11, "B2", "2026-10-06", 400, JD_NAME, "")))
    assert pairs(r) == [("group", [1], [10, 11], 1, 0)]


def test_groups_hold_at_most_five():
    five = W(*[(i, "TMALL", f"T{i}", "2026-10-05", 100) for i in range(1, 6)])
    assert pairs(run(five, C((10, "B1", "2026-10-06", 500, ALIPAY, "")))) == [("group", [1, 2, 3, 4, 5], [10], 1, 0)]
    six = W(*[(i, "TMALL", f"T{i}", "2026-10-05", 100 + i) for i in range(1, 7)])
    r = run(six, C((10, "B1", "2026-10-06", sum(100 + i for i in range(1, 7)), ALIPAY, "")))
    assert pairs(r) == []
    assert [t for t, _, _ in types(r)] == ["withdrawal_not_received"] * 6 + ["bank_credit_unmatched"]


def test_one_to_one_comes_before_groups():
    w = W((1, "TMALL", "T1", "2026-10-05", 100), (2, "TMALL", "T2", "2026-10-05", 200), (3, "TMALL", "T3", "2026-10-05", 300))
    r = run(w, C((10, "B1", "2026-10-06", 300, ALIPAY, "")))
    # T3 and B1 are each other's only candidate of the same amount: rule 2 takes them before {T1, T2} is searched.
    assert pairs(r) == [("one_to_one", [3], [10], 1, 0)]
    assert types(r) == [("withdrawal_not_received", "T1", 10000), ("withdrawal_not_received", "T2", 20000)]


def test_two_fitting_combinations_make_the_credit_ambiguous():
    w = W((1, "TMALL", "T1", "2026-10-05", 100), (2, "TMALL", "T2", "2026-10-05", 200), (3, "TMALL", "T3", "2026-10-05", 150),
          (4, "TMALL", "T4", "2026-10-05", 150), (5, "TMALL", "T5", "2026-10-05", 999))
    r = run(w, C((10, "B1", "2026-10-06", 300, ALIPAY, "")))
    # {T1, T2} and {T3, T4} both fit: nothing matched, one ambiguous credit, its withdrawals not reported as not received.
    assert pairs(r) == []
    assert types(r) == [("withdrawal_not_received", "T5", 99900), ("ambiguous_match", "B1", 0)]
    assert r.held_withdrawal_ids == {1, 2, 3, 4} and r.held_line_ids == {10}
    assert r.discrepancies.iloc[1]["reason"] == "Bank credit B1 of ¥300.00 on 2026-10-06 fits more than one set of withdrawals; match it by hand."


def test_two_equal_credits_for_one_withdrawal_make_the_withdrawal_ambiguous():
    w = W((1, "JD", "J1", "2026-10-05", 100))
    r = run(w, C((10, "B1", "2026-10-05", 100, JD_NAME, ""), (11, "B2", "2026-10-06", 100, JD_NAME, "")))
    assert pairs(r) == []
    assert types(r) == [("ambiguous_match", "J1", 0)]
    assert r.held_line_ids == {10, 11}


def test_withdrawal_not_reported_ambiguous_when_its_credit_is():
    # B1 fits {J1} and {J2}; J1 also fits B2: B1 is reported, J1 is not reported a second time.
    w = W((1, "JD", "J1", "2026-10-05", 100), (2, "JD", "J2", "2026-10-05", 100))
    r = run(w, C((10, "B1", "2026-10-05", 100, JD_NAME, ""), (11, "B2", "2026-10-06", 100, JD_NAME, "")))
    assert types(r) == [("ambiguous_match", "B1", 0), ("ambiguous_match", "B2", 0)]


def test_withdrawal_named_by_two_credits_is_ambiguous():
    w = W((1, "TMALL", "TX9", "2026-10-05", 100))
    r = run(w, C((10, "B1", "2026-10-05", 100, ALIPAY, "TX9"), (11, "B2", "2026-10-06", 100, ALIPAY, "ref TX9")))
    assert pairs(r) == []
    assert types(r) == [("ambiguous_match", "TX9", 0)]


def test_reference_comes_before_amount():
    w = W((1, "TMALL", "T1", "2026-10-05", 100), (2, "TMALL", "T2", "2026-10-05", 100))
    r = run(w, C((10, "B1", "2026-10-06", 100, ALIPAY, "T2"), (11, "B2", "2026-10-06", 100, ALIPAY, "")))
    assert pairs(r) == [("one_to_one", [1], [11], 1, 0), ("reference", [2], [10], 1, 0)]


def test_kept_matches_take_no_part():
    w = W((1, "TMALL", "T1", "2026-10-05", 100), (2, "TMALL", "T2", "2026-10-05", 100))
    c = C((10, "B1", "2026-10-06", 100, ALIPAY, ""))
    r = run(w, c, manual=[{"withdrawal_ids": [2], "line_ids": [10]}])
    assert pairs(r) == []
    assert types(r) == [("withdrawal_not_received", "T1", 10000)]


def test_hundreds_of_equal_amounts_end_fast_as_ambiguous():
    w = W(*[(i, "TMALL", f"T{i:04d}", "2026-10-05", 100) for i in range(1, 501)])
    c = C((10, "B1", "2026-10-06", 300, ALIPAY, ""), (11, "B2", "2026-10-06", 100, ALIPAY, ""))
    began = time.perf_counter()
    r = run(w, c)
    assert time.perf_counter() - began < 5
    assert pairs(r) == []
    assert types(r) == [("ambiguous_match", "B1", 0), ("ambiguous_match", "B2", 0)]
    assert list(r.discrepancies["bound"]) == [True, True]
    assert len(r.held_withdrawal_ids) == 500


def test_search_examining_too_many_combinations_stops_ambiguous(monkeypatch):
    monkeypatch.setattr(bank, "MAX_NODES", 10)
    w = W(*[(i, "TMALL", f"T{i}", "2026-10-05", 10 + i) for i in range(1, 9)])
    r = run(w, C((10, "B1", "2026-10-06", 11 + 12 + 13 + 14 + 15, ALIPAY, "")))
    assert types(r) == [("ambiguous_match", "B1", 0)]
    assert r.discrepancies.iloc[0]["reason"] == "Bank credit B1 of ¥65.00 on 2026-10-06 has too many possible withdrawals to search; match it by hand."


def test_nothing_used_twice_when_one_credit_fits_two_groups_sharing_a_withdrawal():
    w = W((1, "TMALL", "T1", "2026-10-05", 100), (2, "TMALL", "T2", "2026-10-05", 50), (3, "TMALL", "T3", "2026-10-05", 70))
    c = C((10, "B1", "2026-10-06", 150, ALIPAY, ""), (11, "B2", "2026-10-06", 170, ALIPAY, ""))
    r = run(w, c)
    # T1 is in {T1, T2} → B1 and in {T1, T3} → B2: neither is taken; T1 is ambiguous, the rest wait with it.
    assert pairs(r) == []
    assert types(r) == [("ambiguous_match", "T1", 0)]


# --------------------------------------------------------------------------- statements

S_COLS, L_COLS = bank.STATEMENT_COLUMNS, bank.STATEMENT_LINE_COLUMNS


def lines(statement_id, *rows):
    """(id, ref, day, position, yuan, balance yuan or None)"""
    return [{"line_id": i, "statement_id": statement_id, "ref": r, "booked_on": date.fromisoformat(d), "position": p,
             "amount_fen": round(a * 100), "balance_fen": None if b is None else round(b * 100)} for i, r, d, p, a, b in rows]


def test_stated_balances_that_do_not_add_up():
    st = pd.DataFrame([{"statement_id": 1, "account_no": "6222", "file_name": "oct.sta", "opening_fen": 100000,
                        "closing_fen": 150000, "closed_on": date(2026, 10, 31)}], columns=S_COLS)
    ln = pd.DataFrame(lines(1, (1, "A", "2026-10-02", 1, 300, None), (2, "B", "2026-10-03", 2, 100, None)), columns=L_COLS)
    d = statement_balance_breaks(st, ln)
    assert list(zip(d["type"], d["ref"], d["amount_fen"], d["theirs_fen"], d["ours_fen"])) == [
        ("statement_balance_break", "oct.sta", 10000, 150000, 140000)]
    assert d.iloc[0]["reason"] == "Statement oct.sta: opening balance ¥1000.00 plus its lines is ¥1400.00, but it states a closing balance of ¥1500.00."
    st.loc[0, "closing_fen"] = 140000
    assert statement_balance_breaks(st, ln).empty


def test_running_balance_break_oldest_first_and_newest_first():
    st = pd.DataFrame([{"statement_id": 1, "account_no": "6222", "file_name": "a.csv", "opening_fen": None, "closing_fen": None,
                        "closed_on": None},
                       {"statement_id": 2, "account_no": "6222", "file_name": "b.csv", "opening_fen": None, "closing_fen": None,
                        "closed_on": None}], columns=S_COLS)
    oldest_first = lines(1, (1, "A1", "2026-10-01", 1, 100, 1100), (2, "A2", "2026-10-02", 2, 50, 1150),
                         (3, "A3", "2026-10-04", 3, -20, 1200))  # a line of +70 is missing before A3
    newest_first = lines(2, (4, "B3", "2026-10-04", 1, -20, 1200), (5, "B2", "2026-10-02", 2, 50, 1150),
                         (6, "B1", "2026-10-01", 3, 100, 1100))
    d = statement_balance_breaks(st, pd.DataFrame(oldest_first + newest_first, columns=L_COLS))
    assert list(zip(d["ref"], d["ref2"], d["amount_fen"], d["theirs_fen"], d["ours_fen"])) == [
        ("A3", "a.csv", 7000, 120000, 113000), ("B3", "b.csv", 7000, 120000, 113000)]
    assert d.iloc[0]["reason"] == ("Statement a.csv: before line A3 the balance was ¥1150.00; with its ¥-20.00 it should be "
                                   "¥1130.00, the file shows ¥1200.00: lines are missing.")


def test_running_balance_that_holds_is_no_break():
    st = pd.DataFrame([{"statement_id": 1, "account_no": "6222", "file_name": "a.csv", "opening_fen": None, "closing_fen": None,
                        "closed_on": None}], columns=S_COLS)
    ln = lines(1, (1, "A1", "2026-10-02", 1, 100, 1100), (2, "A2", "2026-10-01", 2, 50, 1000))  # newest first
    assert statement_balance_breaks(st, pd.DataFrame(ln, columns=L_COLS)).empty
