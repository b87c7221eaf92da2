"""Turning indicator floats into a MarketSnapshot: one pure function for every caller.

``MarketDataAgent`` computes the floats from a provider's lookback window; the backtest
engine reads the very same floats from indicator arrays computed once over the whole
history (``indicators`` guarantees they are bit-identical). Both then call
``make_snapshot``, so rounding, the ``missing`` list, staleness and the earnings distance
come from one place and a backtest sees exactly the snapshot the live desk would have seen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from typing import Literal, TypedDict, get_args

import numpy as np

from swingdesk.domain.calendar import TradingCalendar
from swingdesk.domain.enums import DataSource
from swingdesk.domain.errors import TemporaryError
from swingdesk.domain.market import MarketSnapshot
from swingdesk.marketdata.context import NO_CONTEXT, MarketContext
from swingdesk.ports import TickerProfile

PRICE_Q = Decimal("0.0001")
#: Six places: for prices quoted to 4 decimals this is the exact mean of 20 or 50 of them,
#: so comparing two SMAs (a crossover, a tie) never depends on float noise.
SMA_Q = Decimal("0.000001")
VIX_Q = Decimal("0.01")
CHANGE_Q = Decimal("0.000001")
SHARES_Q = Decimal(1)

#: Sources that quote around the clock, so their newest price is as of ``now`` and never stale.
CONTINUOUS_SOURCES = frozenset({DataSource.SIMULATED})


@dataclass(frozen=True, slots=True)
class Figures:
    """The floats a snapshot is made of, as of one bar; NaN or None where not computable.

    ``close`` and ``volume`` are the newest bar's; ``prev_close`` the one before. SMAs use
    every bar including a live one, ATR-14 and ADV-20 completed sessions only; ``prev_sma_*``
    are the SMAs one bar earlier.
    """

    close: float | None
    prev_close: float | None
    atr_14: float | None
    sma_20: float | None
    sma_50: float | None
    prev_sma_20: float | None
    prev_sma_50: float | None
    adv_20: float | None
    volume: float | None


_isfinite = math.isfinite


def dec(value: object, quantum: Decimal) -> Decimal | None:
    """Return a finite number as a rounded Decimal, None for NaN, infinity or no value."""
    if type(value) is float:  # the common case, first (millions of calls in a backtest)
        if _isfinite(value):
            return Decimal(repr(value)).quantize(quantum, ROUND_HALF_EVEN)
        return None
    if isinstance(value, Decimal):
        exact = value if value.is_finite() else None
    elif isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        x = float(value)
        # repr() is the shortest round-tripping form: 0.1 stays Decimal("0.1") before rounding.
        exact = Decimal(repr(x)) if math.isfinite(x) else None
    else:
        exact = None
    return None if exact is None else exact.quantize(quantum, rounding=ROUND_HALF_EVEN)


def _positive(value: Decimal | None) -> Decimal | None:
    return value if value is not None and value > 0 else None


def _optional(result: object, name: str, missing: list[str]) -> object:
    """Return a provider answer, recording ``name`` as missing when it failed temporarily."""
    if isinstance(result, TemporaryError):
        missing.append(name)
        return None
    if isinstance(result, BaseException):
        raise result
    return result


def make_snapshot(
    ticker: str,
    profile: TickerProfile,
    figures: Figures,
    *,
    vix: object,
    earnings: object,
    last_bar: date | None,
    live: bool,
    now: datetime,
    calendar: TradingCalendar,
    source: DataSource,
    trusted: bool = False,
    context: MarketContext | None = None,
) -> MarketSnapshot:
    """Build the snapshot of ``ticker`` at ``now`` from its figures and the provider's answers.

    ``vix`` and ``earnings`` are what the provider returned (or raised: a TemporaryError
    marks the field missing, anything else propagates). ``last_bar`` is the newest bar's
    session (None without bars) and ``live`` whether that session is still running.
    ``trusted`` skips the model's validators when every value already satisfies them (the
    backtest engine, millions of times per run); the snapshot is the same either way.
    ``context`` carries the fundamentals, headlines and sentiment, with what of them is missing.
    """
    missing: list[str] = []
    ctx = context or NO_CONTEXT
    vix_raw = _optional(vix, "vix", missing)
    earn_raw = _optional(earnings, "next_earnings", missing)
    values = _market_values(figures, vix_raw)
    missing.extend(name for name in _REPORTED_MISSING if values[name] is None)
    next_earn = earn_raw if isinstance(earn_raw, date) else None
    today, market_open, last_closed = _clock_facts(calendar, now)
    # The non-negative fields are the only ones rounding leaves unchecked.
    checked = _non_negative(values["atr_14"], values["adv_20"], values["volume"], values["vix"])
    build = MarketSnapshot.trusted if trusted and checked else MarketSnapshot
    return build(
        ticker=ticker,
        name=profile.name,
        sector=profile.sector or None,
        **values,
        next_earnings=next_earn,
        earnings_in_trading_days=(
            calendar.trading_days_until(today, next_earn) if next_earn else None
        ),
        as_of=_as_of(last_bar, live, now, calendar, source),
        source=source,
        market_open=market_open,
        stale=_stale(last_bar, last_closed, source),
        missing=tuple(dict.fromkeys(missing + list(ctx.missing))),
        fundamentals=ctx.fundamentals,
        news=ctx.news,
        sentiment=ctx.sentiment,
    )


class _MarketValues(TypedDict):
    """The snapshot's rounded market figures, keyed and ordered as the model's fields."""

    price: Decimal | None
    prev_close: Decimal | None
    day_change_pct: Decimal | None
    atr_14: Decimal | None
    sma_20: Decimal | None
    sma_50: Decimal | None
    prev_sma_20: Decimal | None
    prev_sma_50: Decimal | None
    adv_20: Decimal | None
    volume: Decimal | None
    vix: Decimal | None


#: The market figures a snapshot lists as missing when absent, in that order (the SMAs one
#: bar earlier are not reported).
_Reported = Literal[
    "price", "prev_close", "day_change_pct", "atr_14", "sma_20", "sma_50", "adv_20", "volume", "vix"
]
_REPORTED_MISSING: tuple[_Reported, ...] = get_args(_Reported)


def _market_values(f: Figures, vix: object) -> _MarketValues:
    """Round the figures and the VIX as the snapshot holds them (prices and SMAs positive)."""
    price = _positive(dec(f.close, PRICE_Q))
    prev_close = _positive(dec(f.prev_close, PRICE_Q))
    return {
        "price": price,
        "prev_close": prev_close,
        "day_change_pct": (
            (price / prev_close - 1).quantize(CHANGE_Q) if price and prev_close else None
        ),
        "atr_14": dec(f.atr_14, PRICE_Q),
        "sma_20": _positive(dec(f.sma_20, SMA_Q)),
        "sma_50": _positive(dec(f.sma_50, SMA_Q)),
        "prev_sma_20": _positive(dec(f.prev_sma_20, SMA_Q)),
        "prev_sma_50": _positive(dec(f.prev_sma_50, SMA_Q)),
        "adv_20": dec(f.adv_20, SHARES_Q),
        "volume": dec(f.volume, SHARES_Q),
        "vix": dec(vix, VIX_Q),
    }


def _non_negative(*values: Decimal | None) -> bool:
    return all(v is None or v >= 0 for v in values)


@lru_cache(maxsize=256)
def _clock_facts(cal: TradingCalendar, now: datetime) -> tuple[date, bool, date]:
    """Return (exchange date, market open, last closed session) at ``now``; a pure function
    of both, asked once per ticker of a scan, so remembered for the recent instants."""
    return cal.exchange_date(now), cal.is_open(now), cal.last_closed_session(now)


@lru_cache(maxsize=4096)
def _session_close(cal: TradingCalendar, day: date) -> datetime | None:
    return cal.session_close(day) if cal.is_session(day) else None


def _as_of(
    last_bar: date | None, live: bool, now: datetime, cal: TradingCalendar, source: DataSource
) -> datetime:
    """Return the time of the newest price: now when it is live, else its session's close."""
    if last_bar is None or live or source in CONTINUOUS_SOURCES:
        return now
    close = _session_close(cal, last_bar)
    return now if close is None else min(now, close)


def _stale(last_bar: date | None, last_closed: date, source: DataSource) -> bool:
    """Say whether the newest bar predates the latest session close (continuous never is)."""
    if last_bar is None:
        return True
    if source in CONTINUOUS_SOURCES:
        return False
    return last_bar < last_closed
