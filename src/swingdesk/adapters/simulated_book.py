"""The simulated broker's books: its account, positions and orders, through its ledger.

Each function works inside the caller's ledger transaction (the broker's ``submit_order``),
so an order is booked whole or not at all. The records are frozen; a change is a new record
written back.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from uuid import uuid4

from swingdesk.domain.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from swingdesk.domain.errors import DuplicateOrderError, InsufficientFundsError, RejectedError
from swingdesk.domain.events import OrderRequest
from swingdesk.unit_of_work.sim_ledger import SimAccount, SimLedgerTx, SimOrder, SimPosition


def duplicate_order(client_order_id: str) -> DuplicateOrderError:
    """Return the error of a client order id already used."""
    return DuplicateOrderError(
        "client_order_id must be unique", details={"client_order_id": client_order_id}
    )


async def refuse_duplicate(tx: SimLedgerTx, client_order_id: str) -> None:
    """Refuse a client order id the broker has already seen."""
    if await tx.order_id_of(client_order_id) is not None:
        raise duplicate_order(client_order_id)


async def locked_account(tx: SimLedgerTx, initial_cash: Decimal) -> SimAccount:
    """Return the account, locked; opened with ``initial_cash`` on first use."""
    account = await tx.account()
    return SimAccount(cash=initial_cash, seq=0) if account is None else account


async def book_buy(
    tx: SimLedgerTx,
    account: SimAccount,
    position: SimPosition | None,
    request: OrderRequest,
    fill_price: Decimal,
    commission: Decimal,
) -> SimAccount:
    """Pay for a filled buy and add it to the position (average entry price); return the
    account paid from."""
    qty = request.qty
    cost = qty * fill_price + commission
    if cost > account.cash:
        raise InsufficientFundsError(
            "insufficient buying power",
            details={"cost": str(cost), "cash": str(account.cash)},
        )
    if position is None:
        position = SimPosition(ticker=request.ticker, qty=qty, avg_entry_price=fill_price)
    else:
        total = position.qty + qty
        average = (position.qty * position.avg_entry_price + qty * fill_price) / total
        position = replace(position, qty=total, avg_entry_price=average)
    await tx.put_position(position)
    return replace(account, cash=account.cash - cost)


async def book_sell(
    tx: SimLedgerTx,
    account: SimAccount,
    position: SimPosition | None,
    request: OrderRequest,
    fill_price: Decimal,
    commission: Decimal,
) -> SimAccount:
    """Credit a filled sell and take it off the position; refuse shares not free to sell.
    Return the account credited."""
    qty = request.qty
    held = position.qty if position else Decimal(0)
    reserved = await tx.reserved_by_stops(request.ticker)
    if qty > held - reserved:
        raise RejectedError(
            f"insufficient qty available for order: cannot sell {qty} "
            f"{request.ticker}, {held} held of which {reserved} reserved by "
            "working stops (no short selling)"
        )
    if position is not None and qty == held:
        await tx.delete_position(position.ticker)
    elif position is not None:
        await tx.put_position(replace(position, qty=held - qty))
    return replace(account, cash=account.cash + qty * fill_price - commission)


def filled_market_order(request: OrderRequest, fill_price: Decimal, now: datetime) -> SimOrder:
    """Return a market order filled whole at ``fill_price``."""
    return SimOrder(
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
) -> SimOrder:
    """Return the protective stop leg of a filled entry, held until its price is crossed."""
    return SimOrder(
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


def resting_stop(
    request: OrderRequest, stop_price: Decimal, hwm: Decimal | None, now: datetime
) -> SimOrder:
    """Return a standalone sell stop (fixed, or trailing from ``hwm``), accepted."""
    return SimOrder(
        broker_order_id=str(uuid4()),
        client_order_id=request.client_order_id,
        parent_id=None,
        ticker=request.ticker,
        side=OrderSide.SELL.value,
        qty=request.qty,
        type=request.type.value,
        time_in_force=request.time_in_force.value,
        stop_price=stop_price,
        status=OrderStatus.ACCEPTED.value,
        filled_qty=Decimal(0),
        filled_avg_price=None,
        submitted_at=now,
        updated_at=now,
        trail_pct=request.trail_pct,
        trail_price=request.trail_price,
        hwm=hwm,
    )
