"""The unit of work's journal: audit entries and recorded events, to the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy.ext.asyncio import AsyncSession

from swingdesk.domain.events import Event
from swingdesk.store import tables
from swingdesk.store.audit import GENESIS_HASH, audit_payload, canonical_json, entry_hash
from swingdesk.unit_of_work import OutboxMessage


class JournalTx:
    """A transaction's journal: hash-chained audit entries and the events to publish."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.audited: list[tables.AuditRow] = []
        self._events: list[Event] = []
        # The journal's head, locked by the first entry of this transaction (held until
        # commit, so no other writer can move it): later entries continue from it.
        self._head: tables.AuditHeadRow | None = None

    async def lock_head(self) -> tables.AuditHeadRow:
        """Lock the journal head for the rest of the transaction (serialises writers)."""
        head = self._head
        if head is None:
            head = await self.session.get(tables.AuditHeadRow, 1, with_for_update=True)
            if head is None:
                head = tables.AuditHeadRow(id=1, seq=0, hash=GENESIS_HASH, outbox_seq=0, epoch=0)
                self.session.add(head)
            self._head = head
        return head

    def record(self, *events: Event) -> None:
        """Collect domain events to publish once this transaction has committed."""
        self._events.extend(events)

    async def write_outbox(self) -> list[OutboxMessage]:
        """Write the recorded events, then the audit entries, to the outbox (before commit)."""
        if not self._events and not self.audited:
            return []
        head = await self.lock_head()
        messages: list[OutboxMessage] = []
        bodies = [(_topic(ev), ev.model_dump(mode="json"), ev.ts_event) for ev in self._events]
        bodies += [("audit", audit_payload(row), row.ts) for row in self.audited]
        seq = head.outbox_seq or 0
        for topic, payload, ts in bodies:
            seq += 1
            self.session.add(
                tables.OutboxRow(seq=seq, topic=topic, payload=canonical_json(payload), ts=ts)
            )
            messages.append(OutboxMessage(seq, topic, payload, head.epoch or 0))
        head.outbox_seq = seq
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
        """Append one entry to the hash-chained journal."""
        s = self.session
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
        s.add(row)
        head.seq, head.hash = seq, digest
        self.audited.append(row)
        return row


def _topic(event: Event) -> str:
    return str(getattr(event, "kind", type(event).__name__))
