"""What the analyst reads beside prices: fundamentals, headlines and their sentiment (pure).

Headlines are untrusted third-party text. They are kept as the source gave them, bounded in
length and stripped of control characters (``clean_text``), so that a stored snapshot shows
later exactly what the analyst was shown; the LLM prompt fences and escapes them again.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from swingdesk.domain.clock import UtcDatetime
from swingdesk.domain.money import Dec, NonNegDec, PosDec

#: The snapshot's context fields. Named in ``missing`` when their source could not answer,
#: but never a reason for risk to fail closed: the desk trades on prices, not on news.
CONTEXT_FIELDS = frozenset({"fundamentals", "news", "sentiment"})

#: Longest title, summary and publisher kept, characters (a longer one ends with an ellipsis).
MAX_TITLE_CHARS = 300
MAX_SUMMARY_CHARS = 600
MAX_PUBLISHER_CHARS = 80
MAX_URL_CHARS = 2000

#: VADER's own thresholds for a positive or negative compound score.
POSITIVE_AT = 0.05
NEGATIVE_AT = -0.05

_SPACES = re.compile(r"\s+")
# Control, format (bidi overrides, zero-width), surrogate, private-use and unassigned points.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def clean_text(text: str, max_chars: int) -> str:
    """Return ``text`` with control and format characters gone, whitespace collapsed to single
    spaces and at most ``max_chars`` characters (an ellipsis marks a cut)."""
    if text.isascii() and text.isprintable():
        out = _SPACES.sub(" ", text).strip()
    else:
        kept = "".join(
            " " if ch.isspace() else ch
            for ch in text
            if ch.isspace() or unicodedata.category(ch) not in _INVISIBLE
        )
        out = _SPACES.sub(" ", kept).strip()
    if len(out) > max_chars:
        out = out[: max_chars - 1].rstrip() + "…"
    return out


def safe_url(url: str | None) -> str | None:
    """Return ``url`` when it is a plain http(s) link without spaces or controls, else None."""
    if not url:
        return None
    url = url.strip()
    lowered = url.lower()
    if not (lowered.startswith("https://") or lowered.startswith("http://")):
        return None  # javascript:, data: and the like are never shown as links
    if len(url) > MAX_URL_CHARS or any(ch.isspace() or not ch.isprintable() for ch in url):
        return None
    return url


def sentiment_label(score: float | None) -> Literal["positive", "neutral", "negative"] | None:
    """Return the word for a compound score (VADER's thresholds), None without a score."""
    if score is None:
        return None
    if score >= POSITIVE_AT:
        return "positive"
    if score <= NEGATIVE_AT:
        return "negative"
    return "neutral"


class Fundamentals(BaseModel):
    """A company's valuation and balance-sheet figures as known on ``as_of``.

    Fractions are 0-1 (``profit_margin_pct`` 0.25 is 25%); ``debt_to_equity`` is a ratio
    (1.5 = debt one and a half times equity). A figure the source lacks is None.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    as_of: date = Field(description="the date these figures were known (never after the decision)")
    source: str = Field(description="where they came from: simulated, csv, yahoo")
    market_cap_usd: PosDec | None = None
    trailing_pe: Dec | None = Field(default=None, description="price / trailing 12-month EPS")
    forward_pe: Dec | None = Field(default=None, description="price / next 12 months' EPS")
    price_to_book: Dec | None = None
    profit_margin_pct: Dec | None = Field(default=None, description="net margin, fraction")
    revenue_growth_pct: Dec | None = Field(
        default=None, description="revenue growth year on year, fraction"
    )
    debt_to_equity: NonNegDec | None = Field(default=None, description="total debt / equity")
    dividend_yield_pct: NonNegDec | None = Field(
        default=None, description="annual dividend / price, fraction"
    )
    beta: Dec | None = Field(default=None, description="to the US market")
    short_interest_pct: NonNegDec | None = Field(
        default=None, description="shares sold short / float, fraction"
    )


class Headline(BaseModel):
    """One news item about a ticker, with its sentiment score once scored."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str = Field(min_length=1, max_length=MAX_TITLE_CHARS)
    publisher: str | None = Field(default=None, max_length=MAX_PUBLISHER_CHARS)
    published_at: UtcDatetime
    url: str | None = Field(default=None, max_length=MAX_URL_CHARS)
    summary: str | None = Field(default=None, max_length=MAX_SUMMARY_CHARS)
    sentiment: float | None = Field(
        default=None, ge=-1.0, le=1.0, description="the scorer's compound score, -1 to 1"
    )

    @field_validator("url")
    @classmethod
    def _plain_link(cls, url: str | None) -> str | None:
        return safe_url(url)

    @classmethod
    def of(
        cls,
        title: str,
        published_at: object,
        *,
        publisher: str | None = None,
        url: str | None = None,
        summary: str | None = None,
    ) -> Headline | None:
        """Return a headline from a source's raw fields, cleaned and capped; None when the
        title is empty once cleaned."""
        clean_title = clean_text(title, MAX_TITLE_CHARS)
        if not clean_title:
            return None
        clean_summary = clean_text(summary, MAX_SUMMARY_CHARS) if summary else ""
        clean_publisher = clean_text(publisher, MAX_PUBLISHER_CHARS) if publisher else ""
        return cls(
            title=clean_title,
            publisher=clean_publisher or None,
            published_at=published_at,
            url=safe_url(url),
            summary=clean_summary or None,
        )


class Sentiment(BaseModel):
    """The headlines' aggregate sentiment and how it was measured."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    method: str = Field(description="scorer and aggregation, e.g. vader-3.3.2 compound, mean")
    score: float | None = Field(
        default=None, ge=-1.0, le=1.0, description="aggregate score, None without headlines"
    )
    headlines: int = Field(default=0, ge=0, description="headlines scored")
    label: Literal["positive", "neutral", "negative"] | None = None
