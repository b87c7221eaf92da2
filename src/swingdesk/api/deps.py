"""FastAPI dependencies: the desk, the app's services, and the scope checks."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyHeader

from swingdesk.api.cache import PortfolioCache
from swingdesk.api.metrics import Metrics
from swingdesk.api.readiness import DatabaseProbe
from swingdesk.api.security import KeyRing, Scope, TriggerLimiter
from swingdesk.api.stream import StreamHub
from swingdesk.api.stream_caps import StreamAdmission
from swingdesk.backtest.jobs import BacktestService
from swingdesk.bootstrap import Desk
from swingdesk.config import Settings
from swingdesk.marketdata.movers import MarketMovers
from swingdesk.optimize.jobs import OptimizationService
from swingdesk.services.autopilot import Autopilot
from swingdesk.services.watchlist import Watchlist

log = logging.getLogger(__name__)
api_key_header = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    description="APP_READ_API_KEY for reads, APP_API_KEY for everything",
)


@dataclass
class Services:
    """What the app builds around the desk at start-up."""

    desk: Desk
    keys: KeyRing
    limiter: TriggerLimiter
    hub: StreamHub
    metrics: Metrics
    watchlist: Watchlist
    autopilot: Autopilot
    movers: MarketMovers
    portfolio: PortfolioCache
    backtests: BacktestService
    db_probe: DatabaseProbe
    streams: StreamAdmission
    optimizations: OptimizationService
    #: Redis, when the bus is shared (same bounded, single-flight probe as the database's).
    bus_probe: DatabaseProbe | None = None


def get_desk(request: Request) -> Desk:
    """Return the desk the app started."""
    desk: Desk = request.app.state.desk
    return desk


def get_settings(request: Request) -> Settings:
    """Return the app's settings."""
    settings: Settings = request.app.state.settings
    return settings


def get_services(request: Request) -> Services:
    """Return the app's services."""
    services: Services = request.app.state.services
    return services


def unauthorized(request: Request, why: str) -> HTTPException:
    """Log (without the key) and return a 401."""
    client = request.client.host if request.client else "?"
    log.warning("401 %s %s from %s: %s", request.method, request.url.path, client, why)
    return HTTPException(401, f"{why} X-API-Key", headers={"WWW-Authenticate": "APIKey"})


def caller_scope(
    request: Request,
    services: Annotated[Services, Depends(get_services)],
    key: Annotated[str | None, Depends(api_key_header)] = None,
) -> Scope:
    """Return the scope of the presented key (the keys are compared in constant time)."""
    return services.keys.scope_of(key)


def require_read(
    request: Request,
    scope: Annotated[Scope, Depends(caller_scope)],
    key: Annotated[str | None, Depends(api_key_header)] = None,
) -> Scope:
    """Admit callers with the read or the trade key."""
    if scope is Scope.NONE:
        raise unauthorized(request, "missing" if not key else "wrong")
    return scope


def require_trade(request: Request, scope: Annotated[Scope, Depends(require_read)]) -> Scope:
    """Admit callers with the trade key only."""
    if scope < Scope.TRADE:
        raise HTTPException(403, "this endpoint needs the trade-scope key (APP_API_KEY)")
    return scope


#: Kept for callers of the first version of the API.
require_key = require_read

DeskDep = Annotated[Desk, Depends(get_desk)]
ServicesDep = Annotated[Services, Depends(get_services)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
Trade = [Depends(require_trade)]
