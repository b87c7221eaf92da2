"""The FastAPI application factory."""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException, Request
from pydantic import BaseModel, Field

from swingdesk import __version__
from swingdesk.api.errors import install_error_handlers
from swingdesk.bootstrap import Desk, build_desk
from swingdesk.config import Settings
from swingdesk.domain.errors import ConfigurationError
from swingdesk.services.explain import explain_decision
from swingdesk.services.views import portfolio_view

log = logging.getLogger(__name__)
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class TriggerRequest(BaseModel):
    """Run one decision."""

    ticker: str = Field(min_length=1, max_length=16, examples=["AAPL"])


class ReasonRequest(BaseModel):
    """A trading-state change and why."""

    reason: str = Field(min_length=1, max_length=500)


def check_startup_security(settings: Settings) -> None:
    """Refuse to serve trading endpoints openly anywhere but loopback in the demo."""
    key = settings.api_key.get_secret_value() if settings.api_key else ""
    if key:
        if (
            key.lower() in {"changeme", "change-me", "secret", "password", "your-api-key"}
            or len(key) < 16
        ):
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
        owned = desk is None
        app.state.desk = desk or await build_desk(settings)
        try:
            yield
        finally:
            if owned:
                await app.state.desk.close()

    app = FastAPI(title="swingdesk", version=__version__, lifespan=lifespan)
    install_error_handlers(app)

    def get_desk(request: Request) -> Desk:
        d: Desk = request.app.state.desk
        return d

    def require_key(x_api_key: Annotated[str | None, Header()] = None) -> None:
        expected = settings.api_key.get_secret_value() if settings.api_key else ""
        if not expected:
            return
        if x_api_key is None or not secrets.compare_digest(x_api_key.encode(), expected.encode()):
            raise HTTPException(401, "missing or wrong X-API-Key")

    DeskDependency = Annotated[Desk, Depends(get_desk)]
    auth = [Depends(require_key)]

    @app.get("/health", tags=["ops"])
    async def health() -> dict[str, str]:
        """Say the process is alive."""
        return {"status": "ok", "version": __version__}

    @app.get("/ready", tags=["ops"])
    async def ready(d: DeskDependency) -> dict[str, str]:
        """Say whether the database is reachable."""
        await d.store.ping()
        return {"status": "ready"}

    @app.post("/api/trigger", dependencies=auth, tags=["decisions"])
    async def trigger(body: TriggerRequest, d: DeskDependency) -> dict[str, Any]:
        """Run one decision for a ticker through the whole pipeline."""
        outcome = await d.pipeline.run(body.ticker, trigger="api")
        return outcome.summary()

    @app.get("/api/decisions/{decision_id}", dependencies=auth, tags=["decisions"])
    async def decision(decision_id: str, d: DeskDependency) -> dict[str, Any]:
        """Return the full explain record of a decision."""
        return await explain_decision(d.store, decision_id)

    @app.get("/api/portfolio", dependencies=auth, tags=["portfolio"])
    async def portfolio(d: DeskDependency) -> dict[str, Any]:
        """Return equity, cash, marks and positions."""
        return portfolio_view(await d.portfolio.current(d.clock.now()))

    @app.post("/api/halt", dependencies=auth, tags=["control"])
    async def halt(body: ReasonRequest, d: DeskDependency) -> dict[str, Any]:
        """Halt trading."""
        return (await d.control.halt(body.reason, actor="api")).model_dump(mode="json")

    @app.post("/api/resume", dependencies=auth, tags=["control"])
    async def resume(body: ReasonRequest, d: DeskDependency) -> dict[str, Any]:
        """Resume trading."""
        return (await d.control.resume(body.reason, actor="api")).model_dump(mode="json")

    return app
