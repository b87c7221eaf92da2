"""The SyncWorker: reconciles our books with the broker's, at start-up and every N seconds.

One pass, under the book lock (so no decision of this or another process places an order
meanwhile):

1. **Orders.** Our working orders are settled from the broker's reports (a fill is booked as
   a fill, so a crash between acceptance and booking heals without a correction); the
   broker's orders we do not know are imported as external, except the legs of our own
   entries, recognised by their parent. Each order is settled on its own: one that cannot be
   settled is set aside (its ticker deferred) and the pass goes on.
2. **A consistent view.** The broker's books are read at moments apart, and an exchange fills
   orders at any instant. So positions are read, then the open orders again: if an order of
   ours moved in between, it is settled and the view read again (a few times at most).
   Tickers whose orders were still moving are deferred to the next pass rather than judged
   on two reads that disagree.
3. **Positions.** Drift above the limit HALTS trading (audited, per ticker) and corrects
   nothing; smaller drift is overwritten with the broker's numbers, each correction audited.
   Deferred tickers, and tickers with an entry or close of ours still working, are left out.
4. **Protection.** Every held share gets exactly one working stop of ours (``StopKeeper``).
5. **Interrupted decisions.** A decision left pending (its process died mid-way) is settled
   from its stored stages, audited.

An order of ours that cannot be settled halts trading with the reason (cause
``RECONCILE_UNSETTLED``); the first pass that settles everything again lifts that halt. A
drift halt is lifted only by an operator (`swingdesk reconcile --accept-drift`, then resume).
The decisions are pure functions in ``reconciliation.py``; this module does the I/O.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from swingdesk.domain.enums import OrderSide, OrderStatus, TradingState
from swingdesk.execution.agent import ExecutionAgent
from swingdesk.execution.control import TradingControl
from swingdesk.execution.interrupted import settle_interrupted
from swingdesk.execution.protection import STOP_TYPES, BrokerView
from swingdesk.execution.reconciliation import (
    LocalOrder,
    LocalPosition,
    OrderPlan,
    PositionPlan,
    flatten,
    plan_orders,
    plan_positions,
)
from swingdesk.ports import Broker, BrokerAccount, BrokerOrder, BrokerPosition, Clock, EventBus
from swingdesk.unit_of_work import ReconcilerBooks, SerialBook

log = logging.getLogger(__name__)
#: Reads of the broker's books per pass before moving tickers are deferred.
VIEW_ATTEMPTS = 3
UNSETTLED = "RECONCILE_UNSETTLED"
DRIFT = "RECONCILE_DRIFT"


@dataclass
class SyncReport:
    """What one reconciliation found and did."""

    refreshed: int = 0
    looked_up: int = 0
    imported: list[str] = field(default_factory=list)
    corrections: int = 0
    halted: bool = False
    positions: PositionPlan | None = None
    #: Orders of ours that could not be settled, with the error.
    unsettled: dict[str, str] = field(default_factory=dict)
    #: Tickers left out of the position check and protection this pass, with the reason.
    deferred: dict[str, str] = field(default_factory=dict)
    view_reads: int = 0
    protection: dict[str, str] = field(default_factory=dict)
    decisions_settled: int = 0

    def summary(self) -> dict[str, Any]:
        """Return the report as JSON-ready data."""
        p = self.positions
        return {
            "orders_refreshed": self.refreshed,
            "orders_looked_up": self.looked_up,
            "orders_imported_external": self.imported,
            "orders_unsettled": self.unsettled,
            "position_corrections": self.corrections,
            "halted": self.halted,
            "drift_pct": None if p is None else str(p.drift_pct),
            "drift": [] if p is None else [_drift_json(d) for d in p.drifts],
            "deferred": self.deferred,
            "protection": self.protection,
            "decisions_settled": self.decisions_settled,
        }


def _drift_json(d: Any) -> dict[str, str]:
    return {
        "ticker": d.ticker,
        "broker_qty": str(d.broker_qty),
        "local_qty": str(d.local_qty),
        "price": str(d.price),
        "drift_notional": str(d.drift_notional),
        "drift_pct": str(d.drift_pct),
    }


@dataclass
class _View:
    account: BrokerAccount
    positions: list[BrokerPosition]
    open_orders: list[BrokerOrder]


class SyncWorker:
    """Keeps our books equal to the broker's; the kill switch when they are too far apart."""

    def __init__(
        self,
        broker: Broker,
        store: ReconcilerBooks,
        bus: EventBus,
        clock: Clock,
        control: TradingControl,
        execution: ExecutionAgent,
        *,
        max_drift_pct: Decimal = Decimal("0.05"),
        interval_s: float = 60.0,
        book_lock: SerialBook | None = None,
        decision_timeout_s: float = 120.0,
    ) -> None:
        self.broker = broker
        self.store = store
        self.clock = clock
        self.control = control
        self.execution = execution
        self.max_drift_pct = max_drift_pct
        self.interval_s = interval_s
        self.book_lock = book_lock
        self.decision_timeout = timedelta(seconds=decision_timeout_s)

    async def startup(self) -> SyncReport | None:
        """Reconcile once before trading; trading stays blocked if it fails."""
        self.execution.ready = False
        try:
            return await self.run_once()
        except Exception:
            log.exception("start-up reconciliation failed: trading stays blocked")
            return None

    @contextlib.asynccontextmanager
    async def _book(self) -> AsyncIterator[None]:
        if self.book_lock is None:
            yield
            return
        async with self.book_lock.hold():
            yield

    async def run_once(
        self, *, accept_drift: bool = False, actor: str = "reconciler"
    ) -> SyncReport:
        """Reconcile orders, then positions, then protection; ``accept_drift`` adopts the
        broker's books even above the limit (an operator's explicit decision after a halt)."""
        report = SyncReport()
        async with self._book(), self.execution.lock:
            retry = self.execution.retry
            first = await retry.call(lambda: self.broker.list_orders(open_only=True))
            await self._orders(first, report)
            view = await self._consistent_view(report)
            await self._in_flight(report)
            await self._positions(view, report, accept_drift=accept_drift, actor=actor)
            await self._protect(view, report)
            report.decisions_settled = await settle_interrupted(
                self.store, self.clock, older_than=self.decision_timeout
            )
            await self._escalate(report)
        self.execution.ready = True
        return report

    async def _consistent_view(self, report: SyncReport) -> _View:
        """Read positions, then orders again, until no order of ours moved in between."""
        retry = self.execution.retry
        moving: set[str] = set()
        for _ in range(VIEW_ATTEMPTS):
            report.view_reads += 1
            account = await retry.call(self.broker.get_account)
            positions = await retry.call(self.broker.get_positions)
            orders = await retry.call(lambda: self.broker.list_orders(open_only=True))
            moving = await self._orders(orders, report)
            if not moving:
                break
        for ticker in moving:
            report.deferred.setdefault(ticker, "orders still moving while the books were read")
        return _View(account, positions, orders)

    async def _orders(self, broker_open: list[BrokerOrder], report: SyncReport) -> set[str]:
        """Settle our orders against one read of the broker's; return the tickers that moved."""
        local_rows = await self.store.open_orders()
        local = {
            r.client_order_id: LocalOrder(r.client_order_id, OrderStatus(r.status), r.filled_qty)
            for r in local_rows
            if not r.external
        }
        tickers = {r.client_order_id: r.ticker for r in local_rows}
        known = await self.store.known_order_ids([o.client_order_id for o in flatten(broker_open)])
        plan = await self._claim_legs(plan_orders(broker_open, local, known))
        moved: set[str] = set()
        for order in plan.to_import:
            await self._import(order, report)
        for order in plan.to_refresh:
            if await self._settle(order.client_order_id, order.ticker, report, order=order):
                report.refreshed += 1
                moved.add(order.ticker)
        for client_order_id in plan.to_look_up:
            ticker = tickers.get(client_order_id, "")
            if await self._settle(client_order_id, ticker, report, order=None):
                report.looked_up += 1
                moved.add(ticker)
        return moved

    async def _claim_legs(self, plan: OrderPlan) -> OrderPlan:
        """Take back from the import list the stop legs of our own entries (found by looking
        the entries up nested), so a leg is never imported as someone else's order."""
        candidates = [o for o in plan.to_import if o.side is OrderSide.SELL and not o.legs]
        if not candidates:
            return plan
        ours: dict[str, BrokerOrder] = {}
        for parent_id in await self.store.entries_without_legs():
            parent = await self.execution.lookup(parent_id)
            if parent is not None and parent.legs:
                ours.update({leg.broker_order_id: parent for leg in parent.legs})
        claimed = {o.client_order_id for o in candidates if o.broker_order_id in ours}
        if not claimed:
            return plan
        parents = {ours[o.broker_order_id].client_order_id: ours[o.broker_order_id]
                   for o in candidates if o.client_order_id in claimed}  # fmt: skip
        return OrderPlan(
            tuple(o for o in plan.to_import if o.client_order_id not in claimed),
            plan.to_refresh + tuple(parents.values()),
            plan.to_look_up,
        )

    async def _settle(
        self, client_order_id: str, ticker: str, report: SyncReport, *, order: BrokerOrder | None
    ) -> bool:
        """Settle one order of ours; a failure is recorded (and its ticker deferred)."""
        try:
            if order is not None:
                await self.execution.settle(order)
            else:
                await self.execution.resolve(client_order_id)
        except Exception as exc:
            log.warning("reconciliation could not settle %s: %s", client_order_id, exc)
            report.unsettled[client_order_id] = f"{type(exc).__name__}: {exc}"
            report.deferred[ticker] = f"order {client_order_id} could not be settled"
            return False
        return True

    async def _import(self, order: BrokerOrder, report: SyncReport) -> None:
        try:
            await self.execution.import_external(order)
        except Exception as exc:
            # Someone else's order in a shape we cannot store must not stop reconciliation.
            log.warning("broker order %s not imported: %s", order.client_order_id, exc)
            return
        report.imported.append(order.client_order_id)

    async def _in_flight(self, report: SyncReport) -> None:
        """Defer tickers with an entry or close of ours still working: its fill may have
        reached one of the broker's views and not the other yet."""
        for row in await self.store.open_orders():
            if not row.external and row.type not in STOP_TYPES:
                report.deferred.setdefault(row.ticker, f"order {row.client_order_id} working")

    async def _positions(
        self, view: _View, report: SyncReport, *, accept_drift: bool, actor: str
    ) -> None:
        deferred = report.deferred.keys()
        theirs = [p for p in view.positions if p.ticker not in deferred]
        ours = {
            p.ticker: LocalPosition(p.ticker, p.qty, p.avg_price)
            for p in await self.store.positions()
            if p.ticker not in deferred
        }
        limit = Decimal("Infinity") if accept_drift else self.max_drift_pct
        plan = plan_positions(
            theirs, ours, portfolio_value=view.account.equity, max_drift_pct=self.max_drift_pct
        )
        report.positions = plan
        if plan.halt and not accept_drift:
            report.halted = True
            if await self.control.state() is not TradingState.HALTED:
                await self._halt_for_drift(plan)
            return
        if plan.halt:
            plan = plan_positions(theirs, ours, portfolio_value=view.account.equity,
                                  max_drift_pct=limit)  # fmt: skip
        if plan.corrections:
            stops = {o.ticker: o.stop_price for o in flatten(view.open_orders)
                     if o.type.value in STOP_TYPES and o.stop_price is not None}  # fmt: skip
            await self.execution.correct_positions(plan.corrections, stops, actor=actor)
            report.corrections = len(plan.corrections)

    async def _protect(self, view: _View, report: SyncReport) -> None:
        """Make every held share covered by exactly one working stop of ours."""
        if report.halted:
            return  # the books disagree: protect after an operator has looked
        broker_view = BrokerView(
            held={p.ticker: p.qty for p in view.positions},
            prices={p.ticker: p.current_price for p in view.positions},
            open_orders={o.client_order_id: o for o in flatten(view.open_orders)},
        )
        tickers = {p.ticker for p in view.positions if p.qty > 0}
        tickers |= {r.ticker for r in await self.store.open_stop_orders(None) if not r.external}
        for ticker in sorted(tickers - report.deferred.keys()):
            try:
                plan = await self.execution.stops.ensure(ticker, view=broker_view)
            except Exception as exc:
                log.warning("protection of %s failed this pass: %s", ticker, exc)
                report.protection[ticker] = f"failed: {type(exc).__name__}: {exc}"
                continue
            if not plan.in_order:
                report.protection[ticker] = plan.price_source if plan.place_qty else "canceled"

    async def _halt_for_drift(self, plan: PositionPlan) -> None:
        payload = {
            "drift_pct": str(plan.drift_pct),
            "drift_notional": str(plan.drift_notional),
            "portfolio_value": str(plan.portfolio_value),
            "limit_pct": str(plan.max_drift_pct),
            "tickers": [_drift_json(d) for d in plan.drifts],
        }
        await self.execution.journal("reconcile.drift", plan.reason, payload=payload)
        await self.control.change(
            TradingState.HALTED, reason=plan.reason, actor="reconciler", cause=DRIFT
        )

    async def _escalate(self, report: SyncReport) -> None:
        """Halt while an order of ours cannot be settled; lift that halt once all settle."""
        last = await self.store.last_state_change()
        ours = last is not None and last.cause == UNSETTLED and last.current == "HALTED"
        if report.unsettled and not ours and await self.control.state() is not TradingState.HALTED:
            reason = "reconciliation cannot settle " + "; ".join(
                f"{client_order_id}: {error}"
                for client_order_id, error in sorted(report.unsettled.items())
            )
            await self.control.change(
                TradingState.HALTED, reason=reason[:2000], actor="reconciler", cause=UNSETTLED
            )
        elif not report.unsettled and ours and last is not None:
            await self.control.change(
                TradingState(last.previous),
                reason="every order settled with the broker again",
                actor="reconciler",
                cause="RECONCILE_SETTLED",
            )
