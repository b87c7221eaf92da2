"""Small queries shared by the unit of work and the Store's reads."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from swingdesk.domain.enums import TradingState
from swingdesk.store import tables


async def positions(session: AsyncSession) -> list[tables.PositionRow]:
    """Return our book's open positions, by ticker."""
    return list(
        (
            await session.scalars(select(tables.PositionRow).order_by(tables.PositionRow.ticker))
        ).all()
    )


async def current_state(session: AsyncSession) -> TradingState:
    """Return the newest trading state (ACTIVE until something changed it)."""
    row = await session.scalar(
        select(tables.TradingStateRow.current).order_by(tables.TradingStateRow.seq.desc()).limit(1)
    )
    return TradingState(row) if row else TradingState.ACTIVE


async def activity_since(session: AsyncSession, since: datetime) -> tuple[dict[str, int], int]:
    """Return the decisions made at or after ``since`` counted by status, and the fills."""
    decisions = dict(
        (
            await session.execute(
                select(tables.DecisionRow.status, func.count())
                .where(tables.DecisionRow.created_at >= since)
                .group_by(tables.DecisionRow.status)
            )
        ).all()
    )
    fills = await session.scalar(select(func.count()).where(tables.FillRow.ts_event >= since))
    return decisions, fills or 0
