"""One unit-of-work backend per test run: in memory, on SQLite, or on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from swingdesk.store import migrate
from swingdesk.store import tables as t
from swingdesk.store.memory.store import MemoryStore
from swingdesk.store.store import OutboxMessage, Store

#: The parameters of a fixture that runs each test on every backend.
BACKENDS = ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@dataclass
class Backend:
    """A store behind the unit-of-work port, and what it has published and kept."""

    store: MemoryStore | Store
    #: Event ids of the domain events published so far (journal entries left out).
    published: Callable[[], list[str]]
    #: The equity of each stored account mark, oldest first.
    equity_marks: Callable[[], Awaitable[list[Decimal]]]
    #: The ids of the stored fills, in id order.
    fill_ids: Callable[[], Awaitable[list[str]]]
    #: Make every commit fail (the step that makes a unit's changes visible raises).
    break_commits: Callable[[pytest.MonkeyPatch], None]


def _break_memory_commits(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object) -> None:
        raise RuntimeError("commit failed")

    monkeypatch.setattr(MemoryStore, "_commit", refuse)


def _break_sql_commits(monkeypatch: pytest.MonkeyPatch) -> None:
    async def refuse(*_: object) -> None:
        raise RuntimeError("commit failed")

    monkeypatch.setattr(AsyncSession, "commit", refuse)


class _Recorder:
    def __init__(self) -> None:
        self.messages: list[OutboxMessage] = []

    async def committed(self, messages: list[OutboxMessage]) -> None:
        self.messages.extend(messages)


@asynccontextmanager
async def open_backend(kind: str, request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    """Yield a fresh backend of ``kind`` (memory, sqlite or postgres)."""
    if kind == "memory":
        books = MemoryStore()

        async def memory_marks() -> list[Decimal]:
            return [m.equity for m in books.marks]

        async def memory_fills() -> list[str]:
            return sorted(books.book.fills)

        yield Backend(
            books,
            lambda: [str(e.event_id) for e in books.published],
            memory_marks,
            memory_fills,
            _break_memory_commits,
        )
        return
    url: str = request.getfixturevalue("sqlite_url" if kind == "sqlite" else "pg_url")
    migrate.upgrade(url)
    store = Store.from_url(url)
    recorder = _Recorder()
    store.publish_to(recorder)

    async def stored_marks() -> list[Decimal]:
        return [row.equity for row in await store.equity_history(limit=1000)]

    async def stored_fills() -> list[str]:
        async with store.read() as session:
            return list(
                (await session.scalars(select(t.FillRow.fill_id).order_by("fill_id"))).all()
            )

    try:
        yield Backend(
            store,
            lambda: [m.payload["event_id"] for m in recorder.messages if m.topic != "audit"],
            stored_marks,
            stored_fills,
            _break_sql_commits,
        )
    finally:
        await store.close()
