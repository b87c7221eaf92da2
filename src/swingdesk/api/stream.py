"""The live stream: one bus subscription per process, fanned out to every SSE client.

The hub encodes each message once (``id``, ``event``, ``data`` lines) and keeps the last
``replay`` frames, so a client reconnecting with ``Last-Event-ID`` gets what it missed
(bounded; older gaps are announced with a ``resync`` event). A client that falls too far
behind is disconnected rather than silently losing events; its EventSource reconnects
with ``Last-Event-ID`` and catches up from the replay buffer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Any

from swingdesk.api.cache import PortfolioCache
from swingdesk.api.metrics import Metrics
from swingdesk.domain.errors import DatabaseUnavailableError
from swingdesk.ports import BusMessage, EventBus

log = logging.getLogger(__name__)
#: Bus topics after which the portfolio (cash, positions, state) may have changed.
PORTFOLIO_TOPICS = frozenset({"fill", "order_status", "trading_state_changed"})
RETRY_MS = 3000
_CLOSE = b""
#: The most digits a Last-Event-ID may have: any bus sequence (int64) fits in 18.
_MAX_ID_DIGITS = 18


def encode(msg: BusMessage) -> bytes:
    """Return one SSE frame for a bus message."""
    data = json.dumps(msg.payload, separators=(",", ":"), default=str)
    return f"id: {msg.seq}\nevent: {msg.topic}\ndata: {data}\n\n".encode()


def parse_last_event_id(raw: str | None) -> int | None:
    """Return the sequence a client's ``Last-Event-ID`` names; None when absent or malformed."""
    # A malformed id is a client's (or a proxy's) mistake, not an error: resume from now.
    text = (raw or "").strip()
    if not 0 < len(text) <= _MAX_ID_DIGITS or not (text.isascii() and text.isdigit()):
        return None
    return int(text)


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
    ) -> None:
        self.bus = bus
        self.metrics = metrics
        self._ring: deque[tuple[int, bytes]] = deque(maxlen=replay)
        self._clients: set[asyncio.Queue[bytes]] = set()
        self._client_queue = client_queue
        self._task: asyncio.Task[None] | None = None
        self._listeners: list[Callable[[BusMessage], None]] = []
        self.last_seq = 0

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
        sub = self.bus.subscribe()
        try:
            async for msg in sub:
                self.dispatch(msg)
        finally:
            aclose = getattr(sub, "aclose", None)
            if aclose is not None:
                await aclose()

    def dispatch(self, msg: BusMessage) -> None:
        """Encode one message once and queue it for every client."""
        frame = encode(msg)
        self.last_seq = msg.seq
        self._ring.append((msg.seq, frame))
        for q in list(self._clients):
            if q.qsize() >= self._client_queue:
                log.warning("stream client too slow; disconnecting it (it will resume by id)")
                self._close(q)
            else:
                q.put_nowait(frame)
        for listener in self._listeners:
            try:
                listener(msg)
            except Exception:
                log.exception("stream listener failed")

    def close_clients(self) -> None:
        """End every client's stream now (they reconnect by themselves with Last-Event-ID)."""
        for q in list(self._clients):
            self._close(q)

    def _close(self, q: asyncio.Queue[bytes]) -> None:
        self._clients.discard(q)
        q.put_nowait(_CLOSE)  # unbounded queue: the close marker always gets through

    def attach(self, last_event_id: int | None) -> tuple[asyncio.Queue[bytes], list[bytes]]:
        """Register a client; return its queue and the frames to send first (replay)."""
        first: list[bytes] = [f"retry: {RETRY_MS}\n\n".encode()]
        if last_event_id is not None:
            oldest = self._ring[0][0] if self._ring else self.last_seq + 1
            if last_event_id > self.last_seq:
                # The id comes from an earlier process (restart): start over.
                first.append(control_frame("reset", {"last_seq": self.last_seq}))
            else:
                if last_event_id + 1 < oldest:
                    first.append(
                        control_frame(
                            "resync", {"missed_from": last_event_id + 1, "replay_from": oldest}
                        )
                    )
                first.extend(frame for seq, frame in self._ring if seq > last_event_id)
        q: asyncio.Queue[bytes] = asyncio.Queue()
        self._clients.add(q)
        self.metrics.sse_clients = len(self._clients)
        return q, first

    def detach(self, q: asyncio.Queue[bytes]) -> None:
        """Forget a client."""
        self._clients.discard(q)
        self.metrics.sse_clients = len(self._clients)

    async def frames(
        self, last_event_id: int | None, *, keepalive_s: float, max_batch: int = 256
    ) -> AsyncIterator[bytes]:
        """Yield one client's bytes: replay, then live frames in batches, and keep-alives."""
        q, first = self.attach(last_event_id)
        getter: asyncio.Future[bytes] | None = None
        try:
            yield b"".join(first)
            while True:
                # One pending get at a time, never cancelled on a keep-alive: no frame is lost.
                getter = getter or asyncio.ensure_future(q.get())
                done, _ = await asyncio.wait({getter}, timeout=keepalive_s)
                if not done:
                    yield b": keep-alive\n\n"
                    continue
                frame, getter = getter.result(), None
                if not frame:
                    return
                batch = [frame]
                while not q.empty() and len(batch) < max_batch:
                    nxt = q.get_nowait()
                    if not nxt:
                        yield b"".join(batch)
                        return
                    batch.append(nxt)
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

    def __init__(self, bus: EventBus, cache: PortfolioCache) -> None:
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
                await self.bus.publish("portfolio", (await self.cache.get()).view)
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
