"""What a statement's own numbers say about it: whether its balances add up, and the references of its lines.

Plain Python on the readers' frames; the import stores what these return.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

STATED, RUNNING = "stated", "running"


@dataclass
class BalanceCheck:
    """`source`: 'stated' (opening and closing given), 'running' (a balance per line) or '' (nothing to check).

    `difference_fen` is the balance the file shows minus the balance its lines give, at the first break; `break_at`
    is the position (0-based, file order) of the line after that break, None for a stated mismatch.
    """

    source: str = ""
    ok: bool | None = None
    difference_fen: int = 0
    break_at: int | None = None
    breaks: int = 0
    order: str = ""


def _running_breaks(amount: np.ndarray, balance: np.ndarray, newest_first: bool) -> list[tuple[int, int]]:
    """(position of the line after a break, difference) for each pair of neighbouring lines that both show a balance."""
    known = np.flatnonzero(~np.isnan(balance))
    out = []
    for a, b in zip(known[:-1], known[1:]):
        # Oldest first: a line's balance is the one above it plus its amount. Newest first: the one below it.
        later, earlier = (a, b) if newest_first else (b, a)
        expected = balance[earlier] + amount[later]
        if balance[later] != expected:
            out.append((int(later), int(balance[later] - expected)))
    return out


def balance_check(*, lines: pd.DataFrame, opening_fen: int | None, closing_fen: int | None) -> BalanceCheck:
    """Check stated balances (opening + lines = closing) or else a running balance between neighbouring lines.

    The running balance is read in the file's date order: dates that never rise mean newest first, dates that never
    fall oldest first; a file in neither (or all of one day) is read the way that breaks fewer times, oldest first
    on a tie.
    """
    if opening_fen is not None and closing_fen is not None:
        total = int(lines["amount_fen"].sum()) if len(lines) else 0
        difference = closing_fen - (opening_fen + total)
        return BalanceCheck(source=STATED, ok=difference == 0, difference_fen=difference, breaks=int(difference != 0))
    if not len(lines) or lines["balance_fen"].isna().all():
        return BalanceCheck()
    amount = lines["amount_fen"].to_numpy(dtype=float)
    balance = lines["balance_fen"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    days = pd.to_datetime(lines["booked_on"]).to_numpy()
    rising, falling = bool((np.diff(days) >= np.timedelta64(0)).all()), bool((np.diff(days) <= np.timedelta64(0)).all())
    oldest, newest = _running_breaks(amount, balance, False), _running_breaks(amount, balance, True)
    if rising and not falling:
        chosen, order = oldest, "oldest_first"
    elif falling and not rising:
        chosen, order = newest, "newest_first"
    else:
        chosen, order = (newest, "newest_first") if len(newest) < len(oldest) else (oldest, "oldest_first")
    if not chosen:
        return BalanceCheck(source=RUNNING, ok=True, order=order)
    at, difference = chosen[0]
    return BalanceCheck(source=RUNNING, ok=False, difference_fen=difference, break_at=at, breaks=len(chosen), order=order)


def assign_refs(*, refs: pd.Series, booked_on: pd.Series, account_no: pd.Series) -> pd.Series:
    """Each line's reference: the bank's own, or `<account>-<YYYYMMDD>-<n>` where n counts the account's lines of that
    day in file order from 1. A bank reference that recurs in the file (two lines of one transfer) gets `/2`, `/3` …
    from its second line on. Both depend on the file alone, so the same file gives the same references again."""
    refs = refs.fillna("").astype(str).str.strip()
    day = pd.to_datetime(booked_on).dt.strftime("%Y%m%d")
    nth_of_day = pd.Series(1, index=refs.index).groupby([account_no, day]).cumsum()
    made = account_no + "-" + day + "-" + nth_of_day.astype(str)
    nth_of_ref = pd.Series(1, index=refs.index).groupby([account_no, refs]).cumsum()
    own = refs.where(nth_of_ref == 1, refs + "/" + nth_of_ref.astype(str))
    return own.where(refs != "", made).str.slice(0, 128)
