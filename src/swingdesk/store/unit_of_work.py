"""The unit of work: one transaction in which a stage's rows and audit entries commit together."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from swingdesk.domain.enums import (
    Action,
    DecisionStatus,
    Intent,
    OrderSide,
    OrderStatus,
    TradingState,
)
from swingdesk.domain.events import (
    Event,
    FillEvent,
    OrderRequest,
    OrderResponseStatus,
    RiskApproved,
    RiskRejected,
    SignalCreated,
    TradingStateChanged,
)
from swingdesk.domain.market import MarketSnapshot
from swingdesk.domain.orders import accumulate_fill, reported_status
from swingdesk.domain.portfolio import PositionState, apply_fill
from swingdesk.ports import BrokerOrder
from swingdesk.store import tables as t
from swingdesk.store.audit import GENESIS_HASH, audit_payload, canonical_json, entry_hash
from swingdesk.store.queries import current_state
from swingdesk.unit_of_work import DecisionStages, OutboxMessage


class Tx:
    """One unit of work: everything added commits together or not at all.

    Events recorded here (``record``) and every audit entry become outbox messages in the
    same transaction; the Store hands them to its publisher after the commit, so nothing is
    published that did not commit, and nothing committed is lost to the stream.
    """

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.audited: list[t.AuditRow] = []
        self._events: list[Event] = []
        # The journal's head, locked by the first entry of this transaction (held until
        # commit, so no other writer can move it): later entries continue from it.
        self._head: t.AuditHeadRow | None = None

    async def lock_head(self) -> t.AuditHeadRow:
        """Lock the journal head for the rest of the transaction (serialises writers)."""
        head = self._head
        if head is None:
            head = await self.session.get(t.AuditHeadRow, 1, with_for_update=True)
            if head is None:
                head = t.AuditHeadRow(id=1, seq=0, hash=GENESIS_HASH, outbox_seq=0, epoch=0)
                self.session.add(head)
            self._head = head
        return head

    def record(self, *events: Event) -> None:
        """Collect domain events to publish once this transaction has committed."""
        self._events.extend(events)

    async def write_outbox(self) -> list[OutboxMessage]:
        """Write the recorded events, then the audit entries, to the outbox (before commit)."""
        if not self._events and not self.audited:
            return []
        head = await self.lock_head()
        messages: list[OutboxMessage] = []
        bodies = [(_topic(ev), ev.model_dump(mode="json"), ev.ts_event) for ev in self._events]
        bodies += [("audit", audit_payload(row), row.ts) for row in self.audited]
        seq = head.outbox_seq or 0
        for topic, payload, ts in bodies:
            seq += 1
            self.session.add(
                t.OutboxRow(seq=seq, topic=topic, payload=canonical_json(payload), ts=ts)
            )
            messages.append(OutboxMessage(seq, topic, payload, head.epoch or 0))
        head.outbox_seq = seq
        return messages

    async def audit(
        self,
        kind: str,
        message: str,
        *,
        now: datetime,
        decision_id: UUID | None = None,
        actor: str = "system",
        payload: dict[str, Any] | None = None,
    ) -> t.AuditRow:
        """Append one entry to the hash-chained journal."""
        s = self.session
        head = await self.lock_head()
        seq = head.seq + 1
        entry_id = str(uuid4())
        body = canonical_json(payload or {})
        did = str(decision_id) if decision_id else None
        digest = entry_hash(
            prev_hash=head.hash,
            seq=seq,
            entry_id=entry_id,
            ts=now,
            kind=kind,
            decision_id=did,
            actor=actor,
            message=message,
            payload=body,
        )
        row = t.AuditRow(
            seq=seq,
            entry_id=entry_id,
            ts=now,
            kind=kind,
            decision_id=did,
            actor=actor,
            message=message,
            payload=body,
            prev_hash=head.hash,
            hash=digest,
        )
        s.add(row)
        head.seq, head.hash = seq, digest
        self.audited.append(row)
        return row

    async def add_decision(
        self, decision_id: UUID, ticker: str, trigger: str, now: datetime
    ) -> None:
        """Open a decision record."""
        self.session.add(
            t.DecisionRow(
                decision_id=str(decision_id),
                ticker=ticker,
                trigger=trigger,
                status=DecisionStatus.PENDING.value,
                created_at=now,
                updated_at=now,
            )
        )

    async def conclude_decision(
        self,
        decision_id: UUID,
        status: DecisionStatus,
        now: datetime,
        *,
        failed_stage: str | None = None,
        error_code: str | None = None,
        error_message: str | None = None,
    ) -> bool:
        """Record a pending decision's outcome; False if it already had one (kept as it is).

        A decision moves once, from pending to its outcome: a late error can never turn an
        ORDERED decision (an order the broker may hold) into a FAILED one.
        """
        if status is DecisionStatus.PENDING:
            raise ValueError("a decision cannot be concluded as pending")
        result = await self.session.execute(
            update(t.DecisionRow)
            .where(
                t.DecisionRow.decision_id == str(decision_id),
                t.DecisionRow.status == DecisionStatus.PENDING.value,
            )
            .values(
                status=status.value,
                updated_at=now,
                failed_stage=failed_stage,
                error_code=error_code,
                error_message=error_message,
            )
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 1):
            return True
        if await self.decision_status(decision_id) is None:
            raise LookupError(f"decision {decision_id} is not stored")
        return False

    async def decision_stages(self, decision_id: UUID) -> DecisionStages:
        """Return which stages a decision has stored (to settle an interrupted one)."""
        did = str(decision_id)
        action = await self.session.scalar(
            select(t.SignalRow.action).where(t.SignalRow.decision_id == did)
        )
        approved = await self.session.scalar(
            select(t.RiskVerdictRow.approved).where(t.RiskVerdictRow.decision_id == did)
        )
        order = await self.session.scalar(
            select(t.OrderRow.client_order_id)
            .where(t.OrderRow.decision_id == did, t.OrderRow.parent_client_order_id.is_(None))
            .limit(1)
        )
        return DecisionStages(Action(action) if action else None, approved, order is not None)

    async def decision_status(self, decision_id: UUID) -> DecisionStatus | None:
        """Return a decision's status as this transaction sees it."""
        value = await self.session.scalar(
            select(t.DecisionRow.status).where(t.DecisionRow.decision_id == str(decision_id))
        )
        return DecisionStatus(value) if value is not None else None

    async def add_snapshot(
        self, decision_id: UUID | None, snap: MarketSnapshot, now: datetime
    ) -> None:
        """Store the market snapshot a decision used."""
        self.session.add(
            t.SnapshotRow(
                decision_id=str(decision_id) if decision_id else None,
                ticker=snap.ticker,
                price=snap.price,
                source=snap.source.value,
                as_of=snap.as_of,
                taken_at=now,
                payload=snap.model_dump(mode="json"),
            )
        )

    async def add_signal(self, sig: SignalCreated) -> None:
        """Store the analyst's signal."""
        self.session.add(
            t.SignalRow(
                event_id=str(sig.event_id),
                decision_id=str(sig.decision_id),
                ticker=sig.ticker,
                action=sig.action.value,
                confidence=sig.confidence,
                rationale=sig.rationale,
                model=sig.model,
                prompt_hash=sig.prompt_hash,
                reason_code=sig.reason_code,
                latency_ms=sig.latency_ms,
                tokens_in=sig.tokens_in,
                tokens_out=sig.tokens_out,
                cost_usd=sig.cost_usd,
                cache_hit=sig.cache_hit,
                prompt=sig.prompt,
                raw_output=sig.raw_output,
                ts_event=sig.ts_event,
                payload=sig.model_dump(mode="json", exclude={"prompt", "raw_output"}),
            )
        )

    async def add_verdict(self, verdict: RiskApproved | RiskRejected) -> None:
        """Store a risk verdict with every check it evaluated."""
        approved = isinstance(verdict, RiskApproved)
        str(verdict.event_id)
        checks = [
            t.RiskCheckRow(
                position=i,
                code=c.code,
                passed=c.passed,
                value=None if c.value is None else str(c.value),
                limit=None if c.limit is None else str(c.limit),
                message=c.message,
            )
            for i, c in enumerate(verdict.checks)
        ]
        self.session.add(
            t.RiskVerdictRow(
                event_id=str(verdict.event_id),
                decision_id=str(verdict.decision_id),
                ticker=verdict.ticker,
                approved=approved,
                intent=verdict.intent.value if verdict.intent else None,
                qty=verdict.qty,
                stop_price=verdict.stop_price,
                ts_event=verdict.ts_event,
                payload=verdict.model_dump(mode="json", exclude={"checks", "violations"}),
                checks=checks,
            )
        )

    async def add_order(self, req: OrderRequest) -> None:
        """Store an order before the broker hears of it (the idempotency key lives here)."""
        self.session.add(
            t.OrderRow(
                client_order_id=req.client_order_id,
                decision_id=str(req.decision_id),
                ticker=req.ticker,
                side=req.side.value,
                intent=req.intent.value,
                qty=req.qty,
                type=req.type.value,
                time_in_force=req.time_in_force.value,
                stop_price=req.stop_price,
                reference_price=req.reference_price,
                status=OrderStatus.NEW.value,
                filled_qty=Decimal(0),
                external=False,
                created_at=req.ts_event,
                updated_at=req.ts_event,
            )
        )

    async def order_status(self, client_order_id: str) -> OrderStatus | None:
        """Return an order's status as this transaction sees it (None if not stored)."""
        value = await self.session.scalar(
            select(t.OrderRow.status).where(t.OrderRow.client_order_id == client_order_id)
        )
        return OrderStatus(value) if value is not None else None

    async def apply_order_status(self, ev: OrderResponseStatus) -> t.OrderRow:
        """Move an order through the state table and keep the broker's report."""
        row = await self.session.get(t.OrderRow, ev.client_order_id, with_for_update=True)
        if row is None:
            raise LookupError(f"order {ev.client_order_id} is not stored")
        row.status = reported_status(OrderStatus(row.status), ev.status).value
        row.broker_order_id = ev.broker_order_id or row.broker_order_id
        row.error_code, row.message = ev.error_code, ev.message
        row.updated_at = ev.ts_event
        self.session.add(
            t.OrderEventRow(
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
        if await s.get(t.FillRow, fill.fill_id) is not None:
            return None
        order = await s.get(t.OrderRow, fill.client_order_id, with_for_update=True)
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
        s.add(
            t.FillRow(
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
        )
        pos = await s.get(t.PositionRow, fill.ticker, with_for_update=True)
        current = (
            PositionState(
                ticker=pos.ticker,
                qty=pos.qty,
                avg_price=pos.avg_price,
                market_price=pos.avg_price,
                sector=pos.sector,
                stop_price=pos.stop_price,
            )
            if pos is not None
            else None
        )
        beyond = Decimal(0)
        moved = fill.qty
        if fill.side is OrderSide.SELL:
            held = current.qty if current is not None else Decimal(0)
            beyond = max(fill.qty - held, Decimal(0))
            moved = fill.qty - beyond
        after = (
            current
            if moved == 0
            else apply_fill(
                current,
                ticker=fill.ticker,
                side=fill.side,
                qty=moved,
                price=fill.price,
                sector=sector,
                stop_price=stop_price,
            )
        )
        if after is None:
            if pos is not None:
                await s.delete(pos)
        elif pos is None:
            s.add(
                t.PositionRow(
                    ticker=after.ticker,
                    qty=after.qty,
                    avg_price=after.avg_price,
                    sector=after.sector,
                    stop_price=after.stop_price,
                    opened_at=fill.ts_event,
                    updated_at=fill.ts_event,
                )
            )
        else:
            pos.qty, pos.avg_price, pos.stop_price = after.qty, after.avg_price, after.stop_price
            pos.updated_at = fill.ts_event
        return beyond

    async def add_broker_order(
        self,
        order: BrokerOrder,
        *,
        decision_id: str | None,
        intent: Intent,
        external: bool,
        now: datetime,
        parent_client_order_id: str | None = None,
    ) -> t.OrderRow:
        """Store an order we learnt of from the broker (a stop leg, or an external order)."""
        row = t.OrderRow(
            client_order_id=order.client_order_id,
            decision_id=decision_id,
            parent_client_order_id=parent_client_order_id,
            notional=order.notional,
            ticker=order.ticker,
            side=order.side.value,
            intent=intent.value,
            qty=order.qty,
            type=order.type.value,
            time_in_force=order.time_in_force.value,
            stop_price=order.stop_price,
            reference_price=None,
            status=order.status.value,
            filled_qty=Decimal(0) if not external else order.filled_qty,
            filled_avg_price=None if not external else order.filled_avg_price,
            broker_order_id=order.broker_order_id,
            external=external,
            created_at=now,
            updated_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        return row

    async def set_position(
        self, ticker: str, qty: Decimal, avg_price: Decimal, sector: str | None, now: datetime
    ) -> None:
        """Overwrite (or create) our position in ``ticker`` (reconciliation only)."""
        pos = await self.session.get(t.PositionRow, ticker, with_for_update=True)
        if pos is None:
            self.session.add(
                t.PositionRow(
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
            update(t.PositionRow)
            .where(t.PositionRow.ticker == ticker)
            .values(stop_price=stop_price, updated_at=now)
            .execution_options(synchronize_session=False)
        )

    async def delete_position(self, ticker: str) -> None:
        """Remove our position in ``ticker`` (reconciliation only)."""
        await self.session.execute(delete(t.PositionRow).where(t.PositionRow.ticker == ticker))

    async def trading_state(self) -> TradingState:
        """Return the trading state as this transaction sees it."""
        return await current_state(self.session)

    async def record_state_change(self, ev: TradingStateChanged) -> None:
        """Store a trading-state change."""
        seq = (await self.session.scalar(select(func.max(t.TradingStateRow.seq)))) or 0
        self.session.add(
            t.TradingStateRow(
                event_id=str(ev.event_id),
                seq=seq + 1,
                decision_id=str(ev.decision_id) if ev.decision_id else None,
                previous=ev.previous.value,
                current=ev.current.value,
                reason=ev.reason,
                actor=ev.actor,
                cause=ev.cause,
                ts_event=ev.ts_event,
            )
        )

    async def add_account_snapshot(
        self,
        *,
        now: datetime,
        session_date: str,
        cash: Decimal,
        equity: Decimal,
        buying_power: Decimal,
        high_water_mark: Decimal,
        start_of_day_equity: Decimal,
    ) -> None:
        """Store the account's equity, water mark and start-of-day equity."""
        self.session.add(
            t.AccountSnapshotRow(
                ts=now,
                session_date=session_date,
                cash=cash,
                equity=equity,
                buying_power=buying_power,
                high_water_mark=high_water_mark,
                start_of_day_equity=start_of_day_equity,
            )
        )


def _topic(event: Event) -> str:
    return str(getattr(event, "kind", type(event).__name__))
