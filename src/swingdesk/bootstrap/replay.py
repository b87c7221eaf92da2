"""The desk a pipeline backtest replays history through: its trading core wired by
``bootstrap.core`` as a live desk's is (the same market agent, analyst, risk manager,
execution agent and reconciliation, on the simulated broker), with every book in memory:
ours in a ``MemoryStore``, the simulated broker's in a ``MemorySimLedger``. Nothing is
written to disk and nothing listens to its bus, so a replay runs at the pipeline's speed.
"""

from __future__ import annotations

from dataclasses import dataclass

from swingdesk.adapters.memory_bus import InMemoryEventBus
from swingdesk.adapters.simulated_broker import SimulatedBroker
from swingdesk.bootstrap.analyst import _llm_client
from swingdesk.bootstrap.core import CoreParts, wire_core
from swingdesk.config import BrokerProvider, Settings
from swingdesk.domain.errors import ConfigurationError
from swingdesk.execution.sync import SyncWorker
from swingdesk.ports import Clock, EventBus, LLMClient, MarketData
from swingdesk.services.pipeline import DecisionPipeline
from swingdesk.store.memory import MemorySimLedger, MemoryStore
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
    store = MemoryStore(history=False)  # the replay keeps its own record
    bus = InMemoryEventBus()
    broker = SimulatedBroker(
        MemorySimLedger(),
        provider.last_price,
        clock,
        initial_cash=settings.sim_initial_cash_usd,
        slippage_bps=settings.sim_slippage_bps,
        commission=settings.sim_commission_usd,
    )
    core = wire_core(
        settings, CoreParts(store, bus, clock, provider, broker, broker, ProcessBook(), llm)
    )
    desk = ReplayDesk(settings, clock, store, bus, provider, broker, core.pipeline, core.sync, llm)
    if await core.sync.startup() is None:
        await desk.close()
        raise ConfigurationError("the replay desk's first reconciliation failed")
    return desk
