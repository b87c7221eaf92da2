"""The read port (``unit_of_work.ReadViews``) on SQLAlchemy: the queries behind the API's
read views, filtered, ordered and paged in the database."""

from __future__ import annotations

from dataclasses import fields
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Select, and_, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from swingdesk.domain.enums import Intent
from swingdesk.domain.exchange_time import ny_midnight
from swingdesk.store import tables
from swingdesk.store.audit import audit_payload
from swingdesk.unit_of_work.reads import (
    DecisionFilter,
    DecisionLine,
    FillFact,
    OrderEntry,
    OrderFilter,
    SignalEntry,
    SnapshotEntry,
)

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    from swingdesk.store.store import Store

R = TypeVar("R", bound="DataclassInstance")


def _records(cls: type[R], rows: Any) -> list[R]:
    """Copy each row's same-named attributes into a record of ``cls``."""
    names = [f.name for f in fields(cls)]
    return [cls(**{n: getattr(row, n) for n in names}) for row in rows]


def _decisions_query(
    f: DecisionFilter,
) -> Select[tables.DecisionRow, tables.SignalRow, tables.RiskVerdictRow]:
    d, s, v = tables.DecisionRow, tables.SignalRow, tables.RiskVerdictRow
    q = (
        select(d, s, v)
        .outerjoin(s, s.decision_id == d.decision_id)
        .outerjoin(v, v.decision_id == d.decision_id)
    )
    conds = []
    if f.ticker:
        conds.append(d.ticker == f.ticker)
    if f.action:
        conds.append(s.action == f.action)
    if f.approved is not None:
        conds.append(v.approved.is_(f.approved))
    if f.code:
        c = tables.RiskCheckRow
        conds.append(
            exists().where(c.verdict_id == v.event_id, c.code == f.code, c.passed.is_(False))
        )
    if f.since:
        conds.append(d.created_at >= ny_midnight(f.since))
    if f.until:
        conds.append(d.created_at < ny_midnight(f.until + timedelta(days=1)))
    if f.analyst:
        conds.append(s.model == f.analyst)
    if f.trigger:
        conds.append(d.trigger == f.trigger)
    if conds:
        q = q.where(and_(*conds))
    return q.order_by(d.created_at.desc(), d.decision_id)


async def _failed_codes(session: AsyncSession, verdict_ids: list[str]) -> dict[str, list[str]]:
    """Return the codes of each verdict's failed checks, in check order."""
    failed: dict[str, list[str]] = {}
    if verdict_ids:
        c = tables.RiskCheckRow
        checks = await session.execute(
            select(c.verdict_id, c.code)
            .where(c.verdict_id.in_(verdict_ids), c.passed.is_(False))
            .order_by(c.verdict_id, c.position)
        )
        for vid, code in checks.all():
            failed.setdefault(vid, []).append(code)
    return failed


def _decision_line(
    d: tables.DecisionRow,
    s: tables.SignalRow | None,
    v: tables.RiskVerdictRow | None,
    failed: dict[str, list[str]],
) -> DecisionLine:
    return DecisionLine(
        decision_id=d.decision_id,
        ticker=d.ticker,
        trigger=d.trigger,
        status=d.status,
        created_at=d.created_at,
        error_code=d.error_code,
        action=s.action if s else None,
        confidence=s.confidence if s else None,
        analyst=s.model if s else None,
        rationale=s.rationale if s else None,
        reason_code=s.reason_code if s else None,
        cost_usd=s.cost_usd if s else None,
        approved=v.approved if v else None,
        denial_codes=tuple(failed.get(v.event_id, ())) if v else (),
    )


def _fills_query(limit: int) -> Select[*tuple[Any, ...]]:
    f, o, d = tables.FillRow, tables.OrderRow, tables.DecisionRow
    # Columns, not rows: thousands of fills need no identity map (a third of the time).
    return (
        select(
            f.ticker,
            f.side,
            f.qty,
            f.price,
            f.commission,
            f.ts_event,
            f.client_order_id,
            f.decision_id,
            o.type,
            o.stop_price,
            o.intent,
            d.trigger,
        )
        .join(o, o.client_order_id == f.client_order_id)
        .outerjoin(d, d.decision_id == o.decision_id)
        .where(o.external.is_(False))
        .order_by(f.ts_event)
        .limit(limit)
    )


