"""The event bus on Redis Streams: one stream every replica reads, written by the leader.

Durable messages are ``XADD``-ed with the explicit stream id ``<outbox seq>-<epoch>``. Stream
ids must grow, so the SSE id *is* the Redis id and Redis itself refuses a duplicate or an
out-of-order write; one stream per database epoch (``<prefix>:stream:<epoch>``) keeps a
reset database from colliding with the old ids. ``MAXLEN ~`` bounds the retention; anything
older is read from the outbox. Transient messages (portfolio marks, seq 0) go through a
pub/sub channel, without ids and without replay.

Every command has a timeout (``timeout_s``) and no hidden retries: a Redis that is down or
stalled surfaces as ``BusUnavailableError`` at once. Subscribers then get one
``BUS_INTERRUPTED`` message per outage and the subscription resumes by itself, from the
last id it delivered, when Redis answers again.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError, ResponseError

from swingdesk.domain.errors import TemporaryError
from swingdesk.ports import BUS_INTERRUPTED, BUS_RESUMED, BusMessage

log = logging.getLogger(__name__)
_RETRY_S = (0.1, 0.25, 0.5, 1.0)


class BusUnavailableError(TemporaryError):
    """Redis is down, stalled or refused the command; the outbox keeps everything."""

    code = "BUS_UNAVAILABLE"


def _decode(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _seq(stream_id: Any) -> int:
    return int(_decode(stream_id).split("-", 1)[0])


class RedisStreamBus:
    """``EventBus`` on a Redis stream (durable messages) and a channel (transient ones)."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "swingdesk",
        maxlen: int = 10_000,
        timeout_s: float = 1.0,
        block_ms: int = 1000,
        epoch: int = 0,
    ) -> None:
        self.url = url
        self.prefix = prefix
        self.maxlen = maxlen
        self.timeout_s = timeout_s
        self.block_ms = block_ms
        #: The database epoch whose stream this bus reads (set once the store is known).
        self.epoch = epoch
        self._last_seq = 0
        self._client = self._new_client(timeout_s)
        self.published = 0
        self.duplicates = 0
        self.failures = 0

    def _new_client(self, timeout_s: float) -> Redis:
        return Redis.from_url(
            self.url,
            socket_timeout=timeout_s,
            socket_connect_timeout=self.timeout_s,
            retry=Retry(NoBackoff(), 0),
            health_check_interval=0,
        )

    @property
    def stream(self) -> str:
        """Return the stream's key for the current epoch."""
        return f"{self.prefix}:stream:{self.epoch}"

    @property
    def channel(self) -> str:
        """Return the pub/sub channel of transient messages."""
        return f"{self.prefix}:transient"

    @property
    def last_seq(self) -> int:
        """Return the newest sequence number this process published or received."""
        return self._last_seq

    async def publish(self, message: BusMessage) -> None:
        """XADD a durable message (a duplicate id is refused by Redis: done already);
        PUBLISH a transient one (lost while Redis is down, like any mark)."""
        body = json.dumps(message.payload, separators=(",", ":"), default=str)
        if not message.seq:
            try:
                await self._client.publish(
                    self.channel, json.dumps({"t": message.topic, "p": body})
                )
            except (RedisError, OSError) as exc:
                self.failures += 1
                raise BusUnavailableError(f"redis: {type(exc).__name__}") from exc
            return
        try:
            await self._client.xadd(
                f"{self.prefix}:stream:{message.epoch}",
                {"t": message.topic, "p": body},
                id=f"{message.seq}-{message.epoch}",
                maxlen=self.maxlen,
                approximate=True,
            )
            self.published += 1
        except ResponseError as exc:
            if "equal or smaller" not in str(exc):
                self.failures += 1
                raise BusUnavailableError(f"redis refused XADD: {exc}") from exc
            self.duplicates += 1  # already in the stream (another relay, a retry)
        except (RedisError, OSError) as exc:
            self.failures += 1
            raise BusUnavailableError(f"redis: {type(exc).__name__}") from exc
        self._last_seq = max(self._last_seq, message.seq)

    async def top(self) -> int | None:
        """Return the newest sequence number in the stream, None when it is empty."""
        try:
            entries = await self._client.xrevrange(self.stream, count=1)
        except (RedisError, OSError) as exc:
            raise BusUnavailableError(f"redis: {type(exc).__name__}") from exc
        return _seq(entries[0][0]) if entries else None

    async def history(self, after_seq: int, limit: int) -> list[BusMessage] | None:
        """Return up to ``limit`` messages after ``after_seq`` from the stream; None when
        the stream no longer holds the one right after it (trimmed) or Redis is away."""
        try:
            entries = await self._client.xrange(
                self.stream, min=f"({after_seq}-{self.epoch}", count=limit
            )
        except (RedisError, OSError):
            return None
        messages = [self._message(i, f) for i, f in entries or ()]
        if messages and messages[0].seq != after_seq + 1:
            return None
        if not messages and (top := await self._top_or_none()) is not None and top > after_seq:
            return None
        return messages

    async def _top_or_none(self) -> int | None:
        try:
            return await self.top()
        except BusUnavailableError:
            return None

    async def ping(self) -> None:
        """Raise BusUnavailableError unless Redis answers within the timeout."""
        try:
            await self._client.ping()
        except (RedisError, OSError) as exc:
            raise BusUnavailableError(f"redis: {type(exc).__name__}") from exc

    def _message(self, stream_id: Any, fields: Any) -> BusMessage:
        fields = fields or {}
        topic = _decode(fields.get(b"t", fields.get("t", b"")))
        payload = json.loads(_decode(fields.get(b"p", fields.get("p", b"{}"))))
        return BusMessage(_seq(stream_id), topic, payload, self.epoch)

    async def subscribe(self, after: int | None = None) -> AsyncIterator[BusMessage]:
        """Yield the stream's messages after ``after`` (else new ones) and transient ones;
        one ``BUS_INTERRUPTED`` message per outage, ``BUS_RESUMED`` when Redis answers again,
        and the stream goes on from where it stopped."""
        queue: asyncio.Queue[BusMessage] = asyncio.Queue(10_000)
        down = asyncio.Event()
        stopping = asyncio.Event()
        tasks = [
            asyncio.create_task(
                self._read_stream(after, queue, down, stopping), name="redis-xread"
            ),
            asyncio.create_task(self._read_channel(queue, down, stopping), name="redis-pubsub"),
        ]
        try:
            while True:
                yield await queue.get()
        finally:
            await _stop_readers(tasks, stopping)

    async def _interrupted(
        self, queue: asyncio.Queue[BusMessage], down: asyncio.Event, exc: BaseException
    ) -> None:
        self.failures += 1
        if not down.is_set():
            down.set()
            log.warning("redis bus unavailable (%s); the stream resumes when it answers", exc)
            await queue.put(BusMessage(0, BUS_INTERRUPTED, {"reason": type(exc).__name__}))

    async def _read_stream(
        self,
        after: int | None,
        queue: asyncio.Queue[BusMessage],
        down: asyncio.Event,
        stopping: asyncio.Event,
    ) -> None:
        # Its own connection: a blocking read must not hold up the commands of publishers.
        client = self._new_client(self.timeout_s + self.block_ms / 1000)
        last = f"{after}-{self.epoch}" if after is not None else "$"
        failures = 0
        try:
            while not stopping.is_set():
                try:
                    if last == "$":
                        newest = await client.xrevrange(self.stream, count=1)
                        last = _decode(newest[0][0]) if newest else f"0-{self.epoch}"
                    reply: Any = await client.xread({self.stream: last}, block=self.block_ms)
                    if down.is_set():
                        down.clear()
                        log.info("redis bus answers again")
                        await queue.put(BusMessage(0, BUS_RESUMED, {}))
                    failures = 0
                except (RedisError, OSError) as exc:
                    if stopping.is_set():
                        return  # a cancellation redis-py turned into an error
                    await self._interrupted(queue, down, exc)
                    await asyncio.sleep(_RETRY_S[min(failures, len(_RETRY_S) - 1)])
                    failures += 1
                    continue
                for _, entries in reply or ():
                    for stream_id, fields in entries:
                        message = self._message(stream_id, fields)
                        self._last_seq = max(self._last_seq, message.seq)
                        last = _decode(stream_id)
                        await queue.put(message)
        finally:
            await _close(client)

    async def _read_channel(
        self, queue: asyncio.Queue[BusMessage], down: asyncio.Event, stopping: asyncio.Event
    ) -> None:
        failures = 0
        while not stopping.is_set():
            client = self._new_client(self.timeout_s + 1.0)
            pubsub = client.pubsub()
            try:
                await pubsub.subscribe(self.channel)
                failures = 0
                while not stopping.is_set():
                    item = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if item is None or item.get("type") != "message":
                        continue
                    data = json.loads(_decode(item["data"]))
                    await queue.put(BusMessage(0, data["t"], json.loads(data["p"])))
            except (RedisError, OSError, ValueError, KeyError) as exc:
                if stopping.is_set():
                    return
                if isinstance(exc, RedisError | OSError):
                    await self._interrupted(queue, down, exc)
                await asyncio.sleep(_RETRY_S[min(failures, len(_RETRY_S) - 1)])
                failures += 1
            finally:
                await _close(pubsub)
                await _close(client)

    async def close(self) -> None:
        """Close the command connection."""
        await _close(self._client)


async def _stop_readers(tasks: list[asyncio.Task[None]], stopping: asyncio.Event) -> None:
    """Stop a subscription's readers, bounded: the flag ends a loop even when a cancellation
    was lost inside the client (a cancel racing a socket timeout can surface as an error)."""
    stopping.set()
    for task in tasks:
        task.cancel()
    _, pending = await asyncio.wait(tasks, timeout=3.0)
    for task in pending:  # abandoned, never awaited forever
        log.warning("redis reader %s did not stop within 3 s", task.get_name())
        task.cancel()
        task.add_done_callback(lambda t: t.cancelled() or t.exception())


async def _close(closable: Any) -> None:
    """Close a client or pub/sub, bounded: a socket that stalled may never finish closing."""
    task = asyncio.ensure_future(closable.aclose())
    # asyncio.wait, not wait_for: a close that swallows its cancellation is abandoned.
    done, _ = await asyncio.wait({task}, timeout=1.0)
    if not done:
        task.cancel()
    task.add_done_callback(lambda t: t.cancelled() or t.exception())
