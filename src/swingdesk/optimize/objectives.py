"""Objectives by name, and the overfitting figures: deflated Sharpe ratio and IS/OOS decay."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from statistics import NormalDist
from typing import Literal

from swingdesk.backtest import metrics as m
from swingdesk.backtest.metrics import Trade

_EULER_GAMMA = 0.5772156649015329
_N = NormalDist()


@dataclass(frozen=True, slots=True)
class Objective:
    """A figure to optimise and which way is better."""

    name: str
    direction: Literal["maximize", "minimize"]
    measure: Callable[[Sequence[date], Sequence[Decimal], Sequence[Trade]], float]


def _profit_factor(_: Sequence[date], __: Sequence[Decimal], trades: Sequence[Trade]) -> float:
    value = m.profit_factor(trades)
    # No losing trade: the factor is unbounded; capped so a study can compare it.
    return 0.0 if value is None else min(value, 100.0)


OBJECTIVES: dict[str, Objective] = {
    o.name: o
    for o in (
        Objective("sharpe", "maximize", lambda d, e, t: m.sharpe(e)),
        Objective("sortino", "maximize", lambda d, e, t: m.sortino(e)),
        Objective("cagr", "maximize", lambda d, e, t: m.cagr(e)),
        Objective("max_drawdown", "minimize", lambda d, e, t: m.max_drawdown(d, e).depth),
        Objective("profit_factor", "maximize", _profit_factor),
    )
}


def measure(
    names: Sequence[str], days: Sequence[date], equity: Sequence[Decimal], trades: Sequence[Trade]
) -> dict[str, float]:
    """Return every named objective's value (finite: a NaN would poison the sampler)."""
    out = {}
    for name in names:
        value = OBJECTIVES[name].measure(days, equity, trades)
        out[name] = value if math.isfinite(value) else 0.0
    return out


def daily_sharpe_moments(equity: Sequence[Decimal]) -> tuple[float, float, float, int]:
    """Return the per-day Sharpe ratio, skewness, kurtosis and count of daily returns."""
    rets = m.daily_returns(equity)
    n = len(rets)
    if n < 3:
        return 0.0, 0.0, 3.0, n
    mean = sum(rets) / n
    var = sum((r - mean) ** 2 for r in rets) / (n - 1)
    sd = math.sqrt(var)
    if sd == 0:
        return 0.0, 0.0, 3.0, n
    skew = sum(((r - mean) / sd) ** 3 for r in rets) / n
    kurt = sum(((r - mean) / sd) ** 4 for r in rets) / n
    return mean / sd, skew, kurt, n


def expected_max_sharpe(trial_sharpes: Sequence[float]) -> float:
    """Return the Sharpe ratio the best of these trials would show by luck alone (per day).

    Bailey and López de Prado (2014): E[max] ~ sd * ((1 - g) Z(1 - 1/N) + g Z(1 - 1/(N e))).
    """
    n = len(trial_sharpes)
    if n < 2:
        return 0.0
    mean = sum(trial_sharpes) / n
    sd = math.sqrt(sum((s - mean) ** 2 for s in trial_sharpes) / (n - 1))
    z1 = _N.inv_cdf(1 - 1 / n)
    z2 = _N.inv_cdf(1 - 1 / (n * math.e))
    return sd * ((1 - _EULER_GAMMA) * z1 + _EULER_GAMMA * z2)


def deflated_sharpe(
    sharpe: float, skew: float, kurt: float, n_returns: int, trial_sharpes: Sequence[float]
) -> float:
    """Return the probability that the true Sharpe exceeds what luck over the trials gives.

    All Sharpe ratios are per day (not annualised). Below 0.95 the best trial's Sharpe is
    not distinguishable from the best of that many random strategies.
    """
    if n_returns < 3:
        return 0.0
    sr0 = expected_max_sharpe(trial_sharpes)
    denom = 1 - skew * sharpe + (kurt - 1) / 4 * sharpe**2
    if denom <= 0:
        return 0.0
    z = (sharpe - sr0) * math.sqrt(n_returns - 1) / math.sqrt(denom)
    return _N.cdf(z)
