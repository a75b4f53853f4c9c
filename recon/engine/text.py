"""Vectorized text for reasons: money and weight formatting, and template filling over whole columns."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

_FIELD = re.compile(r"\{(\w+)\}")


def yuan(fen: pd.Series) -> pd.Series:
    """Integer fen -> '12.34' ('-0.50' for negatives, '' for missing), without floats."""
    values = pd.array(fen, dtype="Int64")
    missing = np.asarray(pd.isna(values))
    v = np.asarray(values.fillna(0), dtype=np.int64)
    a = np.abs(v)
    text = pd.Series(np.where(v < 0, "-", ""), dtype=object) + pd.Series(a // 100).astype(str) + "." + pd.Series(a % 100).astype(str).str.zfill(2)
    text[missing] = ""
    return text


def kg(grams: pd.Series) -> pd.Series:
    """Integer grams -> '1.25' kilograms, trailing zeros dropped ('' for missing)."""
    values = pd.array(grams, dtype="Int64")
    missing = np.asarray(pd.isna(values))
    g = np.asarray(values.fillna(0), dtype=np.int64)
    frac = pd.Series(g % 1000).astype(str).str.zfill(3).str.rstrip("0")
    text = pd.Series(g // 1000).astype(str) + np.where(frac == "", "", ".") + frac
    text[missing] = ""
    return text


def fill(template: str, values: dict[str, pd.Series], length: int) -> pd.Series:
    """Fill `{name}` fields of a template from same-length columns, one string per row."""
    parts = _FIELD.split(template)
    out = pd.Series([""] * length, dtype=object)
    for i, part in enumerate(parts):
        if i % 2 == 0:
            if part:
                out = out + part
        else:
            col = values[part]
            out = out + pd.Series(np.asarray(col.astype(object).where(col.notna(), "").astype(str)), dtype=object)
    return out
