"""Our orders, their fills and our positions in memory: the records and the reads of the
part of ``MemoryBooks`` behind ``swingdesk.unit_of_work.ExecutionBooks`` (its writes are in
``memory_order_writes``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from swingdesk.domain.enums import TERMINAL_STATUSES, Intent, OrderSide, OrderStatus, OrderType
from swingdesk.domain.events import FillEvent, OrderResponseStatus

_STOP_TYPES = (OrderType.STOP.value, OrderType.TRAILING_STOP.value)


@dataclass(frozen=True)
class MemoryOrder:
    """One stored order (a ``BookedOrder``)."""

    client_order_id: str
    decision_id: str | None
    parent_client_order_id: str | None
    ticker: str
    side: str
    intent: str
    qty: Decimal
    type: str
    time_in_force: str
    stop_price: Decimal | None
    reference_price: Decimal | None
    status: str
    filled_qty: Decimal
    filled_avg_price: Decimal | None
    broker_order_id: str | None
    external: bool
    created_at: datetime
    updated_at: datetime
    notional: Decimal | None = None
    error_code: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class MemoryHolding:
    """One open position (a ``BookedHolding``)."""

    ticker: str
    qty: Decimal
    avg_price: Decimal
    sector: str | None
    stop_price: Decimal | None
    opened_at: datetime
    updated_at: datetime


@dataclass
class OrderBook:
    """Orders, fills, status reports and positions: committed, or staged by one unit
    (a staged position of None is one the unit removed)."""

    orders: dict[str, MemoryOrder] = field(default_factory=dict)
    fills: dict[str, FillEvent] = field(default_factory=dict)
    reports: list[OrderResponseStatus] = field(default_factory=list)
    positions: dict[str, MemoryHolding | None] = field(default_factory=dict)
    #: Indexes of the committed book: the orders not finished, and when each ticker last
    #: had an order of ours stored.
    open_ids: dict[str, None] = field(default_factory=dict)
    last_order_at: dict[str, datetime] = field(default_factory=dict)

    def commit(self, staged: OrderBook) -> None:
        """Take a unit's staged changes."""
        self.orders.update(staged.orders)
        for order in staged.orders.values():
            if _terminal(order):
                self.open_ids.pop(order.client_order_id, None)
            else:
                self.open_ids[order.client_order_id] = None
            if not order.external:
                last = self.last_order_at.get(order.ticker)
                if last is None or order.created_at > last:
                    self.last_order_at[order.ticker] = order.created_at
        self.fills.update(staged.fills)
        self.reports.extend(staged.reports)
        for ticker, holding in staged.positions.items():
            if holding is None:
                self.positions.pop(ticker, None)
            else:
                self.positions[ticker] = holding


class MemoryOrderReads:
    """What execution reads of the committed order book."""

    book: OrderBook

    async def order(self, client_order_id: str) -> MemoryOrder | None:
        """Return one order by its client order id."""
        return self.book.orders.get(client_order_id)

    async def open_orders(self) -> list[MemoryOrder]:
        """Return every order our books do not consider finished."""
        orders = self.book.orders
        return [orders[client_order_id] for client_order_id in self.book.open_ids]

    async def open_stop_orders(self, ticker: str | None) -> list[MemoryOrder]:
        """Return the working sell stops in ``ticker`` (every ticker for None)."""
        return [
            o
            for o in await self.open_orders()
            if o.side == OrderSide.SELL.value
            and o.type in _STOP_TYPES
            and (ticker is None or o.ticker == ticker)
        ]

    async def positions(self) -> list[MemoryHolding]:
        """Return our book's open positions."""
        return [p for p in self.book.positions.values() if p is not None]

    async def opening_decision(self, ticker: str) -> str | None:
        """Return the decision of our newest entry order in ``ticker`` (None if none)."""
        entries = [
            o
            for o in self.book.orders.values()
            if o.ticker == ticker
            and o.intent == Intent.BUY_TO_OPEN.value
            and not o.external
            and o.decision_id is not None
        ]
        return max(entries, key=lambda o: o.created_at).decision_id if entries else None

    async def known_order_ids(self, client_order_ids: Collection[str]) -> set[str]:
        """Return which of these client order ids our books hold."""
        return {i for i in client_order_ids if i in self.book.orders}

    async def entries_without_legs(self, *, limit: int = 200) -> list[str]:
        """Return our newest entries with a stop whose leg we have not stored (yet)."""
        parents = {o.parent_client_order_id for o in self.book.orders.values()}
        entries = [
            o
            for o in self.book.orders.values()
            if not o.external
            and o.side == OrderSide.BUY.value
            and o.stop_price is not None
            and o.client_order_id not in parents
        ]
        entries.sort(key=lambda o: o.created_at, reverse=True)
        return [o.client_order_id for o in entries[:limit]]

    def last_order_at(self) -> dict[str, datetime]:
        """Return when each ticker last had an order of ours stored."""
        return dict(self.book.last_order_at)


def _terminal(order: MemoryOrder) -> bool:
    return OrderStatus(order.status) in TERMINAL_STATUSES
