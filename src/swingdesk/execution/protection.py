"""The StopKeeper: every held share protected, always.

An entry's stop travels as an OTO leg sized for the whole order; but legs can end without
their shares ending: a day leg expires at the close, the broker cancels one, an entry ends
partly filled (its leg canceled with it, or left for the original qty: a short when it
triggers), a close is refused after its stops were canceled, a crash falls between two
steps. So protection is a standing invariant, enforced after any order of ours ends partly
filled, after a refused close, and on every reconciliation pass: in each ticker the broker
holds, exactly one working stop of ours covers exactly the shares held (less what a working
close or entry covers), at the position's recorded stop price. Missing stops are placed,
wrong or excess ones canceled, each step audited (``protection.*``); a step that fails is
audited and retried on the next pass. The decision is pure (``protection_plan``); only the
gathering and the doing live here, through the execution agent's public operations.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from swingdesk.domain.enums import (
    WORKING_STATUSES,
    Intent,
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
)
from swingdesk.domain.events import OrderRequest
from swingdesk.domain.ids import client_order_id_for
from swingdesk.domain.trailing import TrailSpec
from swingdesk.execution.protection_plan import (
    ProtectionPlan,
    WorkingStop,
    fallback_stop_price,
    plan_protection,
)
from swingdesk.ports import BrokerOrder
from swingdesk.unit_of_work import StoredOrder

if TYPE_CHECKING:
    from collections.abc import Mapping

    from swingdesk.execution.agent import ExecutionAgent

log = logging.getLogger(__name__)
STOP_TYPES = frozenset({OrderType.STOP.value, OrderType.TRAILING_STOP.value})


def ended_partly_filled(order: BrokerOrder) -> bool:
    """Say whether the broker ended ``order`` with only part of it filled."""
    return order.status.is_terminal and Decimal(0) < order.filled_qty < order.qty


def protective_stop_id() -> str:
    """Return a fresh client order id for a protective stop the desk places (37 chars)."""
    return f"sd-p-{uuid4().hex}"


def parent_of(row: StoredOrder) -> str | None:
    """Return the client order id of the entry a stop leg belongs to (None if standalone)."""
    if row.parent_client_order_id:
        return row.parent_client_order_id
    if row.decision_id is None or row.client_order_id.startswith("sd-p-"):
        return None
    # Rows stored before legs knew their parent: the entry's id follows from the decision.
    return client_order_id_for(UUID(row.decision_id), Intent.BUY_TO_OPEN)


@dataclass(frozen=True)
class BrokerView:
    """One consistent read of the broker: shares held and open orders (legs included)."""

    held: Mapping[str, Decimal]
    prices: Mapping[str, Decimal]
    open_orders: Mapping[str, BrokerOrder]


class StopKeeper:
    """Makes our working stops in a ticker cover exactly the shares held at the broker."""

    def __init__(
        self,
        agent: ExecutionAgent,
        *,
        fallback_stop_pct: Decimal,
        trail: TrailSpec | None = None,
    ) -> None:
        self.agent = agent
        self.fallback_stop_pct = fallback_stop_pct
        #: Protect with trailing stops (Alpaca ``trailing_stop``) instead of fixed ones.
        self.trail = trail

    async def ensure(
        self, ticker: str, *, view: BrokerView | None = None, ended: str | None = None
    ) -> ProtectionPlan:
        """Enforce the invariant in ``ticker``; ``ended`` is an order of ours the broker has
        just ended (not yet booked), which no longer covers anything."""
        agent = self.agent
        held, price = await self._held(ticker, view)
        rows = [r for r in await agent.store.open_orders() if r.ticker == ticker]
        working = {r.client_order_id: r for r in rows if r.client_order_id != ended}
        entries = {
            client_order_id
            for client_order_id, r in working.items()
            if not r.external and r.side == OrderSide.BUY.value and r.type not in STOP_TYPES
        }
        covered = Decimal(0)
        stops: list[WorkingStop] = []
        for client_order_id, row in working.items():
            fresh = await self._fresh(row, view)
            if fresh is None or fresh.status not in WORKING_STATUSES:
                continue
            remaining = fresh.qty - fresh.filled_qty
            if client_order_id in entries:
                covered += fresh.filled_qty  # its leg covers them once it completes
            elif row.side != OrderSide.SELL.value:
                continue
            elif row.external or row.type not in STOP_TYPES:
                covered += remaining  # a working sell reserves its unfilled shares
            elif parent_of(row) not in entries:
                trailing = fresh.type is OrderType.TRAILING_STOP
                stops.append(
                    WorkingStop(
                        client_order_id,
                        fresh.broker_order_id,
                        remaining,
                        fresh.stop_price,
                        trailing,
                    )
                )
        position = next((p for p in await agent.store.positions() if p.ticker == ticker), None)
        plan = plan_protection(
            held_qty=held,
            covered_elsewhere=covered,
            stops=stops,
            recorded_stop=position.stop_price if position else None,
            fallback_stop=fallback_stop_price(price, self.fallback_stop_pct),
            trailing=self.trail is not None,
        )
        if not plan.in_order:
            await self._apply(ticker, plan, held, covered, price)
        return plan

    async def resize_for_close(self, ticker: str, close_qty: Decimal) -> Decimal:
        """Before a partial close: cancel our stops in ``ticker`` and place one for the
        shares the close leaves (the close could not sell shares a stop reserves); return
        that remainder (0: a whole close, nothing placed).

        The remainder is unprotected only between the cancel and the new stop's
        acknowledgement, never while the close is working. A trailing stop restarts from the
        current price (a broker cannot be told an earlier high-water mark).
        """
        agent = self.agent
        await agent.cancel_stops(ticker)
        held, price = await self._held(ticker, None)
        remainder = held - close_qty
        if remainder <= 0:
            return Decimal(0)
        position = next((p for p in await agent.store.positions() if p.ticker == ticker), None)
        recorded = position.stop_price if position else None
        stop_price = recorded or fallback_stop_price(price, self.fallback_stop_pct)
        source = "trail" if self.trail else ("recorded" if recorded else "fallback")
        plan = ProtectionPlan(remainder, None, (), remainder, stop_price, source)
        await self._apply(ticker, plan, held, close_qty, price, resized=True)
        return remainder

    async def _held(self, ticker: str, view: BrokerView | None) -> tuple[Decimal, Decimal | None]:
        if view is not None:
            return max(view.held.get(ticker, Decimal(0)), Decimal(0)), view.prices.get(ticker)
        for p in await self.agent.broker_positions():
            if p.ticker == ticker:
                return max(p.qty, Decimal(0)), p.current_price
        return Decimal(0), None

    async def _fresh(self, row: StoredOrder, view: BrokerView | None) -> BrokerOrder | None:
        if view is not None and row.client_order_id in view.open_orders:
            return view.open_orders[row.client_order_id]
        if row.external and view is not None:
            return None  # not open at the broker any more
        return await self.agent.lookup(row.client_order_id)

    async def _apply(
        self,
        ticker: str,
        plan: ProtectionPlan,
        held: Decimal,
        covered: Decimal,
        price: Decimal | None,
        *,
        resized: bool = False,
    ) -> None:
        agent = self.agent
        facts: dict[str, Any] = {
            "ticker": ticker,
            "held_qty": str(held),
            "covered_elsewhere_qty": str(covered),
            "need_qty": str(plan.need_qty),
            "stop_price": None if plan.stop_price is None else str(plan.stop_price),
            "price_source": plan.price_source,
            "canceled": [s.client_order_id for s in plan.cancel],
        }
        if plan.missing_price:
            log.warning("%s: %s shares unprotected and no stop price known", ticker, plan.need_qty)
            await self._audit(ticker, "protection.missing", "no stop price is known", facts)
            return
        for stop in plan.cancel:
            await agent.cancel(stop.client_order_id, stop.broker_order_id)
        if not plan.place_qty:
            await self._audit(ticker, "protection.canceled", "no shares left to protect", facts)
            return
        if plan.stop_price is not None and plan.price_source not in ("recorded", "trail"):
            await agent.record_stop_price(ticker, plan.stop_price)
        request = await self._request(ticker, plan.place_qty, plan.stop_price, price)
        facts["stop_client_order_id"] = request.client_order_id
        facts["stop_type"] = request.type.value
        if self.trail is not None:
            facts["trail_pct"] = None if self.trail.pct is None else str(self.trail.pct)
            facts["trail_price"] = None if self.trail.price is None else str(self.trail.price)
        placed = await agent.place(request)
        if placed is None or placed.status not in WORKING_STATUSES | {OrderStatus.FILLED}:
            log.error("protective stop for %s %s not placed", plan.place_qty, ticker)
            await self._audit(ticker, "protection.failed", "the stop was not placed", facts)
            return
        what = "resized" if resized else "replaced" if plan.cancel else "placed"
        await self._audit(ticker, f"protection.{what}", f"stop {what}", facts)

    async def _request(
        self, ticker: str, qty: Decimal, stop_price: Decimal | None, price: Decimal | None
    ) -> OrderRequest:
        agent = self.agent
        decision_id = await agent.store.opening_decision(ticker)
        trail = self.trail
        reference = stop_price or price or Decimal(1)
        if trail is not None:
            return OrderRequest(
                decision_id=UUID(decision_id) if decision_id else uuid4(),
                ts_event=agent.clock.now(),
                client_order_id=protective_stop_id(),
                ticker=ticker,
                side=OrderSide.SELL,
                intent=Intent.SELL_TO_CLOSE,
                qty=qty,
                type=OrderType.TRAILING_STOP,
                time_in_force=TimeInForce.GTC,
                # The stop at placement, for our books; the broker moves it from there.
                stop_price=None if price is None else trail.level(price),
                reference_price=price or reference,
                risk_event_id=uuid4(),
                trail_pct=trail.pct,
                trail_price=trail.price,
            )
        assert stop_price is not None
        return OrderRequest(
            decision_id=UUID(decision_id) if decision_id else uuid4(),
            ts_event=agent.clock.now(),
            client_order_id=protective_stop_id(),
            ticker=ticker,
            side=OrderSide.SELL,
            intent=Intent.SELL_TO_CLOSE,
            qty=qty,
            type=OrderType.STOP,
            time_in_force=TimeInForce.GTC,
            stop_price=stop_price,
            reference_price=stop_price,
            risk_event_id=uuid4(),
        )

    async def _audit(self, ticker: str, kind: str, what: str, facts: dict[str, Any]) -> None:
        agent = self.agent
        await agent.journal(
            kind,
            f"{ticker}: {what}; held {facts['held_qty']}, covered elsewhere "
            f"{facts['covered_elsewhere_qty']}, stop for {facts['need_qty']} at "
            f"{facts['stop_price']} ({facts['price_source']})",
            payload=facts,
        )
