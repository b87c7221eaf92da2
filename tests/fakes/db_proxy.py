"""A TCP proxy on 127.0.0.1 in front of a real server, that can fail the way networks fail.

- ``refuse()``: stop listening, so new connections are refused (ECONNREFUSED) and every
  open one is dropped, as when the database is down;
- ``drop()``: reset every open connection (RST), as when the server restarts;
- ``stall()``: a silent partition: nothing is forwarded either way on open connections, and
  new ones are accepted but never answered (the peer's TCP stack looks alive throughout);
- ``heal()``: forward again (bytes held during a stall are delivered late, as after a
  partition heals).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Coroutine
from typing import Any


class FaultyProxy:
    """Forwards 127.0.0.1:<port> to ``target``; the failure modes are methods."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._stalled = False
        self._links: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter | None]] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.accepted = 0

    async def start(self) -> FaultyProxy:
        """Listen on an ephemeral loopback port (the same one again after ``refuse``)."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        self.port = sock.getsockname()[1]
        self._server = await asyncio.start_server(self._accept, sock=sock)
        return self

    def url_for(self, url: str) -> str:
        """Return ``url`` with its 127.0.0.1:<port> pointed at the proxy."""
        host, port = self.target
        return url.replace(f"@{host}:{port}/", f"@127.0.0.1:{self.port}/")

    async def refuse(self) -> None:
        """Stop listening and drop every open connection."""
        if self._server is not None:
            self._server.close()
            self._server = None
        self.drop()

    def drop(self) -> None:
        """Reset every open connection, both sides."""
        for client, upstream in list(self._links):
            _abort(client)
            if upstream is not None:
                _abort(upstream)
        self._links.clear()

    def stall(self) -> None:
        """Stop forwarding anything, on open and new connections alike, without closing."""
        self._stalled = True
        self._flowing.clear()

    async def heal(self) -> None:
        """Forward again, and listen again if refusing."""
        self._stalled = False
        self._flowing.set()
        if self._server is None:
            await self.start()

    async def close(self) -> None:
        """Stop everything."""
        await self.refuse()
        self._flowing.set()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        link: tuple[asyncio.StreamWriter, asyncio.StreamWriter | None] = (writer, None)
        self._links.add(link)
        try:
            await self._flowing.wait()  # a partition: accepted, never answered
            up_reader, up_writer = await asyncio.open_connection(*self.target)
            self._links.discard(link)
            link = (writer, up_writer)
            self._links.add(link)
            await asyncio.gather(
                self._spawn(self._pump(reader, up_writer)),
                self._spawn(self._pump(up_reader, writer)),
            )
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            self._links.discard(link)
            for w in link:
                if w is not None:
                    _abort(w)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _pump(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.CancelledError):
            while data := await src.read(65536):
                await self._flowing.wait()
                dst.write(data)
                await dst.drain()
        _abort(dst)


def _abort(writer: asyncio.StreamWriter) -> None:
    transport = writer.transport
    if not transport.is_closing():
        transport.abort()
