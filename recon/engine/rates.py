"""Rate-card arithmetic, vectorized: which card applies to a line, and what a weight to a province costs.

Plain numpy/pandas, no Django. All money is integer fen, all weights integer grams.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class RateCardSpec:
    """A rate card as the engine sees it.

    bands: columns province, upper_g, price_fen (a weight exactly on upper_g belongs to that band).
    zones: columns province, step_g, step_price_fen (<NA>: nothing is priced above the last band).
    """

    id: int
    effective_from: date
    effective_to: date | None = None
    volumetric_divisor: int | None = None
    weight_tolerance_g: int = 0
    fee_tolerance_fen: int = 0
    bands: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["province", "upper_g", "price_fen"]))
    zones: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["province", "step_g", "step_price_fen"]))
    name: str = ""


@dataclass(frozen=True)
class _ZoneTable:
    uppers: np.ndarray
    prices: np.ndarray
    step_g: int
    step_price_fen: int | None


def _zone_tables(card: RateCardSpec) -> dict[str, _ZoneTable]:
    tables: dict[str, _ZoneTable] = {}
    zones = card.zones.set_index("province") if len(card.zones) else None
    for province, bands in card.bands.groupby("province", sort=False):
        bands = bands.sort_values("upper_g")
        step_g, step_price = 1000, None
        if zones is not None and province in zones.index:
            z = zones.loc[province]
            step_g = int(z["step_g"]) if pd.notna(z["step_g"]) and int(z["step_g"]) > 0 else 1000
            step_price = int(z["step_price_fen"]) if pd.notna(z["step_price_fen"]) else None
        tables[str(province)] = _ZoneTable(
            bands["upper_g"].to_numpy(dtype=np.int64), bands["price_fen"].to_numpy(dtype=np.int64), step_g, step_price
        )
    return tables


class RateBook:
    """All cards of one courier, ready for vectorized lookups."""

    def __init__(self, cards: list[RateCardSpec]):
        # Later effective_from wins where cards overlap: the newest agreement applies.
        self.cards = sorted(cards, key=lambda c: (c.effective_from, c.id))
        self._tables = [_zone_tables(c) for c in self.cards]

    def card_index(self, when: pd.Series) -> np.ndarray:
        """Index into self.cards of the card in force on each date (-1: none)."""
        idx = np.full(len(when), -1, dtype=np.int64)
        days = pd.to_datetime(when).dt.normalize()
        for i, card in enumerate(self.cards):
            ok = days >= pd.Timestamp(card.effective_from)
            if card.effective_to is not None:
                ok &= days <= pd.Timestamp(card.effective_to)
            idx[ok.fillna(False).to_numpy(dtype=bool)] = i
        return idx

    def card_values(self, card_idx: np.ndarray, attribute: str, default: int = 0) -> np.ndarray:
        """A per-line array of one card setting (tolerance, divisor); default where no card applies."""
        values = np.array([getattr(c, attribute) or 0 for c in self.cards] + [default], dtype=np.int64)
        return values[np.where(card_idx >= 0, card_idx, len(self.cards))]

    def card_ids(self, card_idx: np.ndarray) -> pd.Series:
        ids = np.array([c.id for c in self.cards] + [0], dtype=np.int64)
        out = pd.Series(ids[np.where(card_idx >= 0, card_idx, len(self.cards))], dtype="Int64")
        out[card_idx < 0] = pd.NA
        return out

    def fee(self, card_idx: np.ndarray, province: pd.Series, weight_g: pd.Series) -> pd.Series:
        """F(weight, province) in fen under each line's card; <NA> where the card has no price for it."""
        n = len(card_idx)
        out = np.zeros(n, dtype=np.int64)
        found = np.zeros(n, dtype=bool)
        weights = pd.array(weight_g, dtype="Int64")
        has_weight = ~np.asarray(pd.isna(weights))
        w = np.asarray(weights.fillna(0), dtype=np.int64)
        prov = pd.Series(np.asarray(province, dtype=object)).fillna("")
        keys = pd.DataFrame({"c": card_idx, "p": prov.to_numpy()})
        usable = (card_idx >= 0) & has_weight & (prov.to_numpy() != "")
        for (c, p), positions in keys[usable].groupby(["c", "p"], sort=False).indices.items():
            table = self._tables[int(c)].get(p)
            if table is None:
                continue
            rows = keys.index[usable][positions].to_numpy()
            priced = _zone_fees(table, w[rows])
            out[rows] = priced.fees
            found[rows] = priced.ok
        result = pd.Series(out, dtype="Int64")
        result[~found] = pd.NA
        return result


