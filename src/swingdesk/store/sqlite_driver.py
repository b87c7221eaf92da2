"""aiosqlite with few trips to its worker thread: none at all for what cannot wait.

aiosqlite runs every call on its connection's worker thread, and SQLAlchemy's adapter makes
a call for each step of a statement (open a cursor, execute, fetch, close) and for BEGIN,
COMMIT and the pool's ROLLBACK. Each call is a round trip between the event loop and that
thread, and on a busy machine each costs a thread wake-up on both sides: the bench decision
made 133 of them. Here:

- a statement executes and reads its first rows (all of them, for the short results the
  desk reads) in one call, and its cursor closes in that call once exhausted; a long result
  (a streamed audit chain) is read in chunks, one call per chunk;
- the ``BEGIN`` (or ``BEGIN IMMEDIATE``) that opens a transaction is held back and runs in
  the call of the transaction's first statement, just before it: the transaction, and the
  write lock an immediate one takes, still start before any of its statements; a
  transaction that ran no statement costs nothing, and COMMIT or ROLLBACK with no open
  transaction (sqlite3 does nothing then) costs no call;
- what cannot wait for a lock runs on the event loop's own thread, with no call at all: in
  WAL mode (``engine.py`` sets it) a reader never waits for a writer, and a transaction whose
  BEGIN IMMEDIATE succeeded holds the write lock, so its statements and its commit wait for
  nobody. BEGIN IMMEDIATE itself is tried here with a zero busy timeout (it cannot wait
  then): only when another connection holds the write lock is it waited for in the worker
  thread. What may wait (that, a write in a deferred transaction, anything outside a
  transaction but a SELECT) goes to the worker thread, so the busy timeout never stalls the
  event loop. A commit that triggers SQLite's automatic WAL checkpoint writes
  (and, as before, syncs) the database file on the loop's thread: milliseconds, once per
  1000 pages written.

The statements, their order, their transactions, their durability and their errors are
exactly sqlite3's: only where they run, and the number of trips, change.
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
_WRITE_BEGIN = frozenset({"BEGIN IMMEDIATE", "BEGIN EXCLUSIVE"})
# Transaction modes: none open; reading (a deferred BEGIN, only SELECTs so far); holding the
# write lock (an immediate BEGIN succeeded); anything else (a deferred transaction wrote).
_NONE, _READING, _WRITING, _OTHER = "none", "reading", "writing", "other"


class PrefetchCursor:
    """The cursor SQLAlchemy's aiosqlite adapter drives: a statement and its first rows in
    one step, run where the connection says (``PrefetchConnection.statement``)."""

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
        """Execute and read the first rows (in one step, on either thread)."""
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
        if rows and sql.lstrip()[:19].upper() == "PRAGMA JOURNAL_MODE":
            self._connection.journal_mode = str(rows[0][0]).lower()
        self._exhausted = len(rows) < PREFETCH_ROWS
        if self._exhausted:
            cursor.close()
            self._cursor = None
        return rows

    async def execute(self, sql: str, parameters: Any = None) -> PrefetchCursor:
        """Execute one statement and read its first rows, in one step."""
        self._rows.clear()
        if not parameters and sql.upper() in _BEGIN and self._connection.hold_begin(sql):
            self.description, self.rowcount, self.lastrowid = None, -1, None
            return self
        params = [] if parameters is None else parameters
        self._rows.extend(await self._connection.statement(sql, self._run, sql, params, False))
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> PrefetchCursor:
        """Execute one statement for every parameter set, in one step."""
        self._rows.clear()
        await self._connection.statement(sql, self._run, sql, parameters, True)
        return self

    def _more(self, size: int | None) -> list[_Row]:
        """Read further rows (on either thread)."""
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
    """An aiosqlite connection that calls its worker thread only for what may wait."""

    _held_begin: str | None = None
    #: What the open transaction may do without waiting for a lock (see ``statement``).
    _mode: str = _NONE
    #: The journal mode the last ``PRAGMA journal_mode`` answered (engine.py sets WAL at
    #: connect); until one has, nothing runs on the loop's thread.
    journal_mode = "unknown"
    #: Whether the database lives in memory (only this process reaches it).
    in_memory = False

    @property
    def _lock_free(self) -> bool:
        """Say whether readers never wait here: WAL, or a private in-memory database.

        In a rollback-journal file a commit waits for readers to finish; were it run on the
        loop's thread, a reader of this process could never finish, so there nothing does.
        """
        mode = self.journal_mode
        return mode == "wal" or (mode == "memory" and self.in_memory)

    @property
    def sqlite_connection(self) -> sqlite3.Connection:
        """Return the sqlite3 connection (used by one thread at a time, see ``connect``)."""
        return self._conn

    def hold_begin(self, sql: str) -> bool:
        """Keep ``sql`` (a BEGIN) for the next trip; False if the connection has one already."""
        if self._held_begin is not None or self._conn.in_transaction:
            return False  # let sqlite3 refuse a transaction within a transaction, as before
        self._held_begin = sql
        return True

    def _begin_then(self, begin: str, fn: Any, args: tuple[Any, ...]) -> Any:
        """Open the held transaction, then run ``fn``."""
        self._conn.execute(begin)
        self._mode = _WRITING if begin.upper() in _WRITE_BEGIN else _READING
        return fn(*args)

    def _begin_at_once(self, begin: str) -> bool:
        """Take the write lock here if it is free right now; False if another holds it.

        The busy timeout is zero for that one attempt, so it cannot wait: a taken lock is
        waited for in the worker thread instead, with the connection's own busy timeout.
        """
        conn = self._conn
        (timeout_ms,) = conn.execute("PRAGMA busy_timeout").fetchone()
        conn.execute("PRAGMA busy_timeout = 0")
        try:
            conn.execute(begin)
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode & 0xFF not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                raise
            return False
        finally:
            conn.execute(f"PRAGMA busy_timeout = {int(timeout_ms)}")
        self._mode = _WRITING
        return True

    def _inline(self, begin: str | None, reading: bool) -> bool:
        """Say whether a statement cannot wait for a lock, so may run on this thread.

        In WAL mode a reader never waits for a writer, and a transaction that holds the write
        lock (its BEGIN IMMEDIATE succeeded) waits for nobody: such statements, and the
        commit, run on the event loop's thread, as fast as sqlite3 runs them. Whatever may
        wait (taking the write lock, a write in a deferred transaction) keeps to the worker
        thread, so a busy timeout never stalls the event loop.
        """
        if begin is not None:
            return reading and begin.upper() not in _WRITE_BEGIN
        return self._mode == _WRITING or (reading and self._mode in (_NONE, _READING))

    async def statement(self, sql: str, fn: Any, *args: Any) -> Any:
        """Run one statement's ``fn(*args)`` here when it cannot wait for a lock, else in
        the worker thread; a held BEGIN runs just before it, in the same place."""
        begin, self._held_begin = self._held_begin, None
        lock_free = self._lock_free
        if begin is not None and begin.upper() in _WRITE_BEGIN and lock_free:
            begin = None if self._begin_at_once(begin) else begin
        reading = sql.lstrip()[:6].upper() == "SELECT"
        if lock_free and self._inline(begin, reading):
            result = fn(*args) if begin is None else self._begin_then(begin, fn, args)
        elif begin is None:
            result = await self._execute(fn, *args)  # type: ignore[no-untyped-call]
        else:
            result = await self._execute(self._begin_then, begin, fn, args)  # type: ignore[no-untyped-call]
        if not self._conn.in_transaction:
            self._mode = _NONE
        elif self._mode == _READING and not reading:
            self._mode = _OTHER
        return result

    async def run(self, fn: Any, *args: Any) -> Any:
        """Run ``fn(*args)`` (reading further rows, closing a cursor) where statements run."""
        if self._mode in (_READING, _WRITING) and self._lock_free:
            return fn(*args)
        return await self._execute(fn, *args)  # type: ignore[no-untyped-call]

    async def _end(self, end: Any) -> None:
        begin, self._held_begin = self._held_begin, None
        mode, self._mode = self._mode, _NONE
        if begin is not None or not self._conn.in_transaction:
            return  # sqlite3 does nothing then either
        if mode in (_READING, _WRITING) and self._lock_free:
            end()
        else:
            await self._execute(end)  # type: ignore[no-untyped-call]

    async def commit(self) -> None:
        """Commit the transaction (no trip when none is open, nor when it may not wait)."""
        await self._end(self._conn.commit)

    async def rollback(self) -> None:
        """Roll the transaction back (no trip when none is open, nor when it may not wait)."""
        await self._end(self._conn.rollback)

    def cursor(self) -> PrefetchCursor:  # type: ignore[override]
        """Return a cursor; opening it costs no trip."""
        return PrefetchCursor(self)


def connect(database: str, **kwargs: Any) -> PrefetchConnection:
    """Return an (awaitable) connection, as ``aiosqlite.connect`` does."""
    # Used from the worker thread and, when nothing can wait, the event loop's: never both
    # at once (SQLAlchemy awaits each call on a connection before the next).
    kwargs["check_same_thread"] = False

    def connector() -> sqlite3.Connection:
        connection: sqlite3.Connection = sqlite3.connect(database, **kwargs)
        return connection

    connection = PrefetchConnection(connector, 64)
    connection.in_memory = ":memory:" in database or "mode=memory" in database
    connection._thread.daemon = True  # as SQLAlchemy makes aiosqlite's own thread
    return connection
