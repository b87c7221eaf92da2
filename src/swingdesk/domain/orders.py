"""The order state machine: orders change status only through this table."""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from pydantic import BaseModel, ConfigDict

from swingdesk.domain.enums import Intent, OrderSide, OrderStatus, OrderType, TimeInForce
from swingdesk.domain.errors import IllegalTransitionError
from swingdesk.domain.money import ZERO, NonNegDec, PosDec

S = OrderStatus

#: For each status, the statuses it may move to. A broker may report a fill without
#: ever reporting ``accepted``, so ``new`` may jump straight to a fill. ``held`` is a
#: protective stop leg waiting for its trigger; it may become active or fill directly.
TRANSITIONS: Final[dict[OrderStatus, frozenset[OrderStatus]]] = {
    S.NEW: frozenset(
        {S.HELD, S.ACCEPTED, S.PARTIALLY_FILLED, S.FILLED, S.CANCELED, S.REJECTED, S.EXPIRED}
    ),
    S.HELD: frozenset(
        {S.ACCEPTED, S.PARTIALLY_FILLED, S.FILLED, S.CANCELED, S.REJECTED, S.EXPIRED}
    ),
    S.ACCEPTED: frozenset({S.PARTIALLY_FILLED, S.FILLED, S.CANCELED, S.REJECTED, S.EXPIRED}),
    S.PARTIALLY_FILLED: frozenset({S.PARTIALLY_FILLED, S.FILLED, S.CANCELED, S.EXPIRED}),
    S.FILLED: frozenset(),
    S.CANCELED: frozenset(),
    S.REJECTED: frozenset(),
    S.EXPIRED: frozenset(),
}


def can_transition(current: OrderStatus, target: OrderStatus) -> bool:
    """Say whether an order may move from ``current`` to ``target``."""
    return target in TRANSITIONS[current]


def check_transition(current: OrderStatus, target: OrderStatus) -> None:
    """Raise IllegalTransitionError unless the table allows ``current`` -> ``target``."""
    if not can_transition(current, target):
        raise IllegalTransitionError(
            f"order cannot move from {current.value} to {target.value}",
            details={"from": current.value, "to": target.value},
        )


class Order(BaseModel):
    """An order as our books know it; immutable, each change returns a new Order."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    client_order_id: str
    ticker: str
    side: OrderSide
    intent: Intent
    qty: PosDec
    type: OrderType = OrderType.MARKET
    time_in_force: TimeInForce = TimeInForce.DAY
    stop_price: PosDec | None = None
    status: OrderStatus = OrderStatus.NEW
    filled_qty: NonNegDec = ZERO
    filled_avg_price: PosDec | None = None
    broker_order_id: str | None = None

    def with_status(self, status: OrderStatus) -> Order:
        """Return this order moved to ``status``; the same status is a no-op."""
        if status == self.status and status is not OrderStatus.PARTIALLY_FILLED:
            return self
        check_transition(self.status, status)
        return self.model_copy(update={"status": status})

    def with_fill(self, qty: Decimal, price: Decimal) -> Order:
        """Return this order after a fill of ``qty`` at ``price``."""
        if qty <= 0 or price <= 0:
            raise ValueError("fill quantity and price must be positive")
        filled = self.filled_qty + qty
        if filled > self.qty:
            raise IllegalTransitionError(
                f"fill of {qty} would exceed the order quantity {self.qty}",
                details={"client_order_id": self.client_order_id},
            )
        prev = self.filled_avg_price or ZERO
        avg = (self.filled_qty * prev + qty * price) / filled
        status = OrderStatus.FILLED if filled == self.qty else OrderStatus.PARTIALLY_FILLED
        moved = self.with_status(status)
        return moved.model_copy(update={"filled_qty": filled, "filled_avg_price": avg})
