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
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable

from swingdesk.ports import BusMessage, EventBus
from swingdesk.unit_of_work import Outbox, OutboxMessage

log = logging.getLogger(__name__)


class OutboxRelay:
    """Publishes committed outbox messages on the bus in sequence order."""

    def __init__(self, store: Outbox, bus: EventBus, *, batch: int = 500) -> None:
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


class LeaderRelay:
    """The relay to a shared bus (Redis): only the leader writes, off the request path.

    A commit here hands its messages over without waiting for the bus (a stalled Redis
    must not slow a trigger down); a commit elsewhere wakes it through ``wake`` (PostgreSQL
    NOTIFY); a poll every ``poll_s`` catches anything else. On becoming leader it starts
    after the newest message already in the stream (``start_from``), so what the previous
    leader left unpublished is published now, in order. While the bus is down it keeps its
    place and retries; the outbox holds everything meanwhile.
    """

    def __init__(
        self,
        relay: OutboxRelay,
        *,
        is_leader: Callable[[], bool],
        start_from: Callable[[], Awaitable[int]],
        poll_s: float,
        retry_s: float = 0.5,
    ) -> None:
        self.relay = relay
        self.is_leader = is_leader
        self.start_from = start_from
        self.poll_s = poll_s
        self.retry_s = retry_s
        self._pending: deque[list[OutboxMessage]] = deque(maxlen=10_000)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.failing: str | None = None

    async def committed(self, messages: list[OutboxMessage]) -> None:
        """Take a local commit's messages (published by the loop, when leading)."""
        if self.is_leader():
            self._pending.append(messages)
            self._wake.set()

    def wake(self) -> None:
        """Look at the outbox now (another replica committed)."""
        self._wake.set()

    def start(self) -> None:
        """Start the loop (idempotent)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="leader-relay")

    async def stop(self) -> None:
        """Stop the loop."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_s)
            self._wake.clear()
            if not self.is_leader():
                self._pending.clear()
                self.relay.cursor = None  # a future term starts from the stream's top
                continue
            try:
                await self.step()
                if self.failing is not None:
                    log.info("leader relay: publishing again after %s", self.failing)
                self.failing = None
            except Exception as exc:
                if self.failing is None:
                    log.warning("leader relay: cannot publish (%s); will retry", exc)
                self.failing = type(exc).__name__
                await asyncio.sleep(self.retry_s)
                self._wake.set()

    async def step(self) -> int:
        """Publish what was handed over, then anything else committed; return how many."""
        if self.relay.cursor is None:
            self.relay.cursor = await self.start_from()
        while self._pending:
            await self.relay.committed(self._pending[0])
            self._pending.popleft()
        return await self.relay.catch_up()
