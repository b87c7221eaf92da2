"""Hand-worked checks of the indicator maths."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from swingdesk.marketdata.indicators import (
    atr_wilder,
    average_volume,
    compute_indicators,
    newest_means,
    rolling_mean_values,
    sma,
    true_range,
)

# Five bars worked by hand (see test_atr_wilder_*):
#   TR0 = H0 - L0 = 1 (no previous close)
#   TR1 = max(12 - 10, |12 - 9.5|, |10 - 9.5|) = 2.5
#   TR2 = max(11 - 9, |11 - 11|, |9 - 11|) = 2
#   TR3 = max(15 - 13, |15 - 10|, |13 - 10|) = 5   (gap up)
#   TR4 = max(14 - 12, |14 - 14|, |12 - 14|) = 2
HIGH = [10.0, 12.0, 11.0, 15.0, 14.0]
LOW = [9.0, 10.0, 9.0, 13.0, 12.0]
CLOSE = [9.5, 11.0, 10.0, 14.0, 13.0]


def _series(values: list[float], start: str = "2024-01-02") -> pd.Series:
    return pd.Series(values, index=pd.bdate_range(start, periods=len(values)), dtype=float)


def _assert_close(actual: pd.Series, expected: list[float]) -> None:
    assert len(actual) == len(expected)
    for got, want in zip(actual.tolist(), expected, strict=True):
        if math.isnan(want):
            assert math.isnan(got)
        else:
            assert got == pytest.approx(want, abs=1e-12)


def test_sma_when_window_fills_then_averages_last_n_closes() -> None:
    _assert_close(sma(_series([1, 2, 3, 4, 5]), 3), [math.nan, math.nan, 2.0, 3.0, 4.0])


def test_sma_when_fewer_bars_than_window_then_all_nan() -> None:
    result = sma(_series([1, 2, 3]), 5)
    assert result.isna().all()
    assert len(result) == 3


def test_sma_when_input_empty_then_empty_result() -> None:
    assert sma(pd.Series([], dtype=float), 20).empty


def test_sma_when_nan_in_input_then_only_windows_containing_it_are_nan() -> None:
    _assert_close(
        sma(_series([1, 2, math.nan, 4, 5, 6, 7]), 2),
        [math.nan, 1.5, math.nan, math.nan, 4.5, 5.5, 6.5],
    )


def test_sma_when_window_not_positive_then_value_error() -> None:
    with pytest.raises(ValueError, match="at least 1 bar"):
        sma(_series([1, 2, 3]), 0)


def test_true_range_when_gaps_then_uses_previous_close() -> None:
    tr = true_range(_series(HIGH), _series(LOW), _series(CLOSE))
    _assert_close(tr, [1.0, 2.5, 2.0, 5.0, 2.0])


def test_atr_wilder_when_five_bars_period_three_then_matches_hand_computation() -> None:
    # Seed on bar 2: (1 + 2.5 + 2) / 3 = 11/6; then (prev * 2 + TR) / 3.
    seed = 5.5 / 3
    bar3 = (seed * 2 + 5) / 3
    bar4 = (bar3 * 2 + 2) / 3
    atr = atr_wilder(_series(HIGH), _series(LOW), _series(CLOSE), 3)
    _assert_close(atr, [math.nan, math.nan, seed, bar3, bar4])
    assert bar4 == pytest.approx(2.5925925925925926)


def test_atr_wilder_when_talib_seeding_then_first_value_one_bar_later() -> None:
    # TA-Lib drops TR0: seed on bar 3 = (2.5 + 2 + 5) / 3, then one Wilder step.
    seed = 9.5 / 3
    atr = atr_wilder(_series(HIGH), _series(LOW), _series(CLOSE), 3, talib=True)
    _assert_close(atr, [math.nan, math.nan, math.nan, seed, (seed * 2 + 2) / 3])


def test_atr_wilder_when_fewer_bars_than_period_then_all_nan() -> None:
    atr = atr_wilder(_series(HIGH[:2]), _series(LOW[:2]), _series(CLOSE[:2]), 3)
    assert atr.isna().all()
    assert len(atr) == 2


def test_atr_wilder_when_exactly_period_bars_then_only_last_value_defined() -> None:
    atr = atr_wilder(_series(HIGH[:3]), _series(LOW[:3]), _series(CLOSE[:3]), 3)
    _assert_close(atr, [math.nan, math.nan, 5.5 / 3])


def test_atr_wilder_when_zero_range_days_then_zero() -> None:
    flat = _series([50.0] * 20)
    atr = atr_wilder(flat, flat, flat, 14)
    assert atr.iloc[:13].isna().all()
    assert (atr.iloc[13:] == 0.0).all()


def test_atr_wilder_when_dates_have_gaps_then_values_depend_only_on_bar_order() -> None:
    h, lo, c = _series(HIGH), _series(LOW), _series(CLOSE)
    gappy = pd.DatetimeIndex(["2024-01-02", "2024-01-03", "2024-01-10", "2024-02-01", "2024-02-02"])
    shifted = atr_wilder(h.set_axis(gappy), lo.set_axis(gappy), c.set_axis(gappy), 3)
    assert list(shifted.index) == list(gappy)
    np.testing.assert_array_equal(shifted.to_numpy(), atr_wilder(h, lo, c, 3).to_numpy())


def test_atr_wilder_when_long_series_then_matches_plain_recursion() -> None:
    rng = np.random.default_rng(7)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, 3000)))
    high = close * (1 + rng.uniform(0, 0.03, close.size))
    low = close * (1 - rng.uniform(0, 0.03, close.size))
    atr = atr_wilder(pd.Series(high), pd.Series(low), pd.Series(close), 14).to_numpy()
    tr = [high[0] - low[0]] + [
        max(high[i] - low[i], abs(high[i] - close[i - 1]), abs(low[i] - close[i - 1]))
        for i in range(1, close.size)
    ]
    expected = sum(tr[:14]) / 14
    assert atr[13] == pytest.approx(expected, rel=1e-12)
    for i in range(14, close.size):
        expected = (expected * 13 + tr[i]) / 14
        assert atr[i] == pytest.approx(expected, rel=1e-9)


def test_average_volume_when_twenty_one_bars_then_last_two_values_defined() -> None:
    volume = _series([float(v) for v in range(1, 22)])
    adv = average_volume(volume, 20)
    assert adv.iloc[:19].isna().all()
    assert adv.iloc[19] == pytest.approx(10.5)
    assert adv.iloc[20] == pytest.approx(11.5)


def test_compute_indicators_when_sixty_bars_then_every_column_filled_at_the_end() -> None:
    n = 60
    bars = pd.DataFrame(
        {
            "open": np.linspace(100, 159, n),
            "high": np.linspace(101, 160, n),
            "low": np.linspace(99, 158, n),
            "close": np.linspace(100, 159, n),
            "volume": np.full(n, 1_000_000.0),
        },
        index=pd.bdate_range("2024-01-02", periods=n),
    )
    result = compute_indicators(bars)
    assert list(result.columns) == ["sma_20", "sma_50", "atr_14", "adv_20"]
    assert result.index.equals(bars.index)
    last = result.iloc[-1]
    assert last["sma_20"] == pytest.approx(np.mean(np.linspace(100, 159, n)[-20:]))
    assert last["sma_50"] == pytest.approx(np.mean(np.linspace(100, 159, n)[-50:]))
    assert last["atr_14"] == pytest.approx(2.0)  # every TR is high - low = 2 (gap-free trend of +1)
    assert last["adv_20"] == pytest.approx(1_000_000.0)
    assert result["sma_50"].iloc[:49].isna().all()


def test_compute_indicators_when_column_missing_then_value_error() -> None:
    with pytest.raises(ValueError, match="volume"):
        compute_indicators(pd.DataFrame({"high": [1.0], "low": [1.0], "close": [1.0]}))


@pytest.mark.parametrize("n", [1, 2, 20, 50])
@pytest.mark.parametrize("count", [1, 2, 3])
def test_newest_means_when_any_history_then_bit_for_bit_the_rolling_means_tail(
    n: int, count: int
) -> None:
    rng = np.random.default_rng(n * 10 + count)
    for size in range(0, n + count + 3):
        values = rng.lognormal(4.0, 1.5, size) * 10.0 ** rng.integers(-3, 8, size)
        if size > 3:
            values[rng.integers(0, size)] = np.nan  # a gap stays local to its windows
        expected = rolling_mean_values(values, n)[-count:] if size else np.empty(0)
        got = np.array(newest_means(values, n, count), dtype=np.float64)
        assert got.size == min(count, size)
        # Bit for bit, NaN included: the same floats summed in the same order.
        assert got.tobytes() == expected.tobytes(), (size, got, expected)
