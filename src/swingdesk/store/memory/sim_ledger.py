"""The simulated broker's ledger in memory, for fast backtests and tests.

One lock serialises the transactions (so every locked read holds); a transaction stages its
writes, sees them itself, and publishes them only when it commits; an error drops them all.
Readers outside a transaction see the last commit.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal

from swingdesk.domain.enums import OrderSide, OrderStatus, OrderType
from swingdesk.unit_of_work.sim_ledger import (
    SimAccount,
    SimLedgerConflictError,
    SimOrder,
    SimPosition,
)

_WORKING = frozenset({OrderStatus.HELD.value, OrderStatus.ACCEPTED.value})
_STOPS = frozenset({OrderType.STOP.value, OrderType.TRAILING_STOP.value})


class _Books:
    """The committed books, with the indexes a backtest's hot path needs."""

    def __init__(self) -> None:
        self.account: SimAccount | None = None
        self.positions: dict[str, SimPosition] = {}
        self.orders: dict[str, SimOrder] = {}  # by broker order id, in insertion order
        self.by_client_id: dict[str, str] = {}
        self.legs: dict[str, list[str]] = {}  # parent id -> its legs' ids
        self.working: dict[str, None] = {}  # ids of held or accepted orders, insertion order

    def apply(self, tx: MemorySimLedgerTx) -> None:
        """Publish what a transaction staged."""
        if tx.account_staged is not None:
            self.account = tx.account_staged
        for ticker, position in tx.positions_staged.items():
            if position is None:
                self.positions.pop(ticker, None)
            else:
                self.positions[ticker] = position
        for broker_order_id, order in tx.orders_staged.items():
            if broker_order_id not in self.orders:
                self.by_client_id[order.client_order_id] = broker_order_id
                if order.parent_id is not None:
                    self.legs.setdefault(order.parent_id, []).append(broker_order_id)
            self.orders[broker_order_id] = order
            if order.status in _WORKING:
                self.working[broker_order_id] = None
            else:
                self.working.pop(broker_order_id, None)


class MemorySimLedger:
    """Implements ``SimLedger`` with dicts."""

    def __init__(self) -> None:
        self._books = _Books()
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def tx(self) -> AsyncIterator[MemorySimLedgerTx]:
        """Open a transaction: its writes are published on success, dropped on any error."""
        async with self._lock:
            tx = MemorySimLedgerTx(self._books)
            yield tx
            self._books.apply(tx)  # no await: readers see all of it or none

    async def book(self) -> tuple[Decimal | None, list[SimPosition]]:
        """Return the committed cash and positions by ticker."""
        books = self._books
        cash = None if books.account is None else books.account.cash
        return cash, [books.positions[t] for t in sorted(books.positions)]

    async def order_by_client_id(self, client_order_id: str) -> SimOrder | None:
        """Return the order with this client order id, if any."""
        books = self._books
        broker_order_id = books.by_client_id.get(client_order_id)
        return None if broker_order_id is None else books.orders[broker_order_id]

    async def legs_of(self, broker_order_id: str) -> list[SimOrder]:
        """Return the legs of an order, in the order they were added."""
        books = self._books
        return [books.orders[leg] for leg in books.legs.get(broker_order_id, ())]

    async def orders_newest_first(self) -> list[SimOrder]:
        """Return every order, newest first (the last added first among equal times)."""
        newest_added_first = reversed(list(self._books.orders.values()))
        return sorted(newest_added_first, key=lambda o: o.submitted_at, reverse=True)


class MemorySimLedgerTx:
    """Implements ``SimLedgerTx``: reads see the staged writes over the committed books."""

    def __init__(self, committed: _Books) -> None:
        self._books = committed
        self.account_staged: SimAccount | None = None
        self.positions_staged: dict[str, SimPosition | None] = {}  # None: closed
        self.orders_staged: dict[str, SimOrder] = {}
        self._client_ids_staged: set[str] = set()

    async def order_id_of(self, client_order_id: str) -> str | None:
        """Return the broker order id of this client order id, if any."""
        found = self._books.by_client_id.get(client_order_id)
        if found is None and client_order_id in self._client_ids_staged:
            found = next(
                o.broker_order_id
                for o in self.orders_staged.values()
                if o.client_order_id == client_order_id
            )
        return found

    async def account(self) -> SimAccount | None:
        """Return the account (every transaction holds the lock)."""
        return self.account_staged or self._books.account

    async def position(self, ticker: str) -> SimPosition | None:
        """Return the position in ``ticker``."""
        if ticker in self.positions_staged:
            return self.positions_staged[ticker]
        return self._books.positions.get(ticker)

    async def reserved_by_stops(self, ticker: str) -> Decimal:
        """Return the shares of ``ticker`` held by working sell orders."""
        return sum(
            (
                o.qty
                for o in self._working()
                if o.ticker == ticker and o.side == OrderSide.SELL.value
            ),
            Decimal(0),
        )

    async def working_stops(self) -> list[SimOrder]:
        """Return the working stop orders, oldest first."""
        stops = [o for o in self._working() if o.type in _STOPS]
        return sorted(stops, key=lambda o: (o.submitted_at, o.broker_order_id))

    def _working(self) -> list[SimOrder]:
        books = self._books
        mine = {i: books.orders[i] for i in books.working}
        mine.update(self.orders_staged)
        return [o for o in mine.values() if o.status in _WORKING]

    async def order(self, broker_order_id: str) -> SimOrder | None:
        """Return the order with this broker order id."""
        staged = self.orders_staged.get(broker_order_id)
        return staged if staged is not None else self._books.orders.get(broker_order_id)

    async def put_account(self, account: SimAccount) -> None:
        """Stage the account."""
        self.account_staged = account

    async def put_position(self, position: SimPosition) -> None:
        """Stage a position, new or changed."""
        self.positions_staged[position.ticker] = position

    async def delete_position(self, ticker: str) -> None:
        """Stage a position's closing."""
        self.positions_staged[ticker] = None

    async def add_order(self, order: SimOrder) -> None:
        """Stage a new order; a client order id already held is refused (as the SQL
        ledger's unique constraint does)."""
        held = order.client_order_id in self._books.by_client_id
        if held or order.client_order_id in self._client_ids_staged:
            raise SimLedgerConflictError(f"client order id {order.client_order_id} already held")
        self.orders_staged[order.broker_order_id] = order
        self._client_ids_staged.add(order.client_order_id)

    async def put_order(self, order: SimOrder) -> None:
        """Stage a changed order."""
        if await self.order(order.broker_order_id) is None:
            raise LookupError(f"no simulated order {order.broker_order_id}")
        self.orders_staged[order.broker_order_id] = order
