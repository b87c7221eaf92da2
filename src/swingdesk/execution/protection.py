"""Keeping the protective stop equal to the shares held after a partial fill.

An entry's stop travels as an OTO leg sized for the whole order. Alpaca keeps the leg
``held`` until the entry fills completely; when the entry ends partly filled (a cancel,
a day order expiring at the close) the leg may be canceled with it (an unprotected
position) or left for the original qty (a stop for more shares than held: when it
triggers it opens a short). A close that ends partly filled leaves shares whose stops
were canceled before the close was sent. In every such case the StopKeeper compares the
shares the broker says we hold with our working stops there, and when they differ cancels
them and places one stop for exactly the held qty, audited.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import TYPE_CHECKING
from uuid import UUID, uuid4

from swingdesk.domain.enums import Intent, OrderSide, OrderStatus, OrderType, TimeInForce
from swingdesk.domain.errors import RejectedError, TemporaryError
from swingdesk.domain.events import OrderRequest
from swingdesk.domain.ids import client_order_id_for
from swingdesk.events_out import publish
from swingdesk.ports import BrokerOrder
from swingdesk.store import tables as t

if TYPE_CHECKING:
    from swingdesk.execution.agent import ExecutionAgent

log = logging.getLogger(__name__)
_WORKING = frozenset(
    {OrderStatus.NEW, OrderStatus.HELD, OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED}
)


def ended_partly_filled(order: BrokerOrder) -> bool:
    """Say whether the broker ended ``order`` with only part of it filled."""
    return order.status.is_terminal and Decimal(0) < order.filled_qty < order.qty


def _parent_id(stop_row: t.OrderRow) -> str | None:
    """Return the client order id of the entry a stop leg belongs to (None if standalone)."""
    if stop_row.decision_id is None or stop_row.client_order_id.startswith("sd-p-"):
        return None
    return client_order_id_for(UUID(stop_row.decision_id), Intent.BUY_TO_OPEN)


def protective_stop_id() -> str:
    """Return a fresh client order id for a replacement stop (37 chars)."""
    return f"sd-p-{uuid4().hex}"


class StopKeeper:
    """Makes our working stops in a ticker cover exactly the shares held at the broker."""

    def __init__(self, agent: ExecutionAgent) -> None:
        self.agent = agent

    async def protect(self, ended: BrokerOrder, row: t.OrderRow) -> None:
        """After ``ended`` (our order ``row``) finished partly filled, fix the stops."""
        agent, ticker = self.agent, ended.ticker
        others = [
            r
            for r in await agent.store.open_orders()
            if r.ticker == ticker
            and r.type != OrderType.STOP.value
            and r.client_order_id != row.client_order_id
        ]
        working = {r.client_order_id for r in others}
        # Shares another working entry bought are covered by its leg once it completes; the
        # unfilled shares of a working close are covered (and reserved) by the close itself.
        held = await self._held(ticker) - sum(
            (r.filled_qty if r.side == OrderSide.BUY.value else r.qty - r.filled_qty)
            for r in others
        )
        stops: list[BrokerOrder] = []
        for stop_row in await agent.store.open_stop_orders(ticker):
            if stop_row.external or stop_row.client_order_id == row.client_order_id:
                continue
            if _parent_id(stop_row) in working:
                continue  # the leg of another entry still working: it covers shares to come
            found = await agent._lookup(stop_row.client_order_id)
            if found is not None and found.status in _WORKING:
                stops.append(found)
        covered = sum((s.qty - s.filled_qty for s in stops), Decimal(0))
        if covered == held:
            for s in stops:
                await agent.booker.book(s)
            return
        ours = [p.stop_price for p in await agent.store.positions() if p.ticker == ticker]
        stop_price = next((s.stop_price for s in stops if s.stop_price), None) or next(
            (price for price in ours if price), None
        )
        for s in stops:
            await agent._cancel(s.client_order_id, s.broker_order_id)
            after = await agent._lookup(s.client_order_id)
            await agent.booker.book(after or s)
        if held <= 0:
            await self._audit(row, "protection.stops_canceled", held, covered, None, None)
            return
        if stop_price is None:
            await self._audit(row, "protection.missing", held, covered, None, None)
            log.warning("%s: %s shares held and no stop price known", ticker, held)
            return
        await self._place(row, ticker, held, stop_price, covered)

    async def _held(self, ticker: str) -> Decimal:
        agent = self.agent
        positions = await agent.retry.call(agent.broker.get_positions)
        return sum((p.qty for p in positions if p.ticker == ticker), Decimal(0))

    async def _place(
        self, row: t.OrderRow, ticker: str, held: Decimal, stop_price: Decimal, covered: Decimal
    ) -> None:
        agent = self.agent
        request = OrderRequest(
            decision_id=UUID(row.decision_id) if row.decision_id else uuid4(),
            ts_event=agent.clock.now(),
            client_order_id=protective_stop_id(),
            ticker=ticker,
            side=OrderSide.SELL,
            intent=Intent.SELL_TO_CLOSE,
            qty=held,
            type=OrderType.STOP,
            time_in_force=TimeInForce.GTC,
            stop_price=stop_price,
            reference_price=stop_price,
            risk_event_id=uuid4(),
        )
        await agent._store_request(request, rejected_as=None)
        await self._audit(row, "protection.replaced", held, covered, stop_price, request)
        try:
            placed = await agent.retry.call(lambda: agent._submit_once(request))
        except (RejectedError, TemporaryError) as exc:
            log.error("replacement stop for %s %s not placed: %s", held, ticker, exc.message)
            await self._audit(row, "protection.failed", held, covered, stop_price, request)
            return
        await agent.booker.book(placed)

    async def _audit(
        self,
        row: t.OrderRow,
        action: str,
        held: Decimal,
        covered: Decimal,
        stop_price: Decimal | None,
        request: OrderRequest | None,
    ) -> None:
        agent, now = self.agent, self.agent.clock.now()
        what = {
            "protection.replaced": f"stop {request.client_order_id if request else ''} for "
            f"{held} at {stop_price} replaces stops covering {covered}",
            "protection.stops_canceled": f"no shares held: stops covering {covered} canceled",
            "protection.missing": f"{held} shares held, stops cover {covered}, no stop price",
            "protection.failed": f"replacement stop for {held} at {stop_price} not placed",
        }[action]
        async with agent.store.tx() as tx:
            await tx.audit(
                action,
                f"{row.ticker}: {row.client_order_id} ended partly filled; {what}",
                now=now,
                decision_id=UUID(row.decision_id) if row.decision_id else None,
                actor="execution",
                payload={
                    "ticker": row.ticker,
                    "ended_order": row.client_order_id,
                    "held_qty": str(held),
                    "stops_covered_qty": str(covered),
                    "stop_price": None if stop_price is None else str(stop_price),
                    "stop_client_order_id": request.client_order_id if request else None,
                },
            )
            audits = tx.audited
        await publish(agent.bus, [], audits)
