"""The readiness probe's database check: bounded, and never more than one ping in flight.

A ping to a database behind a silent partition can wait for as long as the store's own
timeouts allow (tens of seconds), far past a probe's patience. So the ping runs as a task of
its own and the probe waits for it at most ``timeout_s``: an unanswered probe says
"unavailable" at once, and the next probe waits on the same ping instead of starting
another, so probes during an outage never pile up connections.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from swingdesk.domain.errors import SwingdeskError


class DatabaseProbe:
    """Answers "ok" or why not, within ``timeout_s``."""

    def __init__(self, ping: Callable[[], Awaitable[None]], *, timeout_s: float) -> None:
        self.ping = ping
        self.timeout_s = timeout_s
        self._task: asyncio.Task[None] | None = None

    async def check(self) -> str:
        """Return "ok", or "unavailable: <why>" once the bound has passed without an answer."""
        task = self._task
        if task is None or task.done():
            task = self._task = asyncio.create_task(self._ping(), name="ready-ping")
            # Retrieved here, so an answer nobody waited for is not reported as lost.
            task.add_done_callback(lambda t: t.cancelled() or t.exception())
        done, _ = await asyncio.wait({task}, timeout=self.timeout_s)
        if not done:
            return f"unavailable: no answer within {self.timeout_s:g} s"
        exc = task.exception()
        if exc is None:
            return "ok"
        why = exc.code if isinstance(exc, SwingdeskError) else type(exc).__name__
        return f"unavailable: {why}"

    async def _ping(self) -> None:
        await self.ping()

    async def stop(self) -> None:
        """Cancel a ping still in flight (shutdown)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
