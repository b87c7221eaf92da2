"""The ExecutionAgent: places approved orders exactly once and books their fills.

The client order id is derived from the decision and stored before the broker is called,
so a retry, a re-submission or a crash can never create a second order: an order whose
outcome is unknown is looked up by that id, never blindly sent again. Entries carry their
protective stop (an OTO order); a close cancels the position's working stops first.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from swingdesk.domain.enums import (
    WORKING_STATUSES,
    Intent,
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
)
from swingdesk.domain.errors import (
    DuplicateOrderError,
    RejectedError,
    TemporaryError,
)
from swingdesk.domain.events import Event, OrderRequest, RiskApproved
from swingdesk.domain.ids import client_order_id_for
from swingdesk.domain.trailing import TrailSpec
from swingdesk.execution.booking import Booker, SectorOf
from swingdesk.execution.order_records import NOT_RECEIVED as NOT_RECEIVED
from swingdesk.execution.order_records import STALE_SIGNAL as STALE_SIGNAL
from swingdesk.execution.order_records import ExecutionReport as ExecutionReport
from swingdesk.execution.order_records import OrderRecords
from swingdesk.execution.protection import StopKeeper, ended_partly_filled
from swingdesk.execution.reconciliation import PositionCorrection
from swingdesk.execution.retry import RetryPolicy
from swingdesk.ports import Broker, BrokerOrder, BrokerPosition, Clock, EventBus
from swingdesk.unit_of_work import BookedOrder, ExecutionBooks

log = logging.getLogger(__name__)


class NotReconciledError(TemporaryError):
    """Trading waits for the first successful reconciliation with the broker."""

    code = "NOT_RECONCILED"


def _no_sector(_: str) -> str | None:
    return None


#: Raises (a TemporaryError) when an approval can no longer be sent, e.g. a lost book lock.
Guard = Callable[[], Awaitable[None]]


async def no_guard() -> None:
    """Vouch for every approval (no book lock to lose)."""
    return None


class ExecutionAgent:
    """Turns a RiskApproved into one broker order and records every outcome."""

    def __init__(
        self,
        broker: Broker,
        store: ExecutionBooks,
        bus: EventBus,
        clock: Clock,
        *,
        retry: RetryPolicy | None = None,
        stale_after_s: float = 300.0,
        fill_polls: int = 3,
        fill_poll_s: float = 0.2,
        sector_of: SectorOf = _no_sector,
        fallback_stop_pct: Decimal = Decimal("0.08"),
        trail: TrailSpec | None = None,
    ) -> None:
        self.broker = broker
        self.store = store
        self.bus = bus
        self.clock = clock
        self.retry = retry or RetryPolicy()
        self.stale_after = timedelta(seconds=stale_after_s)
        self.fill_polls = fill_polls
        self.fill_poll_s = fill_poll_s
        self.booker = Booker(store, bus, clock, sector_of)
        self.records = OrderRecords(store, clock)
        self.stops = StopKeeper(self, fallback_stop_pct=fallback_stop_pct, trail=trail)
        #: False until the start-up reconciliation succeeded (set by the SyncWorker).
        self.ready = True
        #: Held while an order is in flight, so that reconciliation never sees half a booking.
        self.lock = asyncio.Lock()

    async def execute(
        self,
        approval: RiskApproved,
        *,
        sector: str | None,
        before_send: Guard = no_guard,
    ) -> ExecutionReport:
        """Place the approved order (at most once per decision) and book what the broker did.

        ``before_send`` is awaited before the order is stored and again just before the
        broker is called; it raises when the caller can no longer vouch for the approval
        (the book lock was lost), and the order is then refused, never sent.
        """
        if not self.ready:
            raise NotReconciledError(
                "trading waits for a successful reconciliation with the broker "
                "(run `swingdesk reconcile`)"
            )
        async with self.lock:
            return await self._execute(approval, sector, before_send)

    async def _execute(
        self, approval: RiskApproved, sector: str | None, before_send: Guard
    ) -> ExecutionReport:
        client_order_id = client_order_id_for(approval.decision_id, approval.intent)
        existing = await self.store.order(client_order_id)
        now = self.clock.now()
        if existing is None:
            await before_send()
            request = order_request_for(approval, client_order_id, now)
            stale = now - approval.ts_event > self.stale_after
            await self.records.store_request(
                request, rejected_as=STALE_SIGNAL if stale else None, concludes=True
            )
            report = ExecutionReport(request, OrderStatus.NEW, Decimal(0), None, [request])
            if stale:
                report.status, report.error_code = OrderStatus.REJECTED, STALE_SIGNAL
                return report
        else:
            report = _report_from_row(existing, approval)
            request = report.request
            if report.status.is_terminal:
                return report
            # Sent before (or perhaps not): the broker's record decides, never a blind resend.
            found = await self.lookup(client_order_id)
            if found is not None:
                await self._finish(report, found, sector)
                return report
            if now - existing.created_at > self.stale_after:
                await self.records.reject(
                    report, STALE_SIGNAL, "approval too old to send after restart"
                )
                return report
        try:
            await before_send()
        except TemporaryError as exc:
            await self.records.reject(report, exc.code, f"not sent: {exc.message}")
            return report
        if request.intent is Intent.SELL_TO_CLOSE:
            # The stops reserve the shares; a partial close keeps one for the rest.
            if await self._closes_part(request):
                await self.stops.resize_for_close(request.ticker, request.qty)
            else:
                await self.cancel_stops(request.ticker)
        try:
            broker_order = await self.retry.call(lambda: self._submit_once(request))
        except RejectedError as exc:
            await self.records.reject(report, exc.code, exc.message)
            if request.intent is Intent.SELL_TO_CLOSE:
                # Its stops were canceled for it: the shares must not stay unprotected.
                await self.stops.ensure(request.ticker)
            return report
        except TemporaryError as exc:
            await self.records.record_unknown(report, exc)
            return report
        await self._finish(report, broker_order, sector)
        return report

    async def _submit_once(self, request: OrderRequest) -> BrokerOrder:
        """One submission; a duplicate or an unknown outcome is resolved by client order id."""
        try:
            return await self.broker.submit_order(request)
        except DuplicateOrderError:
            found = await self.lookup(request.client_order_id)
            if found is None:
                raise
            return found
        except TemporaryError:
            # The broker may have accepted the order before the failure: look, don't resend.
            found = await self.broker.get_order_by_client_id(request.client_order_id)
            if found is not None:
                return found
            raise  # not there: retrying the submission is safe, the id is the idempotency key

    async def lookup(self, client_order_id: str) -> BrokerOrder | None:
        """Return the broker's record of an order by client order id (retried)."""
        return await self.retry.call(lambda: self.broker.get_order_by_client_id(client_order_id))

    async def broker_positions(self) -> list[BrokerPosition]:
        """Return the broker's positions (retried)."""
        return await self.retry.call(self.broker.get_positions)

    async def book(self, order: BrokerOrder) -> list[Event]:
        """Book the broker's report of an order and its legs as it stands."""
        return await self.booker.book(order)

    async def import_external(self, order: BrokerOrder) -> None:
        """Track a broker order that is not ours (never adopted)."""
        await self.booker.import_external(order)

    async def correct_positions(
        self,
        corrections: Sequence[PositionCorrection],
        stops: Mapping[str, Decimal],
        *,
        actor: str,
    ) -> None:
        """Overwrite our positions with the broker's (reconciliation only), audited."""
        await self.booker.correct_positions(corrections, stops, actor=actor)

    async def _finish(
        self, report: ExecutionReport, order: BrokerOrder, sector: str | None
    ) -> None:
        """Book the order; while it is still working, poll it a few times for its fill."""
        for poll in range(self.fill_polls + 1):
            report.events += await self.settle(order, sector=sector)
            report.status, report.filled_qty = order.status, order.filled_qty
            report.filled_avg_price = order.filled_avg_price
            if order.status not in WORKING_STATUSES or poll == self.fill_polls:
                return
            await self.retry.sleep(self.fill_poll_s)
            try:
                found = await self.lookup(order.client_order_id)
            except TemporaryError:
                return  # reconciliation picks the order up later
            if found is None:
                return
            order = found

    async def cancel_stops(self, ticker: str) -> None:
        """Cancel our working protective stops in ``ticker`` (a close must not race them)."""
        for row in await self.store.open_stop_orders(ticker):
            if not row.external:
                await self.cancel(row.client_order_id, row.broker_order_id)

    async def cancel(self, client_order_id: str, broker_order_id: str | None) -> BrokerOrder | None:
        """Ask the broker to cancel an order of ours, then book what it says became of it."""
        if broker_order_id is not None:
            try:
                await self.retry.call(lambda: self.broker.cancel_order(broker_order_id))
            except RejectedError as exc:  # already filled or canceled: the lookup tells
                log.info("order %s not canceled: %s", client_order_id, exc.message)
        found = await self.lookup(client_order_id)
        if found is not None:
            await self.booker.book(found)
        return found

    async def place(self, request: OrderRequest) -> BrokerOrder | None:
        """Store, send and book an order the desk places itself (a protective stop);
        None when the broker refused it (recorded) or its outcome is not known yet."""
        await self.records.store_request(request, rejected_as=None, own_decision="protection")
        report = ExecutionReport(request, OrderStatus.NEW, Decimal(0), None)
        try:
            placed = await self.retry.call(lambda: self._submit_once(request))
        except RejectedError as exc:
            await self.records.reject(report, exc.code, exc.message)
            return None
        except TemporaryError as exc:
            await self.records.record_unknown(report, exc)
            return None
        await self.booker.book(placed)
        return placed

    async def resolve(self, client_order_id: str) -> OrderStatus:
        """Settle one working order of ours by looking it up at the broker."""
        row = await self.store.order(client_order_id)
        if row is None or OrderStatus(row.status).is_terminal:
            return OrderStatus(row.status) if row else OrderStatus.REJECTED
        found = await self.lookup(client_order_id)
        if found is not None:
            await self.settle(found)
            return found.status
        if self.clock.now() - row.created_at > self.stale_after:
            report = ExecutionReport(
                _request_from_row(row, None), OrderStatus(row.status), row.filled_qty, None
            )
            await self.records.reject(report, NOT_RECEIVED, "the broker never received this order")
            return OrderStatus.REJECTED
        return OrderStatus(row.status)

    async def settle(self, order: BrokerOrder, *, sector: str | None = None) -> list[Event]:
        """Book the broker's report of an order of ours; when it has just ended partly
        filled, first make the protective stops cover exactly the shares held (before the
        booking, so a crash in between repeats the check instead of skipping it)."""
        if ended_partly_filled(order):
            row = await self.store.order(order.client_order_id)
            if row is not None and not row.external and not OrderStatus(row.status).is_terminal:
                await self.stops.ensure(order.ticker, ended=row.client_order_id)
                # Its legs may have been canceled meanwhile: book the broker's fresh view.
                order = await self.lookup(order.client_order_id) or order
        elif await self._entry_just_filled(order):
            # Alpaca's OTO leg can only be a fixed stop: once the entry is complete, the
            # StopKeeper swaps it for the trailing stop the desk is configured with.
            events = await self.booker.book(order, sector=sector)
            await self.stops.ensure(order.ticker)
            return events
        return await self.booker.book(order, sector=sector)

    async def _closes_part(self, request: OrderRequest) -> bool:
        """Say whether a close sells less than our books hold (a partial close)."""
        held = next(
            (p.qty for p in await self.store.positions() if p.ticker == request.ticker), None
        )
        return held is not None and request.qty < held

    async def _entry_just_filled(self, order: BrokerOrder) -> bool:
        """Say whether a trailing desk's entry has just filled completely (not yet booked)."""
        if self.stops.trail is None or order.status is not OrderStatus.FILLED:
            return False
        if order.side is not OrderSide.BUY or order.type is not OrderType.MARKET:
            return False
        row = await self.store.order(order.client_order_id)
        return row is not None and not row.external and row.status != OrderStatus.FILLED.value

    async def record_stop_price(self, ticker: str, stop_price: Decimal) -> None:
        """Record the stop price protecting our position in ``ticker``."""
        async with self.store.tx() as tx:
            await tx.set_stop_price(ticker, stop_price, self.clock.now())

    async def journal(
        self, kind: str, message: str, *, payload: dict[str, Any], decision_id: UUID | None = None
    ) -> None:
        """Append one entry to the audit journal, as the execution desk."""
        async with self.store.tx() as tx:
            await tx.audit(
                kind,
                message,
                now=self.clock.now(),
                decision_id=decision_id,
                actor="execution",
                payload=payload,
            )


