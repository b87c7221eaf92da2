"""Run the app under uvicorn, ending live streams as soon as a stop is asked for.

uvicorn's graceful shutdown waits for open connections to finish before it runs the app's
shutdown, but a server-sent-event stream never finishes by itself: with a dashboard open,
SIGTERM would hang until the browser tab closed (and the tab would go on showing "live"
against a dying process). So the stop signal first closes every stream (browsers reconnect
by themselves with Last-Event-ID once the next process is up), then uvicorn shuts down as
usual; a bounded grace period covers any other slow connection
(``SWINGDESK_SHUTDOWN_REQUESTS_GRACE_S``), and the app's own shutdown is bounded too
(``api/app.py``), so that a stop ends within the orchestrator's grace period even when the
database does not answer.

A start-up refused for a known reason (a ``SwingdeskError`` while the desk is built, e.g. a
missing provider key) is raised from ``serve`` for the command line to report in one line,
instead of uvicorn logging the traceback and exiting with its own code.
"""

from __future__ import annotations

import logging
from types import FrameType
from typing import Any

import uvicorn
from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from swingdesk.config import Settings
from swingdesk.domain.errors import SwingdeskError
from swingdesk.log_context import json_log_config

log = logging.getLogger("uvicorn.error")


class StreamClosingServer(uvicorn.Server):
    """A uvicorn server that closes the app's live streams when told to stop."""

    def __init__(self, config: uvicorn.Config, app: FastAPI) -> None:
        super().__init__(config)
        self.app = app

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """Close every stream, then let uvicorn stop as it would."""
        services = getattr(self.app.state, "services", None)
        if services is not None:
            services.hub.close_clients()
        super().handle_exit(sig, frame)


class StartupGuard:
    """ASGI wrapper that keeps a known start-up error for the caller instead of a traceback."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.error: SwingdeskError | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass everything through; on a failed start-up, report it once (see the module)."""
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        startup_failed = False

        async def without_traceback(message: Message) -> None:
            nonlocal startup_failed
            # Starlette puts the formatted traceback in this message and uvicorn logs it; it is
            # logged below instead, and only for an error that is not a known one.
            if message["type"] == "lifespan.startup.failed":
                startup_failed = True
                message = {**message, "message": ""}
            await send(message)

        try:
            await self.app(scope, receive, without_traceback)
        except SwingdeskError as exc:
            if startup_failed:
                self.error = exc
            raise
        except BaseException as exc:
            if startup_failed:
                log.error("Exception in application start-up", exc_info=exc)
            raise


def serve(app: FastAPI, settings: Settings) -> None:
    """Serve ``app`` on the configured address until a stop signal.

    Raises the ``SwingdeskError`` that stopped the start-up, if one did.
    """
    guard = StartupGuard(app)
    log_config: dict[str, Any] = uvicorn.config.LOGGING_CONFIG
    if settings.log_format == "json":
        log_config = json_log_config(settings.log_level)
    config = uvicorn.Config(
        guard,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        timeout_graceful_shutdown=settings.shutdown_requests_grace_s,
        log_config=log_config,
    )
    server = StreamClosingServer(config, app)
    try:
        server.run()
    except SystemExit:
        # uvicorn exits (code 3) when the start-up fails: a known error is the caller's to show.
        if guard.error is None:
            raise
    if guard.error is not None and not server.started:
        raise guard.error
