"""Execution's records of its orders: stored before sending, rejected, or of unknown outcome."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal

from swingdesk.domain.enums import DecisionStatus, OrderStatus
from swingdesk.domain.errors import DecisionConcludedError, TemporaryError
from swingdesk.domain.events import Event, OrderRequest, OrderResponseStatus
from swingdesk.ports import Clock
from swingdesk.unit_of_work import OrderStore, OrderUnitOfWork

# The execution desk's logger: what it logs about its orders is the agent's.
log = logging.getLogger("swingdesk.execution.agent")
STALE_SIGNAL = "STALE_SIGNAL"
NOT_RECEIVED = "NOT_RECEIVED"


@dataclass
class ExecutionReport:
    """What happened to one approved order."""

    request: OrderRequest
    status: OrderStatus
    filled_qty: Decimal
    filled_avg_price: Decimal | None
    events: list[Event] = field(default_factory=list)
    resubmitted: bool = False
    error_code: str | None = None


class OrderRecords:
    """Our records of the orders execution places, each step one unit of work."""

    def __init__(self, store: OrderStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    async def store_request(
        self,
        request: OrderRequest,
        *,
        rejected_as: str | None,
        concludes: bool = False,
        own_decision: str | None = None,
    ) -> None:
        """Persist the order (the idempotency key) before anything is sent; with
        ``concludes``, the order is its decision's outcome (ORDERED) in the same commit;
        with ``own_decision``, an order with no decision yet gets one (trigger named so)."""
        async with self.store.tx() as tx:
            if own_decision and await tx.decision_status(request.decision_id) is None:
                await tx.add_decision(
                    request.decision_id, request.ticker, own_decision, request.ts_event
                )
                await tx.conclude_decision(
                    request.decision_id, DecisionStatus.ORDERED, request.ts_event
                )
            if (
                concludes
                and not await tx.conclude_decision(
                    request.decision_id, DecisionStatus.ORDERED, request.ts_event
                )
                and await tx.decision_status(request.decision_id) is not DecisionStatus.ORDERED
            ):
                # Settled meanwhile (as interrupted, by reconciliation): never send it now.
                raise DecisionConcludedError(
                    f"decision {request.decision_id} already has an outcome; order not sent",
                    details={"decision_id": str(request.decision_id)},
                )
            await tx.add_order(request)
            await tx.audit(
                "order.created",
                f"{request.side.value} {request.qty} {request.ticker} ({request.intent.value}) "
                f"client_order_id={request.client_order_id}"
                + (f" stop {request.stop_price}" if request.stop_price else ""),
                now=request.ts_event,
                decision_id=request.decision_id,
                actor="execution",
                payload=request.model_dump(mode="json"),
            )
            if rejected_as is not None:
                await self.reject_in(tx, request, rejected_as, "approval older than the limit")
            tx.record(request)

    async def reject_in(
        self, tx: OrderUnitOfWork, request: OrderRequest, code: str, message: str
    ) -> None:
        """Record in ``tx`` that ``request`` was rejected with ``code``."""
        now = self.clock.now()
        status = OrderResponseStatus(
            decision_id=request.decision_id,
            ts_event=now,
            client_order_id=request.client_order_id,
            status=OrderStatus.REJECTED,
            error_code=code,
            message=message,
        )
        await tx.apply_order_status(status)
        await tx.audit(
            "order.rejected",
            f"{request.client_order_id} rejected [{code}]: {message}",
            now=now,
            decision_id=request.decision_id,
            actor="broker" if code not in (STALE_SIGNAL, NOT_RECEIVED) else "execution",
            payload=status.model_dump(mode="json"),
        )

    async def reject(self, report: ExecutionReport, code: str, message: str) -> None:
        """Record a rejection unless the order already ended; say so in ``report``."""
        request = report.request
        async with self.store.tx() as tx:
            current = await tx.order_status(request.client_order_id)
            if current is not None and current.is_terminal:
                return
            await self.reject_in(tx, request, code, message)
        report.status, report.error_code = OrderStatus.REJECTED, code

    async def record_unknown(self, report: ExecutionReport, exc: TemporaryError) -> None:
        """Journal an order whose outcome is unknown; reconciliation looks it up."""
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
        report.error_code = exc.code
