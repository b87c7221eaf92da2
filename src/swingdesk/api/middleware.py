"""Pure ASGI middleware: body-size limit, security headers, HTTP latency metrics."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from fastapi import HTTPException
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from swingdesk.api.errors import error_body, unexpected_error_response
from swingdesk.api.metrics import Metrics
from swingdesk.log_context import new_request_id, request_id

SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        b"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    ),
]
NO_STORE = (b"cache-control", b"no-store")


class BodyTooLargeError(HTTPException):
    """The request body is larger than the configured limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body larger than {limit} bytes")


class JsonCORSMiddleware(CORSMiddleware):
    """Starlette's CORS handling, with a refused preflight in the API's JSON error shape."""

    def preflight_response(self, request_headers: Headers) -> Response:
        """Answer a preflight; a refusal says what was refused, as every other error does."""
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        refused = bytes(response.body).decode().removeprefix("Disallowed CORS ").split(", ")
        headers = {
            k: v for k, v in response.headers.items() if k not in ("content-type", "content-length")
        }
        return JSONResponse(
            error_body(
                "CORS_REFUSED",
                f"CORS preflight refused: {', '.join(refused)} not allowed",
                {"refused": refused},
            ),
            status_code=response.status_code,
            headers=headers,
        )


class EdgeMiddleware:
    """Applies the limits and headers every response gets, and times every request."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, metrics: Metrics) -> None:
        self.app = app
        self.max_body = max_body_bytes
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        offered = next((v for k, v in scope.get("headers", ()) if k == b"x-request-id"), None)
        rid = new_request_id(offered.decode("latin-1") if offered else None)
        request_id.set(rid)  # this request's task context: every record it logs carries it
        limit = self.max_body
        if _declares_more_than(scope.get("headers", ()), limit):
            scope["swingdesk.body_too_large"] = True
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            if scope.get("swingdesk.body_too_large"):
                raise BodyTooLargeError(limit)
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLargeError(limit)
            return message

        api = scope.get("path", "").startswith("/api/")

        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                headers = list(message.get("headers", ()))
                # A route may set a stricter policy of its own (the backtest report's CSP).
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in SECURITY_HEADERS if h[0] not in present)
                if api:
                    headers.append(NO_STORE)
                headers.append((b"x-request-id", rid.encode()))
                message["headers"] = headers
            await send(message)

        try:
            try:
                await self.app(scope, limited_receive, send_with_headers)
            except Exception as exc:
                if started:
                    raise  # mid-response: nothing can be said any more; the server closes it
                # Answered here rather than by Starlette's outermost handler, so the 500 gets
                # the same headers as every other response and the connection stays usable.
                await unexpected_error_response(exc)(scope, receive, send_with_headers)
        finally:
            self._observe(scope, start, status)

    def _observe(self, scope: Scope, start: float, status: int) -> None:
        """Record the request's latency under its route template, method and status."""
        route: Any = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        if template != "/api/stream":  # a stream's duration is its connection's lifetime
            self.metrics.http.observe(
                time.perf_counter() - start,
                (
                    ("method", scope.get("method", "")),
                    ("route", template),
                    ("status", str(status)),
                ),
            )


def _declares_more_than(headers: Iterable[tuple[bytes, bytes]], limit: int) -> bool:
    """Say whether a Content-Length header announces a body over ``limit`` bytes."""
    for name, value in headers:
        if name == b"content-length":
            try:
                if int(value) > limit:
                    return True
            except ValueError:
                pass
    return False
