"""A fake Anthropic messages server, and builders for its replies."""

from __future__ import annotations

from typing import Any

from tests.fakes.llm_server import Scripted, ScriptedServer

GOOD = {"action": "BUY", "confidence": 0.72, "rationale": "Uptrend pullback to SMA-20."}
TOOL = "record_decision"


def message(
    content: list[dict[str, Any]],
    *,
    stop_reason: str = "tool_use",
    model: str = "claude-haiku-4-5",
    input_tokens: int = 510,
    output_tokens: int = 44,
) -> dict[str, Any]:
    """Return a messages API body."""
    return {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens},
    }


def tool_use(tool_input: Any, name: str = TOOL) -> dict[str, Any]:
    """Return one tool_use content block."""
    return {"type": "tool_use", "id": "toolu_fake", "name": name, "input": tool_input}


def text_block(text: str) -> dict[str, Any]:
    """Return one text content block."""
    return {"type": "text", "text": text}


def ok(tool_input: Any = None, **kwargs: Any) -> Scripted:
    """Return a 200 with a forced tool call carrying ``tool_input`` (GOOD by default)."""
    return Scripted(body=message([tool_use(GOOD if tool_input is None else tool_input)], **kwargs))


def error(
    status: int, kind: str = "api_error", message_text: str = "error", **headers: str
) -> Scripted:
    """Return an Anthropic-style error body with ``status``."""
    body = {"type": "error", "error": {"type": kind, "message": message_text}}
    return Scripted(status=status, body=body, headers=headers)


def fake_anthropic_server() -> ScriptedServer:
    """Return a (not yet started) server answering GOOD by default."""
    return ScriptedServer("/v1/messages", lambda _request: ok())
