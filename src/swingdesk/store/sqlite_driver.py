"""aiosqlite with one thread hop per statement instead of three or four.

aiosqlite runs every call on its connection's worker thread, and SQLAlchemy's adapter makes
a call for each step of a statement: open a cursor, execute, fetch the rows, close the
cursor. Each call is a round trip between the event loop and that thread. The cursor here
does the steps of one statement in one call: it opens its sqlite3 cursor, executes, and
reads the first rows (all of them, for the short results the desk reads) in the worker
thread, closing the cursor there once it is exhausted; the rows are then served from memory.
A long result (a streamed audit chain) is still read in chunks, one call per chunk.

The connection also holds back the ``BEGIN`` (or ``BEGIN IMMEDIATE``) that opens a
transaction and runs it in the same trip as the transaction's first statement: nothing runs
between the two, so the transaction (and the write lock an immediate one takes) starts before
any of its statements, exactly as before. A transaction that ran no statement costs no trip
at all: its ``BEGIN`` and its ``COMMIT`` or ``ROLLBACK`` are both skipped.

The statements, their order, their transactions and their errors are exactly sqlite3's:
only the number of trips to the worker thread changes.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any

import aiosqlite

#: Rows read in the same trip as the statement; a longer result costs one trip per chunk.
PREFETCH_ROWS = 256

_Row = Any
_Description = tuple[tuple[Any, ...], ...] | None
_BEGIN = frozenset({"BEGIN", "BEGIN IMMEDIATE", "BEGIN EXCLUSIVE", "BEGIN DEFERRED"})


class PrefetchCursor:
    """The cursor SQLAlchemy's aiosqlite adapter drives, one worker trip per statement."""

    def __init__(self, connection: PrefetchConnection) -> None:
        self._connection = connection
        self._cursor: sqlite3.Cursor | None = None
        self._rows: deque[_Row] = deque()
        self._exhausted = True
        self.description: _Description = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1

    async def __aenter__(self) -> PrefetchCursor:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    def _run(self, sql: str, parameters: Any, many: bool) -> list[_Row]:
        """Execute and read the first rows: runs in the connection's worker thread."""
        cursor = self._cursor
        if cursor is None:
            cursor = self._cursor = self._connection.sqlite_connection.cursor()
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        self.description, self.rowcount = cursor.description, cursor.rowcount
        self.lastrowid = cursor.lastrowid
        rows = cursor.fetchmany(PREFETCH_ROWS) if cursor.description else []
        self._exhausted = len(rows) < PREFETCH_ROWS
        if self._exhausted:
            cursor.close()
            self._cursor = None
        return rows

    async def execute(self, sql: str, parameters: Any = None) -> PrefetchCursor:
        """Execute one statement (and read its first rows) in one trip."""
        self._rows.clear()
        if not parameters and sql.upper() in _BEGIN and self._connection.hold_begin(sql):
            self.description, self.rowcount, self.lastrowid = None, -1, None
            return self
        rows = await self._connection.run(
            self._run, sql, [] if parameters is None else parameters, False
        )
        self._rows.extend(rows)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> PrefetchCursor:
        """Execute one statement for every parameter set, in one trip."""
        self._rows.clear()
        await self._connection.run(self._run, sql, parameters, True)
        return self

    def _more(self, size: int | None) -> list[_Row]:
        """Read further rows: runs in the connection's worker thread."""
        cursor = self._cursor
        if cursor is None:
            return []
        rows = cursor.fetchall() if size is None else cursor.fetchmany(size)
        if size is None or len(rows) < size:
            cursor.close()
            self._cursor, self._exhausted = None, True
        return rows

    async def _fill(self, size: int | None) -> None:
        if not self._exhausted and (size is None or len(self._rows) < size):
            want = None if size is None else max(size - len(self._rows), PREFETCH_ROWS)
            self._rows.extend(await self._connection.run(self._more, want))

    async def fetchone(self) -> _Row | None:
        """Return the next row, or None."""
        await self._fill(1)
        return self._rows.popleft() if self._rows else None

    async def fetchmany(self, size: int | None = None) -> Sequence[_Row]:
        """Return up to ``size`` (default ``arraysize``) further rows."""
        size = self.arraysize if size is None else size
        await self._fill(size)
        return [self._rows.popleft() for _ in range(min(size, len(self._rows)))]

    async def fetchall(self) -> Sequence[_Row]:
        """Return every remaining row."""
        await self._fill(None)
        rows = list(self._rows)
        self._rows.clear()
        return rows

    async def __aiter__(self) -> AsyncIterator[_Row]:
        while (row := await self.fetchone()) is not None:
            yield row

    async def close(self) -> None:
        """Close the cursor (no trip when its result was read to the end)."""
        self._rows.clear()
        cursor, self._cursor, self._exhausted = self._cursor, None, True
        if cursor is not None:
            await self._connection.run(cursor.close)


class PrefetchConnection(aiosqlite.Connection):
    """An aiosqlite connection whose cursors make one worker trip per statement."""

    _held_begin: str | None = None

    @property
    def sqlite_connection(self) -> sqlite3.Connection:
        """Return the sqlite3 connection (only for use in the worker thread)."""
        return self._conn

    def hold_begin(self, sql: str) -> bool:
        """Keep ``sql`` (a BEGIN) for the next trip; False if the connection has one already."""
        if self._held_begin is not None or self._conn.in_transaction:
            return False  # let sqlite3 refuse a transaction within a transaction, as before
        self._held_begin = sql
        return True

    def _begin_then(self, begin: str, fn: Any, args: tuple[Any, ...]) -> Any:
        """Open the transaction, then run ``fn``: runs in the worker thread."""
        self._conn.execute(begin)
        return fn(*args)

    async def run(self, fn: Any, *args: Any) -> Any:
        """Run ``fn(*args)`` in the connection's worker thread (after a held BEGIN)."""
        begin, self._held_begin = self._held_begin, None
        if begin is None:
            return await self._execute(fn, *args)  # type: ignore[no-untyped-call]
        return await self._execute(self._begin_then, begin, fn, args)  # type: ignore[no-untyped-call]

    def _idle(self) -> bool:
        """Say whether no transaction is open, so COMMIT or ROLLBACK has nothing to do.

        sqlite3 itself does nothing then; its flag is read here, outside the worker thread,
        only between two trips of this connection (nothing of it runs meanwhile).
        """
        begin, self._held_begin = self._held_begin, None
        return begin is not None or not self._conn.in_transaction

    async def commit(self) -> None:
        """Commit the transaction (no trip when none is open)."""
        if not self._idle():
            await super().commit()

    async def rollback(self) -> None:
        """Roll the transaction back (no trip when none is open, as after a commit)."""
        if not self._idle():
            await super().rollback()

    def cursor(self) -> PrefetchCursor:  # type: ignore[override]
        """Return a cursor; opening it costs no trip."""
        return PrefetchCursor(self)


def connect(database: str, **kwargs: Any) -> PrefetchConnection:
    """Return an (awaitable) connection, as ``aiosqlite.connect`` does."""

    def connector() -> sqlite3.Connection:
        connection: sqlite3.Connection = sqlite3.connect(database, **kwargs)
        return connection

    connection = PrefetchConnection(connector, 64)
    connection._thread.daemon = True  # as SQLAlchemy makes aiosqlite's own thread
    return connection
