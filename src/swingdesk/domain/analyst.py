"""One member's view in the optional analyst team (pure): stance, confidence, key points."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from swingdesk.domain.money import NonNegDec

ViewRole = Literal["technicals", "news", "fundamentals"]
#: The team's members, in the order they are shown.
VIEW_ROLES: tuple[ViewRole, ...] = ("technicals", "news", "fundamentals")


class AnalystView(BaseModel):
    """What one analyst of the team concluded, with what the call cost; stored with the signal.

    A view whose call failed (timeout, malformed reply, budget, cache miss in replay) is
    ``unavailable`` with the reason code; the decision goes on without it.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: ViewRole
    status: Literal["ok", "unavailable"]
    stance: Literal["bullish", "bearish", "neutral"] | None = None
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    key_points: tuple[str, ...] = ()
    reason_code: str | None = None
    detail: str | None = Field(default=None, description="why the view is unavailable")
    model: str = ""
    prompt_hash: str = ""
    tokens_in: int = Field(default=0, ge=0)
    tokens_out: int = Field(default=0, ge=0)
    cost_usd: NonNegDec = Field(default=Decimal(0))
    cache_hit: bool = False
    latency_ms: float = Field(default=0.0, ge=0.0)
    prompt: str = Field(default="", description="the view's input, verbatim")
    raw_output: str = Field(default="", description="the view's reply, verbatim")
