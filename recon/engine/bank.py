"""Bank matching (kind `bank`): the platforms' payouts (提现, withdrawals) against the bank's credits, and statements
whose balances do not add up.

Frames in, frames out; no Django. Money is integer fen (a withdrawal's amount is the money paid out, positive; a bank
line is signed, credits positive), dates are local calendar days.

The matching order is fixed: by reference (the credit's remark holds the withdrawal's settlement ID), then one to one
(same amount, exactly one candidate on each side), then groups (several withdrawals of one platform to one credit,
or one withdrawal to several credits; at most GROUP_MAX items on the many side), accepted only when exactly one
combination fits. Nothing is guessed: what fits twice is reported `ambiguous_match` for a person to decide.

The group search is bounded: a search considers at most MAX_CANDIDATES candidates (those not larger than the amount
sought) and examines at most MAX_NODES partial combinations; past either bound the item it searched for is reported
`ambiguous_match` (details.bound = true) and nothing around it is matched automatically.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from recon.ingest.header import header_key


WITHDRAWAL_COLUMNS = ["withdrawal_id", "platform_code", "settlement_id", "occurred_on", "amount_fen"]
CREDIT_COLUMNS = ["line_id", "account_no", "ref", "booked_on", "amount_fen", "counterparty_name", "description"]
STATEMENT_COLUMNS = ["statement_id", "account_no", "file_name", "opening_fen", "closing_fen", "closed_on"]
STATEMENT_LINE_COLUMNS = ["line_id", "statement_id", "ref", "booked_on", "position", "amount_fen", "balance_fen"]
DISCREPANCY_COLUMNS = [
    "type", "ref", "ref2", "amount_fen", "theirs_fen", "ours_fen", "occurred_on", "platform_code", "account_no",
    "withdrawal_id", "line_id", "statement_id", "bound", "is_claim", "reason",
]

TYPES = ("withdrawal_not_received", "withdrawal_amount_mismatch", "ambiguous_match", "bank_credit_unmatched",
         "statement_balance_break")
CLAIM_TYPES = frozenset({"withdrawal_not_received", "withdrawal_amount_mismatch"})

# Most items on the many side of a group (the bound).
GROUP_MAX = 5
# Candidates one group search may consider, and partial combinations it may examine (see the module's docstring).
MAX_CANDIDATES = 30
MAX_NODES = 20_000

RULE_REFERENCE, RULE_ONE_TO_ONE, RULE_GROUP = "reference", "one_to_one", "group"


def gettext_noop(text: str) -> str:
    """Marks a text for the translation catalogue without importing Django (the engine stays pure)."""
    return text


# English source texts; callers pass translated ones. Fields in braces are filled per row.
DEFAULT_REASONS: dict[str, str] = {
    "withdrawal_not_received": gettext_noop(
        "Withdrawal {settlement_id} of ¥{amount} on {day} ({platform}) reached the bank by no credit within {window} days."),
    "withdrawal_amount_mismatch": gettext_noop(
        "Withdrawal {settlement_id} of ¥{amount} is named by bank line {bank_ref}, which credits ¥{credit}: ¥{diff} apart."),
    "ambiguous_match_credit": gettext_noop(
        "Bank credit {bank_ref} of ¥{amount} on {day} fits more than one set of withdrawals; match it by hand."),
    "ambiguous_match_bound": gettext_noop(
        "Bank credit {bank_ref} of ¥{amount} on {day} has too many possible withdrawals to search; match it by hand."),
    "ambiguous_match_withdrawal": gettext_noop(
        "Withdrawal {settlement_id} of ¥{amount} on {day} ({platform}) fits more than one bank credit; match it by hand."),
    "ambiguous_match_withdrawal_bound": gettext_noop(
        "Withdrawal {settlement_id} of ¥{amount} on {day} ({platform}) has too many possible bank credits to search; match it by hand."),
    "bank_credit_unmatched": gettext_noop(
        "Bank credit {bank_ref} of ¥{amount} on {day} from {payer} matches no platform withdrawal."),
    "statement_balance_break_total": gettext_noop(
        "Statement {file_name}: opening balance ¥{opening} plus its lines is ¥{computed}, but it states a closing balance of ¥{shown}."),
    "statement_balance_break_running": gettext_noop(
        "Statement {file_name}: before line {bank_ref} the balance was ¥{previous}; with its ¥{amount} it should be ¥{computed}, the file shows ¥{shown}: lines are missing."),
}


def normalize_name(text) -> str:
    """A payer's name as compared: the header normaliser's form (case, width, spaces, punctuation and brackets)."""
    return header_key(str(text or ""))[0]


@dataclass
class BankMatchResult:
    matches: list[dict]          # rule, withdrawal_ids, line_ids, keys, date_diff_days, amount_diff_fen
    discrepancies: pd.DataFrame  # DISCREPANCY_COLUMNS
    held_withdrawal_ids: set[int] = field(default_factory=set)  # in an ambiguous match: a person decides
    held_line_ids: set[int] = field(default_factory=set)
    summary: dict = field(default_factory=dict)


def _day(value) -> date | None:
    if value is None or (not isinstance(value, date) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if hasattr(value, "date") and not type(value) is date:
        return value.date()
    return value


def _ids(values: Iterable) -> set[int]:
    return {int(v) for v in values}


def _substrings_in(text: str, keys_by_length: Mapping[int, set[str]]) -> set[str]:
    """Every key that occurs in text: one set look-up per position and key length (a few lengths, short remarks)."""
    found = set()
    n = len(text)
    for length, keys in keys_by_length.items():
        for i in range(0, n - length + 1):
            piece = text[i:i + length]
            if piece in keys:
                found.add(piece)
    return found


class _Search:
    """Combinations of at most GROUP_MAX candidates whose amounts add up to a target, counted up to two, within the
    bounds; `bound` is set when a bound stopped the search (the answer is then unknown)."""

    def __init__(self, target: int, candidates: list[tuple[int, int]]):
        self.target = target
        # Largest first: a prefix too large is pruned early; the ids break ties so the search is deterministic.
        self.items = sorted(candidates, key=lambda c: (-c[1], c[0]))
        self.found: list[tuple[int, ...]] = []
        self.nodes = 0
        self.bound = len(self.items) > MAX_CANDIDATES

    def run(self) -> "_Search":
        if self.bound:
            return self
        amounts = [a for _, a in self.items]
        # suffix[i]: the most the items from i on can add, with at most GROUP_MAX of them (they are sorted).
        self._amounts = amounts
        self._dfs(0, 0, ())
        return self

    def _dfs(self, start: int, total: int, chosen: tuple[int, ...]) -> None:
        for i in range(start, len(self.items)):
            if len(self.found) >= 2 or self.bound:
                return
            self.nodes += 1
            if self.nodes > MAX_NODES:
                self.bound = True
                return
            amount = self._amounts[i]
            new = total + amount
            if new > self.target:
                continue
            picked = chosen + (self.items[i][0],)
            if new == self.target:
                self.found.append(picked)
                continue
            if len(picked) < GROUP_MAX:
                remaining = self.target - new
                # Sorted largest first: if the next GROUP_MAX - len items together cannot reach the rest, stop here.
                room = GROUP_MAX - len(picked)
                if sum(self._amounts[i + 1:i + 1 + room]) < remaining:
                    continue
                self._dfs(i + 1, new, picked)


def match_bank(withdrawals: pd.DataFrame, credits: pd.DataFrame, payer_names_by_platform: Mapping[str, Iterable[str]],
               start: date, end: date, as_of: date, window_days: int, manual: Iterable[Mapping] = (),
               texts: Mapping[str, str] | None = None) -> BankMatchResult:
    """Match withdrawals dated in [start, end] to bank credits, and report what matched nothing or fitted twice.

    `credits` may hold every bank line loaded (debits, reversals and zero lines are not credits and are ignored).
    `manual` lists the matches kept from before (`withdrawal_ids`, `line_ids`): their items take no part.
    """
    t = {**DEFAULT_REASONS, **(texts or {})}
    window = timedelta(days=int(window_days))
    manual = list(manual)
    kept_w: set[int] = set()
    kept_c: set[int] = set()
    for m in manual:
        kept_w |= _ids(m.get("withdrawal_ids", ()))
        kept_c |= _ids(m.get("line_ids", ()))

    # ---------------------------------------------------------------- inputs as plain records
    W: dict[int, dict] = {}
    for row in withdrawals.itertuples(index=False):
        wid, amount, day = int(row.withdrawal_id), int(row.amount_fen), _day(row.occurred_on)
        if wid in kept_w or amount <= 0 or day is None or not (start <= day <= end):
            continue
        W[wid] = {"id": wid, "platform": str(row.platform_code), "sid": str(row.settlement_id).strip(), "day": day,
                  "amount": amount}
    payer_platforms: dict[str, set[str]] = defaultdict(set)
    for code, names in payer_names_by_platform.items():
        for name in names or ():
            key = normalize_name(name)
            if key:
                payer_platforms[key].add(str(code))
    C: dict[int, dict] = {}
    names: dict[str, set[str]] = {}  # a statement repeats a few payers' names thousands of times
    for row in credits.itertuples(index=False):
        lid, amount, day = int(row.line_id), int(row.amount_fen), _day(row.booked_on)
        if lid in kept_c or amount <= 0 or day is None:
            continue
        C[lid] = {"id": lid, "ref": str(row.ref), "account": str(row.account_no), "day": day, "amount": amount,
                  "payer": str(row.counterparty_name or ""), "text": str(row.description or ""),
                  "platforms": names.get(row.counterparty_name)}
        if C[lid]["platforms"] is None:
            C[lid]["platforms"] = names[row.counterparty_name] = payer_platforms.get(normalize_name(row.counterparty_name), set())

    matches: list[dict] = []
    used_w: set[int] = set()
    used_c: set[int] = set()
    held_w: set[int] = set()
    held_c: set[int] = set()
    rows: list[dict] = []

    def add_match(rule: str, wids: list[int], cids: list[int]) -> None:
        wids, cids = sorted(wids), sorted(cids)
        w_total = sum(W[i]["amount"] for i in wids)
        c_total = sum(C[i]["amount"] for i in cids)
        w_day = max(W[i]["day"] for i in wids)
        c_day = max(C[i]["day"] for i in cids)
        matches.append({
            "rule": rule, "withdrawal_ids": wids, "line_ids": cids,
            "keys": {"settlement_ids": [W[i]["sid"] for i in wids], "bank_refs": [C[i]["ref"] for i in cids]},
            "date_diff_days": (c_day - w_day).days, "amount_diff_fen": w_total - c_total,
        })
        used_w.update(wids)
        used_c.update(cids)

    # ---------------------------------------------------------------- 1. by reference
    by_length: dict[int, set[str]] = defaultdict(set)
    sid_owner: dict[str, list[int]] = defaultdict(list)
    for w in W.values():
        if w["sid"]:
            by_length[len(w["sid"])].add(w["sid"])
            sid_owner[w["sid"]].append(w["id"])
    named: dict[int, list[int]] = {}  # credit → withdrawals its remark names
    naming: dict[int, list[int]] = defaultdict(list)  # withdrawal → credits naming it
    if by_length:
        for c in C.values():
            hits = _substrings_in(c["text"], by_length) if c["text"] else set()
            # A settlement ID contained in a longer one also named there is part of it, not a reference of its own.
            hits = {h for h in hits if not any(h != o and h in o for o in hits)}
            wids = sorted(i for h in hits for i in sid_owner[h])
            if wids:
                named[c["id"]] = wids
                for i in wids:
                    naming[i].append(c["id"])
    for cid in sorted(named, key=lambda i: (C[i]["day"], C[i]["ref"], i)):
        wids = named[cid]
        if any(len(naming[i]) > 1 for i in wids):
            continue
        add_match(RULE_REFERENCE, wids, [cid])
        m = matches[-1]
        if m["amount_diff_fen"] != 0:
            first = min(wids, key=lambda i: W[i]["sid"])
            w, c = W[first], C[cid]
            diff = m["amount_diff_fen"]
            w_total = sum(W[i]["amount"] for i in wids)
            rows.append(_row("withdrawal_amount_mismatch", ref=w["sid"], ref2=c["ref"], amount=diff, theirs=c["amount"],
                             ours=w_total, day=w["day"], platform=w["platform"], account=c["account"], withdrawal_id=w["id"],
                             line_id=cid, reason=t["withdrawal_amount_mismatch"].format(
                                 settlement_id=w["sid"], amount=_yuan(w_total), bank_ref=c["ref"], credit=_yuan(c["amount"]),
                                 diff=_yuan(diff))))
    for wid, cids in sorted(naming.items()):
        if len(cids) > 1 and wid not in used_w:
            # Named by several credits: which one paid it is a person's call.
            w = W[wid]
            held_w.add(wid)
            held_c.update(c for c in cids if c not in used_c)
            rows.append(_row("ambiguous_match", ref=w["sid"], amount=0, theirs=None, ours=w["amount"], day=w["day"],
                             platform=w["platform"], withdrawal_id=wid, reason=t["ambiguous_match_withdrawal"].format(
                                 settlement_id=w["sid"], amount=_yuan(w["amount"]), day=w["day"].isoformat(),
                                 platform=w["platform"])))

    # ---------------------------------------------------------------- candidates by payer name and window
    def free_w():
        return [w for w in W.values() if w["id"] not in used_w and w["id"] not in held_w]

    def free_c():
        return [c for c in C.values() if c["id"] not in used_c and c["id"] not in held_c and c["platforms"]]

    def candidates() -> tuple[dict[int, list[int]], dict[int, list[int]]]:
        """Each free withdrawal's candidate credits and each free credit's candidate withdrawals (in the window)."""
        by_platform: dict[str, list[dict]] = defaultdict(list)
        for c in free_c():
            for p in c["platforms"]:
                by_platform[p].append(c)
        days_of: dict[str, np.ndarray] = {}
        for p, lst in by_platform.items():
            lst.sort(key=lambda c: (c["day"], c["id"]))
            days_of[p] = np.array([c["day"] for c in lst], dtype="datetime64[D]")
        w_cands: dict[int, list[int]] = defaultdict(list)
        c_cands: dict[int, list[int]] = defaultdict(list)
        for w in sorted(free_w(), key=lambda w: w["id"]):
            lst = by_platform.get(w["platform"], [])
            if not lst:
                continue
            lo = int(np.searchsorted(days_of[w["platform"]], np.datetime64(w["day"], "D"), side="left"))
            for c in lst[lo:]:
                if c["day"] > w["day"] + window:
                    break
                w_cands[w["id"]].append(c["id"])
                c_cands[c["id"]].append(w["id"])
        return w_cands, c_cands

    # ---------------------------------------------------------------- 2. one to one, one candidate each side
    # Indexed by (platform, amount): only the same amount counts here, and the lists stay short.
    same_c: dict[tuple[str, int], list[dict]] = defaultdict(list)
    for c in free_c():
        for p in c["platforms"]:
            same_c[(p, c["amount"])].append(c)
    same_w: dict[tuple[str, int], list[dict]] = defaultdict(list)
    for w in free_w():
        same_w[(w["platform"], w["amount"])].append(w)
    for w in sorted(free_w(), key=lambda w: w["id"]):
        same = [c for c in same_c.get((w["platform"], w["amount"]), ()) if w["day"] <= c["day"] <= w["day"] + window]
        if len(same) != 1 or same[0]["id"] in used_c:
            continue
        c = same[0]
        back = [o for p in c["platforms"] for o in same_w.get((p, c["amount"]), ()) if o["day"] <= c["day"] <= o["day"] + window]
        if len(back) == 1 and back[0]["id"] == w["id"]:
            add_match(RULE_ONE_TO_ONE, [w["id"]], [c["id"]])

    # ---------------------------------------------------------------- 3. groups
    w_cands, c_cands = candidates()
    combos: set[tuple[tuple[int, ...], tuple[int, ...]]] = set()
    bound_c: set[int] = set()
    bound_w: set[int] = set()
    blocked_w: set[int] = set()
    blocked_c: set[int] = set()
    for cid in sorted(c_cands):
        c = C[cid]
        by_platform: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for wid in c_cands[cid]:
            if W[wid]["amount"] <= c["amount"]:
                by_platform[W[wid]["platform"]].append((wid, W[wid]["amount"]))
        for platform in sorted(by_platform):
            search = _Search(c["amount"], by_platform[platform]).run()
            if search.bound:
                bound_c.add(cid)
                blocked_w.update(w for w, _ in by_platform[platform])
            for found in search.found:
                combos.add((tuple(sorted(found)), (cid,)))
    for wid in sorted(w_cands):
        w = W[wid]
        cands = [(cid, C[cid]["amount"]) for cid in w_cands[wid] if C[cid]["amount"] <= w["amount"]]
        search = _Search(w["amount"], cands).run()
        if search.bound:
            bound_w.add(wid)
            blocked_c.update(cid for cid, _ in cands)
        for found in search.found:
            combos.add(((wid,), tuple(sorted(found))))

    in_w: dict[int, list] = defaultdict(list)
    in_c: dict[int, list] = defaultdict(list)
    for combo in combos:
        for i in combo[0]:
            in_w[i].append(combo)
        for i in combo[1]:
            in_c[i].append(combo)
    for combo in sorted(combos):
        wids, cids = combo
        alone = all(len(in_w[i]) == 1 for i in wids) and all(len(in_c[i]) == 1 for i in cids)
        free = not (set(wids) & (blocked_w | bound_w)) and not (set(cids) & (blocked_c | bound_c))
        if alone and free:
            add_match(RULE_ONE_TO_ONE if len(wids) == len(cids) == 1 else RULE_GROUP, list(wids), list(cids))

    ambiguous_c = sorted({i for i, lst in in_c.items() if len(lst) > 1} | bound_c)
    for cid in ambiguous_c:
        c = C[cid]
        key = "ambiguous_match_bound" if cid in bound_c else "ambiguous_match_credit"
        rows.append(_row("ambiguous_match", ref=c["ref"], amount=0, theirs=c["amount"], ours=None, day=c["day"],
                         platform=_one(c["platforms"]), account=c["account"], line_id=cid, bound=cid in bound_c,
                         reason=t[key].format(bank_ref=c["ref"], amount=_yuan(c["amount"]), day=c["day"].isoformat())))
    reported_c = set(ambiguous_c)
    for wid in sorted({i for i, lst in in_w.items() if len(lst) > 1} | bound_w):
        related = {cid for combo in in_w[wid] for cid in combo[1]} | (set(w_cands.get(wid, ())) if wid in bound_w else set())
        if related & reported_c or wid in blocked_w:
            continue
        w = W[wid]
        key = "ambiguous_match_withdrawal_bound" if wid in bound_w else "ambiguous_match_withdrawal"
        rows.append(_row("ambiguous_match", ref=w["sid"], amount=0, theirs=None, ours=w["amount"], day=w["day"],
                         platform=w["platform"], withdrawal_id=wid, bound=wid in bound_w,
                         reason=t[key].format(settlement_id=w["sid"], amount=_yuan(w["amount"]), day=w["day"].isoformat(),
                                              platform=w["platform"])))
    # What sits in a combination that was not accepted, or around a search a bound stopped, waits for a person.
    for wids, cids in combos:
        held_w.update(i for i in wids if i not in used_w)
        held_c.update(i for i in cids if i not in used_c)
    held_w |= (blocked_w | bound_w) - used_w
    held_c |= (blocked_c | bound_c) - used_c

    # ---------------------------------------------------------------- what matched nothing
    for w in sorted(W.values(), key=lambda w: (w["day"], w["sid"], w["id"])):
        if w["id"] in used_w or w["id"] in held_w or not (w["day"] + window < as_of):
            continue
        rows.append(_row("withdrawal_not_received", ref=w["sid"], amount=w["amount"], theirs=None, ours=w["amount"],
                         day=w["day"], platform=w["platform"], withdrawal_id=w["id"],
                         reason=t["withdrawal_not_received"].format(settlement_id=w["sid"], amount=_yuan(w["amount"]),
                                                                   day=w["day"].isoformat(), platform=w["platform"],
                                                                   window=int(window_days))))
    left = [c for c in C.values() if c["platforms"] and c["id"] not in used_c and c["id"] not in held_c and start <= c["day"] <= end]
    for c in sorted(left, key=lambda c: (c["day"], c["ref"], c["id"])):
        rows.append(_row("bank_credit_unmatched", ref=c["ref"], amount=c["amount"], theirs=c["amount"], ours=None,
                         day=c["day"], platform=_one(c["platforms"]), account=c["account"], line_id=c["id"],
                         reason=t["bank_credit_unmatched"].format(bank_ref=c["ref"], amount=_yuan(c["amount"]),
                                                                 day=c["day"].isoformat(), payer=c["payer"])))

    disc = _frame(rows)
    pending = [w for w in W.values() if w["id"] not in used_w and w["id"] not in held_w and not (w["day"] + window < as_of)]
    summary = {
        "withdrawals": len(W), "credits": sum(1 for c in C.values() if start <= c["day"] <= end),
        "matches": len(matches), "matches_by_rule": {r: sum(1 for m in matches if m["rule"] == r)
                                                     for r in (RULE_REFERENCE, RULE_ONE_TO_ONE, RULE_GROUP)},
        "kept_matches": len(manual),
        "withdrawals_pending": len(pending), "withdrawals_pending_fen": sum(w["amount"] for w in pending),
        "held_withdrawals": len(held_w), "held_credits": len(held_c),
    }
    return BankMatchResult(matches=sorted(matches, key=lambda m: (m["withdrawal_ids"], m["line_ids"])), discrepancies=disc,
                           held_withdrawal_ids=held_w, held_line_ids=held_c, summary=summary)


def statement_balance_breaks(statements: pd.DataFrame, lines: pd.DataFrame,
                             texts: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Statements whose stated opening plus lines is not the stated closing; or, with a running balance and no stated
    balances, each break of that balance between two lines in the file's date order (oldest or newest first)."""
    t = {**DEFAULT_REASONS, **(texts or {})}
    by_statement: dict[int, list] = defaultdict(list)
    for row in lines.itertuples(index=False):
        by_statement[int(row.statement_id)].append(row)
    rows = []
    for s in statements.itertuples(index=False):
        sid = int(s.statement_id)
        own = sorted(by_statement.get(sid, []), key=lambda r: (int(r.position), int(r.line_id)))
        opening, closing = _int_or_none(s.opening_fen), _int_or_none(s.closing_fen)
        if opening is not None and closing is not None:
            computed = opening + sum(int(r.amount_fen) for r in own)
            if computed != closing:
                day = _day(s.closed_on) or (max(_day(r.booked_on) for r in own) if own else None)
                rows.append(_row("statement_balance_break", ref=str(s.file_name), amount=closing - computed, theirs=closing,
                                 ours=computed, day=day, account=str(s.account_no), statement_id=sid,
                                 reason=t["statement_balance_break_total"].format(
                                     file_name=s.file_name, opening=_yuan(opening), computed=_yuan(computed),
                                     shown=_yuan(closing))))
            continue
        chain = [r for r in own if _int_or_none(r.balance_fen) is not None]
        if len(chain) < 2 or len(chain) != len(own):
            continue
        days = [_day(r.booked_on) for r in chain]
        forward = _breaks(chain)
        if days == sorted(days, reverse=True) and days != sorted(days):
            ordered, found = list(reversed(chain)), _breaks(list(reversed(chain)))
        elif days == sorted(days) and days != sorted(days, reverse=True):
            ordered, found = chain, forward
        else:
            # One day throughout: the order that breaks less is the file's.
            backward = _breaks(list(reversed(chain)))
            ordered, found = (chain, forward) if len(forward) <= len(backward) else (list(reversed(chain)), backward)
        for i in found:
            prev, line = ordered[i - 1], ordered[i]
            computed = int(prev.balance_fen) + int(line.amount_fen)
            shown = int(line.balance_fen)
            rows.append(_row("statement_balance_break", ref=str(line.ref), ref2=str(s.file_name), amount=shown - computed,
                             theirs=shown, ours=computed, day=_day(line.booked_on), account=str(s.account_no),
                             line_id=int(line.line_id), statement_id=sid,
                             reason=t["statement_balance_break_running"].format(
                                 file_name=s.file_name, bank_ref=line.ref, previous=_yuan(int(prev.balance_fen)),
                                 amount=_yuan(int(line.amount_fen)), computed=_yuan(computed), shown=_yuan(shown))))
    return _frame(rows)


