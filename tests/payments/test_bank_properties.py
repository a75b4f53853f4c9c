"""Properties of the bank engine on generated withdrawals, credits and statements (amounts drawn from a few values so
that collisions, groups and ambiguity happen often).

Identities tested, all in integer fen, with the as-of day late enough that no window is still open:
- no withdrawal and no bank line is in two matches, nor both in a match and held as ambiguous;
- Σ credits (lines > 0) = Σ credits in matches + Σ bank_credit_unmatched at stake + Σ credits held in ambiguous
  matches + Σ credits from no platform's payer name left unmatched;
- Σ withdrawals = Σ withdrawals in matches + Σ withdrawal_not_received at stake + Σ withdrawals held;
- Σ withdrawals in matches − Σ credits in matches = Σ withdrawal_amount_mismatch at stake (only a match by reference
  may differ);
- per statement with stated balances: opening + Σ its lines + statement_balance_break at stake = closing.
"""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from recon.engine import bank
from recon.engine.bank import match_bank, statement_balance_breaks

PAYERS = {"TMALL": ["支付宝（中国）网络技术有限公司"], "JD": ["北京京东世纪贸易有限公司"]}
NAMES = ["支付宝(中国)网络技术有限公司", "北京京东世纪贸易有限公司", "张三"]
START = date(2026, 10, 1)
END = date(2026, 10, 20)
AMOUNTS = [100, 200, 300, 500, 700, 1000, 1234]

withdrawal = st.tuples(st.sampled_from(["TMALL", "JD"]), st.integers(0, 19), st.sampled_from(AMOUNTS))
credit = st.tuples(st.sampled_from(NAMES), st.integers(0, 19), st.sampled_from(AMOUNTS + [-300, 0]),
                   st.one_of(st.none(), st.integers(0, 40)))


def frames(ws, cs):
    w = pd.DataFrame([{"withdrawal_id": i + 1, "platform_code": p, "settlement_id": f"SID{i + 1:04d}X",
                       "occurred_on": START + timedelta(days=d), "amount_fen": a} for i, (p, d, a) in enumerate(ws)],
                     columns=bank.WITHDRAWAL_COLUMNS)
    c = pd.DataFrame([{"line_id": 1000 + i, "account_no": "6222", "ref": f"B{i:04d}", "booked_on": START + timedelta(days=d),
                       "amount_fen": a, "counterparty_name": n,
                       "description": f"提现 SID{ref + 1:04d}X" if ref is not None and ref < len(ws) else "货款"}
                      for i, (n, d, a, ref) in enumerate(cs)], columns=bank.CREDIT_COLUMNS)
    return w, c


