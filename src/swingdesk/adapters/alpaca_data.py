"""The MarketData port over Alpaca's market data API (``/v2/stocks/bars``): a thin httpx client.

Why not alpaca-py's StockHistoricalDataClient: it is synchronous (requests, so every call
would need a thread), it sets no timeout at all (a stalled read hangs forever), it retries
429s with fixed 3 s sleeps that ignore ``X-RateLimit-Reset`` and would stack on our backoff,
and it turns every bar into a pydantic model (slow for hundreds of tickers). The SDK is
still the judge of the wire contract: the fake server these tests run against is checked
with it (``tests/integration/test_market_alpaca_data.py``).

One request shape (``symbols=A,B&timeframe=1Day&start&end&limit&feed&adjustment``, every
``next_page_token`` followed) serves one ticker and many. Bars are split-adjusted (so a
split is no false ATR spike) and, with the default ``feed=iex``, their volume is IEX's small
share of the tape: ADV-20 is understated and the liquidity gate errs strict. Each answer goes
through one module-level ``TtlCache`` (60 s), shared and single-flight, so ten concurrent
snapshots of a ticker make one fetch. A fresh ``httpx.AsyncClient`` is opened per fetch
(connections are reused across its pages) because the cache is shared by event loops on
several threads and a pooled async client is bound to one loop.

Errors: 429 backs off (``Retry-After`` / ``X-RateLimit-Reset``, else exponential) and ends
as TemporaryError; 401/403 are ConfigurationError (keys, or a feed the plan does not cover);
404/422 and "invalid symbol" are UnknownTickerError; 5xx, timeouts and bodies that are not
the documented JSON are TemporaryError. No error body crashes the adapter.

What Alpaca lacks: it has no VIX index and no earnings calendar, so ``vix()`` is None and
``next_earnings`` raises TemporaryError (risk fails closed, ``MARKET_DATA``) unless a
``context`` provider (Yahoo, chosen in bootstrap) is given for them. Alpaca has no sector
either: name and sector come from the built-in universe table, or from ``context``; a
ticker in neither has no sector and risk fails closed on ``SECTOR_CONCENTRATION``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pandas as pd
from pydantic import SecretStr

from swingdesk.adapters.alpaca_http import data_error as _error
from swingdesk.adapters.alpaca_http import retry_after_s
from swingdesk.adapters.simulated_universe import UNIVERSE
from swingdesk.domain.calendar import TradingCalendar
from swingdesk.domain.clock import ensure_utc
from swingdesk.domain.enums import DataSource
from swingdesk.domain.errors import (
    ConfigurationError,
    RejectedError,
    SwingdeskError,
    TemporaryError,
    UnknownTickerError,
)
from swingdesk.endpoints import DATA_URL, check_data_url
from swingdesk.ports import MarketData, TickerProfile
from swingdesk.ttl_cache import TtlCache

log = logging.getLogger(__name__)

BARS_PATH = "/v2/stocks/bars"
FEEDS = ("iex", "sip", "delayed_sip", "otc")
ADJUSTMENTS = ("raw", "split", "dividend", "all")
HISTORY_DAYS = 400  # calendar days: the 52-week range (252 bars) and every indicator window
PAGE_LIMIT = 10_000  # Alpaca's largest page
BATCH_SYMBOLS = 100  # symbols per multi-symbol request, keeps the URL short
MAX_PAGES = 1_000
COLUMNS = ("open", "high", "low", "close", "volume")
_WIRE = {"o": "open", "h": "high", "l": "low", "c": "close", "v": "volume"}
_NY = ZoneInfo("America/New_York")
_PROFILES = {t.ticker: TickerProfile(t.ticker, t.name, t.sector) for t in UNIVERSE}

#: Shared by every AlpacaMarket in the process (single-flight across tasks and threads).
CACHE: TtlCache[Any] = TtlCache(60.0)


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")


def _ny_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=_NY)


def _frame(symbol: str, items: list[Any]) -> pd.DataFrame:
    """Return OHLCV floats indexed by New York session date; refuse a malformed bar."""
    if not items:
        empty = pd.DatetimeIndex([], name="date")
        return pd.DataFrame(columns=list(COLUMNS), index=empty, dtype="float64")
    try:
        raw = pd.DataFrame.from_records(items)
        out: pd.DataFrame = (
            raw[list(_WIRE)].rename(columns=_WIRE).apply(pd.to_numeric).astype("float64")
        )
        stamps = pd.to_datetime(raw["t"], utc=True).dt.tz_convert(_NY)
    except (KeyError, ValueError, TypeError) as exc:
        raise TemporaryError(f"Alpaca sent malformed bars for {symbol}: {exc!r}") from exc
    out.index = pd.DatetimeIndex(stamps.dt.tz_localize(None).dt.normalize(), name="date")
    out = out[out["close"].notna()]
    return out[~out.index.duplicated(keep="last")].sort_index()


class AlpacaMarket:
    """Alpaca's daily bars behind the MarketData port (paper profile)."""

    source: DataSource = DataSource.ALPACA
    waits_on_io = True

    def __init__(
        self,
        api_key: SecretStr | None,
        secret_key: SecretStr | None,
        *,
        universe: Sequence[str] | None = None,
        base_url: str = DATA_URL,
        feed: str = "iex",
        adjustment: str = "split",
        connect_timeout_s: float = 5.0,
        read_timeout_s: float = 10.0,
        page_limit: int = PAGE_LIMIT,
        cache: TtlCache[Any] | None = None,
        calendar: TradingCalendar | None = None,
        max_attempts: int = 4,
        backoff_s: float = 1.0,
        max_backoff_s: float = 30.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        context: MarketData | None = None,
    ) -> None:
        key = api_key.get_secret_value() if api_key else ""
        secret = secret_key.get_secret_value() if secret_key else ""
        if not key or not secret:
            raise ConfigurationError(
                "the alpaca market provider needs ALPACA_API_KEY and ALPACA_SECRET_KEY "
                "(the keys of any Alpaca account; the free plan covers feed=iex)"
            )
        if feed not in FEEDS:
            raise ConfigurationError(f"Alpaca feed must be one of {FEEDS}, got {feed!r}")
        if adjustment not in ADJUSTMENTS:
            raise ConfigurationError(f"adjustment must be one of {ADJUSTMENTS}: {adjustment!r}")
        if not 1 <= page_limit <= PAGE_LIMIT:
            raise ConfigurationError(f"page_limit must be 1..{PAGE_LIMIT}, got {page_limit}")
        self.base_url = check_data_url(base_url)
        self._headers = {"APCA-API-KEY-ID": key, "APCA-API-SECRET-KEY": secret}
        self._timeout = httpx.Timeout(read_timeout_s, connect=connect_timeout_s)
        self._universe = tuple(sorted(universe or _PROFILES))
        self.feed, self.adjustment, self.page_limit = feed, adjustment, page_limit
        self.cache = cache if cache is not None else CACHE
        self.calendar = calendar or TradingCalendar()
        self.max_attempts = max_attempts
        self.backoff_s, self.max_backoff_s = backoff_s, max_backoff_s
        self._sleep = sleep
        self.context = context
        self.rate_limited = 0

    @classmethod
    def from_settings(cls, settings: Any, *, context: MarketData | None = None) -> AlpacaMarket:
        """Build the provider from Settings (keys, feed, URL and timeouts)."""
        return cls(
            settings.alpaca_api_key,
            settings.alpaca_secret_key,
            base_url=settings.alpaca_data_url,
            feed=settings.alpaca_data_feed,
            connect_timeout_s=settings.alpaca_connect_timeout_s,
            read_timeout_s=settings.alpaca_read_timeout_s,
            context=context,
        )

    # --- plumbing ---------------------------------------------------------------------

    async def _get(self, client: httpx.AsyncClient, params: dict[str, str], what: str) -> Any:
        """Fetch one page, backing off on 429; return its JSON body."""
        for attempt in range(1, self.max_attempts + 1):
            try:
                resp = await client.get(BARS_PATH, params=params)
            except httpx.TimeoutException as exc:
                raise TemporaryError(f"Alpaca market data timed out: {type(exc).__name__}") from exc
            except httpx.TransportError as exc:
                raise TemporaryError(f"cannot reach Alpaca market data: {exc!r}") from exc
            if resp.status_code == 429:
                self.rate_limited += 1
                hint = retry_after_s(resp)
                wait = self.backoff_s * 2 ** (attempt - 1) if hint is None else hint
                wait = min(wait, self.max_backoff_s)
                log.warning(
                    "Alpaca rate limit on %s (attempt %d), backing off %.1fs", what, attempt, wait
                )
                if attempt == self.max_attempts:
                    raise TemporaryError(
                        f"Alpaca rate limit on {what} after {attempt} attempts",
                        retry_after_s=wait,
                        details={"what": what},
                    )
                await self._sleep(wait)
                continue
            if resp.status_code >= 300:
                raise _error(resp, what)
            try:
                body = resp.json()
            except ValueError as exc:
                raise TemporaryError(f"Alpaca sent a non-JSON reply for {what}") from exc
            if not isinstance(body, dict) or not isinstance(body.get("bars") or {}, dict):
                raise TemporaryError(f"Alpaca sent an unexpected body for {what}")
            return body
        raise AssertionError("unreachable")

    async def _fetch(self, symbols: Sequence[str], today: date, span_days: int) -> dict[str, Any]:
        """Fetch daily bars of ``symbols`` up to ``today``, every page; return frames by symbol."""
        what = symbols[0] if len(symbols) == 1 else f"{len(symbols)} tickers"
        params = {
            "symbols": ",".join(symbols),
            "timeframe": "1Day",
            "start": _rfc3339(_ny_midnight(today - timedelta(days=span_days))),
            # The last instant of today in New York: no bar of a later session can qualify.
            "end": _rfc3339(_ny_midnight(today + timedelta(days=1)) - timedelta(seconds=1)),
            "limit": str(self.page_limit),
            "feed": self.feed,
            "adjustment": self.adjustment,
            "sort": "asc",
        }
        rows: dict[str, list[Any]] = {s: [] for s in symbols}
        seen: set[str] = set()
        async with httpx.AsyncClient(
            base_url=self.base_url, headers=self._headers, timeout=self._timeout,
            follow_redirects=False,
        ) as client:  # fmt: skip
            for _ in range(MAX_PAGES):
                page = await self._get(client, params, what)
                for symbol, items in (page.get("bars") or {}).items():
                    if isinstance(items, list):
                        rows.setdefault(str(symbol), []).extend(items)
                token = page.get("next_page_token")
                if not token:
                    break
                if not isinstance(token, str) or token in seen:
                    raise TemporaryError(f"Alpaca repeated page token {token!r} for {what}")
                seen.add(token)
                params["page_token"] = token
            else:
                raise TemporaryError(f"Alpaca paging for {what} exceeded {MAX_PAGES} pages")
        end = pd.Timestamp(today)
        # Whatever the server sent, no bar after ``today`` leaves this adapter.
        return {s: (f := _frame(s, rows[s]))[f.index <= end] for s in symbols}

    @staticmethod
    def _span(lookback: int) -> int:
        return max(HISTORY_DAYS, lookback * 3 // 2 + 14)

    def _key(self, symbol: str, today: date, span: int) -> tuple[str, ...]:
        return ("alpaca-bars", self.base_url, self.feed, self.adjustment, symbol,
                today.isoformat(), str(span))  # fmt: skip

    async def _history(self, symbol: str, today: date, span: int) -> pd.DataFrame:
        async def load() -> pd.DataFrame:
            bars: pd.DataFrame = (await self._fetch([symbol], today, span))[symbol]
            if bars.empty:
                raise UnknownTickerError(
                    f"Alpaca has no {self.feed} bars for {symbol} up to {today}",
                    details={"ticker": symbol, "source": self.source.value},
                )
            return bars

        result: pd.DataFrame = await self.cache.get(self._key(symbol, today, span), load)
        return result

    # --- batch ------------------------------------------------------------------------

    async def daily_bars_batch(
        self, symbols: Sequence[str], now: datetime, lookback: int
    ) -> dict[str, pd.DataFrame | Exception]:
        """Return bars (or the error) per ticker, fetching uncached ones in multi-symbol calls."""
        if lookback < 1:
            raise ValueError(f"lookback must be at least 1 bar, got {lookback}")
        today = self.calendar.exchange_date(ensure_utc(now))
        span = self._span(lookback)
        symbols = list(dict.fromkeys(symbols))
        frames: dict[str, pd.DataFrame] = {}
        for symbol in symbols:
            cached = self.cache.peek(self._key(symbol, today, span))
            if cached is not None:
                frames[symbol] = cached
        todo = [s for s in symbols if s not in frames]
        errors: dict[str, Exception] = {}
        for i in range(0, len(todo), BATCH_SYMBOLS):
            chunk = todo[i : i + BATCH_SYMBOLS]
            try:
                fetched = await self._fetch(chunk, today, span)
            except (TemporaryError, UnknownTickerError, RejectedError) as exc:
                errors.update(dict.fromkeys(chunk, exc))  # a bad chunk, not a bad batch
                continue
            for symbol, bars in fetched.items():
                if bars.empty:
                    errors[symbol] = UnknownTickerError(f"Alpaca has no bars for {symbol}")
                else:
                    self.cache.put(self._key(symbol, today, span), bars)
                    frames[symbol] = bars
        if errors:
            log.warning("Alpaca batch: %d of %d failed: %s", len(errors), len(symbols), errors)
        return {s: errors[s] if s in errors else frames[s].iloc[-lookback:] for s in symbols}

    async def prefetch(self, symbols: Sequence[str], now: datetime) -> dict[str, str]:
        """Load many tickers into the cache in few calls; return {ticker: why it failed}."""
        result = await self.daily_bars_batch(symbols, now, 1)
        return {s: str(r) for s, r in result.items() if isinstance(r, Exception)}

    # --- the MarketData port ----------------------------------------------------------

    def universe(self) -> tuple[str, ...]:
        """Return the configured tickers (Alpaca's asset list is not a trading universe)."""
        return self._universe

    def profile(self, ticker: str) -> TickerProfile:
        """Return name and sector from the universe table; no sector for other tickers."""
        known = _PROFILES.get(ticker)
        if known is not None:
            return known
        if self.context is not None:
            try:
                return self.context.profile(ticker)
            except SwingdeskError as exc:
                log.warning("no profile for %s from the context provider: %s", ticker, exc)
        return TickerProfile(ticker, ticker, "")

    async def profile_async(self, ticker: str) -> TickerProfile:
        """Return the profile without blocking the loop on a context provider's fetch."""
        if ticker in _PROFILES or self.context is None:
            return self.profile(ticker)
        try:
            return await self.context.profile_async(ticker)
        except SwingdeskError as exc:
            log.warning("no profile for %s from the context provider: %s", ticker, exc)
            return TickerProfile(ticker, ticker, "")

    async def daily_bars(self, ticker: str, now: datetime, lookback: int) -> pd.DataFrame:
        """Return up to ``lookback`` bars dated on or before ``now``'s New York date."""
        if lookback < 1:
            raise ValueError(f"lookback must be at least 1 bar, got {lookback}")
        today = self.calendar.exchange_date(ensure_utc(now))
        bars = await self._history(ticker, today, self._span(lookback))
        return bars[bars.index <= pd.Timestamp(today)].iloc[-lookback:]

    async def last_price(self, ticker: str, now: datetime) -> Decimal:
        """Return the newest close (today's price while the session runs)."""
        bars = await self.daily_bars(ticker, now, 1)
        return Decimal(repr(float(bars["close"].iloc[-1]))).quantize(Decimal("0.0001"))

    async def vix(self, now: datetime) -> Decimal | None:
        """Return the context provider's VIX; None without one (Alpaca has no VIX index)."""
        if self.context is None:
            return None
        return await self.context.vix(now)

    async def next_earnings(self, ticker: str, now: datetime) -> date | None:
        """Return the context provider's next earnings date; TemporaryError without one."""
        if self.context is None:
            raise TemporaryError(
                f"Alpaca has no earnings calendar for {ticker}; set SWINGDESK_ALPACA_DATA_CONTEXT"
                "=yahoo to take earnings and VIX from Yahoo"
            )
        return await self.context.next_earnings(ticker, now)
