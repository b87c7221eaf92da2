"""The unit-of-work port in memory (``swingdesk.unit_of_work``): ``MemoryBooks`` is a
``TradingStateStore``, an ``AccountStore``, an ``Outbox``, a ``DecisionStore`` and, with
``memory_orders`` and ``memory_order_writes``, the ``ExecutionBooks`` (orders, fills,
positions) and the ``ReconcilerBooks``.

Writers are serialised by one lock held for the whole unit (what ``lock_head`` does on a
database); staged changes and the events and journal entries recorded meanwhile become
visible, and are published, only when the unit ends without an error.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from tests.fakes.memory_order_writes import MemoryOrderWrites
from tests.fakes.memory_orders import MemoryOrderReads, OrderBook

from swingdesk.domain.enums import DecisionStatus, TradingState
from swingdesk.domain.events import Event, TradingStateChanged
from swingdesk.unit_of_work import BookFacts, DecisionStages, OutboxMessage


@dataclass(frozen=True)
class DecisionRecord:
    """One stored decision."""

    ticker: str
    trigger: str
    created_at: datetime
    status: DecisionStatus = DecisionStatus.PENDING
    failed_stage: str | None = None
    error_code: str | None = None
    error_message: str | None = None


@dataclass(frozen=True)
class AccountMark:
    """One stored account snapshot."""

    ts: datetime
    session_date: str
    cash: Decimal
    equity: Decimal
    buying_power: Decimal
    high_water_mark: Decimal
    start_of_day_equity: Decimal


class MemoryUnitOfWork(MemoryOrderWrites):
    """One unit over the in-memory books: staged until its commit."""

    def __init__(self, books: MemoryBooks) -> None:
        self._books = books
        self.committed, self.staged = books.book, OrderBook()
        self.changes: list[TradingStateChanged] = []
        self.marks: list[AccountMark] = []
        self.decisions: dict[UUID, DecisionRecord] = {}
        self.events: list[Event] = []
        self.journal: list[dict[str, Any]] = []

    async def lock_head(self) -> object:
        """Nothing to do: the books' lock is held for the whole unit."""
        return None

    def record(self, *events: Event) -> None:
        """Collect domain events to publish once this unit has committed."""
        self.events.extend(events)

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
        """Stage one journal entry."""
        entry = {"kind": kind, "message": message, "ts": now, "decision_id": decision_id,
                 "actor": actor, "payload": payload or {}}  # fmt: skip
        self.journal.append(entry)
        return entry

    async def trading_state(self) -> TradingState:
        """Return the state as this unit sees it (its own staged changes included)."""
        changes = [*self._books.changes, *self.changes]
        return changes[-1].current if changes else TradingState.ACTIVE

    async def record_state_change(self, ev: TradingStateChanged) -> None:
        """Stage a change of trading state."""
        self.changes.append(ev)

    async def add_decision(
        self, decision_id: UUID, ticker: str, trigger: str, now: datetime
    ) -> None:
        """Stage a new pending decision."""
        self.decisions[decision_id] = DecisionRecord(ticker, trigger, now)

    def _decision(self, decision_id: UUID) -> DecisionRecord | None:
        return self.decisions.get(decision_id) or self._books.decisions.get(decision_id)

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
        """Stage a pending decision's outcome; False if it already had one."""
        if status is DecisionStatus.PENDING:
            raise ValueError("a decision cannot be concluded as pending")
        record = self._decision(decision_id)
        if record is None:
            raise LookupError(f"decision {decision_id} is not stored")
        if record.status is not DecisionStatus.PENDING:
            return False
        self.decisions[decision_id] = replace(
            record,
            status=status,
            failed_stage=failed_stage,
            error_code=error_code,
            error_message=error_message,
        )
        return True

    async def decision_stages(self, decision_id: UUID) -> DecisionStages:
        """Return which stages a decision has stored (the stages of a test's choosing)."""
        return self._books.stages.get(decision_id, DecisionStages(None, None, False))

    async def decision_status(self, decision_id: UUID) -> DecisionStatus | None:
        """Return a decision's status as this unit sees it."""
        record = self._decision(decision_id)
        return None if record is None else record.status

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
        """Stage an account snapshot."""
        self.marks.append(
            AccountMark(
                now, session_date, cash, equity, buying_power, high_water_mark, start_of_day_equity
            )
        )


class MemoryBooks(MemoryOrderReads):
    """The committed books in memory, and what was published after each commit."""

    def __init__(self) -> None:
        self.changes: list[TradingStateChanged] = []
        self.marks: list[AccountMark] = []
        self.book = OrderBook()
        self.decisions: dict[UUID, DecisionRecord] = {}
        self.stages: dict[UUID, DecisionStages] = {}
        self.journal: list[dict[str, Any]] = []
        self.outbox: list[OutboxMessage] = []
        self.published: list[Event] = []
        self._writer = asyncio.Lock()

    @asynccontextmanager
    async def tx(self) -> AsyncIterator[MemoryUnitOfWork]:
        """Open a unit: commit its staged changes on success, drop them on any error."""
        async with self._writer:
            unit = MemoryUnitOfWork(self)
            yield unit
            self.changes.extend(unit.changes)
            self.marks.extend(unit.marks)
            self.decisions.update(unit.decisions)
            self.book.commit(unit.staged)
            self.journal.extend(unit.journal)
            # As the store writes its outbox: the events first, then the journal entries.
            bodies = [(_topic(e), e.model_dump(mode="json")) for e in unit.events]
            bodies += [("audit", {k: str(v) for k, v in entry.items()}) for entry in unit.journal]
            for topic, payload in bodies:
                self.outbox.append(OutboxMessage(len(self.outbox) + 1, topic, payload, 0))
        self.published.extend(unit.events)  # after the commit, never before

    async def trading_state(self) -> TradingState:
        """Return the committed trading state."""
        return self.changes[-1].current if self.changes else TradingState.ACTIVE

    async def book_facts(self, session_date: str) -> BookFacts:
        """Return our side of the account, as the SQLAlchemy store reads it."""
        todays = [m for m in self.marks if m.session_date == session_date]
        return BookFacts(
            positions={p.ticker: p for p in await self.positions()},
            high_water_mark=self.marks[-1].high_water_mark if self.marks else None,
            start_of_day_equity=todays[0].start_of_day_equity if todays else None,
            trading_state=await self.trading_state(),
            last_order_at=self.last_order_at(),
        )

    async def last_state_change(self) -> TradingStateChanged | None:
        """Return the newest committed change of trading state."""
        return self.changes[-1] if self.changes else None

    async def pending_decisions(self, *, before: datetime) -> list[UUID]:
        """Return the decisions still pending that started before ``before``."""
        return [
            decision_id
            for decision_id, record in self.decisions.items()
            if record.status is DecisionStatus.PENDING and record.created_at < before
        ]

    async def outbox_head(self) -> tuple[int, int]:
        """Return the newest outbox sequence number and the stream epoch (always 0)."""
        return len(self.outbox), 0

    async def outbox_after(self, seq: int, *, limit: int = 1000) -> list[OutboxMessage]:
        """Return committed outbox messages after ``seq``, oldest first."""
        return self.outbox[seq : seq + limit]


def _topic(event: Event) -> str:
    return str(getattr(event, "kind", type(event).__name__))
