"""The Store: transactions (units of work) and the reads the desk needs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from swingdesk.domain.enums import (
    TERMINAL_STATUSES,
    DecisionStatus,
    Intent,
    OrderSide,
    OrderStatus,
    OrderType,
    TradingState,
)
from swingdesk.domain.events import (
    FillEvent,
    OrderRequest,
    OrderResponseStatus,
    RiskApproved,
    RiskRejected,
    SignalCreated,
    TradingStateChanged,
)
from swingdesk.domain.market import MarketSnapshot
from swingdesk.domain.orders import check_transition
from swingdesk.domain.portfolio import PositionState, apply_fill
from swingdesk.ports import BrokerOrder
from swingdesk.store import tables as t
from swingdesk.store.audit import GENESIS_HASH, AuditVerification, canonical_json, entry_hash
from swingdesk.store.engine import WRITE, make_engine


@dataclass(frozen=True)
class BookFacts:
    """Our side of the account: positions, marks, trading state, last orders per ticker."""

    positions: dict[str, t.PositionRow]
    high_water_mark: Decimal | None
    start_of_day_equity: Decimal | None
    trading_state: TradingState
    last_order_at: dict[str, datetime]


class Tx:
    """One unit of work: everything added commits together or not at all."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.audited: list[t.AuditRow] = []

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
        head = await s.get(t.AuditHeadRow, 1, with_for_update=True)
        if head is None:
            head = t.AuditHeadRow(id=1, seq=0, hash=GENESIS_HASH)
            s.add(head)
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

    async def set_decision_status(
        self,
        decision_id: UUID,
        status: DecisionStatus,
        now: datetime,
        *,
        failed_stage: str | None = None,
        error_code: str | None = None,
        error_message: str | None = None,
    ) -> None:
        """Record how far a decision got (one UPDATE, no read)."""
        result = await self.session.execute(
            update(t.DecisionRow)
            .where(t.DecisionRow.decision_id == str(decision_id))
            .values(
                status=status.value,
                updated_at=now,
                failed_stage=failed_stage,
                error_code=error_code,
                error_message=error_message,
            )
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 1) == 0:
            raise LookupError(f"decision {decision_id} is not stored")

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

    async def apply_order_status(self, ev: OrderResponseStatus) -> t.OrderRow:
        """Move an order through the state table and keep the broker's report."""
        row = await self.session.get(t.OrderRow, ev.client_order_id, with_for_update=True)
        if row is None:
            raise LookupError(f"order {ev.client_order_id} is not stored")
        current = OrderStatus(row.status)
        if ev.status != current or current is OrderStatus.PARTIALLY_FILLED:
            check_transition(current, ev.status)
        row.status = ev.status.value
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
    ) -> bool:
        """Record a fill and move our position by it; False if it was already recorded."""
        s = self.session
        if await s.get(t.FillRow, fill.fill_id) is not None:
            return False
        order = await s.get(t.OrderRow, fill.client_order_id, with_for_update=True)
        if order is None:
            raise LookupError(f"fill for unknown order {fill.client_order_id}")
        filled = order.filled_qty + fill.qty
        prev_value = order.filled_qty * (order.filled_avg_price or Decimal(0))
        order.filled_avg_price = (prev_value + fill.qty * fill.price) / filled
        order.filled_qty = filled
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
        after = apply_fill(
            current,
            ticker=fill.ticker,
            side=fill.side,
            qty=fill.qty,
            price=fill.price,
            sector=sector,
            stop_price=stop_price,
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
        return True

    async def add_broker_order(
        self,
        order: BrokerOrder,
        *,
        decision_id: str | None,
        intent: Intent,
        external: bool,
        now: datetime,
    ) -> t.OrderRow:
        """Store an order we learnt of from the broker (a stop leg, or an external order)."""
        row = t.OrderRow(
            client_order_id=order.client_order_id,
            decision_id=decision_id,
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

    async def delete_position(self, ticker: str) -> None:
        """Remove our position in ``ticker`` (reconciliation only)."""
        await self.session.execute(delete(t.PositionRow).where(t.PositionRow.ticker == ticker))

    async def trading_state(self) -> TradingState:
        """Return the trading state as this transaction sees it."""
        return await _current_state(self.session)

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


class Store:
    """Owns the engine; hands out units of work and read sessions."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def from_url(cls, url: str) -> Store:
        """Create a Store for an async database URL."""
        return cls(make_engine(url))

    async def close(self) -> None:
        """Release every connection."""
        await self.engine.dispose()

    @asynccontextmanager
    async def tx(self) -> AsyncIterator[Tx]:
        """Open a write transaction; it commits on success and rolls back on any error."""
        async with self.sessions() as session:
            await session.connection(execution_options={WRITE: True})
            try:
                yield Tx(session)
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """Open a read-only session."""
        async with self.sessions() as session:
            yield session

    async def ping(self) -> None:
        """Raise if the database cannot be reached."""
        async with self.read() as s:
            await s.execute(text("SELECT 1"))

    async def trading_state(self) -> TradingState:
        """Return the current trading state (ACTIVE until something changed it)."""
        async with self.read() as s:
            return await _current_state(s)

    async def positions(self) -> list[t.PositionRow]:
        """Return our book's open positions."""
        async with self.read() as s:
            return await _positions(s)

    async def book_facts(self, session_date: str) -> BookFacts:
        """Return, in one consistent read, what only our books know about the account."""
        async with self.read() as s:
            hwm = await s.scalar(
                select(t.AccountSnapshotRow.high_water_mark)
                .order_by(t.AccountSnapshotRow.snapshot_id.desc())
                .limit(1)
            )
            sod = await s.scalar(
                select(t.AccountSnapshotRow.start_of_day_equity)
                .where(t.AccountSnapshotRow.session_date == session_date)
                .order_by(t.AccountSnapshotRow.snapshot_id.asc())
                .limit(1)
            )
            last_orders = await s.execute(
                select(t.OrderRow.ticker, func.max(t.OrderRow.created_at))
                .where(t.OrderRow.external.is_(False))
                .group_by(t.OrderRow.ticker)
            )
            return BookFacts(
                positions={p.ticker: p for p in await _positions(s)},
                high_water_mark=hwm,
                start_of_day_equity=sod,
                trading_state=await _current_state(s),
                last_order_at={ticker: ts for ticker, ts in last_orders.all()},  # noqa: C416
            )

    async def orders(self, *, limit: int = 50) -> list[t.OrderRow]:
        """Return the newest orders first."""
        async with self.read() as s:
            q = select(t.OrderRow).order_by(t.OrderRow.created_at.desc()).limit(limit)
            return list((await s.scalars(q)).all())

    async def order(self, client_order_id: str) -> t.OrderRow | None:
        """Return one order by its client order id."""
        async with self.read() as s:
            return await s.get(t.OrderRow, client_order_id)

    async def open_orders(self) -> list[t.OrderRow]:
        """Return every order our books do not consider finished."""
        terminal = [st.value for st in TERMINAL_STATUSES]
        async with self.read() as s:
            q = select(t.OrderRow).where(t.OrderRow.status.not_in(terminal))
            return list((await s.scalars(q)).all())

    async def known_order_ids(self, client_order_ids: Collection[str]) -> set[str]:
        """Return which of these client order ids our books hold."""
        ids, found = list(client_order_ids), set[str]()
        async with self.read() as s:
            for i in range(0, len(ids), 500):
                q = select(t.OrderRow.client_order_id).where(
                    t.OrderRow.client_order_id.in_(ids[i : i + 500])
                )
                found.update((await s.scalars(q)).all())
        return found

    async def open_stop_orders(self, ticker: str) -> list[t.OrderRow]:
        """Return our working protective stops in ``ticker``."""
        terminal = [st.value for st in TERMINAL_STATUSES]
        async with self.read() as s:
            q = select(t.OrderRow).where(
                t.OrderRow.ticker == ticker,
                t.OrderRow.side == OrderSide.SELL.value,
                t.OrderRow.type == OrderType.STOP.value,
                t.OrderRow.status.not_in(terminal),
            )
            return list((await s.scalars(q)).all())

    async def decision(self, decision_id: str) -> t.DecisionRow | None:
        """Return one decision row."""
        async with self.read() as s:
            return await s.get(t.DecisionRow, decision_id)

    async def llm_spend_since(self, since: datetime) -> Decimal:
        """Return the summed cost of the signals stored at or after ``since``, USD."""
        async with self.read() as s:
            # Summed in Python: SQLite keeps money as text and its SUM would go through float.
            costs = await s.scalars(
                select(t.SignalRow.cost_usd).where(t.SignalRow.ts_event >= since)
            )
            return sum(costs.all(), Decimal(0))

    async def audit_entries(
        self, *, limit: int = 20, before_seq: int | None = None
    ) -> list[t.AuditRow]:
        """Return audit entries, newest first."""
        async with self.read() as s:
            q = select(t.AuditRow).order_by(t.AuditRow.seq.desc()).limit(limit)
            if before_seq is not None:
                q = q.where(t.AuditRow.seq < before_seq)
            return list((await s.scalars(q)).all())

    async def verify_audit(self, *, batch: int = 5000) -> AuditVerification:
        """Recompute the whole hash chain and report every edited or missing entry."""
        report = AuditVerification()
        prev_hash, expected_seq = GENESIS_HASH, 1
        async with self.read() as s:
            stream = await s.stream_scalars(
                select(t.AuditRow).order_by(t.AuditRow.seq).execution_options(yield_per=batch)
            )
            async for row in stream:
                report.entries += 1
                if row.seq != expected_seq:
                    report.problems.append(
                        f"entries {expected_seq}..{row.seq - 1} are missing (deleted)"
                    )
                if row.prev_hash != prev_hash:
                    report.problems.append(f"entry {row.seq}: link to the previous entry broken")
                digest = entry_hash(
                    prev_hash=row.prev_hash,
                    seq=row.seq,
                    entry_id=row.entry_id,
                    ts=row.ts,
                    kind=row.kind,
                    decision_id=row.decision_id,
                    actor=row.actor,
                    message=row.message,
                    payload=row.payload,
                )
                if digest != row.hash:
                    report.problems.append(f"entry {row.seq}: content was edited (hash mismatch)")
                prev_hash, expected_seq = row.hash, row.seq + 1
            head = await s.get(t.AuditHeadRow, 1)
        last_seq = expected_seq - 1
        if head is not None and (head.seq != last_seq or head.hash != prev_hash):
            report.problems.append(
                f"the chain head says entry {head.seq} is last but the log ends at {last_seq} "
                "(entries deleted from the end)"
            )
        if head is None and report.entries:
            report.problems.append("the chain head is missing")
        return report

    async def delete_snapshots(self) -> int:
        """Delete stored market snapshots not tied to a decision; return how many."""
        async with self.tx() as tx:
            result = await tx.session.execute(
                delete(t.SnapshotRow).where(t.SnapshotRow.decision_id.is_(None))
            )
            return int(getattr(result, "rowcount", 0) or 0)


async def _positions(session: AsyncSession) -> list[t.PositionRow]:
    return list((await session.scalars(select(t.PositionRow).order_by(t.PositionRow.ticker))).all())


async def _current_state(session: AsyncSession) -> TradingState:
    row = await session.scalar(
        select(t.TradingStateRow.current).order_by(t.TradingStateRow.seq.desc()).limit(1)
    )
    return TradingState(row) if row else TradingState.ACTIVE
