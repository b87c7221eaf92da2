"""What the unit-of-work port reads back: our books' records, as the services see them.

SQLAlchemy rows satisfy these protocols as they are; the in-memory books hold plain
objects. Nothing here is a row type, so nothing above the store needs one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from swingdesk.domain.enums import (
    Action,
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
    TradingState,
)


class StoredPosition(Protocol):
    """What our books keep about a position beyond the broker's figures."""

    @property
    def sector(self) -> str | None:
        """Return the sector recorded when the position was opened."""
        ...

    @property
    def stop_price(self) -> Decimal | None:
        """Return the protective stop price our books hold for it."""
        ...


@dataclass(frozen=True, slots=True)
class DecisionStages:
    """Which stages of a decision are stored."""

    signal_action: Action | None
    verdict_approved: bool | None
    has_order: bool


class DecisionRecord(Protocol):
    """Everything stored about one decision, as the explain view reads it."""

    @property
    def decision(self) -> Any:
        """Return the decision itself."""
        ...

    @property
    def snapshot(self) -> Any:
        """Return the market snapshot it saw, if stored."""
        ...

    @property
    def signal(self) -> Any:
        """Return the analyst's signal, if stored."""
        ...

    @property
    def verdict(self) -> Any:
        """Return the risk verdict, if stored."""
        ...

    @property
    def checks(self) -> Sequence[Any]:
        """Return the verdict's checks, in order."""
        ...

    @property
    def orders(self) -> Sequence[Any]:
        """Return its orders, oldest first."""
        ...

    @property
    def statuses(self) -> Sequence[Any]:
        """Return its orders' status reports, oldest first."""
        ...

    @property
    def fills(self) -> Sequence[Any]:
        """Return its fills, oldest first."""
        ...

    @property
    def audit(self) -> Sequence[dict[str, Any]]:
        """Return its journal entries, in order."""
        ...


class StoredOrder(Protocol):
    """An order as our books keep it (what the stop keeper reads of one)."""

    @property
    def client_order_id(self) -> str:
        """Return our id of the order (the idempotency and reconciliation key)."""
        ...

    @property
    def parent_client_order_id(self) -> str | None:
        """Return the entry a protective leg belongs to, if known."""
        ...

    @property
    def decision_id(self) -> str | None:
        """Return the decision that placed it (None for an external order)."""
        ...

    @property
    def ticker(self) -> str:
        """Return the ticker."""
        ...

    @property
    def side(self) -> str:
        """Return the side, as its wire value."""
        ...

    @property
    def type(self) -> str:
        """Return the order type, as its wire value."""
        ...

    @property
    def external(self) -> bool:
        """Say whether the order is not ours (tracked, never adopted)."""
        ...

    @property
    def status(self) -> str:
        """Return the status our books hold, as its wire value."""
        ...

    @property
    def filled_qty(self) -> Decimal:
        """Return the quantity our books have booked as filled."""
        ...


class StoredHolding(Protocol):
    """A position as our books hold it."""

    @property
    def ticker(self) -> str:
        """Return the ticker."""
        ...

    @property
    def qty(self) -> Decimal:
        """Return the shares held."""
        ...

    @property
    def avg_price(self) -> Decimal:
        """Return the average entry price."""
        ...


class BookedOrder(StoredOrder, Protocol):
    """An order with everything execution books against it (and resends it from)."""

    @property
    def intent(self) -> str:
        """Return the intent (open or close), as its wire value."""
        ...

    @property
    def qty(self) -> Decimal:
        """Return the quantity ordered (0 for an external order placed by amount)."""
        ...

    @property
    def time_in_force(self) -> str:
        """Return the time in force, as its wire value."""
        ...

    @property
    def stop_price(self) -> Decimal | None:
        """Return the stop price (an entry's protective stop, a stop order's trigger)."""
        ...

    @property
    def reference_price(self) -> Decimal | None:
        """Return the price risk sized the order at, if known."""
        ...

    @property
    def broker_order_id(self) -> str | None:
        """Return the broker's id of the order, once known."""
        ...

    @property
    def filled_avg_price(self) -> Decimal | None:
        """Return the average price of what our books have booked as filled."""
        ...

    @property
    def error_code(self) -> str | None:
        """Return the stable code of a rejection, if rejected."""
        ...

    @property
    def created_at(self) -> datetime:
        """Return when our books first stored the order."""
        ...


class BookedHolding(StoredHolding, StoredPosition, Protocol):
    """A position as our books hold it, with what they keep beyond the broker's figures."""


class ReportedOrder(Protocol):
    """What the broker reports of an order, as far as our books store it (a stop leg, an
    external order); ``ports.BrokerOrder`` is one."""

    @property
    def client_order_id(self) -> str:
        """Return the client order id."""
        ...

    @property
    def broker_order_id(self) -> str:
        """Return the broker's id of the order."""
        ...

    @property
    def ticker(self) -> str:
        """Return the ticker."""
        ...

    @property
    def side(self) -> OrderSide:
        """Return the side."""
        ...

    @property
    def qty(self) -> Decimal:
        """Return the quantity (0 for an order placed by amount)."""
        ...

    @property
    def notional(self) -> Decimal | None:
        """Return the amount of an order placed by amount."""
        ...

    @property
    def type(self) -> OrderType:
        """Return the order type."""
        ...

    @property
    def time_in_force(self) -> TimeInForce:
        """Return the time in force."""
        ...

    @property
    def stop_price(self) -> Decimal | None:
        """Return the stop price, if any."""
        ...

    @property
    def status(self) -> OrderStatus:
        """Return the status the broker reports."""
        ...

    @property
    def filled_qty(self) -> Decimal:
        """Return the quantity the broker reports filled."""
        ...

    @property
    def filled_avg_price(self) -> Decimal | None:
        """Return the average price the broker reports for the filled part."""
        ...


class StoredStateChange(Protocol):
    """A stored change of trading state (what reconciliation reads of the newest one)."""

    @property
    def previous(self) -> str:
        """Return the state moved from, as its value."""
        ...

    @property
    def current(self) -> str:
        """Return the state moved to, as its value."""
        ...

    @property
    def cause(self) -> str | None:
        """Return the stable code of a change the desk made itself."""
        ...


@dataclass(frozen=True)
class BookFacts:
    """Our side of the account: positions, marks, trading state, last orders per ticker."""

    positions: Mapping[str, StoredPosition]
    high_water_mark: Decimal | None
    start_of_day_equity: Decimal | None
    trading_state: TradingState
    last_order_at: Mapping[str, datetime]
