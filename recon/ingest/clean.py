"""Vectorized parsers for cell values: money, weights, lengths, dates and waybill numbers.

Every parser takes a Series of raw cells (str from CSV; str, float, datetime or '' from Excel) and
returns values plus a mask of cells that were not empty but could not be read. Text is parsed once
per distinct value (bills repeat the same fees, dates and provinces thousands of times).
"""

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

_NUMERIC_INFERRED = {"floating", "integer", "mixed-integer-float", "decimal"}
# Cells that mean "nothing here" in Chinese exports (banks print '-' or '/', pandas writes 'nan').
_EMPTY_TOKENS = ["", "-", "--", "—", "——", "/", "nan", "none", "null"]
_MAX_INT_DIGITS = 15  # beyond this a scaled value could overflow int64; no real amount or weight is that big


def _series(s) -> pd.Series:
    return s if isinstance(s, pd.Series) else pd.Series(s, dtype=object)


def cell_kinds(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Masks of text cells and of number cells; anything else is empty or another type (dates, bools)."""
    n = len(s)
    kind = s.dtype.kind
    if kind in "iu":
        return np.zeros(n, bool), np.ones(n, bool)
    if kind == "f":
        return np.zeros(n, bool), s.notna().to_numpy()
    if kind != "O" and not pd.api.types.is_string_dtype(s.dtype):
        return np.zeros(n, bool), np.zeros(n, bool)
    inferred = infer_dtype(s, skipna=True)
    notna = s.notna().to_numpy()
    if inferred in ("string", "empty"):
        return notna, np.zeros(n, bool)
    if inferred in _NUMERIC_INFERRED:
        return np.zeros(n, bool), notna
    # Mixed column, typically Excel numbers with '' for blank cells: look at each cell's type.
    types = s.map(type).to_numpy()
    text = np.isin(types, [str, np.str_])
    number = np.isin(types, [float, int, np.float64, np.int64, np.float32, np.int32]) & notna
    return text, number


def cell_text(s: pd.Series) -> pd.Series:
    """Cells as the user sees them: stripped text, whole numbers without '.0', '' for empty cells."""
    s = _series(s)
    text, number = cell_kinds(s)
    if text.all():
        return s.str.strip()
    values = s.to_numpy(dtype=object)
    out = np.full(len(s), "", dtype=object)
    if text.any():
        out[text] = pd.Series(values[text], dtype=object).str.strip().to_numpy()
    if number.any():
        x = values[number].astype(float)
        whole = np.isfinite(x) & (x == np.floor(x)) & (np.abs(x) < 1e15)
        shown = np.empty(len(x), dtype=object)
        shown[whole] = x[whole].astype(np.int64).astype(str)
        shown[~whole] = x[~whole].astype(str)
        out[number] = shown
    other = ~text & ~number & s.notna().to_numpy()
    if other.any():
        out[other] = pd.Series(values[other], dtype=object).astype(str).to_numpy()
    return pd.Series(out, index=s.index, dtype=object)


def _int_array(values: np.ndarray, na: np.ndarray) -> pd.arrays.IntegerArray:
    return pd.arrays.IntegerArray(np.where(na, 0, values).astype(np.int64), na.astype(bool))


# --- decimal numbers -------------------------------------------------------------------------

_PLAIN_DECIMAL_RE = r"(?=.{1,40}$)[+-]?(?:\d+\.?\d*|\.\d+)"  # bounded: digits become a byte matrix
_THOUSANDS_RE = r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?"
_MONEY_NOISE = r"[¥$]|rmb|cny|人民币|元"
_POW10 = 10 ** np.arange(19, dtype=np.int64)


def _scale_decimal_strings(t: np.ndarray, places: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """round_half_up(value * 10**places) of strings matching _PLAIN_DECIMAL_RE; (values, too long, rounded).

    Works on the digits as a byte matrix, one numpy step per character position, so that text
    amounts never pass through float.
    """
    n = len(t)
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool), np.zeros(0, dtype=bool)
    b = np.asarray(t, dtype=str).astype(np.bytes_)  # validated ASCII
    width = b.dtype.itemsize
    m = b.view(np.uint8).reshape(n, width)
    digit = (m >= 48) & (m <= 57)
    d = m.astype(np.int64) - 48
    is_dot = m == 46
    length = (m != 0).sum(axis=1)
    dot = np.where(is_dot.any(axis=1), is_dot.argmax(axis=1), length)
    first_significant = np.where((digit & (m != 48)).any(axis=1), (digit & (m != 48)).argmax(axis=1), dot)
    too_long = (dot - first_significant) > _MAX_INT_DIGITS
    value = np.zeros(n, dtype=np.int64)
    round_up = np.zeros(n, dtype=bool)
    rounded = np.zeros(n, dtype=bool)
    for j in range(width):
        # Power of ten this character contributes once scaled: digits left of the dot count down
        # from dot-1, digits right of it from -1.
        exp = np.where(j < dot, dot - j - 1, dot - j) + places
        use = digit[:, j] & (exp >= 0) & ~too_long
        value += np.where(use, d[:, j] * _POW10[np.clip(exp, 0, 18)], 0)
        # Half up: only the first dropped digit decides (3.0049 -> 300, 3.005 -> 301).
        round_up |= digit[:, j] & (exp == -1) & (d[:, j] >= 5)
        rounded |= digit[:, j] & (exp < 0) & (d[:, j] != 0)
    value += round_up
    return np.where(m[:, 0] == 45, -value, value), too_long, rounded


def _scale_float(x: np.ndarray, places: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """round_half_up(x * 10**places) for Excel number cells, as Excel would show them; (values, invalid, rounded).

    Excel keeps 15 significant digits, so a cell showing 3.005 may hold 3.00499999999999989; snapping
    to 15 significant digits first makes it round to 301 fen like the user expects.
    """
    x = np.asarray(x, dtype=float)
    invalid = ~np.isfinite(x) | (np.abs(x) >= 10.0 ** (_MAX_INT_DIGITS - places))
    ax = np.where(invalid, 0.0, np.abs(x))
    exp = np.floor(np.log10(ax, where=ax > 0, out=np.zeros_like(ax)))
    shift = np.minimum(14 - exp, places + 16).astype(np.int64)  # decimals kept for 15 significant digits
    mantissa = np.round(ax * 10.0**shift).astype(np.int64)
    drop = shift - places
    up_scale = 10 ** np.clip(-drop, 0, 18)
    down_scale = 10 ** np.clip(drop, 0, 18)
    q, r = np.divmod(mantissa, down_scale)
    value = np.where(drop <= 0, mantissa * up_scale, q + (2 * r >= down_scale))
    value = np.where(x < 0, -value, value)
    rounded = (drop > 0) & (r != 0)
    return np.where(invalid, 0, value), invalid, rounded & ~invalid


def parse_scaled(
    s: pd.Series,
    places: int,
    *,
    unit_places: dict[str, int] | None = None,
    noise: str | None = None,
    allow_negative: bool = True,
) -> tuple[pd.Series, pd.Series]:
    """Decimal cells as integers of 10**-places units (Int64), rounded half up; (values, invalid mask).

    `unit_places` maps unit suffixes ('g', '公斤') to the places they need, overriding `places`;
    `noise` is a regex of tokens to drop (currency signs). Number cells are scaled by `places`.
    """
    values, invalid, _rounded = _parse_scaled(s, places, unit_places=unit_places, noise=noise, allow_negative=allow_negative)
    return values, invalid


def _parse_scaled(s, places, *, unit_places=None, noise=None, allow_negative=True) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """parse_scaled, plus a mask of the cells that had more decimals than `places` (and so were rounded)."""
    s = _series(s)
    n = len(s)
    text, number = cell_kinds(s)
    values = np.zeros(n, dtype=np.int64)
    empty = np.ones(n, dtype=bool)
    invalid = np.zeros(n, dtype=bool)
    rounded = np.zeros(n, dtype=bool)

    if number.any():
        scaled, bad, cut = _scale_float(s[number].to_numpy(dtype=float), places)
        if not allow_negative:
            bad |= scaled < 0
        values[number] = scaled
        empty[number] = False
        invalid[number] = bad
        rounded[number] = cut

    if text.any():
        codes, uniques = pd.factorize(s[text].to_numpy(dtype=object))
        u_val, u_empty, u_bad, u_cut = _parse_decimal_text(
            pd.Series(uniques, dtype=object), places, unit_places or {}, noise, allow_negative
        )
        values[text] = u_val[codes]
        empty[text] = u_empty[codes]
        invalid[text] = u_bad[codes]
        rounded[text] = u_cut[codes]

    # Dates, booleans and the like in a number column are wrong, not empty.
    other = ~text & ~number & s.notna().to_numpy()
    empty[other] = False
    invalid[other] = True

    na = empty | invalid
    return (
        pd.Series(_int_array(values, na), index=s.index),
        pd.Series(invalid, index=s.index),
        rounded & ~na,
    )


def _parse_decimal_text(u: pd.Series, places, unit_places, noise, allow_negative):
    t = u.str.normalize("NFKC").str.lower()
    t = t.str.replace(r"\s+" + (f"|{noise}" if noise else ""), "", regex=True)
    t = t.str.replace("\u2212", "-", regex=False)
    empty = t.isin(_EMPTY_TOKENS).to_numpy()
    # Accountants write negatives as (3.00).
    parens = t.str.startswith("(").to_numpy(dtype=bool)
    if parens.any():
        t[parens] = t[parens].str.replace(r"^\((.*)\)$", r"-\1", regex=True)

    row_places = np.full(len(t), places, dtype=np.int64)
    if unit_places:
        # Only cells ending in a letter can carry a unit: '1.5kg', '800g', '1.2公斤'.
        tail = ~t.str[-1:].isin(list("0123456789.")).to_numpy() & ~empty
        for unit in sorted(unit_places, key=len, reverse=True):
            sel = tail & t.str.endswith(unit).to_numpy(dtype=bool)
            if sel.any():
                t[sel] = t[sel].str[: -len(unit)]
                row_places[sel] = unit_places[unit]
                tail &= ~sel

    grouped = t.str.contains(",", regex=False).to_numpy(dtype=bool)
    if grouped.any():
        ok_groups = t[grouped].str.fullmatch(_THOUSANDS_RE).to_numpy(dtype=bool)
        t[grouped] = t[grouped].where(~ok_groups, t[grouped].str.replace(",", "", regex=False))

    valid = t.str.fullmatch(_PLAIN_DECIMAL_RE).to_numpy(dtype=bool)
    if not allow_negative:
        valid &= ~t.str.startswith("-").to_numpy(dtype=bool)
    values = np.zeros(len(t), dtype=np.int64)
    bad = ~empty & ~valid
    rounded = np.zeros(len(t), dtype=bool)
    for p in np.unique(row_places[valid]):
        sel = valid & (row_places == p)
        v, too_long, cut = _scale_decimal_strings(t[sel].to_numpy(dtype=object), int(p))
        values[sel] = v
        bad[sel] = too_long
        rounded[sel] = cut
    return values, empty, bad, rounded


def parse_money_fen(s: pd.Series, unit: str = "yuan") -> tuple[pd.Series, pd.Series]:
    """Amounts in fen (Int64) and an invalid mask: '¥1,234.50', '1234.5元', '(3.00)', '￥３．５０'.

    `unit` is what the column's header says its numbers count: 'yuan' (the usual), or 'fen' ('运费(分)': 1287 is ¥12.87),
    where a number is taken as it stands and a part of a fen is invalid rather than rounded.
    """
    if unit != "fen":
        return parse_scaled(s, 2, noise=_MONEY_NOISE)
    # A cell that names its own unit ('12.87元', '1287分') says more than the header.
    values, invalid, rounded = _parse_scaled(s, 0, unit_places={"元": 2, "分": 0}, noise=r"[¥$]|rmb|cny|人民币")
    if rounded.any():
        values = values.mask(rounded)
        invalid = invalid | rounded
    return values, invalid


class MoneyError(ValueError):
    """An amount that cannot be read exactly; `code` is 'invalid_amount' or 'too_many_decimals'."""

    def __init__(self, code: str, value):
        super().__init__(code)
        self.code, self.value = code, value


def money_fen(value) -> int | None:
    """One amount typed or sent by a person -> exact integer fen, None when empty; MoneyError when unreadable
    or finer than a fen. The same reading as parse_money_fen gives a file's cells ('¥1,234.50', '(3.00)', '３．５')."""
    if isinstance(value, bool):
        raise MoneyError(INVALID_AMOUNT, value)
    # Decimals and ints are exact as text; floats (JSON numbers) are read as a spreadsheet shows them.
    cell = value if value is None or isinstance(value, (float, str)) else str(value)
    values, invalid, rounded = _parse_scaled(pd.Series([cell], dtype=object), 2, noise=_MONEY_NOISE)
    if invalid.iloc[0]:
        raise MoneyError(INVALID_AMOUNT, value)
    if rounded[0]:
        raise MoneyError(TOO_MANY_DECIMALS, value)
    return None if pd.isna(values.iloc[0]) else int(values.iloc[0])


def money_fen_many(values: list) -> tuple[pd.Series, np.ndarray]:
    """money_fen of many values in one pass (a bulk post's amounts): fen (Int64, missing when empty) and a mask of the
    values money_fen would refuse (unreadable, or finer than a fen)."""
    refused_type = np.array([isinstance(v, bool) for v in values], dtype=bool)
    cells = [None if b else (v if v is None or isinstance(v, (float, str)) else str(v)) for v, b in zip(values, refused_type)]
    fen, invalid, rounded = _parse_scaled(pd.Series(cells, dtype=object), 2, noise=_MONEY_NOISE)
    refused = refused_type | invalid.to_numpy(dtype=bool) | np.asarray(rounded, dtype=bool)
    return fen.reset_index(drop=True), refused


INVALID_AMOUNT = "invalid_amount"
TOO_MANY_DECIMALS = "too_many_decimals"


_WEIGHT_UNITS = {"kg": 3, "kgs": 3, "公斤": 3, "千克": 3, "g": 0, "克": 0}
_LENGTH_UNITS = {"cm": 1, "厘米": 1, "mm": 0, "毫米": 0, "m": 3, "米": 3}


def parse_weight_g(s: pd.Series, unit: str = "kg") -> tuple[pd.Series, pd.Series]:
    """Weights in grams (Int64), half up; a unit written in the cell ('1250g') beats the column's unit."""
    return parse_scaled(s, _WEIGHT_UNITS[unit], unit_places=_WEIGHT_UNITS, allow_negative=False)


def parse_length_mm(s: pd.Series, unit: str = "cm") -> tuple[pd.Series, pd.Series]:
    """Lengths in millimetres (Int64), half up; a unit written in the cell beats the column's unit."""
    return parse_scaled(s, _LENGTH_UNITS[unit], unit_places=_LENGTH_UNITS, allow_negative=False)


# --- waybill numbers -------------------------------------------------------------------------

WAYBILL_RE = r"[A-Z0-9][A-Z0-9-]{5,39}"
# Excel and Python write one digit before the point; a sign or a point tells it from a real waybill.
_SCIENTIFIC_RE = r"\d(?:\.\d+)?E[+-]?\d+|\d+(?:\.\d+)?E[+-]\d+"
# Excel only keeps 15 significant digits: a longer number cell has lost digits.
_EXACT_NUMBER_LIMIT = 1e15


def normalize_waybill(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(normalized waybill numbers, reason code or '' per cell); never guesses lost digits."""
    s = _series(s)
    n = len(s)
    text, number = cell_kinds(s)
    out = np.full(n, "", dtype=object)
    reason = np.full(n, "waybill_missing", dtype=object)

    if text.any():
        t = pd.Series(s.to_numpy(dtype=object)[text], dtype=object)
        clean = t.str.fullmatch(WAYBILL_RE).to_numpy(dtype=bool)
        values = t.to_numpy(dtype=object).copy()
        reasons = np.where(clean, "", "waybill_invalid").astype(object)
        if not clean.all():
            v, r = _normalize_waybill_text(pd.Series(values[~clean], dtype=object))
            values[~clean] = v
            reasons[~clean] = r
        out[text] = values
        reason[text] = reasons

    if number.any():
        x = s.to_numpy(dtype=object)[number].astype(float)
        whole = np.isfinite(x) & (x == np.floor(x)) & (x >= 0)
        exact = whole & (x < _EXACT_NUMBER_LIMIT)
        shown = np.empty(len(x), dtype=object)
        shown[exact] = x[exact].astype(np.int64).astype(str)
        shown[~exact] = x[~exact].astype(str)
        # Show lost digits the way Excel does (1.23456789012346E+15), never as a plausible number.
        shown[whole & ~exact] = np.char.mod("%.14E", x[whole & ~exact]).astype(object)
        ok = x >= 100_000  # six digits at least, like WAYBILL_RE
        out[number] = shown
        reason[number] = np.where(
            exact & ok, "", np.where(whole & ~exact, "waybill_scientific", "waybill_invalid")
        )

    other = ~text & ~number & s.notna().to_numpy()
    if other.any():
        out[other] = pd.Series(s.to_numpy(dtype=object)[other], dtype=object).astype(str).to_numpy()
        reason[other] = "waybill_invalid"
    return pd.Series(out, index=s.index, dtype=object), pd.Series(reason, index=s.index, dtype=object)


def _normalize_waybill_text(t: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    # Cheap steps first; the regex-heavy ones only for what is still not a waybill number.
    t = t.str.normalize("NFKC").str.strip().str.upper()
    clean = t.str.fullmatch(WAYBILL_RE).to_numpy(dtype=bool)
    values = t.to_numpy(dtype=object).copy()
    reason = np.full(len(t), "", dtype=object)
    if not clean.all():
        rest = t[~clean].str.replace(r"\s+", "", regex=True)
        # Text-forcing wrappers from Excel and CSV exports: '123, ="123", "123".
        rest = rest.str.replace(r"^[='\"]+", "", regex=True).str.replace(r"[\"']+$", "", regex=True)
        # A number cell saved to CSV by some tools: '75312345678901.0'.
        rest = rest.str.replace(r"^(\d+)\.0+$", r"\1", regex=True)
        rest = rest.mask(rest.str.lower().isin(_EMPTY_TOKENS), "")
        values[~clean] = rest.to_numpy(dtype=object)
        reason[~clean] = np.select(
            [
                (rest == "").to_numpy(),
                rest.str.fullmatch(WAYBILL_RE).to_numpy(dtype=bool),
                rest.str.fullmatch(_SCIENTIFIC_RE).to_numpy(dtype=bool),
            ],
            ["waybill_missing", "", "waybill_scientific"],
            "waybill_invalid",
        )
    return values, reason


def normalize_ref(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(trimmed upper-case references, "ref_missing" or '' per cell): any reference that is not a waybill number."""
    t = clean_text(s).str.upper()
    t = t.mask(t.str.lower().isin(_EMPTY_TOKENS), "")
    return t, pd.Series(np.where(t == "", "ref_missing", ""), index=t.index, dtype=object)


def clean_text(s: pd.Series) -> pd.Series:
    """Identifier-like text (order numbers, couriers): NFKC, no surrounding spaces or Excel wrappers."""
    t = cell_text(s).str.normalize("NFKC").str.strip()
    t = t.str.replace(r"^=?\"(.*)\"$", r"\1", regex=True).str.replace(r"^'+", "", regex=True)
    return t.str.strip()


def lost_digits(s: pd.Series) -> pd.Series:
    """Cells whose digits Excel has already lost: long number cells and scientific notation text."""
    s = _series(s)
    text, number = cell_kinds(s)
    lost = np.zeros(len(s), dtype=bool)
    if number.any():
        lost[number] = np.abs(s.to_numpy(dtype=object)[number].astype(float)) >= _EXACT_NUMBER_LIMIT
    if text.any():
        t = pd.Series(s.to_numpy(dtype=object)[text], dtype=object).str.normalize("NFKC")
        lost[text] = t.str.replace(r"\s+", "", regex=True).str.upper().str.fullmatch(_SCIENTIFIC_RE).to_numpy(
            dtype=bool
        )
    return pd.Series(lost, index=s.index)


# --- dates ----------------------------------------------------------------------------------

_DATE_RE = (
    r"^(?P<year>\d{4})(?:[-/.年](?P<month>\d{1,2})[-/.月](?P<day>\d{1,2})日?|(?P<month2>\d{2})(?P<day2>\d{2}))"
    r"(?:[T\s]*(?P<hour>\d{1,2})[:时](?P<minute>\d{1,2})(?:[:分](?P<second>\d{1,2})(?:\.\d+)?秒?)?)?$"
)
_EXCEL_EPOCH = np.datetime64("1899-12-30", "s")
_EXCEL_SERIAL_RANGE = (1, 110_000)  # 1900-01-01 .. about 2201; other numbers are not dates


def parse_datetime(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Naive datetime64[ns] and an invalid mask; text in common Chinese forms, Excel dates and serials."""
    s = _series(s)
    n = len(s)
    if s.dtype.kind == "M":
        values = s.dt.tz_localize(None) if getattr(s.dt, "tz", None) is not None else s
        return values.astype("datetime64[ns]"), pd.Series(False, index=s.index)
    text, number = cell_kinds(s)
    raw = s.to_numpy(dtype=object)
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    invalid = np.zeros(n, dtype=bool)

    if text.any():
        codes, uniques = pd.factorize(raw[text])
        u_val, u_bad = _parse_datetime_text(pd.Series(uniques, dtype=object))
        out[text] = u_val[codes]
        invalid[text] = u_bad[codes]

    if number.any():
        x = raw[number].astype(float)
        val = np.full(len(x), np.datetime64("NaT"), dtype="datetime64[ns]")
        # 20261003 typed as a number is a date, not a serial in the year 57000.
        compact = (x >= 19000101) & (x <= 22001231) & (x == np.floor(x))
        if compact.any():
            digits = pd.Series(x[compact].astype(np.int64).astype(str), dtype=object)
            val[compact], bad = _parse_datetime_text(digits)
        serial = (x >= _EXCEL_SERIAL_RANGE[0]) & (x < _EXCEL_SERIAL_RANGE[1])
        # Round to the second: serials like 46298.604166666664 mean 14:30:00, not 14:29:59.999.
        seconds = np.round(np.where(serial, x, 0) * 86400).astype(np.int64).astype("timedelta64[s]")
        val[serial] = (_EXCEL_EPOCH + seconds[serial]).astype("datetime64[ns]")
        out[number] = val
        invalid[number] = np.isnat(val)

    other = ~text & ~number & s.notna().to_numpy()
    if other.any():
        converted = pd.to_datetime(pd.Series(raw[other], dtype=object), errors="coerce")
        if getattr(converted.dt, "tz", None) is not None:
            converted = converted.dt.tz_localize(None)
        out[other] = converted.to_numpy(dtype="datetime64[ns]")
        invalid[other] = converted.isna().to_numpy()

    return pd.Series(out, index=s.index), pd.Series(invalid, index=s.index)


# Tried in order with pandas' compiled parser before the slower regex; %m and %d accept '3' too.
_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M",
)


def _parse_datetime_text(u: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    values = np.full(len(u), np.datetime64("NaT"), dtype="datetime64[ns]")
    # A file uses one format throughout: find it on a sample, so that the whole column is not
    # tried (and failed) once per candidate format.
    sample = u.iloc[:50]
    hits = [pd.to_datetime(sample, format=f, errors="coerce").notna().sum() for f in _DATE_FORMATS]
    best = _DATE_FORMATS[int(np.argmax(hits))]
    if max(hits):
        values = pd.to_datetime(u, format=best, errors="coerce").to_numpy(dtype="datetime64[ns]")
    todo = np.isnat(values)
    if not todo.any():
        return values, todo
    t = u[todo].str.normalize("NFKC").str.strip().str.replace(r"\s+", " ", regex=True)
    empty = t.str.lower().isin(_EMPTY_TOKENS).to_numpy()
    rest = values[todo]
    for fmt in _DATE_FORMATS:
        left = np.isnat(rest) & ~empty
        if not left.any():
            break
        rest[left] = pd.to_datetime(t[left], format=fmt, errors="coerce").to_numpy(dtype="datetime64[ns]")
    left = np.isnat(rest) & ~empty
    if left.any():
        rest[left] = _parse_datetime_regex(t[left])
    values[todo] = rest
    invalid = np.zeros(len(u), dtype=bool)
    invalid[todo] = np.isnat(rest) & ~empty
    return values, invalid


def _parse_datetime_regex(t: pd.Series) -> np.ndarray:
    """Forms the fixed formats miss: 2026年10月3日, 2026.10.03, 20261003, fractional seconds."""
    parts = t.str.extract(_DATE_RE)
    month = parts["month"].where(parts["month"].notna(), parts["month2"])
    day = parts["day"].where(parts["day"].notna(), parts["day2"])
    components = pd.DataFrame(
        {
            "year": pd.to_numeric(parts["year"]),
            "month": pd.to_numeric(month),
            "day": pd.to_numeric(day),
            "hour": pd.to_numeric(parts["hour"]).fillna(0),
            "minute": pd.to_numeric(parts["minute"]).fillna(0),
            "second": pd.to_numeric(parts["second"]).fillna(0),
        }
    )
    matched = components["year"].notna().to_numpy()
    values = np.full(len(t), np.datetime64("NaT"), dtype="datetime64[ns]")
    if matched.any():
        values[matched] = pd.to_datetime(components[matched], errors="coerce").to_numpy(dtype="datetime64[ns]")
    return values
