"""One money parser: what a clerk types, an API sends or a file holds is read the same way, exact to the fen."""
from decimal import Decimal

import pandas as pd
import pytest

from recon.ingest import MoneyError, money_fen, parse_money_fen


@pytest.mark.parametrize(("value", "fen"), [
    ("12.5", 1250),
    ("1,234.50", 123450),
    ("¥1,234.00", 123400),
    ("￥3.50", 350),
    ("3.5元", 350),
    ("RMB 12", 1200),
    ("３．５０", 350),  # full-width digits and point
    ("１，２３４．５", 123450),
    ("(3.00)", -300),  # an accountant's negative
    ("-0.01", -1),
    (" 1 234.56 ", 123456),
    ("0", 0),
    ("99999999999.99", 9999999999999),
    (12.5, 1250),
    (0.1, 10),
    (7, 700),
    (Decimal("12.30"), 1230),
    (Decimal("0.07"), 7),
])
def test_an_amount_reads_to_the_exact_fen(value, fen):
    assert money_fen(value) == fen


@pytest.mark.parametrize("value", [None, "", "   ", "-", "—"])
def test_an_empty_amount_is_none(value):
    assert money_fen(value) is None


@pytest.mark.parametrize("value", ["abc", "12.3.4", "1,2,3", "1e3", "Infinity", True, "¥x"])
def test_what_is_not_an_amount_is_refused(value):
    with pytest.raises(MoneyError) as caught:
        money_fen(value)
    assert caught.value.code == "invalid_amount"


@pytest.mark.parametrize("value", ["12.345", "0.001", 12.345, Decimal("1.005")])
def test_an_amount_finer_than_a_fen_is_refused_not_rounded(value):
    with pytest.raises(MoneyError) as caught:
        money_fen(value)
    assert caught.value.code == "too_many_decimals"


def test_trailing_zeros_beyond_the_fen_are_exact():
    assert money_fen("12.3000") == 1230
    assert money_fen(Decimal("5.000")) == 500


def test_a_file_cell_and_a_typed_amount_read_alike():
    cells = ["¥1,234.50", "(3.00)", "３．５０", "1234.5元", "12"]
    fen, bad = parse_money_fen(pd.Series(cells, dtype=object))
    assert fen.tolist() == [money_fen(c) for c in cells] == [123450, -300, 350, 123450, 1200]
    assert not bad.any()
