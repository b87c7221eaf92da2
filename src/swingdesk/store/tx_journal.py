"""The unit of work's journal: audit entries and recorded events, to the outbox.

The journal is written with Core statements: the head is read (and locked) once, the
unit's audit entries and outbox messages go in as one multi-row insert each just before
the commit, and the head moves once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast
from uuid import UUID, uuid4

from sqlalchemy import Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from swingdesk.domain.events import Event
from swingdesk.store import tables
from swingdesk.store.audit import GENESIS_HASH, audit_payload, canonical_json, entry_hash
from swingdesk.unit_of_work import OutboxMessage


def core_table(model: type[tables.Base]) -> Table:
    """Return the table a model maps, for Core statements."""
    return cast(Table, model.__table__)


_HEAD = core_table(tables.AuditHeadRow)
_AUDIT = core_table(tables.AuditRow)
_OUTBOX = core_table(tables.OutboxRow)
_INSERT_AUDIT = insert(_AUDIT)
_INSERT_OUTBOX = insert(_OUTBOX)
_INSERT_HEAD = insert(_HEAD)
_MOVE_HEAD = update(_HEAD).where(_HEAD.c.id == 1)
_LOCK_HEAD = (
    select(_HEAD.c.seq, _HEAD.c.hash, _HEAD.c.outbox_seq, _HEAD.c.epoch)
    .where(_HEAD.c.id == 1)
    .with_for_update()
)


@dataclass
class JournalHead:
    """The journal's head as this unit of work holds it (locked until the unit ends)."""

    seq: int
    hash: str
    outbox_seq: int
    epoch: int
    #: Whether the head row exists yet (an empty database has none until its first entry).
    stored: bool
    #: The values last written (or read): the head is written back only if it moved.
    written: tuple[int, str, int] = (0, GENESIS_HASH, 0)


class JournalTx:
    """A transaction's journal: hash-chained audit entries and the events to publish."""

    def __init__(self, session: AsyncSession, connection: AsyncConnection | None = None) -> None:
        self.session = session
        # The session's connection, when the opener already holds it (saves asking again).
        self._connection = connection
        self.audited: list[tables.AuditRow] = []
        self._events: list[Event] = []
        # The journal's head, locked by the first entry of this transaction (held until
        # commit, so no other writer can move it): later entries continue from it.
        self._head: JournalHead | None = None

    async def lock_head(self) -> JournalHead:
        """Lock the journal head for the rest of the transaction (serialises writers)."""
        head = self._head
        if head is None:
            row = (await self.session.execute(_LOCK_HEAD)).first()
            if row is None:
                head = JournalHead(0, GENESIS_HASH, 0, 0, stored=False)
            else:
                seq, digest, outbox_seq = row.seq, row.hash, row.outbox_seq or 0
                head = JournalHead(seq, digest, outbox_seq, row.epoch or 0, stored=True)
                head.written = (seq, digest, outbox_seq)
            self._head = head
        return head

    async def _write_journal(self, head: JournalHead, outbox: list[dict[str, Any]]) -> None:
        """Insert this unit's audit entries and outbox messages, then move the head."""
        # Straight on the connection: journal rows reference nothing, so nothing the session
        # holds needs flushing first (the commit flushes it), and no ORM layer is crossed.
        conn = self._connection or await self.session.connection()
        if self.audited:
            await conn.execute(_INSERT_AUDIT, [_audit_values(row) for row in self.audited])
        if outbox:
            await conn.execute(_INSERT_OUTBOX, outbox)
        values = {"seq": head.seq, "hash": head.hash, "outbox_seq": head.outbox_seq}
        if not head.stored:
            await conn.execute(_INSERT_HEAD, {"id": 1, "epoch": head.epoch, **values})
        elif (head.seq, head.hash, head.outbox_seq) != head.written:
            await conn.execute(_MOVE_HEAD, values)
        head.stored, head.written = True, (head.seq, head.hash, head.outbox_seq)

    def record(self, *events: Event) -> None:
        """Collect domain events to publish once this transaction has committed."""
        self._events.extend(events)

    async def write_outbox(self) -> list[OutboxMessage]:
        """Write the recorded events, then the audit entries, to the outbox (before commit)."""
        if not self._events and not self.audited:
            return []
        head = await self.lock_head()
        messages: list[OutboxMessage] = []
        rows: list[dict[str, Any]] = []
        bodies = [(_topic(ev), ev.model_dump(mode="json"), ev.ts_event) for ev in self._events]
        bodies += [("audit", audit_payload(row), row.ts) for row in self.audited]
        seq = head.outbox_seq
        for topic, payload, ts in bodies:
            seq += 1
            rows.append({"seq": seq, "topic": topic, "payload": canonical_json(payload), "ts": ts})
            messages.append(OutboxMessage(seq, topic, payload, head.epoch))
        head.outbox_seq = seq
        await self._write_journal(head, rows)
        return messages

    async def audit(
        self,
        kind: str,
        message: str,
        *,
        now: datetime,
        decision_id: UUID | None = None,
        actor: str = "system",
        payload: dict[str, Any] | None = None,
    ) -> tables.AuditRow:
        """Append one entry to the hash-chained journal (written with the outbox)."""
        head = await self.lock_head()
        seq = head.seq + 1
        entry_id = str(uuid4())
        body = canonical_json(payload or {})
        decision_key = str(decision_id) if decision_id else None
        digest = entry_hash(
            prev_hash=head.hash,
            seq=seq,
            entry_id=entry_id,
            ts=now,
            kind=kind,
            decision_id=decision_key,
            actor=actor,
            message=message,
            payload=body,
        )
        row = tables.AuditRow(
            seq=seq,
            entry_id=entry_id,
            ts=now,
            kind=kind,
            decision_id=decision_key,
            actor=actor,
            message=message,
            payload=body,
            prev_hash=head.hash,
            hash=digest,
        )
        head.seq, head.hash = seq, digest
        self.audited.append(row)
        return row


def _audit_values(row: tables.AuditRow) -> dict[str, Any]:
    return {
        "seq": row.seq,
        "entry_id": row.entry_id,
        "ts": row.ts,
        "kind": row.kind,
        "decision_id": row.decision_id,
        "actor": row.actor,
        "message": row.message,
        "payload": row.payload,
        "prev_hash": row.prev_hash,
        "hash": row.hash,
    }


def _topic(event: Event) -> str:
    return str(getattr(event, "kind", type(event).__name__))
