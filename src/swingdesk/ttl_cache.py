"""A TTL cache with single-flight loading, safe across asyncio tasks, threads and event loops.

``await cache.get(key, load)`` returns a fresh cached value, or joins a load already in
flight for the key, or starts one. Ten concurrent requests for one key therefore cause one
fetch. A failed load is not cached: every waiter gets the exception and the next request
tries again. In-flight loads are ``concurrent.futures.Future`` objects, so a waiter on
another thread or event loop (the API's worker threads, a CLI loop) can join them too.

The timer is injected; the default is ``time.monotonic``, which measures elapsed time and
is not a wall-clock reading.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Generic, TypeVar

V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class CacheStats:
    """Counters for tests, benchmarks and the status page."""

    hits: int
    misses: int
    joins: int
    loads: int
    size: int


class TtlCache(Generic[V]):
    """Values kept ``ttl_s`` seconds, at most ``max_entries`` (least recently used go first)."""

    def __init__(
        self,
        ttl_s: float,
        *,
        max_entries: int = 10_000,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl_s < 0:
            raise ValueError(f"ttl_s must be >= 0, got {ttl_s}")
        if max_entries < 1:
            raise ValueError(f"max_entries must be >= 1, got {max_entries}")
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._timer = timer
        self._lock = threading.Lock()
        self._values: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()
        self._inflight: dict[Hashable, Future[V]] = {}
        self._hits = self._misses = self._joins = self._loads = 0

    def peek(self, key: Hashable) -> V | None:
        """Return the fresh cached value for ``key`` without loading, None if there is none."""
        with self._lock:
            entry = self._fresh(key)
            return None if entry is None else entry[1]

    async def get(self, key: Hashable, load: Callable[[], Awaitable[V]]) -> V:
        """Return the value for ``key``: cached if fresh, else from one shared call of ``load``."""
        with self._lock:
            entry = self._fresh(key)
            if entry is not None:
                self._hits += 1
                return entry[1]
            pending = self._inflight.get(key)
            if pending is None:
                self._misses += 1
                owner = True
                pending = self._inflight[key] = Future()
            else:
                self._joins += 1
                owner = False
        if not owner:
            # shield: one waiter being cancelled must not cancel the shared load.
            return await asyncio.shield(asyncio.wrap_future(pending))
        try:
            self._loads += 1
            result = await load()
        except BaseException as exc:
            with self._lock:
                self._inflight.pop(key, None)
            pending.set_exception(exc)
            raise
        with self._lock:
            self._store(key, result)
            self._inflight.pop(key, None)
        pending.set_result(result)
        return result

    def put(self, key: Hashable, value: V) -> None:
        """Store a value obtained elsewhere (e.g. from a batch download)."""
        with self._lock:
            self._store(key, value)

    def invalidate(self, key: Hashable | None = None) -> None:
        """Drop one key, or everything when ``key`` is None."""
        with self._lock:
            if key is None:
                self._values.clear()
            else:
                self._values.pop(key, None)

    def stats(self) -> CacheStats:
        """Return the counters."""
        with self._lock:
            return CacheStats(self._hits, self._misses, self._joins, self._loads, len(self._values))

    # --- internals (the lock is held) ---------------------------------------------------

    def _fresh(self, key: Hashable) -> tuple[float, V] | None:
        entry = self._values.get(key)
        if entry is None:
            return None
        if not 0 <= self._timer() - entry[0] < self.ttl_s:
            del self._values[key]
            return None
        self._values.move_to_end(key)
        return entry

    def _store(self, key: Hashable, value: V) -> None:
        self._values[key] = (self._timer(), value)
        self._values.move_to_end(key)
        while len(self._values) > self.max_entries:
            self._values.popitem(last=False)
