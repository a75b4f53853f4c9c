"""Vectorized text for reasons: money and weight formatting, and template filling over whole columns."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

_FIELD = re.compile(r"\{(\w+)\}")


# Lookup tables for the part after the point: one array index per value instead of a string operation.
_CENTS = np.array([f".{c:02d}" for c in range(100)], dtype=object)
_GRAMS = np.array([f".{g:03d}".rstrip("0") if g else "" for g in range(1000)], dtype=object)


def _digits(values: np.ndarray) -> np.ndarray:
    return pd.Series(values).astype(str).to_numpy(dtype=object)


def yuan(fen: pd.Series) -> pd.Series:
    """Integer fen -> '12.34' ('-0.50' for negatives, '' for missing), without floats."""
    values = pd.array(fen, dtype="Int64")
    missing = np.asarray(pd.isna(values))
    v = np.asarray(values.fillna(0), dtype=np.int64)
    a = np.abs(v)
    text = _digits(a // 100) + _CENTS[a % 100]
    negative = v < 0
    if negative.any():
        text[negative] = "-" + text[negative]
    text[missing] = ""
    return pd.Series(text, dtype=object)


def kg(grams: pd.Series) -> pd.Series:
    """Integer grams -> '1.25' kilograms, trailing zeros dropped ('' for missing)."""
    values = pd.array(grams, dtype="Int64")
    missing = np.asarray(pd.isna(values))
    g = np.asarray(values.fillna(0), dtype=np.int64)
    text = _digits(g // 1000) + _GRAMS[g % 1000]
    text[missing] = ""
    return pd.Series(text, dtype=object)


def fields_of(template: str) -> list[str]:
    """The `{name}` fields a template uses, in order."""
    return _FIELD.findall(template)


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
