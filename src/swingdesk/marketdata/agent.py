"""The market-data stage: raw bars from a provider in, a complete MarketSnapshot out.

Which bars feed which indicator:

- SMA-20 and SMA-50 use every bar including today's in-progress one, so they move with
  the last price, as on any charting platform.
- ATR-14 and ADV-20 use completed sessions only (ATR-14 is ``decision_atr``: TA-Lib's over
  the last 400 of them, see ``indicators``). A session still in progress has neither
  its full range nor its full volume, and counting it would understate both, loosening
  the position size and the liquidity gate exactly when the day is young.
- ``volume`` is the newest bar's: today's so far while the session runs, else the last
  session's full volume.

Nothing is invented: a value that cannot be computed stays None and its field name is
listed in ``missing``, so risk fails closed on it. The context (fundamentals, headlines and
their sentiment, ``marketdata.context``) comes from an optional ``MarketContextSource``; a
piece it cannot give is named in ``missing`` too, but never fails the snapshot or risk.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date, datetime

import numpy as np
import pandas as pd

from swingdesk.domain.calendar import TradingCalendar
from swingdesk.domain.clock import ensure_utc
from swingdesk.domain.enums import DataSource
from swingdesk.domain.market import MarketSnapshot
from swingdesk.marketdata.context import (
    DEFAULT_LOOKBACK_DAYS,
    DEFAULT_MAX_HEADLINES,
    NO_CONTEXT,
    MarketContext,
    ScoreCache,
    gather_context,
)
from swingdesk.marketdata.indicators import (
    ADV_PERIOD,
    ATR_WINDOW,
    SMA_LONG,
    SMA_SHORT,
    FloatArray,
    decision_atr,
    newest_means,
)
from swingdesk.marketdata.settle import settle_all
from swingdesk.marketdata.snapshot import CONTINUOUS_SOURCES, Figures, make_snapshot
from swingdesk.ports import MarketContextSource, MarketData, SentimentScorer
from swingdesk.ttl_cache import TtlCache

__all__ = ["CONTINUOUS_SOURCES", "DEFAULT_LOOKBACK", "MarketDataAgent"]

#: Bars a snapshot reads: ATR-14's window of completed sessions, and a live bar beside it.
DEFAULT_LOOKBACK = ATR_WINDOW + 1


def _last(values: FloatArray, back: int = 1) -> float | None:
    return float(values[-back]) if values.size >= back else None


def _newest(values: list[float], back: int = 1) -> float | None:
    return values[-back] if len(values) >= back else None


def _columns(bars: pd.DataFrame, names: tuple[str, ...]) -> dict[str, FloatArray]:
    """Return the named columns as float arrays (a missing value as NaN), read in one go."""
    columns = bars.columns.tolist()
    missing = [n for n in names if n not in columns]
    if missing:
        raise KeyError(f"the bars have no column {missing}")
    try:  # every column at once: one conversion instead of one per column
        values = bars.to_numpy(dtype=np.float64, na_value=np.nan)
        positions = [columns.index(n) for n in names]
    except (TypeError, ValueError):  # a provider's extra column that is not a number
        values = bars[list(names)].to_numpy(dtype=np.float64, na_value=np.nan)
        positions = list(range(len(names)))
    return {n: np.ascontiguousarray(values[:, p]) for n, p in zip(names, positions, strict=True)}


class MarketDataAgent:
    """Builds MarketSnapshots from a MarketData provider (the MarketDataService port)."""

    def __init__(
        self,
        provider: MarketData,
        calendar: TradingCalendar,
        *,
        lookback: int = DEFAULT_LOOKBACK,
        cache_ttl_s: float = 0.0,
        context: MarketContextSource | None = None,
        scorer: SentimentScorer | None = None,
        max_headlines: int = DEFAULT_MAX_HEADLINES,
        news_lookback_days: float = DEFAULT_LOOKBACK_DAYS,
    ) -> None:
        if lookback < DEFAULT_LOOKBACK:
            raise ValueError(
                f"lookback must cover ATR-14's {ATR_WINDOW} completed bars and a live one, "
                f"got {lookback} bars"
            )
        self.provider = provider
        self.calendar = calendar
        self.lookback = lookback
        self.source: DataSource = provider.source
        # Keyed by (ticker, instant): a snapshot is a pure function of both, so every stage of
        # a backtest step or one dashboard refresh at one clock tick computes it once.
        self.cache: TtlCache[MarketSnapshot] | None = (
            TtlCache(cache_ttl_s, max_entries=20_000) if cache_ttl_s > 0 else None
        )
        self.context_source = context
        self.scores = ScoreCache(scorer) if scorer is not None else None
        self.max_headlines = max_headlines
        self.news_lookback_days = news_lookback_days

    def universe(self) -> Sequence[str]:
        """Return the tickers the provider knows."""
        return self.provider.universe()

    async def snapshot(self, ticker: str, now: datetime) -> MarketSnapshot:
        """Return price, indicators and context for ``ticker`` at ``now``."""
        now = ensure_utc(now)
        if self.cache is None:
            return await self._build(ticker, now)
        return await self.cache.get((ticker, now), lambda: self._build(ticker, now))

    async def snapshots(
        self, tickers: Sequence[str], now: datetime
    ) -> dict[str, MarketSnapshot | Exception]:
        """Return a snapshot (or the error it raised) for each ticker, concurrently."""
        results = await asyncio.gather(
            *(self.snapshot(t, now) for t in tickers), return_exceptions=True
        )
        out: dict[str, MarketSnapshot | Exception] = {}
        for ticker, result in zip(tickers, results, strict=True):
            if isinstance(result, BaseException) and not isinstance(result, Exception):
                raise result
            out[ticker] = result
        return out

    async def context(self, ticker: str, now: datetime) -> MarketContext:
        """Return the fundamentals, headlines and sentiment of ``ticker`` at ``now``.

        With no context source every piece is missing. Never raises for the source's fault.
        """
        now = ensure_utc(now)
        if self.context_source is None:
            return MarketContext(missing=("fundamentals", "news", "sentiment"))
        return await gather_context(
            self.context_source, self.scores, ticker, now,
            max_headlines=self.max_headlines, lookback_days=self.news_lookback_days,
        )  # fmt: skip

    async def _context_or_none(self, ticker: str, now: datetime) -> MarketContext:
        return NO_CONTEXT if self.context_source is None else await self.context(ticker, now)

    async def _build(self, ticker: str, now: datetime) -> MarketSnapshot:
        profile = await self.provider.profile_async(ticker)
        bars_r, vix_r, earn_r, ctx_r = await settle_all(
            self.provider.daily_bars(ticker, now, self.lookback),
            self.provider.vix(now),
            self.provider.next_earnings(ticker, now),
            self._context_or_none(ticker, now),
            concurrently=self.provider.waits_on_io,
        )
        # Without bars there is no snapshot to speak of; the caller's retry policy decides.
        if isinstance(bars_r, BaseException):
            raise bars_r
        if isinstance(ctx_r, BaseException):
            raise ctx_r  # gather_context absorbs every source failure; this is a bug
        today = self.calendar.exchange_date(now)
        last_bar = pd.Timestamp(bars_r.index[-1]).date() if not bars_r.empty else None
        live = self._last_bar_live(last_bar, now, today)
        return make_snapshot(
            ticker,
            profile,
            self.figures(bars_r, live),
            vix=vix_r,
            earnings=earn_r,
            last_bar=last_bar,
            live=live,
            now=now,
            calendar=self.calendar,
            source=self.source,
            context=ctx_r,
        )

    def figures(self, bars: pd.DataFrame, live: bool) -> Figures:
        """Return the newest bar's figures from a lookback window (see the module docstring)."""
        cols = _columns(bars, ("high", "low", "close", "volume"))
        close = cols["close"]
        # ATR and ADV: completed sessions only.
        end = close.size - 1 if live else close.size
        # ``decision_atr_values`` reproduces it, bit for bit, for any bar of a history.
        atr = decision_atr(cols["high"][:end], cols["low"][:end], close[:end])
        sma_20 = newest_means(close, SMA_SHORT)
        sma_50 = newest_means(close, SMA_LONG)
        return Figures(
            close=_last(close),
            prev_close=_last(close, 2),
            atr_14=atr,
            sma_20=_newest(sma_20),
            sma_50=_newest(sma_50),
            prev_sma_20=_newest(sma_20, 2),
            prev_sma_50=_newest(sma_50, 2),
            adv_20=_newest(newest_means(cols["volume"][:end], ADV_PERIOD, 1)),
            volume=_last(cols["volume"]),
        )

    # --- helpers ----------------------------------------------------------------------

    def _last_bar_live(self, last: date | None, now: datetime, today: date) -> bool:
        """Say whether the newest bar (dated ``last``) is today's session and that session
        has not closed."""
        return (
            last == today
            and self.calendar.is_session(today)
            and (now < self.calendar.session_close(today))
        )
