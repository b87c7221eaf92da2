"""What Alpaca's trading and data APIs share on the wire."""

from __future__ import annotations

import time

import httpx


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
