"""The batched decision ATR gives every ticker the very floats of ``decision_atr_values``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from swingdesk.adapters.csv_market import CsvMarket
from swingdesk.backtest.batch_atr import decision_atr_batch
from swingdesk.marketdata.indicators import decision_atr_values

FloatArray = np.ndarray


def _bars(n: int, seed: int) -> tuple[FloatArray, FloatArray, FloatArray]:
    rng = np.random.default_rng(seed)
    close = np.round(100 * np.exp(np.cumsum(rng.normal(0, 0.02, n))), 4)
    high = np.round(close * (1 + rng.uniform(0, 0.03, n)), 4)
    low = np.round(close * (1 - rng.uniform(0, 0.03, n)), 4)
    return high, low, close


def _same(a: FloatArray, b: FloatArray) -> bool:
    """Say whether two float arrays hold the same bits (NaN where the other has NaN)."""
    return a.shape == b.shape and np.array_equal(a.view(np.int64), b.view(np.int64))


@pytest.mark.parametrize(
    "sizes", [[0, 5, 14, 15, 399, 400, 401, 402, 1300, 777], [1300], [10, 20], [401, 1300]]
)
def test_batch_when_mixed_lengths_then_bit_identical_to_one_ticker(sizes: list[int]) -> None:
    bars = [_bars(n, seed) for seed, n in enumerate(sizes)]
    if sizes[-1] > 500:
        bars[-1][0][450] = np.nan  # a NaN carries through its own ticker's windows only
    got = decision_atr_batch([b[0] for b in bars], [b[1] for b in bars], [b[2] for b in bars])
    for (h, lo, c), atr in zip(bars, got, strict=True):
        assert _same(atr, decision_atr_values(h, lo, c))


def test_batch_when_whole_shared_market_then_bit_identical(shared_market: Path) -> None:
    market = CsvMarket(shared_market)
    bars = [market.bars(t) for t in market.universe()]
    got = decision_atr_batch([b.high for b in bars], [b.low for b in bars], [b.close for b in bars])
    for b, atr in zip(bars, got, strict=True):
        assert _same(atr, decision_atr_values(b.high, b.low, b.close))
