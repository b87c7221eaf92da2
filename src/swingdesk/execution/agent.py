"""The ExecutionAgent: places approved orders exactly once and books their fills.

The client order id is derived from the decision and stored before the broker is called,
so a retry, a re-submission or a crash can never create a second order: an order whose
outcome is unknown is looked up by that id, never blindly sent again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal

from swingdesk.domain.enums import Intent, OrderSide, OrderStatus, OrderType, TimeInForce
from swingdesk.domain.errors import DuplicateOrderError, RejectedError, TemporaryError
from swingdesk.domain.events import (
    Event,
    FillEvent,
    OrderRequest,
    OrderResponseStatus,
    RiskApproved,
)
from swingdesk.domain.ids import client_order_id_for
from swingdesk.events_out import publish
from swingdesk.ports import Broker, BrokerOrder, Clock, EventBus
from swingdesk.store import tables as t
from swingdesk.store.store import Store

log = logging.getLogger(__name__)


@dataclass
class ExecutionReport:
    """What happened to one approved order."""

    request: OrderRequest
    status: OrderStatus
    filled_qty: Decimal
    filled_avg_price: Decimal | None
    events: list[Event] = field(default_factory=list)
    resubmitted: bool = False


class ExecutionAgent:
    """Turns a RiskApproved into one broker order and records every outcome."""

    def __init__(self, broker: Broker, store: Store, bus: EventBus, clock: Clock) -> None:
        self.broker = broker
        self.store = store
        self.bus = bus
        self.clock = clock

    async def execute(self, approval: RiskApproved, *, sector: str | None) -> ExecutionReport:
        """Place the approved order (at most once per decision) and book what the broker did."""
        coid = client_order_id_for(approval.decision_id, approval.intent)
        existing = await self.store.order(coid)
        if existing is None:
            request = OrderRequest(
                decision_id=approval.decision_id,
                ts_event=self.clock.now(),
                client_order_id=coid,
                ticker=approval.ticker,
                side=approval.side,
                intent=approval.intent,
                qty=approval.qty,
                stop_price=approval.stop_price,
                reference_price=approval.reference_price,
                risk_event_id=approval.event_id,
            )
            async with self.store.tx() as tx:
                await tx.add_order(request)
                await tx.audit(
                    "order.created",
                    f"{request.side.value} {request.qty} {request.ticker} ({request.intent.value}) "
                    f"client_order_id={coid}",
                    now=request.ts_event,
                    decision_id=request.decision_id,
                    actor="execution",
                    payload=request.model_dump(mode="json"),
                )
                audits = tx.audited
            await publish(self.bus, [request], audits)
            resubmitted = False
        else:
            request = _request_from_row(existing, approval)
            resubmitted = True
        report = ExecutionReport(request, OrderStatus.NEW, Decimal(0), None, [request], resubmitted)
        try:
            broker_order = await self._submit_once(request)
        except RejectedError as exc:
            await self._record_rejection(report, exc)
            return report
        except TemporaryError as exc:
            await self._record_unknown(report, exc)
            return report
        await self.book(request, broker_order, sector=sector, report=report)
        return report

    async def _submit_once(self, request: OrderRequest) -> BrokerOrder:
        """Submit, resolving duplicates and unknown outcomes by client order id."""
        try:
            return await self.broker.submit_order(request)
        except DuplicateOrderError:
            found = await self.broker.get_order_by_client_id(request.client_order_id)
            if found is None:
                raise
            return found
        except TemporaryError as exc:
            # The broker may have accepted the order before the failure: look, don't resend.
            found = await self.broker.get_order_by_client_id(request.client_order_id)
            if found is not None:
                return found
            if exc.outcome_unknown:
                raise
            return await self.broker.submit_order(request)

    async def book(
        self,
        request: OrderRequest,
        order: BrokerOrder,
        *,
        sector: str | None,
        report: ExecutionReport | None = None,
    ) -> None:
        """Record the broker's status of an order and any new fill, in one transaction."""
        now = self.clock.now()
        events: list[Event] = []
        async with self.store.tx() as tx:
            row = await tx.session.get(t.OrderRow, request.client_order_id)
            assert row is not None, "orders are stored before they are sent"
            booked_qty, booked_avg = row.filled_qty, row.filled_avg_price or Decimal(0)
            if order.status.value != row.status or order.broker_order_id != row.broker_order_id:
                status = OrderResponseStatus(
                    decision_id=request.decision_id,
                    ts_event=now,
                    client_order_id=request.client_order_id,
                    broker_order_id=order.broker_order_id,
                    status=order.status,
                    filled_qty=order.filled_qty,
                    filled_avg_price=order.filled_avg_price,
                )
                await tx.apply_order_status(status)
                await tx.audit(
                    f"order.{order.status.value}",
                    f"broker reports {request.client_order_id} {order.status.value}",
                    now=now,
                    decision_id=request.decision_id,
                    actor="broker",
                    payload=status.model_dump(mode="json"),
                )
                events.append(status)
            delta = order.filled_qty - booked_qty
            if delta > 0 and order.filled_avg_price is not None:
                price = (
                    order.filled_qty * order.filled_avg_price - booked_qty * booked_avg
                ) / delta
                fill = FillEvent(
                    decision_id=request.decision_id,
                    ts_event=now,
                    fill_id=f"{order.broker_order_id}:{order.filled_qty}",
                    client_order_id=request.client_order_id,
                    broker_order_id=order.broker_order_id,
                    ticker=request.ticker,
                    side=request.side,
                    qty=delta,
                    price=price,
                )
                stop = request.stop_price if request.intent is Intent.BUY_TO_OPEN else None
                if await tx.add_fill(fill, sector=sector, stop_price=stop):
                    await tx.audit(
                        "order.fill",
                        f"filled {delta} {request.ticker} at {price:.4f}",
                        now=now,
                        decision_id=request.decision_id,
                        actor="broker",
                        payload=fill.model_dump(mode="json"),
                    )
                    events.append(fill)
            audits = tx.audited
        await publish(self.bus, events, audits)
        if report is not None:
            report.status, report.filled_qty = order.status, order.filled_qty
            report.filled_avg_price = order.filled_avg_price
            report.events.extend(events)

    async def _record_rejection(self, report: ExecutionReport, exc: RejectedError) -> None:
        request, now = report.request, self.clock.now()
        status = OrderResponseStatus(
            decision_id=request.decision_id,
            ts_event=now,
            client_order_id=request.client_order_id,
            status=OrderStatus.REJECTED,
            error_code=exc.code,
            message=exc.message,
        )
        async with self.store.tx() as tx:
            row = await tx.session.get(t.OrderRow, request.client_order_id)
            if row is not None and OrderStatus(row.status).is_terminal:
                return
            await tx.apply_order_status(status)
            await tx.audit(
                "order.rejected",
                f"broker rejected {request.client_order_id}: {exc.message}",
                now=now,
                decision_id=request.decision_id,
                actor="broker",
                payload=status.model_dump(mode="json"),
            )
            audits = tx.audited
        await publish(self.bus, [status], audits)
        report.status = OrderStatus.REJECTED
        report.events.append(status)

    async def _record_unknown(self, report: ExecutionReport, exc: TemporaryError) -> None:
        request, now = report.request, self.clock.now()
        log.warning("order %s outcome unknown: %s", request.client_order_id, exc.message)
        async with self.store.tx() as tx:
            await tx.audit(
                "order.unknown",
                f"outcome of {request.client_order_id} unknown ({exc.message}); "
                "reconciliation will look it up by client order id",
                now=now,
                decision_id=request.decision_id,
                actor="execution",
                payload={"client_order_id": request.client_order_id, "error": exc.message},
            )
            audits = tx.audited
        await publish(self.bus, [], audits)


def _request_from_row(row: t.OrderRow, approval: RiskApproved) -> OrderRequest:
    return OrderRequest(
        decision_id=approval.decision_id,
        ts_event=row.created_at,
        client_order_id=row.client_order_id,
        ticker=row.ticker,
        side=OrderSide(row.side),
        intent=Intent(row.intent),
        qty=row.qty,
        type=OrderType(row.type),
        time_in_force=TimeInForce(row.time_in_force),
        stop_price=row.stop_price,
        reference_price=row.reference_price or approval.reference_price,
        risk_event_id=approval.event_id,
    )
