"""Units of work and the stores that open them (the write side of the port)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Collection, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol
from uuid import UUID

from swingdesk.domain.enums import DecisionStatus, OrderStatus, TradingState
from swingdesk.domain.events import (
    Event,
    OrderRequest,
    OrderResponseStatus,
    RiskApproved,
    RiskRejected,
    SignalCreated,
    TradingStateChanged,
)
from swingdesk.domain.market import MarketSnapshot
from swingdesk.unit_of_work.records import (
    BookFacts,
    DecisionRecord,
    DecisionStages,
    StoredHolding,
    StoredOrder,
    StoredStateChange,
)


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """A message committed to the outbox: published on the bus once the commit is done."""

    seq: int
    topic: str
    payload: dict[str, Any]
    epoch: int


class Outbox(Protocol):
    """The committed messages, in commit order, for the relay to publish."""

    async def outbox_head(self) -> tuple[int, int]:
        """Return the newest outbox sequence number and the database's stream epoch."""
        ...

    async def outbox_after(self, seq: int, *, limit: int = 1000) -> list[OutboxMessage]:
        """Return committed outbox messages after ``seq``, oldest first."""
        ...


class Lease(Protocol):
    """Proof, checked on demand, that this holder still has the book."""

    async def verify(self) -> None:
        """Raise BookLockLostError unless the book is provably still held."""
        ...


class SerialBook(Protocol):
    """Keeps risk and execution serial: one holder of the book at a time (the store's
    ``BookLock`` reaches across processes sharing the database)."""

    def hold(self) -> AbstractAsyncContextManager[Lease]:
        """Hold the book for the duration of the block."""
        ...


class _HeldInProcess:
    async def verify(self) -> None:
        return None


class ProcessBook:
    """The book held within this process only (when no database reaches further)."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def hold(self) -> AsyncIterator[Lease]:
        """Hold the book for the duration of the block; the lease is never lost."""
        async with self._lock:
            yield _HeldInProcess()


class JournalUnitOfWork(Protocol):
    """A unit of work's journal: audit entries and domain events, published only after the
    unit commits (a failed unit publishes nothing)."""

    async def lock_head(self) -> object:
        """Serialise this unit with every other writer until it ends."""
        ...

    def record(self, *events: Event) -> None:
        """Collect domain events to publish once the unit has committed."""
        ...

    async def audit(
        self,
        kind: str,
        message: str,
        *,
        now: datetime,
        decision_id: UUID | None = None,
        actor: str = "system",
        payload: dict[str, Any] | None = None,
    ) -> object:
        """Append one entry to the journal."""
        ...


class TradingStateUnitOfWork(JournalUnitOfWork, Protocol):
    """A unit of work over the trading state (the first repository behind the port)."""

    async def trading_state(self) -> TradingState:
        """Return the trading state as this unit sees it."""
        ...

    async def record_state_change(self, ev: TradingStateChanged) -> None:
        """Store a change of trading state."""
        ...


class TradingStateStore(Protocol):
    """Where the trading state lives: SQLAlchemy's ``Store``, or an in-memory one in tests."""

    def tx(self) -> AbstractAsyncContextManager[TradingStateUnitOfWork]:
        """Open a unit of work: it commits on success, rolls back on any error."""
        ...

    async def trading_state(self) -> TradingState:
        """Return the committed trading state."""
        ...


class DecisionUnitOfWork(JournalUnitOfWork, Protocol):
    """A unit of work over decisions (settling the ones a crash left pending)."""

    async def add_decision(
        self, decision_id: UUID, ticker: str, trigger: str, now: datetime
    ) -> None:
        """Open a decision record."""
        ...

    async def conclude_decision(
        self,
        decision_id: UUID,
        status: DecisionStatus,
        now: datetime,
        *,
        failed_stage: str | None = None,
        error_code: str | None = None,
        error_message: str | None = None,
    ) -> bool:
        """Record a pending decision's outcome; False if it already had one."""
        ...

    async def decision_stages(self, decision_id: UUID) -> DecisionStages:
        """Return which stages a decision has stored."""
        ...

    async def decision_status(self, decision_id: UUID) -> DecisionStatus | None:
        """Return a decision's status as this unit sees it."""
        ...


class OrderUnitOfWork(DecisionUnitOfWork, Protocol):
    """A unit of work over our orders (what execution stores before and after the broker)."""

    async def add_order(self, req: OrderRequest) -> None:
        """Store an order before the broker hears of it (the idempotency key)."""
        ...

    async def order_status(self, client_order_id: str) -> OrderStatus | None:
        """Return an order's status as this unit sees it (None if not stored)."""
        ...

    async def apply_order_status(self, ev: OrderResponseStatus) -> object:
        """Move an order through the state table and keep the broker's report."""
        ...


