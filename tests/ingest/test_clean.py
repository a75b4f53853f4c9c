import datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recon.ingest import normalize_province, normalize_waybill, parse_datetime, parse_money_fen, parse_weight_g
from recon.ingest.clean import cell_text, parse_length_mm


def obj(values):
    return pd.Series(values, dtype=object)


# --- money -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, fen",
    [
        ("¥1,234.50", 123450),
        ("1234.5元", 123450),
        ("RMB 12", 1200),
        ("￥３．５０", 350),
        (" 12.00 ", 1200),
        ("\t12.00\u3000", 1200),
        ("-3.00", -300),
        ("(3.00)", -300),
        ("（3.00）", -300),
        ("-¥3.00", -300),
        ("3.005", 301),
        ("3.0049", 300),
        ("-3.005", -301),
        (".5", 50),
        ("5.", 500),
        ("+7", 700),
        ("1,234,567.891", 123456789),
        ("CNY 0.01", 1),
    ],
)
def test_parse_money_fen_text(text, fen):
    values, invalid = parse_money_fen(obj([text]))
    assert values[0] == fen
    assert not invalid[0]


@pytest.mark.parametrize("text", ["", "   ", "-", "--", "/"])
def test_parse_money_fen_empty_is_na_not_invalid(text):
    values, invalid = parse_money_fen(obj([text, None]))
    assert values.isna().all()
    assert not invalid.any()


@pytest.mark.parametrize("text", ["abc", "12,5", "1.2.3", "12abc", "1e3", "#N/A", "."])
def test_parse_money_fen_garbage_is_invalid(text):
    values, invalid = parse_money_fen(obj([text]))
    assert pd.isna(values[0])
    assert invalid[0]


def test_parse_money_fen_excel_numbers_round_like_excel_shows_them():
    # 3.005 and 12.345 are stored a hair below the half; Excel shows 3.01 and 12.35.
    values, invalid = parse_money_fen(obj([3.005, 12.345, 28.16, 0.1 + 0.2, 5, -0.005, np.nan]))
    assert values.tolist()[:6] == [301, 1235, 2816, 30, 500, -1]
    assert pd.isna(values[6])
    assert not invalid.any()


def test_parse_money_fen_rejects_dates_and_huge_numbers():
    values, invalid = parse_money_fen(obj([datetime.date(2026, 1, 1), 1e20, "99999999999999999999"]))
    assert invalid.all()
    assert values.isna().all()


def test_parse_money_fen_returns_int64_and_keeps_index():
    s = pd.Series(["1.00", "x", ""], index=[10, 20, 30], dtype=object)
    values, invalid = parse_money_fen(s)
    assert str(values.dtype) == "Int64"
    assert values.index.tolist() == [10, 20, 30]
    assert invalid.tolist() == [False, True, False]


def _money_styles(fen: int) -> list[str]:
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    plain = f"{yuan}.{cents:02d}"
    grouped = f"{yuan:,}.{cents:02d}"
    fullwidth = plain.translate(str.maketrans("0123456789.", "０１２３４５６７８９．"))
    styles = [
        sign + plain,
        f"{sign}¥{grouped}",
        f" {sign}{plain}元\t",
        f"RMB {sign}{grouped}",
        sign + fullwidth,
        f"({plain})" if fen < 0 else plain,
    ]
    if cents % 10 == 0:
        styles.append(f"{sign}{yuan}.{cents // 10}")
    if cents == 0:
        styles.append(f"{sign}{yuan}")
    return styles


@settings(max_examples=300)
@given(st.integers(min_value=-(10**13), max_value=10**13))
def test_parse_money_fen_roundtrips_formatted_fen(fen):
    styles = _money_styles(fen)
    values, invalid = parse_money_fen(obj(styles))
    assert not invalid.any(), styles
    assert values.tolist() == [fen] * len(styles), styles


@settings(max_examples=300)
@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_parse_money_fen_roundtrips_excel_number_cells(fen):
    values, invalid = parse_money_fen(obj([fen / 100]))
    assert values[0] == fen
    assert not invalid[0]


# --- weights and lengths ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, grams",
    [
        ("1.25", 1250),
        ("1.25kg", 1250),
        ("1.25 KG", 1250),
        ("1250g", 1250),
        ("1250克", 1250),
        ("1.2公斤", 1200),
        ("1.2千克", 1200),
        ("0.0005", 1),
        ("0.0004", 0),
        (1.25, 1250),
        (2, 2000),
    ],
)
def test_parse_weight_g_kg_column(text, grams):
    values, invalid = parse_weight_g(obj([text]))
    assert values[0] == grams
    assert not invalid[0]


def test_parse_weight_g_gram_column_and_unit_suffix_wins():
    values, invalid = parse_weight_g(obj(["1250", "1.5kg", 1250.4, "0.5"]), unit="g")
    assert values.tolist() == [1250, 1500, 1250, 1]
    assert not invalid.any()


def test_parse_weight_g_invalid():
    values, invalid = parse_weight_g(obj(["abc", "-1", "1.2lb", "", None]))
    assert invalid.tolist() == [True, True, True, False, False]
    assert values.isna().all()


def test_parse_length_mm_rounds_half_up():
    values, invalid = parse_length_mm(obj(["30", "12.35", 12.34, "250mm", "x"]))
    assert values.tolist()[:4] == [300, 124, 123, 250]
    assert invalid.tolist() == [False, False, False, False, True]


