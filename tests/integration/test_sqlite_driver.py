"""The SQLite driver (store/sqlite_driver.py): same results, few trips, never a stalled loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from swingdesk.domain.errors import DatabaseUnavailableError
from swingdesk.store import sqlite_driver
from swingdesk.store.engine import WRITE, DatabaseTimeouts, make_engine


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path}/driver.db"


@pytest.fixture
async def engine(url: str) -> AsyncIterator[AsyncEngine]:
    e = make_engine(url)
    async with e.begin() as conn:
        await conn.execute(text("CREATE TABLE t (x INTEGER PRIMARY KEY)"))
    yield e
    await e.dispose()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every call the driver makes to its worker thread."""
    made: list[str] = []
    original = sqlite_driver.PrefetchConnection._execute

    async def counted(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        made.append(getattr(fn, "__name__", type(fn).__name__))
        return await original(self, fn, *args, **kwargs)  # type: ignore[no-untyped-call]

    monkeypatch.setattr(sqlite_driver.PrefetchConnection, "_execute", counted)
    return made


async def _write(engine: AsyncEngine, *values: int) -> None:
    async with engine.connect() as conn:
        await conn.execution_options(**{WRITE: True})
        async with conn.begin():
            for v in values:
                await conn.execute(text("INSERT INTO t (x) VALUES (:x)"), {"x": v})


async def test_read_when_result_is_longer_than_the_prefetch_then_every_row_in_order(
    engine: AsyncEngine,
) -> None:
    n = sqlite_driver.PREFETCH_ROWS * 3 + 7
    await _write(engine, *range(n))
    async with engine.connect() as conn:
        fetched = (await conn.execute(text("SELECT x FROM t ORDER BY x"))).scalars().all()
        streamed = [
            row.x
            async for row in await conn.stream(
                text("SELECT x FROM t ORDER BY x").execution_options(yield_per=100)
            )
        ]
    assert fetched == list(range(n))
    assert streamed == list(range(n))


async def test_transactions_when_nothing_can_wait_then_only_what_may_wait_trips(
    engine: AsyncEngine, trips: list[str]
) -> None:
    await _write(engine, 1, 2)  # BEGIN IMMEDIATE finds the lock free
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 2
    assert trips == []
    async with engine.begin() as conn:  # a deferred transaction's write may wait for the lock
        await conn.execute(text("INSERT INTO t (x) VALUES (3)"))
    assert trips != []


async def test_write_when_another_connection_holds_the_lock_then_waits_off_the_event_loop(
    engine: AsyncEngine, url: str
) -> None:
    other = make_engine(url)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    try:
        async with other.connect() as holder:
            await holder.execution_options(**{WRITE: True})
            await holder.begin()
            await holder.execute(text("INSERT INTO t (x) VALUES (1)"))
            waiting = asyncio.create_task(_write(engine, 2))
            await asyncio.sleep(0.3)
            assert not waiting.done()
            assert ticks >= 10  # the loop kept running while the writer waited for the lock
            await holder.commit()
        await asyncio.wait_for(waiting, 5)
    finally:
        ticker.cancel()
        await other.dispose()
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT x FROM t ORDER BY x"))).scalars().all() == [1, 2]


async def test_write_when_the_lock_is_held_past_the_busy_timeout_then_database_unavailable(
    engine: AsyncEngine, url: str
) -> None:
    impatient = make_engine(url, timeouts=DatabaseTimeouts(statement_s=0.2))
    try:
        async with engine.connect() as holder:
            await holder.execution_options(**{WRITE: True})
            await holder.begin()
            await holder.execute(text("INSERT INTO t (x) VALUES (1)"))
            with pytest.raises(DatabaseUnavailableError):
                await _write(impatient, 2)
            await holder.rollback()
    finally:
        await impatient.dispose()


async def test_write_when_a_statement_fails_then_the_transaction_rolls_back_whole(
    engine: AsyncEngine,
) -> None:
    await _write(engine, 1)
    with pytest.raises(Exception, match="UNIQUE"):
        await _write(engine, 2, 1)
    await _write(engine, 3)  # the connection went back to the pool usable
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT x FROM t ORDER BY x"))).scalars().all() == [1, 3]


async def test_transactions_when_the_journal_is_not_wal_then_everything_runs_in_the_worker_thread(
    url: str, trips: list[str]
) -> None:
    e = make_engine(url)

    @event.listens_for(e.sync_engine, "connect")
    def _rollback_journal(dbapi_connection: Any, _: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=DELETE")  # after WAL: a commit waits on readers
        cursor.close()

    try:
        async with e.connect() as conn:
            await conn.execution_options(**{WRITE: True})
            async with conn.begin():
                await conn.execute(text("CREATE TABLE u (x INTEGER)"))
                await conn.execute(text("INSERT INTO u (x) VALUES (1)"))
            assert (await conn.execute(text("SELECT x FROM u"))).scalars().all() == [1]
        assert "_begin_then" in trips
        assert "commit" in trips
    finally:
        await e.dispose()
