"""The Redis Streams bus against the real Redis, and through a proxy that fails."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import pytest
from tests.fakes.db_proxy import FaultyProxy

from swingdesk.adapters.redis_bus import BusUnavailableError, RedisStreamBus
from swingdesk.ports import BUS_INTERRUPTED, BUS_RESUMED, BusMessage

EPOCH = 4242


def _msg(seq: int, topic: str = "audit") -> BusMessage:
    return BusMessage(seq, topic, {"n": seq}, EPOCH)


async def _take(it: AsyncIterator[BusMessage], n: int, timeout_s: float = 5) -> list[BusMessage]:
    out: list[BusMessage] = []
    async with asyncio.timeout(timeout_s):
        while len(out) < n:
            out.append(await anext(it))
    return out


async def test_bus_when_messages_are_published_then_subscribers_get_them_in_order_with_ids(
    redis_server: str, redis_prefix: str
) -> None:
    bus = RedisStreamBus(redis_server, prefix=redis_prefix, epoch=EPOCH, block_ms=200)
    sub = bus.subscribe(after=0)
    try:
        first = asyncio.ensure_future(_take(sub, 4))
        await asyncio.sleep(0.3)
        for seq in (1, 2, 3):
            await bus.publish(_msg(seq))
        await bus.publish(_msg(2))  # a duplicate: Redis refuses the id, nothing is added
        await bus.publish(BusMessage(0, "portfolio", {"equity": "1"}))
        await bus.publish(_msg(4))
        got = await first
        durable = [m for m in got if m.seq]
        assert [m.id for m in durable] == [f"{n}-{EPOCH}" for n in (1, 2, 3)][: len(durable)]
        rest = await _take(sub, 1) if len(durable) < 4 else []
        seqs = [m.seq for m in [*got, *rest] if m.seq]
        assert seqs == [1, 2, 3, 4]
        assert any(m.topic == "portfolio" and m.seq == 0 for m in got)
        assert bus.duplicates == 1
        assert await bus.top() == 4
        history = await bus.history(1, 10)
        assert history is not None
        assert [m.seq for m in history] == [2, 3, 4]
        assert history[0].payload == {"n": 2}
    finally:
        await sub.aclose()
        await bus.close()


async def test_bus_when_history_was_trimmed_then_it_says_so(
    redis_server: str, redis_prefix: str
) -> None:
    bus = RedisStreamBus(redis_server, prefix=redis_prefix, epoch=EPOCH, maxlen=100)
    try:
        for seq in range(1, 400):
            await bus.publish(_msg(seq))
        assert await bus.history(1, 10) is None  # 2 is gone: the caller reads the outbox
        kept = await bus.history(398, 10)
        assert kept is not None
        assert [m.seq for m in kept] == [399]
    finally:
        await bus.close()


async def _wait_for(predicate: Callable[[], bool], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, f"not within {timeout_s} s"
        await asyncio.sleep(0.02)


@pytest.mark.parametrize("fault", ["stall", "drop", "outage"])
async def test_bus_when_redis_fails_then_publish_fails_fast_and_subscribers_resume(
    redis_server: str, redis_prefix: str, fault: str
) -> None:
    proxy = await FaultyProxy("127.0.0.1", 6379).start()
    url = f"redis://127.0.0.1:{proxy.port}/0"
    bus = RedisStreamBus(url, prefix=redis_prefix, epoch=EPOCH, timeout_s=0.5, block_ms=200)
    got: list[BusMessage] = []

    async def consume() -> None:
        async for message in bus.subscribe(after=0):
            got.append(message)

    reader = asyncio.create_task(consume())
    try:
        await bus.publish(_msg(1))
        await _wait_for(lambda: [m.seq for m in got] == [1], 5)
        if fault == "stall":
            proxy.stall()
        elif fault == "drop":
            proxy.drop()
        else:
            await proxy.refuse()
        failed = False
        for _ in range(5):  # a drop lets the next command through on a new connection
            start = time.monotonic()
            try:
                await bus.publish(_msg(2))
            except BusUnavailableError:
                failed = True
                break
            finally:
                # Each command is bounded by its timeouts (connect, then read): no retries.
                assert time.monotonic() - start < 2.5
            proxy.drop()
        assert failed or fault == "drop"
        await _wait_for(lambda: any(m.topic == BUS_INTERRUPTED for m in got), 5)
        await proxy.heal()
        for seq in (2, 3):
            for _ in range(100):  # Redis is back once a command goes through
                try:
                    await bus.publish(_msg(seq))
                    break
                except BusUnavailableError:
                    await asyncio.sleep(0.1)
        await _wait_for(lambda: [m.seq for m in got if m.seq][-1:] == [3], 10)
        assert [m.seq for m in got if m.seq] == [1, 2, 3]
        assert BUS_RESUMED in [m.topic for m in got]
    finally:
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)
        await bus.close()
        await proxy.close()