def _breaks(chain: list) -> list[int]:
    return [i for i in range(1, len(chain))
            if int(chain[i - 1].balance_fen) + int(chain[i].amount_fen) != int(chain[i].balance_fen)]


def _int_or_none(value) -> int | None:
    if value is None or (not isinstance(value, (int, np.integer)) and pd.isna(value)):
        return None
    return int(value)


def _one(values: set[str]) -> str:
    return sorted(values)[0] if values else ""


def _yuan(fen: int) -> str:
    """Integer fen as '12.34' ('-0.50'), like recon.engine.text.yuan for one value."""
    fen = int(fen)
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def _row(kind: str, *, ref: str, amount: int, reason: str, ref2: str = "", theirs=None, ours=None, day=None,
         platform: str = "", account: str = "", withdrawal_id=None, line_id=None, statement_id=None,
         bound: bool = False) -> dict:
    return {"type": kind, "ref": ref, "ref2": ref2, "amount_fen": int(amount), "theirs_fen": theirs, "ours_fen": ours,
            "occurred_on": day, "platform_code": platform, "account_no": account, "withdrawal_id": withdrawal_id,
            "line_id": line_id, "statement_id": statement_id, "bound": bool(bound),
            "is_claim": kind in CLAIM_TYPES and int(amount) > 0, "reason": reason}


def _frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=DISCREPANCY_COLUMNS)
    for col in ("theirs_fen", "ours_fen", "withdrawal_id", "line_id", "statement_id"):
        frame[col] = pd.array(frame[col].tolist(), dtype="Int64")
    frame["amount_fen"] = frame["amount_fen"].astype("int64")
    frame["is_claim"] = frame["is_claim"].astype(bool)
    frame["bound"] = frame["bound"].astype(bool)
    order = frame["type"].map({k: i for i, k in enumerate(TYPES)})
    return (frame.assign(_order=order).sort_values(["_order", "ref", "ref2"], kind="stable")
            .drop(columns="_order").reset_index(drop=True))


def totals(disc: pd.DataFrame) -> dict:
    """Counts and money per type (every type, zeros included), and the claims among them."""
    counts = disc.groupby("type").size()
    money = disc.groupby("type")["amount_fen"].sum()
    return {
        "count_by_type": {k: int(counts.get(k, 0)) for k in TYPES},
        "fen_by_type": {k: int(money.get(k, 0)) for k in TYPES},
        "claims": int(disc["is_claim"].sum()),
        "claim_fen": int(disc.loc[disc["is_claim"], "amount_fen"].sum()),
    }
