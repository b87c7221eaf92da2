"""The book lock: one risk-and-execution step at a time per book, across processes.

Risk sizes an order on a fresh read of the portfolio and the order changes that portfolio,
so two decisions must never interleave between the read and the booking, or both could fit
under a limit only one of them fits. Inside one process an ``asyncio.Lock`` is enough; but
`swingdesk trigger` beside `swingdesk serve`, or a second pod on the same database, is another
process. So the lock is also taken in the database's own terms:

- PostgreSQL: a session-level advisory lock, keyed by the schema (so separate schemas, as in
  tests, are separate books), held on a **dedicated connection** outside the pool. The server
  releases it when that connection dies, while this process may still be inside its critical
  section: so the holder gets a ``BookLease`` and verifies it (the same backend still holds
  the lock, answered within a bound) before anything irreversible, i.e. before the broker
  hears of an order. A lost lease raises ``BookLockLostError``; the order is not sent.
- SQLite: an exclusive ``flock`` on ``<database>.booklock`` beside the database file (SQLite
  is single-machine by nature); the kernel releases it when the process dies.
- anything else (in-memory SQLite): the process lock alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path

from sqlalchemy import NullPool, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from swingdesk.domain.errors import BookLockLostError

log = logging.getLogger(__name__)
#: Poll interval while another process holds the SQLite lock file.
_FLOCK_POLL_S = 0.005
_PG_KEY = "hashtext(current_schema() || :name)"
_PG_NAME = {"name": ":swingdesk.book"}
_PG_HELD = (
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
    "AND pid = pg_backend_pid()"
)


class BookLease:
    """Proof, checked on demand, that this holder still has the book."""

    def __init__(self, connection: AsyncConnection | None = None, timeout_s: float = 2.0) -> None:
        self._connection = connection
        self._timeout_s = timeout_s
        self.lost = False

    async def verify(self) -> None:
        """Raise BookLockLostError unless the lock is provably still held."""
        if self._connection is None:
            return
        if not self.lost:
            try:
                held = await asyncio.wait_for(
                    self._connection.scalar(text(_PG_HELD)), timeout=self._timeout_s
                )
                self.lost = not held
            except Exception as exc:  # a dead or stalled connection: the server let go
                log.warning("book lock connection lost: %s", type(exc).__name__)
                self.lost = True
        if self.lost:
            raise BookLockLostError(
                "the book lock's database connection was lost, so another process may be "
                "trading this book: the order was not sent"
            )


class BookLock:
    """An async lock that also excludes other processes sharing the same database."""

    def __init__(self, engine: AsyncEngine | None = None, *, verify_timeout_s: float = 2.0) -> None:
        self._local = asyncio.Lock()
        self._engine = engine
        self._lock_file = _sqlite_lock_file(engine)
        self._verify_timeout_s = verify_timeout_s
        self._pg: AsyncEngine | None = None
        self._connection: AsyncConnection | None = None

    @property
    def scope(self) -> str:
        """Say how far the lock reaches: "postgres", "sqlite-file" or "process"."""
        if self._engine is not None and self._engine.dialect.name == "postgresql":
            return "postgres"
        return "sqlite-file" if self._lock_file is not None else "process"

    @contextlib.asynccontextmanager
    async def hold(self) -> AsyncIterator[BookLease]:
        """Hold the book for the duration of the block; the lease says if it was lost."""
        async with self._local:
            if self.scope == "postgres":
                async with self._pg_lock() as lease:
                    yield lease
            elif self._lock_file is not None:
                async with _flock(self._lock_file):
                    yield BookLease()
            else:
                yield BookLease()

    async def close(self) -> None:
        """Close the dedicated connection."""
        await self._drop_connection()
        if self._pg is not None:
            await self._pg.dispose()
            self._pg = None

    async def _dedicated(self) -> AsyncConnection:
        """Return the lock's own connection (outside the pool), reconnecting if it died."""
        assert self._engine is not None
        if self._connection is not None:
            try:
                await asyncio.wait_for(
                    self._connection.execute(text("SELECT 1")), timeout=self._verify_timeout_s
                )
                return self._connection
            except Exception:
                await self._drop_connection()
        if self._pg is None:
            self._pg = create_async_engine(self._engine.url, poolclass=NullPool)
        self._connection = await self._pg.connect()
        await self._connection.execution_options(isolation_level="AUTOCOMMIT")
        return self._connection

    async def _drop_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.invalidate(), timeout=self._verify_timeout_s)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), timeout=self._verify_timeout_s)

    @contextlib.asynccontextmanager
    async def _pg_lock(self) -> AsyncIterator[BookLease]:
        conn = await self._dedicated()
        await conn.execute(text(f"SELECT pg_advisory_lock({_PG_KEY})"), _PG_NAME)
        lease = BookLease(conn, self._verify_timeout_s)
        try:
            yield lease
        finally:
            try:
                if lease.lost:
                    raise BookLockLostError("lost")
                await asyncio.wait_for(
                    conn.execute(text(f"SELECT pg_advisory_unlock({_PG_KEY})"), _PG_NAME),
                    timeout=self._verify_timeout_s,
                )
            except Exception as exc:
                # The server released the lock with the connection; a failed unlock must not
                # turn the decision it protected into a failure (its order may be placed).
                log.warning("book lock not released cleanly (%s); dropping its connection", exc)
                await self._drop_connection()


def _sqlite_lock_file(engine: AsyncEngine | None) -> Path | None:
    if engine is None or engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    return Path(database).with_name(Path(database).name + ".booklock")


@contextlib.asynccontextmanager
async def _flock(path: Path) -> AsyncIterator[None]:
    # Non-blocking attempts with a short sleep: a blocking flock in a worker thread could
    # not be abandoned if this task were cancelled, and would then hold the lock forever.
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                await asyncio.sleep(_FLOCK_POLL_S)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
