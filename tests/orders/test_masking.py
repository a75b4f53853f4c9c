"""Masking rules for recipients' personal data: exact strings, and the Series forms agree with the scalar ones."""
import numpy as np
import pandas as pd
import pytest

from orders.masking import (
    mask_address,
    mask_addresses,
    mask_name,
    mask_names,
    mask_phone,
    mask_phones,
    mask_recipients,
)

NAMES = [
    ("张三", "张*"),
    ("张三丰", "张**"),
    ("王小二子", "王***"),
    ("欧阳娜娜", "欧***"),  # a compound surname keeps its first character only
    (" 李四 ", "李*"),
    ("张", "张"),
    ("John Smith", "J*********"),
    ("", ""),
    (None, ""),
]
PHONES = [
    ("13812341234", "138****1234"),
    ("138 1234 1234", "138****1234"),
    ("138-1234-1234", "138****1234"),
    ("+86 138 1234 1234", "138****1234"),
    ("+8613812341234", "138****1234"),
    ("8613812341234", "138****1234"),
    ("0086 13812341234", "138****1234"),
    ("１３８１２３４１２３４", "138****1234"),  # full-width digits from a Chinese input method
    ("021-12345678", "021-****5678"),
    ("02112345678", "021-****5678"),
    ("010-87654321", "010-****4321"),
    ("0755-1234567", "0755-***4567"),
    ("(0755) 8765 4321", "0755-****4321"),
    ("+86 21 1234 5678", "021-****5678"),  # the country code drops the area code's 0
    ("+86-10-87654321", "010-****4321"),
    ("17012345678-4567", "170****4567"),  # a platform's relay number with its extension
    ("12345678", "****5678"),
    ("95554", "****"),
    ("138****1234", "138****1234"),  # already masked upstream
    ("", ""),
    (None, ""),
]
ADDRESSES = [
    ("广东省深圳市南山区科技园路1号", "广东省深圳市****"),
    ("浙江杭州市西湖区文三路90号", "浙江杭州市****"),
    ("北京市朝阳区建国路88号", "北京市****"),
    ("上海市上海市浦东新区张江路", "上海市上海市****"),
    ("内蒙古自治区呼和浩特市新城区", "内蒙古自治区呼和浩特市****"),
    ("新疆维吾尔自治区乌鲁木齐市天山区", "新疆维吾尔自治区乌鲁木齐市****"),
    ("广西壮族自治区南宁市青秀区", "广西壮族自治区南宁市****"),
    ("吉林省延边朝鲜族自治州延吉市河南街", "吉林省延边朝鲜族自治州****"),
    ("黑龙江省大兴安岭地区加格达奇区", "黑龙江省大兴安岭地区****"),
    ("江苏省镇江市京口区", "江苏省镇江市****"),
    ("中国 广东省 深圳市 南山区 科技园", "广东省深圳市****"),
    ("香港特别行政区九龙弥敦道", "香港特别行政区****"),
    ("广东省南山区科技园路1号", "广东省****"),  # no city: nothing after the province shows
    ("Room 1, 88 Keji Road, Shenzhen", "****"),  # province not recognised: all hidden
    ("", ""),
    (None, ""),
]


@pytest.mark.parametrize("raw, masked", NAMES)
def test_mask_name(raw, masked):
    assert mask_name(raw) == masked


@pytest.mark.parametrize("raw, masked", PHONES)
def test_mask_phone(raw, masked):
    assert mask_phone(raw) == masked


@pytest.mark.parametrize("raw, masked", ADDRESSES)
def test_mask_address(raw, masked):
    assert mask_address(raw) == masked


@pytest.mark.parametrize(
    "cases, vector",
    [(NAMES, mask_names), (PHONES, mask_phones), (ADDRESSES, mask_addresses)],
    ids=["names", "phones", "addresses"],
)
def test_series_forms_give_the_same_text(cases, vector):
    index = pd.Index(np.arange(len(cases)) * 10 + 5)  # not a RangeIndex: the result must keep the caller's index
    raw = pd.Series([r for r, _ in cases], index=index, dtype=object)
    out = vector(raw)
    assert out.index.equals(index)
    assert out.tolist() == [m for _, m in cases]


def test_series_forms_take_missing_values_and_empty_series():
    assert mask_phones(pd.Series([np.nan, pd.NA, "13812341234"], dtype=object)).tolist() == ["", "", "138****1234"]
    assert mask_names(pd.Series([], dtype=object)).tolist() == []
    assert mask_addresses(pd.Series([], dtype=object)).tolist() == []


def test_mask_recipients_masks_a_copy_and_leaves_other_columns():
    frame = pd.DataFrame({
        "waybill_no": ["75312345678901"],
        "recipient_name": ["张三丰"],
        "recipient_phone": ["13812341234"],
        "recipient_address": ["广东省深圳市南山区科技园路1号"],
    })
    masked = mask_recipients(frame)
    assert masked.iloc[0].tolist() == ["75312345678901", "张**", "138****1234", "广东省深圳市****"]
    assert frame["recipient_name"][0] == "张三丰"


def test_many_rows_demo_recipients_are_all_masked():
    from couriers.demo_data import generate

    ships = generate(2000, seed=3).shipments
    masked = mask_recipients(ships)
    assert (masked["recipient_name"].str.len() == ships["recipient_name"].str.len()).all()
    assert masked["recipient_name"].str.fullmatch(r"\w\*+").all()
    assert masked["recipient_phone"].str.fullmatch(r"1[3-9]\d\*{4}\d{4}|0\d{2,3}-\*{4}\d{4}").all()
    assert masked["recipient_address"].str.endswith("****").all()
    assert not masked["recipient_address"].str.contains(r"\d").any()  # no street numbers, flats or rooms left
