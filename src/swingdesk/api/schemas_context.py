"""Response models of the market context: fundamentals, headlines and their sentiment."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

Money = str  # decimal strings: money never passes through a float


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FundamentalsOut(_Out):
    """Valuation figures as known on ``as_of``; fractions 0-1, decimals as strings."""

    as_of: str
    source: str
    market_cap_usd: Money | None
    trailing_pe: str | None
    forward_pe: str | None
    price_to_book: str | None
    profit_margin_pct: str | None
    revenue_growth_pct: str | None
    debt_to_equity: str | None
    dividend_yield_pct: str | None
    beta: str | None
    short_interest_pct: str | None


class HeadlineOut(_Out):
    """One headline with its sentiment score (-1..1); third-party text, shown as text."""

    title: str
    publisher: str | None
    published_at: str
    url: str | None = Field(description="an http(s) link, or null")
    summary: str | None
    sentiment: float | None


class SentimentOut(_Out):
    """The headlines' aggregate sentiment and how it was measured."""

    method: str
    score: float | None
    headlines: int
    label: str | None


class MarketContextOut(_Out):
    """What a decision's analyst saw beside prices (from its stored snapshot)."""

    fundamentals: FundamentalsOut | None
    news: list[HeadlineOut]
    sentiment: SentimentOut | None
    missing: list[str]


class NewsOut(_Out):
    """A ticker's latest headlines as a snapshot would carry them now."""

    ticker: str
    as_of: str
    headlines: list[HeadlineOut]
    sentiment: SentimentOut | None
    missing: list[str] = Field(description="news and sentiment when the source failed")


class FundamentalsResponse(_Out):
    """A ticker's fundamentals as a snapshot would carry them now."""

    ticker: str
    as_of: str
    fundamentals: FundamentalsOut | None
    missing: list[str] = Field(description="fundamentals when the source had none")
