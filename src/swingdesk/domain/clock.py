"""Timestamp validation shared by every event; the clock itself is a port."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("timestamp must be timezone-aware")
    return value.astimezone(UTC)


#: A timezone-aware timestamp, normalised to UTC.
UtcDatetime = Annotated[datetime, AfterValidator(_utc)]


def ensure_utc(value: datetime) -> datetime:
    """Return a timezone-aware timestamp in UTC, refusing naive ones."""
    return _utc(value)
