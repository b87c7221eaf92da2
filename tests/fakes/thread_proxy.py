"""The faulty TCP proxy on an event loop of its own, in a thread.

Code under test that connects synchronously (Alembic migrations, psycopg's sync connect)
blocks the test's event loop; a proxy on that same loop could then never accept the
connection. On its own loop in a thread it always can.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future
from typing import Any

from tests.fakes.db_proxy import FaultyProxy


class ThreadedProxy:
    """A ``FaultyProxy`` running in a background thread; its faults are called from here."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.proxy: FaultyProxy = self._call(FaultyProxy(target_host, target_port).start())

    def _call(self, coro: Any) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self._loop)
        return future.result(timeout=10)

    def url_for(self, url: str) -> str:
        """Return ``url`` pointed at the proxy."""
        return self.proxy.url_for(url)

    def drop(self) -> None:
        """Reset every open connection, and wait until it is done."""

        async def drop() -> None:
            self.proxy.drop()

        self._call(drop())

    def close(self) -> None:
        """Stop the proxy and its thread."""
        self._call(self.proxy.close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    def stall(self) -> None:
        """Stop forwarding (a silent partition)."""

        async def stall() -> None:
            self.proxy.stall()

        self._call(stall())

    def refuse(self) -> None:
        """Stop listening and drop every connection (the server is down)."""
        self._call(self.proxy.refuse())

    def heal(self) -> None:
        """Forward again (and listen again)."""
        self._call(self.proxy.heal())
