"""The NYSE trading calendar (XNYS), built once per process from ``exchange_calendars``.

Every query is answered from precomputed numpy arrays with ``searchsorted``, because the
library's own lookups cost tens of microseconds each and a decision makes several.
Time always comes in as an argument: the calendar never reads the clock.
"""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import exchange_calendars as xcals
import numpy as np
import numpy.typing as npt

from swingdesk.domain.clock import ensure_utc
from swingdesk.domain.errors import ConfigurationError

EXCHANGE = "XNYS"
EXCHANGE_TZ = ZoneInfo("America/New_York")
DEFAULT_START = date(2010, 1, 1)
#: How far past the latest date asked about the calendar is built (whole calendar years).
YEARS_AHEAD = 2

_EPOCH_DAY = date(1970, 1, 1)


@dataclass(frozen=True, slots=True)
class SessionSchedule:
    """Every session in a date range: dates as day numbers, opens and closes as Unix seconds."""

    start: date
    end: date
    days: npt.NDArray[np.int64]
    opens_s: npt.NDArray[np.int64]
    closes_s: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.days.size)

    def session_date(self, index: int) -> date:
        """Return the date of the session at ``index``."""
        return _EPOCH_DAY + timedelta(days=int(self.days[index]))


def day_number(day: date) -> int:
    """Return the number of days since 1970-01-01."""
    return (day - _EPOCH_DAY).days


def _utc_seconds(values: Any) -> npt.NDArray[np.int64]:
    # exchange_calendars returns a tz-aware series; its int64 view unit may be ns or us.
    idx = values.dt.tz_convert("UTC").dt.tz_localize(None)
    return np.asarray(idx.values.astype("datetime64[s]").astype(np.int64), dtype=np.int64)


@cache
def _schedule(start: date, end: date) -> SessionSchedule:
    # Building XNYS takes ~0.1 s; the cache makes it once per (start, end) per process.
    with warnings.catch_warnings():
        # exchange_calendars 4.x reads tz-aware Series.values, which pandas 3.1 deprecates;
        # the values it gets are still correct UTC nanoseconds.
        warnings.filterwarnings("ignore", message="Series.values returning an ndarray")
        cal = xcals.get_calendar(EXCHANGE, start=start.isoformat(), end=end.isoformat())
    sessions = cal.sessions
    days = np.asarray(sessions.values.astype("datetime64[D]").astype(np.int64), dtype=np.int64)
    return SessionSchedule(
        start=start,
        end=end,
        days=days,
        opens_s=_utc_seconds(cal.opens),
        closes_s=_utc_seconds(cal.closes),
    )


