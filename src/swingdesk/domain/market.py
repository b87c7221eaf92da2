"""What the desk knows about a ticker's market at the moment of a decision."""

from __future__ import annotations

from datetime import UTC, date
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field

from swingdesk.domain.clock import UtcDatetime
from swingdesk.domain.context import CONTEXT_FIELDS, Fundamentals, Headline, Sentiment
from swingdesk.domain.enums import DataSource
from swingdesk.domain.money import Dec, NonNegDec, PosDec
from swingdesk.domain.unchecked import build_unchecked


class MarketSnapshot(BaseModel):
    """Prices and indicators for one ticker; a field the provider could not get is None
    and named in ``missing`` so that risk can fail closed instead of guessing."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ticker: str
    name: str | None = None
    sector: str | None = None
    price: PosDec | None
    prev_close: PosDec | None = None
    day_change_pct: Dec | None = None
    atr_14: NonNegDec | None = None
    sma_20: PosDec | None = None
    sma_50: PosDec | None = None
    prev_sma_20: PosDec | None = Field(default=None, description="SMA-20 one bar earlier")
    prev_sma_50: PosDec | None = Field(default=None, description="SMA-50 one bar earlier")
    adv_20: NonNegDec | None = Field(
        default=None, description="20-day average daily volume, shares"
    )
    volume: NonNegDec | None = Field(default=None, description="today's volume, shares")
    vix: NonNegDec | None = None
    next_earnings: date | None = None
    earnings_in_trading_days: int | None = None
    as_of: UtcDatetime = Field(description="time of the newest price in the snapshot")
    source: DataSource
    market_open: bool = True
    stale: bool = False
    missing: tuple[str, ...] = Field(
        default=(),
        description="fields the provider could not obtain (risk fails closed on these, "
        "except the context: fundamentals, news, sentiment)",
    )
    fundamentals: Fundamentals | None = Field(
        default=None, description="valuation figures as known at the decision"
    )
    news: tuple[Headline, ...] = Field(
        default=(), description="latest headlines published at or before the decision, newest first"
    )
    sentiment: Sentiment | None = Field(
        default=None, description="the headlines' aggregate sentiment, with the method named"
    )

    @classmethod
    def trusted(cls, **fields: Any) -> Self:
        """Build a snapshot from values that already pass every validator, without re-running
        them; anything else goes through the validating constructor.

        For ``make_snapshot`` only, whose values are rounded, finite Decimals (prices and
        SMAs checked positive), ints, dates and flags, every field given in declaration
        order. The one value a validator would change, ``as_of``, is taken as it is only when
        it is already in UTC. The result equals what the constructor would build.
        """
        if fields.keys() != _FIELDS or fields["as_of"].tzinfo is not UTC:
            return cls(**fields)
        return build_unchecked(cls, fields, set(fields))

    def unavailable(self) -> list[str]:
        """List what risk needs for a new long but cannot trust (the context never counts)."""
        required = {
            "price": self.price,
            "atr_14": self.atr_14,
            "adv_20": self.adv_20,
            "vix": self.vix,
            "sector": self.sector,
        }
        gaps = [name for name, value in required.items() if value is None]
        gaps.extend(m for m in self.missing if m not in gaps and m not in CONTEXT_FIELDS)
        if self.stale:
            gaps.append("stale")
        return gaps


_FIELDS = MarketSnapshot.model_fields.keys()

# The seed called it MarketContext; both names refer to the same type.
MarketContext = MarketSnapshot
