"""The one place where adapters are chosen and wired together."""

from __future__ import annotations

from dataclasses import dataclass, field

from swingdesk.adapters.alpaca_broker import AlpacaPaperBroker
from swingdesk.adapters.apprise_notifier import AppriseNotifier, split_urls
from swingdesk.adapters.clock import SystemClock
from swingdesk.adapters.memory_bus import InMemoryEventBus
from swingdesk.adapters.redis_bus import RedisStreamBus
from swingdesk.adapters.simulated_broker import SimulatedBroker

# Re-exported: the wiring's parts are imported from ``swingdesk.bootstrap`` too.
from swingdesk.bootstrap.analyst import _llm_client as _llm_client
from swingdesk.bootstrap.analyst import _strategy as _strategy
from swingdesk.bootstrap.core import CoreParts, wire_core
from swingdesk.bootstrap.market import SectorLookup as SectorLookup
from swingdesk.bootstrap.market import _context_source as _context_source
from swingdesk.bootstrap.market import _market_agent as _market_agent
from swingdesk.bootstrap.market import _market_provider as _market_provider
from swingdesk.config import BrokerProvider, Settings
from swingdesk.execution.agent import ExecutionAgent
from swingdesk.execution.control import TradingControl
from swingdesk.execution.sync import SyncWorker
from swingdesk.marketdata.agent import MarketDataAgent
from swingdesk.ports import (
    Broker,
    Clock,
    EventBus,
    HeldStops,
    LLMClient,
    MarketData,
)
from swingdesk.risk.manager import RiskManager
from swingdesk.services.pipeline import DecisionPipeline
from swingdesk.services.portfolio import PortfolioService
from swingdesk.services.relay import LeaderRelay, OutboxRelay
from swingdesk.store import migrate
from swingdesk.store.book_lock import BookLock
from swingdesk.store.commit_signal import CommitSignal
from swingdesk.store.engine import DatabaseTimeouts
from swingdesk.store.leadership import Leadership, default_replica_id
from swingdesk.store.sim_ledger import SqlSimLedger
from swingdesk.store.store import OutboxMessage, Store


@dataclass
class Desk:
    """Every service of a running desk, wired."""

    settings: Settings
    clock: Clock
    store: Store
    bus: EventBus
    provider: MarketData
    market: MarketDataAgent
    broker: Broker
    risk: RiskManager
    control: TradingControl
    portfolio: PortfolioService
    execution: ExecutionAgent
    pipeline: DecisionPipeline
    #: Why the desk is not ready yet (e.g. {"reconciliation": "first sync pending"}); /ready
    #: answers 503 while any reason is set. Whoever owns a start-up step sets and clears it.
    not_ready: dict[str, str] = field(default_factory=dict)
    #: The model client of an LLM analyst (None for the rules analyst); closed with the desk.
    llm: LLMClient | None = None
    #: Reconciliation with the broker (start-up, `swingdesk reconcile`, every sync_interval_s).
    sync: SyncWorker | None = None
    #: Publishes committed outbox messages on the bus.
    relay: OutboxRelay | None = None
    #: Keeps risk and execution serial across processes (also held by reconciliation).
    book_lock: BookLock | None = None
    #: The leader lease (started by `serve`; a CLI command never leads).
    leadership: Leadership | None = None
    #: With a shared bus (Redis): the leader's relay of the outbox to it, and its wake-up.
    shared_bus: SharedBus | None = None
    #: Where operator notifications go (Apprise), None when no URL is configured.
    notifier: AppriseNotifier | None = None
    #: The simulated broker's held stops, which a periodic job must tick (None with a real
    #: broker, whose exchange triggers them).
    held_stops: HeldStops | None = None

    async def close(self) -> None:
        """Release connections."""
        if self.notifier is not None:
            self.notifier.close()
        if self.llm is not None:
            await self.llm.close()
        if isinstance(self.broker, AlpacaPaperBroker):
            await self.broker.close()
        await self.store.close()


@dataclass
class SharedBus:
    """The Redis bus, its leader-only relay, and the PostgreSQL commit signal (if any)."""

    bus: RedisStreamBus
    relay: LeaderRelay
    signal: CommitSignal | None

    async def close(self) -> None:
        """Stop the relay, flush a pending commit signal, close Redis."""
        await self.relay.stop()
        if self.signal is not None:
            await self.signal.close()
        await self.bus.close()


class _AnnounceCommits:
    """A store publisher: tells the leader (NOTIFY) about commits it did not make itself."""

    def __init__(self, signal: CommitSignal, leadership: Leadership) -> None:
        self.signal = signal
        self.leadership = leadership

    async def committed(self, messages: list[OutboxMessage]) -> None:
        """Send one (coalesced) notification unless this replica leads."""
        if not self.leadership.is_leader:
            self.signal.notify()


