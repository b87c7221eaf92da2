"""Small queries shared by the unit of work and the Store's reads."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from swingdesk.domain.enums import TradingState
from swingdesk.store import tables as t


async def positions(session: AsyncSession) -> list[t.PositionRow]:
    """Return our book's open positions, by ticker."""
    return list((await session.scalars(select(t.PositionRow).order_by(t.PositionRow.ticker))).all())


async def current_state(session: AsyncSession) -> TradingState:
    """Return the newest trading state (ACTIVE until something changed it)."""
    row = await session.scalar(
        select(t.TradingStateRow.current).order_by(t.TradingStateRow.seq.desc()).limit(1)
    )
    return TradingState(row) if row else TradingState.ACTIVE


async def activity_since(session: AsyncSession, since: datetime) -> tuple[dict[str, int], int]:
    """Return the decisions made at or after ``since`` counted by status, and the fills."""
    decisions = dict(
        (
            await session.execute(
                select(t.DecisionRow.status, func.count())
                .where(t.DecisionRow.created_at >= since)
                .group_by(t.DecisionRow.status)
            )
        ).all()
    )
    fills = await session.scalar(select(func.count()).where(t.FillRow.ts_event >= since))
    return decisions, fills or 0
