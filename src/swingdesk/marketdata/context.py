"""The market context of a snapshot: fundamentals, the latest headlines and their sentiment.

One function, ``gather_context``, asks a ``MarketContextSource`` for both and never lets the
context fail a decision: a source that cannot answer (an outage, a rate limit, a bug) leaves
the piece out and names it in ``missing``, and the snapshot is built from prices as before.
Whatever a source sends, nothing dated after the decision leaves here: headlines published
after ``now`` and fundamentals dated after its New York date are dropped (and logged, since a
source that sends them is broken). Headlines are scored by the injected ``SentimentScorer``;
a score is a pure function of the title, so repeated titles are scored once.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import fmean

from swingdesk.domain.context import Fundamentals, Headline, Sentiment, sentiment_label
from swingdesk.domain.exchange_time import ny_date
from swingdesk.marketdata.settle import settle_all
from swingdesk.ports import MarketContextSource, SentimentScorer

log = logging.getLogger(__name__)

#: Headlines a snapshot carries by default, and how far back they may go.
DEFAULT_MAX_HEADLINES = 5
DEFAULT_LOOKBACK_DAYS = 14


@dataclass(frozen=True, slots=True)
class MarketContext:
    """What ``make_snapshot`` adds beside prices; ``missing`` names what could not be had."""

    fundamentals: Fundamentals | None = None
    news: tuple[Headline, ...] = ()
    sentiment: Sentiment | None = None
    missing: tuple[str, ...] = ()


#: No context asked for (a caller without a source): nothing is added, nothing is missing.
NO_CONTEXT = MarketContext()


class ScoreCache:
    """Remembers the scorer's answer per title (a bounded LRU): scans see the same headlines."""

    def __init__(self, scorer: SentimentScorer, max_entries: int = 50_000) -> None:
        self.scorer = scorer
        self.method = scorer.method
        self.max_entries = max_entries
        self._scores: OrderedDict[str, float] = OrderedDict()

    def score(self, text: str) -> float:
        """Return the compound score of ``text`` in [-1, 1]."""
        hit = self._scores.get(text)
        if hit is not None:
            return hit
        value = min(1.0, max(-1.0, float(self.scorer.score(text))))
        self._scores[text] = value
        if len(self._scores) > self.max_entries:
            self._scores.popitem(last=False)
        return value


def score_headlines(
    headlines: Sequence[Headline], scores: ScoreCache
) -> tuple[tuple[Headline, ...], Sentiment]:
    """Return the headlines with their scores, and the aggregate (the mean of the scores)."""
    scored = tuple(
        h if h.sentiment is not None else h.model_copy(update={"sentiment": scores.score(h.title)})
        for h in headlines
    )
    values = [h.sentiment for h in scored if h.sentiment is not None]
    score = round(fmean(values), 4) if values else None
    return scored, Sentiment(
        method=f"{scores.method} compound score of each title; aggregate = mean",
        score=score,
        headlines=len(values),
        label=sentiment_label(score),
    )


def visible_news(
    headlines: Sequence[Headline], now: datetime, *, limit: int, lookback_days: float
) -> tuple[Headline, ...]:
    """Return at most ``limit`` headlines published in (now - lookback, now], newest first."""
    oldest = now - timedelta(days=lookback_days)
    seen: set[tuple[str, datetime]] = set()
    kept: list[Headline] = []
    for h in sorted(headlines, key=lambda h: h.published_at, reverse=True):
        if h.published_at > now or h.published_at <= oldest:
            continue
        key = (h.title, h.published_at)
        if key in seen:
            continue  # one story syndicated twice
        seen.add(key)
        kept.append(h)
        if len(kept) >= limit:
            break
    return tuple(kept)


async def gather_context(
    source: MarketContextSource,
    scores: ScoreCache | None,
    ticker: str,
    now: datetime,
    *,
    max_headlines: int = DEFAULT_MAX_HEADLINES,
    lookback_days: float = DEFAULT_LOOKBACK_DAYS,
) -> MarketContext:
    """Return ``ticker``'s context at ``now`` from ``source``; never raises for a source's fault."""
    news_r, fund_r = await settle_all(
        source.news(ticker, now, max_headlines),
        source.fundamentals(ticker, now),
        concurrently=source.waits_on_io,
    )
    missing: list[str] = []
    fundamentals = None
    if isinstance(fund_r, BaseException):
        _reraise_fatal(fund_r)
        log.warning("fundamentals of %s unavailable: %s", ticker, _why(fund_r))
    elif fund_r is not None and fund_r.as_of > ny_date(now):
        log.warning("dropped fundamentals of %s dated %s after %s", ticker, fund_r.as_of, now)
    else:
        fundamentals = fund_r
    if fundamentals is None:
        missing.append("fundamentals")
    if isinstance(news_r, BaseException):
        _reraise_fatal(news_r)
        log.warning("news of %s unavailable: %s", ticker, _why(news_r))
        return MarketContext(fundamentals, (), None, (*missing, "news", "sentiment"))
    if news_r is None:  # the source has no news feed
        return MarketContext(fundamentals, (), None, (*missing, "news", "sentiment"))
    if any(h.published_at > now for h in news_r):
        log.warning("dropped headlines of %s published after %s", ticker, now)
    news = visible_news(news_r, now, limit=max_headlines, lookback_days=lookback_days)
    if scores is None:
        return MarketContext(fundamentals, news, None, (*missing, "sentiment"))
    scored, sentiment = score_headlines(news, scores)
    return MarketContext(fundamentals, scored, sentiment, tuple(missing))


def _reraise_fatal(exc: BaseException) -> None:
    # Cancellation and interpreter exits are not the source's fault: let them through.
    if not isinstance(exc, Exception):
        raise exc


def _why(exc: BaseException) -> str:
    try:
        return f"{type(exc).__name__}: {exc}"[:300]
    except Exception:
        return type(exc).__name__
