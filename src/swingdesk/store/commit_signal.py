"""Commit signals across replicas: PostgreSQL NOTIFY after a commit, LISTEN on the leader.

With the Redis bus only the leader relays the outbox to Redis. It hears of its own commits
directly; a commit on another replica (or a `swingdesk trigger` beside them) is announced
with ``pg_notify`` on a channel of the schema, which wakes the leader's relay at once. A
notification lost (a process killed between its commit and the notify, a dropped listener
connection) only costs latency: the relay also looks at the outbox every poll interval.
Both sides use a dedicated connection outside the pool and never block a request.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Callable

from sqlalchemy import NullPool, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

log = logging.getLogger(__name__)
_TIMEOUT_S = 2.0
_RETRY_S = 1.0


async def _channel(conn: AsyncConnection) -> str:
    schema = await conn.scalar(text("SELECT current_schema()"))
    return "sd_outbox_" + hashlib.sha256(str(schema).encode()).hexdigest()[:24]


class CommitSignal:
    """Sends (coalesced) and receives "the outbox has grown" on one PostgreSQL channel."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = create_async_engine(engine.url, poolclass=NullPool)
        self._send_conn: AsyncConnection | None = None
        self._pending = asyncio.Event()
        self._sender: asyncio.Task[None] | None = None
        self._listener: asyncio.Task[None] | None = None
        self.sent = 0
        self.received = 0

    def notify(self) -> None:
        """Announce a commit (one NOTIFY per burst, sent by a background task)."""
        self._pending.set()
        if self._sender is None or self._sender.done():
            self._sender = asyncio.create_task(self._send(), name="commit-notify")

    async def _send(self) -> None:
        while self._pending.is_set():
            self._pending.clear()
            try:
                conn = await self._send_connection()
                channel = await asyncio.wait_for(_channel(conn), _TIMEOUT_S)
                await asyncio.wait_for(
                    conn.execute(text("SELECT pg_notify(:c, '')"), {"c": channel}), _TIMEOUT_S
                )
                self.sent += 1
            except Exception as exc:
                # The leader's poll finds the commit anyway; only latency is lost.
                log.debug("commit notify failed: %s", type(exc).__name__)
                await self._drop_send()
                return

    async def _send_connection(self) -> AsyncConnection:
        if self._send_conn is None:
            conn = await asyncio.wait_for(self._engine.connect(), _TIMEOUT_S * 2)
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            self._send_conn = conn
        return self._send_conn

    async def _drop_send(self) -> None:
        conn, self._send_conn = self._send_conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.invalidate(), 1.0)

    def listen(self, wake: Callable[[], None]) -> None:
        """Call ``wake()`` on every notification, reconnecting as needed (background)."""
        if self._listener is None:
            self._listener = asyncio.create_task(self._listen(wake), name="commit-listen")

    async def _listen(self, wake: Callable[[], None]) -> None:
        while True:
            conn: AsyncConnection | None = None
            try:
                conn = await asyncio.wait_for(self._engine.connect(), _TIMEOUT_S * 2)
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                channel = await asyncio.wait_for(_channel(conn), _TIMEOUT_S)
                await asyncio.wait_for(conn.execute(text(f'LISTEN "{channel}"')), _TIMEOUT_S)
                raw = await conn.get_raw_connection()
                driver = raw.driver_connection
                assert driver is not None
                wake()  # anything committed while nobody listened
                # psycopg's notifies() with a timeout: the loop checks the link now and then.
                while True:
                    async for _ in driver.notifies(timeout=5.0, stop_after=100):
                        self.received += 1
                        wake()
                    await asyncio.wait_for(driver.execute("SELECT 1"), _TIMEOUT_S)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.debug("commit listener reconnecting: %s", type(exc).__name__)
                await asyncio.sleep(_RETRY_S)
            finally:
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(conn.invalidate(), 1.0)

    async def close(self) -> None:
        """Stop listening; let a pending notification go out (briefly), then stop sending.

        A CLI command closes right after its commit: its NOTIFY should still reach the
        leader rather than wait for the leader's poll.
        """
        if self._sender is not None and not self._sender.done():
            await asyncio.wait({self._sender}, timeout=_TIMEOUT_S)
        for task in (self._listener, self._sender):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._listener = self._sender = None
        await self._drop_send()
        await self._engine.dispose()
