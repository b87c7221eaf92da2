"""The SMA-20/50 crossover analyst: fresh crossings only, ties are neither side."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from swingdesk.domain.enums import Action, DataSource
from swingdesk.domain.market import MarketSnapshot
from swingdesk.domain.portfolio import PositionState
from swingdesk.strategy.crossover import CrossoverParams, CrossoverStrategy, decide_crossover
from swingdesk.strategy.rules import MISSING_DATA

P = CrossoverParams()


def snap(s20: str, s50: str, p20: str | None, p50: str | None) -> MarketSnapshot:
    d: Any = lambda x: None if x is None else Decimal(x)  # noqa: E731
    return MarketSnapshot(
        ticker="XYZ", sector="Tech", price=Decimal(100), sma_20=d(s20), sma_50=d(s50),
        prev_sma_20=d(p20), prev_sma_50=d(p50), as_of=datetime(2024, 1, 2, tzinfo=UTC),
        source=DataSource.CSV,
    )  # fmt: skip


HELD = PositionState(
    ticker="XYZ", qty=Decimal(10), avg_price=Decimal(90), market_price=Decimal(100)
)


def test_decide_when_sma20_crosses_above_then_buy() -> None:
    assert decide_crossover(snap("101", "100", "99", "100"), None, P).action is Action.BUY


def test_decide_when_tie_yesterday_then_above_today_then_buy() -> None:
    d = decide_crossover(snap("100.000001", "100", "100.5", "100.5"), None, P)
    assert d.action is Action.BUY


def test_decide_when_tie_today_then_hold() -> None:
    assert decide_crossover(snap("100", "100", "99", "100"), None, P).action is Action.HOLD


def test_decide_when_already_above_yesterday_then_hold() -> None:
    assert decide_crossover(snap("102", "100", "101", "100"), None, P).action is Action.HOLD


def test_decide_when_held_and_crosses_below_then_sell() -> None:
    assert decide_crossover(snap("99", "100", "100", "100"), HELD, P).action is Action.SELL


def test_decide_when_held_and_crosses_above_then_hold() -> None:
    assert decide_crossover(snap("101", "100", "99", "100"), HELD, P).action is Action.HOLD


def test_decide_when_yesterday_unknown_then_missing_data_hold() -> None:
    d = decide_crossover(snap("101", "100", None, None), None, P)
    assert (d.action, d.reason_code, d.confidence) == (Action.HOLD, MISSING_DATA, 0.0)


def test_strategy_when_named_then_its_own_model_and_decision() -> None:
    strategy = CrossoverStrategy()
    assert strategy.name == "sma-crossover-v1"
    assert strategy.decide(snap("101", "100", "99", "100"), None).action is Action.BUY
    assert strategy.params_json() == {"cross_confidence": 0.8, "hold_confidence": 0.5}
