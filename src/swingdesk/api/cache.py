"""A read-model cache for the portfolio: marks about ``ttl_s`` old, refreshed on every change.

Computing the portfolio asks the broker and the database several questions (~5 ms on
SQLite); a dashboard polling it from many tabs must not multiply that. Concurrent readers
share one computation (single flight); a fill, an order update or a trading-state change
on the bus invalidates the snapshot at once, so only price marks can be up to ``ttl_s`` old.
Risk never reads this cache: the pipeline builds its own fresh portfolio for every decision.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from swingdesk.bootstrap import Desk
from swingdesk.domain.portfolio import PortfolioState
from swingdesk.ports import BusMessage
from swingdesk.services.views import portfolio_view

#: Bus topics after which the portfolio may have changed.
CHANGES = frozenset({"fill", "order_status", "trading_state_changed", "order_request"})


@dataclass(frozen=True)
class PortfolioSnapshot:
    """One computed portfolio, its view and the view's JSON bytes."""

    state: PortfolioState
    view: dict[str, Any]
    body: bytes
    taken_at: datetime


class PortfolioCache:
    """Single-flight, time-bounded, change-invalidated portfolio snapshots."""

    def __init__(self, desk: Desk, *, ttl_s: float = 1.0) -> None:
        self.desk = desk
        self.ttl_s = ttl_s
        self._snap: PortfolioSnapshot | None = None
        self._inflight: asyncio.Future[PortfolioSnapshot] | None = None
        self._generation = 0
        self._seen_seq = desk.bus.last_seq
        self._inflight_seq = -1

    def invalidate(self) -> None:
        """Forget the snapshot; the next read computes a new one."""
        self._generation += 1
        self._snap = None

    def on_message(self, msg: BusMessage) -> None:
        """Invalidate on bus messages that can change the portfolio."""
        if msg.topic in CHANGES:
            self.invalidate()
        self._seen_seq = max(self._seen_seq, msg.seq)

    async def get(self) -> PortfolioSnapshot:
        """Return a snapshot newer than the last change, with marks about ``ttl_s`` old at most.

        When only the marks have aged, the current snapshot is served while one refresh runs
        in the background (stale-while-revalidate), so readers never queue behind a refresh.
        """
        snap = self._snap
        seq = self.desk.bus.last_seq
        # A message not yet seen here may be a change: only trust the snapshot when caught up.
        if snap is not None and seq <= self._seen_seq:
            age = (self.desk.clock.now() - snap.taken_at).total_seconds()
            if age >= self.ttl_s and (self._inflight is None or self._inflight.done()):
                self._start(seq)
            if age < 2 * self.ttl_s:
                return snap
        # Join a computation in flight only if it started after the newest message.
        if self._inflight is None or self._inflight.done() or self._inflight_seq < seq:
            self._start(seq)
        assert self._inflight is not None
        return await asyncio.shield(self._inflight)

    def _start(self, seq: int) -> None:
        self._inflight = asyncio.ensure_future(self._compute())
        # A background refresh nobody awaits must not leave an unretrieved exception behind.
        self._inflight.add_done_callback(lambda f: f.cancelled() or f.exception())
        self._inflight_seq = seq

    async def _compute(self) -> PortfolioSnapshot:
        generation = self._generation
        now = self.desk.clock.now()
        state = await self.desk.portfolio.current(now)
        view = portfolio_view(state)
        body = json.dumps(view, separators=(",", ":")).encode()
        snap = PortfolioSnapshot(state, view, body, now)
        if generation == self._generation:
            self._snap = snap
        return snap
