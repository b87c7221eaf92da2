"""A subscription's teardown is bounded even when a reader loses its cancellation."""

from __future__ import annotations

import asyncio
import time

from swingdesk.adapters.redis_bus import _stop_readers


async def test_stop_readers_when_a_reader_swallows_its_cancel_then_the_flag_ends_it() -> None:
    stopping = asyncio.Event()
    laps = 0

    async def stubborn() -> None:
        # As when a cancel races a socket timeout inside the client and surfaces as an error.
        nonlocal laps
        while not stopping.is_set():
            laps += 1
            try:
                await asyncio.sleep(0.01)
            except asyncio.CancelledError:
                continue

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0.05)
    start = time.monotonic()
    await _stop_readers([task], stopping)
    assert task.done()
    assert not task.cancelled()  # it returned on the flag
    assert time.monotonic() - start < 1.0
    assert laps > 1


async def test_stop_readers_when_a_reader_never_ends_then_it_is_abandoned_in_bounded_time() -> None:
    stopping = asyncio.Event()
    release = asyncio.Event()

    async def deaf() -> None:
        while not release.is_set():
            try:
                await asyncio.sleep(0.01)
            except asyncio.CancelledError:
                continue

    task = asyncio.create_task(deaf())
    await asyncio.sleep(0.05)
    start = time.monotonic()
    await _stop_readers([task], stopping)
    assert 2.5 < time.monotonic() - start < 4.0
    assert not task.done()
    release.set()
    await asyncio.wait_for(task, 1.0)
