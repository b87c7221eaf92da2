"""A desk wired with in-memory fakes for the market and the analyst, on a unit-of-work
backend: a real database (SQLite or PostgreSQL) or the in-memory books."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from tests.service.books import Books, books_of

from swingdesk.adapters.clock import ManualClock
from swingdesk.adapters.memory_bus import InMemoryEventBus
from swingdesk.adapters.simulated_broker import SimulatedBroker
from swingdesk.domain.enums import Action, DataSource
from swingdesk.domain.errors import UnknownTickerError
from swingdesk.domain.events import SignalCreated
from swingdesk.domain.market import MarketSnapshot
from swingdesk.domain.portfolio import PortfolioState
from swingdesk.execution.agent import ExecutionAgent
from swingdesk.execution.control import TradingControl
from swingdesk.execution.retry import RetryPolicy
from swingdesk.risk.limits import RiskLimits
from swingdesk.risk.manager import RiskManager
from swingdesk.services.pipeline import DecisionPipeline
from swingdesk.services.portfolio import PortfolioService
from swingdesk.services.relay import OutboxRelay
from swingdesk.store import migrate
from swingdesk.store.book_lock import BookLock
from swingdesk.store.memory import MemorySimLedger, MemoryStore
from swingdesk.store.sim_ledger import SqlSimLedger
from swingdesk.store.store import Store
from swingdesk.strategy.agent import StrategyAgent
from swingdesk.unit_of_work import ProcessBook, SerialBook
from swingdesk.unit_of_work.sim_ledger import SimLedger

SECTORS = {"AAPL": "Information Technology", "MSFT": "Information Technology", "XOM": "Energy"}


def snapshot(ticker: str, now: datetime, **overrides: Any) -> MarketSnapshot:
    """Return a complete, tradable snapshot: price 100, ATR 2.5 -> 200 shares risk, cap 50."""
    values: dict[str, Any] = {
        "ticker": ticker,
        "name": ticker,
        "sector": SECTORS.get(ticker, "Industrials"),
        "price": Decimal(100),
        "prev_close": Decimal(99),
        "day_change_pct": Decimal("0.0101"),
        "atr_14": Decimal("2.5"),
        "sma_20": Decimal(98),
        "sma_50": Decimal(95),
        "adv_20": Decimal(20_000_000),
        "volume": Decimal(10_000_000),
        "vix": Decimal(18),
        "next_earnings": None,
        "earnings_in_trading_days": None,
        "as_of": now,
        "source": DataSource.SIMULATED,
    }
    values.update(overrides)
    return MarketSnapshot(**values)


class FakeMarket:
    """MarketDataService fake: snapshots from a dict, editable by tests."""

    source = DataSource.SIMULATED

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.overrides: dict[str, dict[str, Any]] = {}
        self.fail: Exception | None = None

    def universe(self) -> Sequence[str]:
        """Return the known tickers."""
        return sorted(SECTORS)

    async def snapshot(self, ticker: str, now: datetime) -> MarketSnapshot:
        """Return the ticker's snapshot or raise the injected failure."""
        if self.fail is not None:
            raise self.fail
        if ticker not in SECTORS:
            raise UnknownTickerError(ticker)
        return snapshot(ticker, now, **self.overrides.get(ticker, {}))

    async def price(self, ticker: str, now: datetime) -> Decimal:
        """Return the price the simulated broker fills at."""
        snap = await self.snapshot(ticker, now)
        assert snap.price is not None
        return snap.price


@dataclass
class ScriptedStrategy:
    """Strategy fake: answers with the next scripted (action, confidence)."""

    script: list[tuple[Action, float]] = field(default_factory=list)
    name: str = "scripted"

    async def evaluate(
        self,
        decision_id: UUID,
        snapshot: MarketSnapshot,
        portfolio: PortfolioState,
        feasible: Sequence[Action],
        now: datetime,
    ) -> SignalCreated:
        """Return the next scripted signal."""
        action, confidence = self.script.pop(0) if self.script else (Action.HOLD, 0.5)
        return SignalCreated(
            decision_id=decision_id,
            ts_event=now,
            ticker=snapshot.ticker,
            action=action,
            confidence=confidence,
            rationale=f"scripted {action.value}",
            model=self.name,
            prompt=f"snapshot of {snapshot.ticker}",
            raw_output=f'{{"action": "{action.value}"}}',
            feasible_actions=tuple(feasible),
        )


