"""Technical indicators on daily bars: pure, vectorised, no I/O.

Every indicator is positional: a window of ``n`` means the last ``n`` bars, whatever their
dates (a holiday or a missing day does not widen the window). A value is NaN until the
window is full. A NaN input makes every SMA window that contains it NaN, and every ATR
from its bar on (the recursion carries it).

ATR convention (``atr_wilder``): true range TR_t = max(H_t - L_t, |H_t - C_{t-1}|,
|L_t - C_{t-1}|); the first bar has no previous close, so TR_0 = H_0 - L_0. The first ATR
sits on bar n-1 and is the simple mean of TR_0..TR_{n-1} (Wilder's own seeding); after that
ATR_t = (ATR_{t-1} * (n-1) + TR_t) / n. TA-Lib's ``ATR`` differs only in the seed: it
drops TR_0, so its first value sits on bar n and averages TR_1..TR_n. Pass ``talib=True``
for that variant. The two converge, the seed's weight shrinking by (n-1)/n per bar.

Sums are taken strictly left to right (never numpy's pairwise reduction), so a value
depends only on the bars of its own window and on nothing else: the SMA of bar t is the
same float whether it is computed from a 60-bar snapshot window or from the whole history.
``trailing_atr_values`` gives, for every bar, the ATR the snapshot computes from its
``window``-bar lookback. The backtest engine relies on both to reproduce snapshots exactly.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

SMA_SHORT = 20
SMA_LONG = 50
ATR_PERIOD = 14
ADV_PERIOD = 20

FloatArray = npt.NDArray[np.float64]


def _values(series: pd.Series) -> FloatArray:
    return np.asarray(series.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)


def _check_window(n: int) -> None:
    if n < 1:
        raise ValueError(f"window must be at least 1 bar, got {n}")


def rolling_sum_values(values: FloatArray, n: int) -> FloatArray:
    """Return the left-to-right sum of every full trailing ``n``-value window."""
    _check_window(n)
    rows = values.size - n + 1
    if rows <= 0:
        return np.empty(0, dtype=np.float64)
    # One vector add per window offset: ((v0 + v1) + v2) + ..., the same float for a window
    # wherever it sits; unlike a running cumsum, a NaN stays local to its own windows.
    total = np.array(values[:rows], dtype=np.float64)
    for k in range(1, n):
        total += values[k : k + rows]
    return total


def rolling_mean_values(values: FloatArray, n: int) -> FloatArray:
    """Return the mean of each trailing ``n``-value window, NaN until the window is full."""
    out = np.full(values.shape, np.nan, dtype=np.float64)
    if values.size >= n:
        out[n - 1 :] = rolling_sum_values(values, n) / n
    return out


def true_range_values(high: FloatArray, low: FloatArray, close: FloatArray) -> FloatArray:
    """Return each bar's true range; the first bar, with no previous close, gets high - low."""
    tr = np.asarray(high - low, dtype=np.float64)
    if tr.size > 1:
        prev = close[:-1]
        tr[1:] = np.maximum.reduce([tr[1:], np.abs(high[1:] - prev), np.abs(low[1:] - prev)])
    return tr


def _wilder_smooth(x: FloatArray, start: float, alpha: float) -> FloatArray:
    """Return y_0 = start, y_k = (1 - alpha) * y_{k-1} + alpha * x_k for k = 1..len(x)."""
    y = np.empty(x.size + 1)
    y[0], block, keep = start, 256, 1.0 - alpha
    # Closed form y_k = keep^k * (y_0 + alpha * cumsum(x_j / keep^j)), in blocks so that
    # keep^-j stays far from overflow; exact up to float rounding and fully vectorised.
    for lo in range(0, x.size, block):
        chunk = x[lo : lo + block]
        pw = keep ** np.arange(1, chunk.size + 1)
        y[lo + 1 : lo + 1 + chunk.size] = pw * (y[lo] + alpha * np.cumsum(chunk / pw))
    return y


