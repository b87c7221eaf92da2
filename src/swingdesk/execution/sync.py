"""The SyncWorker: reconciles our books with the broker's, at start-up and every N seconds.

Order: first our working orders are settled from the broker's reports (fills are booked as
fills, so a crash between acceptance and booking heals without a correction); then the
broker's unknown orders are imported as external; then positions are compared. Drift above
the limit HALTS trading (audited, per ticker) and corrects nothing; smaller drift is
overwritten with the broker's numbers, each correction audited.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from swingdesk.domain.enums import Intent, OrderSide, OrderStatus, TradingState
from swingdesk.events_out import publish
from swingdesk.execution.agent import ExecutionAgent
from swingdesk.execution.reconciliation import (
    CorrectionKind,
    LocalOrder,
    LocalPosition,
    PositionPlan,
    flatten,
    plan_orders,
    plan_positions,
)
from swingdesk.ports import Broker, BrokerOrder, Clock, EventBus
from swingdesk.services.control import TradingControl
from swingdesk.store.store import Store

log = logging.getLogger(__name__)


@dataclass
class SyncReport:
    """What one reconciliation found and did."""

    refreshed: int = 0
    looked_up: int = 0
    imported: list[str] = field(default_factory=list)
    corrections: int = 0
    halted: bool = False
    positions: PositionPlan | None = None

    def summary(self) -> dict[str, Any]:
        """Return the report as JSON-ready data."""
        p = self.positions
        return {
            "orders_refreshed": self.refreshed,
            "orders_looked_up": self.looked_up,
            "orders_imported_external": self.imported,
            "position_corrections": self.corrections,
            "halted": self.halted,
            "drift_pct": None if p is None else str(p.drift_pct),
            "drift": [] if p is None else [_drift_json(d) for d in p.drifts],
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


class SyncWorker:
    """Keeps our books equal to the broker's; the kill switch when they are too far apart."""

    def __init__(
        self,
        broker: Broker,
        store: Store,
        bus: EventBus,
        clock: Clock,
        control: TradingControl,
        execution: ExecutionAgent,
        *,
        max_drift_pct: Decimal = Decimal("0.05"),
        interval_s: float = 60.0,
    ) -> None:
        self.broker = broker
        self.store = store
        self.bus = bus
        self.clock = clock
        self.control = control
        self.execution = execution
        self.max_drift_pct = max_drift_pct
        self.interval_s = interval_s

    async def startup(self) -> SyncReport | None:
        """Reconcile once before trading; trading stays blocked if it fails."""
        self.execution.ready = False
        try:
            return await self.run_once()
        except Exception:
            log.exception("start-up reconciliation failed: trading stays blocked")
            return None

    async def run_forever(self) -> None:
        """Reconcile every ``interval_s`` seconds until cancelled; errors are logged, not fatal."""
        while True:
            try:
                await self.run_once()
            except Exception:
                log.exception("reconciliation failed; retrying in %.0f s", self.interval_s)
            await asyncio.sleep(self.interval_s)

    async def run_once(
        self, *, accept_drift: bool = False, actor: str = "reconciler"
    ) -> SyncReport:
        """Reconcile orders, then positions; ``accept_drift`` adopts the broker's books even
        above the limit (an operator's explicit decision after a halt)."""
        async with self.execution.lock:
            report = SyncReport()
            await self._orders(report)
            await self._positions(report, accept_drift=accept_drift, actor=actor)
        self.execution.ready = True
        return report

    async def _orders(self, report: SyncReport) -> None:
        retry = self.execution.retry
        broker_open = await retry.call(lambda: self.broker.list_orders(open_only=True))
        local_rows = await self.store.open_orders()
        local = {
            r.client_order_id: LocalOrder(r.client_order_id, OrderStatus(r.status), r.filled_qty)
            for r in local_rows
        }
        known = await self.store.known_order_ids([o.client_order_id for o in flatten(broker_open)])
        plan = plan_orders(broker_open, local, known)
        for order in plan.to_import:
            await self._import(order)
            report.imported.append(order.client_order_id)
        for order in plan.to_refresh:
            await self.execution.settle(order)
            report.refreshed += 1
        for coid in plan.to_look_up:
            await self.execution.resolve(coid)
            report.looked_up += 1

    async def _import(self, order: BrokerOrder) -> None:
        now = self.clock.now()
        async with self.store.tx() as tx:
            for o in flatten([order]):
                intent = Intent.BUY_TO_OPEN if o.side is OrderSide.BUY else Intent.SELL_TO_CLOSE
                await tx.add_broker_order(
                    o, decision_id=None, intent=intent, external=True, now=now
                )
                await tx.audit(
                    "reconcile.order_imported",
                    f"broker order {o.client_order_id} ({o.side.value} {o.qty} {o.ticker}, "
                    f"{o.status.value}) is not ours: imported as external",
                    now=now,
                    actor="reconciler",
                    payload={
                        "client_order_id": o.client_order_id,
                        "broker_order_id": o.broker_order_id,
                        "ticker": o.ticker,
                        "side": o.side.value,
                        "qty": str(o.qty),
                        "status": o.status.value,
                    },
                )
            audits = tx.audited
        await publish(self.bus, [], audits)

    async def _positions(self, report: SyncReport, *, accept_drift: bool, actor: str) -> None:
        retry = self.execution.retry
        account = await retry.call(self.broker.get_account)
        theirs = await retry.call(self.broker.get_positions)
        ours = {
            p.ticker: LocalPosition(p.ticker, p.qty, p.avg_price)
            for p in await self.store.positions()
        }
        plan = plan_positions(
            theirs, ours, portfolio_value=account.equity, max_drift_pct=self.max_drift_pct
        )
        report.positions = plan
        if plan.halt and not accept_drift:
            report.halted = True
            if await self.control.state() is not TradingState.HALTED:
                await self._halt(plan)
            return
        if accept_drift and plan.halt:
            plan = plan_positions(
                theirs, ours, portfolio_value=account.equity, max_drift_pct=Decimal("Infinity")
            )
        if not plan.corrections:
            return
        now = self.clock.now()
        sector_of = self.execution.booker.sector_of
        async with self.store.tx() as tx:
            for c in plan.corrections:
                if c.kind is CorrectionKind.DELETE:
                    await tx.delete_position(c.ticker)
                else:
                    assert c.avg_after is not None
                    await tx.set_position(
                        c.ticker, c.qty_after, c.avg_after, sector_of(c.ticker), now
                    )
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
            audits = tx.audited
        await publish(self.bus, [], audits)
        report.corrections = len(plan.corrections)

    async def _halt(self, plan: PositionPlan) -> None:
        now = self.clock.now()
        async with self.store.tx() as tx:
            await tx.audit(
                "reconcile.drift",
                plan.reason,
                now=now,
                actor="reconciler",
                payload={
                    "drift_pct": str(plan.drift_pct),
                    "drift_notional": str(plan.drift_notional),
                    "portfolio_value": str(plan.portfolio_value),
                    "limit_pct": str(plan.max_drift_pct),
                    "tickers": [_drift_json(d) for d in plan.drifts],
                },
            )
            audits = tx.audited
        await publish(self.bus, [], audits)
        await self.control.change(TradingState.HALTED, reason=plan.reason, actor="reconciler")