# --- waybill numbers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("75312345678901", "75312345678901"),
        ("75312345678901.0", "75312345678901"),
        ("  7531 2345\t678901\u3000", "75312345678901"),
        ("'75312345678901", "75312345678901"),
        ('="75312345678901"', "75312345678901"),
        ("７５３１２３４５６７８９０１", "75312345678901"),
        ("sf1234567890", "SF1234567890"),
        ("JDVA-0001234", "JDVA-0001234"),
        (75312345678901.0, "75312345678901"),
        (753123456789012.0, "753123456789012"),
    ],
)
def test_normalize_waybill_valid(raw, expected):
    values, reasons = normalize_waybill(obj([raw]))
    assert values[0] == expected
    assert reasons[0] == ""


@pytest.mark.parametrize(
    "raw, reason",
    [
        ("7.5E+13", "waybill_scientific"),
        ("7.53123E+13", "waybill_scientific"),
        ("1e+16", "waybill_scientific"),
        (1234567890123456.0, "waybill_scientific"),  # Excel keeps 15 digits: the 16th is gone
        ("", "waybill_missing"),
        ("  \t", "waybill_missing"),
        (None, "waybill_missing"),
        ("12345", "waybill_invalid"),
        ("运单号", "waybill_invalid"),
        ("ABC 123 #", "waybill_invalid"),
        (123.5, "waybill_invalid"),
    ],
)
def test_normalize_waybill_problems(raw, reason):
    _values, reasons = normalize_waybill(obj([raw]))
    assert reasons[0] == reason


_WAYBILL_ALPHABET = "0123456789ABCDEFabcdefxyzE+-.'\"= \t\u3000０１２９ＡＢ"


@settings(max_examples=500)
@given(st.text(alphabet=_WAYBILL_ALPHABET, max_size=30))
def test_normalize_waybill_is_idempotent(raw):
    once, reason_once = normalize_waybill(obj([raw]))
    twice, reason_twice = normalize_waybill(once)
    assert twice[0] == once[0]
    assert reason_twice[0] == reason_once[0]


# --- provinces -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("广东省", "广东"),
        ("内蒙古自治区", "内蒙古"),
        ("新疆维吾尔自治区", "新疆"),
        ("广西壮族自治区", "广西"),
        ("宁夏回族自治区", "宁夏"),
        ("西藏自治区", "西藏"),
        ("上海市", "上海"),
        ("北京", "北京"),
        ("天津市", "天津"),
        ("重庆市", "重庆"),
        ("香港特别行政区", "香港"),
        ("澳门特别行政区", "澳门"),
        ("台湾省", "台湾"),
        ("黑龙江省哈尔滨市", "黑龙江"),
        ("广东省深圳市", "广东"),
        ("广东 深圳", "广东"),
        ("广东-深圳市", "广东"),
        ("浙江杭州", "浙江"),
        (" 陕西省 ", "陕西"),
        ("山西", "山西"),
        ("Guangdong", "广东"),
        ("火星", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_normalize_province(raw, expected):
    assert normalize_province(obj([raw]))[0] == expected


def test_normalize_province_many_rows_keeps_order_and_index():
    s = pd.Series(["广东省", "浙江省", "火星"] * 1000, index=range(5, 3005), dtype=object)
    out = normalize_province(s)
    assert out.index.equals(s.index)
    assert out.tolist()[:3] == ["广东", "浙江", ""]


# --- dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("2026-10-03", "2026-10-03 00:00:00"),
        ("2026/10/3 14:05", "2026-10-03 14:05:00"),
        ("2026.10.03", "2026-10-03 00:00:00"),
        ("20261003", "2026-10-03 00:00:00"),
        ("2026年10月3日 14:05:00", "2026-10-03 14:05:00"),
        ("2026年10月3日", "2026-10-03 00:00:00"),
        (" 2025/12/03  14:06:51 ", "2025-12-03 14:06:51"),
        ("2026-10-03T14:05:00", "2026-10-03 14:05:00"),
        (datetime.datetime(2026, 10, 3, 14, 5), "2026-10-03 14:05:00"),
        (datetime.date(2026, 10, 3), "2026-10-03 00:00:00"),
        (46298, "2026-10-03 00:00:00"),
        (46298.5, "2026-10-03 12:00:00"),
        (46298.604166666664, "2026-10-03 14:30:00"),
        (20261003.0, "2026-10-03 00:00:00"),
    ],
)
def test_parse_datetime(raw, expected):
    values, invalid = parse_datetime(obj([raw]))
    assert values[0] == pd.Timestamp(expected)
    assert not invalid[0]
    assert values.dtype == "datetime64[ns]"


@pytest.mark.parametrize("raw", ["junk", "2026-02-30", "2026", "46298", datetime.time(14, 5), True])
def test_parse_datetime_invalid(raw):
    values, invalid = parse_datetime(obj([raw]))
    assert pd.isna(values[0])
    assert invalid[0]


def test_parse_datetime_empty_is_not_invalid():
    values, invalid = parse_datetime(obj(["", None, "-"]))
    assert values.isna().all()
    assert not invalid.any()


# --- cell text -------------------------------------------------------------------------------


def test_cell_text_shows_cells_like_excel():
    out = cell_text(obj([" a\t", 75312345678901.0, 1.5, None, "", datetime.date(2026, 1, 2)]))
    assert out.tolist() == ["a", "75312345678901", "1.5", "", "", "2026-01-02"]
