"""The fast engine's market and positions: the loaded CSV data, and a held stop's fill."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from swingdesk.adapters.simulated_broker import bar_stop_fill
from swingdesk.backtest.data import Indicators
from swingdesk.backtest.replay import SessionPriceCsvMarket
from swingdesk.backtest.result import BacktestParams
from swingdesk.backtest.setup import data_dir
from swingdesk.domain.calendar import TradingCalendar
from swingdesk.domain.errors import InputError
from swingdesk.domain.trailing import TrailSpec, trailing_bar_step


@dataclass(slots=True)
class FastPosition:
    """A position the fast engine holds, with its stop."""

    qty: Decimal
    avg_price: Decimal
    stop: Decimal | None
    sector: str | None
    #: A trailing stop's high-water mark (None with fixed stops).
    hwm: Decimal | None = None


@dataclass(frozen=True, slots=True)
class LoadedMarket:
    """A CSV market loaded for a run, with its session calendar."""

    provider: SessionPriceCsvMarket
    calendar: TradingCalendar
    sessions: list[date]
    load_s: float
    #: Each ticker's indicators, computed by the first run that needs them and kept for the
    #: next (shared by the copies ``dataclasses.replace`` makes for other session ranges).
    indicators: dict[str, Indicators] = field(default_factory=dict, compare=False, repr=False)


def load_market(params: BacktestParams) -> LoadedMarket:
    """Load and validate the run's CSV data (timed apart from the run)."""
    if params.end < params.start:
        raise InputError(f"--end {params.end} is before --start {params.start}")
    calendar = TradingCalendar(start=min(params.start, date(2010, 1, 1)))
    sessions = calendar.sessions_between(params.start, params.end)
    if not sessions:
        raise InputError(f"no trading session between {params.start} and {params.end}")
    start = time.perf_counter()
    provider = SessionPriceCsvMarket(data_dir(params), calendar=calendar)
    return LoadedMarket(provider, calendar, sessions, time.perf_counter() - start)


def stop_fill(
    provider: SessionPriceCsvMarket,
    trail: TrailSpec | None,
    slippage: Decimal,
    ticker: str,
    day: date,
    pos: FastPosition,
) -> Decimal | None:
    """Return the stop's fill on ``day``'s bar (None: not hit, or no bar); a trailing
    stop's mark moves by ``domain.trailing``, as the simulated broker moves it."""
    if pos.hwm is not None and trail is not None:
        full = provider.bar_with_high(ticker, day)
        if full is None:
            return None
        step = trailing_bar_step(trail, pos.hwm, *full, slippage)
        pos.hwm = step.hwm
        return step.fill
    bar = provider.bar(ticker, day)
    if bar is None or pos.stop is None:
        return None
    return bar_stop_fill(bar[0], bar[1], pos.stop, slippage)
