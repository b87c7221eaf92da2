"""The simulated broker's books: its account, positions and order rows, in its own tables.

Each function works inside the caller's transaction (the broker's ``submit_order``), so an
order is booked whole or not at all.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import uuid4

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from swingdesk.domain.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from swingdesk.domain.errors import DuplicateOrderError, InsufficientFundsError, RejectedError
from swingdesk.domain.events import OrderRequest
from swingdesk.store import tables


def duplicate_order(client_order_id: str) -> DuplicateOrderError:
    """Return the error of a client order id already used."""
    return DuplicateOrderError(
        "client_order_id must be unique", details={"client_order_id": client_order_id}
    )


async def refuse_duplicate(s: AsyncSession, client_order_id: str) -> None:
    """Refuse a client order id the broker has already seen."""
    clash = await s.scalar(
        select(tables.SimOrderRow.broker_order_id).where(
            tables.SimOrderRow.client_order_id == client_order_id
        )
    )
    if clash is not None:
        raise duplicate_order(client_order_id)


async def locked_account(s: AsyncSession, initial_cash: Decimal) -> tables.SimAccountRow:
    """Return the account row, locked; opened with ``initial_cash`` on first use."""
    account = await s.get(tables.SimAccountRow, 1, with_for_update=True)
    if account is None:
        account = tables.SimAccountRow(id=1, cash=initial_cash, seq=0)
        s.add(account)
    return account


def book_buy(
    s: AsyncSession,
    account: tables.SimAccountRow,
    position: tables.SimPositionRow | None,
    request: OrderRequest,
    fill_price: Decimal,
    commission: Decimal,
) -> None:
    """Pay for a filled buy and add it to the position (average entry price)."""
    qty = request.qty
    cost = qty * fill_price + commission
    if cost > account.cash:
        raise InsufficientFundsError(
            "insufficient buying power",
            details={"cost": str(cost), "cash": str(account.cash)},
        )
    account.cash -= cost
    if position is None:
        s.add(tables.SimPositionRow(ticker=request.ticker, qty=qty, avg_entry_price=fill_price))
    else:
        total = position.qty + qty
        position.avg_entry_price = (
            position.qty * position.avg_entry_price + qty * fill_price
        ) / total
        position.qty = total


async def book_sell(
    s: AsyncSession,
    account: tables.SimAccountRow,
    position: tables.SimPositionRow | None,
    request: OrderRequest,
    fill_price: Decimal,
    commission: Decimal,
) -> None:
    """Credit a filled sell and take it off the position; refuse shares not free to sell."""
    qty = request.qty
    held = position.qty if position else Decimal(0)
    reserved = await reserved_by_stops(s, request.ticker)
    if qty > held - reserved:
        raise RejectedError(
            f"insufficient qty available for order: cannot sell {qty} "
            f"{request.ticker}, {held} held of which {reserved} reserved by "
            "working stops (no short selling)"
        )
    account.cash += qty * fill_price - commission
    if position is not None and qty == held:
        await s.delete(position)
    elif position is not None:
        position.qty = held - qty


def filled_market_row(
    request: OrderRequest, fill_price: Decimal, now: datetime
) -> tables.SimOrderRow:
    """Return the row of a market order filled whole at ``fill_price``."""
    return tables.SimOrderRow(
        broker_order_id=str(uuid4()),
        client_order_id=request.client_order_id,
        parent_id=None,
        ticker=request.ticker,
        side=request.side.value,
        qty=request.qty,
        type=request.type.value,
        time_in_force=request.time_in_force.value,
        stop_price=None,
        status=OrderStatus.FILLED.value,
        filled_qty=request.qty,
        filled_avg_price=fill_price,
        submitted_at=now,
        updated_at=now,
    )


def held_stop_leg(
    request: OrderRequest, stop_price: Decimal, parent_id: str, now: datetime
) -> tables.SimOrderRow:
    """Return the protective stop leg of a filled entry, held until its price is crossed."""
    return tables.SimOrderRow(
        broker_order_id=str(uuid4()),
        client_order_id=str(uuid4()),
        parent_id=parent_id,
        ticker=request.ticker,
        side=OrderSide.SELL.value,
        qty=request.qty,
        type=OrderType.STOP.value,
        time_in_force=TimeInForce.GTC.value,
        stop_price=stop_price,
        status=OrderStatus.HELD.value,
        filled_qty=Decimal(0),
        filled_avg_price=None,
        submitted_at=now,
        updated_at=now,
    )


async def reserved_by_stops(s: AsyncSession, ticker: str) -> Decimal:
    """Return the shares of ``ticker`` held by working sell stops."""
    q = select(tables.SimOrderRow.qty).where(
        tables.SimOrderRow.ticker == ticker,
        tables.SimOrderRow.side == OrderSide.SELL.value,
        tables.SimOrderRow.status.in_([OrderStatus.HELD.value, OrderStatus.ACCEPTED.value]),
    )
    return sum((qty for qty in (await s.scalars(q)).all()), Decimal(0))
