"""Which actions the desk could act on for one ticker right now (pure)."""

from __future__ import annotations

from swingdesk.domain.enums import Action, TradingState
from swingdesk.domain.portfolio import PortfolioState


def feasible_actions(portfolio: PortfolioState, ticker: str) -> tuple[Action, ...]:
    """Return the actions an analyst may propose for ``ticker``; HOLD is always among them."""
    held = portfolio.position(ticker) is not None
    state = portfolio.trading_state
    actions: list[Action] = []
    # Long-only: a BUY opens a position, so it needs none held and a desk that accepts new risk.
    if not held and state is TradingState.ACTIVE:
        actions.append(Action.BUY)
    # REDUCING exists precisely so that closing orders still pass; HALTED stops everything.
    if held and state is not TradingState.HALTED:
        actions.append(Action.SELL)
    actions.append(Action.HOLD)
    return tuple(actions)


def explain_infeasible(portfolio: PortfolioState, ticker: str, action: Action) -> str:
    """Say in plain words why ``action`` is not feasible for ``ticker`` (empty when it is)."""
    if action in feasible_actions(portfolio, ticker):
        return ""
    held = portfolio.position(ticker) is not None
    state = portfolio.trading_state.value
    if action is Action.BUY:
        if held:
            return f"BUY needs no open position, but {ticker} is already held"
        return f"BUY needs trading state ACTIVE, but the desk is {state}"
    if action is Action.SELL:
        if not held:
            return f"SELL needs an open long position in {ticker}, and there is none"
        return f"SELL is blocked while the desk is {state}"
    return f"{action.value} is not feasible"
