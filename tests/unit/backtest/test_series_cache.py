"""A loaded market keeps each ticker's indicators for the next run: same arrays, no rework."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np

from swingdesk.adapters.csv_market import CsvMarket
from swingdesk.backtest.data import Indicators, build_series
from swingdesk.domain.calendar import TradingCalendar, day_number
from swingdesk.strategy.agent import RulesStrategy
from swingdesk.strategy.crossover import CrossoverStrategy

CAL = TradingCalendar(start=date(2019, 1, 1))


def _write(root: Path, tickers: int) -> tuple[str, ...]:
    rng = np.random.default_rng(5)
    days = CAL.sessions_between(date(2020, 1, 2), date(2021, 12, 31))
    names = tuple(f"T{chr(ord('A') + i)}" for i in range(tickers))
    for i, name in enumerate(names):
        close = np.round(50 * np.exp(np.cumsum(rng.normal(0.001, 0.015, len(days)))), 2)
        rows = days[i * 40 :]  # later starters, some with fewer bars than the ATR window
        lines = [
            f"{d},{c:.2f},{c * 1.01:.2f},{c * 0.99:.2f},{c:.2f},6000000"
            for d, c in zip(rows, close, strict=False)
        ]
        (root / f"{name}.csv").write_text("date,open,high,low,close,volume\n" + "\n".join(lines))
    return names


def _arrays(s: object) -> list[np.ndarray]:
    names = ("atr", "sma_20", "sma_50", "adv_20", "ends", "candidate", "sure_buy", "table",
             "trend_holds")  # fmt: skip
    return [getattr(s, n) for n in names]


def test_build_series_when_cache_given_then_same_series_and_indicators_kept(
    tmp_path: Path,
) -> None:
    names = _write(tmp_path, 5)
    market = CsvMarket(tmp_path, calendar=CAL)
    sessions = CAL.sessions_between(date(2020, 6, 1), date(2021, 12, 31))
    days = np.array([day_number(d) for d in sessions], dtype=np.int64)
    fresh = build_series(market, names, days, RulesStrategy())
    cache: dict[str, Indicators] = {}
    first = build_series(market, names, days, RulesStrategy(), cache)
    assert set(cache) == set(names)
    kept = dict(cache)
    # Another strategy and another session range reuse the indicators, not the masks.
    later = build_series(market, names[1:], days[100:], CrossoverStrategy(), cache)
    assert all(cache[t] is kept[t] for t in names)
    again = build_series(market, names, days, RulesStrategy(), cache)
    for a, b, c in zip(fresh, first, again, strict=True):
        for x, y, z in zip(_arrays(a), _arrays(b), _arrays(c), strict=True):
            assert np.array_equal(x, y, equal_nan=True)
            assert np.array_equal(x, z, equal_nan=True)
    for s, full in zip(later, fresh[1:], strict=True):
        assert s.atr is cache[s.ticker].atr
        assert np.array_equal(s.ends, full.ends[100:])


def test_build_series_when_market_reloaded_then_indicators_recomputed(tmp_path: Path) -> None:
    names = _write(tmp_path, 2)
    days = np.array([day_number(date(2021, 6, 1))], dtype=np.int64)
    cache: dict[str, Indicators] = {}
    build_series(CsvMarket(tmp_path, calendar=CAL), names, days, RulesStrategy(), cache)
    old = dict(cache)
    reloaded = CsvMarket(tmp_path, calendar=CAL)
    build_series(reloaded, names, days, RulesStrategy(), cache)
    assert all(cache[t] is not old[t] and cache[t].bars is reloaded.bars(t) for t in names)
