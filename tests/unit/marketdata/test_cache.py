"""TtlCache: TTL, single flight across tasks and threads, errors not cached."""

from __future__ import annotations

import asyncio
import threading

import pytest

from swingdesk.ttl_cache import TtlCache


class Timer:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


async def test_get_when_ten_concurrent_requests_then_one_fetch() -> None:
    cache: TtlCache[int] = TtlCache(60)
    calls = 0
    gate = asyncio.Event()

    async def load() -> int:
        nonlocal calls
        calls += 1
        await gate.wait()
        return 7

    tasks = [asyncio.create_task(cache.get("AAPL", load)) for _ in range(10)]
    await asyncio.sleep(0)
    gate.set()
    assert await asyncio.gather(*tasks) == [7] * 10
    assert calls == 1
    stats = cache.stats()
    assert (stats.misses, stats.joins, stats.loads) == (1, 9, 1)


async def test_get_when_within_ttl_then_cached_after_ttl_then_reloaded() -> None:
    timer = Timer()
    cache: TtlCache[int] = TtlCache(60, timer=timer)
    values = iter([1, 2])

    async def load() -> int:
        return next(values)

    assert await cache.get("k", load) == 1
    timer.t = 59.9
    assert await cache.get("k", load) == 1
    timer.t = 60.0
    assert await cache.get("k", load) == 2


async def test_get_when_load_fails_then_every_waiter_sees_it_and_next_call_retries() -> None:
    cache: TtlCache[int] = TtlCache(60)
    gate = asyncio.Event()
    attempts = 0

    async def fail() -> int:
        nonlocal attempts
        attempts += 1
        await gate.wait()
        raise RuntimeError("boom")

    tasks = [asyncio.create_task(cache.get("k", fail)) for _ in range(3)]
    await asyncio.sleep(0)
    gate.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results)
    assert attempts == 1

    async def ok() -> int:
        return 5

    assert await cache.get("k", ok) == 5


def test_get_when_called_from_threads_with_own_loops_then_one_fetch() -> None:
    cache: TtlCache[int] = TtlCache(60)
    calls = 0
    started = threading.Event()
    release = threading.Event()

    async def load() -> int:
        nonlocal calls
        calls += 1
        started.set()
        await asyncio.to_thread(release.wait, 5)
        return 3

    results: list[int] = []

    def worker() -> None:
        results.append(asyncio.run(cache.get("k", load)))

    first = threading.Thread(target=worker)
    first.start()
    assert started.wait(5)
    others = [threading.Thread(target=worker) for _ in range(9)]
    for t in others:
        t.start()
    release.set()
    for t in [first, *others]:
        t.join(5)
    assert results == [3] * 10
    assert calls == 1


async def test_get_when_over_capacity_then_least_recent_evicted() -> None:
    cache: TtlCache[int] = TtlCache(60, max_entries=2)
    for k in range(3):

        async def load(k: int = k) -> int:
            return k

        await cache.get(k, load)
    assert cache.peek(0) is None
    assert cache.peek(2) == 2


async def test_get_when_waiter_cancelled_then_shared_load_completes_for_others() -> None:
    cache: TtlCache[int] = TtlCache(60)
    gate = asyncio.Event()

    async def load() -> int:
        await gate.wait()
        return 9

    owner = asyncio.create_task(cache.get("k", load))
    await asyncio.sleep(0)
    waiter = asyncio.create_task(cache.get("k", load))
    await asyncio.sleep(0)
    waiter.cancel()
    gate.set()
    assert await owner == 9
    with pytest.raises(asyncio.CancelledError):
        await waiter


def test_construction_when_bad_arguments_then_value_error() -> None:
    with pytest.raises(ValueError, match="ttl_s"):
        TtlCache(-1)
    with pytest.raises(ValueError, match="max_entries"):
        TtlCache(1, max_entries=0)
