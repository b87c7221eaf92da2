"""The exchange's wall clock: US equity trading days are New York calendar days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

NEW_YORK = ZoneInfo("America/New_York")


def ny_date(now: datetime) -> date:
    """Return the New York calendar date of ``now``."""
    return now.astimezone(NEW_YORK).date()


def ny_date_iso(now: datetime) -> str:
    """Return the New York calendar date of ``now`` (the trading day it belongs to)."""
    return now.astimezone(NEW_YORK).date().isoformat()


def ny_midnight(day: date) -> datetime:
    """Return the first instant of New York calendar day ``day``, in UTC."""
    return datetime.combine(day, time(0), tzinfo=NEW_YORK).astimezone(UTC)


def ny_day_start(now: datetime) -> datetime:
    """Return midnight in New York of ``now``'s New York date, in UTC ("today" starts here)."""
    local = now.astimezone(NEW_YORK).date()
    return datetime.combine(local, time(0), tzinfo=NEW_YORK).astimezone(UTC)
