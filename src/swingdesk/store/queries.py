"""Small queries shared by the unit of work and the Store's reads."""

from __future__ import annotations

from sqlalchemy import select
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
