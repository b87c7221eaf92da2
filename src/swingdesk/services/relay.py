"""The outbox relay: committed messages onto the event bus, in order, each exactly once.

Every writing transaction puts its events and audit entries in the outbox, numbered under
the journal head's lock, so the numbers are gap-free and follow commit order. The Store
hands each commit's messages here; a gap before them (another task's commit not handed
over yet, a commit whose acknowledgement was lost, another process's commit) is read back
from the outbox first. ``catch_up`` does the same on a timer, for commits no one handed
over (a `swingdesk trigger` beside `serve`, a lost acknowledgement with nothing after it).
"""

from __future__ import annotations

import asyncio
import logging

from swingdesk.ports import BusMessage, EventBus
from swingdesk.store.store import OutboxMessage, Store

log = logging.getLogger(__name__)


class OutboxRelay:
    """Publishes committed outbox messages on the bus in sequence order."""

    def __init__(self, store: Store, bus: EventBus, *, batch: int = 500) -> None:
        self.store = store
        self.bus = bus
        self.batch = batch
        #: The newest sequence number published (None until started).
        self.cursor: int | None = None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        """Begin after the newest committed message (history is not re-published)."""
        async with self._lock:
            if self.cursor is None:
                self.cursor, _ = await self.store.outbox_head()

    async def committed(self, messages: list[OutboxMessage]) -> None:
        """Publish one commit's messages, first any committed before them not yet published."""
        async with self._lock:
            if self.cursor is None:
                self.cursor = messages[0].seq - 1
            if messages[0].seq > self.cursor + 1:
                await self._drain(until=messages[0].seq - 1)
            for message in messages:
                await self._publish(message)

    async def catch_up(self) -> int:
        """Publish every committed message not yet published; return how many."""
        async with self._lock:
            if self.cursor is None:
                self.cursor, _ = await self.store.outbox_head()
                return 0
            return await self._drain(until=None)

    async def _drain(self, *, until: int | None) -> int:
        assert self.cursor is not None
        sent = 0
        while until is None or self.cursor < until:
            rows = await self.store.outbox_after(self.cursor, limit=self.batch)
            if not rows:
                break
            for message in rows:
                if until is not None and message.seq > until:
                    return sent
                await self._publish(message)
                sent += 1
        return sent

    async def _publish(self, message: OutboxMessage) -> None:
        assert self.cursor is not None
        if message.seq <= self.cursor:
            return
        if message.seq > self.cursor + 1:
            # Pruned before it could be published (a relay far behind): say so, go on.
            log.warning(
                "outbox messages %d..%d were pruned unpublished", self.cursor + 1, message.seq - 1
            )
        await self.bus.publish(
            BusMessage(message.seq, message.topic, message.payload, message.epoch)
        )
        self.cursor = message.seq
