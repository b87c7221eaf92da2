"""The market context as the API and `explain` show it: fundamentals, headlines, sentiment.

A decision's context comes from its stored snapshot payload (``snapshot.model_dump``), so an
explain years later shows exactly the headlines, scores and figures the analyst saw; a
snapshot stored before the context existed shows none, with nothing claimed missing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from swingdesk.domain.context import CONTEXT_FIELDS
from swingdesk.marketdata.context import MarketContext


def context_record(payload: dict[str, Any]) -> dict[str, Any]:
    """Return the context part of a stored snapshot payload."""
    return {
        "fundamentals": payload.get("fundamentals"),
        "news": list(payload.get("news") or []),
        "sentiment": payload.get("sentiment"),
        "missing": [m for m in payload.get("missing") or [] if m in CONTEXT_FIELDS],
    }


def news_view(ticker: str, now: datetime, ctx: MarketContext) -> dict[str, Any]:
    """Return GET /api/news/{ticker}'s body."""
    return {
        "ticker": ticker,
        "as_of": now.isoformat(),
        "headlines": [h.model_dump(mode="json") for h in ctx.news],
        "sentiment": None if ctx.sentiment is None else ctx.sentiment.model_dump(mode="json"),
        "missing": [m for m in ctx.missing if m in ("news", "sentiment")],
    }


def fundamentals_view(ticker: str, now: datetime, ctx: MarketContext) -> dict[str, Any]:
    """Return GET /api/fundamentals/{ticker}'s body."""
    f = ctx.fundamentals
    return {
        "ticker": ticker,
        "as_of": now.isoformat(),
        "fundamentals": None if f is None else f.model_dump(mode="json"),
        "missing": [m for m in ctx.missing if m == "fundamentals"],
    }
