"""What execution asks of our books: its orders, the broker's reports of them, the positions
their fills make (the ``ExecutionAgent`` and its ``Booker``).

Every write keeps to the rule the booking module states: a position moves only from a fill
(or a reconciliation correction), and a fill is stored once, by its id.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from swingdesk.domain.enums import Intent, OrderStatus
from swingdesk.domain.events import FillEvent
from swingdesk.unit_of_work.records import BookedHolding, BookedOrder, ReportedOrder, StoredOrder
from swingdesk.unit_of_work.units import OrderUnitOfWork


class BookingUnitOfWork(OrderUnitOfWork, Protocol):
    """A unit of work over our orders, their fills and our positions (one broker report)."""

    async def booked_order(self, client_order_id: str, *, lock: bool = False) -> BookedOrder | None:
        """Return an order as this unit sees it now; with ``lock``, held against every other
        writer until the unit ends. What a later write makes of it, that write returns."""
        ...

    async def add_broker_order(
        self,
        order: ReportedOrder,
        *,
        decision_id: str | None,
        intent: Intent,
        external: bool,
        now: datetime,
        parent_client_order_id: str | None = None,
    ) -> BookedOrder:
        """Store an order we learnt of from the broker (a stop leg, or an external order)."""
        ...

    async def add_leg(
        self,
        leg: ReportedOrder,
        *,
        parent_client_order_id: str,
        decision_id: str | None,
        external: bool,
        now: datetime,
    ) -> BookedOrder:
        """Store the protective stop leg of an order, its status booked from NEW so that its
        history starts with the broker's first report."""
        ...

    async def reclaim_leg(
        self,
        client_order_id: str,
        *,
        parent_client_order_id: str,
        decision_id: str | None,
        now: datetime,
    ) -> BookedOrder:
        """Own again a leg of ours stored as external: nothing of it booked yet (NEW, no
        fill), so that its history is booked anew from the broker's report."""
        ...

    async def resize_order(self, client_order_id: str, qty: Decimal) -> None:
        """Record the quantity the broker now reports for an order (a resized leg)."""
        ...

    async def track_external(
        self,
        client_order_id: str,
        *,
        status: OrderStatus,
        filled_qty: Decimal,
        filled_avg_price: Decimal | None,
        now: datetime,
    ) -> None:
        """Record the broker's figures for an external order (never booked as fills)."""
        ...

    async def add_fill(
        self, fill: FillEvent, *, sector: str | None, stop_price: Decimal | None
    ) -> Decimal | None:
        """Record a fill and move our position by it; None if it was already recorded, else
        the shares of a sell beyond our position (0 normally)."""
        ...

    async def set_position(
        self, ticker: str, qty: Decimal, avg_price: Decimal, sector: str | None, now: datetime
    ) -> None:
        """Overwrite (or create) our position in ``ticker`` (reconciliation only)."""
        ...

    async def set_stop_price(self, ticker: str, stop_price: Decimal, now: datetime) -> None:
        """Record the stop price protecting our position in ``ticker`` (if we hold one)."""
        ...

    async def delete_position(self, ticker: str) -> None:
        """Remove our position in ``ticker`` (reconciliation only)."""
        ...


class ExecutionBooks(Protocol):
    """Where execution keeps its orders and books what the broker reports of them."""

    def tx(self) -> AbstractAsyncContextManager[BookingUnitOfWork]:
        """Open a unit of work: it commits on success, rolls back on any error."""
        ...

    async def order(self, client_order_id: str) -> BookedOrder | None:
        """Return one order by its client order id."""
        ...

    async def open_orders(self) -> Sequence[StoredOrder]:
        """Return every order our books do not consider finished."""
        ...

    async def open_stop_orders(self, ticker: str | None) -> Sequence[BookedOrder]:
        """Return the working sell stops in ``ticker`` (every ticker for None)."""
        ...

    async def positions(self) -> Sequence[BookedHolding]:
        """Return our book's open positions."""
        ...

    async def opening_decision(self, ticker: str) -> str | None:
        """Return the decision of our newest entry order in ``ticker`` (None if none)."""
        ...
