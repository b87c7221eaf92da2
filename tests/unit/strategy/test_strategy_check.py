"""`strategy check`: a planted look-ahead is caught with its column and date, a warm-up
longer than declared is caught, and the built-ins pass on the shared data."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest

from swingdesk.cli_strategy import load_ohlcv
from swingdesk.domain.enums import Action
from swingdesk.strategy.api import Proposal, StrategyParams, SwingStrategy, resolve_params
from swingdesk.strategy.builtin_rules import RulesSwing
from swingdesk.strategy.check import check_strategy
from swingdesk.strategy.crossover import CrossoverSwing


def _ohlcv(n: int = 300, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    return pd.DataFrame(
        {"open": close, "high": close * 1.01, "low": close * 0.99, "close": close,
         "volume": 1e6},
        index=pd.bdate_range("2020-01-01", periods=n),
    )  # fmt: skip


class _Base(SwingStrategy):
    def decide(self, snapshot: Any, position: Any, params: StrategyParams) -> Proposal:
        return Proposal(Action.HOLD, 0.5, "", {})


class Peeking(_Base):
    """Buys when tomorrow closes higher: reads the next bar."""

    name: ClassVar[str] = "peeking"
    warmup_bars: ClassVar[int] = 50

    def signals(self, frame: pd.DataFrame, params: StrategyParams) -> pd.DataFrame:
        tomorrow = frame["close"].shift(-1)
        return pd.DataFrame({"tomorrow": tomorrow, "entry": tomorrow > frame["close"]})


class Normalised(_Base):
    """Scales by the whole column's maximum: a statistic of the future."""

    name: ClassVar[str] = "normalised"
    warmup_bars: ClassVar[int] = 50

    def signals(self, frame: pd.DataFrame, params: StrategyParams) -> pd.DataFrame:
        level = frame["close"] / frame["close"].max()
        return pd.DataFrame({"level": level, "entry": level > 0.9})


class ShortWarmup(_Base):
    """An EMA seeded from the first bar, with a declared warm-up far too short for it."""

    name: ClassVar[str] = "short-warmup"
    warmup_bars: ClassVar[int] = 5

    def signals(self, frame: pd.DataFrame, params: StrategyParams) -> pd.DataFrame:
        ema = frame["close"].ewm(alpha=0.02, adjust=False).mean()
        return pd.DataFrame({"ema": ema, "entry": frame["close"] > ema})


def _check(spec: SwingStrategy) -> Any:
    return check_strategy(spec, resolve_params(spec), {"TEST": _ohlcv()})


def test_check_when_signal_reads_next_bar_then_lookahead_reported_with_column_and_date() -> None:
    report = _check(Peeking())
    assert not report.ok
    finding = report.lookahead
    assert finding is not None
    assert finding.column == "tomorrow"
    assert finding.ticker == "TEST"
    # The first truncation cuts after bar 50 (the warm-up): its last row read bar 51.
    assert finding.day == _ohlcv().index[50].date()
    assert "look-ahead: FAIL" in "\n".join(report.lines())


def test_check_when_whole_column_statistic_then_lookahead_reported() -> None:
    report = _check(Normalised())
    assert report.lookahead is not None
    assert report.lookahead.column == "level"


def test_check_when_memory_longer_than_declared_warmup_then_recursive_reported() -> None:
    report = _check(ShortWarmup())
    assert report.lookahead is None
    assert report.recursive is not None
    assert report.recursive.column == "ema"
    assert "warm-up of 5 bars" in report.recursive.detail


def test_check_when_decide_only_strategy_then_nothing_to_check() -> None:
    report = _check(_Base())
    assert report.ok
    assert not report.vectorised
    assert "nothing to check" in report.lines()[1]


@pytest.mark.shared_data
@pytest.mark.parametrize("spec", [RulesSwing(), CrossoverSwing()])
def test_check_when_builtin_on_shared_data_then_ok(
    shared_market: Path, spec: SwingStrategy
) -> None:
    frames = load_ohlcv(shared_market, ["AAPL", "HPE", "XOM"])
    report = check_strategy(spec, resolve_params(spec), frames)
    assert report.ok, report.lines()