async def _shared_bus(settings: Settings, store: Store, leadership: Leadership) -> SharedBus:
    assert settings.redis_url is not None
    _, epoch = await store.outbox_head()
    bus = RedisStreamBus(
        settings.redis_url,
        prefix=settings.redis_prefix,
        maxlen=settings.redis_stream_maxlen,
        timeout_s=settings.redis_timeout_s,
        epoch=epoch,
    )

    async def start_from() -> int:
        # After the newest message already in the stream: what a previous leader left
        # unpublished goes out now. An empty stream (new, or a Redis that lost its data)
        # starts from the outbox's head: older messages are replayed from the outbox.
        top = await bus.top()
        return top if top is not None else (await store.outbox_head())[0]

    relay = LeaderRelay(
        OutboxRelay(store, bus),
        is_leader=lambda: leadership.is_leader,
        start_from=start_from,
        poll_s=settings.stream_poll_s,
    )
    store.publish_to(relay)
    signal = None
    if store.engine.dialect.name == "postgresql":
        signal = CommitSignal(store.engine)
        store.publish_to(_AnnounceCommits(signal, leadership))
    return SharedBus(bus, relay, signal)


async def build_desk(
    settings: Settings,
    *,
    clock: Clock | None = None,
    migrate_db: bool = True,
    reconcile: bool = True,
    provider: MarketData | None = None,
) -> Desk:
    """Wire a desk for ``settings``; refuses combinations this version cannot run.

    With ``reconcile`` the books are reconciled with the broker before the desk is returned;
    if that fails, orders are refused (NOT_RECONCILED) until a reconciliation succeeds.
    """
    llm = _llm_client(settings)  # before any I/O: a missing key stops the start-up at once
    alpaca = (
        AlpacaPaperBroker.from_settings(settings)
        if settings.broker is BrokerProvider.ALPACA
        else None
    )
    clock = clock or SystemClock()
    store = _open_store(settings, migrate_db=migrate_db)
    leadership = _leadership(settings, store, clock)
    bus, shared, relay = await _event_bus(settings, store, leadership)
    # A caller may pass its own provider (a test's, or a replay's prices at the open).
    provider = provider or _market_provider(settings)
    simulated: SimulatedBroker | None = None
    broker: Broker
    if alpaca is None:
        broker = simulated = _simulated_broker(settings, store, provider, clock)
    else:
        broker = alpaca
    book_lock = BookLock(store.engine)
    store.closing(book_lock.close)
    core = wire_core(
        settings, CoreParts(store, bus, clock, provider, broker, simulated, book_lock, llm)
    )
    desk = Desk(
        settings, clock, store, bus, provider, core.market, broker, core.risk, core.control,
        core.portfolio, core.execution, core.pipeline,
        llm=llm, sync=core.sync, relay=relay, book_lock=book_lock, leadership=leadership,
        shared_bus=shared, notifier=_notifier(settings), held_stops=simulated,
    )  # fmt: skip
    if reconcile and await core.sync.startup() is None:
        desk.not_ready["reconciliation"] = "start-up reconciliation with the broker failed"
    return desk


def _open_store(settings: Settings, *, migrate_db: bool) -> Store:
    """Return the store at the configured database, migrated first when asked."""
    url = settings.effective_database_url
    if migrate_db:
        migrate.upgrade(url)
    return Store.from_url(
        url,
        timeouts=DatabaseTimeouts(
            connect_s=settings.db_connect_timeout_s,
            statement_s=settings.db_statement_timeout_s,
            pool_s=settings.db_pool_timeout_s,
        ),
    )


def _leadership(settings: Settings, store: Store, clock: Clock) -> Leadership:
    """Return the leader lease of this replica, stopped when the store closes."""
    leadership = Leadership(
        store.engine,
        replica_id=settings.replica_id or default_replica_id(),
        ttl_s=settings.leader_lease_ttl_s,
        renew_s=settings.leader_renew_s,
        clock=clock,
    )
    store.closing(leadership.stop)
    return leadership


async def _event_bus(
    settings: Settings, store: Store, leadership: Leadership
) -> tuple[EventBus, SharedBus | None, OutboxRelay | None]:
    """Return the bus committed events go to: the shared Redis bus, or an in-process one."""
    if settings.redis_url:
        shared = await _shared_bus(settings, store, leadership)
        store.closing(shared.close)
        return shared.bus, shared, None
    bus = InMemoryEventBus()
    relay = OutboxRelay(store, bus)
    store.publish_to(relay)
    await relay.start()
    return bus, None, relay


def _simulated_broker(
    settings: Settings, store: Store, provider: MarketData, clock: Clock
) -> SimulatedBroker:
    """Return the simulated broker, filling at the provider's last price."""
    return SimulatedBroker(
        SqlSimLedger(store),
        provider.last_price,
        clock,
        initial_cash=settings.sim_initial_cash_usd,
        slippage_bps=settings.sim_slippage_bps,
        commission=settings.sim_commission_usd,
    )


def _notifier(settings: Settings) -> AppriseNotifier | None:
    """Return the operator notifier, None when no URL is configured."""
    if settings.notify_urls is None:
        return None
    return AppriseNotifier(notify_urls(settings), timeout_s=settings.notify_timeout_s)


def notify_urls(settings: Settings) -> list[str]:
    """Return the configured notification URLs (empty when none is set)."""
    if settings.notify_urls is None:
        return []
    return split_urls(settings.notify_urls.get_secret_value())


def wall_clock() -> Clock:
    """Return the clock of a live desk (the system's UTC time)."""
    return SystemClock()