class TradingCalendar:
    """NYSE sessions from ``start`` to two years past the latest date asked about.

    With ``end=None`` the calendar grows on demand: the first query (or ``ensure_covers``)
    builds it through 31 December two years after the date asked about, so a long-running
    process keeps working across years. An explicit ``end`` is a hard limit instead.
    """

    def __init__(self, *, start: date = DEFAULT_START, end: date | None = None) -> None:
        self._start = start
        self._fixed_end = end
        self._sched: SessionSchedule | None = None
        self._lock = threading.Lock()

    # --- coverage ---------------------------------------------------------------------

    def ensure_covers(self, day: date) -> SessionSchedule:
        """Return the schedule, building or extending it so that it covers ``day``."""
        sched = self._sched
        if sched is not None and sched.start <= day <= sched.end:
            return sched
        if day < self._start:
            raise ConfigurationError(
                f"{day} is before the trading calendar's start {self._start}",
                details={"date": day.isoformat(), "start": self._start.isoformat()},
            )
        if self._fixed_end is not None:
            if day > self._fixed_end:
                raise ConfigurationError(
                    f"{day} is after the trading calendar's end {self._fixed_end}",
                    details={"date": day.isoformat(), "end": self._fixed_end.isoformat()},
                )
            end = self._fixed_end
        else:
            end = date(day.year + YEARS_AHEAD, 12, 31)
            if sched is not None:
                end = max(end, sched.end)
        with self._lock:
            self._sched = _schedule(self._start, end)
            return self._sched

    def _for_time(self, now: datetime) -> tuple[SessionSchedule, int]:
        now = ensure_utc(now)
        return self.ensure_covers(self.exchange_date(now)), int(now.timestamp())

    # --- queries ----------------------------------------------------------------------

    @staticmethod
    def exchange_date(now: datetime) -> date:
        """Return the calendar date in New York at ``now``."""
        return ensure_utc(now).astimezone(EXCHANGE_TZ).date()

    def sessions_between(self, start: date, end: date) -> list[date]:
        """Return the session dates from ``start`` to ``end``, both included."""
        if end < start:
            return []
        sched = self.ensure_covers(end)
        self.ensure_covers(start)
        lo = int(sched.days.searchsorted(day_number(start), side="left"))
        hi = int(sched.days.searchsorted(day_number(end), side="right"))
        return [sched.session_date(i) for i in range(lo, hi)]

    def is_session(self, day: date) -> bool:
        """Say whether ``day`` is an NYSE trading session."""
        sched = self.ensure_covers(day)
        i = int(sched.days.searchsorted(day_number(day), side="left"))
        return i < len(sched) and int(sched.days[i]) == day_number(day)

    def session_open(self, session: date) -> datetime:
        """Return the opening time (UTC) of ``session``; raise ValueError if it is no session."""
        sched = self.ensure_covers(session)
        return _utc(int(sched.opens_s[self._session_index(sched, session)]))

    def session_close(self, session: date) -> datetime:
        """Return the closing time (UTC) of ``session``; raise ValueError if it is no session."""
        sched = self.ensure_covers(session)
        return _utc(int(sched.closes_s[self._session_index(sched, session)]))

    def previous_close(self, now: datetime) -> datetime:
        """Return the latest session close at or before ``now``, in UTC."""
        sched, t = self._for_time(now)
        return _utc(int(sched.closes_s[self._last_closed_index(sched, t, now)]))

    def last_closed_session(self, now: datetime) -> date:
        """Return the date of the latest session that closed at or before ``now``."""
        sched, t = self._for_time(now)
        return sched.session_date(self._last_closed_index(sched, t, now))

    def is_open(self, now: datetime) -> bool:
        """Say whether NYSE's regular session is in progress at ``now``."""
        sched, t = self._for_time(now)
        i = int(sched.opens_s.searchsorted(t, side="right")) - 1
        return i >= 0 and t < int(sched.closes_s[i])

    def trading_days_until(self, today: date, target: date) -> int:
        """Count sessions after ``today`` up to and including ``target`` (negative if past)."""
        if target < today:
            return -self.trading_days_until(target, today)
        sched = self.ensure_covers(target)
        self.ensure_covers(today)
        after_today = int(sched.days.searchsorted(day_number(today), side="right"))
        through_target = int(sched.days.searchsorted(day_number(target), side="right"))
        return through_target - after_today

    # --- helpers ----------------------------------------------------------------------

    @staticmethod
    def _session_index(sched: SessionSchedule, session: date) -> int:
        i = int(sched.days.searchsorted(day_number(session), side="left"))
        if i >= len(sched) or int(sched.days[i]) != day_number(session):
            raise ValueError(f"{session} is not an NYSE session")
        return i

    @staticmethod
    def _last_closed_index(sched: SessionSchedule, t: int, now: datetime) -> int:
        j = int(sched.closes_s.searchsorted(t, side="right")) - 1
        if j < 0:
            raise ConfigurationError(
                f"no session closed at or before {now.isoformat()} in the trading calendar",
                details={"now": now.isoformat(), "start": sched.start.isoformat()},
            )
        return j


def _utc(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)
