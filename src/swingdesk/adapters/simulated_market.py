"""A deterministic simulated US equity market: the embedded default for the demo.

Daily history (2019-01-02 onwards, on real NYSE sessions) is drawn once per instance:
a market factor with GJR-GARCH(1,1) volatility clustering and rare stress shocks, one factor
per GICS sector, idiosyncratic noise, and quarterly earnings with large gaps. A VIX series
is the market's 30-day variance forecast plus a premium, so it rises with realised volatility.

Within a day the price follows a path that is a pure function of (seed, ticker, time), on a
5-second grid in session and 15-second grid outside it: a Brownian bridge from the session's
open to its close plus a pinned mean-reverting wobble: calls at one instant agree, and the
price moves minute to minute. After hours the last bar drifts towards the next open.
"""

from __future__ import annotations

import math
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import numpy as np
import numpy.typing as npt
import pandas as pd

from swingdesk.adapters.simulated_news import SimDaily, SimulatedContext
from swingdesk.adapters.simulated_paths import Path as _Path
from swingdesk.adapters.simulated_paths import bounded as _bounded
from swingdesk.adapters.simulated_paths import pinned_ou as _pinned_ou
from swingdesk.adapters.simulated_universe import ANCHOR_DATE, GICS_SECTORS, UNIVERSE, SimTicker
from swingdesk.domain.calendar import TradingCalendar, day_number
from swingdesk.domain.clock import ensure_utc
from swingdesk.domain.context import Fundamentals, Headline
from swingdesk.domain.enums import DataSource
from swingdesk.domain.errors import ConfigurationError, UnknownTickerError
from swingdesk.ports import TickerProfile

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

EPOCH = date(2019, 1, 2)
COLUMNS = ("open", "high", "low", "close", "volume")

# Daily model (fractions per trading day unless said otherwise).
_LONG_RUN_VOL = 0.0100
_ALPHA, _GAMMA, _BETA = 0.03, 0.08, 0.90  # GJR-GARCH: down days raise variance more
_PERSIST = _ALPHA + _GAMMA / 2 + _BETA
_OMEGA = _LONG_RUN_VOL**2 * (1 - _PERSIST)
_STRESS_PROB = 1 / 750  # about one stress shock every three years
_STRESS_VAR_MULT = 3.0
_MARKET_DRIFT = 0.0003
_SECTOR_VOL = 0.0060
_MIN_IDIO_VOL = 0.0050
_VIX_PREMIUM = 1.10
_VIX_HORIZON = 21  # VIX is a 30-calendar-day (about 21-session) implied volatility
_EARNINGS_VOL_MULT, _MIN_EARNINGS_MOVE = 2.5, 0.03

# Intraday model.
_SESSION_STEP_S, _GAP_STEP_S = 5, 15
_WOBBLE_PER_MIN = 0.0012  # 12 bp per minute for a stock of 30% annual volatility
_WOBBLE_TAU_S = 1200.0
_U_SHAPE = 0.5  # intraday volume is 1.5x the average near open and close, 0.5x at midday

# Independent random streams, so adding a component never reshuffles another one.
(_S_MARKET, _S_STRESS, _S_SECTOR, _S_VIX, _S_IDIO, _S_GAP, _S_RANGE, _S_VOLUME, _S_EARN_DAY,
 _S_EARN_MOVE, _S_INTRADAY) = range(11)  # fmt: skip


def _rng(*key: int) -> np.random.Generator:
    return np.random.default_rng([k & 0xFFFFFFFF for k in key])


def _ticker_key(ticker: str) -> int:
    # A stable key per symbol keeps each ticker's path independent of the table's order.
    return zlib.crc32(ticker.encode())


def _student_t(rng: np.random.Generator, n: int, dof: float = 5.0) -> Floats:
    """Return unit-variance fat-tailed shocks."""
    return rng.standard_t(dof, n) / math.sqrt(dof / (dof - 2))


