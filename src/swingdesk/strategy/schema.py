"""The analyst's structured reply and how any reply becomes an action (pure, no SDK).

A reply is accepted only when the whole text is one JSON object matching ``AnalystReply``
exactly: no prose around it, no extra keys, no strings in numeric fields, confidence in
[0, 1]. Anything else is HOLD with a stable reason code; there is no fallback that scans
the text for a rating word.

A SELL may carry ``close_fraction`` (0 < f <= 1) to close only part of the position; the
field is nullable (strict structured outputs require every property), ignored on BUY and
HOLD, and risk still sizes the shares from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from swingdesk.domain.enums import Action
from swingdesk.ports import LLMReply

LLM_MALFORMED = "LLM_MALFORMED"
LLM_REFUSAL = "LLM_REFUSAL"
LLM_TIMEOUT = "LLM_TIMEOUT"
LLM_RATE_LIMIT = "LLM_RATE_LIMIT"
LLM_ERROR = "LLM_ERROR"
LLM_BUDGET = "LLM_BUDGET"
LLM_CACHE_MISS = "LLM_CACHE_MISS"
#: Same code the agent uses when an action is outside the feasible set.
NOT_FEASIBLE = "NOT_FEASIBLE"

SCHEMA_NAME = "analyst_decision"
_MAX_RATIONALE_CHARS = 2000
# Shown in rationales; the full reply is kept verbatim in raw_output.
_MAX_QUOTED_CHARS = 300


class AnalystReply(BaseModel):
    """The one shape an analyst reply may take."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    action: Literal["BUY", "SELL", "HOLD"] = Field(description="the proposed action")
    confidence: float = Field(
        ge=0.0, le=1.0, allow_inf_nan=False, description="probability the action is right, 0..1"
    )
    rationale: str = Field(
        min_length=1,
        max_length=_MAX_RATIONALE_CHARS,
        description="two or three sentences naming the indicators that drove the decision",
    )
    close_fraction: float | None = Field(
        default=None,
        gt=0.0,
        le=1.0,
        allow_inf_nan=False,
        description=(
            "SELL only: the fraction of the held shares to sell, above 0 and at most 1; "
            "null sells the whole position (and is the only value for BUY and HOLD)"
        ),
    )


def strict_json_schema(model: type[BaseModel] = AnalystReply) -> dict[str, Any]:
    """Return ``model``'s JSON schema in the strict form structured outputs require."""
    schema = model.model_json_schema()
    schema.pop("title", None)
    props: dict[str, Any] = schema.get("properties", {})
    for prop in props.values():
        prop.pop("title", None)
        # Strict mode: a nullable field is required and sent as null, never defaulted.
        prop.pop("default", None)
    # Strict mode: every property required, nothing else allowed.
    schema["required"] = list(props)
    schema["additionalProperties"] = False
    return schema


@dataclass(frozen=True, slots=True)
class Interpretation:
    """What a reply means for the desk: an action, or HOLD with the reason why."""

    action: Action
    confidence: float
    rationale: str
    reason_code: str | None
    #: Set only on a SELL that asks to close part of the position.
    close_fraction: float | None = None

    def fraction(self) -> Decimal | None:
        """Return the part of the position to close as the signal carries it, or None."""
        f = self.close_fraction
        return Decimal(repr(f)) if f is not None and self.action is Action.SELL else None


def hold(reason_code: str, why: str) -> Interpretation:
    """Return a HOLD at zero confidence carrying ``reason_code``."""
    return Interpretation(Action.HOLD, 0.0, f"Holding ({reason_code}): {why}", reason_code)


def parse_reply(text: str) -> AnalystReply | str:
    """Return the validated reply, or a one-line description of why ``text`` is not one."""
    try:
        return AnalystReply.model_validate_json(text.strip())
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        first = errors[0] if errors else {"loc": (), "msg": str(exc)}
        where = ".".join(str(p) for p in first.get("loc", ())) or "reply"
        return f"{where}: {first.get('msg', 'invalid')} ({len(errors)} problem(s))"
    # pydantic-core raises ValueError subclasses only, but a reply is untrusted input.
    except ValueError as exc:  # pragma: no cover - defensive
        return f"reply: {exc}"


def interpret(reply: LLMReply, feasible: tuple[Action, ...]) -> Interpretation:
    """Turn any model reply into an action the desk may take, or HOLD with a reason code."""
    if reply.refusal:
        return hold(LLM_REFUSAL, f"the model refused: {_quote(reply.refusal)}")
    finish = (reply.finish_reason or "").lower()
    if finish in ("refusal", "content_filter"):
        return hold(LLM_REFUSAL, f"the reply was stopped by the provider ({finish})")
    if finish in ("length", "max_tokens", "model_context_window_exceeded"):
        return hold(LLM_MALFORMED, f"the reply was cut off (finish reason {finish})")
    parsed = parse_reply(reply.text)
    if isinstance(parsed, str):
        return hold(LLM_MALFORMED, f"the reply does not match the schema ({parsed})")
    action = Action(parsed.action)
    if action not in feasible:
        allowed = ", ".join(a.value for a in feasible)
        return hold(
            NOT_FEASIBLE,
            f"the model proposed {action.value} at {parsed.confidence:.2f} but only {allowed} "
            f"is feasible. Model said: {parsed.rationale}",
        )
    fraction = parsed.close_fraction if action is Action.SELL else None
    return Interpretation(action, parsed.confidence, parsed.rationale, None, fraction)


def _quote(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _MAX_QUOTED_CHARS else flat[:_MAX_QUOTED_CHARS] + "..."
