"""Performance metrics of a backtest: pure functions of the daily equity and the trades."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

TRADING_DAYS = 252


@dataclass(frozen=True, slots=True)
class Trade:
    """One round trip: shares bought at the entry and sold at the exit."""

    ticker: str
    entry_date: date
    exit_date: date
    shares: Decimal
    entry_price: Decimal
    exit_price: Decimal
    pnl: Decimal
    exit_reason: str  # "signal" or "stop"


def daily_returns(equity: Sequence[Decimal]) -> list[float]:
    """Return the simple return of each day over the previous one."""
    return [float(b / a - 1) for a, b in itertools.pairwise(equity) if a != 0]


def total_return(equity: Sequence[Decimal]) -> float:
    """Return the growth from the first to the last equity, 0 with fewer than two points."""
    if len(equity) < 2 or equity[0] == 0:
        return 0.0
    return float(equity[-1] / equity[0] - 1)


def cagr(equity: Sequence[Decimal]) -> float:
    """Return the compound annual growth rate, counting 252 sessions a year."""
    periods = len(equity) - 1
    if periods < 1 or equity[0] <= 0 or equity[-1] <= 0:
        return 0.0
    growth = float(equity[-1] / equity[0])
    return float(growth ** (TRADING_DAYS / periods) - 1)


def _stdev(values: Sequence[float]) -> float:
    if len(values) < 2:
        return 0.0
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


def volatility(equity: Sequence[Decimal]) -> float:
    """Return the annualised standard deviation of daily returns (sample)."""
    return _stdev(daily_returns(equity)) * math.sqrt(TRADING_DAYS)


def sharpe(equity: Sequence[Decimal]) -> float:
    """Return the annualised Sharpe ratio with a zero risk-free rate (0 when flat)."""
    rets = daily_returns(equity)
    sd = _stdev(rets)
    return 0.0 if sd == 0 else sum(rets) / len(rets) / sd * math.sqrt(TRADING_DAYS)


def sortino(equity: Sequence[Decimal]) -> float:
    """Return the annualised Sortino ratio (downside deviation over all days, target 0)."""
    rets = daily_returns(equity)
    if not rets:
        return 0.0
    downside = math.sqrt(sum(min(r, 0.0) ** 2 for r in rets) / len(rets))
    return 0.0 if downside == 0 else sum(rets) / len(rets) / downside * math.sqrt(TRADING_DAYS)


@dataclass(frozen=True, slots=True)
class Drawdown:
    """The deepest fall from a peak: depth (a fraction), peak date and trough date."""

    depth: float
    peak: date | None
    trough: date | None


def max_drawdown(days: Sequence[date], equity: Sequence[Decimal]) -> Drawdown:
    """Return the largest peak-to-trough fall of the equity and its dates."""
    worst = Drawdown(0.0, None, None)
    peak_i = 0
    for i, value in enumerate(equity):
        if value > equity[peak_i]:
            peak_i = i
        if equity[peak_i] > 0:
            depth = float(1 - value / equity[peak_i])
            if depth > worst.depth:
                worst = Drawdown(depth, days[peak_i], days[i])
    return worst


def win_rate(trades: Sequence[Trade]) -> float:
    """Return the share of trades with a positive P&L (0 without trades)."""
    return sum(1 for t in trades if t.pnl > 0) / len(trades) if trades else 0.0


def profit_factor(trades: Sequence[Trade]) -> float | None:
    """Return gross profit over gross loss; None when nothing was lost."""
    gain = sum((t.pnl for t in trades if t.pnl > 0), Decimal(0))
    loss = -sum((t.pnl for t in trades if t.pnl < 0), Decimal(0))
    return None if loss == 0 else float(gain / loss)


def average_holding_days(trades: Sequence[Trade], sessions: Sequence[date]) -> float:
    """Return the mean number of sessions from entry to exit."""
    if not trades:
        return 0.0
    index = {d: i for i, d in enumerate(sessions)}
    held = [index[t.exit_date] - index[t.entry_date] for t in trades]
    return sum(held) / len(held)


def turnover(traded_notional: Decimal, equity: Sequence[Decimal]) -> float:
    """Return traded notional over average equity, annualised (252 sessions a year).

    Buys and sells both count, so buying a book worth the equity and selling it again
    within the year is a turnover of 2.0.
    """
    if not equity:
        return 0.0
    average = sum(equity, Decimal(0)) / len(equity)
    if average <= 0:
        return 0.0
    return float(traded_notional / average) * TRADING_DAYS / len(equity)


@dataclass(frozen=True, slots=True)
class Exposure:
    """Gross market value over equity: the mean over all sessions and the largest."""

    average: float
    maximum: float


def exposure(gross: Sequence[Decimal], equity: Sequence[Decimal]) -> Exposure:
    """Return the average and maximum of gross exposure / equity over the sessions."""
    shares = [float(g / e) for g, e in zip(gross, equity, strict=True) if e > 0]
    if not shares:
        return Exposure(0.0, 0.0)
    return Exposure(sum(shares) / len(shares), max(shares))


def monthly_returns(
    days: Sequence[date], equity: Sequence[Decimal], start: Decimal
) -> dict[tuple[int, int], float]:
    """Return each calendar month's return, compounded from the daily equity.

    A month's return is its last close over the previous month's last close (``start``,
    the equity before the first session, for the first month), minus one.
    """
    out: dict[tuple[int, int], float] = {}
    base = start
    for i, (day, value) in enumerate(zip(days, equity, strict=True)):
        last_of_month = i + 1 == len(days) or (days[i + 1].year, days[i + 1].month) != (
            day.year,
            day.month,
        )
        if last_of_month:
            out[(day.year, day.month)] = float(value / base - 1) if base else 0.0
            base = value
    return out


def yearly_from_monthly(monthly: dict[tuple[int, int], float]) -> dict[int, float]:
    """Return each year's return, compounding its months."""
    growth: dict[int, float] = {}
    for (year, _), r in sorted(monthly.items()):
        growth[year] = growth.get(year, 1.0) * (1 + r)
    return {y: g - 1 for y, g in growth.items()}
