"""Publishing stored events and audit entries on the bus."""

from __future__ import annotations

import json
from collections.abc import Iterable

from swingdesk.domain.events import Event
from swingdesk.ports import EventBus
from swingdesk.store.tables import AuditRow


def audit_payload(row: AuditRow) -> dict[str, object]:
    """Render an audit entry for the API and the stream."""
    return {
        "seq": row.seq,
        "entry_id": row.entry_id,
        "ts": row.ts.isoformat(),
        "kind": row.kind,
        "decision_id": row.decision_id,
        "actor": row.actor,
        "message": row.message,
        "payload": json.loads(row.payload),
    }


async def publish(bus: EventBus, events: Iterable[Event], audits: Iterable[AuditRow] = ()) -> None:
    """Publish events (after they are committed) and their audit entries."""
    for ev in events:
        await bus.publish(str(getattr(ev, "kind", type(ev).__name__)), ev.model_dump(mode="json"))
    for row in audits:
        await bus.publish("audit", audit_payload(row))
