"""An in-process event bus with a bounded replay buffer for reconnecting clients."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

from swingdesk.ports import BusMessage


class InMemoryEventBus:
    """Fans each published message out to every subscriber, in publication order."""

    def __init__(self, *, replay: int = 1000, queue_size: int = 10_000) -> None:
        self._seq = 0
        self._kept: deque[BusMessage] = deque(maxlen=replay)
        self._subscribers: set[asyncio.Queue[BusMessage]] = set()
        self._queue_size = queue_size

    @property
    def last_seq(self) -> int:
        """Return the sequence number of the newest message."""
        return self._seq

    async def publish(self, topic: str, payload: dict[str, Any]) -> BusMessage:
        """Publish one message; a subscriber too slow to keep up loses its oldest ones."""
        self._seq += 1
        msg = BusMessage(self._seq, topic, payload)
        self._kept.append(msg)
        for queue in self._subscribers:
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(msg)
        return msg

    async def subscribe(self, after_seq: int | None = None) -> AsyncIterator[BusMessage]:
        """Yield kept messages after ``after_seq`` and then live ones."""
        queue: asyncio.Queue[BusMessage] = asyncio.Queue(self._queue_size)
        self._subscribers.add(queue)
        try:
            if after_seq is not None:
                for msg in list(self._kept):
                    if msg.seq > after_seq:
                        yield msg
                last = max(after_seq, self._kept[-1].seq if self._kept else after_seq)
            else:
                last = self._seq
            while True:
                msg = await queue.get()
                if msg.seq > last:
                    last = msg.seq
                    yield msg
        finally:
            self._subscribers.discard(queue)
