"""The decision ATR of many tickers at once: ``decision_atr_values``, bit for bit, batched.

``marketdata.indicators.decision_atr_values`` gives every bar TA-Lib's ATR-14 over its own
``ATR_WINDOW`` bars, one vector operation per step of the window, so one ticker costs
about 800 numpy calls over a short array. Here the true ranges of every ticker long enough
to have a full window sit side by side in one matrix (a column per ticker, bars down the
rows, NaN below a shorter ticker's last bar), and the same steps run once over all of them.
Each element goes through exactly the operations, in the same order, that the one-ticker
code applies to it (IEEE arithmetic is element by element), so every value is the same
float; padding only reaches the windows past a ticker's last bar, which are dropped.
Tickers with no full window (too short to batch) take the one-ticker code itself.
"""

from __future__ import annotations

import numpy as np

from swingdesk.marketdata.indicators import (
    ATR_PERIOD,
    ATR_WINDOW,
    FloatArray,
    atr_wilder_values,
    decision_atr_values,
    true_range_values,
)


def decision_atr_batch(
    highs: list[FloatArray], lows: list[FloatArray], closes: list[FloatArray]
) -> list[FloatArray]:
    """Return ``decision_atr_values`` of each ticker's (high, low, close) arrays."""
    n, window = ATR_PERIOD, ATR_WINDOW
    out: list[FloatArray] = []
    long: list[int] = []
    for i, (high, low, close) in enumerate(zip(highs, lows, closes, strict=True)):
        if high.size <= window:
            out.append(decision_atr_values(high, low, close, n))
            continue
        atr = np.full(high.size, np.nan, dtype=np.float64)
        # The bars before the first full window, as ``decision_atr_values`` computes them.
        head = window - 1
        atr[:head] = atr_wilder_values(high[:head], low[:head], close[:head], n, talib=True)
        out.append(atr)
        long.append(i)
    if not long:
        return out
    trs = [true_range_values(highs[i], lows[i], closes[i]) for i in long]
    size = max(tr.size for tr in trs)
    matrix = np.full((size, len(trs)), np.nan, dtype=np.float64)
    for j, tr in enumerate(trs):
        matrix[: tr.size, j] = tr
    tails = _window_atr_columns(matrix, n, window)
    for j, i in enumerate(long):
        out[i][window - 1 :] = tails[: out[i].size - window + 1, j]
    return out


def _window_atr_columns(tr: FloatArray, n: int, window: int) -> FloatArray:
    """Return, per column, the ATR at the last bar of each window (``_window_atr``'s steps:
    the seed is the left-to-right sum of the window's true ranges 1..n over n, then
    ``keep^steps * (seed + alpha * sum(TR_j / keep^j))`` summed left to right)."""
    rows = tr.shape[0] - window + 1
    steps, alpha = window - n - 1, 1.0 / n
    # The very powers the one-ticker code reads (its cached table, the same expression).
    pw = np.asarray((1.0 - 1.0 / n) ** np.arange(1, steps + 1), dtype=np.float64)
    seed = np.array(tr[1 : 1 + rows], dtype=np.float64)
    for k in range(2, n + 1):
        seed += tr[k : k + rows]
    seed /= n
    if steps == 0:
        return seed
    acc = tr[n + 1 : n + 1 + rows] / pw[0]
    term = np.empty_like(acc)
    for k in range(1, steps):
        np.divide(tr[n + 1 + k : n + 1 + k + rows], pw[k], out=term)
        acc += term
    return np.asarray(pw[-1] * (seed + alpha * acc), dtype=np.float64)
