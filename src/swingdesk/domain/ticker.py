"""Ticker symbol validation."""

from __future__ import annotations

import re

from swingdesk.domain.errors import InvalidTickerError

# One to five letters, optionally a share-class suffix (BRK.B, BF.B) allowed on purpose.
_TICKER = re.compile(r"^[A-Z]{1,5}(\.[A-Z])?$")


def sanitize_ticker(raw: object) -> str:
    """Trim and upper-case a ticker, rejecting anything but 1-5 letters (and a class suffix)."""
    if not isinstance(raw, str):
        raise InvalidTickerError(f"ticker must be a string, got {type(raw).__name__}")
    stripped = raw.strip()
    # upper() turns some non-ASCII letters into ASCII ones ("ß" -> "SS", "ﬀ" -> "FF"): refuse them.
    ticker = stripped.upper() if stripped.isascii() else ""
    if not _TICKER.fullmatch(ticker):
        shown = raw if len(raw) <= 20 else raw[:20] + "..."
        raise InvalidTickerError(
            f"invalid ticker {shown!r}: expected 1-5 letters A-Z "
            "(a class suffix like BRK.B is allowed)",
            details={"ticker": shown},
        )
    return ticker
