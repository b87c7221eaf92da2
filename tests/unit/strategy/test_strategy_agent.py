"""RulesStrategy's signal contract; StrategyAgent's guarantee: feasible or HOLD, never raises."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from hypothesis import given
from hypothesis import strategies as st

from swingdesk.domain.enums import Action, DataSource, TradingState
from swingdesk.domain.events import SignalCreated
from swingdesk.domain.market import MarketSnapshot
from swingdesk.domain.portfolio import PortfolioState, PositionState
from swingdesk.strategy.agent import (
    NOT_FEASIBLE,
    STRATEGY_ERROR,
    RulesStrategy,
    StrategyAgent,
    canonical_json,
)
from swingdesk.strategy.rules import RuleParams

NOW = datetime(2024, 6, 3, 15, 0, tzinfo=UTC)
DID = UUID(int=7)
ALL = (Action.BUY, Action.SELL, Action.HOLD)


def snap(**overrides: Any) -> MarketSnapshot:
    """Return a calm uptrend pullback that the rule buys at 0.79 when nothing is held."""
    fields: dict[str, Any] = {
        "ticker": "AAPL",
        "price": Decimal(100),
        "sma_20": Decimal(99),
        "sma_50": Decimal(95),
        "atr_14": Decimal(2),
        "day_change_pct": Decimal("0.005"),
        "vix": Decimal(18),
        "as_of": NOW,
        "source": DataSource.SIMULATED,
    }
    fields.update(overrides)
    return MarketSnapshot(**fields)


def book(state: TradingState = TradingState.ACTIVE, *, held: bool = False) -> PortfolioState:
    """Return a 100k account, optionally holding 10 AAPL bought at 100 with a stop at 95."""
    positions = (
        (
            PositionState(
                ticker="AAPL",
                qty=Decimal(10),
                avg_price=Decimal(100),
                market_price=Decimal(100),
                stop_price=Decimal(95),
            ),
        )
        if held
        else ()
    )
    return PortfolioState(
        cash=Decimal(100_000),
        buying_power=Decimal(100_000),
        high_water_mark=Decimal(101_000),
        start_of_day_equity=Decimal(101_000),
        positions=positions,
        trading_state=state,
        as_of=NOW,
    )


class Scripted:
    """A strategy that returns a fixed action (or raises) and records what it was offered."""

    name = "scripted"

    def __init__(self, action: Action = Action.BUY, error: Exception | None = None) -> None:
        self.action = action
        self.error = error
        self.offered: tuple[Action, ...] | None = None

    async def evaluate(
        self,
        decision_id: UUID,
        snapshot: MarketSnapshot,
        portfolio: PortfolioState,
        feasible: Sequence[Action],
        now: datetime,
    ) -> SignalCreated:
        self.offered = tuple(feasible)
        if self.error is not None:
            raise self.error
        return SignalCreated(
            ts_event=now,
            decision_id=decision_id,
            ticker=snapshot.ticker,
            action=self.action,
            confidence=0.9,
            rationale="scripted",
            model=self.name,
            feasible_actions=ALL,
        )


class Returns:
    """A strategy that returns whatever object it was given, valid or not."""

    name = "returns"

    def __init__(self, value: object) -> None:
        self.value = value

    async def evaluate(
        self,
        decision_id: UUID,
        snapshot: MarketSnapshot,
        portfolio: PortfolioState,
        feasible: Sequence[Action],
        now: datetime,
    ) -> SignalCreated:
        return self.value  # type: ignore[return-value]


class UnprintableError(Exception):
    def __str__(self) -> str:
        raise RuntimeError("cannot print")


# --- RulesStrategy --------------------------------------------------------------------------


async def test_evaluate_when_rule_buys_and_buy_feasible_then_signal_carries_full_audit() -> None:
    signal = await RulesStrategy().evaluate(DID, snap(), book(), (Action.BUY, Action.HOLD), NOW)
    assert signal.action is Action.BUY
    assert signal.confidence == 0.79
    assert signal.reason_code is None
    assert signal.model == "rules-v1"
    assert signal.decision_id == DID
    assert signal.ts_event == NOW
    assert signal.feasible_actions == (Action.BUY, Action.HOLD)
    assert (signal.tokens_in, signal.tokens_out, signal.cost_usd) == (0, 0, Decimal(0))
    assert signal.latency_ms >= 0.0
    assert signal.prompt_hash == hashlib.sha256(signal.prompt.encode()).hexdigest()
    prompt = json.loads(signal.prompt)
    assert canonical_json(prompt) == signal.prompt  # already canonical: sorted and compact
    assert prompt["inputs"]["price"] == "100"
    assert prompt["params"]["pullback_atr"] == 1.0
    assert json.loads(signal.raw_output) == {
        "action": "BUY",
        "confidence": 0.79,
        "rationale": signal.rationale,
        "reason_code": None,
    }


async def test_evaluate_when_same_inputs_then_same_prompt_hash_and_params_change_it() -> None:
    a = await RulesStrategy().evaluate(DID, snap(), book(), ALL, NOW)
    b = await RulesStrategy().evaluate(UUID(int=8), snap(), book(), ALL, NOW)
    c = await RulesStrategy(RuleParams(pullback_atr=0.5)).evaluate(DID, snap(), book(), ALL, NOW)
    assert a.prompt_hash == b.prompt_hash
    assert a.prompt_hash != c.prompt_hash


async def test_evaluate_when_rule_buys_but_desk_reducing_then_hold_not_feasible() -> None:
    portfolio = book(TradingState.REDUCING)
    signal = await RulesStrategy().evaluate(DID, snap(), portfolio, (Action.HOLD,), NOW)
    assert signal.action is Action.HOLD
    assert signal.confidence == 0.0
    assert signal.reason_code == NOT_FEASIBLE
    assert "proposed BUY at 0.79" in signal.rationale
    assert "the desk is REDUCING" in signal.rationale
    assert json.loads(signal.raw_output)["action"] == "BUY"  # the rule's reply stays verbatim


async def test_evaluate_when_held_and_stop_breached_then_sell() -> None:
    signal = await RulesStrategy().evaluate(
        DID, snap(price=Decimal(94)), book(held=True), (Action.SELL, Action.HOLD), NOW
    )
    assert signal.action is Action.SELL
    assert signal.confidence == 0.95
    assert json.loads(signal.prompt)["inputs"]["stop_price"] == "95"


async def test_evaluate_when_data_missing_then_hold_with_missing_data_code() -> None:
    signal = await RulesStrategy().evaluate(DID, snap(sma_50=None), book(), ALL, NOW)
    assert signal.action is Action.HOLD
    assert signal.reason_code == "MISSING_DATA"


# --- StrategyAgent --------------------------------------------------------------------------


async def test_evaluate_context_when_rules_strategy_then_feasible_set_is_computed() -> None:
    signal = await StrategyAgent(RulesStrategy()).evaluate_context(DID, snap(), book(), NOW)
    assert signal.action is Action.BUY
    assert signal.feasible_actions == (Action.BUY, Action.HOLD)


async def test_evaluate_context_when_strategy_called_then_offered_the_feasible_set() -> None:
    strategy = Scripted(Action.SELL)
    signal = await StrategyAgent(strategy).evaluate_context(DID, snap(), book(held=True), NOW)
    assert strategy.offered == (Action.SELL, Action.HOLD)
    assert signal.action is Action.SELL
    # The strategy claimed all three were feasible; the stored signal says what really was.
    assert signal.feasible_actions == (Action.SELL, Action.HOLD)


async def test_evaluate_context_when_strategy_buys_while_held_then_hold_not_feasible() -> None:
    signal = await StrategyAgent(Scripted(Action.BUY)).evaluate_context(
        DID, snap(), book(held=True), NOW
    )
    assert signal.action is Action.HOLD
    assert signal.reason_code == NOT_FEASIBLE
    assert signal.confidence == 0.0
    assert "AAPL is already held" in signal.rationale
    assert signal.model == "scripted"


async def test_evaluate_context_when_strategy_sells_without_position_then_hold() -> None:
    signal = await StrategyAgent(Scripted(Action.SELL)).evaluate_context(DID, snap(), book(), NOW)
    assert signal.action is Action.HOLD
    assert signal.reason_code == NOT_FEASIBLE


async def test_evaluate_context_when_strategy_raises_then_hold_strategy_error() -> None:
    agent = StrategyAgent(Scripted(error=RuntimeError("model timed out")))
    signal = await agent.evaluate_context(DID, snap(), book(), NOW)
    assert signal.action is Action.HOLD
    assert signal.reason_code == STRATEGY_ERROR
    assert signal.raw_output == "RuntimeError: model timed out"
    assert "model timed out" in signal.rationale
    assert signal.model == "scripted"
    assert signal.decision_id == DID
    assert signal.feasible_actions == (Action.BUY, Action.HOLD)


async def test_evaluate_context_when_exception_text_unprintable_then_still_holds() -> None:
    signal = await StrategyAgent(Scripted(error=UnprintableError())).evaluate_context(
        DID, snap(), book(), NOW
    )
    assert signal.reason_code == STRATEGY_ERROR
    assert signal.raw_output == "UnprintableError"


async def test_evaluate_context_when_strategy_returns_non_signal_then_strategy_error() -> None:
    signal = await StrategyAgent(Returns({"action": "BUY"})).evaluate_context(
        DID, snap(), book(), NOW
    )
    assert signal.action is Action.HOLD
    assert signal.reason_code == STRATEGY_ERROR
    assert "returned dict, not SignalCreated" in signal.raw_output


async def test_evaluate_context_when_signal_for_other_decision_then_strategy_error() -> None:
    foreign = SignalCreated(
        ts_event=NOW,
        decision_id=UUID(int=99),
        ticker="AAPL",
        action=Action.BUY,
        confidence=0.9,
        rationale="stale",
        model="returns",
    )
    signal = await StrategyAgent(Returns(foreign)).evaluate_context(DID, snap(), book(), NOW)
    assert signal.reason_code == STRATEGY_ERROR
    assert signal.decision_id == DID


async def test_evaluate_context_when_signal_for_other_ticker_then_strategy_error() -> None:
    foreign = SignalCreated(
        ts_event=NOW,
        decision_id=DID,
        ticker="MSFT",
        action=Action.HOLD,
        confidence=0.5,
        rationale="wrong ticker",
        model="returns",
    )
    signal = await StrategyAgent(Returns(foreign)).evaluate_context(DID, snap(), book(), NOW)
    assert signal.reason_code == STRATEGY_ERROR
    assert signal.ticker == "AAPL"


@given(
    state=st.sampled_from(TradingState),
    held=st.booleans(),
    price=st.decimals(min_value=Decimal(50), max_value=Decimal(150), places=2),
    proposed=st.sampled_from(Action),
)
def test_evaluate_context_when_any_state_and_proposal_then_action_is_feasible(
    state: TradingState, held: bool, price: Decimal, proposed: Action
) -> None:
    portfolio = book(state, held=held)
    for strategy in (RulesStrategy(), Scripted(proposed)):
        signal = asyncio.run(
            StrategyAgent(strategy).evaluate_context(DID, snap(price=price), portfolio, NOW)
        )
        assert signal.action in signal.feasible_actions
        if held:
            assert signal.action is not Action.BUY
        else:
            assert signal.action is not Action.SELL
        if state is TradingState.HALTED:
            assert signal.action is Action.HOLD
