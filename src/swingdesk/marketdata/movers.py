"""Quotes and the day's movers over any MarketData provider (for the API and dashboard).

A quote reads one year of daily bars: the newest bar gives price and volume, the one
before it the previous close, and the whole year the 52-week range. Market cap comes from
the provider when it has a ``market_cap`` method (Yahoo); otherwise it is None.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Protocol, runtime_checkable

import numpy as np
from pydantic import BaseModel, ConfigDict

from swingdesk.domain.calendar import TradingCalendar
from swingdesk.domain.clock import UtcDatetime, ensure_utc
from swingdesk.domain.enums import DataSource
from swingdesk.domain.errors import SwingdeskError, UnknownTickerError
from swingdesk.ports import MarketData

YEAR_BARS = 252
_PRICE_Q, _CHANGE_Q = Decimal("0.0001"), Decimal("0.000001")


@runtime_checkable
class HasMarketCap(Protocol):
    """A provider that knows market capitalisation (an optional capability)."""

    async def market_cap(self, ticker: str, now: datetime) -> Decimal | None:
        """Return the market cap in USD, None when unknown."""
        ...


@runtime_checkable
class HasMarketClock(Protocol):
    """A provider whose prices follow a clock of their own (the simulated market trades
    around the clock); the quote's open/closed label then follows it, not the exchange's."""

    def trading_at(self, now: datetime) -> bool:
        """Say whether the source's prices move at ``now``."""
        ...


class Quote(BaseModel):
    """One ticker's quote; a value the provider lacks is None."""

    model_config = ConfigDict(frozen=True)

    ticker: str
    name: str | None
    sector: str | None
    price: Decimal
    prev_close: Decimal | None
    day_change_pct: Decimal | None
    volume: Decimal | None
    high_52w: Decimal
    low_52w: Decimal
    market_cap: Decimal | None
    as_of: UtcDatetime
    market_open: bool
    stale: bool
    source: DataSource


class Movers(BaseModel):
    """The day's top gainers, losers and most traded tickers."""

    model_config = ConfigDict(frozen=True)

    gainers: tuple[Quote, ...]
    losers: tuple[Quote, ...]
    most_active: tuple[Quote, ...]
    considered: int
    failed: tuple[str, ...]
    as_of: UtcDatetime


def _dec(x: float, q: Decimal) -> Decimal | None:
    return Decimal(repr(x)).quantize(q) if math.isfinite(x) else None


class MarketMovers:
    """Builds quotes and movers from a provider; the universe defaults to the provider's."""

    def __init__(
        self,
        provider: MarketData,
        calendar: TradingCalendar,
        *,
        universe: Sequence[str] | None = None,
    ) -> None:
        self.provider = provider
        self.calendar = calendar
        self._universe = tuple(universe) if universe is not None else None

    def universe(self) -> tuple[str, ...]:
        """Return the tickers movers are chosen from."""
        return self._universe if self._universe is not None else tuple(self.provider.universe())

    async def quote(self, ticker: str, now: datetime) -> Quote:
        """Return name, sector, price, day change, 52-week range, volume and market cap."""
        now = ensure_utc(now)
        profile = self.provider.profile(ticker)
        bars = await self.provider.daily_bars(ticker, now, YEAR_BARS)
        if bars.empty:
            raise UnknownTickerError(f"no prices for {ticker} at {now.isoformat()}")
        close = bars["close"].to_numpy(dtype=np.float64)
        price = _dec(float(close[-1]), _PRICE_Q)
        if price is None:
            raise UnknownTickerError(f"no valid price for {ticker} at {now.isoformat()}")
        prev = _dec(float(close[-2]), _PRICE_Q) if close.size > 1 else None
        change = (price / prev - 1).quantize(_CHANGE_Q) if prev else None
        vol = float(bars["volume"].iloc[-1])
        cap = None
        if isinstance(self.provider, HasMarketCap):
            cap = await self.provider.market_cap(ticker, now)
        last = bars.index[-1].date()
        closed = self.calendar.last_closed_session(now)
        live = last == self.calendar.exchange_date(now) and self.calendar.is_open(now)
        return Quote(
            ticker=ticker,
            name=profile.name or None,
            sector=profile.sector or None,
            price=price,
            prev_close=prev,
            day_change_pct=change,
            volume=_dec(vol, Decimal(1)),
            high_52w=_dec(float(np.nanmax(bars["high"].to_numpy(np.float64))), _PRICE_Q) or price,
            low_52w=_dec(float(np.nanmin(bars["low"].to_numpy(np.float64))), _PRICE_Q) or price,
            market_cap=cap,
            as_of=now
            if live or not self.calendar.is_session(last)
            else min(now, self.calendar.session_close(last)),
            market_open=self.provider.trading_at(now)
            if isinstance(self.provider, HasMarketClock)
            else self.calendar.is_open(now),
            stale=self.provider.source is not DataSource.SIMULATED and last < closed,
            source=self.provider.source,
        )

    async def top_movers(self, n: int, now: datetime) -> Movers:
        """Return the ``n`` largest gainers, losers and volumes across the universe."""
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        tickers = self.universe()
        results = await asyncio.gather(
            *(self.quote(t, now) for t in tickers), return_exceptions=True
        )
        quotes: list[Quote] = []
        failed: list[str] = []
        for ticker, result in zip(tickers, results, strict=True):
            if isinstance(result, Quote):
                quotes.append(result)
            elif isinstance(result, SwingdeskError):
                failed.append(ticker)  # one bad ticker must not hide the rest
            else:
                raise result
        changed = [q for q in quotes if q.day_change_pct is not None and not q.stale]
        by_change = sorted(changed, key=lambda q: (q.day_change_pct, q.ticker))
        gainers = [q for q in reversed(by_change) if q.day_change_pct and q.day_change_pct > 0]
        losers = [q for q in by_change if q.day_change_pct and q.day_change_pct < 0]
        active = sorted(
            (q for q in quotes if q.volume is not None and not q.stale),
            key=lambda q: (-(q.volume or 0), q.ticker),
        )
        return Movers(
            gainers=tuple(gainers[:n]),
            losers=tuple(losers[:n]),
            most_active=tuple(active[:n]),
            considered=len(quotes),
            failed=tuple(failed),
            as_of=ensure_utc(now),
        )
