"""The live stream over a real loopback server: order, latency bound, resumption by id."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.fakes.api import (
    READ_KEY,
    TRADE_KEY,
    ApiHarness,
    SseEvent,
    api_harness,
    loopback_server,
    read_events,
)

from swingdesk.adapters.memory_bus import InMemoryEventBus
from swingdesk.api.metrics import Metrics
from swingdesk.api.stream import StreamHub, StreamPosition, parse_event_id
from swingdesk.ports import BusMessage


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[ApiHarness, str]]:
    async with api_harness(tmp_path) as h, loopback_server(h.app) as url:
        yield h, url


async def _collect(
    events: AsyncIterator[SseEvent], until: int, *, timeout_s: float
) -> list[SseEvent]:
    got: list[SseEvent] = []
    async with asyncio.timeout(timeout_s):
        async for ev in events:
            got.append(ev)
            if ev.id is not None and ev.id >= until:
                return got
    return got


async def test_stream_when_trigger_runs_then_its_events_arrive_in_order_within_1s(
    served: tuple[ApiHarness, str],
) -> None:
    h, url = served
    async with (
        httpx.AsyncClient(base_url=url, headers={"X-API-Key": TRADE_KEY}) as client,
        client.stream("GET", "/api/stream", headers={"X-API-Key": READ_KEY}) as resp,
    ):
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/event-stream")
        events = read_events(resp.aiter_lines())
        trig = await client.post("/api/trigger", json={"ticker": "AAPL"})
        assert trig.status_code == 200
        did = trig.json()["decision_id"]
        last_audit = (await client.get("/api/logs", params={"limit": 1})).json()["items"][0]
        # The trigger returned, so everything was published: all of it must arrive within 1 s.
        got = await _collect(events, h.desk.bus.last_seq, timeout_s=1.0)
    ids = [e.id for e in got if e.id is not None]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    mine = [e for e in got if e.data.get("decision_id") == did]
    kinds = [e.data["kind"] for e in mine if e.event == "audit"]
    assert kinds[:2] == ["decision.started", "market.snapshot"]
    assert "signal_created" in [e.event for e in mine]
    assert [e.event for e in mine].index("signal_created") > 1
    assert any(e.event == "audit" and e.data["seq"] == last_audit["seq"] for e in got)


async def test_stream_when_reconnecting_with_last_event_id_then_missed_events_replayed(
    served: tuple[ApiHarness, str],
) -> None:
    h, url = served
    async with httpx.AsyncClient(base_url=url, headers={"X-API-Key": TRADE_KEY}) as client:
        async with client.stream("GET", "/api/stream") as resp:
            events = read_events(resp.aiter_lines())
            await client.post("/api/halt", json={"reason": "first"})
            first = await _collect(events, h.desk.bus.last_seq, timeout_s=2.0)
        last = max((e for e in first if e.id is not None), key=lambda e: e.id or 0)
        seen = last.id or 0
        await client.post("/api/resume", json={"reason": "while away"})
        missed_until = h.desk.bus.last_seq
        assert missed_until > seen
        async with client.stream(
            "GET", "/api/stream", headers={"Last-Event-ID": last.raw_id or ""}
        ) as resp:
            again = await _collect(read_events(resp.aiter_lines()), missed_until, timeout_s=2.0)
    ids = [e.id for e in again if e.id is not None]
    assert ids == list(range(seen + 1, missed_until + 1))
    changes = [e.data["current"] for e in again if e.event == "trading_state_changed"]
    assert changes == ["ACTIVE"]


async def test_stream_when_token_or_query_key_then_accepted_and_bad_token_401(
    served: tuple[ApiHarness, str],
) -> None:
    _, url = served
    async with httpx.AsyncClient(base_url=url) as client:
        token = (await client.post("/api/stream-token", headers={"X-API-Key": READ_KEY})).json()[
            "token"
        ]
        for params in ({"token": token}, {"api_key": READ_KEY}):
            async with client.stream("GET", "/api/stream", params=params) as resp:
                assert resp.status_code == 200
        for params in ({"token": token + "x"}, {"api_key": "nope"}, {}):
            r = await client.get("/api/stream", params=params)
            assert r.status_code == 401
            assert r.json()["error"]["code"] == "UNAUTHORIZED"


async def _drain(hub: StreamHub, after: StreamPosition | None, n_frames: int) -> bytes:
    out = b""
    frames = hub.frames(after, keepalive_s=0.05)
    async for chunk in frames:
        out += chunk
        if out.count(b"\n\n") >= n_frames:
            break
    await frames.aclose()  # type: ignore[attr-defined]
    return out


async def test_hub_when_last_id_is_older_than_the_buffer_and_no_history_then_resync() -> None:
    bus = InMemoryEventBus()
    hub = StreamHub(bus, Metrics(), replay=3, epoch=7)
    for i in range(1, 6):
        hub.dispatch(BusMessage(i, "audit", {"n": i}, 7))
    out = await _drain(hub, StreamPosition(0, 7), 5)
    assert b"event: resync" in out
    assert b"id: 3-7\n" in out
    assert b"id: 2-7\n" not in out


async def test_hub_when_last_id_is_older_than_the_buffer_then_replayed_from_history() -> None:
    kept = [BusMessage(i, "audit", {"n": i}, 7) for i in range(1, 6)]

    async def history(after: int, limit: int) -> list[BusMessage]:
        return [m for m in kept if m.seq > after][:limit]

    hub = StreamHub(InMemoryEventBus(), Metrics(), replay=2, epoch=7, history=history)
    for m in kept:
        hub.dispatch(m)
    out = await _drain(hub, StreamPosition(1, 7), 5)
    assert b"resync" not in out
    ids = [line for line in out.split(b"\n") if line.startswith(b"id:")]
    assert ids == [b"id: 2-7", b"id: 3-7", b"id: 4-7", b"id: 5-7"]


async def test_hub_when_last_id_is_from_another_database_then_reset() -> None:
    hub = StreamHub(InMemoryEventBus(), Metrics(), epoch=7)
    hub.dispatch(BusMessage(1, "audit", {}, 7))
    out = await _drain(hub, StreamPosition(1, 8), 2)
    assert b"event: reset" in out


@pytest.mark.parametrize(
    "raw",
    ["99", "1-2-3", "-1-7", "\u00b2-7", "1" * 5000 + "-7", "7-" + "1" * 5000, "", " ", "a-b"],
)
def test_event_id_when_malformed_or_huge_then_treated_as_absent(raw: str) -> None:
    assert parse_event_id(raw) is None


def test_event_id_when_well_formed_then_parsed() -> None:
    assert parse_event_id(" 12-345 ") == StreamPosition(12, 345)


async def test_hub_when_idle_then_keep_alive_comments_are_sent() -> None:
    hub = StreamHub(InMemoryEventBus(), Metrics())
    out = await _drain(hub, None, 3)
    assert out.count(b": keep-alive\n\n") >= 2


async def test_hub_when_a_client_falls_behind_then_it_is_disconnected() -> None:
    hub = StreamHub(InMemoryEventBus(), Metrics(), client_queue=2)
    q = hub.attach()
    for i in range(1, 5):
        hub.dispatch(BusMessage(i, "audit", {}))
    assert q not in hub._clients
    assert b"" in [q.get_nowait()[1] for _ in range(q.qsize())]


# Header bytes are read as latin-1: b"\xb2" arrives as "²", which str.isdigit() accepts.
@pytest.mark.parametrize(
    "last_id", [b"9" * 5000, b"\xb2", b"\xb9\xb2\xb3", b"12a", b"-1", b"", b"1-" + b"9" * 5000]
)
async def test_stream_when_last_event_id_is_malformed_then_treated_as_absent(
    served: tuple[ApiHarness, str], last_id: bytes
) -> None:
    _, url = served
    async with (
        httpx.AsyncClient(base_url=url, headers={"X-API-Key": READ_KEY}) as client,
        client.stream("GET", "/api/stream", headers={"Last-Event-ID": last_id}) as resp,
    ):
        assert resp.status_code == 200
        first = await anext(resp.aiter_bytes())
    # Absent means "from now on": no replay, no reset or resync announcement.
    assert first.startswith(b"retry:")
    assert b"event:" not in first


async def _wait_for(predicate: Callable[[], bool], timeout_s: float = 3.0) -> None:
    # Polled: the count changes inside the server's tasks, which signal nothing a test sees.
    for _ in range(int(timeout_s / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the condition did not become true in time")


async def test_stream_when_a_key_token_or_the_service_is_at_its_cap_then_429_until_one_closes(
    tmp_path: Path,
) -> None:
    caps = {"stream_max_clients_per_key": 2, "stream_max_clients_total": 4}
    async with (
        api_harness(tmp_path, **caps) as h,
        loopback_server(h.app) as url,
        httpx.AsyncClient(base_url=url) as client,
        contextlib.AsyncExitStack() as streams,
    ):
        admission = h.app.state.services.streams
        readers: list[AsyncIterator[bytes]] = []  # an unreferenced reader would close its stream

        async def open_stream(**kw: Any) -> httpx.Response:
            resp = await streams.enter_async_context(client.stream("GET", "/api/stream", **kw))
            if resp.status_code == 200:
                readers.append(resp.aiter_bytes())
                await anext(readers[-1])  # admitted and streaming
            else:
                await resp.aread()
            return resp

        read = {"headers": {"X-API-Key": READ_KEY}}
        token = (await client.post("/api/stream-token", **read)).json()["token"]  # type: ignore[arg-type]
        for _ in range(2):
            assert (await open_stream(**read)).status_code == 200
        refused = await open_stream(**read)
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "TOO_MANY_STREAMS"
        assert refused.headers["retry-after"] == "5"
        # The cap is per caller: a token and the trade key have places of their own...
        assert (await open_stream(params={"token": token})).status_code == 200
        assert (await open_stream(headers={"X-API-Key": TRADE_KEY})).status_code == 200
        # ...until the service's total is reached.
        total = await open_stream(params={"token": token})
        assert total.status_code == 429
        assert total.json()["error"]["details"] == {"limit_total": 4}
        assert admission.open == 4
        metrics = (await client.get("/metrics")).text
        assert "swingdesk_stream_clients 4" in metrics
        assert "swingdesk_stream_refused_total 2" in metrics
        await streams.aclose()  # every client goes away: every place is given back
        await _wait_for(lambda: admission.open == 0)
        async with client.stream("GET", "/api/stream", **read) as again:  # type: ignore[arg-type]
            assert again.status_code == 200
