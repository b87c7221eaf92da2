"""A fake OpenAI-compatible chat-completions server, and builders for its replies."""

from __future__ import annotations

import json
from typing import Any

from tests.fakes.llm_server import Scripted, ScriptedServer

GOOD = {"action": "BUY", "confidence": 0.72, "rationale": "Uptrend pullback to SMA-20."}


def completion(
    content: str | None,
    *,
    finish_reason: str = "stop",
    refusal: str | None = None,
    model: str = "gpt-4o-mini-2024-07-18",
    prompt_tokens: int = 420,
    completion_tokens: int = 38,
) -> dict[str, Any]:
    """Return a chat.completion body with one choice."""
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": refusal},
                "finish_reason": finish_reason,
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def ok(payload: Any = None, **kwargs: Any) -> Scripted:
    """Return a 200 whose message content is ``payload`` as JSON (GOOD by default)."""
    text = payload if isinstance(payload, str) else json.dumps(GOOD if payload is None else payload)
    return Scripted(body=completion(text, **kwargs))


def error(status: int, message: str = "error", **headers: str) -> Scripted:
    """Return an OpenAI-style error body with ``status``."""
    body = {"error": {"message": message, "type": "server_error", "code": None}}
    return Scripted(status=status, body=body, headers=headers)


def fake_openai_server() -> ScriptedServer:
    """Return a (not yet started) server answering GOOD by default."""
    return ScriptedServer("/v1/chat/completions", lambda _request: ok())