@dataclass
class Harness:
    """A whole desk with fakes at the edges."""

    clock: ManualClock
    store: Store | MemoryStore
    bus: InMemoryEventBus
    market: FakeMarket
    strategy: ScriptedStrategy
    broker: SimulatedBroker
    risk: RiskManager
    control: TradingControl
    portfolio: PortfolioService
    execution: ExecutionAgent
    pipeline: DecisionPipeline
    #: The simulated broker's books (tests change them behind the desk's back).
    ledger: SimLedger
    #: What the desk has booked, read alike on every backend.
    books: Books


def sim_ledger(kind: str, store: Store) -> SimLedger:
    """Return the simulated broker's ledger of this kind: "sql" over ``store``, or "memory"."""
    return SqlSimLedger(store) if kind == "sql" else MemorySimLedger()


async def build_harness(
    db_url: str,
    clock: ManualClock,
    limits: RiskLimits | None = None,
    *,
    portfolio_retry: RetryPolicy | None = None,
    ledger: str = "sql",
) -> Harness:
    """Migrate the database and wire a desk around fakes; the simulated broker keeps its
    books in ``ledger``: "sql" (its tables in the same database) or "memory"."""
    migrate.upgrade(db_url)
    store = Store.from_url(db_url)
    book_lock = BookLock(store.engine)
    store.closing(book_lock.close)
    return await _wire(store, sim_ledger(ledger, store), book_lock, clock, limits, portfolio_retry)


async def build_memory_harness(
    clock: ManualClock,
    limits: RiskLimits | None = None,
    *,
    portfolio_retry: RetryPolicy | None = None,
) -> Harness:
    """Wire a desk around fakes with every book in memory: ours in a ``MemoryStore``, the
    simulated broker's in a ``MemorySimLedger``, the book lock held in this process."""
    return await _wire(
        MemoryStore(), MemorySimLedger(), ProcessBook(), clock, limits, portfolio_retry
    )


async def build_backend_harness(
    backend: str,
    db_url: str | None,
    clock: ManualClock,
    limits: RiskLimits | None = None,
    *,
    portfolio_retry: RetryPolicy | None = None,
) -> Harness:
    """Wire a desk on ``backend`` ("memory", or "sqlite"/"postgres" at ``db_url``)."""
    if backend == "memory":
        return await build_memory_harness(clock, limits, portfolio_retry=portfolio_retry)
    assert db_url is not None
    return await build_harness(db_url, clock, limits, portfolio_retry=portfolio_retry)


async def _wire(
    store: Store | MemoryStore,
    ledger: SimLedger,
    book_lock: SerialBook,
    clock: ManualClock,
    limits: RiskLimits | None,
    portfolio_retry: RetryPolicy | None,
) -> Harness:
    bus = InMemoryEventBus()
    relay = OutboxRelay(store, bus)
    store.publish_to(relay)
    await relay.start()
    market = FakeMarket(clock)
    strategy = ScriptedStrategy()
    broker = SimulatedBroker(
        ledger, market.price, clock, initial_cash=Decimal(100_000), slippage_bps=Decimal(0)
    )
    risk = RiskManager(limits or RiskLimits())
    control = TradingControl(store, bus, clock)
    portfolio = PortfolioService(broker, store, SECTORS.get, retry=portfolio_retry)
    execution = ExecutionAgent(broker, store, bus, clock)
    pipeline = DecisionPipeline(
        market=market,
        strategy=StrategyAgent(strategy),
        risk=risk,
        execution=execution,
        portfolio=portfolio,
        control=control,
        store=store,
        bus=bus,
        clock=clock,
        book_lock=book_lock,
    )
    return Harness(
        clock, store, bus, market, strategy, broker, risk, control, portfolio, execution,
        pipeline, ledger, books_of(store),
    )  # fmt: skip