class OrderStore(Protocol):
    """Where execution records its orders, one unit of work per step."""

    def tx(self) -> AbstractAsyncContextManager[OrderUnitOfWork]:
        """Open a unit of work: it commits on success, rolls back on any error."""
        ...


class PipelineUnitOfWork(DecisionUnitOfWork, Protocol):
    """A unit of work over one decision's stages (what the decision pipeline stores)."""

    async def add_snapshot(
        self, decision_id: UUID | None, snap: MarketSnapshot, now: datetime
    ) -> None:
        """Store the market snapshot a decision used."""
        ...

    async def add_signal(self, sig: SignalCreated) -> None:
        """Store the analyst's signal."""
        ...

    async def add_verdict(self, verdict: RiskApproved | RiskRejected) -> None:
        """Store a risk verdict with every check it evaluated."""
        ...


class PipelineStore(Protocol):
    """Where the decision pipeline stores each stage, one unit of work per stage."""

    def tx(self) -> AbstractAsyncContextManager[PipelineUnitOfWork]:
        """Open a unit of work: it commits on success, rolls back on any error."""
        ...


class DecisionStore(Protocol):
    """Where decisions live, for settling interrupted ones."""

    def tx(self) -> AbstractAsyncContextManager[DecisionUnitOfWork]:
        """Open a unit of work: it commits on success, rolls back on any error."""
        ...

    async def pending_decisions(self, *, before: datetime) -> list[UUID]:
        """Return the decisions still pending that started before ``before``."""
        ...


class DecisionArchive(Protocol):
    """Where the full record of a decision is read from."""

    async def decision_record(self, decision_id: str) -> DecisionRecord | None:
        """Return the stored record of decision ``decision_id`` (a canonical UUID), or None."""
        ...


class ReconcilerBooks(DecisionStore, Protocol):
    """What reconciliation reads of our books (it writes through the execution agent, and
    settles interrupted decisions)."""

    async def open_orders(self) -> Sequence[StoredOrder]:
        """Return every order our books do not consider finished."""
        ...

    async def known_order_ids(self, client_order_ids: Collection[str]) -> set[str]:
        """Return which of these client order ids our books hold."""
        ...

    async def entries_without_legs(self, *, limit: int = 200) -> list[str]:
        """Return our newest entries with a stop whose leg we have not stored (yet)."""
        ...

    async def positions(self) -> Sequence[StoredHolding]:
        """Return our book's open positions."""
        ...

    async def open_stop_orders(self, ticker: str | None) -> Sequence[StoredOrder]:
        """Return the working sell stops in ``ticker`` (every ticker for None)."""
        ...

    async def last_state_change(self) -> StoredStateChange | None:
        """Return the newest trading-state change."""
        ...


class AccountUnitOfWork(JournalUnitOfWork, Protocol):
    """A unit of work over the account marks (equity, water mark, start-of-day equity)."""

    async def add_account_snapshot(
        self,
        *,
        now: datetime,
        session_date: str,
        cash: Decimal,
        equity: Decimal,
        buying_power: Decimal,
        high_water_mark: Decimal,
        start_of_day_equity: Decimal,
    ) -> None:
        """Store the account's equity, water mark and start-of-day equity."""
        ...


class AccountStore(Protocol):
    """Where our side of the account lives, for the portfolio service."""

    def tx(self) -> AbstractAsyncContextManager[AccountUnitOfWork]:
        """Open a unit of work: it commits on success, rolls back on any error."""
        ...

    async def book_facts(self, session_date: str) -> BookFacts:
        """Return, in one consistent read, what only our books know about the account."""
        ...


class NotificationBooks(Outbox, Protocol):
    """What operator notifications read: the outbox, an order, the day's activity."""

    async def order(self, client_order_id: str) -> StoredOrder | None:
        """Return one order by its client order id."""
        ...

    async def activity_since(self, since: datetime) -> tuple[dict[str, int], int]:
        """Return the decisions made at or after ``since`` by status, and the fill count."""
        ...


class JobCursor(Protocol):
    """Where a job keeps its progress (a cursor, the last day it ran)."""

    async def get(self, name: str) -> str | None:
        """Return a stored value, None when unset."""
        ...

    async def put(self, name: str, value: str, now: datetime) -> None:
        """Store a value."""
        ...
