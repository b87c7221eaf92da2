"""The MarketData port over Yahoo Finance, through the yfinance library.

Every network answer goes through one module-level ``TtlCache`` (60 s by default), shared by
every request and instance in the process and single-flight, so ten concurrent snapshots of
one ticker cause one fetch. yfinance is synchronous; calls run in worker threads.

News (``Ticker.news``) and fundamentals (``Ticker.info``, shared with the profile) go
through the same cache, single-flight and error translation; when they fail the snapshot
lists them as missing and is built anyway (``yahoo_context`` reads their payloads).

Fail-safes: a VIX that cannot be fetched (or is older than the last session) is None, and
an earnings date that cannot be fetched raises TemporaryError; the snapshot then lists the
field as missing and risk fails closed (``MARKET_DATA``). Nothing is invented. A rate limit
(``YFRateLimitError``, HTTP 429) is retried with exponential backoff, logged, counted in
``rate_limited``, and finally raised as TemporaryError. A batch download is checked ticker
by ticker: an empty frame or all-NaN columns mark that ticker as failed, not the batch.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar, cast

import pandas as pd
import yfinance as yf  # type: ignore[import-untyped]
from yfinance.exceptions import (  # type: ignore[import-untyped]
    YFRateLimitError,
    YFTickerMissingError,
)

from swingdesk.adapters.simulated_universe import UNIVERSE
from swingdesk.adapters.yahoo_context import fundamentals_of, yahoo_headline
from swingdesk.domain.calendar import TradingCalendar
from swingdesk.domain.clock import ensure_utc
from swingdesk.domain.context import Fundamentals, Headline
from swingdesk.domain.enums import DataSource
from swingdesk.domain.errors import SwingdeskError, TemporaryError, UnknownTickerError
from swingdesk.ports import TickerProfile
from swingdesk.ttl_cache import TtlCache

log = logging.getLogger(__name__)

VIX_SYMBOL = "^VIX"
HISTORY_PERIOD = "2y"  # covers the 52-week range and every indicator window
COLUMNS = ("open", "high", "low", "close", "volume")
_RENAME = {"Open": "open", "High": "high", "Low": "low", "Close": "close", "Volume": "volume"}

#: Shared by every YahooMarket in the process (the issue's "module-level TTL cache").
CACHE: TtlCache[Any] = TtlCache(60.0)

T = TypeVar("T")


def _clean(frame: pd.DataFrame) -> pd.DataFrame:
    """Return OHLCV floats indexed by session date, rows without a close dropped."""
    if frame.empty or not set(_RENAME) <= set(frame.columns):
        return pd.DataFrame(columns=list(COLUMNS), dtype="float64")
    out = frame[list(_RENAME)].rename(columns=_RENAME).astype("float64")
    out = out[out["close"].notna()]
    index = pd.DatetimeIndex(out.index)
    if index.tz is not None:
        index = index.tz_localize(None)
    out.index = pd.DatetimeIndex(index.normalize(), name="date")
    return out[~out.index.duplicated(keep="last")].sort_index()


class YahooMarket:
    """Yahoo Finance behind the MarketData port (paper profile)."""

    source: DataSource = DataSource.YAHOO
    waits_on_io = True

    def __init__(
        self,
        universe: Sequence[str] | None = None,
        *,
        session: Any = None,
        cache: TtlCache[Any] | None = None,
        calendar: TradingCalendar | None = None,
        max_attempts: int = 4,
        backoff_s: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._universe = tuple(sorted(universe or (t.ticker for t in UNIVERSE)))
        self._session = session
        self.cache = cache if cache is not None else CACHE
        self.calendar = calendar or TradingCalendar()
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self._sleep = sleep
        self.rate_limited = 0
        # Raise instead of printing: we classify every failure ourselves.
        yf.config.debug.hide_exceptions = False

    # --- plumbing ---------------------------------------------------------------------

    def _ticker(self, symbol: str) -> Any:
        return yf.Ticker(symbol, session=self._session)

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        """Run one yfinance call, backing off on rate limits; translate its errors."""
        for attempt in range(1, self.max_attempts + 1):
            try:
                return fn()
            except YFRateLimitError as exc:
                self.rate_limited += 1
                wait = self.backoff_s * 2 ** (attempt - 1)
                log.warning(
                    "Yahoo rate limit on %s (attempt %d), backing off %.1fs", what, attempt, wait
                )
                if attempt == self.max_attempts:
                    raise TemporaryError(
                        f"Yahoo rate limit on {what} after {attempt} attempts",
                        retry_after_s=wait,
                        details={"what": what},
                    ) from exc
                self._sleep(wait)
            except YFTickerMissingError as exc:
                raise UnknownTickerError(f"Yahoo has no data for {what}: {exc}") from exc
            except SwingdeskError:
                raise
            except Exception as exc:
                # curl_cffi's HTTPError (an OSError) carries the response: 404 = no such symbol.
                status = getattr(getattr(exc, "response", None), "status_code", None)
                if status == 404:
                    raise UnknownTickerError(f"Yahoo does not know {what}") from exc
                raise TemporaryError(f"Yahoo request for {what} failed: {exc!r}") from exc
        raise AssertionError("unreachable")

    async def _cached(self, key: tuple[str, str], what: str, fn: Callable[[], T]) -> T:
        async def load() -> T:
            return await asyncio.to_thread(self._call, what, fn)

        result: T = await self.cache.get(key, load)
        return result

    def _history(self, symbol: str) -> pd.DataFrame:
        raw = self._ticker(symbol).history(
            period=HISTORY_PERIOD, interval="1d", auto_adjust=False, actions=False
        )
        bars = _clean(raw)
        if bars.empty:
            raise UnknownTickerError(f"Yahoo returned no usable bars for {symbol}")
        return bars

    async def history(self, symbol: str) -> pd.DataFrame:
        """Return the cached daily history of ``symbol`` (fetching it when needed)."""
        return await self._cached(("bars", symbol), symbol, lambda: self._history(symbol))

    async def _info(self, symbol: str) -> dict[str, Any]:
        def fetch() -> dict[str, Any]:
            info = self._ticker(symbol).info
            return dict(info) if info else {}

        return await self._cached(("info", symbol), symbol, fetch)

    # --- batch ------------------------------------------------------------------------

    async def prefetch(self, symbols: Sequence[str]) -> dict[str, str]:
        """Download many tickers in one call into the cache; return {ticker: why it failed}."""
        symbols = list(dict.fromkeys(symbols))

        def fetch() -> pd.DataFrame:
            frame = yf.download(
                symbols, period=HISTORY_PERIOD, interval="1d", group_by="ticker",
                auto_adjust=False, actions=False, threads=False, progress=False,
                session=self._session,
            )  # fmt: skip
            return frame if frame is not None else pd.DataFrame()

        frame = await asyncio.to_thread(self._call, f"{len(symbols)} tickers", fetch)
        failed: dict[str, str] = {}
        top = set(frame.columns.get_level_values(0)) if frame.columns.nlevels > 1 else set()
        for symbol in symbols:
            if symbol not in top:
                failed[symbol] = "missing from the download"
                continue
            bars = _clean(cast(pd.DataFrame, frame[symbol]))
            if bars.empty:
                failed[symbol] = "empty or all-NaN columns"
                continue
            self.cache.put(("bars", symbol), bars)
        if failed:
            log.warning(
                "Yahoo batch download: %d of %d failed: %s", len(failed), len(symbols), failed
            )
        return failed

    # --- the MarketData port ----------------------------------------------------------

    def universe(self) -> tuple[str, ...]:
        """Return the configured tickers (Yahoo itself has no universe)."""
        return self._universe

    def profile(self, ticker: str) -> TickerProfile:
        """Return name and sector from the cache, blocking on a fetch if not cached yet."""
        info = self.cache.peek(("info", ticker))
        if info is None:
            info = self._call(ticker, lambda: dict(self._ticker(ticker).info or {}))
            self.cache.put(("info", ticker), info)
        return self._profile(ticker, info)

    async def profile_async(self, ticker: str) -> TickerProfile:
        """Return name and sector without blocking the event loop."""
        return self._profile(ticker, await self._info(ticker))

    @staticmethod
    def _profile(ticker: str, info: dict[str, Any]) -> TickerProfile:
        if not info:
            raise UnknownTickerError(f"Yahoo has no profile for {ticker}")
        name = str(info.get("longName") or info.get("shortName") or ticker)
        return TickerProfile(ticker, name, str(info.get("sector") or ""))

    async def daily_bars(self, ticker: str, now: datetime, lookback: int) -> pd.DataFrame:
        """Return up to ``lookback`` bars dated on or before ``now``'s New York date."""
        if lookback < 1:
            raise ValueError(f"lookback must be at least 1 bar, got {lookback}")
        bars = await self.history(ticker)
        today = pd.Timestamp(self.calendar.exchange_date(ensure_utc(now)))
        return bars[bars.index <= today].iloc[-lookback:]

    async def last_price(self, ticker: str, now: datetime) -> Decimal:
        """Return the newest close (today's price while the session runs)."""
        bars = await self.daily_bars(ticker, now, 1)
        if bars.empty:
            raise UnknownTickerError(f"Yahoo has no price for {ticker} at {now.isoformat()}")
        return Decimal(repr(float(bars["close"].iloc[-1]))).quantize(Decimal("0.0001"))

    async def vix(self, now: datetime) -> Decimal | None:
        """Return the latest VIX level; None if it cannot be fetched or is out of date."""
        try:
            bars = await self.daily_bars(VIX_SYMBOL, now, 1)
        except SwingdeskError as exc:
            log.warning("VIX unavailable from Yahoo: %s", exc)
            return None
        if bars.empty:
            return None
        last = bars.index[-1].date()
        if last < self.calendar.last_closed_session(ensure_utc(now)):
            log.warning("Yahoo VIX is stale (last bar %s)", last)
            return None
        return Decimal(repr(float(bars["close"].iloc[-1]))).quantize(Decimal("0.01"))

    async def next_earnings(self, ticker: str, now: datetime) -> date | None:
        """Return the next earnings date; TemporaryError when Yahoo cannot say."""

        def fetch() -> list[date]:
            cal = self._ticker(ticker).calendar or {}
            return [d for d in cal.get("Earnings Date", []) if isinstance(d, date)]

        try:
            dates = await self._cached(("earnings", ticker), ticker, fetch)
        except UnknownTickerError as exc:
            # A 404 on the calendar alone says nothing about the next report: fail closed.
            raise TemporaryError(f"Yahoo has no earnings calendar for {ticker}") from exc
        today = self.calendar.exchange_date(ensure_utc(now))
        upcoming = sorted(d for d in dates if d >= today)
        if not upcoming:
            raise TemporaryError(f"Yahoo has no upcoming earnings date for {ticker}")
        return upcoming[0]

    async def market_cap(self, ticker: str, now: datetime) -> Decimal | None:
        """Return the market cap in USD from the profile, None when Yahoo has none."""
        try:
            cap = (await self._info(ticker)).get("marketCap")
        except SwingdeskError:
            return None
        return Decimal(str(cap)) if isinstance(cap, int | float) and cap > 0 else None

    async def news(self, ticker: str, now: datetime, limit: int) -> list[Headline]:
        """Return Yahoo's newest ``limit`` headlines about ``ticker`` published by ``now``."""

        def fetch() -> list[Any]:
            return list(self._ticker(ticker).news or [])

        raw = await self._cached(("news", ticker), ticker, fetch)
        items = [h for item in raw if (h := yahoo_headline(item)) and h.published_at <= now]
        items.sort(key=lambda h: h.published_at, reverse=True)
        return items[:limit]

    async def fundamentals(self, ticker: str, now: datetime) -> Fundamentals | None:
        """Return the figures of ``Ticker.info`` (fetched at most once per TTL), as of today."""
        info = await self._info(ticker)
        return fundamentals_of(info, self.calendar.exchange_date(ensure_utc(now)))
