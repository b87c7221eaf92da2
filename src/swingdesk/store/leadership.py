"""The leader lease: one replica runs the jobs that must run once, and can prove it.

Several `serve` replicas share one database; scans, reconciliation, equity marks, stop
ticks, the relay to Redis, notifications and pruning must run on exactly one of them.

- PostgreSQL: a lease **row** (``leases``) with a fencing token and an expiry computed by
  the database's clock. The leader renews it every ``renew_s``; another replica takes it
  only once it has expired, and the token then grows. An advisory lock alone would not do:
  the server releases it the instant the connection drops, possibly before the old leader
  notices, so two leaders could overlap. Here the leader measures its own deadline from
  the moment it *sent* a successful renewal (the database's expiry is at least ``ttl_s``
  later) and stops leading ``margin_s`` before that deadline if it could not renew: its
  jobs are stopped before anyone else may start them.
- SQLite (one machine): an exclusive ``flock`` on ``<database>.leader``; the kernel frees it
  when the process dies. In-memory SQLite: the process simply leads.

``Leadership.is_leader`` is the gate every leader-only job checks; listeners hear of every
change (the autopilot cancels running leader jobs on demotion).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import NullPool, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from swingdesk.ports import Clock

log = logging.getLogger(__name__)
LEADER = "leader"
_ACQUIRE = text(
    "INSERT INTO leases (name, holder, token, expires_at, acquired_at) "
    "VALUES (:name, :holder, 1, clock_timestamp() + make_interval(secs => :ttl), "
    "clock_timestamp()) "
    "ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, token = leases.token + 1, "
    "expires_at = EXCLUDED.expires_at, acquired_at = EXCLUDED.acquired_at "
    "WHERE leases.expires_at < clock_timestamp() "
    "RETURNING token"
)
_RENEW = text(
    "UPDATE leases SET expires_at = clock_timestamp() + make_interval(secs => :ttl) "
    "WHERE name = :name AND holder = :holder AND token = :token "
    "AND expires_at > clock_timestamp() RETURNING token"
)
_RELEASE = text(
    "UPDATE leases SET expires_at = clock_timestamp() "
    "WHERE name = :name AND holder = :holder AND token = :token"
)
_HOLDER = text(
    "SELECT holder, token, extract(epoch FROM expires_at - clock_timestamp()) "
    "FROM leases WHERE name = :name"
)
Listener = Callable[[bool], None]


def default_replica_id() -> str:
    """Return ``<host>-<pid>``: unique among live processes, readable in logs."""
    return f"{os.uname().nodename}-{os.getpid()}"


class Leadership:
    """Acquires, renews and gives up the leader lease in a background task."""

    def __init__(
        self,
        engine: AsyncEngine | None,
        *,
        replica_id: str,
        ttl_s: float = 10.0,
        renew_s: float = 3.0,
        margin_s: float = 2.0,
        name: str = LEADER,
        clock: Clock | None = None,
    ) -> None:
        if not 0 < renew_s < ttl_s - margin_s:
            raise ValueError("renew_s must be positive and below ttl_s - margin_s")
        self.replica_id = replica_id
        self.clock = clock
        self.ttl_s, self.renew_s, self.margin_s = ttl_s, renew_s, margin_s
        self.name = name
        self._engine = engine
        self._lock_file = _leader_file(engine)
        self._pg: AsyncEngine | None = None
        self._conn: AsyncConnection | None = None
        self._fd: int | None = None
        self._task: asyncio.Task[None] | None = None
        self._listeners: list[Listener] = []
        self._leading = False
        #: Monotonic instant after which this replica must no longer act as leader.
        self._deadline = 0.0
        self.token: int | None = None
        self.since: datetime | None = None
        self.changes = 0
        self.last_error: str | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._abandoned: set[asyncio.Task[Any]] = set()

    @property
    def scope(self) -> str:
        """Say how the lease is held: "postgres", "sqlite-file" or "process"."""
        if self._engine is not None and self._engine.dialect.name == "postgresql":
            return "postgres"
        return "sqlite-file" if self._lock_file is not None else "process"

    @property
    def is_leader(self) -> bool:
        """Say whether this replica leads now (its lease provably not expired)."""
        return self._leading and time.monotonic() < self._deadline

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(leading)`` on every change (synchronously; must not block)."""
        self._listeners.append(listener)

    def start(self) -> None:
        """Begin trying to lead (idempotent)."""
        if self._task is None:
            if self.scope != "postgres":
                self._file_step()  # no waiting: one process on SQLite leads from the start
            self._task = asyncio.create_task(self._run(), name="leadership")

    async def stop(self) -> None:
        """Stop leading and give the lease back, so a successor need not wait for it."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        was = self._leading
        if self._timer is not None:
            self._timer.cancel()
        self._set(False, "stopping")
        if was and self.scope == "postgres" and self.token is not None:
            with contextlib.suppress(Exception):
                await self._bounded(_RELEASE, self._params(token=self.token), 1.0)
        await self._drop_connection()
        for task in list(self._abandoned):
            task.cancel()
        if self._pg is not None:
            await self._pg.dispose()
            self._pg = None
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None

    async def holder(self) -> dict[str, Any]:
        """Return who holds the lease by the database (PostgreSQL), for /api/config."""
        if self.scope != "postgres":
            return {"holder": self.replica_id if self.is_leader else None, "token": self.token}
        try:
            row = (await self._execute(_HOLDER, {"name": self.name})).first()
        except Exception as exc:
            return {"holder": None, "error": type(exc).__name__}
        if row is None:
            return {"holder": None, "token": None}
        return {"holder": row[0], "token": row[1], "expires_in_s": round(float(row[2]), 3)}

    def status(self) -> dict[str, Any]:
        """Return this replica's view of its leadership."""
        return {
            "replica": self.replica_id,
            "leader": self.is_leader,
            "scope": self.scope,
            "token": self.token if self.is_leader else None,
            "since": self.since.isoformat() if self.since and self.is_leader else None,
            "changes": self.changes,
            "ttl_s": self.ttl_s,
            "renew_s": self.renew_s,
            "last_error": self.last_error,
        }

    async def _run(self) -> None:
        while True:
            if self.scope == "postgres":
                await self._pg_step()
            else:
                self._file_step()
            wait = self.renew_s
            if self._leading:
                wait = min(wait, max(0.0, self._deadline - time.monotonic()))
            await asyncio.sleep(wait)
            if self._leading and time.monotonic() >= self._deadline:
                self._set(False, "could not renew the lease in time")

    def _file_step(self) -> None:
        if self._leading:
            return
        if self._lock_file is None:
            self._promote(1, float("inf"))
            return
        fd = os.open(self._lock_file, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return
        self._fd = fd
        self._promote(1, float("inf"))

    async def _bounded(self, statement: Any, params: dict[str, Any], limit: float) -> Any:
        # The statement runs as a task of its own: on a silent partition even cancelling a
        # driver call can hang, and this loop must never wait past its deadline for it.
        task = asyncio.ensure_future(self._execute(statement, params))
        done, _ = await asyncio.wait({task}, timeout=limit)
        if not done:
            task.cancel()
            self._abandoned.add(task)
            task.add_done_callback(self._abandoned.discard)
            self._abandon_connection()
            raise TimeoutError(f"no answer within {limit:.1f} s")
        return task.result()

    def _arm(self, deadline: float) -> None:
        """Stop leading at ``deadline`` unless a renewal moves it (a timer, not the loop)."""
        self._deadline = deadline
        if self._timer is not None:
            self._timer.cancel()
        if deadline != float("inf"):
            self._timer = asyncio.get_running_loop().call_at(deadline, self._expired)

    def _expired(self) -> None:
        if self._leading and time.monotonic() >= self._deadline:
            self._set(False, "could not renew the lease in time")

    async def _pg_step(self) -> None:
        sent = time.monotonic()
        limit = self.renew_s
        if self._leading:
            limit = min(limit, max(0.05, self._deadline - sent))
        try:
            if self._leading:
                assert self.token is not None
                row = await self._bounded(_RENEW, self._params(token=self.token), limit)
                if row.first() is None:
                    self._set(False, "the lease was taken over")
                else:
                    self._arm(sent + self.ttl_s - self.margin_s)
            else:
                row = await self._bounded(_ACQUIRE, self._params(), limit)
                got = row.first()
                if got is not None:
                    self._promote(int(got[0]), sent + self.ttl_s - self.margin_s)
            if self.last_error is not None:
                log.info("leader lease: the database answers again")
            self.last_error = None
        except Exception as exc:
            self._abandon_connection()
            if self.last_error is None:
                log.warning("leader lease: no answer from the database (%s)", type(exc).__name__)
            self.last_error = type(exc).__name__

    def _promote(self, token: int, deadline: float) -> None:
        self.token = token
        self._arm(deadline)
        self.since = self.clock.now() if self.clock is not None else None
        self._set(True, f"lease acquired, token {token}")

    def _set(self, leading: bool, why: str) -> None:
        if leading == self._leading:
            return
        self._leading = leading
        self.changes += 1
        # Taking or handing back the lease is routine; losing it is worth a warning.
        level = logging.WARNING if not leading and why != "stopping" else logging.INFO
        log.log(
            level,
            "replica %s %s leader: %s",
            self.replica_id,
            "is now" if leading else "is no longer",
            why,
        )
        for listener in self._listeners:
            try:
                listener(leading)
            except Exception:
                log.exception("leadership listener failed")

    def _params(self, **extra: Any) -> dict[str, Any]:
        return {"name": self.name, "holder": self.replica_id, "ttl": self.ttl_s, **extra}

    async def _execute(self, statement: Any, params: dict[str, Any]) -> Any:
        conn = await self._connection()
        return await conn.execute(statement, params)

    async def _connection(self) -> AsyncConnection:
        assert self._engine is not None
        if self._conn is None:
            if self._pg is None:
                self._pg = create_async_engine(self._engine.url, poolclass=NullPool)
            conn = await self._pg.connect()
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            self._conn = conn
        return self._conn

    def _abandon_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            task = asyncio.ensure_future(self._close_quietly(conn))
            self._abandoned.add(task)
            task.add_done_callback(self._abandoned.discard)

    @staticmethod
    async def _close_quietly(conn: AsyncConnection) -> None:
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(conn.invalidate(), timeout=1.0)

    async def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.invalidate(), timeout=1.0)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), timeout=1.0)


def _leader_file(engine: AsyncEngine | None) -> Path | None:
    if engine is None or engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    return Path(database).with_name(Path(database).name + ".leader")