@dataclass(frozen=True)
class _Priced:
    fees: np.ndarray  # fen; meaningless where not ok
    ok: np.ndarray  # the card prices this weight
    inside: np.ndarray  # within a band (else above the last one)
    band: np.ndarray  # index of the band a weight fits in
    over_g: np.ndarray  # grams above the last band
    steps: np.ndarray  # started steps above the last band


def _zone_fees(table: _ZoneTable, w: np.ndarray) -> _Priced:
    """The one pricing rule, used for the engine's fees and for the clerk's step-by-step explanation."""
    band = np.searchsorted(table.uppers, w, side="left")  # a weight exactly on upper_g belongs to that band
    inside = band < len(table.uppers)
    fees = np.where(inside, table.prices[np.minimum(band, len(table.uppers) - 1)], 0)
    over = np.where(inside, 0, w - table.uppers[-1])
    steps = -(-over // table.step_g)  # every started step is charged in full
    if table.step_price_fen is not None:
        fees = np.where(inside, fees, table.prices[-1] + steps * table.step_price_fen)
        ok = np.ones(len(w), dtype=bool)
    else:
        ok = inside
    return _Priced(fees, ok, inside, band, over, steps)


@dataclass(frozen=True)
class FeeStep:
    """One line of an explanation: a fixed code and its numbers (grams, fen); the caller words it."""

    code: str
    values: dict


@dataclass(frozen=True)
class FeeExplanation:
    fee_fen: int | None
    steps: tuple[FeeStep, ...]


# Codes of FeeStep, in the order they can appear.
NO_PRICES = "no_prices"  # {province}
IN_BAND = "in_band"  # {weight_g, upper_g, price_fen}
ABOVE_LAST_BAND = "above_last_band"  # {weight_g, upper_g, price_fen}
NOTHING_ABOVE = "nothing_above"  # {upper_g, province}
EXTRA_STEPS = "extra_steps"  # {extra_g, step_g, steps, step_price_fen, added_fen}
TOTAL = "total"  # {base_fen, added_fen, fee_fen}


def explain_fee(card: RateCardSpec, *, province: str, weight_g: int) -> FeeExplanation:
    """How a card prices one weight to one province, step by step, with the fee RateBook.fee gives for it."""
    table = _zone_tables(card).get(province)
    if table is None:
        return FeeExplanation(None, (FeeStep(NO_PRICES, {"province": province}),))
    p = _zone_fees(table, np.array([weight_g], dtype=np.int64))
    fee = int(p.fees[0]) if p.ok[0] else None
    if p.inside[0]:
        band = int(p.band[0])
        return FeeExplanation(fee, (FeeStep(IN_BAND, {
            "weight_g": weight_g, "upper_g": int(table.uppers[band]), "price_fen": int(table.prices[band])}),))
    last_g, last_fen = int(table.uppers[-1]), int(table.prices[-1])
    steps = [FeeStep(ABOVE_LAST_BAND, {"weight_g": weight_g, "upper_g": last_g, "price_fen": last_fen})]
    if table.step_price_fen is None:
        steps.append(FeeStep(NOTHING_ABOVE, {"upper_g": last_g, "province": province}))
        return FeeExplanation(None, tuple(steps))
    n = int(p.steps[0])
    added = n * table.step_price_fen
    steps.append(FeeStep(EXTRA_STEPS, {"extra_g": int(p.over_g[0]), "step_g": table.step_g, "steps": n,
                                       "step_price_fen": table.step_price_fen, "added_fen": added}))
    steps.append(FeeStep(TOTAL, {"base_fen": last_fen, "added_fen": added, "fee_fen": fee}))
    return FeeExplanation(fee, tuple(steps))
