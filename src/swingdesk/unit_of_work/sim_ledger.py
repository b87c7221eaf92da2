"""The simulated broker's ledger port: where its own books (cash, positions, orders) live.

The broker's books are apart from ours, so that reconciliation compares two independent
records exactly as it would with Alpaca. ``SimulatedBroker`` reads and writes them only
through this port, as plain frozen records; implementations: ``store.sim_ledger`` (its own
SQL tables, SQLite and PostgreSQL) and ``store.memory.sim_ledger`` (dicts, for fast
backtests).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol


class SimLedgerConflictError(Exception):
    """A write clashed with a concurrent one: a client order id the ledger already holds."""


@dataclass(frozen=True)
class SimAccount:
    """The broker's cash and how many fills it has booked."""

    cash: Decimal
    seq: int


@dataclass(frozen=True)
class SimPosition:
    """A position at the broker."""

    ticker: str
    qty: Decimal
    avg_entry_price: Decimal


@dataclass(frozen=True)
class SimOrder:
    """An order at the broker; a stop leg names its entry in ``parent_id``. The enums are
    kept by value, as stored."""

    broker_order_id: str
    client_order_id: str
    parent_id: str | None
    ticker: str
    side: str
    qty: Decimal
    type: str
    time_in_force: str
    stop_price: Decimal | None
    status: str
    filled_qty: Decimal
    filled_avg_price: Decimal | None
    submitted_at: datetime
    updated_at: datetime
    #: A trailing stop's trail (a fraction, or a price distance) and high-water mark.
    trail_pct: Decimal | None = None
    trail_price: Decimal | None = None
    hwm: Decimal | None = None


class SimLedgerTx(Protocol):
    """One transaction on the broker's books: it sees its own writes; the reads marked
    locked hold what they read against every other transaction until this one ends."""

    async def order_id_of(self, client_order_id: str) -> str | None:
        """Return the broker order id of the order with this client order id, if any."""
        ...

    async def account(self) -> SimAccount | None:
        """Return the account, locked; None until the first trade opens it."""
        ...

    async def position(self, ticker: str) -> SimPosition | None:
        """Return the position in ``ticker``, locked."""
        ...

    async def reserved_by_stops(self, ticker: str) -> Decimal:
        """Return the shares of ``ticker`` held by working (held or accepted) sell orders."""
        ...

    async def working_stops(self) -> list[SimOrder]:
        """Return the working (held or accepted) stop orders, oldest first."""
        ...

    async def order(self, broker_order_id: str) -> SimOrder | None:
        """Return the order with this broker order id, locked."""
        ...

    async def put_account(self, account: SimAccount) -> None:
        """Write the account (opening it on first use)."""
        ...

    async def put_position(self, position: SimPosition) -> None:
        """Write a position, new or changed."""
        ...

    async def delete_position(self, ticker: str) -> None:
        """Close the position in ``ticker``."""
        ...

    async def add_order(self, order: SimOrder) -> None:
        """Add a new order; a client order id already held raises ``SimLedgerConflictError``
        (at the latest when the transaction commits)."""
        ...

    async def put_order(self, order: SimOrder) -> None:
        """Write a changed order (by its broker order id)."""
        ...


class SimLedger(Protocol):
    """The simulated broker's books."""

    def tx(self) -> AbstractAsyncContextManager[SimLedgerTx]:
        """Open a transaction: it commits on success and rolls back on any error."""
        ...

    async def book(self) -> tuple[Decimal | None, list[SimPosition]]:
        """Return the cash (None before the first trade) and the positions by ticker, in ONE
        consistent read: a fill being booked meanwhile is seen whole or not at all."""
        ...

    async def order_by_client_id(self, client_order_id: str) -> SimOrder | None:
        """Return the order with this client order id, if any."""
        ...

    async def legs_of(self, broker_order_id: str) -> Sequence[SimOrder]:
        """Return the legs of an order (its OTO stop)."""
        ...

    async def orders_newest_first(self) -> Sequence[SimOrder]:
        """Return every order, legs included, newest first."""
        ...
