"""The simulated broker's ledger in its own SQL tables (``sim_tables``), through the store.

Locked reads take row locks (``SELECT ... FOR UPDATE`` on PostgreSQL); the unique client
order id turns a concurrent duplicate into ``SimLedgerConflictError`` when the loser commits.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import literal, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from swingdesk.domain.enums import OrderSide, OrderStatus, OrderType
from swingdesk.store.sim_tables import SimAccountRow, SimOrderRow, SimPositionRow
from swingdesk.store.store import Store
from swingdesk.store.tables_base import Base
from swingdesk.unit_of_work.sim_ledger import (
    SimAccount,
    SimLedgerConflictError,
    SimOrder,
    SimPosition,
)

_ACCOUNT_ID = 1
_Row = TypeVar("_Row", SimAccountRow, SimPositionRow, SimOrderRow)
_WORKING = [OrderStatus.HELD.value, OrderStatus.ACCEPTED.value]
_STOPS = [OrderType.STOP.value, OrderType.TRAILING_STOP.value]


class SqlSimLedger:
    """Implements ``SimLedger`` on the store's database."""

    def __init__(self, store: Store) -> None:
        self._store = store

    @asynccontextmanager
    async def tx(self) -> AsyncIterator[SqlSimLedgerTx]:
        """Open a store transaction; a unique client order id clash raises
        ``SimLedgerConflictError``."""
        try:
            async with self._store.tx() as tx:
                yield SqlSimLedgerTx(tx.session)
        except IntegrityError as exc:  # a concurrent submit with the same id won the race
            raise SimLedgerConflictError(str(exc.orig)) from exc

    async def book(self) -> tuple[Decimal | None, list[SimPosition]]:
        """Read cash and positions in ONE statement, so a fill being booked meanwhile is
        seen whole or not at all (two reads could pair the old cash with the new position,
        inflating equity and with it the high-water mark)."""
        cash_now = select(SimAccountRow.cash).where(SimAccountRow.id == _ACCOUNT_ID)
        one_row = select(literal(1).label("one")).subquery()
        q = (
            select(
                cash_now.scalar_subquery(),
                SimPositionRow.ticker,
                SimPositionRow.qty,
                SimPositionRow.avg_entry_price,
            )
            .select_from(one_row)
            .outerjoin(SimPositionRow, true())
            .order_by(SimPositionRow.ticker)
        )
        async with self._store.read_columns() as conn:  # plain columns: no ORM session
            result = (await conn.execute(q)).all()
        cash: Decimal | None = result[0][0]
        return cash, [
            SimPosition(ticker=ticker, qty=qty, avg_entry_price=avg)
            for _, ticker, qty, avg in result
            if ticker is not None
        ]

    async def order_by_client_id(self, client_order_id: str) -> SimOrder | None:
        """Return the order with this client order id, if any."""
        q = select(SimOrderRow).where(SimOrderRow.client_order_id == client_order_id)
        async with self._store.read() as s:
            row = await s.scalar(q)
        return None if row is None else _order(row)

    async def legs_of(self, broker_order_id: str) -> list[SimOrder]:
        """Return the legs of an order."""
        q = select(SimOrderRow).where(SimOrderRow.parent_id == broker_order_id)
        async with self._store.read() as s:
            rows = (await s.scalars(q)).all()
        return [_order(row) for row in rows]

    async def orders_newest_first(self) -> list[SimOrder]:
        """Return every order, newest first."""
        q = select(SimOrderRow).order_by(SimOrderRow.submitted_at.desc())
        async with self._store.read() as s:
            rows = (await s.scalars(q)).all()
        return [_order(row) for row in rows]


