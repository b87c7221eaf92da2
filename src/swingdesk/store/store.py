"""The Store: hands out units of work and answers the reads the desk needs."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from contextlib import asynccontextmanager
from datetime import datetime
from decimal import Decimal
from itertools import groupby
from operator import itemgetter
from typing import TYPE_CHECKING, Protocol
from uuid import UUID

from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from swingdesk.domain.enums import (
    TERMINAL_STATUSES,
    OrderSide,
    OrderType,
    TradingState,
)
from swingdesk.risk.stages import stopping_codes
from swingdesk.store import tables
from swingdesk.store.audit import GENESIS_HASH, AuditVerification, entry_hash
from swingdesk.store.engine import WRITE, DatabaseTimeouts, make_engine
from swingdesk.store.faults import DatabaseHealth
from swingdesk.store.queries import activity_since, book_facts, current_state, positions
from swingdesk.store.read_models import ReadModels
from swingdesk.store.unit_of_work import Tx
from swingdesk.unit_of_work import BookFacts, OutboxMessage

if TYPE_CHECKING:
    from swingdesk.store.decision_record import DecisionRows

__all__ = ["BookFacts", "OutboxMessage", "Publisher", "Store", "Tx"]
log = logging.getLogger(__name__)


class Publisher(Protocol):
    """Receives the outbox messages of each committed transaction, in commit order."""

    async def committed(self, messages: list[OutboxMessage]) -> None:
        """Publish messages that have just been committed."""
        ...


class Store:
    """Owns the engine; hands out units of work and read sessions."""

    def __init__(self, engine: AsyncEngine, health: DatabaseHealth | None = None) -> None:
        self.engine = engine
        self.health = health or DatabaseHealth()
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._publishers: list[Publisher] = []
        self._closers: list[Callable[[], Awaitable[None]]] = []
        self.views = ReadModels(self)  # the read port (unit_of_work.ReadViews)

    def publish_to(self, publisher: Publisher) -> None:
        """Hand every committed transaction's outbox messages to ``publisher``, in order."""
        self._publishers.append(publisher)

    @classmethod
    def from_url(cls, url: str, *, timeouts: DatabaseTimeouts | None = None) -> Store:
        """Create a Store for an async database URL, every wait bounded by ``timeouts``."""
        health = DatabaseHealth()
        return cls(make_engine(url, timeouts=timeouts, health=health), health)

    def closing(self, close: Callable[[], Awaitable[None]]) -> None:
        """Run ``close`` when the store closes (what holds connections of its own)."""
        self._closers.append(close)

    async def close(self) -> None:
        """Release every connection."""
        for close in self._closers:
            await close()
        await self.engine.dispose()

    @asynccontextmanager
    async def tx(self) -> AsyncIterator[Tx]:
        """Open a write transaction; it commits on success and rolls back on any error.

        The events it recorded and its audit entries are written to the outbox inside the
        transaction and handed to the publishers only after the commit.
        """
        async with self.sessions() as session:
            connection = await session.connection(execution_options={WRITE: True})
            try:
                tx = Tx(session, connection)
                yield tx
                messages = await tx.write_outbox()
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
        for publisher in self._publishers if messages else ():
            try:
                await publisher.committed(messages)
            except Exception:
                # Committed is committed: the relay's catch-up delivers what this missed.
                log.exception("publishing committed messages failed")

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """Open a read-only session."""
        async with self.sessions() as session:
            yield session

    @asynccontextmanager
    async def read_columns(self) -> AsyncIterator[AsyncConnection]:
        """Open a read-only connection for plain column reads: its statements share one
        transaction (one consistent view) without the cost of an ORM session."""
        async with self.engine.connect() as conn:
            yield conn

    async def ping(self) -> None:
        """Raise if the database cannot be reached."""
        async with self.read() as s:
            await s.execute(text("SELECT 1"))

    async def trading_state(self) -> TradingState:
        """Return the current trading state (ACTIVE until something changed it)."""
        async with self.read() as s:
            return await current_state(s)

    async def positions(self) -> list[tables.PositionRow]:
        """Return our book's open positions."""
        async with self.read() as s:
            return await positions(s)

    async def book_facts(self, session_date: str) -> BookFacts:
        """Return, in one consistent read, what only our books know about the account."""
        async with self.read_columns() as conn:
            return await book_facts(conn, session_date)

    async def decision_record(self, decision_id: str) -> DecisionRows | None:
        """Return the stored rows of decision ``decision_id`` (a canonical UUID), or None."""
        from swingdesk.store.decision_record import load_decision

        return await load_decision(self, decision_id)

    async def equity_history(self, *, limit: int) -> list[tables.AccountSnapshotRow]:
        """Return the newest ``limit`` account snapshots, oldest first (for equity curves)."""
        async with self.read() as s:
            q = (
                select(tables.AccountSnapshotRow)
                .order_by(tables.AccountSnapshotRow.snapshot_id.desc())
                .limit(limit)
            )
            return list(reversed((await s.scalars(q)).all()))

    async def denials_since(self, since: datetime) -> dict[str, int]:
        """Count the risk denials made at or after ``since`` by code, each under the failed
        checks of its first failing stage (``risk.stages``), as a backtest counts them."""
        async with self.read() as s:
            q = (
                select(tables.RiskCheckRow.verdict_id, tables.RiskCheckRow.code)
                .join(
                    tables.RiskVerdictRow,
                    tables.RiskVerdictRow.event_id == tables.RiskCheckRow.verdict_id,
                )
                .where(
                    tables.RiskVerdictRow.approved.is_(False),
                    tables.RiskVerdictRow.ts_event >= since,
                    tables.RiskCheckRow.passed.is_(False),
                )
                .order_by(tables.RiskCheckRow.verdict_id, tables.RiskCheckRow.position)
            )
            rows = (await s.execute(q)).all()
        counts: Counter[str] = Counter()
        for _, failed in groupby(rows, key=itemgetter(0)):
            counts.update(stopping_codes(code for _, code in failed))
        return dict(sorted(counts.items()))

    async def orders(self, *, limit: int = 50) -> list[tables.OrderRow]:
        """Return the newest orders first."""
        async with self.read() as s:
            q = select(tables.OrderRow).order_by(tables.OrderRow.created_at.desc()).limit(limit)
            return list((await s.scalars(q)).all())

    async def activity_since(self, since: datetime) -> tuple[dict[str, int], int]:
        """Return the decisions made at or after ``since`` by status, and the fill count."""
        async with self.read() as s:
            return await activity_since(s, since)

    async def order(self, client_order_id: str) -> tables.OrderRow | None:
        """Return one order by its client order id."""
        async with self.read() as s:
            return await s.get(tables.OrderRow, client_order_id)

    async def open_orders(self) -> list[tables.OrderRow]:
        """Return every order our books do not consider finished."""
        terminal = [st.value for st in TERMINAL_STATUSES]
        async with self.read() as s:
            q = select(tables.OrderRow).where(tables.OrderRow.status.not_in(terminal))
            return list((await s.scalars(q)).all())

    async def known_order_ids(self, client_order_ids: Collection[str]) -> set[str]:
        """Return which of these client order ids our books hold."""
        ids, found = list(client_order_ids), set[str]()
        async with self.read() as s:
            for i in range(0, len(ids), 500):
                q = select(tables.OrderRow.client_order_id).where(
                    tables.OrderRow.client_order_id.in_(ids[i : i + 500])
                )
                found.update((await s.scalars(q)).all())
        return found

    async def open_stop_orders(self, ticker: str | None) -> list[tables.OrderRow]:
        """Return the working sell stops in ``ticker`` (every ticker for None)."""
        terminal = [st.value for st in TERMINAL_STATUSES]
        async with self.read() as s:
            q = select(tables.OrderRow).where(
                tables.OrderRow.side == OrderSide.SELL.value,
                tables.OrderRow.type.in_([OrderType.STOP.value, OrderType.TRAILING_STOP.value]),
                tables.OrderRow.status.not_in(terminal),
            )
            if ticker is not None:
                q = q.where(tables.OrderRow.ticker == ticker)
            return list((await s.scalars(q)).all())

    async def entries_without_legs(self, *, limit: int = 200) -> list[str]:
        """Return our newest entries with a stop whose leg we have not stored (yet)."""
        leg = aliased(tables.OrderRow)
        async with self.read() as s:
            q = (
                select(tables.OrderRow.client_order_id)
                .where(
                    tables.OrderRow.external.is_(False),
                    tables.OrderRow.side == OrderSide.BUY.value,
                    tables.OrderRow.stop_price.is_not(None),
                    ~select(leg.client_order_id)
                    .where(leg.parent_client_order_id == tables.OrderRow.client_order_id)
                    .exists(),
                )
                .order_by(tables.OrderRow.created_at.desc())
                .limit(limit)
            )
            return list((await s.scalars(q)).all())

    async def last_state_change(self) -> tables.TradingStateRow | None:
        """Return the newest trading-state change."""
        async with self.read() as s:
            return await s.scalar(
                select(tables.TradingStateRow).order_by(tables.TradingStateRow.seq.desc()).limit(1)
            )

    async def opening_decision(self, ticker: str) -> str | None:
        """Return the decision of our newest entry order in ``ticker`` (None if none)."""
        async with self.read() as s:
            return await s.scalar(
                select(tables.OrderRow.decision_id)
                .where(
                    tables.OrderRow.ticker == ticker,
                    tables.OrderRow.intent == "BUY_TO_OPEN",
                    tables.OrderRow.external.is_(False),
                    tables.OrderRow.decision_id.is_not(None),
                )
                .order_by(tables.OrderRow.created_at.desc())
                .limit(1)
            )

    async def pending_decisions(self, *, before: datetime) -> list[UUID]:
        """Return the decisions still pending that started before ``before``."""
        async with self.read() as s:
            q = select(tables.DecisionRow.decision_id).where(
                tables.DecisionRow.status == "pending", tables.DecisionRow.created_at < before
            )
            return [UUID(d) for d in (await s.scalars(q)).all()]

    async def decision(self, decision_id: str) -> tables.DecisionRow | None:
        """Return one decision row."""
        async with self.read() as s:
            return await s.get(tables.DecisionRow, decision_id)

    async def llm_spend_since(self, since: datetime) -> Decimal:
        """Return the summed cost of the signals stored at or after ``since``, USD."""
        async with self.read() as s:
            # Summed in Python: SQLite keeps money as text and its SUM would go through float.
            costs = await s.scalars(
                select(tables.SignalRow.cost_usd).where(tables.SignalRow.ts_event >= since)
            )
            return sum(costs.all(), Decimal(0))

    async def audit_entries(
        self, *, limit: int = 20, before_seq: int | None = None
    ) -> list[tables.AuditRow]:
        """Return audit entries, newest first."""
        async with self.read() as s:
            q = select(tables.AuditRow).order_by(tables.AuditRow.seq.desc()).limit(limit)
            if before_seq is not None:
                q = q.where(tables.AuditRow.seq < before_seq)
            return list((await s.scalars(q)).all())

    async def verify_audit(self, *, batch: int = 5000) -> AuditVerification:
        """Recompute the whole hash chain and report every edited or missing entry."""
        report = AuditVerification()
        prev_hash, expected_seq = GENESIS_HASH, 1
        async with self.read() as s:
            stream = await s.stream_scalars(
                select(tables.AuditRow)
                .order_by(tables.AuditRow.seq)
                .execution_options(yield_per=batch)
            )
            async for row in stream:
                report.entries += 1
                if row.seq != expected_seq:
                    report.problems.append(
                        f"entries {expected_seq}..{row.seq - 1} are missing (deleted)"
                    )
                if row.prev_hash != prev_hash:
                    report.problems.append(f"entry {row.seq}: link to the previous entry broken")
                digest = entry_hash(
                    prev_hash=row.prev_hash,
                    seq=row.seq,
                    entry_id=row.entry_id,
                    ts=row.ts,
                    kind=row.kind,
                    decision_id=row.decision_id,
                    actor=row.actor,
                    message=row.message,
                    payload=row.payload,
                )
                if digest != row.hash:
                    report.problems.append(f"entry {row.seq}: content was edited (hash mismatch)")
                prev_hash, expected_seq = row.hash, row.seq + 1
            head = await s.get(tables.AuditHeadRow, 1)
        last_seq = expected_seq - 1
        if head is not None and (head.seq != last_seq or head.hash != prev_hash):
            report.problems.append(
                f"the chain head says entry {head.seq} is last but the log ends at {last_seq} "
                "(entries deleted from the end)"
            )
        if head is None and report.entries:
            report.problems.append("the chain head is missing")
        return report

    async def outbox_head(self) -> tuple[int, int]:
        """Return the newest outbox sequence number and the database's stream epoch."""
        async with self.read() as s:
            head = await s.get(tables.AuditHeadRow, 1)
        return (head.outbox_seq or 0, head.epoch or 0) if head is not None else (0, 0)

    async def outbox_after(self, seq: int, *, limit: int = 1000) -> list[OutboxMessage]:
        """Return committed outbox messages after ``seq``, oldest first."""
        async with self.read() as s:
            epoch = await s.scalar(
                select(tables.AuditHeadRow.epoch).where(tables.AuditHeadRow.id == 1)
            )
            rows = await s.scalars(
                select(tables.OutboxRow)
                .where(tables.OutboxRow.seq > seq)
                .order_by(tables.OutboxRow.seq)
                .limit(limit)
            )
            return [
                OutboxMessage(r.seq, r.topic, json.loads(r.payload), epoch or 0) for r in rows.all()
            ]

    async def outbox_oldest(self) -> int | None:
        """Return the oldest sequence number still kept in the outbox."""
        async with self.read() as s:
            return await s.scalar(select(func.min(tables.OutboxRow.seq)))

    async def prune_outbox(self, *, keep: int) -> int:
        """Delete all but the newest ``keep`` outbox messages; return how many went."""
        newest, _ = await self.outbox_head()
        async with self.tx() as tx:
            result = await tx.session.execute(
                delete(tables.OutboxRow).where(tables.OutboxRow.seq <= newest - keep)
            )
            return int(getattr(result, "rowcount", 0) or 0)

    async def delete_snapshots(self) -> int:
        """Delete stored market snapshots not tied to a decision; return how many."""
        async with self.tx() as tx:
            result = await tx.session.execute(
                delete(tables.SnapshotRow).where(tables.SnapshotRow.decision_id.is_(None))
            )
            return int(getattr(result, "rowcount", 0) or 0)