@settings(max_examples=100, deadline=None)
@given(st.lists(withdrawal, max_size=25), st.lists(credit, max_size=25), st.integers(0, 4))
def test_nothing_twice_and_every_fen_accounted_for(ws, cs, window):
    w, c = frames(ws, cs)
    r = match_bank(w, c, PAYERS, START, END, END + timedelta(days=60), window, ())
    matched_w = [i for m in r.matches for i in m["withdrawal_ids"]]
    matched_c = [i for m in r.matches for i in m["line_ids"]]
    assert len(matched_w) == len(set(matched_w)) and len(matched_c) == len(set(matched_c))
    assert not set(matched_w) & r.held_withdrawal_ids and not set(matched_c) & r.held_line_ids
    assert all(1 <= len(m["withdrawal_ids"]) <= bank.GROUP_MAX and 1 <= len(m["line_ids"]) <= bank.GROUP_MAX for m in r.matches)
    assert all(len(m["withdrawal_ids"]) == 1 or len(m["line_ids"]) == 1 for m in r.matches)

    d = r.discrepancies
    at_stake = d.groupby("type")["amount_fen"].sum().to_dict()
    w_amount = dict(zip(w["withdrawal_id"], w["amount_fen"]))
    c_amount = dict(zip(c["line_id"], c["amount_fen"]))
    credits = {i: a for i, a in c_amount.items() if a > 0}
    payer_lines = {i for i, n in zip(c["line_id"], c["counterparty_name"]) if n != "张三"}
    stray = sum(a for i, a in credits.items() if i not in payer_lines and i not in matched_c and i not in r.held_line_ids)

    assert sum(credits.values()) == (sum(c_amount[i] for i in matched_c) + at_stake.get("bank_credit_unmatched", 0)
                                     + sum(c_amount[i] for i in r.held_line_ids) + stray)
    assert sum(w_amount.values()) == (sum(w_amount[i] for i in matched_w) + at_stake.get("withdrawal_not_received", 0)
                                      + sum(w_amount[i] for i in r.held_withdrawal_ids))
    assert (sum(w_amount[i] for i in matched_w) - sum(c_amount[i] for i in matched_c)
            == at_stake.get("withdrawal_amount_mismatch", 0))
    assert at_stake.get("ambiguous_match", 0) == 0
    # An item held for a person is never also reported as missing or unmatched.
    reported = set(d.loc[d["type"].isin(["withdrawal_not_received"]), "withdrawal_id"].dropna().astype(int))
    assert not reported & r.held_withdrawal_ids
    unmatched = set(d.loc[d["type"] == "bank_credit_unmatched", "line_id"].dropna().astype(int))
    assert not unmatched & r.held_line_ids


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(-50_000, 50_000), max_size=12), st.integers(-10**7, 10**7), st.integers(-5000, 5000))
def test_stated_balances_plus_the_break_give_the_closing(amounts, opening, error):
    closing = opening + sum(amounts) + error
    statements = pd.DataFrame([{"statement_id": 1, "account_no": "6222", "file_name": "s.csv", "opening_fen": opening,
                                "closing_fen": closing, "closed_on": START}], columns=bank.STATEMENT_COLUMNS)
    lines = pd.DataFrame([{"line_id": i, "statement_id": 1, "ref": f"L{i}", "booked_on": START, "position": i,
                           "amount_fen": a, "balance_fen": None} for i, a in enumerate(amounts)], columns=bank.STATEMENT_LINE_COLUMNS)
    d = statement_balance_breaks(statements, lines)
    assert opening + sum(amounts) + int(d["amount_fen"].sum()) == closing
    assert len(d) == (1 if error else 0)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(-50_000, 50_000), min_size=2, max_size=12), st.integers(0, 10), st.booleans())
def test_a_dropped_line_breaks_the_running_balance_by_its_amount(amounts, drop_at, newest_first):
    balance, rows = 100_000, []
    for i, a in enumerate(amounts):
        balance += a
        rows.append({"line_id": i, "statement_id": 1, "ref": f"L{i}", "booked_on": START + timedelta(days=i), "position": i,
                     "amount_fen": a, "balance_fen": balance})
    drop = drop_at % len(rows)
    dropped = rows[drop]["amount_fen"]
    kept = rows[:drop] + rows[drop + 1:]
    if newest_first:
        kept = [{**r, "position": len(kept) - n} for n, r in enumerate(kept)]
    statements = pd.DataFrame([{"statement_id": 1, "account_no": "6222", "file_name": "s.csv", "opening_fen": None,
                                "closing_fen": None, "closed_on": None}], columns=bank.STATEMENT_COLUMNS)
    d = statement_balance_breaks(statements, pd.DataFrame(kept, columns=bank.STATEMENT_LINE_COLUMNS))
    # Dropping the first line leaves no line before the break to compare with; a zero line breaks nothing.
    if drop == 0 or dropped == 0 or len(kept) < 2:
        assert d.empty
    else:
        assert list(zip(d["ref"], d["amount_fen"])) == [(rows[drop + 1]["ref"], dropped)] if drop + 1 < len(rows) else d.empty