@dataclass(frozen=True, slots=True)
class _History:
    open: Floats  # (K, N) arrays, tickers by sessions
    high: Floats
    low: Floats
    close: Floats
    volume: Floats
    sigma: Floats  # each ticker-day's diffusive daily volatility, scales the intraday path
    vix: Floats  # (N,)
    earnings: tuple[Ints, ...]  # per ticker: day numbers of earnings sessions
    sector: Floats  # (S, N) each GICS sector's own daily return (the headlines' sector shocks)
    sector_sigma: Floats  # (N,) the sector factor's volatility that day


def _market(seed: int, n: int) -> tuple[Floats, Floats, Floats]:
    """Return market returns, their conditional vol and the 21-session VIX-style forecast."""
    z = _student_t(_rng(seed, _S_MARKET), n)
    stress = _rng(seed, _S_STRESS).random(n) < _STRESS_PROB
    z = np.where(stress, -np.abs(z) - 2.0, z)  # a stress day is a sell-off
    var = _LONG_RUN_VOL**2
    ret, sig, fwd = np.empty(n), np.empty(n), np.empty(n)
    # GARCH is a recursion; a plain loop over ~2,500 days costs a few milliseconds.
    for t, (zt, hit) in enumerate(zip(z.tolist(), stress.tolist(), strict=True)):
        if hit:
            var *= _STRESS_VAR_MULT
        e = math.sqrt(var) * zt
        ret[t], sig[t] = e, math.sqrt(var)
        var = _OMEGA + (_ALPHA + (_GAMMA if e < 0 else 0.0)) * e * e + _BETA * var
        fwd[t] = var
    h = _VIX_HORIZON
    term = (1 - _PERSIST**h) / (h * (1 - _PERSIST))
    var_h = _LONG_RUN_VOL**2 + (fwd - _LONG_RUN_VOL**2) * term
    return ret + _MARKET_DRIFT, sig, np.sqrt(var_h)


def _earnings_days(seed: int, key: int, days: Ints) -> Ints:
    """Return the session day numbers of one ticker's quarterly reports."""
    rng = _rng(seed, _S_EARN_DAY, key)
    offset = int(rng.integers(16, 45))  # days after quarter end; spreads tickers over the season
    quarter_ends = [
        date(y, m, d) for y in range(2018, 2061) for m, d in ((3, 31), (6, 30), (9, 30), (12, 31))
    ]
    jitter = rng.integers(-4, 5, len(quarter_ends))
    targets = np.array([day_number(q) for q in quarter_ends], dtype=np.int64) + offset + jitter
    idx = np.searchsorted(days, targets, side="left")
    idx = idx[(idx < days.size) & (targets >= days[0])]
    return np.asarray(days[np.unique(idx)], dtype=np.int64)


