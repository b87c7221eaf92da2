"""Which windows a backtest may ask for, checked before anything runs (CLI and API alike).

An unbounded window is not a long backtest but a broken one: an end in the year 9999 fails
deep in the calendar, and a simulated run to 2250 writes two centuries of made-up prices.

- CSV data: ``start`` and ``end`` lie within the data, from the first bar to the last bar
  of the tickers asked for (every ticker file with ``--universe all``). The first and last
  line of each file are read, not the whole file; the run itself validates every bar.
- Simulated market: from its first session (``EPOCH``, 2019-01-02) to at most
  ``SIM_FUTURE_DAYS`` past today (by the caller's clock; the market is drawn forward, and
  a month lets a window end on the coming month's last session), and at most
  ``MAX_SIM_YEARS`` long.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

from swingdesk.adapters.simulated_market import EPOCH
from swingdesk.backtest.result import BacktestParams
from swingdesk.backtest.universe import ticker_files
from swingdesk.domain.errors import InputError

#: How far past today a simulated window may end, days.
SIM_FUTURE_DAYS = 31
#: The longest simulated window, years (about 2,520 sessions).
MAX_SIM_YEARS = 10


class DateRangeError(InputError):
    """The window lies outside what the backtest's data can replay."""

    code = "DATE_OUT_OF_RANGE"


def check_window(params: BacktestParams, *, today: date) -> None:
    """Raise DateRangeError when the window lies outside the run's data or bounds."""
    start, end = params.start, params.end
    if params.simulated:
        latest = today + timedelta(days=SIM_FUTURE_DAYS)
        details = {
            "earliest": EPOCH.isoformat(),
            "latest": latest.isoformat(),
            "max_years": MAX_SIM_YEARS,
        }
        if start < EPOCH or end > latest:
            raise DateRangeError(
                f"the simulated market replays {EPOCH} to {latest} (today plus "
                f"{SIM_FUTURE_DAYS} days); {start}..{end} is outside",
                details=details,
            )
        if end > _years_after(start, MAX_SIM_YEARS):
            raise DateRangeError(
                f"a simulated backtest spans at most {MAX_SIM_YEARS} years; {start}..{end} "
                "is longer",
                details=details,
            )
        return
    if params.data_dir is None:
        return  # check_params refuses it
    span = data_span(params.data_dir, None if params.universe_all else params.tickers)
    if span is None:
        return  # no readable file: the run names each one's problem
    first, last = span
    if start < first or end > last:
        raise DateRangeError(
            f"the data runs from {first} to {last}; {start}..{end} is outside it",
            details={"earliest": first.isoformat(), "latest": last.isoformat()},
        )


def data_span(directory: Path, tickers: Iterable[str] | None) -> tuple[date, date] | None:
    """Return the first and last bar dates over ``tickers``' files (None: every file)."""
    files = ticker_files(directory)
    chosen = files.values() if tickers is None else (files[t] for t in tickers if t in files)
    firsts, lasts = [], []
    for path in chosen:
        span = _file_span(path)
        if span is not None:
            firsts.append(span[0])
            lasts.append(span[1])
    return (min(firsts), max(lasts)) if firsts else None


def _file_span(path: Path) -> tuple[date, date] | None:
    """Return the dates of a ticker file's first and last rows, None when they do not parse."""
    with path.open("rb") as f:
        names = [n.strip().lower() for n in f.readline().split(b",")]
        first = f.readline()
        f.seek(0, 2)
        f.seek(max(0, f.tell() - 512))  # far more than one row
        rows = [line for line in f.read().splitlines() if line.strip()]
    try:
        column = names.index(b"date")
        return _day(first, column), _day(rows[-1], column)
    except (ValueError, IndexError):
        return None


def _day(line: bytes, column: int) -> date:
    return date.fromisoformat(line.split(b",")[column].strip().decode())


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)
