"""The unit-of-work port in memory (``swingdesk.unit_of_work``), the second implementation
beside the SQLAlchemy ``Store``: ``MemoryStore`` is a ``TradingStateStore``, an
``AccountStore``, an ``Outbox``, a ``DecisionStore``, a ``PipelineStore`` and, with
``orders`` and ``order_writes``, the ``ExecutionBooks`` (orders, fills, positions) and the
``ReconcilerBooks``: everything a desk's decision pipeline, execution and reconciliation
ask of persistence. The pipeline backtest runs on it (nothing to write to disk), and the
service suites run on it beside SQLite and PostgreSQL.

Writers are serialised by one lock held for the whole unit (what ``lock_head`` does on a
database); staged changes and the events and journal entries recorded meanwhile become
visible, and are published, only when the unit ends without an error. It keeps no audit
hash chain and no read views (the API's dashboards need a database).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from itertools import chain
from typing import Any, Protocol
from uuid import UUID

from swingdesk.domain.enums import DecisionStatus, TradingState
from swingdesk.domain.events import (
    Event,
    RiskApproved,
    RiskRejected,
    SignalCreated,
    TradingStateChanged,
)
from swingdesk.domain.market import MarketSnapshot
from swingdesk.store.memory.order_writes import MemoryOrderWrites
from swingdesk.store.memory.orders import MemoryOrderReads, OrderBook
from swingdesk.unit_of_work import BookFacts, DecisionStages, OutboxMessage

log = logging.getLogger(__name__)


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


@dataclass
class DecisionStageBook:
    """The stages of decisions: the snapshots they used, their signals and verdicts."""

    snapshots: list[tuple[UUID | None, MarketSnapshot, datetime]] = field(default_factory=list)
    signals: dict[UUID, SignalCreated] = field(default_factory=dict)
    verdicts: dict[UUID, RiskApproved | RiskRejected] = field(default_factory=dict)

    def commit(self, staged: DecisionStageBook, *, snapshots: bool = True) -> None:
        """Take a unit's staged stages (its snapshots too, unless told not to)."""
        if snapshots:
            self.snapshots.extend(staged.snapshots)
        self.signals.update(staged.signals)
        self.verdicts.update(staged.verdicts)

    def forget(self, decision_id: UUID) -> None:
        """Drop a concluded decision's signal and verdict."""
        self.signals.pop(decision_id, None)
        self.verdicts.pop(decision_id, None)


class MemoryUnitOfWork(MemoryOrderWrites):
    """One unit over the in-memory books: staged until its commit."""

    def __init__(self, books: MemoryStore) -> None:
        self._books = books
        self.committed, self.staged = books.book, OrderBook()
        self.changes: list[TradingStateChanged] = []
        self.marks: list[AccountMark] = []
        self.decisions: dict[UUID, DecisionRecord] = {}
        self.stages = DecisionStageBook()
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
        changes = self.changes or self._books.changes
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
        """Return which stages a decision has stored (to settle an interrupted one)."""
        signal = self.stages.signals.get(decision_id) or self._books.stages.signals.get(decision_id)
        verdict = self.stages.verdicts.get(decision_id) or self._books.stages.verdicts.get(
            decision_id
        )
        key = str(decision_id)
        orders = chain(self.staged.orders.values(), self.committed.orders.values())
        return DecisionStages(
            None if signal is None else signal.action,
            None if verdict is None else isinstance(verdict, RiskApproved),
            any(o.decision_id == key and o.parent_client_order_id is None for o in orders),
        )

    async def add_snapshot(
        self, decision_id: UUID | None, snap: MarketSnapshot, now: datetime
    ) -> None:
        """Stage the market snapshot a decision used."""
        self.stages.snapshots.append((decision_id, snap, now))

    async def add_signal(self, sig: SignalCreated) -> None:
        """Stage the analyst's signal."""
        self.stages.signals[sig.decision_id] = sig

    async def add_verdict(self, verdict: RiskApproved | RiskRejected) -> None:
        """Stage a risk verdict with every check it evaluated."""
        self.stages.verdicts[verdict.decision_id] = verdict

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


