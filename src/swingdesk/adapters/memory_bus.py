"""An in-process event bus: the demo's and the tests' transport for committed events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from swingdesk.ports import BusMessage


class InMemoryEventBus:
    """Fans each published message out to every subscriber, in publication order."""

    def __init__(self, *, queue_size: int = 10_000) -> None:
        self._last_seq = 0
        self._subscribers: set[asyncio.Queue[BusMessage]] = set()
        self._queue_size = queue_size

    @property
    def last_seq(self) -> int:
        """Return the sequence number of the newest message carried."""
        return self._last_seq

    async def publish(self, message: BusMessage) -> None:
        """Publish one message; a subscriber too slow to keep up loses its oldest ones."""
        self._last_seq = max(self._last_seq, message.seq)
        for queue in self._subscribers:
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(message)

    async def subscribe(self, after: int | None = None) -> AsyncIterator[BusMessage]:
        """Yield messages published from now on (nothing is kept, so ``after`` is moot)."""
        queue: asyncio.Queue[BusMessage] = asyncio.Queue(self._queue_size)
        self._subscribers.add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._subscribers.discard(queue)
