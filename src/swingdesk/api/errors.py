"""The one place where errors become HTTP responses: ``{"error": {code, message, details}}``."""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.applications import Starlette
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import Scope

from swingdesk.api.schemas import ErrorResponse
from swingdesk.api.security import RateLimitedError
from swingdesk.domain import errors as e

log = logging.getLogger(__name__)

STATUS_BY_ERROR: list[tuple[type[e.SwingdeskError], int]] = [
    (RateLimitedError, 429),
    # Well-formed but not in the market's universe: state no schema can know, like a record.
    (e.UnknownTickerError, 404),
    (e.InputError, 422),
    (e.NotFoundError, 404),
    (e.ConflictError, 409),
    (e.IllegalTransitionError, 409),
    (e.RejectedError, 422),
    (e.TemporaryError, 503),
    (e.ConfigurationError, 500),
]
HTTP_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}
_ERR: dict[str, Any] = {"model": ErrorResponse}
#: Documented on every /api route, so the OpenAPI schema describes the real error bodies.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {**_ERR, "description": "missing or wrong X-API-Key"},
    403: {**_ERR, "description": "the read key on an endpoint that needs the trade key"},
    404: {**_ERR, "description": "no such record, or a ticker not in the market (UNKNOWN_TICKER)"},
    409: {**_ERR, "description": "conflicts with the current state"},
    413: {**_ERR, "description": "request body too large"},
    422: {**_ERR, "description": "invalid input (INVALID_INPUT, INVALID_TICKER, ...)"},
    429: {**_ERR, "description": "cooldown or rate limit; see Retry-After"},
    503: {**_ERR, "description": "a dependency is temporarily unavailable"},
}


def error_body(code: str, message: str, details: object | None = None) -> dict[str, object]:
    """Return the error envelope every failing response uses."""
    body: dict[str, object] = {"code": code, "message": message}
    if details:
        body["details"] = details
    return {"error": body}


def _retry_after(seconds: float | None) -> dict[str, str] | None:
    if seconds is None or not math.isfinite(seconds):
        return None
    return {"Retry-After": str(max(1, math.ceil(seconds)))}


def install_error_handlers(app: FastAPI) -> None:
    """Map every error to a JSON body with a stable code."""

    @app.exception_handler(e.SwingdeskError)
    async def _domain(_: Request, exc: e.SwingdeskError) -> JSONResponse:
        status = next((s for cls, s in STATUS_BY_ERROR if isinstance(exc, cls)), 500)
        retry = getattr(exc, "retry_after_s", None)
        return JSONResponse(
            error_body(exc.code, exc.message, exc.details),
            status_code=status,
            headers=_retry_after(retry),
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        details = [
            {"loc": [str(p) for p in err.get("loc", ())], "msg": str(err.get("msg", ""))}
            for err in errors
        ]
        if errors and all(_is_bad_ticker(err) for err in errors):
            # The schema's ticker pattern refused it: the same code as the desk's own check.
            message = "invalid ticker: expected 1-5 letters A-Z (a class suffix like BRK.B)"
            return JSONResponse(error_body("INVALID_TICKER", message, details), status_code=422)
        return JSONResponse(
            error_body("INVALID_INPUT", "the request is invalid", details), status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # FastAPI's "error parsing the body" (e.g. bytes that are not UTF-8): bad input
            # like any other, so the same status and code as invalid JSON.
            return JSONResponse(
                error_body("INVALID_INPUT", "the request body is not valid JSON"),
                status_code=422,
            )
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            # Starlette names the methods of the first route matching the path only; a path
            # served by several routes (GET and PUT /api/watchlist) allows all of theirs.
            headers["Allow"] = ", ".join(allowed_methods(request.app, request.scope))
        return JSONResponse(
            error_body(HTTP_CODES.get(exc.status_code, "HTTP_ERROR"), str(exc.detail)),
            status_code=exc.status_code,
            headers=headers or None,
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        # Last resort only: the edge middleware answers unexpected errors first, so that
        # their responses get the security headers too (this handler runs outside it).
        return unexpected_error_response(exc)


def _is_bad_ticker(err: Any) -> bool:
    names = {str(p) for p in err.get("loc", ())}
    return err.get("type") == "string_pattern_mismatch" and bool(names & {"ticker", "tickers"})


def allowed_methods(app: Starlette, scope: Scope) -> list[str]:
    """Return every method some route serves at the request's path, in a stable order."""
    return [
        method
        for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
        if any(
            route.matches({**scope, "method": method})[0] is Match.FULL
            for route in app.router.routes
        )
    ]


def unexpected_error_response(exc: Exception) -> JSONResponse:
    """Log an error no handler knew and return the 500 every such error gets."""
    log.error("unhandled error: %s", type(exc).__name__, exc_info=exc)
    return JSONResponse(error_body("INTERNAL", "internal error"), status_code=500)