def _simulate(seed: int, days: Ints, tickers: tuple[SimTicker, ...]) -> _History:
    """Draw the whole daily history for every ticker at once."""
    n = days.size
    m, m_sig, vix_vol = _market(seed, n)
    ratio = m_sig / _LONG_RUN_VOL
    # Draw (sessions, k) and transpose: row-major fill keeps earlier sessions identical
    # whatever the horizon, so a market started another day has the same past.
    sectors = _rng(seed, _S_SECTOR).standard_normal((n, len(GICS_SECTORS))).T
    sector_ret = _SECTOR_VOL * ratio**0.75 * sectors
    anchor = min(int(np.searchsorted(days, day_number(ANCHOR_DATE))), n - 1)
    out = {name: np.empty((len(tickers), n)) for name in (*COLUMNS, "sigma")}
    earnings: list[Ints] = []
    for k, tk in enumerate(tickers):
        key = _ticker_key(tk.ticker)
        daily = tk.vol / math.sqrt(252)
        idio = max(
            _MIN_IDIO_VOL,
            math.sqrt(max(0.0, daily**2 - (tk.beta * _LONG_RUN_VOL) ** 2 - _SECTOR_VOL**2)),
        )
        sec = sector_ret[GICS_SECTORS.index(tk.sector)]
        idio_t = idio * np.sqrt(ratio)
        sig = np.sqrt((tk.beta * m_sig) ** 2 + (_SECTOR_VOL * ratio**0.75) ** 2 + idio_t**2)
        earn = _earnings_days(seed, key, days)
        is_earn = np.isin(days, earn)
        jump = np.where(is_earn, max(_MIN_EARNINGS_MOVE, _EARNINGS_VOL_MULT * daily), 0.0)
        jump = jump * _rng(seed, _S_EARN_MOVE, key).standard_normal(n)
        diffusive = tk.beta * m + sec + idio_t * _student_t(_rng(seed, _S_IDIO, key), n)
        ret = diffusive + jump
        overnight = (
            0.3 * diffusive + 0.25 * sig * _rng(seed, _S_GAP, key).standard_normal(n) + 0.8 * jump
        )
        log_close = np.cumsum(ret)
        log_close += math.log(tk.price) - log_close[anchor]
        log_open = log_close - ret + overnight
        ext = np.abs(_rng(seed, _S_RANGE, key).standard_normal((n, 2))).T
        widen = np.where(is_earn, 1.8, 1.0) * sig
        top, bottom = np.maximum(log_open, log_close), np.minimum(log_open, log_close)
        out["open"][k], out["close"][k] = np.exp(log_open), np.exp(log_close)
        out["high"][k] = np.exp(top + 0.0005 + (0.1 + 0.45 * ext[0]) * widen)
        out["low"][k] = np.exp(bottom - 0.0005 - (0.1 + 0.45 * ext[1]) * widen)
        noise = np.exp(0.25 * _rng(seed, _S_VOLUME, key).standard_normal(n) - 0.03)
        activity = (0.7 + 0.3 * np.abs(ret) / sig) / 0.94 * ratio**0.3 * np.where(is_earn, 3.0, 1.0)
        out["volume"][k] = np.maximum(1.0, np.rint(tk.adv_millions * 1e6 * noise * activity))
        out["sigma"][k] = sig
        earnings.append(earn)
    vix_noise = np.exp(0.04 * _rng(seed, _S_VIX).standard_normal(n))
    vix = np.clip(100 * math.sqrt(252) * vix_vol * _VIX_PREMIUM * vix_noise, 9.0, 85.0)
    return _History(
        **out,
        vix=vix,
        earnings=tuple(earnings),
        sector=sector_ret,
        sector_sigma=_SECTOR_VOL * ratio**0.75,
    )


