"""A backtest's exit options, shared by both engines: scale-out closes and trailing stops."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from swingdesk.backtest.result import BacktestParams
from swingdesk.domain.enums import Action
from swingdesk.domain.events import SignalCreated
from swingdesk.domain.market import MarketSnapshot
from swingdesk.domain.portfolio import PortfolioState
from swingdesk.domain.trailing import TrailSpec
from swingdesk.ports import Strategy
from swingdesk.strategy.agent import StrategyAgent


def trail_of(params: BacktestParams) -> TrailSpec | None:
    """Return the run's trailing stop, None for fixed stops."""
    return TrailSpec.of(params.trail_pct, params.trail_price)


class ScaleOutAgent(StrategyAgent):
    """The strategy agent whose exit signals close only ``fraction`` of the position."""

    def __init__(self, strategy: Strategy, fraction: Decimal) -> None:
        super().__init__(strategy)
        self.fraction = fraction

    async def evaluate_context(
        self,
        decision_id: UUID,
        snapshot: MarketSnapshot,
        portfolio: PortfolioState,
        now: datetime,
    ) -> SignalCreated:
        """Return the strategy's signal; a SELL carries the run's close fraction."""
        signal = await super().evaluate_context(decision_id, snapshot, portfolio, now)
        if signal.action is not Action.SELL:
            return signal
        return signal.model_copy(update={"close_fraction": self.fraction})


def strategy_agent(strategy: Strategy, params: BacktestParams) -> StrategyAgent:
    """Return the agent a run decides with: scaling out when the run says so."""
    if params.close_fraction is None:
        return StrategyAgent(strategy)
    return ScaleOutAgent(strategy, params.close_fraction)
