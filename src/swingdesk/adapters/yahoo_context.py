"""Reading Yahoo's news stream and ``Ticker.info`` into headlines and fundamentals (no I/O).

``Ticker.news`` items are ``{"id", "content": {"title", "summary", "pubDate", "provider":
{"displayName"}, "canonicalUrl": {"url"}, "clickThroughUrl": {"url"}, ...}}`` (older yfinance
returned flat ``{"title", "publisher", "link", "providerPublishTime"}``; both are read).
``Ticker.info`` merges the quoteSummary modules and the v7 quote. Two of its figures are
percentages where the desk keeps ratios: ``debtToEquity`` (209.06 means 2.09) and the v7
quote's ``dividendYield`` (0.44 means 0.44%), which also overrides the summaryDetail fraction
of the same name, so its unit depends on which endpoint answered. The yield is therefore
computed from ``dividendRate`` (USD per share, annual) and the price, a ratio with no
ambiguity. Anything not a finite number (Yahoo sends "Infinity" for some P/E) is unknown.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from swingdesk.domain.context import Fundamentals, Headline


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    x = float(value)
    return x if math.isfinite(x) else None


def _dec(value: float | None, places: str) -> Decimal | None:
    return None if value is None else Decimal(repr(value)).quantize(Decimal(places))


def yahoo_headline(item: Any) -> Headline | None:
    """Return one news item as a Headline; None for an ad or an item without title or time."""
    if not isinstance(item, dict) or item.get("ad"):
        return None
    content = item.get("content") if isinstance(item.get("content"), dict) else item
    assert isinstance(content, dict)
    title = content.get("title")
    if not isinstance(title, str):
        return None
    when: datetime | None = None
    stamp = content.get("pubDate") or content.get("displayTime")
    if isinstance(stamp, str):
        try:
            when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        except ValueError:
            when = None
    elif (epoch := _number(content.get("providerPublishTime"))) is not None:
        when = datetime.fromtimestamp(epoch, tz=UTC)
    if when is None or when.tzinfo is None:
        return None
    provider = content.get("provider")
    publisher = provider.get("displayName") if isinstance(provider, dict) else None
    publisher = publisher or content.get("publisher")
    url = None
    for key in ("canonicalUrl", "clickThroughUrl"):
        link = content.get(key)
        if isinstance(link, dict) and isinstance(link.get("url"), str):
            url = link["url"]
            break
    url = url or content.get("link")
    summary = content.get("summary") or content.get("description")
    return Headline.of(
        title,
        when.astimezone(UTC),
        publisher=publisher if isinstance(publisher, str) else None,
        url=url if isinstance(url, str) else None,
        summary=summary if isinstance(summary, str) else None,
    )


def fundamentals_of(info: dict[str, Any], as_of: date) -> Fundamentals | None:
    """Return the figures in a ``Ticker.info`` dict, None when it has none of them."""
    cap = _number(info.get("marketCap"))
    price = next(
        (p for k in ("currentPrice", "regularMarketPrice", "previousClose")
         if (p := _number(info.get(k))) is not None and p > 0),
        None,
    )  # fmt: skip
    rate = _number(info.get("dividendRate"))
    debt = _number(info.get("debtToEquity"))
    values = {
        "market_cap_usd": _dec(cap, "1") if cap and cap > 0 else None,
        "trailing_pe": _dec(_number(info.get("trailingPE")), "0.01"),
        "forward_pe": _dec(_number(info.get("forwardPE")), "0.01"),
        "price_to_book": _dec(_number(info.get("priceToBook")), "0.01"),
        "profit_margin_pct": _dec(_number(info.get("profitMargins")), "0.0001"),
        "revenue_growth_pct": _dec(_number(info.get("revenueGrowth")), "0.0001"),
        "debt_to_equity": _dec(debt / 100, "0.0001") if debt is not None and debt >= 0 else None,
        "dividend_yield_pct": _dec(rate / price, "0.0001")
        if rate is not None and rate >= 0 and price
        else None,
        "beta": _dec(_number(info.get("beta")), "0.01"),
        "short_interest_pct": _dec(_number(info.get("shortPercentOfFloat")), "0.0001"),
    }
    if all(v is None for v in values.values()):
        return None
    try:
        return Fundamentals(as_of=as_of, source="yahoo", **values)
    except ValidationError:
        # A negative short interest or the like: keep what validates rather than nothing.
        safe = {k: v for k, v in values.items() if v is None or v >= 0 or k in _SIGNED}
        return Fundamentals(as_of=as_of, source="yahoo", **safe)


_SIGNED = frozenset(
    {"trailing_pe", "forward_pe", "price_to_book", "profit_margin_pct", "revenue_growth_pct",
     "beta"}
)  # fmt: skip
