"""The hash chain of the audit log: each entry commits to the one before it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

if TYPE_CHECKING:
    from swingdesk.store.tables import AuditRow

GENESIS_HASH = "0" * 64


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, UUID):
        return str(value)
    raise TypeError(f"cannot serialise {type(value).__name__} into the audit log")


def canonical_json(value: Any) -> str:
    """Serialise to the one JSON text the hash is computed over."""
    return json.dumps(value, default=_default, sort_keys=True, separators=(",", ":"))


def entry_hash(
    *,
    prev_hash: str,
    seq: int,
    entry_id: str,
    ts: datetime,
    kind: str,
    decision_id: str | None,
    actor: str,
    message: str,
    payload: str,
) -> str:
    """Return the SHA-256 that chains one entry to the previous one."""
    body = canonical_json(
        {
            "seq": seq,
            "entry_id": entry_id,
            "ts": ts.astimezone(UTC).isoformat(),
            "kind": kind,
            "decision_id": decision_id,
            "actor": actor,
            "message": message,
            "payload": payload,
        }
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


@dataclass
class AuditVerification:
    """The outcome of checking the whole chain."""

    entries: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Say whether the chain is intact."""
        return not self.problems


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
