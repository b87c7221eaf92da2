"""Anthropic messages through the official ``anthropic`` SDK, with forced tool use.

The reply schema is offered as the input schema of one tool, and ``tool_choice`` forces
the model to call it, so the decision arrives as the tool's JSON input. That input is
serialised back to text and validated by the strategy's pydantic model like any other
reply. Retries are the SDK's own (``max_retries``, honouring Retry-After).
"""

from __future__ import annotations

import json
from typing import Any

import anthropic

from swingdesk.domain.errors import (
    LLMRateLimitError,
    LLMTimeoutError,
    LLMUnavailableError,
    RejectedError,
)
from swingdesk.ports import (
    LLMReply,
    LLMRequest,
)

DEFAULT_MODEL = "claude-haiku-4-5"
TOOL_NAME = "record_decision"
_MAX_BODY_CHARS = 20_000
# Anthropic's stop reasons, in the vocabulary the strategy's interpreter uses.
_FINISH = {"max_tokens": "length", "end_turn": "stop", "tool_use": "stop", "refusal": "refusal"}


class AnthropicClient:
    """``LLMClient`` over ``/v1/messages``."""

    provider = "anthropic"

    def __init__(
        self,
        *,
        model: str = DEFAULT_MODEL,
        api_key: str,
        base_url: str | None = None,
        timeout_s: float = 30.0,
        max_retries: int = 2,
    ) -> None:
        """Create the SDK client with explicit timeout and retry count."""
        self.model = model
        self._client = anthropic.AsyncAnthropic(
            api_key=api_key, base_url=base_url, timeout=timeout_s, max_retries=max_retries
        )

    async def close(self) -> None:
        """Close the HTTP connections."""
        await self._client.close()

    async def complete(self, request: LLMRequest) -> LLMReply:
        """Ask once, forcing the decision tool; translate SDK errors to the desk's."""
        tool: Any = {
            "name": TOOL_NAME,
            "description": "Record the analyst's decision for this ticker.",
            "input_schema": request.json_schema,
        }
        try:
            raw = await self._client.messages.with_raw_response.create(
                model=self.model,
                max_tokens=request.max_output_tokens,
                system=request.system,
                messages=[{"role": "user", "content": request.user}],
                tools=[tool],
                tool_choice={"type": "tool", "name": TOOL_NAME},
            )
        except anthropic.AnthropicError as exc:
            raise _translate(exc) from exc
        body = raw.http_response.text
        try:
            message = await raw.parse()
            blocks = list(message.content)
            stop = message.stop_reason
            usage = message.usage
        # A 200 whose body is not a message is the server's malformed output.
        except (AttributeError, TypeError, ValueError, anthropic.AnthropicError):
            return LLMReply(
                text=body[:_MAX_BODY_CHARS],
                finish_reason="invalid_body",
                refusal=None,
                tokens_in=0,
                tokens_out=0,
                model=self.model,
            )
        return LLMReply(
            text=_reply_text(blocks),
            finish_reason=_FINISH.get(str(stop), str(stop)) if stop else None,
            refusal=None,
            tokens_in=_count(getattr(usage, "input_tokens", 0)),
            tokens_out=_count(getattr(usage, "output_tokens", 0)),
            model=str(getattr(message, "model", None) or self.model),
        )


def _reply_text(blocks: list[Any]) -> str:
    """Return the decision tool's input as JSON text, else whatever text the model wrote."""
    for block in blocks:
        if getattr(block, "type", None) == "tool_use" and getattr(block, "name", "") == TOOL_NAME:
            return json.dumps(block.input, ensure_ascii=False)
    texts = [b.text for b in blocks if getattr(b, "type", None) == "text"]
    return "".join(t for t in texts if isinstance(t, str))


def _count(value: object) -> int:
    return value if isinstance(value, int) and value >= 0 else 0


def _translate(exc: anthropic.AnthropicError) -> Exception:
    """Map an SDK error (after the SDK's retries) to the desk's error classes."""
    if isinstance(exc, anthropic.APITimeoutError):
        return LLMTimeoutError(f"Anthropic API timed out: {exc}")
    if isinstance(exc, anthropic.RateLimitError):
        return LLMRateLimitError(f"rate limited (HTTP 429) after the SDK's retries: {exc.message}")
    if isinstance(exc, anthropic.APIConnectionError):
        return LLMUnavailableError(f"cannot reach the Anthropic API: {exc}")
    if isinstance(exc, anthropic.APIStatusError):
        # 529 (overloaded) is a 5xx too.
        if exc.status_code >= 500:
            return LLMUnavailableError(f"server error HTTP {exc.status_code}: {exc.message}")
        return RejectedError(f"request refused with HTTP {exc.status_code}: {exc.message}")
    return LLMUnavailableError(f"{type(exc).__name__}: {exc}")
