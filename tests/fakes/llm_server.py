"""A scripted HTTP server on 127.0.0.1 for LLM wire protocols (uvicorn in a thread).

Each request to the served path takes the next ``Scripted`` reply from the queue (or the
default): status, JSON or text body, headers and a delay before answering. Every request
body is recorded so tests can assert what the real SDK sent.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


@dataclass(frozen=True)
class Scripted:
    """One scripted answer; ``body`` is sent as JSON unless it is a str (sent verbatim)."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


# Builds the reply from the request's JSON when no scripted reply is queued.
DefaultReply = Callable[[dict[str, Any]], Scripted]


class ScriptedServer:
    """Serves ``path`` from a queue of scripted replies; records every request."""

    def __init__(self, path: str, default: DefaultReply) -> None:
        self.path = path
        self.default = default
        self.queue: deque[Scripted] = deque()
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.port = 0
        self._lock = threading.Lock()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """Return http://127.0.0.1:<port>."""
        return f"http://127.0.0.1:{self.port}"

    def script(self, *replies: Scripted) -> None:
        """Queue replies, answered in order."""
        with self._lock:
            self.queue.extend(replies)

    def reset(self) -> None:
        """Forget queued replies and recorded requests."""
        with self._lock:
            self.queue.clear()
            self.requests.clear()
            self.headers.clear()

    async def _handle(self, request: Request) -> Response:
        raw = await request.body()
        try:
            payload: dict[str, Any] = json.loads(raw or b"{}")
        except ValueError:
            payload = {"_unparseable": raw.decode("utf-8", "replace")}
        with self._lock:
            self.requests.append(payload)
            self.headers.append(dict(request.headers))
            reply = self.queue.popleft() if self.queue else self.default(payload)
        if reply.delay_s:
            await asyncio.sleep(reply.delay_s)
        if isinstance(reply.body, str):
            content, media = reply.body, "text/plain"
        else:
            content, media = json.dumps(reply.body), "application/json"
        return Response(content, status_code=reply.status, headers=reply.headers, media_type=media)

    def start(self) -> None:
        """Bind a free port on 127.0.0.1 and serve in a background thread."""
        app = Starlette(routes=[Route(self.path, self._handle, methods=["POST"])])
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            app,
            log_level="critical",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
            backlog=2048,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("fake LLM server did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)


@contextmanager
def serving(server: ScriptedServer) -> Iterator[ScriptedServer]:
    """Run ``server`` for the duration of the block."""
    server.start()
    try:
        yield server
    finally:
        server.stop()
