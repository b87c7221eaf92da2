"""What the OpenAI and Anthropic adapters share.

Both official SDKs are generated from one template and raise the same error classes
(``APITimeoutError``, ``RateLimitError``, ``APIConnectionError``, ``APIStatusError``), so one
translation maps either to the desk's error classes; a 200 whose body is not a reply is
kept (cut) as the server's malformed output the same way for both.
"""

from __future__ import annotations

from types import ModuleType

from swingdesk.domain.errors import (
    LLMRateLimitError,
    LLMTimeoutError,
    LLMUnavailableError,
    RejectedError,
)
from swingdesk.ports import LLMReply

#: How much of a malformed reply body is kept for the record.
MAX_BODY_CHARS = 20_000


def invalid_body_reply(body: str, model: str) -> LLMReply:
    """Return the reply for a 200 whose body the SDK could not parse as a reply."""
    return LLMReply(
        text=body[:MAX_BODY_CHARS],
        finish_reason="invalid_body",
        refusal=None,
        tokens_in=0,
        tokens_out=0,
        model=model,
    )


def token_count(value: object) -> int:
    """Return a reported token count, or 0 when the server sent no usable count."""
    return value if isinstance(value, int) and value >= 0 else 0


def translate_sdk_error(
    exc: Exception, sdk: ModuleType, *, server: str, with_retry_after: bool
) -> Exception:
    """Map an SDK error (after the SDK's own retries) to the desk's error classes.

    ``server`` names the other side in messages; ``with_retry_after`` passes a 429's
    Retry-After on to the caller.
    """
    if isinstance(exc, sdk.APITimeoutError):
        return LLMTimeoutError(f"{server} timed out: {exc}")
    if isinstance(exc, sdk.RateLimitError):
        message = f"rate limited (HTTP 429) after the SDK's retries: {exc.message}"
        if not with_retry_after:
            return LLMRateLimitError(message)
        retry = exc.response.headers.get("retry-after")
        return LLMRateLimitError(message, retry_after_s=_seconds(retry))
    if isinstance(exc, sdk.APIConnectionError):
        return LLMUnavailableError(f"cannot reach the {server}: {exc}")
    if isinstance(exc, sdk.APIStatusError):
        # 5xx, Anthropic's 529 (overloaded) included, is the server's trouble, not ours.
        if exc.status_code >= 500:
            return LLMUnavailableError(f"server error HTTP {exc.status_code}: {exc.message}")
        return RejectedError(f"request refused with HTTP {exc.status_code}: {exc.message}")
    return LLMUnavailableError(f"{type(exc).__name__}: {exc}")


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
