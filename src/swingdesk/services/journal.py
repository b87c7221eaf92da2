"""The trade journal: closed round trips read from the stored fills (see trips.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from swingdesk.domain.exchange_time import NEW_YORK
from swingdesk.services.trips import round_trips, tallies, trip_view
from swingdesk.unit_of_work import ReadViews

MAX_FILLS = 20_000


def _in_range(ts: datetime, since: date | None, until: date | None) -> bool:
    day = ts.astimezone(NEW_YORK).date()
    return (since is None or day >= since) and (until is None or day <= until)


async def journal_view(
    reads: ReadViews,
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
    fills = await reads.journal_fills(limit=MAX_FILLS)
    trips = [
        trip
        for trip in round_trips(fills, sector_of)
        if (ticker is None or trip.ticker == ticker) and _in_range(trip.closed_at, since, until)
    ]
    newest = list(reversed(trips))
    return {"trips": [trip_view(x) for x in newest[:limit]], "count": len(trips), **tallies(trips)}
