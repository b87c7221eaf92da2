"""The analyst's fast paths must give exactly what the plain code gives.

``RulesStrategy.prompt_json`` splices the params' JSON, encoded once, between the sorted keys;
``decision`` reuses the last decision for the very same inputs; ``evaluate`` builds its signal
without re-validation when every field is already valid. Each is checked against the plain
computation, and the validating path must still refuse what it refused before.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from swingdesk.domain.enums import Action, DataSource
from swingdesk.domain.events import SignalCreated
from swingdesk.domain.market import MarketSnapshot
from swingdesk.domain.portfolio import PortfolioState
from swingdesk.strategy.agent import RulesStrategy, StrategyAgent, canonical_json
from swingdesk.strategy.crossover import CrossoverParams, CrossoverStrategy
from swingdesk.strategy.rules import RuleDecision

NOW = datetime(2024, 6, 3, 20, 1, tzinfo=UTC)


def _snap(**overrides: Any) -> MarketSnapshot:
    fields: dict[str, Any] = {
        "ticker": "AAPL",
        "sector": "Tech",
        "price": Decimal("105.5"),
        "prev_close": Decimal("104"),
        "day_change_pct": Decimal("0.014423"),
        "atr_14": Decimal("2.5"),
        "sma_20": Decimal("104.8"),
        "sma_50": Decimal("99.1"),
        "prev_sma_20": Decimal("104.5"),
        "prev_sma_50": Decimal("99.0"),
        "adv_20": Decimal(5_000_000),
        "vix": Decimal("17.5"),
        "as_of": NOW,
        "source": DataSource.CSV,
    }
    return MarketSnapshot(**(fields | overrides))


def _book() -> PortfolioState:
    money = Decimal(100_000)
    return PortfolioState(
        cash=money, buying_power=money, high_water_mark=money, start_of_day_equity=money,
        as_of=NOW,
    )  # fmt: skip


@pytest.mark.parametrize("strategy", [RulesStrategy(), CrossoverStrategy()])
def test_prompt_json_when_spliced_then_equals_canonical_json_of_the_whole(
    strategy: RulesStrategy,
) -> None:
    inputs = strategy.decide(_snap(), None).inputs | {"note": 'é "quoted" \u2028'}
    whole = {"rule": strategy.name, "inputs": inputs, "params": strategy.params_json()}
    assert strategy.prompt_json(inputs) == canonical_json(whole)
    assert strategy.prompt_json(inputs) == canonical_json(whole)  # cached params text


def test_prompt_json_when_params_object_changes_then_re_encoded() -> None:
    strategy = CrossoverStrategy(CrossoverParams(cross_confidence=0.7))
    first = strategy.prompt_json({})
    strategy._cross_json = {"cross_confidence": 0.9, "hold_confidence": 0.5}
    assert strategy.prompt_json({}) != first
    assert '"cross_confidence":0.9' in strategy.prompt_json({})


def test_decision_when_same_inputs_then_reused_and_equal_to_decide() -> None:
    strategy = RulesStrategy()
    snap = _snap()
    first = strategy.decision(snap, None)
    assert first == strategy.decide(snap, None)
    assert strategy.decision(snap, None) is first
    other = _snap(price=Decimal("90"))  # an equal-looking but different object is decided anew
    assert strategy.decision(other, None) == strategy.decide(other, None)
    assert strategy.decision(snap, None) is not first
    assert strategy.decision(snap, None) == first


async def test_evaluate_when_trusted_then_signal_equals_the_validated_one() -> None:
    strategy, snap, book = RulesStrategy(), _snap(), _book()
    decision_id = uuid4()
    signal = await strategy.evaluate(decision_id, snap, book, (Action.BUY, Action.HOLD), NOW)
    assert signal.action is Action.BUY
    assert "event_id" not in signal.model_fields_set  # made by its factory, as validated
    rebuilt = SignalCreated(**{name: getattr(signal, name) for name in signal.model_fields_set})
    assert rebuilt.model_fields_set == signal.model_fields_set
    assert list(rebuilt.__dict__) == list(signal.__dict__)
    same_id = rebuilt.model_copy(update={"event_id": signal.event_id})
    assert same_id == signal
    assert same_id.model_dump_json() == signal.model_dump_json()


async def test_evaluate_when_fields_need_coercion_then_validated() -> None:
    strategy, snap, book = RulesStrategy(), _snap(), _book()
    eastern = NOW.astimezone(timezone(timedelta(hours=-4)))
    signal = await strategy.evaluate(uuid4(), snap, book, ["BUY", "HOLD"], eastern)  # type: ignore[list-item]
    assert signal.ts_event == NOW
    assert signal.ts_event.tzinfo is UTC
    assert all(type(a) is Action for a in signal.feasible_actions)


class _TooSure(RulesStrategy):
    def decide(self, snapshot: MarketSnapshot, position: object) -> RuleDecision:
        return RuleDecision(Action.BUY, 1.5, "sure", {})


async def test_evaluate_when_confidence_out_of_range_then_still_refused() -> None:
    signal = await StrategyAgent(_TooSure()).evaluate_context(uuid4(), _snap(), _book(), NOW)
    assert signal.action is Action.HOLD
    assert signal.reason_code == "STRATEGY_ERROR"
