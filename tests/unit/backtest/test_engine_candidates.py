"""The fast engine's prefilters: every ticker-day that can BUY is a candidate, and every
sure buy is a BUY."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from swingdesk.adapters.csv_market import CsvMarket
from swingdesk.backtest.data import build_series
from swingdesk.domain.calendar import TradingCalendar, day_number
from swingdesk.domain.enums import Action, DataSource
from swingdesk.domain.portfolio import PositionState
from swingdesk.marketdata.snapshot import make_snapshot
from swingdesk.strategy.agent import RulesStrategy
from swingdesk.strategy.crossover import CrossoverStrategy

CAL = TradingCalendar(start=date(2019, 1, 1))


def _write(root: Path, tickers: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    days = CAL.sessions_between(date(2020, 1, 2), date(2021, 12, 31))
    names = [f"T{chr(ord('A') + i)}" for i in range(tickers)]
    for name in names:
        drift = rng.uniform(-0.001, 0.002)
        close = np.round(50 * np.exp(np.cumsum(rng.normal(drift, 0.015, len(days)))), 2)
        # Flat stretches make exact SMA ties, the crossover's hard case.
        close[100:160] = close[100]
        lines = [
            f"{d},{c:.2f},{c * 1.01:.2f},{c * 0.99:.2f},{c:.2f},6000000"
            for d, c in zip(days, close, strict=True)
        ]
        (root / f"{name}.csv").write_text("date,open,high,low,close,volume\n" + "\n".join(lines))
    return names


@pytest.mark.parametrize("strategy", [RulesStrategy(), CrossoverStrategy()])
def test_candidates_when_every_day_decided_then_every_buy_is_a_candidate(
    tmp_path: Path, strategy: RulesStrategy
) -> None:
    names = _write(tmp_path, 6, seed=11)
    market = CsvMarket(tmp_path, calendar=CAL)
    sessions = CAL.sessions_between(date(2020, 1, 2), date(2021, 12, 31))
    days = np.array([day_number(d) for d in sessions], dtype=np.int64)
    series = build_series(market, tuple(names), days, strategy)
    buys = candidates = sure = 0
    for s in series:
        for d, day in enumerate(sessions):
            now = CAL.session_close(day) + timedelta(minutes=1)
            end = int(s.ends[d])
            snap = make_snapshot(
                s.ticker, s.profile, s.figures(end), vix=Decimal(15), earnings=None,
                last_bar=s.last_bar(end), live=False, now=now, calendar=CAL,
                source=DataSource.CSV,
            )  # fmt: skip
            buy = strategy.decide(snap, None).action is Action.BUY
            buys += buy
            candidates += bool(s.candidate[d])
            sure += bool(s.sure_buy[d])
            assert not buy or s.candidate[d], (s.ticker, day)
            assert buy or not s.sure_buy[d], (s.ticker, day)
    assert buys > 10
    # A prefilter that lets everything through would be correct but useless.
    assert candidates < len(series) * len(sessions) // 2
    if type(strategy) is RulesStrategy:
        # Sure buys leave only the near-threshold days to the rule itself.
        assert sure > 0.8 * buys, (sure, buys)
    else:  # a strategy the prefilter does not know gets no sure buys
        assert sure == 0


def test_exit_holds_when_every_held_day_decided_then_every_sure_hold_is_a_hold(
    tmp_path: Path,
) -> None:
    names = _write(tmp_path, 6, seed=12)
    market = CsvMarket(tmp_path, calendar=CAL)
    sessions = CAL.sessions_between(date(2020, 1, 2), date(2021, 12, 31))
    days = np.array([day_number(d) for d in sessions], dtype=np.int64)
    strategy = RulesStrategy()
    series = build_series(market, tuple(names), days, strategy)
    holds = sure = 0
    for s in series:
        for d, day in enumerate(sessions):
            now = CAL.session_close(day) + timedelta(minutes=1)
            end = int(s.ends[d])
            snap = make_snapshot(
                s.ticker, s.profile, s.figures(end), vix=Decimal(15), earnings=None,
                last_bar=s.last_bar(end), live=False, now=now, calendar=CAL,
                source=DataSource.CSV,
            )  # fmt: skip
            price = snap.price or Decimal(1)
            # Stops far under, just under, at and over the price, and none at all.
            for stop in (price * Decimal("0.8"), price - Decimal("0.0002"), price, None):
                position = PositionState(
                    ticker=s.ticker, qty=Decimal(10), avg_price=price, market_price=price,
                    stop_price=stop,
                )  # fmt: skip
                hold = strategy.decide(snap, position).action is Action.HOLD
                surely = s.surely_holds(end, stop)
                assert hold or not surely, (s.ticker, day, stop)
                if stop is not None and stop < price * Decimal("0.9"):
                    holds += hold
                    sure += surely
    # Most holds with a stop well under the price are known without the rule (the rest are
    # mostly the first 50 sessions, with no SMA-50 yet).
    assert sure > 0.7 * holds, (sure, holds)
    # A strategy the shortcut does not know gets none.
    crossover = build_series(market, tuple(names), days, CrossoverStrategy())
    assert not any(s.trend_holds.any() for s in crossover)
