"""What leader-run jobs have done, written only while the writer provably leads.

On PostgreSQL every write carries the writer's fencing token and succeeds only while that
token's lease is held and unexpired (by the database clock): a deposed leader that has not
noticed yet cannot move a cursor back or forward. On SQLite the leader is the holder of
the file lock, so writes are plain.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from swingdesk.store import tables
from swingdesk.store.leadership import Leadership
from swingdesk.store.store import Store

_FENCED_PUT = text(
    "INSERT INTO job_state (name, value, token, updated_at) "
    "SELECT :name, :value, :token, clock_timestamp() WHERE EXISTS ("
    "SELECT 1 FROM leases WHERE name = :lease AND holder = :holder AND token = :token "
    "AND expires_at > clock_timestamp()) "
    "ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, token = EXCLUDED.token, "
    "updated_at = EXCLUDED.updated_at"
)


#: ``updated_at`` of values written outside a job (no clock here; the value is what counts).
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class LeaseLostError(RuntimeError):
    """A fenced write was refused: this replica no longer holds the lease."""


class JobState:
    """Small named values (cursors, dates) of leader-run jobs."""

    def __init__(self, store: Store, leadership: Leadership | None) -> None:
        self.store = store
        self.leadership = leadership

    async def get(self, name: str) -> str | None:
        """Return the value stored under ``name``, None if none."""
        async with self.store.read() as s:
            return await s.scalar(
                select(tables.JobStateRow.value).where(tables.JobStateRow.name == name)
            )

    async def put_shared(self, name: str, value: str) -> None:
        """Store a value any replica may write (a user's setting, not a job's cursor)."""
        async with self.store.tx() as tx:
            row = await tx.session.get(tables.JobStateRow, name)
            if row is None:
                tx.session.add(
                    tables.JobStateRow(name=name, value=value, token=0, updated_at=_EPOCH)
                )
            else:
                row.value = value

    async def put(self, name: str, value: str, now: datetime) -> None:
        """Store ``value`` under ``name``; raise LeaseLostError when fenced out."""
        lead = self.leadership
        async with self.store.tx() as tx:
            if tx.session.bind is not None and tx.session.bind.dialect.name == "postgresql":
                if lead is None or lead.token is None:
                    raise LeaseLostError("no lease held")
                result = await tx.session.execute(
                    _FENCED_PUT,
                    {
                        "name": name,
                        "value": value,
                        "token": lead.token,
                        "lease": lead.name,
                        "holder": lead.replica_id,
                    },
                )
                if not getattr(result, "rowcount", 0):
                    raise LeaseLostError(f"{name}: the lease is no longer ours")
                return
            stmt = sqlite_insert(tables.JobStateRow).values(
                name=name, value=value, token=0, updated_at=now
            )
            await tx.session.execute(
                stmt.on_conflict_do_update(
                    index_elements=[tables.JobStateRow.name],
                    set_={"value": stmt.excluded.value, "updated_at": stmt.excluded.updated_at},
                )
            )
