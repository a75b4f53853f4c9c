"""Rate-card pricing exists once: the clerk's step-by-step explanation and the engine's fee agree to the fen."""
from datetime import date

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from recon.engine import RateBook, RateCardSpec, explain_fee
from recon.engine import rates

PROVINCES = ["广东", "新疆", "西藏"]


def spec(bands, zones=()) -> RateCardSpec:
    zone_frame = pd.DataFrame(list(zones), columns=["province", "step_g", "step_price_fen"])
    zone_frame["step_price_fen"] = pd.array(zone_frame["step_price_fen"], dtype="Int64")
    return RateCardSpec(
        id=1, effective_from=date(2026, 1, 1),
        bands=pd.DataFrame(list(bands), columns=["province", "upper_g", "price_fen"]), zones=zone_frame,
    )


def book_fee(card: RateCardSpec, province: str, weight_g: int):
    fee = RateBook([card]).fee(np.zeros(1, dtype=np.int64), pd.Series([province]), pd.Series([weight_g])).iloc[0]
    return None if pd.isna(fee) else int(fee)


@st.composite
def cards(draw):
    bands, zones = [], []
    for province in draw(st.lists(st.sampled_from(PROVINCES), min_size=1, max_size=3, unique=True)):
        uppers = draw(st.lists(st.integers(1, 30_000), min_size=1, max_size=5, unique=True))
        bands += [(province, upper, draw(st.integers(0, 100_000))) for upper in uppers]
        zone = draw(st.one_of(
            st.none(),
            st.tuples(st.integers(0, 5_000), st.one_of(st.none(), st.integers(0, 5_000))),
        ))
        if zone is not None:
            zones.append((province, zone[0], zone[1]))
    return spec(bands, zones)


@settings(max_examples=300, deadline=None)
@given(card=cards(), province=st.sampled_from(PROVINCES), weight_g=st.integers(0, 60_000))
def test_explained_fee_is_the_engines_fee_for_every_card_and_weight(card, province, weight_g):
    explained = explain_fee(card, province=province, weight_g=weight_g)
    assert explained.fee_fen == book_fee(card, province, weight_g)
    if explained.fee_fen is not None:
        # The last step names the fee the clerk sees, so the words agree with the figure.
        last = explained.steps[-1]
        assert last.values.get("fee_fen", last.values.get("price_fen")) == explained.fee_fen


CARD = spec(
    [("广东", 500, 260), ("广东", 1000, 300), ("广东", 3000, 500), ("新疆", 1000, 1000)],
    [("广东", 1000, 100), ("新疆", 1000, None)],
)


def test_a_weight_on_a_band_bound_costs_that_band():
    explained = explain_fee(CARD, province="广东", weight_g=1000)
    assert explained.fee_fen == 300
    assert [(s.code, s.values) for s in explained.steps] == [
        (rates.IN_BAND, {"weight_g": 1000, "upper_g": 1000, "price_fen": 300}),
    ]


def test_every_started_step_above_the_last_band_is_charged():
    # 3001 g: 1 g over 3 kg starts one step of 1 kg; 5000 g: two whole steps. 500 + 100 = 600, 500 + 200 = 700.
    assert explain_fee(CARD, province="广东", weight_g=3001).fee_fen == 600
    explained = explain_fee(CARD, province="广东", weight_g=5000)
    assert explained.fee_fen == 700
    assert [(s.code, s.values) for s in explained.steps] == [
        (rates.ABOVE_LAST_BAND, {"weight_g": 5000, "upper_g": 3000, "price_fen": 500}),
        (rates.EXTRA_STEPS, {"extra_g": 2000, "step_g": 1000, "steps": 2, "step_price_fen": 100, "added_fen": 200}),
        (rates.TOTAL, {"base_fen": 500, "added_fen": 200, "fee_fen": 700}),
    ]


def test_a_step_of_zero_grams_counts_as_one_kilogram_as_in_the_engine():
    card = spec([("广东", 1000, 300)], [("广东", 0, 150)])
    explained = explain_fee(card, province="广东", weight_g=2500)
    assert explained.fee_fen == 300 + 2 * 150 == book_fee(card, "广东", 2500)
    assert explained.steps[1].values["step_g"] == 1000


def test_no_price_above_the_last_band_without_a_step_price():
    explained = explain_fee(CARD, province="新疆", weight_g=1200)
    assert explained.fee_fen is None
    assert [s.code for s in explained.steps] == [rates.ABOVE_LAST_BAND, rates.NOTHING_ABOVE]


def test_a_province_the_card_does_not_list():
    explained = explain_fee(CARD, province="西藏", weight_g=800)
    assert explained.fee_fen is None
    assert [(s.code, s.values) for s in explained.steps] == [(rates.NO_PRICES, {"province": "西藏"})]
