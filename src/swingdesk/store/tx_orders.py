"""The unit of work's order rows: orders, fills, broker orders and positions."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import delete, select, update

from swingdesk.domain.enums import Intent, OrderStatus
from swingdesk.domain.events import FillEvent, OrderRequest, OrderResponseStatus
from swingdesk.domain.orders import accumulate_fill, reported_status
from swingdesk.domain.portfolio import PositionState, position_after_fill
from swingdesk.store import tables
from swingdesk.store.tx_journal import JournalTx
from swingdesk.unit_of_work import ReportedOrder
from swingdesk.unit_of_work.order_fields import new_order_fields, reported_order_fields


class OrderWrites(JournalTx):
    """Writes of our orders, their fills and the positions they make."""

    async def add_order(self, req: OrderRequest) -> None:
        """Store an order before the broker hears of it (the idempotency key lives here)."""
        self.session.add(tables.OrderRow(**new_order_fields(req)))

    async def order_status(self, client_order_id: str) -> OrderStatus | None:
        """Return an order's status as this transaction sees it (None if not stored)."""
        value = await self.session.scalar(
            select(tables.OrderRow.status).where(tables.OrderRow.client_order_id == client_order_id)
        )
        return OrderStatus(value) if value is not None else None

    async def apply_order_status(self, ev: OrderResponseStatus) -> tables.OrderRow:
        """Move an order through the state table and keep the broker's report."""
        row = await self.session.get(tables.OrderRow, ev.client_order_id, with_for_update=True)
        if row is None:
            raise LookupError(f"order {ev.client_order_id} is not stored")
        row.status = reported_status(OrderStatus(row.status), ev.status).value
        row.broker_order_id = ev.broker_order_id or row.broker_order_id
        row.error_code, row.message = ev.error_code, ev.message
        row.updated_at = ev.ts_event
        self.session.add(
            tables.OrderEventRow(
                event_id=str(ev.event_id),
                client_order_id=ev.client_order_id,
                status=ev.status.value,
                ts_event=ev.ts_event,
                payload=ev.model_dump(mode="json"),
            )
        )
        return row

    async def add_fill(
        self, fill: FillEvent, *, sector: str | None, stop_price: Decimal | None
    ) -> Decimal | None:
        """Record a fill and move our position by it; None if it was already recorded, else
        the shares of a sell beyond our position (0 normally).

        A sell may exceed our position when a reconciliation correction already adopted the
        broker's books after that sale: the fill is recorded in full, the position only
        goes to zero (never short), and the caller journals the excess.
        """
        s = self.session
        if await s.get(tables.FillRow, fill.fill_id) is not None:
            return None
        order = await s.get(tables.OrderRow, fill.client_order_id, with_for_update=True)
        if order is None:
            raise LookupError(f"fill for unknown order {fill.client_order_id}")
        order.filled_qty, order.filled_avg_price = accumulate_fill(
            order.qty,
            order.filled_qty,
            order.filled_avg_price,
            fill.qty,
            fill.price,
            client_order_id=order.client_order_id,
        )
        order.updated_at = fill.ts_event
        s.add(_fill_row(fill))
        pos = await s.get(tables.PositionRow, fill.ticker, with_for_update=True)
        after, beyond = position_after_fill(
            _position_state(pos),
            ticker=fill.ticker,
            side=fill.side,
            qty=fill.qty,
            price=fill.price,
            sector=sector,
            stop_price=stop_price,
        )
        await self._store_position(pos, after, fill.ts_event)
        return beyond

    async def _store_position(
        self, pos: tables.PositionRow | None, after: PositionState | None, now: datetime
    ) -> None:
        """Write the position a fill left: deleted when closed, added when opened."""
        s = self.session
        if after is None:
            if pos is not None:
                await s.delete(pos)
        elif pos is None:
            s.add(
                tables.PositionRow(
                    ticker=after.ticker,
                    qty=after.qty,
                    avg_price=after.avg_price,
                    sector=after.sector,
                    stop_price=after.stop_price,
                    opened_at=now,
                    updated_at=now,
                )
            )
        else:
            pos.qty, pos.avg_price, pos.stop_price = after.qty, after.avg_price, after.stop_price
            pos.updated_at = now

    async def add_broker_order(
        self,
        order: ReportedOrder,
        *,
        decision_id: str | None,
        intent: Intent,
        external: bool,
        now: datetime,
        parent_client_order_id: str | None = None,
    ) -> tables.OrderRow:
        """Store an order we learnt of from the broker (a stop leg, or an external order)."""
        row = tables.OrderRow(
            **reported_order_fields(
                order,
                decision_id=decision_id,
                intent=intent,
                external=external,
                now=now,
                parent_client_order_id=parent_client_order_id,
            )
        )
        self.session.add(row)
        await self.session.flush()
        return row

    async def booked_order(
        self, client_order_id: str, *, lock: bool = False
    ) -> tables.OrderRow | None:
        """Return an order as this transaction sees it; with ``lock``, locked until it ends."""
        return await self.session.get(tables.OrderRow, client_order_id, with_for_update=lock)

    async def add_leg(
        self,
        leg: ReportedOrder,
        *,
        parent_client_order_id: str,
        decision_id: str | None,
        external: bool,
        now: datetime,
    ) -> tables.OrderRow:
        """Store an order's protective stop leg, its status booked from NEW."""
        row = await self.add_broker_order(
            leg,
            decision_id=decision_id,
            intent=Intent.SELL_TO_CLOSE,
            external=external,
            now=now,
            parent_client_order_id=parent_client_order_id,
        )
        row.status = OrderStatus.NEW.value
        return row

    async def reclaim_leg(
        self,
        client_order_id: str,
        *,
        parent_client_order_id: str,
        decision_id: str | None,
        now: datetime,
    ) -> tables.OrderRow:
        """Own again a leg of ours stored as external, nothing of it booked yet."""
        row = await self._stored(client_order_id)
        row.external, row.decision_id = False, decision_id
        row.parent_client_order_id = parent_client_order_id
        row.status, row.filled_qty, row.filled_avg_price = "new", Decimal(0), None
        row.updated_at = now
        return row

    async def resize_order(self, client_order_id: str, qty: Decimal) -> None:
        """Record the quantity the broker now reports for an order (a resized leg)."""
        (await self._stored(client_order_id)).qty = qty

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
        row = await self._stored(client_order_id)
        row.status, row.updated_at = status.value, now
        row.filled_qty, row.filled_avg_price = filled_qty, filled_avg_price

    async def _stored(self, client_order_id: str) -> tables.OrderRow:
        row = await self.session.get(tables.OrderRow, client_order_id)
        if row is None:
            raise LookupError(f"order {client_order_id} is not stored")
        return row

    async def set_position(
        self, ticker: str, qty: Decimal, avg_price: Decimal, sector: str | None, now: datetime
    ) -> None:
        """Overwrite (or create) our position in ``ticker`` (reconciliation only)."""
        pos = await self.session.get(tables.PositionRow, ticker, with_for_update=True)
        if pos is None:
            self.session.add(
                tables.PositionRow(
                    ticker=ticker,
                    qty=qty,
                    avg_price=avg_price,
                    sector=sector,
                    stop_price=None,
                    opened_at=now,
                    updated_at=now,
                )
            )
        else:
            pos.qty, pos.avg_price, pos.updated_at = qty, avg_price, now

    async def set_stop_price(self, ticker: str, stop_price: Decimal, now: datetime) -> None:
        """Record the stop price protecting our position in ``ticker`` (if we hold one)."""
        await self.session.execute(
            update(tables.PositionRow)
            .where(tables.PositionRow.ticker == ticker)
            .values(stop_price=stop_price, updated_at=now)
            .execution_options(synchronize_session=False)
        )

    async def delete_position(self, ticker: str) -> None:
        """Remove our position in ``ticker`` (reconciliation only)."""
        await self.session.execute(
            delete(tables.PositionRow).where(tables.PositionRow.ticker == ticker)
        )


def _fill_row(fill: FillEvent) -> tables.FillRow:
    """Return the stored row of a fill."""
    return tables.FillRow(
        fill_id=fill.fill_id,
        event_id=str(fill.event_id),
        client_order_id=fill.client_order_id,
        decision_id=str(fill.decision_id),
        ticker=fill.ticker,
        side=fill.side.value,
        qty=fill.qty,
        price=fill.price,
        commission=fill.commission,
        ts_event=fill.ts_event,
    )


def _position_state(pos: tables.PositionRow | None) -> PositionState | None:
    """Return a stored position as the domain's state (marked at its average price)."""
    if pos is None:
        return None
    return PositionState(
        ticker=pos.ticker,
        qty=pos.qty,
        avg_price=pos.avg_price,
        market_price=pos.avg_price,
        sector=pos.sector,
        stop_price=pos.stop_price,
    )
