"""The FastAPI application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from swingdesk import __version__
from swingdesk.api.errors import install_error_handlers
from swingdesk.api.routes import api, ops
from swingdesk.bootstrap import Desk, build_desk
from swingdesk.config import Settings
from swingdesk.domain.errors import ConfigurationError

log = logging.getLogger(__name__)
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
PLACEHOLDER_KEYS = {"changeme", "change-me", "secret", "password", "your-api-key", "apikey"}


def check_startup_security(settings: Settings) -> None:
    """Refuse to serve trading endpoints openly anywhere but loopback in the demo."""
    key = settings.api_key.get_secret_value() if settings.api_key else ""
    if key:
        if key.lower() in PLACEHOLDER_KEYS or len(key) < 16:
            raise ConfigurationError("APP_API_KEY is a placeholder or shorter than 16 characters")
        return
    if settings.profile.value != "demo" or settings.host not in LOOPBACK:
        raise ConfigurationError(
            "refusing to start without APP_API_KEY outside the demo profile on 127.0.0.1"
        )
    log.warning("APP_API_KEY is not set: the API is OPEN to anyone on this machine (demo only)")


def create_app(settings: Settings, *, desk: Desk | None = None) -> FastAPI:
    """Build the app; the desk is built at start-up unless one is given (tests)."""
    check_startup_security(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.desk = desk or await build_desk(settings)
        try:
            yield
        finally:
            if desk is None:
                await app.state.desk.close()

    app = FastAPI(title="swingdesk", version=__version__, lifespan=lifespan)
    install_error_handlers(app)
    app.include_router(ops)
    app.include_router(api)
    return app
