"""The discrepancy page's step-by-step price comes from the engine's pricing, worded for a clerk."""
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from couriers.selectors import rate_card_explain, rate_card_specs
from recon.engine import RateBook
from tests.factories import RateCardFactory

pytestmark = pytest.mark.django_db


def engine_fee(card, province, weight_g):
    book = RateBook(rate_card_specs(courier=card.courier))
    fee = book.fee(np.zeros(1, dtype=np.int64), pd.Series([province]), pd.Series([weight_g])).iloc[0]
    return None if pd.isna(fee) else Decimal(int(fee)).scaleb(-2)


def test_a_weight_above_the_last_band_step_by_step():
    card = RateCardFactory(courier__code="ZTO", bands=[("广东", 1000, "3.00"), ("广东", 3000, "5.00")],
                           zones=[("广东", 1000, "1.50")])
    explained = rate_card_explain(card_id=card.id, weight_g=4200, province="广东")
    assert explained == {"fee": Decimal("8.00"), "steps": [
        "4.2 kg 超出最后一个重量段（3 kg 以内，¥5.00）",
        "续重 1.2 kg，每 1 kg 计一次（不足按一次计）：2 × ¥1.50 = ¥3.00",
        "合计：¥5.00 + ¥3.00 = ¥8.00",
    ]}
    assert explained["fee"] == engine_fee(card, "广东", 4200)


def test_a_weight_within_a_band_and_a_province_without_prices():
    card = RateCardFactory(courier__code="ZTO", bands=[("广东", 1000, "3.00")])
    assert rate_card_explain(card_id=card.id, weight_g=1000, province="广东") == {
        "fee": Decimal("3.00"), "steps": ["1 kg 属于 1 kg 以内的重量段：¥3.00"]}
    assert rate_card_explain(card_id=card.id, weight_g=1000, province="西藏") == {
        "fee": None, "steps": ["报价单中没有 西藏 的价格。"]}


def test_a_zero_gram_step_is_explained_as_the_engine_prices_it():
    # The engine reads a step of 0 g as 1 kg; the explanation once divided by it and failed.
    card = RateCardFactory(courier__code="ZTO", bands=[("广东", 1000, "3.00")], zones=[("广东", 0, "2.00")])
    explained = rate_card_explain(card_id=card.id, weight_g=2500, province="广东")
    assert explained["fee"] == Decimal("7.00") == engine_fee(card, "广东", 2500)
    assert explained["steps"][1] == "续重 1.5 kg，每 1 kg 计一次（不足按一次计）：2 × ¥2.00 = ¥4.00"


def test_nothing_priced_above_the_last_band_without_a_step_price():
    card = RateCardFactory(courier__code="ZTO", bands=[("新疆", 1000, "10.00")], zones=[("新疆", 1000, None)])
    assert rate_card_explain(card_id=card.id, weight_g=1200, province="新疆") == {"fee": None, "steps": [
        "1.2 kg 超出最后一个重量段（1 kg 以内，¥10.00）", "报价单中没有发往 新疆 超过 1 kg 的价格。",
    ]}
    assert engine_fee(card, "新疆", 1200) is None
