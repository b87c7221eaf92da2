"""A paper broker inside the process: market orders fill at the simulated price.

An entry with a stop price is an OTO order, as at Alpaca: the entry fills and its
protective stop leg (sell, type stop) waits in status ``held`` until ``process_stops``
sees the price cross it. Shares held by a working stop cannot be sold by another order,
so a close must cancel the stop first.

Its books (cash, positions, orders) live in their own tables, apart from ours, so that
reconciliation compares two independent records exactly as it would with Alpaca.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from uuid import uuid4

from sqlalchemy import literal, select, true
from sqlalchemy.exc import IntegrityError

from swingdesk.adapters.simulated_book import (
    book_buy,
    book_sell,
    duplicate_order,
    filled_market_row,
    held_stop_leg,
    locked_account,
    refuse_duplicate,
    reserved_by_stops,
)
from swingdesk.adapters.simulated_fills import STOP_TYPES, Bars, StopMark, stop_fill
from swingdesk.adapters.simulated_fills import bar_stop_fill as bar_stop_fill
from swingdesk.adapters.simulated_fills import market_fill_price as market_fill_price
from swingdesk.domain.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from swingdesk.domain.errors import DuplicateOrderError, RejectedError
from swingdesk.domain.events import OrderRequest
from swingdesk.domain.trailing import TrailSpec
from swingdesk.ports import BrokerAccount, BrokerOrder, BrokerPosition, Clock
from swingdesk.store import tables
from swingdesk.store.store import Store

PriceSource = Callable[[str, datetime], Awaitable[Decimal]]
_BPS = Decimal(10_000)


class SimulatedBroker:
    """Implements the Broker port against its own database tables."""

    name = "simulated"

    def __init__(
        self,
        store: Store,
        prices: PriceSource,
        clock: Clock,
        *,
        initial_cash: Decimal,
        slippage_bps: Decimal = Decimal(5),
        commission: Decimal = Decimal(0),
    ) -> None:
        self._store = store
        self._prices = prices
        self._clock = clock
        self._initial_cash = initial_cash
        self._slippage = slippage_bps / _BPS
        self._commission = commission

    async def get_account(self) -> BrokerAccount:
        """Return cash, buying power (cash: no margin) and equity at current prices."""
        cash, positions = await self._book()
        equity = cash + sum((p.market_value for p in positions), Decimal(0))
        return BrokerAccount(cash=cash, buying_power=max(cash, Decimal(0)), equity=equity)

    async def get_positions(self) -> list[BrokerPosition]:
        """Return open positions valued at the current simulated price."""
        return (await self._book())[1]

    async def _book(self) -> tuple[Decimal, list[BrokerPosition]]:
        """Read cash and positions in ONE statement, so a fill being booked meanwhile is
        seen whole or not at all (two reads could pair the old cash with the new position,
        inflating equity and with it the high-water mark)."""
        cash_now = (
            select(tables.SimAccountRow.cash).where(tables.SimAccountRow.id == 1).scalar_subquery()
        )
        one_row = select(literal(1).label("one")).subquery()
        q = (
            select(cash_now, tables.SimPositionRow)
            .select_from(one_row)
            .outerjoin(tables.SimPositionRow, true())
            .order_by(tables.SimPositionRow.ticker)
        )
        async with self._store.read() as s:
            result = (await s.execute(q)).all()
        # The account row appears with the first trade; until then the cash is the start.
        cash = result[0][0] if result[0][0] is not None else self._initial_cash
        rows = [row for _, row in result if row is not None]
        now = self._clock.now()
        out = []
        for row in rows:
            price = await self._prices(row.ticker, now)
            out.append(
                BrokerPosition(
                    ticker=row.ticker,
                    qty=row.qty,
                    avg_entry_price=row.avg_entry_price,
                    market_value=row.qty * price,
                    current_price=price,
                )
            )
        return cash, out

    async def submit_order(self, request: OrderRequest) -> BrokerOrder:
        """Accept a market order and fill it at once at the current price plus slippage, or
        a sell stop that rests until ``process_stops`` sees the price cross it."""
        if request.type in STOP_TYPES and request.side is OrderSide.SELL:
            return await self._submit_stop(request)
        if request.type is not OrderType.MARKET:
            raise RejectedError(
                "the simulated broker takes market orders and sell stops (fixed or "
                f"trailing), not {request.type}"
            )
        now = self._clock.now()
        price = await self._prices(request.ticker, now)
        fill_price = market_fill_price(price, request.side, self._slippage)
        try:
            async with self._store.tx() as tx:
                s = tx.session
                await refuse_duplicate(s, request.client_order_id)
                account = await locked_account(s, self._initial_cash)
                position = await s.get(tables.SimPositionRow, request.ticker, with_for_update=True)
                if request.side is OrderSide.BUY:
                    book_buy(s, account, position, request, fill_price, self._commission)
                else:
                    await book_sell(s, account, position, request, fill_price, self._commission)
                account.seq += 1
                order = filled_market_row(request, fill_price, now)
                s.add(order)
                if request.side is OrderSide.BUY and request.stop_price is not None:
                    s.add(held_stop_leg(request, request.stop_price, order.broker_order_id, now))
        except IntegrityError as exc:  # a concurrent submit with the same id won the race
            raise duplicate_order(request.client_order_id) from exc
        return await self._with_legs(order)

    async def _submit_stop(self, request: OrderRequest) -> BrokerOrder:
        """Rest a standalone protective stop (fixed, or trailing from the current price) on
        shares held and not reserved by another."""
        now = self._clock.now()
        trail = await self._trail_of(request, now)
        stop_price = trail.stop if trail is not None else request.stop_price
        if stop_price is None:
            raise RejectedError("a stop order needs a stop price")
        try:
            async with self._store.tx() as tx:
                s = tx.session
                if await s.scalar(
                    select(tables.SimOrderRow.broker_order_id).where(
                        tables.SimOrderRow.client_order_id == request.client_order_id
                    )
                ):
                    raise DuplicateOrderError(
                        "client_order_id must be unique",
                        details={"client_order_id": request.client_order_id},
                    )
                position = await s.get(tables.SimPositionRow, request.ticker, with_for_update=True)
                held = position.qty if position else Decimal(0)
                reserved = await reserved_by_stops(s, request.ticker)
                if request.qty > held - reserved:
                    raise RejectedError(
                        f"insufficient qty available for order: cannot sell {request.qty} "
                        f"{request.ticker}, {held} held of which {reserved} reserved"
                    )
                order = tables.SimOrderRow(
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
                    hwm=None if trail is None else trail.hwm,
                )
                s.add(order)
        except IntegrityError as exc:
            raise DuplicateOrderError(
                "client_order_id must be unique",
                details={"client_order_id": request.client_order_id},
            ) from exc
        return _to_broker_order(order)

    async def _trail_of(self, request: OrderRequest, now: datetime) -> StopMark | None:
        """Return a trailing stop's starting mark (the current price) and stop."""
        if request.type is not OrderType.TRAILING_STOP:
            return None
        try:
            spec = TrailSpec(request.trail_pct, request.trail_price)
        except ValueError as exc:
            raise RejectedError(f"invalid trailing stop: {exc}") from exc
        hwm = await self._prices(request.ticker, now)
        return StopMark(hwm, spec.level(hwm))

    async def _with_legs(self, row: tables.SimOrderRow) -> BrokerOrder:
        async with self._store.read() as s:
            legs = (
                await s.scalars(
                    select(tables.SimOrderRow).where(
                        tables.SimOrderRow.parent_id == row.broker_order_id
                    )
                )
            ).all()
        return _to_broker_order(row, tuple(_to_broker_order(leg) for leg in legs))

    async def get_order_by_client_id(self, client_order_id: str) -> BrokerOrder | None:
        """Return the order with this client order id, if the broker has it."""
        async with self._store.read() as s:
            row = await s.scalar(
                select(tables.SimOrderRow).where(
                    tables.SimOrderRow.client_order_id == client_order_id
                )
            )
        return await self._with_legs(row) if row else None

    async def list_orders(self, *, open_only: bool = True) -> list[BrokerOrder]:
        """Return orders newest first, legs nested under their parent (Alpaca's nested=true);
        an open order is one that is working itself or has a working leg."""
        async with self._store.read() as s:
            q = select(tables.SimOrderRow).order_by(tables.SimOrderRow.submitted_at.desc())
            rows = list((await s.scalars(q)).all())
        legs: dict[str, list[tables.SimOrderRow]] = {}
        for r in rows:
            if r.parent_id is not None:
                legs.setdefault(r.parent_id, []).append(r)
        out = []
        for r in rows:
            if r.parent_id is not None:
                continue
            mine = legs.get(r.broker_order_id, [])
            if open_only and all(OrderStatus(x.status).is_terminal for x in [r, *mine]):
                continue
            out.append(_to_broker_order(r, tuple(_to_broker_order(leg) for leg in mine)))
        return out

    async def process_stops(self, now: datetime, bars: Bars | None = None) -> list[BrokerOrder]:
        """Fill every held stop the price has crossed; return the filled stops.

        Without ``bars`` the current price decides and the fill is at that price. With
        ``bars`` (ticker -> (open, low) or (open, low, high), for backtests) a stop triggers
        when the bar's low reaches it and fills at the stop, or at the open when the bar
        gapped below it. A trailing stop first follows its high-water mark
        (``domain.trailing``: the open, then, when not hit, the high for the next bar).
        """
        filled: list[BrokerOrder] = []
        async with self._store.tx() as tx:
            s = tx.session
            q = (
                select(tables.SimOrderRow)
                .where(
                    tables.SimOrderRow.status.in_(
                        [OrderStatus.HELD.value, OrderStatus.ACCEPTED.value]
                    ),
                    tables.SimOrderRow.type.in_([x.value for x in STOP_TYPES]),
                )
                .order_by(tables.SimOrderRow.submitted_at, tables.SimOrderRow.broker_order_id)
            )
            for leg in list((await s.scalars(q)).all()):
                if bars is not None and leg.ticker not in bars:
                    continue
                bar = bars[leg.ticker] if bars is not None else None
                current = None if bar is not None else await self._prices(leg.ticker, now)
                fill = stop_fill(leg, bar, current, self._slippage)
                if fill is None:
                    continue
                price = fill
                account = await s.get(tables.SimAccountRow, 1, with_for_update=True)
                position = await s.get(tables.SimPositionRow, leg.ticker, with_for_update=True)
                if account is None or position is None:
                    leg.status, leg.updated_at = OrderStatus.CANCELED.value, now
                    continue
                qty = min(leg.qty, position.qty)
                account.cash += qty * price - self._commission
                account.seq += 1
                if qty == position.qty:
                    await s.delete(position)
                else:
                    position.qty -= qty
                leg.status, leg.filled_qty, leg.filled_avg_price = (
                    OrderStatus.FILLED.value,
                    qty,
                    price,
                )
                leg.updated_at = now
                filled.append(_to_broker_order(leg))
        return filled

    async def cancel_order(self, broker_order_id: str) -> None:
        """Cancel an open order; a filled one cannot be canceled."""
        async with self._store.tx() as tx:
            row = await tx.session.get(tables.SimOrderRow, broker_order_id, with_for_update=True)
            if row is None:
                raise RejectedError(f"order {broker_order_id} not found")
            if OrderStatus(row.status).is_terminal:
                raise RejectedError(f"order {broker_order_id} is already {row.status}")
            row.status = OrderStatus.CANCELED.value
            row.updated_at = self._clock.now()


def _to_broker_order(row: tables.SimOrderRow, legs: tuple[BrokerOrder, ...] = ()) -> BrokerOrder:
    return BrokerOrder(
        broker_order_id=row.broker_order_id,
        client_order_id=row.client_order_id,
        ticker=row.ticker,
        side=OrderSide(row.side),
        qty=row.qty,
        type=OrderType(row.type),
        time_in_force=TimeInForce(row.time_in_force),
        status=OrderStatus(row.status),
        filled_qty=row.filled_qty,
        filled_avg_price=row.filled_avg_price,
        submitted_at=row.submitted_at,
        stop_price=row.stop_price,
        legs=legs,
        trail_pct=row.trail_pct,
        trail_price=row.trail_price,
        hwm=row.hwm,
    )