class ReadModels:
    """Answers the read views' questions from the store's read sessions."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def orders(self, f: OrderFilter, *, offset: int, limit: int) -> list[OrderEntry]:
        """Return stored orders, newest first, of New York days ``since``..``until``."""
        o = tables.OrderRow
        q = select(o).order_by(o.created_at.desc(), o.client_order_id)
        if f.since:
            q = q.where(o.created_at >= ny_midnight(f.since))
        if f.until:
            q = q.where(o.created_at < ny_midnight(f.until + timedelta(days=1)))
        if f.status:
            q = q.where(o.status == f.status)
        if f.ticker:
            q = q.where(o.ticker == f.ticker)
        async with self.store.read() as s:
            rows = (await s.scalars(q.offset(offset).limit(limit))).all()
        return _records(OrderEntry, rows)

    async def decisions(self, f: DecisionFilter, *, offset: int, limit: int) -> list[DecisionLine]:
        """Return decisions newest first with their signal, verdict and denial codes."""
        async with self.store.read() as session:
            q = _decisions_query(f).offset(offset).limit(limit)
            rows = (await session.execute(q)).all()
            failed = await _failed_codes(session, [v.event_id for _, _, v in rows if v])
        return [_decision_line(d, s, v, failed) for d, s, v in rows]

    async def analysts(self) -> list[str]:
        """Return the analysts (models) that have signed a decision."""
        async with self.store.read() as session:
            names = await session.scalars(
                select(tables.SignalRow.model).distinct().order_by(tables.SignalRow.model)
            )
            return list(names.all())

    async def journal_fills(self, *, limit: int) -> list[FillFact]:
        """Return our fills, oldest first, with their order's type and stop and their
        decision's trigger."""
        async with self.store.read() as session:
            rows = (await session.execute(_fills_query(limit))).all()
        opening = Intent.BUY_TO_OPEN.value
        return [
            FillFact(
                ticker=ticker,
                side=side,
                qty=qty,
                price=price,
                commission=commission,
                ts=ts,
                client_order_id=client_order_id,
                decision_id=decision_id,
                order_type=otype,
                trigger=trigger,
                stop_price=stop if intent == opening else None,
            )
            for (
                ticker,
                side,
                qty,
                price,
                commission,
                ts,
                client_order_id,
                decision_id,
                otype,
                stop,
                intent,
                trigger,
            ) in rows
        ]

    async def audit(self, *, limit: int, before_seq: int | None) -> list[dict[str, object]]:
        """Return audit entries newest first, rendered as the API and the stream show them."""
        rows = await self.store.audit_entries(limit=limit, before_seq=before_seq)
        return [audit_payload(r) for r in rows]

    async def signals(self, *, ticker: str | None, offset: int, limit: int) -> list[SignalEntry]:
        """Return the analyst's signals, newest first."""
        r = tables.SignalRow
        q = select(r).order_by(r.ts_event.desc(), r.event_id)
        if ticker:
            q = q.where(r.ticker == ticker)
        async with self.store.read() as s:
            rows = (await s.scalars(q.offset(offset).limit(limit))).all()
        return _records(SignalEntry, rows)

    async def snapshots(
        self, *, ticker: str | None, offset: int, limit: int
    ) -> list[SnapshotEntry]:
        """Return stored market snapshots, newest first."""
        r = tables.SnapshotRow
        q = select(r).order_by(r.taken_at.desc(), r.snapshot_id.desc())
        if ticker:
            q = q.where(r.ticker == ticker)
        async with self.store.read() as s:
            rows = (await s.scalars(q.offset(offset).limit(limit))).all()
        return _records(SnapshotEntry, rows)
