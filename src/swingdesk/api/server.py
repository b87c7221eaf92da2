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
"""

from __future__ import annotations

from types import FrameType

import uvicorn
from fastapi import FastAPI

from swingdesk.config import Settings


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


def serve(app: FastAPI, settings: Settings) -> None:
    """Serve ``app`` on the configured address until a stop signal."""
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        timeout_graceful_shutdown=settings.shutdown_requests_grace_s,
    )
    StreamClosingServer(config, app).run()
