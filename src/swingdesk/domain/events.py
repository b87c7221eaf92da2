"""Immutable events, one per pipeline stage, all linked by ``decision_id``."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field, computed_field

from swingdesk.domain.clock import UtcDatetime
from swingdesk.domain.enums import (
    Action,
    Intent,
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
    TradingState,
)
from swingdesk.domain.money import Dec, NonNegDec, PosDec


class Event(BaseModel):
    """Base of every event: frozen, with an id and a UTC timestamp."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: UUID = Field(default_factory=uuid4)
    ts_event: UtcDatetime


class DecisionEvent(Event):
    """An event that belongs to one decision."""

    decision_id: UUID


class SignalCreated(DecisionEvent):
    """The analyst's proposal. Malformed model output becomes HOLD with ``reason_code``."""

    kind: Literal["signal_created"] = "signal_created"
    ticker: str
    action: Action
    confidence: float = Field(ge=0.0, le=1.0)
    rationale: str
    model: str
    prompt_hash: str = ""
    latency_ms: float = Field(default=0.0, ge=0.0)
    tokens_in: int = Field(default=0, ge=0)
    tokens_out: int = Field(default=0, ge=0)
    cost_usd: NonNegDec = Field(default=Decimal(0))
    reason_code: str | None = None
    feasible_actions: tuple[Action, ...] = (Action.BUY, Action.SELL, Action.HOLD)
    prompt: str = Field(default="", description="the strategy's input, verbatim")
    raw_output: str = Field(default="", description="the strategy's reply, verbatim")
    cache_hit: bool = False


class RiskCheck(BaseModel):
    """One rule's verdict: the measured value against its limit."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    passed: bool
    value: Dec | str | None = None
    limit: Dec | str | None = None
    message: str


class _RiskVerdict(DecisionEvent):
    ticker: str
    signal_event_id: UUID
    action: Action
    checks: tuple[RiskCheck, ...]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def violations(self) -> tuple[RiskCheck, ...]:
        """Return the checks that failed."""
        return tuple(c for c in self.checks if not c.passed)


class RiskApproved(_RiskVerdict):
    """Risk approved an order, sized; the stop travels with an opening approval."""

    kind: Literal["risk_approved"] = "risk_approved"
    intent: Intent
    side: OrderSide
    qty: PosDec
    reference_price: PosDec
    stop_price: PosDec | None = None
    stop_distance: NonNegDec | None = None
    risk_dollars: NonNegDec | None = None
    notional: NonNegDec


class RiskRejected(_RiskVerdict):
    """Risk denied the signal; the violations say why, with values and limits."""

    kind: Literal["risk_rejected"] = "risk_rejected"
    intent: Intent | None = None
    qty: NonNegDec | None = None
    stop_price: PosDec | None = None


RiskVerdict = RiskApproved | RiskRejected


class OrderRequest(DecisionEvent):
    """An order about to be sent; stored before the broker is called."""

    kind: Literal["order_request"] = "order_request"
    client_order_id: str = Field(max_length=48)
    ticker: str
    side: OrderSide
    intent: Intent
    qty: PosDec
    type: OrderType = OrderType.MARKET
    time_in_force: TimeInForce = TimeInForce.DAY
    stop_price: PosDec | None = Field(default=None, description="protective stop for an entry")
    reference_price: PosDec
    risk_event_id: UUID


class OrderResponseStatus(DecisionEvent):
    """What the broker said about an order."""

    kind: Literal["order_status"] = "order_status"
    client_order_id: str
    broker_order_id: str | None = None
    status: OrderStatus
    filled_qty: NonNegDec = Field(default=Decimal(0))
    filled_avg_price: PosDec | None = None
    error_code: str | None = None
    message: str | None = None


class FillEvent(DecisionEvent):
    """Shares changed hands: the only thing that moves a position."""

    kind: Literal["fill"] = "fill"
    fill_id: str
    client_order_id: str
    broker_order_id: str | None = None
    ticker: str
    side: OrderSide
    qty: PosDec
    price: PosDec
    commission: NonNegDec = Field(default=Decimal(0))


class TradingStateChanged(Event):
    """The desk's trading state changed; always with a reason and who did it."""

    kind: Literal["trading_state_changed"] = "trading_state_changed"
    decision_id: UUID | None = None
    previous: TradingState
    current: TradingState
    reason: str
    actor: str
