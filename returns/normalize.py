"""Return waybill numbers as customers type them, made comparable with the warehouse's and the courier's.

Pure pandas, no Django: the importers and the engine's tests call it alike.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from recon.ingest.clean import _EMPTY_TOKENS, cell_kinds, clean_text

# Every dash a keyboard or an IME produces, and the colon after a name ("顺丰：SF…"); "－" and "：" are ASCII after NFKC.
_SEPARATORS = r"[\s\-‐‑‒–—―_:]+"
# What is left after a prefix must still look like a waybill number (clean.WAYBILL_RE without its hyphens).
_PLAUSIBLE = r"[A-Z0-9]{6,40}"
# Numbers whose own first letters are a courier's code or look like one: SF (顺丰), JD/JDV/JDVA/JDX (京东),
# YT (圆通), JT (极兔), DPK (德邦). A code in front of a number never strips these letters.
_LETTER_NUMBER = r"(?:SF|YT|JT|DPK|JD[A-Z]{0,3})\d{6,}"


def _key(text: pd.Series) -> pd.Series:
    """The comparable form: NFKC (full width), upper case, no spaces or dashes."""
    # NFKC again after upper(): a few letters (ﬁ, ß) only reach their final form in two steps.
    t = text.str.normalize("NFKC").str.upper().str.normalize("NFKC").str.replace(_SEPARATORS, "", regex=True)
    # Text-forcing wrappers of Excel and CSV exports ('123, ="123"), wherever spaces had hidden them.
    return t.str.replace(r"^[='\"]+|[\"']+$", "", regex=True)


def normalize_return_waybill(values: pd.Series, courier_names: list[str]) -> pd.Series:
    """Return waybill numbers without case, spacing, dashes, full-width forms or a courier's name typed in front."""
    cells = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    # Each distinct cell once (an export repeats a parcel's waybill on every item row), and the cells already in the
    # final form (upper-case letters and digits) skip the text clean-up.
    codes, uniques = pd.factorize(cells, use_na_sentinel=True)
    out = pd.Series(uniques, dtype=object)
    text, _number = cell_kinds(out)
    done = np.zeros(len(out), dtype=bool)
    if text.any():
        done[text] = out[text].str.fullmatch(_PLAUSIBLE).to_numpy(dtype=bool)
    if not done.all():
        rest = _key(clean_text(out[~done].reset_index(drop=True)))
        # Removing a dash can bring a letter and a combining accent together, which NFKC then joins: again until stable.
        while True:
            again = _key(rest)
            if again.equals(rest):
                break
            rest = again
        out[~done] = rest.mask(rest.str.lower().isin(_EMPTY_TOKENS), "").to_numpy()
    names = {n for n in _key(pd.Series(list(courier_names), dtype=object)).dropna() if n}
    if names and len(out):
        # No name or code starts with a digit: only the others can carry one.
        lettered = ~out.str.match(r"\d").to_numpy(dtype=bool) & (out != "").to_numpy()
        if lettered.any():
            out[lettered] = _strip_names(out[lettered].reset_index(drop=True), names).to_numpy()
    result = np.append(out.to_numpy(dtype=object), "")[np.where(codes >= 0, codes, len(out))]
    return pd.Series(result, index=cells.index, dtype=object)


def _strip_names(out: pd.Series, names: set[str]) -> pd.Series:
    """Courier names and codes taken off the front, one per pass, while what remains is still a waybill number."""
    # Longest first, so that 中通快递 goes before 中通 and a regex alternation takes the longest name.
    ordered = sorted(names, key=lambda n: (-len(n), n))
    pattern = re.compile("^(" + "|".join(re.escape(n) for n in ordered) + ")(.*)$", re.S)
    ascii_names = {n for n in names if n.isascii()}
    # "中通快递 ZTO 7531…" takes two passes; it stops when nothing changes (every pass shortens what it changes),
    # which makes the whole function idempotent.
    while True:
        parts = out.str.extract(pattern)
        prefix, rest = parts[0], parts[1]
        found = prefix.notna().to_numpy()
        if not found.any():
            return out
        rest = rest.fillna("")
        plausible = rest.str.fullmatch(_PLAUSIBLE).to_numpy(dtype=bool)
        is_code = prefix.isin(ascii_names).to_numpy()
        # A code (letters) goes only in front of digits or of a number that has letters of its own (YTO YT…), and never
        # out of a number that begins with its letters (SF1234…).
        code_ok = (rest.str.fullmatch(r"\d{6,40}") | rest.str.fullmatch(_LETTER_NUMBER)).to_numpy(dtype=bool) & ~out.str.fullmatch(
            _LETTER_NUMBER).to_numpy(dtype=bool)
        strip = found & plausible & np.where(is_code, code_ok, True)
        if not strip.any():
            return out
        out = out.where(~strip, rest)
