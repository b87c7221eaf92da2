"""Which actions the desk can act on, per trading state and position, with the reasons why not."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from swingdesk.domain.enums import Action, TradingState
from swingdesk.domain.portfolio import PortfolioState, PositionState
from swingdesk.strategy.feasible import explain_infeasible, feasible_actions

NOW = datetime(2024, 6, 3, 15, 0, tzinfo=UTC)


def portfolio(state: TradingState, *held: str) -> PortfolioState:
    """Return a 100k account in ``state`` holding 10 shares of each ticker in ``held``."""
    positions = tuple(
        PositionState(ticker=t, qty=Decimal(10), avg_price=Decimal(100), market_price=Decimal(100))
        for t in held
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


@pytest.mark.parametrize(
    ("state", "held", "expected"),
    [
        (TradingState.ACTIVE, (), (Action.BUY, Action.HOLD)),
        (TradingState.ACTIVE, ("AAPL",), (Action.SELL, Action.HOLD)),
        (TradingState.REDUCING, (), (Action.HOLD,)),
        (TradingState.REDUCING, ("AAPL",), (Action.SELL, Action.HOLD)),
        (TradingState.HALTED, (), (Action.HOLD,)),
        (TradingState.HALTED, ("AAPL",), (Action.HOLD,)),
    ],
)
def test_feasible_actions_when_state_and_position_vary_then_long_only_table_holds(
    state: TradingState, held: tuple[str, ...], expected: tuple[Action, ...]
) -> None:
    assert feasible_actions(portfolio(state, *held), "AAPL") == expected


def test_feasible_actions_when_only_another_ticker_is_held_then_buy_not_sell() -> None:
    assert feasible_actions(portfolio(TradingState.ACTIVE, "MSFT"), "AAPL") == (
        Action.BUY,
        Action.HOLD,
    )


def test_explain_infeasible_when_buy_while_reducing_then_names_the_state() -> None:
    text = explain_infeasible(portfolio(TradingState.REDUCING), "AAPL", Action.BUY)
    assert text == "BUY needs trading state ACTIVE, but the desk is REDUCING"


def test_explain_infeasible_when_buy_while_held_then_says_already_held() -> None:
    text = explain_infeasible(portfolio(TradingState.ACTIVE, "AAPL"), "AAPL", Action.BUY)
    assert text == "BUY needs no open position, but AAPL is already held"


def test_explain_infeasible_when_sell_without_position_then_says_none_held() -> None:
    text = explain_infeasible(portfolio(TradingState.ACTIVE), "AAPL", Action.SELL)
    assert text == "SELL needs an open long position in AAPL, and there is none"


def test_explain_infeasible_when_sell_while_halted_then_names_halted() -> None:
    text = explain_infeasible(portfolio(TradingState.HALTED, "AAPL"), "AAPL", Action.SELL)
    assert text == "SELL is blocked while the desk is HALTED"


def test_explain_infeasible_when_action_is_feasible_then_empty() -> None:
    assert explain_infeasible(portfolio(TradingState.HALTED), "AAPL", Action.HOLD) == ""
