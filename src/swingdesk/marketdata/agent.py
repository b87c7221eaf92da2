"""The market-data stage: raw bars from a provider in, a complete MarketSnapshot out.

Which bars feed which indicator:

- SMA-20 and SMA-50 use every bar including today's in-progress one, so they move with
  the last price, as on any charting platform.
- ATR-14 and ADV-20 use completed sessions only. A session still in progress has neither
  its full range nor its full volume, and counting it would understate both, loosening
  the position size and the liquidity gate exactly when the day is young.
- ``volume`` is the newest bar's: today's so far while the session runs, else the last
  session's full volume.

Nothing is invented: a value that cannot be computed stays None and its field name is
listed in ``missing``, so risk fails closed on it.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np
import pandas as pd

from swingdesk.domain.clock import ensure_utc
from swingdesk.domain.enums import DataSource
from swingdesk.domain.errors import TemporaryError
from swingdesk.domain.market import MarketSnapshot
from swingdesk.marketdata.cache import TtlCache
from swingdesk.marketdata.calendar import TradingCalendar
from swingdesk.marketdata.indicators import (
    ADV_PERIOD,
    ATR_PERIOD,
    SMA_LONG,
    SMA_SHORT,
    FloatArray,
    atr_wilder_values,
    rolling_mean_values,
)
from swingdesk.ports import MarketData

PRICE_Q = Decimal("0.0001")
VIX_Q = Decimal("0.01")
CHANGE_Q = Decimal("0.000001")
SHARES_Q = Decimal(1)

#: Sources that quote around the clock, so their newest price is as of ``now`` and never stale.
CONTINUOUS_SOURCES = frozenset({DataSource.SIMULATED})


def _dec(value: object, quantum: Decimal) -> Decimal | None:
    """Return a finite number as a rounded Decimal, None for NaN, infinity or no value."""
    if isinstance(value, Decimal):
        exact = value if value.is_finite() else None
    elif isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        x = float(value)
        # repr() is the shortest round-tripping form: 0.1 stays Decimal("0.1") before rounding.
        exact = Decimal(repr(x)) if math.isfinite(x) else None
    else:
        exact = None
    return None if exact is None else exact.quantize(quantum, rounding=ROUND_HALF_EVEN)


def _positive(value: Decimal | None) -> Decimal | None:
    return value if value is not None and value > 0 else None


def _last(values: FloatArray) -> float | None:
    return float(values[-1]) if values.size else None


def _column(bars: pd.DataFrame, name: str) -> FloatArray:
    return np.asarray(bars[name].to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)


class MarketDataAgent:
    """Builds MarketSnapshots from a MarketData provider (the MarketDataService port)."""

    def __init__(
        self,
        provider: MarketData,
        calendar: TradingCalendar,
        *,
        lookback: int = 60,
        cache_ttl_s: float = 0.0,
    ) -> None:
        if lookback < SMA_LONG:
            raise ValueError(f"lookback must cover SMA-{SMA_LONG}, got {lookback} bars")
        self.provider = provider
        self.calendar = calendar
        self.lookback = lookback
        self.source: DataSource = provider.source
        # Keyed by (ticker, instant): a snapshot is a pure function of both, so every stage of
        # a backtest step or one dashboard refresh at one clock tick computes it once.
        self.cache: TtlCache[MarketSnapshot] | None = (
            TtlCache(cache_ttl_s, max_entries=20_000) if cache_ttl_s > 0 else None
        )

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

    async def _build(self, ticker: str, now: datetime) -> MarketSnapshot:
        # A provider whose profile needs the network (Yahoo) offers a non-blocking variant.
        aprofile = getattr(self.provider, "profile_async", None)
        profile = await aprofile(ticker) if aprofile else self.provider.profile(ticker)
        bars_r, vix_r, earn_r = await asyncio.gather(
            self.provider.daily_bars(ticker, now, self.lookback),
            self.provider.vix(now),
            self.provider.next_earnings(ticker, now),
            return_exceptions=True,
        )
        # Without bars there is no snapshot to speak of; the caller's retry policy decides.
        if isinstance(bars_r, BaseException):
            raise bars_r
        missing: list[str] = []
        vix_raw = self._optional(vix_r, "vix", missing)
        earn_raw = self._optional(earn_r, "next_earnings", missing)

        today = self.calendar.exchange_date(now)
        live = self._last_bar_live(bars_r, now, today)
        cols = {c: _column(bars_r, c) for c in ("high", "low", "close", "volume")}
        close = cols["close"]
        # ATR and ADV: completed sessions only (see the module docstring).
        end = close.size - 1 if live else close.size
        atr = atr_wilder_values(cols["high"][:end], cols["low"][:end], close[:end], ATR_PERIOD)

        price = _positive(_dec(_last(close), PRICE_Q))
        prev_close = _positive(_dec(close[-2], PRICE_Q)) if close.size > 1 else None
        change = (price / prev_close - 1).quantize(CHANGE_Q) if price and prev_close else None
        atr_14 = _dec(_last(atr), PRICE_Q)
        sma_20 = _positive(_dec(_last(rolling_mean_values(close, SMA_SHORT)), PRICE_Q))
        sma_50 = _positive(_dec(_last(rolling_mean_values(close, SMA_LONG)), PRICE_Q))
        adv_20 = _dec(_last(rolling_mean_values(cols["volume"][:end], ADV_PERIOD)), SHARES_Q)
        volume = _dec(_last(cols["volume"]), SHARES_Q)
        vix = _dec(vix_raw, VIX_Q)
        values = {
            "price": price, "prev_close": prev_close, "day_change_pct": change,
            "atr_14": atr_14, "sma_20": sma_20, "sma_50": sma_50, "adv_20": adv_20,
            "volume": volume, "vix": vix,
        }  # fmt: skip
        missing.extend(name for name, value in values.items() if value is None)
        next_earn = earn_raw if isinstance(earn_raw, date) else None

        return MarketSnapshot(
            ticker=ticker,
            name=profile.name,
            sector=profile.sector or None,
            price=price,
            prev_close=prev_close,
            day_change_pct=change,
            atr_14=atr_14,
            sma_20=sma_20,
            sma_50=sma_50,
            adv_20=adv_20,
            volume=volume,
            vix=vix,
            next_earnings=next_earn,
            earnings_in_trading_days=(
                self.calendar.trading_days_until(today, next_earn) if next_earn else None
            ),
            as_of=self._as_of(bars_r, now, live),
            source=self.source,
            market_open=self.calendar.is_open(now),
            stale=self._stale(bars_r, now),
            missing=tuple(dict.fromkeys(missing)),
        )

    # --- helpers ----------------------------------------------------------------------

    @staticmethod
    def _optional(result: object, name: str, missing: list[str]) -> object:
        """Return a provider answer, recording ``name`` as missing when it failed temporarily."""
        if isinstance(result, TemporaryError):
            missing.append(name)
            return None
        if isinstance(result, BaseException):
            raise result
        return result

    def _last_bar_live(self, bars: pd.DataFrame, now: datetime, today: date) -> bool:
        """Say whether the newest bar is today's session and that session has not closed."""
        if bars.empty:
            return False
        last = pd.Timestamp(bars.index[-1]).date()
        return (
            last == today
            and self.calendar.is_session(today)
            and (now < self.calendar.session_close(today))
        )

    def _as_of(self, bars: pd.DataFrame, now: datetime, live: bool) -> datetime:
        """Return the time of the newest price: now when it is live, else its session's close."""
        if bars.empty or live or self.source in CONTINUOUS_SOURCES:
            return now
        last = pd.Timestamp(bars.index[-1]).date()
        if not self.calendar.is_session(last):
            return now
        return min(now, self.calendar.session_close(last))

    def _stale(self, bars: pd.DataFrame, now: datetime) -> bool:
        """Say whether the newest bar predates the latest session close (continuous never is)."""
        if bars.empty:
            return True
        if self.source in CONTINUOUS_SOURCES:
            return False
        last = pd.Timestamp(bars.index[-1]).date()
        return last < self.calendar.last_closed_session(now)