class SqlSimLedgerTx:
    """Implements ``SimLedgerTx`` in one session: writes go to the rows it loaded."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session
        # The rows it read, held (the session's identity map holds them only weakly, and
        # the records handed out do not), so that a write finds its row without a query;
        # None where a locked read found no row.
        self._rows: dict[tuple[type[Base], object], Any] = {}

    def _keep(self, table: type[_Row], key: object, row: _Row | None) -> _Row | None:
        self._rows[(table, key)] = row
        return row

    async def _row(self, table: type[_Row], key: object) -> _Row | None:
        """Return the row to write to: the one read (None: none was found), else the
        session's."""
        if (table, key) in self._rows:
            held: _Row | None = self._rows[(table, key)]
            return held
        return await self._s.get(table, key)

    async def order_id_of(self, client_order_id: str) -> str | None:
        """Return the broker order id of this client order id, if any."""
        q = select(SimOrderRow.broker_order_id).where(
            SimOrderRow.client_order_id == client_order_id
        )
        found: str | None = await self._s.scalar(q)
        return found

    async def account(self) -> SimAccount | None:
        """Return the account, locked."""
        row = await self._s.get(SimAccountRow, _ACCOUNT_ID, with_for_update=True)
        self._keep(SimAccountRow, _ACCOUNT_ID, row)
        return None if row is None else SimAccount(cash=row.cash, seq=row.seq)

    async def position(self, ticker: str) -> SimPosition | None:
        """Return the position in ``ticker``, locked."""
        row = await self._s.get(SimPositionRow, ticker, with_for_update=True)
        self._keep(SimPositionRow, ticker, row)
        return None if row is None else _position(row)

    async def reserved_by_stops(self, ticker: str) -> Decimal:
        """Return the shares of ``ticker`` held by working sell orders."""
        q = select(SimOrderRow.qty).where(
            SimOrderRow.ticker == ticker,
            SimOrderRow.side == OrderSide.SELL.value,
            SimOrderRow.status.in_(_WORKING),
        )
        return sum((qty for qty in (await self._s.scalars(q)).all()), Decimal(0))

    async def working_stops(self) -> list[SimOrder]:
        """Return the working stop orders, oldest first."""
        q = (
            select(SimOrderRow)
            .where(SimOrderRow.status.in_(_WORKING), SimOrderRow.type.in_(_STOPS))
            .order_by(SimOrderRow.submitted_at, SimOrderRow.broker_order_id)
        )
        rows = (await self._s.scalars(q)).all()
        for row in rows:
            self._keep(SimOrderRow, row.broker_order_id, row)
        return [_order(row) for row in rows]

    async def order(self, broker_order_id: str) -> SimOrder | None:
        """Return the order with this broker order id, locked."""
        row = await self._s.get(SimOrderRow, broker_order_id, with_for_update=True)
        self._keep(SimOrderRow, broker_order_id, row)
        return None if row is None else _order(row)

    async def put_account(self, account: SimAccount) -> None:
        """Write the account, adding its row on first use."""
        row = await self._row(SimAccountRow, _ACCOUNT_ID)
        if row is None:
            row = SimAccountRow(id=_ACCOUNT_ID, cash=account.cash, seq=account.seq)
            self._s.add(self._keep(SimAccountRow, _ACCOUNT_ID, row))
        else:
            row.cash, row.seq = account.cash, account.seq

    async def put_position(self, position: SimPosition) -> None:
        """Write a position, new or changed."""
        ticker = position.ticker
        row = await self._row(SimPositionRow, ticker)
        if row is None:
            row = SimPositionRow(
                ticker=ticker, qty=position.qty, avg_entry_price=position.avg_entry_price
            )
            self._s.add(self._keep(SimPositionRow, ticker, row))
        else:
            row.qty, row.avg_entry_price = position.qty, position.avg_entry_price

    async def delete_position(self, ticker: str) -> None:
        """Delete the position's row."""
        row = await self._row(SimPositionRow, ticker)
        if row is not None:
            await self._s.delete(row)
            self._keep(SimPositionRow, ticker, None)

    async def add_order(self, order: SimOrder) -> None:
        """Add an order's row (the unique client order id is checked at the flush)."""
        row = SimOrderRow(**_fields(order))
        self._s.add(self._keep(SimOrderRow, order.broker_order_id, row))

    async def put_order(self, order: SimOrder) -> None:
        """Write a changed order onto its row."""
        row = await self._row(SimOrderRow, order.broker_order_id)
        if row is None:
            raise LookupError(f"no simulated order {order.broker_order_id}")
        for name, value in _fields(order).items():
            setattr(row, name, value)


def _position(row: SimPositionRow) -> SimPosition:
    return SimPosition(ticker=row.ticker, qty=row.qty, avg_entry_price=row.avg_entry_price)


def _order(row: SimOrderRow) -> SimOrder:
    return SimOrder(
        broker_order_id=row.broker_order_id,
        client_order_id=row.client_order_id,
        parent_id=row.parent_id,
        ticker=row.ticker,
        side=row.side,
        qty=row.qty,
        type=row.type,
        time_in_force=row.time_in_force,
        stop_price=row.stop_price,
        status=row.status,
        filled_qty=row.filled_qty,
        filled_avg_price=row.filled_avg_price,
        submitted_at=row.submitted_at,
        updated_at=row.updated_at,
        trail_pct=row.trail_pct,
        trail_price=row.trail_price,
        hwm=row.hwm,
    )


def _fields(order: SimOrder) -> dict[str, object]:
    return {name: getattr(order, name) for name in SimOrder.__dataclass_fields__}