def order_request_for(approval: RiskApproved, client_order_id: str, now: datetime) -> OrderRequest:
    """Translate an approval into the order request stored (and sent) under ``coid``."""
    return OrderRequest(
        decision_id=approval.decision_id,
        ts_event=now,
        client_order_id=client_order_id,
        ticker=approval.ticker,
        side=approval.side,
        intent=approval.intent,
        qty=approval.qty,
        # An entry is good till canceled so that its protective stop leg is too (Alpaca gives
        # an OTO's legs the parent's time in force): a day leg would expire at the close and
        # leave the position unprotected overnight, most of a swing trade's life.
        time_in_force=TimeInForce.GTC if approval.intent is Intent.BUY_TO_OPEN else TimeInForce.DAY,
        stop_price=approval.stop_price if approval.intent is Intent.BUY_TO_OPEN else None,
        reference_price=approval.reference_price,
        risk_event_id=approval.event_id,
    )


def _report_from_row(row: BookedOrder, approval: RiskApproved) -> ExecutionReport:
    """Return the report of an order stored before, as it stands in our books."""
    return ExecutionReport(
        _request_from_row(row, approval),
        OrderStatus(row.status),
        row.filled_qty,
        row.filled_avg_price,
        resubmitted=True,
        error_code=row.error_code,
    )


def _request_from_row(row: BookedOrder, approval: RiskApproved | None) -> OrderRequest:
    return OrderRequest(
        decision_id=UUID(row.decision_id) if row.decision_id else uuid4(),
        ts_event=row.created_at,
        client_order_id=row.client_order_id,
        ticker=row.ticker,
        side=OrderSide(row.side),
        intent=Intent(row.intent),
        qty=row.qty,
        type=OrderType(row.type),
        time_in_force=TimeInForce(row.time_in_force),
        stop_price=row.stop_price,
        reference_price=row.reference_price
        or (approval.reference_price if approval else None)
        or row.stop_price
        or Decimal(1),
        risk_event_id=approval.event_id if approval else uuid4(),
    )
