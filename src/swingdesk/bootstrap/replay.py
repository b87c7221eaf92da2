"""The desk a pipeline backtest replays history through: wired as ``build_desk`` wires a live
one (the same market agent, analyst, risk manager, execution agent and reconciliation, on
the simulated broker), with every book in memory: ours in a ``MemoryStore``, the simulated
broker's in a ``MemorySimLedger``. Nothing is written to disk and nothing listens to its
bus, so a replay runs at the speed of the pipeline itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from swingdesk.adapters.memory_bus import InMemoryEventBus
from swingdesk.adapters.simulated_broker import SimulatedBroker
from swingdesk.bootstrap import (
    SectorLookup,
    _execution_agent,
    _llm_client,
    _market_agent,
    _retry_policy,
    _strategy,
    _sync_worker,
)
from swingdesk.config import BrokerProvider, Settings
from swingdesk.domain.errors import ConfigurationError
from swingdesk.execution.control import TradingControl
from swingdesk.execution.sync import SyncWorker
from swingdesk.ports import Clock, EventBus, LLMClient, MarketData
from swingdesk.risk.manager import RiskManager
from swingdesk.services.pipeline import DecisionPipeline
from swingdesk.services.portfolio import PortfolioService
from swingdesk.store.memory import MemorySimLedger, MemoryStore
from swingdesk.strategy.agent import StrategyAgent
from swingdesk.unit_of_work import ProcessBook


@dataclass
class ReplayDesk:
    """The parts of a desk a replay drives, every book in memory."""

    settings: Settings
    clock: Clock
    store: MemoryStore
    bus: EventBus
    provider: MarketData
    broker: SimulatedBroker
    pipeline: DecisionPipeline
    sync: SyncWorker
    #: The model client of an LLM analyst (None for the rules analyst); closed with the desk.
    llm: LLMClient | None = None

    async def close(self) -> None:
        """Release the model client."""
        if self.llm is not None:
            await self.llm.close()
        await self.store.close()


async def build_replay_desk(
    settings: Settings, *, clock: Clock, provider: MarketData
) -> ReplayDesk:
    """Wire a replay desk for ``settings`` (the simulated broker only) on ``provider``'s prices.

    The books are reconciled with the (empty) broker before it is returned, as a live desk's
    are at start-up, so execution is ready.
    """
    if settings.broker is not BrokerProvider.SIMULATED:
        raise ConfigurationError("a replay runs on the simulated broker only")
    llm = _llm_client(settings)
    store = MemoryStore()
    bus = InMemoryEventBus()
    broker = SimulatedBroker(
        MemorySimLedger(),
        provider.last_price,
        clock,
        initial_cash=settings.sim_initial_cash_usd,
        slippage_bps=settings.sim_slippage_bps,
        commission=settings.sim_commission_usd,
    )
    control = TradingControl(store, bus, clock)
    retry = _retry_policy(settings)
    portfolio = PortfolioService(
        broker,
        store,
        SectorLookup(provider),
        reuse_s=settings.portfolio_reuse_s,
        retry=retry,
        read_book=broker.account_and_positions,  # one read of the book, as build_desk wires
    )
    execution = _execution_agent(settings, broker, store, bus, clock, retry, provider)
    book = ProcessBook()
    sync = _sync_worker(settings, broker, store, bus, clock, control, execution, book)
    pipeline = DecisionPipeline(
        market=_market_agent(settings, provider),
        strategy=StrategyAgent(_strategy(settings, llm, store)),
        risk=RiskManager(settings.risk_limits()),
        execution=execution,
        portfolio=portfolio,
        control=control,
        store=store,
        bus=bus,
        clock=clock,
        book_lock=book,
    )
    desk = ReplayDesk(settings, clock, store, bus, provider, broker, pipeline, sync, llm)
    if await sync.startup() is None:
        await desk.close()
        raise ConfigurationError("the replay desk's first reconciliation failed")
    return desk
