"""The live stream: one bus subscription per process, fanned out to every SSE client.

Every durable message carries its stream id, ``<outbox seq>-<epoch>``: the outbox numbers
messages gap-free in commit order and the epoch names the database, so an id stays valid
across restarts. A client reconnecting with ``Last-Event-ID`` gets what it missed, from the
hub's ring of recent frames or, further back, from the outbox itself; a ``resync`` event
says when the gap is older than what is kept, a ``reset`` when the id is from another
database. Transient messages (portfolio marks) carry no id and are not replayed. A client
that falls too far behind is disconnected rather than silently losing events; its
EventSource reconnects with ``Last-Event-ID`` and catches up.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from swingdesk.api.cache import PortfolioCache
from swingdesk.api.metrics import Metrics
from swingdesk.domain.errors import DatabaseUnavailableError
from swingdesk.ports import BUS_INTERRUPTED, BUS_RESUMED, BusMessage, EventBus

log = logging.getLogger(__name__)
#: Bus topics after which the portfolio (cash, positions, state) may have changed.
PORTFOLIO_TOPICS = frozenset({"fill", "order_status", "trading_state_changed"})
RETRY_MS = 3000
_CLOSE = b""
#: ``<seq>-<epoch>``, ASCII digits only and bounded, so no header can cost a big-int parse.
_EVENT_ID = re.compile(r"(\d{1,18})-(\d{1,10})", re.ASCII)
#: Reads committed messages after a sequence number (the outbox), for replay.
History = Callable[[int, int], Awaitable[list[BusMessage]]]


@dataclass(frozen=True, slots=True)
class StreamPosition:
    """Where a client's stream stopped: the last message's sequence and epoch."""

    seq: int
    epoch: int


def parse_event_id(raw: str | None) -> StreamPosition | None:
    """Return the position a ``Last-Event-ID`` names; None when absent or malformed."""
    if raw is None:
        return None
    match = _EVENT_ID.fullmatch(raw.strip())
    if match is None:
        return None
    return StreamPosition(int(match[1]), int(match[2]))


def encode(msg: BusMessage) -> bytes:
    """Return one SSE frame for a bus message (with its id when it has one)."""
    data = json.dumps(msg.payload, separators=(",", ":"), default=str)
    head = f"id: {msg.id}\n" if msg.id else ""
    return f"{head}event: {msg.topic}\ndata: {data}\n\n".encode()


def control_frame(event: str, data: dict[str, Any]) -> bytes:
    """Return an SSE frame that carries no id (it is not part of the event sequence)."""
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


class StreamHub:
    """Subscribes to the bus once and hands encoded frames to every client queue."""

    def __init__(
        self,
        bus: EventBus,
        metrics: Metrics,
        *,
        replay: int = 1000,
        client_queue: int = 5000,
        history: History | None = None,
        history_max: int = 5000,
        epoch: int = 0,
        shared: bool = False,
    ) -> None:
        self.bus = bus
        self.metrics = metrics
        self._ring: deque[tuple[int, bytes]] = deque(maxlen=replay)
        self._clients: set[asyncio.Queue[tuple[int, bytes]]] = set()
        self._client_queue = client_queue
        self._task: asyncio.Task[None] | None = None
        self._listeners: list[Callable[[BusMessage], None]] = []
        self._history = history
        self._history_max = history_max
        #: The epoch of the database whose messages this hub carries.
        self.epoch = epoch
        self.last_seq = 0
        #: A shared bus (Redis) may restart, trim or skip: the hub then drops what it has
        #: seen and fills a gap from ``history`` (else tells clients to resync).
        self.shared = shared
        #: Why the bus is not carrying messages now (None while it is).
        self.interrupted: str | None = None
        self.resyncs = 0

    async def publish(self, msg: BusMessage) -> None:
        """Dispatch a message computed here to this hub's clients only (transient marks:
        every replica sees the same fills and computes its own)."""
        self.dispatch(msg)

    def add_listener(self, listener: Callable[[BusMessage], None]) -> None:
        """Call ``listener`` (synchronously, must not block) for every message."""
        self._listeners.append(listener)

    def start(self) -> None:
        """Start the one bus subscription."""
        if self._task is None:
            self._task = asyncio.create_task(self._pump(), name="stream-hub")

    async def stop(self) -> None:
        """Stop the subscription and close every client stream."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.close_clients()

    async def _pump(self) -> None:
        sub = self.bus.subscribe(after=self.last_seq)
        try:
            async for msg in sub:
                if msg.topic == BUS_INTERRUPTED:
                    self._bus_interrupted(str(msg.payload.get("reason", "")))
                    continue
                if msg.topic == BUS_RESUMED:
                    self.interrupted = None
                    continue
                if self.interrupted is not None and msg.seq:
                    log.info("stream: the bus carries messages again")
                    self.interrupted = None
                if self.shared and msg.seq:
                    if msg.seq <= self.last_seq:
                        continue  # seen already (a relay's retry, a re-read)
                    if self.last_seq and msg.seq > self.last_seq + 1:
                        await self._fill_gap(msg.seq)
                self.dispatch(msg)
        finally:
            aclose = getattr(sub, "aclose", None)
            if aclose is not None:
                await aclose()

    def dispatch(self, msg: BusMessage) -> None:
        """Encode one message once and queue it for every client."""
        frame = encode(msg)
        if msg.seq:
            self.epoch = msg.epoch or self.epoch
            self.last_seq = max(self.last_seq, msg.seq)
            self._ring.append((msg.seq, frame))
        for q in list(self._clients):
            if q.qsize() >= self._client_queue:
                log.warning("stream client too slow; disconnecting it (it will resume by id)")
                self._close(q)
            else:
                q.put_nowait((msg.seq, frame))
        for listener in self._listeners:
            try:
                listener(msg)
            except Exception:
                log.exception("stream listener failed")

    def _bus_interrupted(self, reason: str) -> None:
        """Tell every live client that events may be missing until the bus is back."""
        self.interrupted = reason or "unavailable"
        self.resyncs += 1
        frame = control_frame("resync", {"reason": "bus_unavailable", "last_id": self._last_id()})
        for q in list(self._clients):
            q.put_nowait((0, frame))

    async def _fill_gap(self, next_seq: int) -> None:
        """Dispatch what the bus skipped before ``next_seq`` from history, else resync."""
        missed = await self._from_history(self.last_seq)
        if missed is None:
            self._bus_interrupted("gap")
            self.interrupted = None
            return
        for m in missed:
            if self.last_seq < m.seq < next_seq:
                self.dispatch(m)

    def close_clients(self) -> None:
        """End every client's stream now (they reconnect by themselves with Last-Event-ID)."""
        for q in list(self._clients):
            self._close(q)

    def _close(self, q: asyncio.Queue[tuple[int, bytes]]) -> None:
        self._clients.discard(q)
        q.put_nowait((0, _CLOSE))  # unbounded queue: the close marker always gets through

    def attach(self) -> asyncio.Queue[tuple[int, bytes]]:
        """Register a client; from now on every frame is queued for it."""
        q: asyncio.Queue[tuple[int, bytes]] = asyncio.Queue()
        self._clients.add(q)
        self.metrics.sse_clients = len(self._clients)
        return q

    def detach(self, q: asyncio.Queue[tuple[int, bytes]]) -> None:
        """Forget a client."""
        self._clients.discard(q)
        self.metrics.sse_clients = len(self._clients)

    async def replay(self, after: StreamPosition | None) -> tuple[list[bytes], int]:
        """Return the frames a client resuming ``after`` missed, and the last seq they cover.

        ``reset`` when the id is from another database; ``resync`` when what it missed is
        no longer kept (or too much to replay): the client then refetches its views.
        """
        if after is None:
            return [], self.last_seq
        if after.epoch != self.epoch:
            return [control_frame("reset", {"last_id": self._last_id()})], self.last_seq
        if after.seq >= self.last_seq:
            # Nothing missed (a client ahead of this hub skips what it has already seen).
            return [], after.seq
        oldest = self._ring[0][0] if self._ring else self.last_seq + 1
        if after.seq + 1 >= oldest:
            return [f for seq, f in self._ring if seq > after.seq], self.last_seq
        missed = await self._from_history(after.seq)
        if missed is None:
            notice = {"missed_from": after.seq + 1, "replay_from": oldest}
            ring = [f for _, f in self._ring]
            return [control_frame("resync", notice), *ring], self.last_seq
        last = missed[-1].seq if missed else after.seq
        frames = [encode(m) for m in missed]
        frames += [f for seq, f in self._ring if seq > last]
        return frames, max(last, self.last_seq)

    async def _from_history(self, after_seq: int) -> list[BusMessage] | None:
        """Return the messages after ``after_seq`` from the outbox; None if not all kept."""
        if self._history is None:
            return None
        try:
            missed = await self._history(after_seq, self._history_max + 1)
        except Exception:
            log.warning("stream replay from the outbox failed", exc_info=True)
            return None
        if len(missed) > self._history_max or (missed and missed[0].seq != after_seq + 1):
            return None
        return missed

    def _last_id(self) -> str | None:
        return f"{self.last_seq}-{self.epoch}" if self.last_seq else None

    async def frames(
        self, after: StreamPosition | None, *, keepalive_s: float, max_batch: int = 256
    ) -> AsyncIterator[bytes]:
        """Yield one client's bytes: replay, then live frames in batches, and keep-alives."""
        q = self.attach()  # first, so nothing published during the replay read is missed
        getter: asyncio.Future[tuple[int, bytes]] | None = None
        try:
            first, sent = await self.replay(after)
            yield b"".join([f"retry: {RETRY_MS}\n\n".encode(), *first])
            while True:
                # One pending get at a time, never cancelled on a keep-alive: no frame is lost.
                getter = getter or asyncio.ensure_future(q.get())
                done, _ = await asyncio.wait({getter}, timeout=keepalive_s)
                if not done:
                    yield b": keep-alive\n\n"
                    continue
                item, getter = getter.result(), None
                batch: list[bytes] = []
                while True:
                    seq, frame = item
                    if not frame:
                        if batch:
                            yield b"".join(batch)
                        return
                    if not seq or seq > sent:  # replayed already: skip
                        batch.append(frame)
                        sent = max(sent, seq)
                    if q.empty() or len(batch) >= max_batch:
                        break
                    item = q.get_nowait()
                if batch:
                    yield b"".join(batch)
        finally:
            if getter is not None:
                getter.cancel()
            self.detach(q)


class PortfolioPublisher:
    """Publishes a ``portfolio`` message after fills, order updates and state changes.

    Coalesces bursts: at most one computation runs, and one more follows if anything
    changed meanwhile.
    """

    def __init__(self, bus: EventBus | StreamHub, cache: PortfolioCache) -> None:
        self.bus = bus
        self.cache = cache
        self._dirty = False
        self._task: asyncio.Task[None] | None = None

    def on_message(self, msg: BusMessage) -> None:
        """Schedule a refresh when the message can change the portfolio."""
        if msg.topic not in PORTFOLIO_TOPICS:
            return
        self._dirty = True
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="portfolio-publisher")

    async def _run(self) -> None:
        while self._dirty:
            self._dirty = False
            try:
                self.cache.invalidate()
                view = (await self.cache.get()).view
                await self.bus.publish(BusMessage(0, "portfolio", view))
            except DatabaseUnavailableError:
                return  # the outage is logged once by the store, not once per refresh
            except Exception:
                log.exception("could not publish the portfolio")
                return

    async def stop(self) -> None:
        """Cancel a pending refresh."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
