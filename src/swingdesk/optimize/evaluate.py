"""Run one strategy over one window of sessions on the fast engine, with the market loaded
once per process (an optimisation runs hundreds of backtests on the same data)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from swingdesk import event_loop
from swingdesk.backtest.engine import LoadedMarket, load_market, run_on_market
from swingdesk.backtest.metrics import Trade
from swingdesk.backtest.result import BacktestParams
from swingdesk.backtest.universe import resolve, stage
from swingdesk.domain.calendar import TradingCalendar
from swingdesk.domain.errors import InputError
from swingdesk.optimize.config import OptimizeConfig


@dataclass(frozen=True, slots=True)
class WindowRun:
    """A window's daily equity and closed trades."""

    days: list[date]
    equity: list[Decimal]
    trades: list[Trade]


class Evaluator:
    """The loaded market of one optimisation in this process, and its window runs."""

    def __init__(self, config: OptimizeConfig) -> None:
        """Resolve the tickers, stage their files and load them (once)."""
        self.config = config
        self._tmp = tempfile.TemporaryDirectory(prefix="swingdesk-opt-")
        universe = resolve(
            config.data_dir, config.tickers, universe_all=not config.tickers,
            start=config.start, end=config.end,
        )  # fmt: skip
        if not universe.tickers:
            raise InputError("no ticker left to optimise on")
        self.tickers = universe.tickers
        staged = stage(config.data_dir, universe.tickers, Path(self._tmp.name) / "staged")
        self.base = BacktestParams(
            staged, universe.tickers, config.start, config.end, strategy=config.strategy,
            risk_profile=config.risk_profile, initial_cash=config.initial_cash,
            slippage_bps=config.slippage_bps, commission=config.commission,
        )  # fmt: skip
        self.market: LoadedMarket = load_market(self.base)
        self.sessions = self.market.sessions

    def run(self, window: tuple[int, int], params: dict[str, Any]) -> WindowRun:
        """Backtest ``params`` (plus the fixed ones) over sessions [a, b)."""
        a, b = window
        sessions = self.sessions[a:b]
        merged = self.config.fixed | params
        run_params = replace(
            self.base, start=sessions[0], end=sessions[-1],
            strategy_params=tuple(sorted(merged.items())),
        )  # fmt: skip
        market = replace(self.market, sessions=sessions)
        result = event_loop.run(run_on_market(market, run_params))
        return WindowRun([d.day for d in result.days], [d.equity for d in result.days],
                         list(result.trades))  # fmt: skip

    def close(self) -> None:
        """Remove the staged files."""
        self._tmp.cleanup()


def session_count(config: OptimizeConfig) -> int:
    """Return how many sessions the range has (as ``load_market`` counts them)."""
    calendar = TradingCalendar(start=min(config.start, date(2010, 1, 1)))
    return len(calendar.sessions_between(config.start, config.end))


_CACHE: dict[str, Evaluator] = {}


def evaluator(config: OptimizeConfig) -> Evaluator:
    """Return this process's evaluator of ``config`` (loaded on first use)."""
    key = config.to_json()
    found = _CACHE.get(key)
    if found is None:
        for old in _CACHE.values():
            old.close()
        _CACHE.clear()
        found = _CACHE[key] = Evaluator(config)
    return found
