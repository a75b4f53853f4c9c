"""Lines of a courier bill that belong to another kind (return freight billed with the outbound parcels).

Couriers know no other kind: each taker is named in settings.COURIER_BILL_LINE_TAKERS (code → dotted path of a
BillLineTaker), imported when a bill is read, so that the taker's app may import couriers and never the reverse.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import re

import numpy as np
import pandas as pd
from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class BillLineTaker:
    """A kind that takes the bill lines whose business-type cell holds one of its words; `save(bill=, courier=, lines=)`
    stores them inside the bill's own transaction."""

    code: str
    words: tuple[str, ...]
    save: Callable[..., None]


@lru_cache(maxsize=8)
def _takers(paths: tuple[tuple[str, str], ...]) -> tuple[BillLineTaker, ...]:
    return tuple(import_string(path) for _code, path in paths)


def bill_line_takers() -> tuple[BillLineTaker, ...]:
    """The takers the settings name, in code order; re-read when a test overrides the setting."""
    return _takers(tuple(sorted((getattr(settings, "COURIER_BILL_LINE_TAKERS", None) or {}).items())))


def bill_lines_split(lines: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple[BillLineTaker, pd.DataFrame]]]:
    """The lines courier fees checks, and the lines each taker claims by the bill's business-type column."""
    if "business_type" not in lines.columns or not len(lines):
        return lines, []
    # Spaces and full-width forms are how exports differ; '退件 ' and '逆向件' are both return parcels.
    kinds = lines["business_type"].fillna("").astype(str).str.normalize("NFKC").str.replace(r"\s+", "", regex=True)
    taken = np.zeros(len(lines), dtype=bool)
    handed: list[tuple[BillLineTaker, pd.DataFrame]] = []
    for taker in bill_line_takers():
        mine = ~taken & kinds.str.contains("|".join(map(re.escape, taker.words)), regex=True).to_numpy()
        if mine.any():
            handed.append((taker, lines[mine].reset_index(drop=True)))
            taken |= mine
    return lines[~taken].reset_index(drop=True), handed
