"""The built-in strategies' vectorised entry candidates (numpy, pure).

A candidate is a necessary condition for a BUY, evaluated on raw floats with a margin that
covers the rounding of the snapshot's Decimals, so a ticker-day outside it cannot BUY.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from swingdesk.strategy.rules import RuleParams

FloatArray = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]

#: Slack for the Decimal rounding of price (4 places), SMAs (6) and ATR (4) in a comparison.
TOL = 1e-3
#: A crossing compares two SMAs rounded to 6 places.
CROSS_TOL = 1e-5


def rule_candidates(
    p: RuleParams, close: FloatArray, atr: FloatArray, sma_20: FloatArray, sma_50: FloatArray
) -> Mask:
    """Necessary conditions of ``rules._entry`` for a BUY: an uptrend, and either a pullback
    (the price within ``pullback_atr`` ATRs of the SMA-20) or a breakout (more than
    ``breakout_atr`` and at most ``max_extension_atr`` ATRs above it, on an up day: the
    rounded close above the rounded close before, which the first bar has not)."""
    tol = TOL + 1e-9 * np.abs(close)
    up_day = np.zeros(close.size, dtype=np.bool_)
    with np.errstate(invalid="ignore"):
        gap = close - sma_20
        up_day[1:] = close[1:] - close[:-1] > -tol[1:]
        pullback = np.abs(gap) <= p.pullback_atr * atr + tol * (1 + p.pullback_atr)
        breakout = (
            (gap > p.breakout_atr * atr - tol * (1 + p.breakout_atr))
            & (gap <= p.max_extension_atr * atr + tol * (1 + p.max_extension_atr))
            & up_day
        )
        mask = (close - sma_50 > -tol) & (sma_20 - sma_50 > -tol) & (pullback | breakout)
    return np.asarray(mask, dtype=np.bool_)


def cross_candidates(sma_20: FloatArray, sma_50: FloatArray) -> Mask:
    """Necessary conditions for a crossover BUY: above today, not above the bar before."""
    mask = np.zeros(sma_20.size, dtype=np.bool_)
    if sma_20.size > 1:
        with np.errstate(invalid="ignore"):
            above = sma_20[1:] - sma_50[1:] > -CROSS_TOL
            was_not = sma_20[:-1] - sma_50[:-1] < CROSS_TOL
        mask[1:] = above & was_not
    return mask
