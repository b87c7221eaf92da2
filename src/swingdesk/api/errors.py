"""The one place where errors become HTTP responses: ``{"error": {code, message, details}}``."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from swingdesk.domain import errors as e

log = logging.getLogger(__name__)

STATUS_BY_ERROR: list[tuple[type[e.SwingdeskError], int]] = [
    (e.InputError, 422),
    (e.NotFoundError, 404),
    (e.ConflictError, 409),
    (e.IllegalTransitionError, 409),
    (e.RejectedError, 422),
    (e.TemporaryError, 503),
    (e.ConfigurationError, 500),
]


def error_body(code: str, message: str, details: object | None = None) -> dict[str, object]:
    """Return the error envelope every failing response uses."""
    body: dict[str, object] = {"code": code, "message": message}
    if details:
        body["details"] = details
    return {"error": body}


def install_error_handlers(app: FastAPI) -> None:
    """Map every error to a JSON body with a stable code."""

    @app.exception_handler(e.SwingdeskError)
    async def _domain(_: Request, exc: e.SwingdeskError) -> JSONResponse:
        status = next((s for cls, s in STATUS_BY_ERROR if isinstance(exc, cls)), 500)
        return JSONResponse(error_body(exc.code, exc.message, exc.details), status_code=status)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {"loc": list(err.get("loc", ())), "msg": err.get("msg", "")} for err in exc.errors()
        ]
        return JSONResponse(
            error_body("INVALID_INPUT", "the request is invalid", details), status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}
        return JSONResponse(
            error_body(code.get(exc.status_code, "HTTP_ERROR"), str(exc.detail)),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse(error_body("INTERNAL", "internal error"), status_code=500)
