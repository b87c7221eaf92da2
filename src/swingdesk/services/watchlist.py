"""The autopilot's watchlist: validated tickers kept as JSON in the data directory."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from swingdesk.domain.errors import InputError, UnknownTickerError
from swingdesk.domain.ticker import sanitize_ticker

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


def default_watchlist(universe: Sequence[str], size: int = DEFAULT_SIZE) -> list[str]:
    """Return the liquid names the universe has, topped up from the universe in order."""
    known = set(universe)
    picked = [t for t in LIQUID if t in known]
    picked += [t for t in universe if t not in picked][: max(0, size - len(picked))]
    return picked[:size]


class Watchlist:
    """Reads and atomically replaces ``<data_dir>/watchlist.json``."""

    def __init__(self, path: Path, universe: Callable[[], Sequence[str]]) -> None:
        self.path = path
        self.universe = universe

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
