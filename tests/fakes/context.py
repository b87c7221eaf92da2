"""An in-memory MarketContextSource and SentimentScorer: scripted news and fundamentals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from swingdesk.domain.context import Fundamentals, Headline
from swingdesk.domain.exchange_time import ny_date


@dataclass
class FakeContext:
    """Answers exactly what it is given; ``honest`` filters by ``now`` as the port promises.

    A dishonest source (``honest=False``) hands out everything, future items included, so
    the desk's own guards can be proven. Every call is recorded.
    """

    headlines: dict[str, list[Headline]] = field(default_factory=dict)
    figures: dict[str, list[Fundamentals]] = field(default_factory=dict)
    news_error: Exception | None = None
    fundamentals_error: Exception | None = None
    has_news: bool = True
    waits_on_io: bool = True
    honest: bool = True
    calls: list[tuple[str, str, datetime]] = field(default_factory=list)

    async def news(self, ticker: str, now: datetime, limit: int) -> Sequence[Headline] | None:
        self.calls.append(("news", ticker, now))
        if self.news_error is not None:
            raise self.news_error
        if not self.has_news:
            return None
        items = self.headlines.get(ticker, [])
        if self.honest:
            items = [h for h in items if h.published_at <= now]
        return sorted(items, key=lambda h: h.published_at, reverse=True)[:limit]

    async def fundamentals(self, ticker: str, now: datetime) -> Fundamentals | None:
        self.calls.append(("fundamentals", ticker, now))
        if self.fundamentals_error is not None:
            raise self.fundamentals_error
        rows = self.figures.get(ticker, [])
        if self.honest:
            rows = [f for f in rows if f.as_of <= ny_date(now)]
        return max(rows, key=lambda f: f.as_of) if rows else None


class WordScorer:
    """Scores +0.5 per 'good', -0.5 per 'bad', clamped: predictable sentiment for tests."""

    method = "words-test"

    def __init__(self) -> None:
        self.scored: list[str] = []

    def score(self, text: str) -> float:
        self.scored.append(text)
        words = text.lower().split()
        return max(-1.0, min(1.0, 0.5 * words.count("good") - 0.5 * words.count("bad")))