class MemoryStore(MemoryOrderReads):
    """The committed books in memory, and what was published after each commit."""

    def __init__(self, *, history: bool = True) -> None:
        #: Whether to keep what nothing on the desk reads back: the snapshots, the signals
        #: and verdicts of concluded decisions, the journal and the outbox. A replay keeps its
        #: own record and runs without (its memory then grows by a decision's record and its
        #: orders, not by every snapshot and prompt).
        self.history = history
        self.changes: list[TradingStateChanged] = []
        self.marks: list[AccountMark] = []
        self._first_marks: dict[str, AccountMark] = {}
        self.book = OrderBook()
        self.decisions: dict[UUID, DecisionRecord] = {}
        self._pending: dict[UUID, None] = {}  # the decisions still pending, oldest first
        self.stages = DecisionStageBook()
        self._spend: list[tuple[datetime, Decimal]] = []  # the signals that cost something
        self.journal: list[dict[str, Any]] = []
        #: The outbox, in commit order: each event or journal entry, serialised when read.
        self._outbox: list[tuple[str, Event | dict[str, Any]]] = []
        self.published: list[Event] = []
        self._writer = asyncio.Lock()
        self._publishers: list[Publisher] = []
        self._closers: list[Callable[[], Awaitable[None]]] = []

    def publish_to(self, publisher: Publisher) -> None:
        """Hand every commit's outbox messages to ``publisher`` after the commit (a store
        without ``history`` keeps no outbox, so it has nothing to publish)."""
        self._publishers.append(publisher)

    def closing(self, close: Callable[[], Awaitable[None]]) -> None:
        """Call ``close`` when the store closes."""
        self._closers.append(close)

    async def close(self) -> None:
        """Run what was registered with ``closing`` (there is no connection to release)."""
        for close in self._closers:
            await close()

    async def ping(self) -> None:
        """Answer at once: memory is always reachable."""

    @asynccontextmanager
    async def tx(self) -> AsyncIterator[MemoryUnitOfWork]:
        """Open a unit: commit its staged changes on success, drop them on any error."""
        async with self._writer:
            unit = MemoryUnitOfWork(self)
            yield unit
            first = len(self._outbox)
            self._commit(unit)
        if self.history:
            self.published.extend(unit.events)  # after the commit, never before
        if self._publishers and len(self._outbox) > first:
            messages = self._messages(first, len(self._outbox))
            for publisher in self._publishers:
                try:
                    await publisher.committed(messages)
                except Exception:
                    # Committed is committed: the relay's catch-up delivers what this missed.
                    log.exception("publishing committed messages failed")

    def _commit(self, unit: MemoryUnitOfWork) -> None:
        self.changes.extend(unit.changes)
        for mark in unit.marks:
            self.marks.append(mark)
            self._first_marks.setdefault(mark.session_date, mark)
        self.decisions.update(unit.decisions)
        for decision_id, record in unit.decisions.items():
            if record.status is DecisionStatus.PENDING:
                self._pending[decision_id] = None
            else:
                self._pending.pop(decision_id, None)
        self._spend.extend(
            (s.ts_event, s.cost_usd) for s in unit.stages.signals.values() if s.cost_usd
        )
        self.book.commit(unit.staged)
        if not self.history:
            # Only what settling a still pending decision reads (its signal and verdict).
            self.stages.commit(unit.stages, snapshots=False)
            for decision_id, record in unit.decisions.items():
                if record.status is not DecisionStatus.PENDING:
                    self.stages.forget(decision_id)
            return
        self.stages.commit(unit.stages)
        self.journal.extend(unit.journal)
        # As the store writes its outbox: the events first, then the journal entries.
        self._outbox.extend((_topic(e), e) for e in unit.events)
        self._outbox.extend(("audit", entry) for entry in unit.journal)

    def _messages(self, start: int, stop: int) -> list[OutboxMessage]:
        return [
            OutboxMessage(seq, topic, _payload(body), 0)
            for seq, (topic, body) in enumerate(self._outbox[start:stop], start=start + 1)
        ]

    async def trading_state(self) -> TradingState:
        """Return the committed trading state."""
        return self.changes[-1].current if self.changes else TradingState.ACTIVE

    async def book_facts(self, session_date: str) -> BookFacts:
        """Return our side of the account, as the SQLAlchemy store reads it."""
        first = self._first_marks.get(session_date)
        return BookFacts(
            positions={p.ticker: p for p in await self.positions()},
            high_water_mark=self.marks[-1].high_water_mark if self.marks else None,
            start_of_day_equity=None if first is None else first.start_of_day_equity,
            trading_state=await self.trading_state(),
            last_order_at=self.last_order_at(),
        )

    async def last_state_change(self) -> TradingStateChanged | None:
        """Return the newest committed change of trading state."""
        return self.changes[-1] if self.changes else None

    async def pending_decisions(self, *, before: datetime) -> list[UUID]:
        """Return the decisions still pending that started before ``before``."""
        pending = self._pending
        return [i for i in pending if self.decisions[i].created_at < before]

    async def llm_spend_since(self, since: datetime) -> Decimal:
        """Return the summed cost of the signals stored at or after ``since``, USD."""
        return sum((cost for ts, cost in self._spend if ts >= since), Decimal(0))

    async def outbox_head(self) -> tuple[int, int]:
        """Return the newest outbox sequence number and the stream epoch (always 0)."""
        return len(self._outbox), 0

    async def outbox_after(self, seq: int, *, limit: int = 1000) -> list[OutboxMessage]:
        """Return committed outbox messages after ``seq``, oldest first."""
        return self._messages(seq, min(seq + limit, len(self._outbox)))


class Publisher(Protocol):
    """Receives the outbox messages of each committed unit, in commit order."""

    async def committed(self, messages: list[OutboxMessage]) -> None:
        """Publish messages that have just been committed."""
        ...


def _topic(event: Event) -> str:
    return str(getattr(event, "kind", type(event).__name__))


def _payload(body: Event | dict[str, Any]) -> dict[str, Any]:
    if isinstance(body, dict):
        return {key: str(value) for key, value in body.items()}
    return body.model_dump(mode="json")
