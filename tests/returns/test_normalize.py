"""Return waybill numbers as customers type them: one comparable form, courier names and codes in front removed."""
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from returns.normalize import normalize_return_waybill

# Names, aliases and codes as the courier table gives them (codes in either case, names as typed in files).
COURIERS = ["ZTO", "中通", "中通快递", "SF", "顺丰", "顺丰速运", "JD", "京东", "京东物流", "YTO", "圆通", "yunda", "韵达"]


def norm(*values, names=COURIERS):
    return normalize_return_waybill(pd.Series(list(values), dtype=object), names).tolist()


@pytest.mark.parametrize(("typed", "expected"), [
    ("中通 75312345678901", "75312345678901"),
    ("中通快递75312345678901", "75312345678901"),
    ("ZTO75312345678901", "75312345678901"),
    ("zto-7531 2345 678901", "75312345678901"),
    ("ＺＴＯ７５３１２３４５６７８９０１", "75312345678901"),
    ("中通快递 ZTO 75312345678901", "75312345678901"),
    ("顺丰 SF1234567890123", "SF1234567890123"),
    ("顺丰速运：SF1234567890123", "SF1234567890123"),
    ("中通: 75312345678901", "75312345678901"),
    ("SF1234567890123", "SF1234567890123"),
    ("sf 1234-5678-90123", "SF1234567890123"),
    ("JDVA12345678901", "JDVA12345678901"),
    ("京东JDVA12345678901", "JDVA12345678901"),
    ("JDX012345678901", "JDX012345678901"),
    ("YTO YT1234567890123", "YT1234567890123"),
    ("韵达 4312345678901", "4312345678901"),
    ("YUNDA4312345678901", "4312345678901"),
    ("=\"75312345678901\"", "75312345678901"),
    ("'75312345678901", "75312345678901"),
    ("", ""),
    (None, ""),
    ("nan", ""),
    ("-", ""),
])
def test_typed_forms(typed, expected):
    assert norm(typed) == [expected]


def test_excel_number_cells_and_missing_cells():
    assert norm(75312345678901, 75312345678901.0, float("nan"), None) == ["75312345678901", "75312345678901", "", ""]


def test_keeps_the_index_and_repeats():
    values = pd.Series(["中通 75312345678901", "ZTO75312345678901", "中通 75312345678901"], index=[7, 3, 9], dtype=object)
    out = normalize_return_waybill(values, COURIERS)
    assert out.to_dict() == {7: "75312345678901", 3: "75312345678901", 9: "75312345678901"}


def test_a_name_is_not_removed_when_what_remains_is_not_a_waybill():
    # "ZTO12345" would leave five digits: not a waybill number, so nothing is taken away.
    assert norm("ZTO12345", "中通", "中通快递") == ["ZTO12345", "中通", "中通快递"]


def test_without_courier_names_only_the_form_changes():
    assert norm("zto 7531-2345", names=[]) == ["ZTO75312345"]


# ------------------------------------------------------------------------------------------ properties

DIGITS = st.text("0123456789", min_size=10, max_size=16)
NUMBERS = st.one_of(DIGITS, DIGITS.map(lambda d: "SF" + d), DIGITS.map(lambda d: "JDVA" + d), DIGITS.map(lambda d: "JD" + d),
                    DIGITS.map(lambda d: "YT" + d), st.text("ABCDEFGHKLMNPQRTUVWXZ0123456789", min_size=6, max_size=20))
FULL_WIDTH = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}


@st.composite
def retyped(draw, text):
    """The same text as a person might type it: any case, spaces and dashes anywhere, some characters full width."""
    out = []
    for ch in text:
        if draw(st.booleans()):
            ch = ch.lower()
        if ch in FULL_WIDTH and draw(st.integers(0, 3)) == 0:
            ch = FULL_WIDTH[ch]
        out.append(ch + draw(st.sampled_from(["", "", "", " ", "-", "－", "　", " - "])))
    return draw(st.sampled_from(["", " ", "  "])) + "".join(out)


@pytest.mark.parametrize("text", ["a-\u0301", "\u00a8a", "ﬁ-x", "中通中通中通中通中通中通中通中通中通75312345678901"])
def test_idempotent_where_one_pass_is_not_enough(text):
    once = norm(text)
    assert norm(*once) == once


@settings(max_examples=80, deadline=None)
@given(st.text(max_size=30))
def test_idempotent_on_any_text(text):
    once = norm(text)
    assert norm(*once) == once


@settings(max_examples=80, deadline=None)
@given(st.data(), NUMBERS)
def test_case_spaces_dashes_and_full_width_do_not_matter(data, number):
    assert norm(data.draw(retyped(number))) == norm(number)


@settings(max_examples=80, deadline=None)
@given(st.data(), DIGITS, st.sampled_from(["中通", "中通快递", "ZTO", "韵达", "yunda", "圆通"]), st.sampled_from(["", " ", "-", "：", ":"]))
def test_a_courier_prefix_before_a_number_is_removed(data, digits, prefix, gap):
    typed = data.draw(retyped(prefix + gap + digits))
    assert norm(typed) == [digits]


@settings(max_examples=80, deadline=None)
@given(st.data(), DIGITS, st.sampled_from(["SF", "JDVA", "JD", "JDX", "YT"]), st.sampled_from(["", "顺丰", "京东", "圆通 ", "YTO"]))
def test_letters_of_the_number_itself_are_kept(data, digits, letters, prefix):
    number = letters + digits
    assert norm(data.draw(retyped(prefix + number))) == [number]