class SimulatedMarket:
    """The simulated market: implements the MarketData port, deterministic for a seed."""

    source: DataSource = DataSource.SIMULATED
    waits_on_io = False

    def __init__(
        self,
        seed: int = 42,
        *,
        calendar: TradingCalendar | None = None,
        today: date | None = None,
        universe: tuple[SimTicker, ...] = UNIVERSE,
    ) -> None:
        self.seed = seed
        calendar = calendar or TradingCalendar()
        # An adapter may read the wall clock; this one only needs it to size the horizon.
        sched = calendar.ensure_covers(today or datetime.now(UTC).date())
        first = int(np.searchsorted(sched.days, day_number(EPOCH)))
        self._days: Ints = sched.days[first:]
        self._opens: Ints = sched.opens_s[first:]
        self._closes: Ints = sched.closes_s[first:]
        self._end = sched.end
        self._tickers = universe
        self._index = {tk.ticker: k for k, tk in enumerate(universe)}
        self._symbols = tuple(tk.ticker for tk in universe)
        self._h = _simulate(seed, self._days, universe)
        self._dates = pd.DatetimeIndex(self._days.astype("datetime64[D]"), name="date")
        self._paths: OrderedDict[tuple[int, int, bool], _Path] = OrderedDict()
        self._path_capacity = 4 * len(universe)
        self._paths_lock = threading.Lock()
        self._context: SimulatedContext | None = None

    @property
    def horizon(self) -> tuple[date, date]:
        """Return the first session and the last date this market can quote."""
        return EPOCH, self._end

    def universe(self) -> tuple[str, ...]:
        """Return every simulated ticker, sorted."""
        return self._symbols

    def profile(self, ticker: str) -> TickerProfile:
        """Return name and sector; raise UnknownTickerError for a ticker not simulated."""
        tk = self._tickers[self._k(ticker)]
        return TickerProfile(ticker=tk.ticker, name=tk.name, sector=tk.sector)

    async def profile_async(self, ticker: str) -> TickerProfile:
        """Return ``profile``: it is held in memory."""
        return self.profile(ticker)

    async def daily_bars(self, ticker: str, now: datetime, lookback: int) -> pd.DataFrame:
        """Return up to ``lookback`` daily bars ending at ``now``, the last one live."""
        return self.bars(ticker, now, lookback)

    def bars(self, ticker: str, now: datetime, lookback: int) -> pd.DataFrame:
        """Return the bars of ``daily_bars`` synchronously (for benchmarks and tools)."""
        if lookback < 1:
            raise ValueError(f"lookback must be at least 1 bar, got {lookback}")
        k = self._k(ticker)
        t = self._time(now)
        i = int(np.searchsorted(self._opens, t, side="right")) - 1
        lo = max(0, i - lookback + 1)
        h = self._h
        # One float block (a frame over one block is built without consolidating columns).
        block = np.stack([getattr(h, name)[k, lo : i + 1] for name in COLUMNS], axis=1)
        if i >= 0:
            block[-1] = self._live_bar(k, i, t)
        return pd.DataFrame(block, index=self._dates[lo : i + 1], columns=list(COLUMNS), copy=False)

    async def last_price(self, ticker: str, now: datetime) -> Decimal:
        """Return the price of the live bar at ``now`` without building a frame."""
        k = self._k(ticker)
        t = self._time(now)
        i = int(np.searchsorted(self._opens, t, side="right")) - 1
        if i < 0:
            raise UnknownTickerError(f"no simulated price for {ticker} before {EPOCH}")
        close = self._live_bar(k, i, t)[3]
        return Decimal(repr(close)).quantize(Decimal("0.0001"))

    def trading_at(self, now: datetime) -> bool:
        """Say whether prices move at ``now``: in and between sessions alike, up to the horizon
        (the demo's market drifts after hours, so the dashboard must not call it closed)."""
        return TradingCalendar.exchange_date(ensure_utc(now)) <= self._end

    async def vix(self, now: datetime) -> Decimal | None:
        """Return the VIX close of the latest session that closed at or before ``now``."""
        j = int(np.searchsorted(self._closes, self._time(now), side="right")) - 1
        if j < 0:
            return None
        return Decimal(repr(float(self._h.vix[j]))).quantize(Decimal("0.01"))

    async def next_earnings(self, ticker: str, now: datetime) -> date | None:
        """Return the first earnings session on or after ``now``'s New York date."""
        k = self._k(ticker)
        self._time(now)
        today = day_number(TradingCalendar.exchange_date(now))
        days = self._h.earnings[k]
        j = int(np.searchsorted(days, today, side="left"))
        if j >= days.size:
            return None
        return pd.Timestamp(int(days[j]), unit="D").date()

    def daily(self) -> SimDaily:
        """Return the daily history the market was drawn with (read-only arrays)."""
        h = self._h
        return SimDaily(
            seed=self.seed, tickers=self._tickers, days=self._days, opens_s=self._opens,
            closes_s=self._closes, open=h.open, close=h.close, sigma=h.sigma,
            earnings=h.earnings, sector=h.sector, sector_sigma=h.sector_sigma,
        )  # fmt: skip

    async def news(self, ticker: str, now: datetime, limit: int) -> list[Headline]:
        """Return the newest ``limit`` simulated headlines published at or before ``now``."""
        return self._simulated_context().news(self._k(ticker), self._time(now), limit)

    async def fundamentals(self, ticker: str, now: datetime) -> Fundamentals | None:
        """Return the ticker's synthetic fundamentals as of ``now``'s last closed session."""
        return self._simulated_context().fundamentals(self._k(ticker), self._time(now))

    # --- internals ------------------------------------------------------------------------

    def _simulated_context(self) -> SimulatedContext:
        if self._context is None:  # built on first use: the price-only callers never pay
            self._context = SimulatedContext(self.daily())
        return self._context

    def _k(self, ticker: str) -> int:
        k = self._index.get(ticker)
        if k is None:
            raise UnknownTickerError(
                f"unknown ticker {ticker!r}: the simulated market has {len(self._symbols)} tickers "
                f"({', '.join(self._symbols[:6])}, ...); see universe()",
                details={"ticker": ticker, "source": self.source.value},
            )
        return k

    def _time(self, now: datetime) -> float:
        now = ensure_utc(now)
        if TradingCalendar.exchange_date(now) > self._end:
            raise ConfigurationError(
                f"the simulated market quotes until {self._end}; restart it to extend the horizon",
                details={"now": now.isoformat(), "end": self._end.isoformat()},
            )
        return now.timestamp()

    def _live_bar(self, k: int, i: int, t: float) -> tuple[float, float, float, float, float]:
        """Return session ``i``'s bar as seen at ``t`` (in progress, or drifting after hours)."""
        h = self._h
        o, hi, lo, c, v = (float(getattr(h, name)[k, i]) for name in COLUMNS)
        in_session = t < self._closes[i]
        if not in_session and i + 1 >= self._days.size:
            return o, hi, lo, c, v
        path = self._path(k, i, in_session)
        step = path.at(t)
        if step == 0:  # exactly at the anchor: no need to draw the path
            return (o, o, o, o, 1.0) if in_session else (o, hi, lo, c, v)
        p = float(path.price[step])
        if in_session:
            frac = step / path.steps
            done = frac + _U_SHAPE * math.sin(2 * math.pi * frac) / (2 * math.pi)
            top, bottom = float(path.run_max[step]), float(path.run_min[step])
            return o, max(top, o, p), min(bottom, o, p), p, max(1.0, float(round(v * done)))
        return o, max(hi, float(path.run_max[step])), min(lo, float(path.run_min[step])), p, v

    def _path(self, k: int, i: int, in_session: bool) -> _Path:
        key = (k, i, in_session)
        # The API may call from worker threads; the LRU's move/evict pair must not interleave.
        with self._paths_lock:
            cached = self._paths.get(key)
            if cached is not None:
                self._paths.move_to_end(key)
                return cached
        path = self._draw_path(k, i, in_session)
        with self._paths_lock:
            self._paths[key] = path
            if len(self._paths) > self._path_capacity:
                self._paths.popitem(last=False)
        return path

    def _draw_path(self, k: int, i: int, in_session: bool) -> _Path:
        h, tk = self._h, self._tickers[k]
        if in_session:
            start, end, step_s = int(self._opens[i]), int(self._closes[i]), _SESSION_STEP_S
            a, b = math.log(h.open[k, i]), math.log(h.close[k, i])
        else:
            start, end, step_s = int(self._closes[i]), int(self._opens[i + 1]), _GAP_STEP_S
            a, b = math.log(h.close[k, i]), math.log(h.open[k, i + 1])
        n = max(1, (end - start) // step_s)
        z = _rng(
            self.seed, _S_INTRADAY, _ticker_key(tk.ticker), i, int(in_session)
        ).standard_normal((2, n))
        per_min = _WOBBLE_PER_MIN * min(2.0, max(0.6, tk.vol / 0.30))
        decay = math.exp(-step_s / _WOBBLE_TAU_S)
        stationary = per_min * math.sqrt(_WOBBLE_TAU_S / 120.0)  # OU variance = s^2 * tau / 2
        dev = _pinned_ou(z[0] * stationary * math.sqrt(1 - decay**2), decay)
        lin = a + np.linspace(0.0, 1.0, n + 1) * (b - a)
        if in_session:
            walk = np.concatenate(([0.0], np.cumsum(z[1]))) * (float(h.sigma[k, i]) / math.sqrt(n))
            dev = dev + walk - np.linspace(0.0, 1.0, n + 1) * walk[-1]
            dev = _bounded(dev, math.log(h.high[k, i]) - lin, lin - math.log(h.low[k, i]))
        price = np.exp(lin + dev)
        return _Path(
            start_s=start,
            step_s=step_s,
            steps=n,
            price=price,
            run_max=np.maximum.accumulate(price),
            run_min=np.minimum.accumulate(price),
        )
