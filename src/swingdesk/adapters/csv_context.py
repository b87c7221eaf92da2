"""The CSV provider's optional context files: ``news.csv`` and ``fundamentals.csv``.

``news.csv``: ``symbol,published_at,title`` and optionally ``publisher``, ``url``, ``summary``
(other columns are ignored; rows in any order). ``published_at`` is when the headline became
public: an ISO 8601 timestamp with its offset (``2016-01-05T07:30:00-05:00``, ``...Z``); one
without an offset is New York time; a date alone (``2016-01-05``) means the end of that New
York day, so the headline is first seen the next day and never by that day's decisions.

``fundamentals.csv``: ``symbol,as_of`` and any of ``market_cap_usd``, ``trailing_pe``,
``forward_pe``, ``price_to_book``, ``profit_margin_pct``, ``revenue_growth_pct``,
``debt_to_equity``, ``dividend_yield_pct``, ``beta``, ``short_interest_pct`` (fractions 0-1
for the ``_pct`` columns, a ratio for debt/equity; blank = unknown). ``as_of`` is the date
the figures became public (a filing date, not the fiscal period's end): a row is used from
that New York date on, the newest one on or before the decision's date.

Both are validated at construction, all-or-nothing like the price files, and nothing in them
dated after a decision is ever returned for it: that is the backtest's no-look-ahead rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import ValidationError

from swingdesk.domain.context import Fundamentals, Headline
from swingdesk.domain.exchange_time import ny_date

NEWS_FILE, FUNDAMENTALS_FILE = "news.csv", "fundamentals.csv"
FIGURES = (
    "market_cap_usd", "trailing_pe", "forward_pe", "price_to_book", "profit_margin_pct",
    "revenue_growth_pct", "debt_to_equity", "dividend_yield_pct", "beta", "short_interest_pct",
)  # fmt: skip
_NY = ZoneInfo("America/New_York")
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

Ints = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class ContextProblem:
    """One reason a context file was refused (the CSV provider's CsvProblem shape)."""

    file: str
    line: int
    reason: str


def published_at(text: str) -> datetime:
    """Return a ``published_at`` cell as UTC (see the module docstring); ValueError if bad."""
    text = text.strip()
    if _DATE_ONLY.match(text):
        day = date.fromisoformat(text)
        return datetime.combine(day, time(23, 59, 59), tzinfo=_NY).astimezone(UTC)
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_NY)
    return moment.astimezone(UTC)


def _table(
    path: Path, needed: tuple[str, ...], problems: list[ContextProblem]
) -> pd.DataFrame | None:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    lacking = [c for c in needed if c not in frame.columns]
    if lacking:
        problems.append(ContextProblem(path.name, 1, f"missing columns: {', '.join(lacking)}"))
        return None
    return frame


@dataclass(frozen=True, slots=True)
class _News:
    """One symbol's headlines: times ascending, raw cells, and the Headlines built so far
    (cleaning and validating tens of thousands at start-up would cost a second)."""

    at_s: Ints
    when: tuple[datetime, ...]
    cells: tuple[tuple[str, str | None, str | None, str | None], ...]  # title, publisher, ...
    built: dict[int, Headline | None]

    def headline(self, j: int) -> Headline | None:
        """Return headline ``j``, cleaned and validated on first use."""
        if j not in self.built:
            title, publisher, url, summary = self.cells[j]
            self.built[j] = Headline.of(
                title, self.when[j], publisher=publisher, url=url, summary=summary
            )
        return self.built[j]


@dataclass(frozen=True, slots=True)
class _Figures:
    days: Ints  # as_of day numbers, ascending
    rows: tuple[Fundamentals, ...]


