"""What a desk has booked, read the same way from a ``MemoryStore`` (its attributes) and from
a SQL ``Store`` (its tables), so one assertion holds on every unit-of-work backend."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from swingdesk.store import tables as t
from swingdesk.store.audit import canonical_json
from swingdesk.store.memory.store import MemoryStore, MemoryUnitOfWork
from swingdesk.store.store import Store, Tx


@dataclass(frozen=True)
class JournalEntry:
    """One journal (audit) entry: its kind and its payload, as stored (JSON round trip)."""

    kind: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class StateChange:
    """One stored change of trading state."""

    previous: str
    current: str
    reason: str
    actor: str


@dataclass(frozen=True)
class DecisionView:
    """A stored decision's outcome."""

    status: str
    failed_stage: str | None
    error_code: str | None


_TABLES: dict[str, type[t.Base]] = {
    "decisions": t.DecisionRow,
    "snapshots": t.SnapshotRow,
    "signals": t.SignalRow,
    "verdicts": t.RiskVerdictRow,
    "risk_checks": t.RiskCheckRow,
    "orders": t.OrderRow,
    "fills": t.FillRow,
    "journal": t.AuditRow,
}


class SqlBooks:
    """Reads a SQL store's tables."""

    #: The unit of work class (tests inject faults into its methods).
    unit_type: type[Any] = Tx

    def __init__(self, store: Store) -> None:
        self.store = store

    async def count(self, what: str) -> int:
        """Return how many of ``what`` (a key of ``_TABLES``) are stored."""
        async with self.store.read() as s:
            return int(await s.scalar(select(func.count()).select_from(_TABLES[what])) or 0)

    async def orders(self) -> list[Any]:
        """Return the stored orders, by type."""
        async with self.store.read() as s:
            return list((await s.scalars(select(t.OrderRow).order_by(t.OrderRow.type))).all())

    async def fill_qtys(self, side: str) -> list[Decimal]:
        """Return the quantities of the stored fills on ``side``."""
        async with self.store.read() as s:
            rows = (await s.scalars(select(t.FillRow).where(t.FillRow.side == side))).all()
        return [f.qty for f in rows]

    async def journal(self, *, limit: int = 20) -> list[JournalEntry]:
        """Return the newest ``limit`` journal entries, newest first."""
        rows = await self.store.audit_entries(limit=limit)
        return [JournalEntry(r.kind, json.loads(r.payload)) for r in rows]

    async def state_changes(self) -> list[StateChange]:
        """Return the stored changes of trading state, oldest first."""
        async with self.store.read() as s:
            rows = (
                await s.scalars(select(t.TradingStateRow).order_by(t.TradingStateRow.seq))
            ).all()
        return [StateChange(r.previous, r.current, r.reason, r.actor) for r in rows]

    async def decision(self, decision_id: str) -> DecisionView | None:
        """Return a stored decision's outcome."""
        row = await self.store.decision(decision_id)
        return None if row is None else DecisionView(row.status, row.failed_stage, row.error_code)

    async def journal_intact(self) -> bool:
        """Return whether the journal's hash chain verifies."""
        return (await self.store.verify_audit()).ok

    async def written(self, unit: Any) -> None:
        """Send a unit's pending writes to the database (as a dying process would have)."""
        await unit.session.flush()


class MemoryBooks:
    """Reads a memory store's committed attributes."""

    unit_type: type[Any] = MemoryUnitOfWork

    def __init__(self, store: MemoryStore) -> None:
        self.store = store

    async def count(self, what: str) -> int:
        """Return how many of ``what`` (a key of ``_TABLES``) are stored."""
        s, stages = self.store, self.store.stages
        counts = {
            "decisions": lambda: len(s.decisions),
            "snapshots": lambda: len(stages.snapshots),
            "signals": lambda: len(stages.signals),
            "verdicts": lambda: len(stages.verdicts),
            "risk_checks": lambda: sum(len(v.checks) for v in stages.verdicts.values()),
            "orders": lambda: len(s.book.orders),
            "fills": lambda: len(s.book.fills),
            "journal": lambda: len(s.journal),
        }
        return counts[what]()

    async def orders(self) -> list[Any]:
        """Return the stored orders, by type."""
        return sorted(self.store.book.orders.values(), key=lambda o: o.type)

    async def fill_qtys(self, side: str) -> list[Decimal]:
        """Return the quantities of the stored fills on ``side``."""
        return [f.qty for f in self.store.book.fills.values() if f.side.value == side]

    async def journal(self, *, limit: int = 20) -> list[JournalEntry]:
        """Return the newest ``limit`` journal entries, newest first."""
        newest = list(reversed(self.store.journal))[:limit]
        return [JournalEntry(e["kind"], json.loads(canonical_json(e["payload"]))) for e in newest]

    async def state_changes(self) -> list[StateChange]:
        """Return the stored changes of trading state, oldest first."""
        return [
            StateChange(c.previous.value, c.current.value, c.reason, c.actor)
            for c in self.store.changes
        ]

    async def decision(self, decision_id: str) -> DecisionView | None:
        """Return a stored decision's outcome."""
        record = next((r for k, r in self.store.decisions.items() if str(k) == decision_id), None)
        if record is None:
            return None
        return DecisionView(record.status.value, record.failed_stage, record.error_code)

    async def journal_intact(self) -> bool:
        """Return whether every journal entry reached the outbox (the memory store keeps
        no hash chain: its journal is never written anywhere it could be edited)."""
        head, _ = await self.store.outbox_head()
        audited = [m for m in await self.store.outbox_after(0, limit=head) if m.topic == "audit"]
        return [m.payload["kind"] for m in audited] == [e["kind"] for e in self.store.journal]

    async def written(self, unit: Any) -> None:
        """Nothing to send: a memory unit's writes are staged as they are made."""


Books = SqlBooks | MemoryBooks


def books_of(store: Store | MemoryStore) -> Books:
    """Return the inspection of ``store``."""
    return MemoryBooks(store) if isinstance(store, MemoryStore) else SqlBooks(store)
