"""The decisions explorer: every decision with its signal, verdict and denial codes, filtered
and paged in the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, and_, exists, select

from swingdesk.domain.exchange_time import ny_midnight
from swingdesk.store import tables
from swingdesk.store.store import Store


@dataclass(frozen=True)
class DecisionFilter:
    """What the explorer narrows to; None means any."""

    ticker: str | None = None
    action: str | None = None
    approved: bool | None = None
    code: str | None = None
    since: date | None = None
    until: date | None = None
    analyst: str | None = None
    trigger: str | None = None


def _filtered(
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


async def decisions_page(
    store: Store, f: DecisionFilter, *, limit: int, offset: int
) -> dict[str, Any]:
    """Return decisions newest first, one page, with the offset of the next."""
    async with store.read() as session:
        rows = (await session.execute(_filtered(f).offset(offset).limit(limit + 1))).all()
        page = rows[:limit]
        verdict_ids = [v.event_id for _, _, v in page if v is not None]
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
    items = [
        {
            "decision_id": d.decision_id,
            "ticker": d.ticker,
            "trigger": d.trigger,
            "status": d.status,
            "created_at": d.created_at.isoformat(),
            "action": s.action if s else None,
            "confidence": s.confidence if s else None,
            "analyst": s.model if s else None,
            "rationale": s.rationale if s else None,
            "reason_code": s.reason_code if s else None,
            "cost_usd": str(s.cost_usd) if s else None,
            "approved": v.approved if v else None,
            "denial_codes": failed.get(v.event_id, []) if v else [],
            "error_code": d.error_code,
            "manual": d.trigger == "manual",
        }
        for d, s, v in page
    ]
    return {
        "items": items,
        "limit": limit,
        "offset": offset,
        "next_offset": offset + limit if len(rows) > limit else None,
    }


async def analysts(store: Store) -> list[str]:
    """Return the analysts (models) that have signed a decision, for the explorer's filter."""
    async with store.read() as session:
        names = await session.scalars(
            select(tables.SignalRow.model).distinct().order_by(tables.SignalRow.model)
        )
        return list(names.all())
