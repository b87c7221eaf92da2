"""Booking what the broker reports: order status, new fills, protective stop legs.

A position moves only from a fill, and a fill is the difference between the broker's
filled quantity and the quantity we had booked, so booking the same report twice (a retry,
a reconciliation pass after a crash) changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from swingdesk.domain.enums import Intent, OrderSide
from swingdesk.domain.events import Event, FillEvent, OrderResponseStatus
from swingdesk.domain.orders import fill_between
from swingdesk.execution.reconciliation import CorrectionKind, PositionCorrection
from swingdesk.execution.reconciliation import flatten as flatten_orders
from swingdesk.ports import BrokerOrder, Clock, EventBus
from swingdesk.unit_of_work import BookedOrder, BookingUnitOfWork, ExecutionBooks

SectorOf = Callable[[str], str | None]


class Booker:
    """Writes broker reports into our books, one transaction per report."""

    def __init__(
        self, store: ExecutionBooks, bus: EventBus, clock: Clock, sector_of: SectorOf
    ) -> None:
        self.store = store
        self.bus = bus
        self.clock = clock
        self.sector_of = sector_of

    async def book(self, order: BrokerOrder, *, sector: str | None = None) -> list[Event]:
        """Record the broker's view of an order (and its legs); return the new events."""
        events: list[Event] = []
        async with self.store.tx() as tx:
            row = await tx.booked_order(order.client_order_id, lock=True)
            if row is None:
                raise LookupError(f"order {order.client_order_id} is not stored")
            await self._book_one(tx, row, order, sector, events)
            for leg in order.legs:
                leg_row = await tx.booked_order(leg.client_order_id)
                if leg_row is None:
                    leg_row = await self._add_leg(tx, row, leg)
                elif leg_row.external and not row.external:
                    leg_row = await self._reclaim_leg(tx, row, leg_row)
                await self._book_one(tx, leg_row, leg, None, events)
            tx.record(*events)
        return events

    async def _add_leg(
        self, tx: BookingUnitOfWork, parent: BookedOrder, leg: BrokerOrder
    ) -> BookedOrder:
        now = self.clock.now()
        # Its status is booked from scratch: its history starts with the broker's first report.
        row = await tx.add_leg(
            leg,
            parent_client_order_id=parent.client_order_id,
            decision_id=parent.decision_id,
            external=parent.external,
            now=now,
        )
        await tx.audit(
            "order.stop_leg",
            f"protective stop {leg.client_order_id}: {leg.side.value} {leg.qty} {leg.ticker} "
            f"at {leg.stop_price} (leg of {parent.client_order_id})",
            now=now,
            decision_id=_uuid(parent.decision_id),
            actor="broker",
            payload={
                "client_order_id": leg.client_order_id,
                "parent_client_order_id": parent.client_order_id,
                "broker_order_id": leg.broker_order_id,
                "stop_price": str(leg.stop_price),
                "qty": str(leg.qty),
            },
        )
        return row

    async def _reclaim_leg(
        self, tx: BookingUnitOfWork, parent: BookedOrder, leg_row: BookedOrder
    ) -> BookedOrder:
        """Own again a leg of ours that was imported as external (it belongs to our entry):
        from here on its fills are booked, not left to reconciliation as drift."""
        now = self.clock.now()
        # Its history is booked anew from the broker's report, fills included.
        reclaimed = await tx.reclaim_leg(
            leg_row.client_order_id,
            parent_client_order_id=parent.client_order_id,
            decision_id=parent.decision_id,
            now=now,
        )
        await tx.audit(
            "order.leg_reclaimed",
            f"{leg_row.client_order_id} is the protective stop leg of our "
            f"{parent.client_order_id}, not an external order",
            now=now,
            decision_id=_uuid(parent.decision_id),
            actor="reconciler",
            payload={
                "client_order_id": leg_row.client_order_id,
                "parent_client_order_id": parent.client_order_id,
            },
        )
        return reclaimed

    async def import_external(self, order: BrokerOrder) -> None:
        """Store a broker order that is not ours (and its legs), tracked but never adopted."""
        now = self.clock.now()
        async with self.store.tx() as tx:
            for o in flatten_orders([order]):
                intent = Intent.BUY_TO_OPEN if o.side is OrderSide.BUY else Intent.SELL_TO_CLOSE
                await tx.add_broker_order(
                    o, decision_id=None, intent=intent, external=True, now=now
                )
                await tx.audit(
                    "reconcile.order_imported",
                    f"broker order {o.client_order_id} ({o.side.value} "
                    f"{o.qty or o.notional} {o.ticker}, {o.status.value}) is not ours: "
                    "imported as external",
                    now=now,
                    actor="reconciler",
                    payload={
                        "client_order_id": o.client_order_id,
                        "broker_order_id": o.broker_order_id,
                        "ticker": o.ticker,
                        "side": o.side.value,
                        "qty": str(o.qty),
                        "notional": None if o.notional is None else str(o.notional),
                        "status": o.status.value,
                    },
                )

    async def correct_positions(
        self,
        corrections: Sequence[PositionCorrection],
        stops: Mapping[str, Decimal],
        *,
        actor: str,
    ) -> None:
        """Overwrite our positions with the broker's, one audited correction per ticker;
        a position created here takes the price of a working stop there, if any."""
        now = self.clock.now()
        async with self.store.tx() as tx:
            for c in corrections:
                if c.kind is CorrectionKind.DELETE:
                    await tx.delete_position(c.ticker)
                else:
                    assert c.avg_after is not None
                    await tx.set_position(
                        c.ticker, c.qty_after, c.avg_after, self.sector_of(c.ticker), now
                    )
                    if c.kind is CorrectionKind.CREATE and c.ticker in stops:
                        await tx.set_stop_price(c.ticker, stops[c.ticker], now)
                await tx.audit(
                    "reconcile.position_corrected",
                    f"{c.ticker}: ours {c.qty_before} @ {c.avg_before} -> broker's "
                    f"{c.qty_after} @ {c.avg_after} ({c.kind.value})",
                    now=now,
                    actor=actor,
                    payload={
                        "ticker": c.ticker,
                        "kind": c.kind.value,
                        "qty_before": str(c.qty_before),
                        "qty_after": str(c.qty_after),
                        "avg_before": None if c.avg_before is None else str(c.avg_before),
                        "avg_after": None if c.avg_after is None else str(c.avg_after),
                    },
                )

    async def _book_one(
        self,
        tx: BookingUnitOfWork,
        row: BookedOrder,
        order: BrokerOrder,
        sector: str | None,
        events: list[Event],
    ) -> None:
        now = self.clock.now()
        decision_id = _uuid(row.decision_id)
        if row.external or decision_id is None:
            await self._track_external(tx, row, order, now)
            return
        if order.qty > 0 and order.qty != row.qty:
            # Alpaca may resize a stop leg to the filled part of its parent.
            await tx.audit(
                "order.qty_changed",
                f"broker reports {row.client_order_id} for {order.qty} (was {row.qty})",
                now=now,
                decision_id=decision_id,
                actor="broker",
                payload={"client_order_id": row.client_order_id, "qty": str(order.qty)},
            )
            await tx.resize_order(row.client_order_id, order.qty)
        booked_qty, booked_avg = row.filled_qty, row.filled_avg_price
        if order.status.value != row.status or order.broker_order_id != row.broker_order_id:
            events.append(await self._book_status(tx, row, order, decision_id, now))
        new_fill = fill_between(booked_qty, booked_avg, order.filled_qty, order.filled_avg_price)
        if new_fill is not None:
            fill = await self._book_fill(tx, row, order, new_fill, decision_id, sector, now)
            if fill is not None:
                events.append(fill)

    async def _track_external(
        self, tx: BookingUnitOfWork, row: BookedOrder, order: BrokerOrder, now: datetime
    ) -> None:
        """External orders are tracked, never adopted: positions follow reconciliation."""
        if row.status == order.status.value and row.filled_qty == order.filled_qty:
            return
        await tx.audit(
            "order.external_status",
            f"external order {row.client_order_id} {row.status} -> {order.status.value}",
            now=now,
            actor="broker",
            payload={"client_order_id": row.client_order_id, "status": order.status.value},
        )
        await tx.track_external(
            row.client_order_id,
            status=order.status,
            filled_qty=order.filled_qty,
            filled_avg_price=order.filled_avg_price,
            now=now,
        )

    async def _book_status(
        self,
        tx: BookingUnitOfWork,
        row: BookedOrder,
        order: BrokerOrder,
        decision_id: UUID,
        now: datetime,
    ) -> OrderResponseStatus:
        status = OrderResponseStatus(
            decision_id=decision_id,
            ts_event=now,
            client_order_id=row.client_order_id,
            broker_order_id=order.broker_order_id,
            status=order.status,
            filled_qty=order.filled_qty,
            filled_avg_price=order.filled_avg_price,
        )
        await tx.apply_order_status(status)
        await tx.audit(
            f"order.{order.status.value}",
            f"broker reports {row.client_order_id} {order.status.value}",
            now=now,
            decision_id=decision_id,
            actor="broker",
            payload=status.model_dump(mode="json"),
        )
        return status

    async def _book_fill(
        self,
        tx: BookingUnitOfWork,
        row: BookedOrder,
        order: BrokerOrder,
        new_fill: tuple[Decimal, Decimal],
        decision_id: UUID,
        sector: str | None,
        now: datetime,
    ) -> FillEvent | None:
        """Book the fill since the last report; None when it was booked before."""
        qty, price = new_fill
        side = OrderSide(row.side)
        fill = FillEvent(
            decision_id=decision_id,
            ts_event=now,
            fill_id=f"{order.broker_order_id}:{order.filled_qty}",
            client_order_id=row.client_order_id,
            broker_order_id=order.broker_order_id,
            ticker=row.ticker,
            side=side,
            qty=qty,
            price=price,
        )
        opening = row.intent == Intent.BUY_TO_OPEN.value
        beyond = await tx.add_fill(
            fill,
            sector=sector or (self.sector_of(row.ticker) if side is OrderSide.BUY else None),
            stop_price=row.stop_price if opening else None,
        )
        if beyond is None:
            return None
        if beyond:
            await tx.audit(
                "order.fill_beyond_position",
                f"sold {qty} {row.ticker} but our books held {qty - beyond}: the other "
                f"{beyond} were already taken out by a reconciliation correction",
                now=now,
                decision_id=decision_id,
                actor="broker",
                payload={"client_order_id": row.client_order_id, "beyond_qty": str(beyond)},
            )
        await tx.audit(
            "order.fill",
            f"filled {qty} {row.ticker} at {price:.4f}",
            now=now,
            decision_id=decision_id,
            actor="broker",
            payload=fill.model_dump(mode="json"),
        )
        return fill


def _uuid(value: str | None) -> UUID | None:
    return UUID(value) if value else None
