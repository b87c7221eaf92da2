"""What Alpaca's trading and data APIs share on the wire."""

from __future__ import annotations

import time
from typing import Any

import httpx

from swingdesk.domain.errors import (
    ConfigurationError,
    RejectedError,
    SwingdeskError,
    TemporaryError,
    UnknownTickerError,
)


def retry_after_s(resp: httpx.Response) -> float | None:
    """Return the wait Alpaca asks for: Retry-After seconds, or until X-RateLimit-Reset."""
    after = resp.headers.get("Retry-After")
    if after is not None:
        try:
            return max(0.0, float(after))
        except ValueError:
            pass
    reset = resp.headers.get("X-RateLimit-Reset")
    if reset is not None:
        try:
            return max(0.0, float(reset) - time.time())
        except ValueError:
            return None
    return None


def error_body(resp: httpx.Response) -> tuple[Any, str]:
    """Return an Alpaca error reply's code and message: {"code", "message"}, no code, or not
    JSON at all (a proxy's page); the message is capped, never the whole body."""
    try:
        data = resp.json()
    except ValueError:
        data = None
    if isinstance(data, dict):
        return data.get("code"), str(data.get("message") or data)[:300]
    return None, (resp.text or resp.reason_phrase or "").strip()[:200] or f"HTTP {resp.status_code}"


def data_error(resp: httpx.Response, what: str) -> SwingdeskError:
    """Translate a data API error reply into our errors."""
    status = resp.status_code
    code, message = error_body(resp)
    details = {"http_status": status, "alpaca_code": code, "what": what}
    if status in (401, 403):
        return ConfigurationError(
            f"Alpaca market data refused the request ({status}: {message}); check "
            "ALPACA_API_KEY / ALPACA_SECRET_KEY and that your plan covers the configured feed",
            details=details,
        )
    if status in (404, 422) or (status == 400 and "symbol" in message.lower()):
        return UnknownTickerError(f"Alpaca does not know {what}: {message}", details=details)
    if status >= 500:
        return TemporaryError(f"Alpaca market data {status}: {message}", details=details)
    return RejectedError(f"Alpaca market data {status} for {what}: {message}", details=details)
