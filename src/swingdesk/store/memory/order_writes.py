"""One unit's writes to the in-memory order book (``memory_orders``), staged until it
commits: the ``BookingUnitOfWork`` of ``MemoryBooks``.

The rules are the domain's, as the SQLAlchemy store applies them: a status moves through
the order aggregate's table (``reported_status``), a fill through ``accumulate_fill`` (the
overfill guard, the average price) and ``apply_fill`` (the position, never short).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from swingdesk.domain.enums import Intent, OrderStatus
from swingdesk.domain.events import FillEvent, OrderRequest, OrderResponseStatus
from swingdesk.domain.orders import accumulate_fill, reported_status
from swingdesk.domain.portfolio import PositionState, position_after_fill
from swingdesk.store.memory.orders import MemoryHolding, MemoryOrder, OrderBook
from swingdesk.unit_of_work import ReportedOrder
from swingdesk.unit_of_work.order_fields import new_order_fields, reported_order_fields


class MemoryOrderWrites:
    """One unit's writes to the order book, staged in ``staged`` until it commits."""

    committed: OrderBook
    staged: OrderBook

    async def booked_order(self, client_order_id: str, *, lock: bool = False) -> MemoryOrder | None:
        """Return an order as this unit sees it (the unit holds every writer off anyway)."""
        staged = self.staged.orders.get(client_order_id)
        return self.committed.orders.get(client_order_id) if staged is None else staged

    async def _stored(self, client_order_id: str) -> MemoryOrder:
        order = await self.booked_order(client_order_id)
        if order is None:
            raise LookupError(f"order {client_order_id} is not stored")
        return order

    def _put(self, order: MemoryOrder) -> MemoryOrder:
        self.staged.orders[order.client_order_id] = order
        return order

    async def _add(self, order: MemoryOrder) -> MemoryOrder:
        if await self.booked_order(order.client_order_id) is not None:
            raise ValueError(f"order {order.client_order_id} is already stored")
        return self._put(order)

    async def add_order(self, req: OrderRequest) -> None:
        """Stage an order before the broker hears of it."""
        await self._add(MemoryOrder(**new_order_fields(req)))

    async def order_status(self, client_order_id: str) -> OrderStatus | None:
        """Return an order's status as this unit sees it (None if not stored)."""
        order = await self.booked_order(client_order_id)
        return None if order is None else OrderStatus(order.status)

    async def apply_order_status(self, ev: OrderResponseStatus) -> MemoryOrder:
        """Move an order through the aggregate's table and keep the broker's report."""
        order = await self._stored(ev.client_order_id)
        self.staged.reports.append(ev)
        return self._put(
            replace(
                order,
                status=reported_status(OrderStatus(order.status), ev.status).value,
                broker_order_id=ev.broker_order_id or order.broker_order_id,
                error_code=ev.error_code,
                message=ev.message,
                updated_at=ev.ts_event,
            )
        )

    async def add_broker_order(
        self,
        order: ReportedOrder,
        *,
        decision_id: str | None,
        intent: Intent,
        external: bool,
        now: datetime,
        parent_client_order_id: str | None = None,
    ) -> MemoryOrder:
        """Stage an order we learnt of from the broker (a stop leg, or an external order)."""
        return await self._add(
            MemoryOrder(
                **reported_order_fields(
                    order,
                    decision_id=decision_id,
                    intent=intent,
                    external=external,
                    now=now,
                    parent_client_order_id=parent_client_order_id,
                )
            )
        )

    async def add_leg(
        self,
        leg: ReportedOrder,
        *,
        parent_client_order_id: str,
        decision_id: str | None,
        external: bool,
        now: datetime,
    ) -> MemoryOrder:
        """Stage an order's protective stop leg, its status booked from NEW."""
        order = await self.add_broker_order(
            leg,
            decision_id=decision_id,
            intent=Intent.SELL_TO_CLOSE,
            external=external,
            now=now,
            parent_client_order_id=parent_client_order_id,
        )
        return self._put(replace(order, status=OrderStatus.NEW.value))

    async def reclaim_leg(
        self,
        client_order_id: str,
        *,
        parent_client_order_id: str,
        decision_id: str | None,
        now: datetime,
    ) -> MemoryOrder:
        """Own again a leg of ours stored as external, nothing of it booked yet."""
        order = await self._stored(client_order_id)
        return self._put(
            replace(
                order,
                external=False,
                decision_id=decision_id,
                parent_client_order_id=parent_client_order_id,
                status=OrderStatus.NEW.value,
                filled_qty=Decimal(0),
                filled_avg_price=None,
                updated_at=now,
            )
        )

    async def resize_order(self, client_order_id: str, qty: Decimal) -> None:
        """Stage the quantity the broker now reports for an order."""
        self._put(replace(await self._stored(client_order_id), qty=qty))

    async def track_external(
        self,
        client_order_id: str,
        *,
        status: OrderStatus,
        filled_qty: Decimal,
        filled_avg_price: Decimal | None,
        now: datetime,
    ) -> None:
        """Stage the broker's figures for an external order."""
        order = await self._stored(client_order_id)
        self._put(
            replace(
                order,
                status=status.value,
                filled_qty=filled_qty,
                filled_avg_price=filled_avg_price,
                updated_at=now,
            )
        )

    async def add_fill(
        self, fill: FillEvent, *, sector: str | None, stop_price: Decimal | None
    ) -> Decimal | None:
        """Stage a fill and move our position by it; None if it was already recorded, else
        the shares of a sell beyond our position (0 normally)."""
        if fill.fill_id in self.staged.fills or fill.fill_id in self.committed.fills:
            return None
        order = await self._stored(fill.client_order_id)
        filled, avg = accumulate_fill(
            order.qty,
            order.filled_qty,
            order.filled_avg_price,
            fill.qty,
            fill.price,
            client_order_id=order.client_order_id,
        )
        self._put(replace(order, filled_qty=filled, filled_avg_price=avg, updated_at=fill.ts_event))
        self.staged.fills[fill.fill_id] = fill
        held = self._holding(fill.ticker)
        after, beyond = position_after_fill(
            _state(held),
            ticker=fill.ticker,
            side=fill.side,
            qty=fill.qty,
            price=fill.price,
            sector=sector,
            stop_price=stop_price,
        )
        self._store_position(fill.ticker, held, after, fill.ts_event)
        return beyond

    def _holding(self, ticker: str) -> MemoryHolding | None:
        if ticker in self.staged.positions:
            return self.staged.positions[ticker]
        return self.committed.positions.get(ticker)

    def _store_position(
        self, ticker: str, held: MemoryHolding | None, after: PositionState | None, now: datetime
    ) -> None:
        """Stage the position a fill left: removed when closed, added when opened."""
        if after is None:
            if held is not None:
                self.staged.positions[ticker] = None
            return
        self.staged.positions[ticker] = MemoryHolding(
            ticker=after.ticker,
            qty=after.qty,
            avg_price=after.avg_price,
            sector=after.sector if held is None else held.sector,
            stop_price=after.stop_price,
            opened_at=now if held is None else held.opened_at,
            updated_at=now,
        )

    async def set_position(
        self, ticker: str, qty: Decimal, avg_price: Decimal, sector: str | None, now: datetime
    ) -> None:
        """Stage our position in ``ticker`` overwritten (or created)."""
        held = self._holding(ticker)
        if held is None:
            self.staged.positions[ticker] = MemoryHolding(
                ticker, qty, avg_price, sector, None, opened_at=now, updated_at=now
            )
        else:
            self.staged.positions[ticker] = replace(
                held, qty=qty, avg_price=avg_price, updated_at=now
            )

    async def set_stop_price(self, ticker: str, stop_price: Decimal, now: datetime) -> None:
        """Stage the stop price protecting our position in ``ticker`` (if we hold one)."""
        held = self._holding(ticker)
        if held is not None:
            self.staged.positions[ticker] = replace(held, stop_price=stop_price, updated_at=now)

    async def delete_position(self, ticker: str) -> None:
        """Stage our position in ``ticker`` removed."""
        self.staged.positions[ticker] = None


def _state(held: MemoryHolding | None) -> PositionState | None:
    """Return a stored position as the domain's state (marked at its average price)."""
    if held is None:
        return None
    return PositionState(
        ticker=held.ticker,
        qty=held.qty,
        avg_price=held.avg_price,
        market_price=held.avg_price,
        sector=held.sector,
        stop_price=held.stop_price,
    )
