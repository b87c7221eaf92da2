"""The unit-of-work port: what the services and execution may ask of persistence.

A unit of work commits whole or not at all; the domain events and journal entries it
records are published only after its commit, so a failed unit publishes nothing. It grows
one repository at a time: so far the trading state (``TradingControl``), the account marks
(``PortfolioService``), the outbox the relays read (``OutboxRelay``), decisions as far as
settling interrupted ones needs (``settle_interrupted``) and the orders the stop keeper
reads. Implementations: the SQLAlchemy ``store.Store`` (SQLite and PostgreSQL) and, in the
tests, ``tests/fakes/memory_uow.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol
from uuid import UUID

from swingdesk.domain.enums import Action, DecisionStatus, TradingState
from swingdesk.domain.events import Event, TradingStateChanged


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


class StoredPosition(Protocol):
    """What our books keep about a position beyond the broker's figures."""

    @property
    def sector(self) -> str | None:
        """Return the sector recorded when the position was opened."""
        ...

    @property
    def stop_price(self) -> Decimal | None:
        """Return the protective stop price our books hold for it."""
        ...


@dataclass(frozen=True, slots=True)
class DecisionStages:
    """Which stages of a decision are stored."""

    signal_action: Action | None
    verdict_approved: bool | None
    has_order: bool


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


class DecisionStore(Protocol):
    """Where decisions live, for settling interrupted ones."""

    def tx(self) -> AbstractAsyncContextManager[DecisionUnitOfWork]:
        """Open a unit of work: it commits on success, rolls back on any error."""
        ...

    async def pending_decisions(self, *, before: datetime) -> list[UUID]:
        """Return the decisions still pending that started before ``before``."""
        ...


class StoredOrder(Protocol):
    """An order as our books keep it (what the stop keeper reads of one)."""

    @property
    def client_order_id(self) -> str:
        """Return our id of the order (the idempotency and reconciliation key)."""
        ...

    @property
    def parent_client_order_id(self) -> str | None:
        """Return the entry a protective leg belongs to, if known."""
        ...

    @property
    def decision_id(self) -> str | None:
        """Return the decision that placed it (None for an external order)."""
        ...

    @property
    def ticker(self) -> str:
        """Return the ticker."""
        ...

    @property
    def side(self) -> str:
        """Return the side, as its wire value."""
        ...

    @property
    def type(self) -> str:
        """Return the order type, as its wire value."""
        ...

    @property
    def external(self) -> bool:
        """Say whether the order is not ours (tracked, never adopted)."""
        ...


@dataclass(frozen=True)
class BookFacts:
    """Our side of the account: positions, marks, trading state, last orders per ticker."""

    positions: Mapping[str, StoredPosition]
    high_water_mark: Decimal | None
    start_of_day_equity: Decimal | None
    trading_state: TradingState
    last_order_at: Mapping[str, datetime]


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
