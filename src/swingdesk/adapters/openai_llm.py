"""OpenAI-compatible chat completions through the official ``openai`` SDK.

One code path serves OpenAI, Ollama, vLLM, LM Studio and similar servers: ``base_url``
picks the server. The reply is constrained by strict JSON-schema structured output; a
server that rejects ``json_schema`` (HTTP 400 naming it) is asked again once in
``json_object`` mode, and that choice is remembered. Either way the reply is validated by
the strategy's pydantic model, never trusted. Retries are the SDK's own (``max_retries``,
honouring Retry-After); we stack none on top.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Any

import openai

from swingdesk.adapters.llm_sdk import invalid_body_reply, token_count, translate_sdk_error
from swingdesk.ports import (
    LLMReply,
    LLMRequest,
)

log = logging.getLogger(__name__)

DEFAULT_MODEL = "gpt-4o-mini"


class JsonMode(StrEnum):
    """How the reply is constrained to JSON."""

    JSON_SCHEMA = "json_schema"
    JSON_OBJECT = "json_object"


class OpenAIChatClient:
    """``LLMClient`` over ``/v1/chat/completions``."""

    provider = "openai"

    def __init__(
        self,
        *,
        model: str = DEFAULT_MODEL,
        api_key: str,
        base_url: str | None = None,
        timeout_s: float = 30.0,
        max_retries: int = 2,
        json_mode: JsonMode = JsonMode.JSON_SCHEMA,
        temperature: float | None = 0.0,
    ) -> None:
        """Create the SDK client with explicit timeout and retry count."""
        self.model = model
        self.json_mode = json_mode
        self._client = openai.AsyncOpenAI(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout_s,
            max_retries=max_retries,
        )
        self.temperature = temperature

    async def close(self) -> None:
        """Close the HTTP connections."""
        await self._client.close()

    async def complete(self, request: LLMRequest) -> LLMReply:
        """Ask once for a structured decision; translate SDK errors to the desk's."""
        try:
            return await self._create(request, self.json_mode)
        except openai.BadRequestError as exc:
            if self.json_mode is JsonMode.JSON_SCHEMA and _rejects_json_schema(exc):
                log.warning("server rejected json_schema output; falling back to json_object")
                self.json_mode = JsonMode.JSON_OBJECT
                try:
                    return await self._create(request, self.json_mode)
                except openai.OpenAIError as again:
                    raise _translate(again) from again
            raise _translate(exc) from exc
        except openai.OpenAIError as exc:
            raise _translate(exc) from exc

    async def _create(self, request: LLMRequest, mode: JsonMode) -> LLMReply:
        response_format: Any
        if mode is JsonMode.JSON_SCHEMA:
            response_format = {
                "type": "json_schema",
                "json_schema": {
                    "name": request.schema_name,
                    "schema": request.json_schema,
                    "strict": True,
                },
            }
        else:
            response_format = {"type": "json_object"}
        # max_tokens, not max_completion_tokens: local servers (Ollama, older vLLM) know only
        # the former. Reasoning models refuse a temperature, so None leaves it out.
        extra: dict[str, Any] = {}
        if self.temperature is not None:
            extra["temperature"] = self.temperature
        raw = await self._client.chat.completions.with_raw_response.create(
            model=self.model,
            messages=[
                {"role": "system", "content": request.system},
                {"role": "user", "content": request.user},
            ],
            response_format=response_format,
            max_tokens=request.max_output_tokens,
            **extra,
        )
        body = raw.http_response.text
        try:
            completion = raw.parse()
            choice = completion.choices[0]
            message = choice.message
            usage = completion.usage
        # A 200 whose body is not a chat completion is the server's malformed output.
        except (AttributeError, IndexError, TypeError, ValueError, openai.OpenAIError):
            return invalid_body_reply(body, self.model)
        return LLMReply(
            text=message.content if isinstance(message.content, str) else "",
            finish_reason=str(choice.finish_reason) if choice.finish_reason else None,
            refusal=message.refusal if isinstance(message.refusal, str) else None,
            tokens_in=token_count(getattr(usage, "prompt_tokens", 0)),
            tokens_out=token_count(getattr(usage, "completion_tokens", 0)),
            model=str(completion.model or self.model),
        )


def _rejects_json_schema(exc: openai.BadRequestError) -> bool:
    text = str(exc).lower()
    return "json_schema" in text or "response_format" in text


def _translate(exc: openai.OpenAIError) -> Exception:
    """Map an SDK error (after the SDK's retries) to the desk's error classes."""
    return translate_sdk_error(
        exc, openai, server="OpenAI-compatible server", with_retry_after=True
    )
