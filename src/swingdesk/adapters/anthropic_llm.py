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

from swingdesk.adapters.llm_sdk import invalid_body_reply, token_count, translate_sdk_error
from swingdesk.ports import (
    LLMReply,
    LLMRequest,
)

DEFAULT_MODEL = "claude-haiku-4-5"
TOOL_NAME = "record_decision"
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
            raise translate_sdk_error(
                exc, anthropic, server="Anthropic API", with_retry_after=False
            ) from exc
        body = raw.http_response.text
        try:
            message = await raw.parse()
            blocks = list(message.content)
            stop = message.stop_reason
            usage = message.usage
        # A 200 whose body is not a message is the server's malformed output.
        except (AttributeError, TypeError, ValueError, anthropic.AnthropicError):
            return invalid_body_reply(body, self.model)
        return LLMReply(
            text=_reply_text(blocks),
            finish_reason=_FINISH.get(str(stop), str(stop)) if stop else None,
            refusal=None,
            tokens_in=token_count(getattr(usage, "input_tokens", 0)),
            tokens_out=token_count(getattr(usage, "output_tokens", 0)),
            model=str(getattr(message, "model", None) or self.model),
        )


def _reply_text(blocks: list[Any]) -> str:
    """Return the decision tool's input as JSON text, else whatever text the model wrote."""
    for block in blocks:
        if getattr(block, "type", None) == "tool_use" and getattr(block, "name", "") == TOOL_NAME:
            return json.dumps(block.input, ensure_ascii=False)
    texts = [b.text for b in blocks if getattr(b, "type", None) == "text"]
    return "".join(t for t in texts if isinstance(t, str))
