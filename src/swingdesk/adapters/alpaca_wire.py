"""Alpaca's wire format to ours: statuses, numbers and orders (strictly, else leniently)."""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal
from typing import Any

from alpaca.trading.models import Order
from pydantic import ValidationError

from swingdesk.domain.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from swingdesk.domain.errors import TemporaryError
from swingdesk.ports import BrokerOrder

# The broker's logger: what it logs about the orders it reads is the broker's.
log = logging.getLogger("swingdesk.adapters.alpaca_broker")

#: Alpaca's statuses on our table; working states we do not distinguish become accepted.
ALPACA_STATUS = {
    "new": OrderStatus.ACCEPTED,
    "pending_new": OrderStatus.ACCEPTED,
    "accepted": OrderStatus.ACCEPTED,
    "accepted_for_bidding": OrderStatus.ACCEPTED,
    "pending_cancel": OrderStatus.ACCEPTED,
    "pending_replace": OrderStatus.ACCEPTED,
    "pending_review": OrderStatus.ACCEPTED,
    "calculated": OrderStatus.ACCEPTED,
    "stopped": OrderStatus.ACCEPTED,
    "suspended": OrderStatus.ACCEPTED,
    "done_for_day": OrderStatus.ACCEPTED,
    "held": OrderStatus.HELD,
    "partially_filled": OrderStatus.PARTIALLY_FILLED,
    "filled": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELED,
    "replaced": OrderStatus.CANCELED,
    "expired": OrderStatus.EXPIRED,
    "rejected": OrderStatus.REJECTED,
}


def parse_model(model: Any, raw: Any) -> Any:
    """Validate ``raw`` with an alpaca-py model; a malformed body is a temporary error."""
    try:
        return model(**raw)
    except (ValidationError, TypeError) as exc:
        raise TemporaryError(f"Alpaca sent a malformed {model.__name__}: {exc}") from exc


def to_decimal(value: str | float | None) -> Decimal:
    """Return a wire number as a Decimal, zero when absent."""
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


def read_order(raw: Any) -> BrokerOrder:
    """Read one order strictly (alpaca-py's model)."""
    return _from_model(parse_model(Order, raw))


def readable_order(raw: Any) -> BrokerOrder | None:
    """Read one listed order strictly, else leniently; None (logged) if neither can."""
    try:
        return read_order(raw)
    except TemporaryError:
        lenient = _lenient_order(raw)
        if lenient is None:
            log.warning("an order Alpaca listed could not be read; left out: %.200r", raw)
        return lenient


def _enum(kind: Any, value: Any, default: Any) -> Any:
    try:
        return kind(str(value))
    except ValueError:
        return default


def _lenient_order(raw: Any) -> BrokerOrder | None:
    """Read an order alpaca-py's model refuses, field by field; None without an id."""
    if not isinstance(raw, dict) or not raw.get("id") or not raw.get("client_order_id"):
        return None
    try:
        avg = to_decimal(raw.get("filled_avg_price"))
        legs = tuple(
            leg for leg in (_lenient_order(x) for x in raw.get("legs") or ()) if leg is not None
        )
        submitted = raw.get("submitted_at") or raw.get("created_at")
        return BrokerOrder(
            broker_order_id=str(raw["id"]),
            client_order_id=str(raw["client_order_id"]),
            ticker=str(raw.get("symbol") or ""),
            side=_enum(OrderSide, raw.get("side"), OrderSide.BUY),
            qty=to_decimal(raw.get("qty")) or to_decimal(raw.get("filled_qty")),
            type=_enum(OrderType, raw.get("type") or raw.get("order_type"), OrderType.MARKET),
            time_in_force=_enum(TimeInForce, raw.get("time_in_force"), TimeInForce.DAY),
            status=ALPACA_STATUS.get(str(raw.get("status")), OrderStatus.ACCEPTED),
            filled_qty=to_decimal(raw.get("filled_qty")),
            filled_avg_price=avg if avg > 0 else None,
            submitted_at=datetime.fromisoformat(str(submitted).replace("Z", "+00:00")),
            stop_price=to_decimal(raw.get("stop_price")) if raw.get("stop_price") else None,
            legs=legs,
            notional=to_decimal(raw.get("notional")) if raw.get("notional") else None,
            **_trail(raw.get("trail_percent"), raw.get("trail_price"), raw.get("hwm")),
        )
    except (ValueError, ArithmeticError, TypeError):
        return None


def _from_model(o: Order) -> BrokerOrder:
    status = ALPACA_STATUS.get(str(o.status.value), OrderStatus.ACCEPTED)
    avg = to_decimal(o.filled_avg_price)
    return BrokerOrder(
        broker_order_id=str(o.id),
        client_order_id=o.client_order_id,
        ticker=o.symbol or "",
        side=OrderSide(o.side.value if o.side else "buy"),
        qty=to_decimal(o.qty) or to_decimal(o.filled_qty),
        type=OrderType(o.type.value if o.type else "market"),
        time_in_force=TimeInForce(o.time_in_force.value),
        status=status,
        filled_qty=to_decimal(o.filled_qty),
        filled_avg_price=avg if avg > 0 else None,
        submitted_at=o.submitted_at,
        stop_price=to_decimal(o.stop_price) if o.stop_price else None,
        legs=tuple(_from_model(leg) for leg in o.legs or ()),
        notional=to_decimal(o.notional) if o.notional else None,
        **_trail(o.trail_percent, o.trail_price, o.hwm),
    )


def _trail(percent: Any, price: Any, hwm: Any) -> dict[str, Decimal | None]:
    """Return a trailing stop's fields in our units (Alpaca's percent as a fraction)."""
    return {
        "trail_pct": to_decimal(percent) / 100 if percent not in (None, "") else None,
        "trail_price": to_decimal(price) if price not in (None, "") else None,
        "hwm": to_decimal(hwm) if hwm not in (None, "") else None,
    }
