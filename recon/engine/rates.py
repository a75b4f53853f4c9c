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
            ww = w[rows]
            band = np.searchsorted(table.uppers, ww, side="left")
            inside = band < len(table.uppers)
            fees = np.where(inside, table.prices[np.minimum(band, len(table.uppers) - 1)], 0)
            if table.step_price_fen is not None:
                over = ww - table.uppers[-1]
                steps = -(-over // table.step_g)  # every started step is charged in full
                fees = np.where(inside, fees, table.prices[-1] + steps * table.step_price_fen)
                ok = np.ones(len(rows), dtype=bool)
            else:
                ok = inside
            out[rows] = fees
            found[rows] = ok
        result = pd.Series(out, dtype="Int64")
        result[~found] = pd.NA
        return result
