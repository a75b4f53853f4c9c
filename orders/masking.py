"""Masking of recipients' personal data (name, phone, address) for users without orders.view_personal_data.

Each rule has a scalar form (pages, the API) and a Series form (exports of many rows) built on the same
patterns; a test checks that both give the same text.
"""
from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

from recon.ingest.regions import PROVINCES

PERMISSION = "orders.view_personal_data"
MASK = "****"
RECIPIENT_FIELDS = ("recipient_name", "recipient_phone", "recipient_address")

# Separators people type inside numbers: '138 1234 1234', '021-1234 5678', '(0755)12345678'.
_PHONE_NOISE = r"[\s\-()]"
# The country code goes; a bare '86' only in front of a complete mobile number.
_COUNTRY_CODE = r"^(?:\+86|0086|86(?=1[3-9]\d{9}$))"
_MOBILE = r"^(1[3-9]\d)\d{4}(\d{4})$"
# Beijing (010) and the 02x cities have three-digit area codes, every other city four.
_LANDLINE = r"^(0(?:10|2\d|[3-9]\d{2}))(\d{7,8})$"
# '+86 21 1234 5678' drops the trunk 0 of the area code.
_AREA_WITHOUT_ZERO = r"^(?:10|[2-9])"

_PROVINCE_SUFFIX = "(?:维吾尔自治区|壮族自治区|回族自治区|特别行政区|自治区|省|市)"
_PROVINCE = "(?:" + "|".join(sorted(PROVINCES + ("内蒙",), key=len, reverse=True)) + ")" + _PROVINCE_SUFFIX + "?"
# A city is a short name ending in 市/自治州/地区/盟 that does not run into a district, street or number.
_CITY = r"(?:(?![区县旗街路道巷弄号栋楼室市])[\u4e00-\u9fff]){1,10}?(?:市|自治州|地区|盟)"
_ADDRESS = rf"^(?:中国)?\s*(?P<province>{_PROVINCE})\s*(?P<city>{_CITY})?"

_PHONE_NOISE_RE = re.compile(_PHONE_NOISE)
_COUNTRY_CODE_RE = re.compile(_COUNTRY_CODE)
_MOBILE_RE = re.compile(_MOBILE)
_LANDLINE_RE = re.compile(_LANDLINE)
_AREA_WITHOUT_ZERO_RE = re.compile(_AREA_WITHOUT_ZERO)
_ADDRESS_RE = re.compile(_ADDRESS)


def can_see_personal_data(user) -> bool:
    return bool(user is not None and user.has_perm(PERMISSION))


def _text(value) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value).strip()


def mask_name(name) -> str:
    """'张三丰' -> '张**', 'John Smith' -> 'J*********': the first character, then one * per character."""
    t = _text(name)
    return t[:1] + "*" * (len(t) - 1) if t else ""


def _phone_parts(phone) -> str:
    t = _PHONE_NOISE_RE.sub("", unicodedata.normalize("NFKC", _text(phone)))
    had_code = t.startswith(("+86", "0086"))
    t = _COUNTRY_CODE_RE.sub("", t)
    if had_code and _AREA_WITHOUT_ZERO_RE.match(t) and not _MOBILE_RE.match(t):
        t = "0" + t
    return t


def mask_phone(phone) -> str:
    """'13812341234' -> '138****1234'; '021-12345678' -> '021-****5678'; other numbers keep at most their ends."""
    t = _phone_parts(phone)
    if not t:
        return ""
    if m := _MOBILE_RE.match(t):
        return m.group(1) + MASK + m.group(2)
    if m := _LANDLINE_RE.match(t):
        local = m.group(2)
        return f"{m.group(1)}-{'*' * (len(local) - 4)}{local[-4:]}"
    # Unknown shapes (extensions, foreign numbers, platforms' relay numbers): always hide at least four characters.
    if len(t) >= 11:
        return t[:3] + MASK + t[-4:]
    if len(t) >= 8:
        return MASK + t[-4:]
    return MASK


def mask_address(address) -> str:
    """'广东省深圳市南山区科技园路1号' -> '广东省深圳市****': province and city kept, the rest hidden."""
    t = _text(address)
    if not t:
        return ""
    m = _ADDRESS_RE.match(unicodedata.normalize("NFKC", t))
    if not m:
        return MASK
    return m.group("province") + (m.group("city") or "") + MASK


# Series forms: the same rules with .str operations, no Python loop per row.


def _texts(s: pd.Series) -> pd.Series:
    return s.astype(object).where(s.notna(), "").astype(str).str.strip()


def _stars(counts: pd.Series) -> np.ndarray:
    n = counts.to_numpy(dtype=np.int64).clip(min=0)
    table = np.array(["*" * i for i in range(int(n.max()) + 1 if len(n) else 1)], dtype=object)
    return table[n]


def mask_names(s: pd.Series) -> pd.Series:
    t = _texts(s)
    return t.str.slice(0, 1) + pd.Series(_stars(t.str.len() - 1), index=t.index, dtype=object)


def mask_phones(s: pd.Series) -> pd.Series:
    t = _texts(s).str.normalize("NFKC").str.replace(_PHONE_NOISE, "", regex=True)
    had_code = t.str.match(r"\+86|0086")
    t = t.str.replace(_COUNTRY_CODE, "", regex=True)
    zero = had_code & t.str.match(_AREA_WITHOUT_ZERO) & ~t.str.match(_MOBILE)
    t = t.where(~zero, "0" + t)
    landline = t.str.extract(_LANDLINE)
    local = landline[1].fillna("")
    n = t.str.len()
    # A mobile number is 11 characters: the general rule below gives it its first 3 and last 4, as mask_phone does.
    out = np.where(n >= 11, t.str.slice(0, 3) + MASK + t.str.slice(-4), np.where(n >= 8, MASK + t.str.slice(-4), MASK))
    out = np.where(landline[0].notna(), landline[0].fillna("") + "-" + _stars(local.str.len() - 4) + local.str.slice(-4), out)
    out = np.where(n == 0, "", out)
    return pd.Series(out, index=s.index, dtype=object)


def mask_addresses(s: pd.Series) -> pd.Series:
    t = _texts(s)
    parts = t.str.normalize("NFKC").str.extract(_ADDRESS)
    kept = parts["province"].fillna("") + parts["city"].fillna("")
    out = np.where(t == "", "", kept + MASK)
    return pd.Series(out, index=s.index, dtype=object)


def mask_recipients(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` with whichever recipient columns it has masked."""
    out = frame.copy()
    for column, mask in zip(RECIPIENT_FIELDS, (mask_names, mask_phones, mask_addresses)):
        if column in out:
            out[column] = mask(out[column])
    return out


def looks_masked(s: pd.Series) -> pd.Series:
    """Values that were masked before they reached us (our own exports, platforms' order exports: 138****1234)."""
    return _texts(s).str.contains("*", regex=False)
