"""Indicators over a whole history equal, bit for bit, those of each snapshot's lookback window."""

from __future__ import annotations

import numpy as np
import pytest

from swingdesk.marketdata.indicators import (
    ATR_WINDOW,
    decision_atr,
    decision_atr_values,
    rolling_mean_values,
    rolling_sum_values,
)


def _bars(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    close = np.round(100 * np.exp(np.cumsum(rng.normal(0, 0.02, n))), 4)
    high = np.round(close * (1 + rng.uniform(0, 0.03, n)), 4)
    low = np.round(close * (1 - rng.uniform(0, 0.03, n)), 4)
    return high, low, close


@pytest.mark.parametrize(
    ("n", "seed"), [(5, 1), (14, 2), (15, 3), (399, 4), (400, 5), (401, 6), (1300, 7)]
)
def test_decision_atr_when_compared_with_each_window_then_bit_identical(n: int, seed: int) -> None:
    h, lo, c = _bars(n, seed)
    full = decision_atr_values(h, lo, c)
    # Every bar up to two windows in, then a sample: each window is what a snapshot reads.
    for t in [*range(min(n, 2 * ATR_WINDOW)), *range(2 * ATR_WINDOW, n, 37)]:
        s = max(0, t - ATR_WINDOW - 5)  # more bars than the window: only the window counts
        window = decision_atr(h[s : t + 1], lo[s : t + 1], c[s : t + 1])
        assert np.array_equal(full[t], window, equal_nan=True), t
    assert np.isnan(full[: min(n, 14)]).all()
    assert np.isfinite(full[14:]).all()


def test_rolling_mean_when_compared_with_each_window_then_bit_identical() -> None:
    _, _, c = _bars(300, 7)
    for n in (20, 50):
        full = rolling_mean_values(c, n)
        for t in range(300):
            window = rolling_mean_values(c[max(0, t - 59) : t + 1], n)[-1]
            assert np.array_equal(full[t], window, equal_nan=True)


def test_rolling_sum_when_nan_inside_then_only_its_windows_are_nan() -> None:
    values = np.array([1.0, 2.0, np.nan, 4.0, 5.0, 6.0, 7.0])
    sums = rolling_sum_values(values, 2)
    assert np.isnan(sums[1])
    assert np.isnan(sums[2])
    assert sums.tolist()[3:] == [9.0, 11.0, 13.0]
