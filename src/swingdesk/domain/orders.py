"""The order aggregate: orders change status only through this table, and fills only
through ``accumulate_fill`` (the overfill guard and the volume-weighted average)."""

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


#: A fill reported after the order was canceled or expired is real: the cancel raced the
#: execution at the venue. As NautilusTrader does, it is booked rather than refused (refused,
#: it would surface as drift at the next reconciliation).
LATE_FILL_FROM: Final[frozenset[OrderStatus]] = frozenset({S.CANCELED, S.EXPIRED})
_FILL_STATUSES: Final[frozenset[OrderStatus]] = frozenset({S.PARTIALLY_FILLED, S.FILLED})


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


def reported_status(current: OrderStatus, reported: OrderStatus) -> OrderStatus:
    """Return the status an order takes when the broker reports ``reported``.

    The table decides, except for a late fill: a canceled or expired order the broker
    reports (partially) filled takes the reported status, so its fill is booked. A repeated
    report is a no-op; anything else the table refuses raises IllegalTransitionError.
    """
    if reported == current and reported is not S.PARTIALLY_FILLED:
        return current
    if current in LATE_FILL_FROM and reported in _FILL_STATUSES:
        return reported
    check_transition(current, reported)
    return reported


def accumulate_fill(
    order_qty: Decimal | None,
    filled_qty: Decimal,
    avg_price: Decimal | None,
    qty: Decimal,
    price: Decimal,
    *,
    client_order_id: str,
) -> tuple[Decimal, Decimal]:
    """Return (filled quantity, volume-weighted average price) after one more fill.

    Raise IllegalTransitionError when the fill would take the order beyond its quantity
    (``order_qty`` None or 0: an order by notional, which has no share quantity to exceed).
    """
    if qty <= 0 or price <= 0:
        raise ValueError("fill quantity and price must be positive")
    filled = filled_qty + qty
    if order_qty and filled > order_qty:
        raise IllegalTransitionError(
            f"fill of {qty} would exceed the order quantity {order_qty}",
            details={"client_order_id": client_order_id},
        )
    return filled, (filled_qty * (avg_price or ZERO) + qty * price) / filled


def fill_between(
    booked_qty: Decimal,
    booked_avg: Decimal | None,
    reported_qty: Decimal,
    reported_avg: Decimal | None,
) -> tuple[Decimal, Decimal] | None:
    """Return (quantity, price) of the fill between two cumulative reports of one order, or
    None when the newer report adds none (a repeated report books nothing)."""
    delta = reported_qty - booked_qty
    if delta <= 0 or reported_avg is None:
        return None
    return delta, (reported_qty * reported_avg - booked_qty * (booked_avg or ZERO)) / delta


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
        """Return this order after a fill of ``qty`` at ``price`` (a working order only)."""
        filled, avg = accumulate_fill(
            self.qty,
            self.filled_qty,
            self.filled_avg_price,
            qty,
            price,
            client_order_id=self.client_order_id,
        )
        status = OrderStatus.FILLED if filled == self.qty else OrderStatus.PARTIALLY_FILLED
        moved = self.with_status(status)
        return moved.model_copy(update={"filled_qty": filled, "filled_avg_price": avg})
