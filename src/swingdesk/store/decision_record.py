"""Everything stored about one decision, read in one session (for ``explain``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from swingdesk.store import tables as t
from swingdesk.store.audit import audit_payload
from swingdesk.store.store import Store


@dataclass(frozen=True)
class DecisionRows:
    """A decision's stored rows: what it saw, was told and did, and its journal entries."""

    decision: t.DecisionRow
    snapshot: t.SnapshotRow | None
    signal: t.SignalRow | None
    verdict: t.RiskVerdictRow | None
    checks: list[t.RiskCheckRow]
    orders: list[t.OrderRow]
    statuses: list[t.OrderEventRow]
    fills: list[t.FillRow]
    audit: list[dict[str, Any]]


async def load_decision(store: Store, decision_id: str) -> DecisionRows | None:
    """Return the stored rows of decision ``decision_id`` (a canonical UUID), or None."""
    async with store.read() as session:
        decision = await session.get(t.DecisionRow, decision_id)
        if decision is None:
            return None
        verdict = await session.scalar(
            select(t.RiskVerdictRow).where(t.RiskVerdictRow.decision_id == decision_id)
        )
        orders = await _all(
            session,
            select(t.OrderRow)
            .where(t.OrderRow.decision_id == decision_id)
            .order_by(t.OrderRow.created_at),
        )
        order_ids = [o.client_order_id for o in orders]
        return DecisionRows(
            decision=decision,
            snapshot=await session.scalar(
                select(t.SnapshotRow).where(t.SnapshotRow.decision_id == decision_id)
            ),
            signal=await session.scalar(
                select(t.SignalRow).where(t.SignalRow.decision_id == decision_id)
            ),
            verdict=verdict,
            checks=[]
            if verdict is None
            else await _all(
                session,
                select(t.RiskCheckRow)
                .where(t.RiskCheckRow.verdict_id == verdict.event_id)
                .order_by(t.RiskCheckRow.position),
            ),
            orders=orders,
            statuses=[]
            if not order_ids
            else await _all(
                session,
                select(t.OrderEventRow)
                .where(t.OrderEventRow.client_order_id.in_(order_ids))
                .order_by(t.OrderEventRow.ts_event),
            ),
            fills=[]
            if not order_ids
            else await _all(
                session,
                select(t.FillRow)
                .where(t.FillRow.client_order_id.in_(order_ids))
                .order_by(t.FillRow.ts_event),
            ),
            audit=[
                audit_payload(a)
                for a in await _all(
                    session,
                    select(t.AuditRow)
                    .where(t.AuditRow.decision_id == decision_id)
                    .order_by(t.AuditRow.seq),
                )
            ],
        )


async def _all(session: AsyncSession, query: Any) -> list[Any]:
    return list((await session.scalars(query)).all())