class CsvContext:
    """News and fundamentals from a CSV directory; either file may be absent."""

    def __init__(self, directory: Path, problems: list[ContextProblem]) -> None:
        """Load ``news.csv`` and ``fundamentals.csv``, appending every bad row to ``problems``."""
        news_path, fund_path = directory / NEWS_FILE, directory / FUNDAMENTALS_FILE
        self.has_news = news_path.is_file()
        self.has_fundamentals = fund_path.is_file()
        self._news = self._load_news(news_path, problems) if self.has_news else {}
        self._figures = self._load_figures(fund_path, problems) if self.has_fundamentals else {}

    # --- loading ----------------------------------------------------------------------

    @staticmethod
    def _load_news(path: Path, problems: list[ContextProblem]) -> dict[str, _News]:
        frame = _table(path, ("symbol", "published_at", "title"), problems)
        if frame is None:
            return {}
        cols = {c: frame[c].tolist() if c in frame.columns else None for c in
                ("symbol", "published_at", "title", "publisher", "url", "summary")}  # fmt: skip
        by_symbol: dict[str, list[tuple[int, datetime, tuple[Any, ...]]]] = {}
        for i in range(len(frame)):
            line = i + 2
            symbol = str(cols["symbol"][i]).strip().upper()  # type: ignore[index]
            try:
                when = published_at(str(cols["published_at"][i]))  # type: ignore[index]
            except ValueError:
                problems.append(ContextProblem(path.name, line, "published_at is no ISO time"))
                continue
            title = str(cols["title"][i])  # type: ignore[index]
            if not symbol or not title.strip():
                problems.append(ContextProblem(path.name, line, "symbol or title is empty"))
                continue
            cells = (title, _cell(cols["publisher"], i), _cell(cols["url"], i),
                     _cell(cols["summary"], i))  # fmt: skip
            by_symbol.setdefault(symbol, []).append((int(when.timestamp()), when, cells))
        out = {}
        for symbol, items in by_symbol.items():
            items.sort(key=lambda item: item[0])
            at = np.array([t for t, _, _ in items], dtype=np.int64)
            out[symbol] = _News(
                at, tuple(w for _, w, _ in items), tuple(c for _, _, c in items), {}
            )
        return out

    @staticmethod
    def _load_figures(path: Path, problems: list[ContextProblem]) -> dict[str, _Figures]:
        frame = _table(path, ("symbol", "as_of"), problems)
        if frame is None:
            return {}
        present = [c for c in FIGURES if c in frame.columns]
        by_symbol: dict[str, list[Fundamentals]] = {}
        for i, row in enumerate(frame.to_dict("records")):
            line = i + 2
            symbol = str(row["symbol"]).strip().upper()
            values: dict[str, Any] = {c: row[c].strip() or None for c in present}
            try:
                figures = Fundamentals(
                    as_of=date.fromisoformat(str(row["as_of"]).strip()), source="csv", **values
                )
            except ValueError as exc:  # ValidationError included
                problems.append(ContextProblem(path.name, line, _reason(exc)))
                continue
            if not symbol:
                problems.append(ContextProblem(path.name, line, "symbol is empty"))
                continue
            by_symbol.setdefault(symbol, []).append(figures)
        out = {}
        for symbol, rows in by_symbol.items():
            rows.sort(key=lambda f: f.as_of)
            days = np.array([f.as_of.toordinal() - _EPOCH_ORDINAL for f in rows], dtype=np.int64)
            dup = np.flatnonzero(np.diff(days) == 0)
            if dup.size:
                problems.append(
                    ContextProblem(
                        path.name, 1, f"{symbol} has two rows as of {rows[dup[0]].as_of}"
                    )
                )
                continue
            out[symbol] = _Figures(days, tuple(rows))
        return out

    # --- answers ----------------------------------------------------------------------

    def news(self, ticker: str, now: datetime, limit: int) -> list[Headline] | None:
        """Return the newest ``limit`` headlines published at or before ``now``; None without
        a news file."""
        if not self.has_news:
            return None
        items = self._news.get(ticker)
        if items is None:
            return []
        end = int(np.searchsorted(items.at_s, now.timestamp(), side="right"))
        out: list[Headline] = []
        for j in range(end - 1, -1, -1):
            h = items.headline(j)
            if h is not None:
                out.append(h)
                if len(out) >= limit:
                    break
        return out

    def fundamentals(self, ticker: str, now: datetime) -> Fundamentals | None:
        """Return the newest row dated on or before ``now``'s New York date, None if none."""
        rows = self._figures.get(ticker)
        if rows is None:
            return None
        today = ny_date(now).toordinal() - _EPOCH_ORDINAL
        j = int(np.searchsorted(rows.days, today, side="right")) - 1
        return rows.rows[j] if j >= 0 else None


def _cell(column: list[Any] | None, i: int) -> str | None:
    if column is None:
        return None
    value = str(column[i]).strip()
    return value or None


def _reason(exc: ValueError) -> str:
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err.get("loc", ()))
        return f"{where}: {err.get('msg', 'invalid')}"
    return f"as_of is no YYYY-MM-DD date ({exc})"
