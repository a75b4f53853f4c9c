import re

import pytest

from recon.ingest import Field, TableSpec, find_header, header_key
from recon.ingest.specs import BILL_SPEC, RATE_CARD_SPEC


@pytest.mark.parametrize(
    "cell, key, unit",
    [
        ("计费重量(kg)", "计费重量", "kg"),
        ("计费重量（公斤）", "计费重量", "kg"),
        ("重量(g)", "重量", "g"),
        ("重量【克】", "重量", "g"),
        ("运费（元）", "运费", "yuan"),
        ("Weight (KG)", "weight", "kg"),
        (" 运 单\t号 ", "运单号", ""),
        ("交易金额(收入)", "交易金额收入", ""),  # not a unit: its words kept, so it does not collide with 交易金额
        ("重量/kg", "重量", "kg"),
        ("ＷＥＩＧＨＴ", "weight", ""),
    ],
)
def test_header_key(cell, key, unit):
    assert header_key(cell) == (key, unit)


def test_header_found_below_title_rows_with_columns_in_any_order():
    rows = [
        ["中通快递2026年10月对账单", "", ""],
        ["客户：XX电商", "", ""],
        ["", "", ""],
        ["备注", "运费（元）", " 运单号 "],
        ["", "12", "75312345678901"],
    ]
    match = find_header(rows, BILL_SPEC)
    assert match.complete
    assert match.row == 3
    assert match.columns == {"billed_fee": 1, "waybill_no": 2}
    assert match.units["billed_fee"] == "yuan"


def test_more_specific_synonym_wins():
    rows = [["金额", "重量", "运单号", "运费", "计费重量", "日期", "揽收时间"]]
    match = find_header(rows, BILL_SPEC)
    assert match.columns["billed_fee"] == 3
    assert match.columns["billed_weight"] == 4
    assert match.columns["billed_at"] == 6


def test_incomplete_header_is_reported_with_the_most_text_row():
    rows = [["对账单"], ["单据编号", "金额", "备注"], ["1", "2", "3"]]
    match = find_header(rows, BILL_SPEC)
    assert not match.complete
    assert match.cells == ["单据编号", "金额", "备注"]


def test_overrides_replace_synonyms():
    rows = [["快递单号", "应收运费", "运费"]]
    match = find_header(rows, BILL_SPEC, overrides={"billed_fee": "应收运费"})
    assert match.columns == {"waybill_no": 0, "billed_fee": 1}


def test_override_can_switch_off_an_optional_field_but_not_a_required_one():
    rows = [["运单号", "运费", "重量"]]
    assert "billed_weight" not in find_header(rows, BILL_SPEC, overrides={"billed_weight": ""}).columns
    with pytest.raises(ValueError):
        find_header(rows, BILL_SPEC, overrides={"waybill_no": ""})
    with pytest.raises(ValueError):
        find_header(rows, BILL_SPEC, overrides={"no_such_field": "x"})


def test_groups_for_rate_bands():
    rows = [["省份", "0.5kg", "1KG", "2公斤", "首重3kg", "500g", "0-0.5kg", "续重单价", "备注"]]
    match = find_header(rows, RATE_CARD_SPEC)
    assert match.complete
    assert match.groups["bands"] == [1, 2, 3, 4, 5, 6]
    assert match.columns["step_price"] == 7


def test_generic_spec_for_later_importers():
    spec = TableSpec(
        fields=(Field("amount", ("金额", "交易金额"), required=True), Field("memo", ("备注",))),
        groups={"extra": re.compile(r"附言\d")},
    )
    match = find_header([["x"], ["备注", "交易金额", "附言1", "附言2"]], spec)
    assert match.row == 1
    assert match.columns == {"amount": 1, "memo": 0}
    assert match.groups == {"extra": [2, 3]}
