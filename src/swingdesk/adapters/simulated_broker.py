"""A paper broker inside the process: market orders fill at the simulated price.

An entry with a stop price is an OTO order, as at Alpaca: the entry fills and its
protective stop leg (sell, type stop) waits in status ``held`` until ``process_stops``
sees the price cross it. Shares held by a working stop cannot be sold by another order,
so a close must cancel the stop first.

Its books (cash, positions, orders) live in its own ledger (``SimLedger``: its own SQL
tables, or memory), apart from ours, so that reconciliation compares two independent
records exactly as it would with Alpaca.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from swingdesk.adapters.simulated_book import (
    book_buy,
    book_sell,
    duplicate_order,
    filled_market_order,
    held_stop_leg,
    locked_account,
    refuse_duplicate,
    resting_stop,
)
from swingdesk.adapters.simulated_fills import STOP_TYPES, Bars, StopMark, stop_fill
from swingdesk.adapters.simulated_fills import bar_stop_fill as bar_stop_fill
from swingdesk.adapters.simulated_fills import market_fill_price as market_fill_price
from swingdesk.domain.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from swingdesk.domain.errors import RejectedError
from swingdesk.domain.events import OrderRequest
from swingdesk.domain.trailing import TrailSpec
from swingdesk.ports import BrokerAccount, BrokerOrder, BrokerPosition, Clock
from swingdesk.unit_of_work.sim_ledger import (
    SimAccount,
    SimLedger,
    SimLedgerConflictError,
    SimLedgerTx,
    SimOrder,
    SimPosition,
)

PriceSource = Callable[[str, datetime], Awaitable[Decimal]]
_BPS = Decimal(10_000)


class SimulatedBroker:
    """Implements the Broker port against its own ledger."""

    name = "simulated"

    def __init__(
        self,
        ledger: SimLedger,
        prices: PriceSource,
        clock: Clock,
        *,
        initial_cash: Decimal,
        slippage_bps: Decimal = Decimal(5),
        commission: Decimal = Decimal(0),
    ) -> None:
        self._ledger = ledger
        self._prices = prices
        self._clock = clock
        self._initial_cash = initial_cash
        self._slippage = slippage_bps / _BPS
        self._commission = commission

    async def get_account(self) -> BrokerAccount:
        """Return cash, buying power (cash: no margin) and equity at current prices."""
        return (await self.account_and_positions())[0]

    async def get_positions(self) -> list[BrokerPosition]:
        """Return open positions valued at the current simulated price."""
        return (await self._book())[1]

    async def account_and_positions(self) -> tuple[BrokerAccount, list[BrokerPosition]]:
        """Return the account and its positions from ONE read of the book, so they agree
        with each other (bootstrap wires this into the portfolio: one read, not two)."""
        cash, positions = await self._book()
        equity = cash + sum((p.market_value for p in positions), Decimal(0))
        account = BrokerAccount(cash=cash, buying_power=max(cash, Decimal(0)), equity=equity)
        return account, positions

    async def _book(self) -> tuple[Decimal, list[BrokerPosition]]:
        """Read cash and positions in ONE ledger read, so a fill being booked meanwhile is
        seen whole or not at all (two reads could pair the old cash with the new position,
        inflating equity and with it the high-water mark)."""
        cash, positions = await self._ledger.book()
        # The account opens with the first trade; until then the cash is the start.
        if cash is None:
            cash = self._initial_cash
        now = self._clock.now()
        return cash, [await self._valued(p, now) for p in positions]

    async def _valued(self, position: SimPosition, now: datetime) -> BrokerPosition:
        price = await self._prices(position.ticker, now)
        return BrokerPosition(
            ticker=position.ticker,
            qty=position.qty,
            avg_entry_price=position.avg_entry_price,
            market_value=position.qty * price,
            current_price=price,
        )

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
            async with self._ledger.tx() as tx:
                order = await self._book_market(tx, request, fill_price, now)
        except SimLedgerConflictError as exc:  # a concurrent submit with the same id won the race
            raise duplicate_order(request.client_order_id) from exc
        return await self._with_legs(order)

    async def _book_market(
        self, tx: SimLedgerTx, request: OrderRequest, fill_price: Decimal, now: datetime
    ) -> SimOrder:
        """Book a market order filled at ``fill_price`` (and an entry's held stop leg)."""
        await refuse_duplicate(tx, request.client_order_id)
        account = await locked_account(tx, self._initial_cash)
        position = await tx.position(request.ticker)
        book = book_buy if request.side is OrderSide.BUY else book_sell
        account = await book(tx, account, position, request, fill_price, self._commission)
        await tx.put_account(replace(account, seq=account.seq + 1))
        order = filled_market_order(request, fill_price, now)
        await tx.add_order(order)
        if request.side is OrderSide.BUY and request.stop_price is not None:
            await tx.add_order(
                held_stop_leg(request, request.stop_price, order.broker_order_id, now)
            )
        return order

    async def _submit_stop(self, request: OrderRequest) -> BrokerOrder:
        """Rest a standalone protective stop (fixed, or trailing from the current price) on
        shares held and not reserved by another."""
        now = self._clock.now()
        trail = await self._trail_of(request, now)
        stop_price = trail.stop if trail is not None else request.stop_price
        if stop_price is None:
            raise RejectedError("a stop order needs a stop price")
        order = resting_stop(request, stop_price, None if trail is None else trail.hwm, now)
        try:
            async with self._ledger.tx() as tx:
                await refuse_duplicate(tx, request.client_order_id)
                position = await tx.position(request.ticker)
                held = position.qty if position else Decimal(0)
                reserved = await tx.reserved_by_stops(request.ticker)
                if request.qty > held - reserved:
                    raise RejectedError(
                        f"insufficient qty available for order: cannot sell {request.qty} "
                        f"{request.ticker}, {held} held of which {reserved} reserved"
                    )
                await tx.add_order(order)
        except SimLedgerConflictError as exc:
            raise duplicate_order(request.client_order_id) from exc
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

    async def _with_legs(self, order: SimOrder) -> BrokerOrder:
        legs = await self._ledger.legs_of(order.broker_order_id)
        return _to_broker_order(order, tuple(_to_broker_order(leg) for leg in legs))

    async def get_order_by_client_id(self, client_order_id: str) -> BrokerOrder | None:
        """Return the order with this client order id, if the broker has it."""
        order = await self._ledger.order_by_client_id(client_order_id)
        return await self._with_legs(order) if order else None

    async def list_orders(self, *, open_only: bool = True) -> list[BrokerOrder]:
        """Return orders newest first, legs nested under their parent (Alpaca's nested=true);
        an open order is one that is working itself or has a working leg."""
        rows = await self._ledger.orders_newest_first()
        legs: dict[str, list[SimOrder]] = {}
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
        async with self._ledger.tx() as tx:
            for leg in await tx.working_stops():
                if bars is not None and leg.ticker not in bars:
                    continue
                bar = bars[leg.ticker] if bars is not None else None
                current = None if bar is not None else await self._prices(leg.ticker, now)
                moved, fill = stop_fill(leg, bar, current, self._slippage)
                if fill is None:
                    if moved != leg:
                        await tx.put_order(moved)
                    continue
                done = await self._fill_stop(tx, moved, fill, now)
                if done.status == OrderStatus.FILLED.value:
                    filled.append(_to_broker_order(done))
        return filled

    async def _fill_stop(
        self, tx: SimLedgerTx, leg: SimOrder, price: Decimal, now: datetime
    ) -> SimOrder:
        """Sell a triggered stop's shares at ``price`` (at most those still held); a stop on
        no position is canceled. Return the stop as booked."""
        account = await tx.account()
        position = await tx.position(leg.ticker)
        if account is None or position is None:
            leg = replace(leg, status=OrderStatus.CANCELED.value, updated_at=now)
            await tx.put_order(leg)
            return leg
        qty = min(leg.qty, position.qty)
        cash = account.cash + qty * price - self._commission
        await tx.put_account(SimAccount(cash=cash, seq=account.seq + 1))
        if qty == position.qty:
            await tx.delete_position(leg.ticker)
        else:
            await tx.put_position(replace(position, qty=position.qty - qty))
        leg = replace(
            leg,
            status=OrderStatus.FILLED.value,
            filled_qty=qty,
            filled_avg_price=price,
            updated_at=now,
        )
        await tx.put_order(leg)
        return leg

    async def cancel_order(self, broker_order_id: str) -> None:
        """Cancel an open order; a filled one cannot be canceled."""
        async with self._ledger.tx() as tx:
            order = await tx.order(broker_order_id)
            if order is None:
                raise RejectedError(f"order {broker_order_id} not found")
            if OrderStatus(order.status).is_terminal:
                raise RejectedError(f"order {broker_order_id} is already {order.status}")
            now = self._clock.now()
            await tx.put_order(replace(order, status=OrderStatus.CANCELED.value, updated_at=now))


def _to_broker_order(row: SimOrder, legs: tuple[BrokerOrder, ...] = ()) -> BrokerOrder:
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
