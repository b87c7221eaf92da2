"""The key check, done before anything reads a request's body.

FastAPI reads and validates a body before it resolves a route's dependencies, so a caller
without a key who sent bad or oversized JSON would get 422 or 413 instead of the documented
401 (and the read key on a trading route 422 instead of 403). This middleware answers those
first, for every ``/api/`` route, from the scope the route itself requires (its
``require_read`` / ``require_trade`` dependency). The dependencies stay on the routes: they
document the scopes in OpenAPI and guard any route this gate does not know of.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from fastapi import APIRouter
from fastapi.dependencies.models import Dependant
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Send
from starlette.types import Scope as AsgiScope

from swingdesk.api.deps import require_read, require_trade
from swingdesk.api.errors import error_body
from swingdesk.api.security import KeyRing, Scope

log = logging.getLogger(__name__)
TRADE_ONLY = "this endpoint needs the trade-scope key (APP_API_KEY)"


def required_scope(route: APIRoute) -> Scope:
    """Return the scope a route's own dependencies demand (NONE: it checks for itself)."""
    calls: set[object] = set()
    pending: list[Dependant] = [route.dependant]
    while pending:
        dependant = pending.pop()
        calls.add(dependant.call)
        pending.extend(dependant.dependencies)
    if require_trade in calls:
        return Scope.TRADE
    return Scope.READ if require_read in calls else Scope.NONE


def route_scopes(routers: Iterable[APIRouter]) -> list[tuple[APIRoute, Scope]]:
    """Return every API route of ``routers`` with the scope it requires."""
    return [
        (route, required_scope(route))
        for router in routers
        for route in router.routes
        if isinstance(route, APIRoute)
    ]


class AuthGate:
    """Answers 401 / 403 for /api/ requests before the route reads the body."""

    def __init__(self, app: ASGIApp, *, routes: list[tuple[APIRoute, Scope]]) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        keys: KeyRing | None = _keys(scope)
        if scope["type"] != "http" or not path.startswith("/api/") or keys is None:
            await self.app(scope, receive, send)
            return
        needed = self._needed(scope)
        if needed is Scope.NONE or keys.open:
            await self.app(scope, receive, send)
            return
        key = _header(scope, b"x-api-key")
        granted = keys.scope_of(key)
        if granted >= needed:
            await self.app(scope, receive, send)
            return
        if granted is Scope.NONE:
            why = "missing" if not key else "wrong"
            client = (scope.get("client") or ("?",))[0]
            log.warning("401 %s %s from %s: %s", scope.get("method"), path, client, why)
            response = JSONResponse(
                error_body("UNAUTHORIZED", f"{why} X-API-Key"),
                status_code=401,
                headers={"WWW-Authenticate": "APIKey"},
            )
        else:
            response = JSONResponse(error_body("FORBIDDEN", TRADE_ONLY), status_code=403)
        await response(scope, receive, send)

    def _needed(self, scope: AsgiScope) -> Scope:
        for route, needed in self.routes:
            if route.matches(scope)[0] is Match.FULL:
                return needed
        # A wrong method or an unknown path under /api/: say nothing to a caller without a key.
        return Scope.READ


def _keys(scope: AsgiScope) -> KeyRing | None:
    services = getattr(scope["app"].state, "services", None) if "app" in scope else None
    return None if services is None else services.keys


def _header(scope: AsgiScope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None
