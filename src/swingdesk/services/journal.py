"""The trade journal: closed round trips read from the stored fills (see trips.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from swingdesk.domain.enums import Intent
from swingdesk.domain.exchange_time import NEW_YORK
from swingdesk.services.trips import FillFact, round_trips, tallies, trip_view
from swingdesk.store import tables
from swingdesk.store.store import Store

MAX_FILLS = 20_000


async def fill_facts(store: Store) -> list[FillFact]:
    """Return our fills with their order's type and stop and their decision's trigger."""
    f, o, d = tables.FillRow, tables.OrderRow, tables.DecisionRow
    # Columns, not rows: thousands of fills need no identity map (a third of the time).
    q = (
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
        .limit(MAX_FILLS)
    )
    async with store.read() as session:
        rows = (await session.execute(q)).all()
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


def _in_range(ts: datetime, since: date | None, until: date | None) -> bool:
    day = ts.astimezone(NEW_YORK).date()
    return (since is None or day >= since) and (until is None or day <= until)


async def journal_view(
    store: Store,
    sector_of: Callable[[str], str | None],
    *,
    ticker: str | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int = 200,
) -> dict[str, Any]:
    """Return closed trips newest first (at most ``limit``) with totals by ticker, sector, day.

    The totals cover every trip the filters select, not only the page.
    """
    trips = [
        trip
        for trip in round_trips(await fill_facts(store), sector_of)
        if (ticker is None or trip.ticker == ticker) and _in_range(trip.closed_at, since, until)
    ]
    newest = list(reversed(trips))
    return {"trips": [trip_view(x) for x in newest[:limit]], "count": len(trips), **tallies(trips)}
