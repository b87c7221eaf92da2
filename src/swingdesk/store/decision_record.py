"""Everything stored about one decision, read in one session (for ``explain``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from swingdesk.store import tables
from swingdesk.store.audit import audit_payload
from swingdesk.store.store import Store


@dataclass(frozen=True)
class DecisionRows:
    """A decision's stored rows: what it saw, was told and did, and its journal entries."""

    decision: tables.DecisionRow
    snapshot: tables.SnapshotRow | None
    signal: tables.SignalRow | None
    verdict: tables.RiskVerdictRow | None
    checks: list[tables.RiskCheckRow]
    orders: list[tables.OrderRow]
    statuses: list[tables.OrderEventRow]
    fills: list[tables.FillRow]
    audit: list[dict[str, Any]]


async def load_decision(store: Store, decision_id: str) -> DecisionRows | None:
    """Return the stored rows of decision ``decision_id`` (a canonical UUID), or None."""
    async with store.read() as session:
        decision = await session.get(tables.DecisionRow, decision_id)
        if decision is None:
            return None
        verdict = await session.scalar(
            select(tables.RiskVerdictRow).where(tables.RiskVerdictRow.decision_id == decision_id)
        )
        orders = await _all(
            session,
            select(tables.OrderRow)
            .where(tables.OrderRow.decision_id == decision_id)
            .order_by(tables.OrderRow.created_at),
        )
        order_ids = [o.client_order_id for o in orders]
        return DecisionRows(
            decision=decision,
            snapshot=await session.scalar(
                select(tables.SnapshotRow).where(tables.SnapshotRow.decision_id == decision_id)
            ),
            signal=await session.scalar(
                select(tables.SignalRow).where(tables.SignalRow.decision_id == decision_id)
            ),
            verdict=verdict,
            checks=[]
            if verdict is None
            else await _all(
                session,
                select(tables.RiskCheckRow)
                .where(tables.RiskCheckRow.verdict_id == verdict.event_id)
                .order_by(tables.RiskCheckRow.position),
            ),
            orders=orders,
            statuses=[]
            if not order_ids
            else await _all(
                session,
                select(tables.OrderEventRow)
                .where(tables.OrderEventRow.client_order_id.in_(order_ids))
                .order_by(tables.OrderEventRow.ts_event),
            ),
            fills=[]
            if not order_ids
            else await _all(
                session,
                select(tables.FillRow)
                .where(tables.FillRow.client_order_id.in_(order_ids))
                .order_by(tables.FillRow.ts_event),
            ),
            audit=[
                audit_payload(a)
                for a in await _all(
                    session,
                    select(tables.AuditRow)
                    .where(tables.AuditRow.decision_id == decision_id)
                    .order_by(tables.AuditRow.seq),
                )
            ],
        )


async def _all(session: AsyncSession, query: Any) -> list[Any]:
    return list((await session.scalars(query)).all())
