"""The stream carries what was committed (issue 17 C and D).

Every event and audit entry is written to the outbox in the transaction that caused it, and
published from there in commit order: a commit whose acknowledgement was lost is still
streamed, a commit made by another process is streamed, and stream ids (``<seq>-<epoch>``)
stay valid across restarts, so a client resuming with ``Last-Event-ID`` after a restart gets
exactly what it missed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from tests.fakes.api import (
    READ_KEY,
    TRADE_KEY,
    SseEvent,
    api_harness,
    loopback_server,
    read_events,
)

from swingdesk.adapters.memory_bus import InMemoryEventBus
from swingdesk.bootstrap import build_desk
from swingdesk.config import load_settings
from swingdesk.ports import BusMessage
from swingdesk.services.relay import OutboxRelay
from swingdesk.store import migrate
from swingdesk.store.store import Store

T = "2026-11-24T15:00:00+00:00"


async def collect(
    events: AsyncIterator[SseEvent], until: int, *, timeout_s: float
) -> list[SseEvent]:
    got: list[SseEvent] = []
    async with asyncio.timeout(timeout_s):
        async for ev in events:
            got.append(ev)
            if ev.id is not None and ev.id >= until:
                break
    return got


async def test_stream_when_resuming_after_a_restart_then_exactly_what_was_missed_arrives(
    tmp_path: Path,
) -> None:
    async with (
        api_harness(tmp_path) as first,
        loopback_server(first.app) as url,
        httpx.AsyncClient(base_url=url, headers={"X-API-Key": TRADE_KEY}) as client,
        client.stream("GET", "/api/stream", headers={"X-API-Key": READ_KEY}) as resp,
    ):
        events = read_events(resp.aiter_lines())
        await client.post("/api/halt", json={"reason": "before the restart"})
        seen = await collect(events, first.desk.bus.last_seq, timeout_s=2.0)
    last = [e for e in seen if e.raw_id][-1]
    # While no server runs, another process (the CLI) changes the state: committed, unseen.
    settings = load_settings(data_dir=tmp_path, api_key=TRADE_KEY, read_api_key=READ_KEY)
    cli = await build_desk(settings, migrate_db=False)
    await cli.control.resume("by the CLI, while the server was down", actor="cli")
    await cli.close()
    async with (
        api_harness(tmp_path) as second,
        loopback_server(second.app) as url,
        httpx.AsyncClient(base_url=url, headers={"X-API-Key": TRADE_KEY}) as client,
    ):
        for i in range(3):  # more than the first process published: ids must not collide
            await client.post("/api/halt", json={"reason": f"after the restart {i}"})
            await client.post("/api/resume", json={"reason": f"after the restart {i}"})
        newest, _ = await second.desk.store.outbox_head()
        async with client.stream(
            "GET", "/api/stream", headers={"Last-Event-ID": last.raw_id or ""}
        ) as resp:
            again = await collect(read_events(resp.aiter_lines()), newest, timeout_s=3.0)
    ids = [e.id for e in again if e.id is not None]
    assert ids == list(range((last.id or 0) + 1, newest + 1))
    assert not [e for e in again if e.event in ("reset", "resync")]
    changes = [e.data["reason"] for e in again if e.event == "trading_state_changed"]
    assert changes[0] == "by the CLI, while the server was down"
    assert len(changes) == 7


async def test_stream_when_the_id_is_from_another_database_then_reset(tmp_path: Path) -> None:
    async with api_harness(tmp_path) as h, loopback_server(h.app) as url:
        _, epoch = await h.desk.store.outbox_head()
        async with (
            httpx.AsyncClient(base_url=url, headers={"X-API-Key": READ_KEY}) as client,
            client.stream(
                "GET", "/api/stream", headers={"Last-Event-ID": f"1-{epoch + 1}"}
            ) as resp,
        ):
            first = await anext(read_events(resp.aiter_lines()))
    assert first.event == "reset"


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[Store]:
    migrate.upgrade(db_url)
    s = Store.from_url(db_url)
    yield s
    await s.close()


def lose_the_next_commit_acknowledgement(monkeypatch: pytest.MonkeyPatch) -> None:
    """The commit reaches the database; its acknowledgement never reaches us."""
    commit = AsyncSession.commit
    armed = [True]

    async def committed_then_lost(self: AsyncSession) -> None:
        await commit(self)
        if armed:
            armed.clear()
            raise ConnectionResetError("connection lost after COMMIT was sent")

    monkeypatch.setattr(AsyncSession, "commit", committed_then_lost)


async def audit_once(store: Store, kind: str) -> None:
    from datetime import datetime

    async with store.tx() as tx:
        await tx.audit(kind, kind, now=datetime.fromisoformat(T))


async def listen(bus: InMemoryEventBus, out: list[BusMessage]) -> asyncio.Task[None]:
    async def run() -> None:
        async for msg in bus.subscribe():
            out.append(msg)

    task = asyncio.create_task(run())
    await asyncio.sleep(0)
    return task


@pytest.mark.parametrize("recovery", ["next_commit", "catch_up"])
async def test_relay_when_a_commit_acknowledgement_is_lost_then_the_event_is_still_streamed(
    store: Store, monkeypatch: pytest.MonkeyPatch, recovery: str
) -> None:
    bus = InMemoryEventBus()
    relay = OutboxRelay(store, bus)
    store.publish_to(relay)
    await relay.start()
    got: list[BusMessage] = []
    task = await listen(bus, got)
    lose_the_next_commit_acknowledgement(monkeypatch)
    with pytest.raises(ConnectionResetError):
        await audit_once(store, "lost.ack")
    await asyncio.sleep(0)
    assert got == []  # nothing was handed over: the caller never saw the commit succeed
    if recovery == "next_commit":
        await audit_once(store, "after")
    else:
        assert await relay.catch_up() == 1
    await asyncio.sleep(0)
    task.cancel()
    kinds = [m.payload["kind"] for m in got]
    assert kinds == (["lost.ack", "after"] if recovery == "next_commit" else ["lost.ack"])
    assert [m.seq for m in got] == list(range(1, len(got) + 1))


async def test_relay_when_commits_are_handed_over_out_of_order_then_published_in_order(
    store: Store,
) -> None:
    bus = InMemoryEventBus()
    relay = OutboxRelay(store, bus)
    await relay.start()  # not attached: commits are handed over below, the late one first
    got: list[BusMessage] = []
    task = await listen(bus, got)
    messages: list[Any] = []

    class Keep:
        async def committed(self, m: list[Any]) -> None:
            messages.extend(m)

    store.publish_to(Keep())
    for kind in ("a", "b", "c"):
        await audit_once(store, kind)
    await relay.committed([messages[2]])  # "c" arrives first: "a" and "b" are read back
    await relay.committed([messages[0]])  # already published: ignored
    await asyncio.sleep(0)
    task.cancel()
    assert [m.payload["kind"] for m in got] == ["a", "b", "c"]
