"""Small queries shared by the unit of work and the Store's reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from swingdesk.domain.enums import TradingState
from swingdesk.store import tables
from swingdesk.unit_of_work import BookFacts

_Snapshot = tables.AccountSnapshotRow
_STATE = select(tables.TradingStateRow.current).order_by(tables.TradingStateRow.seq.desc()).limit(1)
#: The water marks and the trading state, in one statement (built once: no per-call
#: construction or cache-key work).
_MARKS_AND_STATE = select(
    select(_Snapshot.high_water_mark)
    .order_by(_Snapshot.snapshot_id.desc())
    .limit(1)
    .scalar_subquery(),
    select(_Snapshot.start_of_day_equity)
    .where(_Snapshot.session_date == bindparam("session_date"))
    .order_by(_Snapshot.snapshot_id.asc())
    .limit(1)
    .scalar_subquery(),
    _STATE.scalar_subquery(),
)
_LAST_ORDERS = (
    select(tables.OrderRow.ticker, func.max(tables.OrderRow.created_at))
    .where(tables.OrderRow.external.is_(False))
    .group_by(tables.OrderRow.ticker)
)
_POSITIONS = select(tables.PositionRow).order_by(tables.PositionRow.ticker)
#: What the account's facts need of our positions (not the whole row).
_HELD = select(
    tables.PositionRow.ticker, tables.PositionRow.sector, tables.PositionRow.stop_price
).order_by(tables.PositionRow.ticker)


@dataclass(frozen=True, slots=True)
class HeldPosition:
    """What our books keep about an open position beyond the broker's figures."""

    sector: str | None
    stop_price: Decimal | None


async def positions(session: AsyncSession) -> list[tables.PositionRow]:
    """Return our book's open positions, by ticker."""
    return list((await session.scalars(_POSITIONS)).all())


async def current_state(session: AsyncSession) -> TradingState:
    """Return the newest trading state (ACTIVE until something changed it)."""
    return _state(await session.scalar(_STATE))


def _state(value: str | None) -> TradingState:
    return TradingState(value) if value else TradingState.ACTIVE


async def book_facts(conn: AsyncConnection, session_date: str) -> BookFacts:
    """Return, in the connection's one consistent read (one transaction), what only our
    books know: plain column reads, with no ORM objects to build."""
    marks = (await conn.execute(_MARKS_AND_STATE, {"session_date": session_date})).one()
    last_orders = await conn.execute(_LAST_ORDERS)
    held = await conn.execute(_HELD)
    return BookFacts(
        positions={ticker: HeldPosition(sector, stop) for ticker, sector, stop in held.all()},
        high_water_mark=marks[0],
        start_of_day_equity=marks[1],
        trading_state=_state(marks[2]),
        last_order_at={ticker: ts for ticker, ts in last_orders.all()},  # noqa: C416
    )


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