def atr_wilder_values(
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    n: int = ATR_PERIOD,
    *,
    talib: bool = False,
) -> FloatArray:
    """Return Wilder's ATR for numpy arrays (see the module docstring for the seeding)."""
    _check_window(n)
    tr = true_range_values(high, low, close)
    first = 1 if talib else 0
    seed_at = first + n - 1
    out = np.full(tr.shape, np.nan, dtype=np.float64)
    if tr.size > seed_at:
        seed = float(np.cumsum(tr[first : seed_at + 1])[-1]) / n
        out[seed_at:] = _wilder_smooth(tr[seed_at + 1 :], seed, 1.0 / n)
    return out


def trailing_atr_values(
    high: FloatArray, low: FloatArray, close: FloatArray, n: int = ATR_PERIOD, *, window: int
) -> FloatArray:
    """Return for each bar t ``atr_wilder_values`` of the ``window`` bars ending at t, at t.

    That is the ATR a snapshot computes from a ``window``-bar lookback: the window's first
    bar has no previous close (its true range is high - low), the seed is its first ``n``
    true ranges. Exactly the same floats, vectorised over every bar (``window`` <= 256).
    """
    _check_window(n)
    if not n <= window <= 256:
        raise ValueError(f"window must be between {n} and 256 bars, got {window}")
    size = high.size
    out = np.full(size, np.nan, dtype=np.float64)
    if size < n:
        return out
    tr = true_range_values(high, low, close)
    alpha = 1.0 / n
    # Bars before the first full window: their window starts at bar 0, like the whole array's.
    head = min(size, window - 1)
    out[:head] = atr_wilder_values(high[:head], low[:head], close[:head], n)
    rows = size - window + 1
    if rows <= 0:
        return out
    # Window starting at s: true ranges hl[s], tr[s+1], ..., tr[s+window-1].
    seed = np.array(high[:rows] - low[:rows], dtype=np.float64)
    for k in range(1, n):
        seed += tr[k : k + rows]
    seed /= n
    steps = window - n
    if steps == 0:
        out[window - 1 :] = seed
        return out
    pw = (1.0 - alpha) ** np.arange(1, steps + 1)
    acc = tr[n : n + rows] / pw[0]
    for k in range(1, steps):
        acc += tr[n + k : n + k + rows] / pw[k]
    out[window - 1 :] = pw[-1] * (seed + alpha * acc)
    return out


def sma(close: pd.Series, n: int) -> pd.Series:
    """Return the simple moving average of the last ``n`` closes, NaN until ``n`` bars exist."""
    return pd.Series(rolling_mean_values(_values(close), n), index=close.index, name=f"sma_{n}")


def true_range(high: pd.Series, low: pd.Series, close: pd.Series) -> pd.Series:
    """Return each bar's true range; the first bar, with no previous close, gets high - low."""
    tr = true_range_values(_values(high), _values(low), _values(close))
    return pd.Series(tr, index=high.index, name="true_range")


def atr_wilder(
    high: pd.Series, low: pd.Series, close: pd.Series, n: int = ATR_PERIOD, *, talib: bool = False
) -> pd.Series:
    """Return Wilder's average true range (see the module docstring for the exact seeding)."""
    atr = atr_wilder_values(_values(high), _values(low), _values(close), n, talib=talib)
    return pd.Series(atr, index=high.index, name=f"atr_{n}")


def average_volume(volume: pd.Series, n: int = ADV_PERIOD) -> pd.Series:
    """Return the mean volume of the last ``n`` bars, NaN until ``n`` bars exist."""
    adv = rolling_mean_values(_values(volume), n)
    return pd.Series(adv, index=volume.index, name=f"adv_{n}")


def compute_indicators(bars: pd.DataFrame) -> pd.DataFrame:
    """Return SMA-20, SMA-50, ATR-14 and ADV-20 for every bar of an OHLCV frame."""
    missing = {"high", "low", "close", "volume"} - set(bars.columns)
    if missing:
        raise ValueError(f"bars lack columns: {', '.join(sorted(missing))}")
    return pd.DataFrame(
        {
            "sma_20": sma(bars["close"], SMA_SHORT),
            "sma_50": sma(bars["close"], SMA_LONG),
            "atr_14": atr_wilder(bars["high"], bars["low"], bars["close"], ATR_PERIOD),
            "adv_20": average_volume(bars["volume"], ADV_PERIOD),
        },
        index=bars.index,
    )
