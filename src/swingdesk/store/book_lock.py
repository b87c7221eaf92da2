"""The book lock: one risk-and-execution step at a time per book, across processes.

Risk sizes an order on a fresh read of the portfolio and the order changes that portfolio,
so two decisions must never interleave between the read and the booking, or both could fit
under a limit only one of them fits. Inside one process an ``asyncio.Lock`` is enough; but
`swingdesk trigger` beside `swingdesk serve`, or a second pod on the same database, is another
process. So the lock is also taken in the database's own terms:

- PostgreSQL: a session-level advisory lock on a dedicated connection, keyed by the schema
  (so separate schemas, as in tests, are separate books). It is released on unlock, and by
  the server if the process dies, so a crash can never leave the book locked.
- SQLite: an exclusive ``flock`` on ``<database>.booklock`` beside the database file (SQLite
  is single-machine by nature); the kernel releases it when the process dies.
- anything else (in-memory SQLite): the process lock alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
from collections.abc import AsyncIterator
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

#: Poll interval while another process holds the SQLite lock file.
_FLOCK_POLL_S = 0.005
_PG_KEY = "hashtext(current_schema() || :name)"
_PG_NAME = {"name": ":swingdesk.book"}


class BookLock:
    """An async lock that also excludes other processes sharing the same database."""

    def __init__(self, engine: AsyncEngine | None = None) -> None:
        self._local = asyncio.Lock()
        self._engine = engine
        self._lock_file = _sqlite_lock_file(engine)

    @property
    def scope(self) -> str:
        """Say how far the lock reaches: "postgres", "sqlite-file" or "process"."""
        if self._engine is not None and self._engine.dialect.name == "postgresql":
            return "postgres"
        return "sqlite-file" if self._lock_file is not None else "process"

    @contextlib.asynccontextmanager
    async def hold(self) -> AsyncIterator[None]:
        """Hold the book for the duration of the block."""
        async with self._local:
            if self.scope == "postgres":
                async with self._pg_lock():
                    yield
            elif self._lock_file is not None:
                async with _flock(self._lock_file):
                    yield
            else:
                yield

    @contextlib.asynccontextmanager
    async def _pg_lock(self) -> AsyncIterator[None]:
        assert self._engine is not None
        async with self._engine.connect() as conn:
            await conn.execute(text(f"SELECT pg_advisory_lock({_PG_KEY})"), _PG_NAME)
            await conn.commit()
            try:
                yield
            finally:
                await conn.execute(text(f"SELECT pg_advisory_unlock({_PG_KEY})"), _PG_NAME)
                await conn.commit()


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
