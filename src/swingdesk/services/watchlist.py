"""The autopilot's watchlist: validated tickers, kept where every replica reads them.

One process (SQLite): a JSON file in the data directory. Several replicas on one
PostgreSQL: the database (``job_state``), since each pod has a data directory of its own and
the leader that scans must see a list replaced through any replica.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Awaitable, Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

from swingdesk.domain.errors import InputError, UnknownTickerError
from swingdesk.domain.ticker import sanitize_ticker
from swingdesk.ports import MarketData

MAX_TICKERS = 100
DEFAULT_SIZE = 10
#: Very liquid US names: the default watchlist is those of them the market knows.
LIQUID = ("AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA", "JPM", "XOM", "UNH")


def clean_tickers(raw: Iterable[object], universe: Sequence[str]) -> list[str]:
    """Sanitize, de-duplicate (keeping order) and check tickers against the universe."""
    known = set(universe)
    out: list[str] = []
    for item in raw:
        ticker = sanitize_ticker(item)
        if ticker not in known:
            raise UnknownTickerError(
                f"unknown ticker {ticker!r}: not in the market's universe",
                details={"ticker": ticker},
            )
        if ticker not in out:
            out.append(ticker)
    if len(out) > MAX_TICKERS:
        raise InputError(
            f"a watchlist holds at most {MAX_TICKERS} tickers, got {len(out)}",
            details={"count": len(out), "limit": MAX_TICKERS},
        )
    return out


def named(provider: MarketData, ticker: str) -> dict[str, Any]:
    """Return a ticker with its name and sector (the ticker itself when the name is unknown)."""
    try:
        profile = provider.profile(ticker)
    except UnknownTickerError:
        return {"ticker": ticker, "name": ticker, "sector": None}
    return {"ticker": ticker, "name": profile.name or ticker, "sector": profile.sector or None}


def default_watchlist(universe: Sequence[str], size: int = DEFAULT_SIZE) -> list[str]:
    """Return the liquid names the universe has, topped up from the universe in order."""
    known = set(universe)
    picked = [t for t in LIQUID if t in known]
    picked += [t for t in universe if t not in picked][: max(0, size - len(picked))]
    return picked[:size]


class SharedValue(Protocol):
    """A named value every replica reads (``JobState`` on the database)."""

    def get(self, name: str) -> Awaitable[str | None]:
        """Return the value, None when none is stored."""
        ...

    def put_shared(self, name: str, value: str) -> Awaitable[None]:
        """Store the value (any replica may)."""
        ...


class Watchlist:
    """Reads and atomically replaces ``<data_dir>/watchlist.json`` (or the shared value)."""

    KEY = "watchlist"

    def __init__(
        self,
        path: Path,
        universe: Callable[[], Sequence[str]],
        shared: SharedValue | None = None,
    ) -> None:
        self.path = path
        self.universe = universe
        self.shared = shared

    async def current(self) -> list[str]:
        """Return the tickers: the shared list when there is one, else as ``get``."""
        if self.shared is not None:
            raw = await self.shared.get(self.KEY)
            if raw is not None:
                try:
                    return clean_tickers(json.loads(raw), self.universe())
                except (ValueError, TypeError, InputError):
                    return default_watchlist(self.universe())
        return self.get()

    async def replace(self, tickers: Iterable[object]) -> list[str]:
        """Validate and save the tickers (shared when several replicas share a database)."""
        if self.shared is None:
            return self.set(tickers)
        clean = clean_tickers(tickers, self.universe())
        await self.shared.put_shared(self.KEY, json.dumps(clean))
        return clean

    def get(self) -> list[str]:
        """Return the saved tickers, or the default list when none are saved (or unreadable)."""
        try:
            data = json.loads(self.path.read_text())
            tickers = data["tickers"] if isinstance(data, dict) else data
            return clean_tickers(tickers, self.universe())
        except (OSError, ValueError, KeyError, TypeError, InputError):
            return default_watchlist(self.universe())

    def set(self, tickers: Iterable[object]) -> list[str]:
        """Validate and save the tickers; a crash mid-write leaves the old file intact."""
        clean = clean_tickers(tickers, self.universe())
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".watchlist-", suffix=".json", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w") as f:
                json.dump({"tickers": clean}, f)
                f.flush()
                os.fsync(f.fileno())
            Path(tmp).replace(self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return clean
