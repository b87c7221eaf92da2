"""The simulated market's own news and fundamentals, derived from its daily history.

Every headline is tied to something the chart shows, so the demo's news matches its prices:

- **earnings preview**: five sessions before each report, after that day's close;
- **earnings beat or miss**: at 07:00 New York on the report's day, the beat or miss read
  from the report's overnight move (the simulated earnings jump), with that move quoted;
- **large gap**: a non-earnings open more than ``_GAP_SIGMAS`` of the day's volatility away
  from the previous close, five minutes after the open;
- **big move**: a non-earnings close-to-close return beyond ``_MOVE_SIGMAS``, after the close;
- **sector shock**: a day on which a GICS sector's own factor moved beyond
  ``_SECTOR_SIGMAS``, after the close, for every ticker of the sector.

Wording, publisher and everything else are pure functions of (seed, ticker, session), so a
headline never changes between calls, runs or processes. Fundamentals are stable per symbol
(drawn once from the seed), with the price-dependent ratios (market cap, P/E, P/B, yield)
taken at the last closed session and EPS moving at each report with its beat or miss.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from swingdesk.adapters.simulated_universe import GICS_SECTORS, SimTicker
from swingdesk.domain.context import Fundamentals, Headline

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

_GAP_SIGMAS, _MOVE_SIGMAS, _SECTOR_SIGMAS = 0.9, 2.0, 1.8
_PREVIEW_SESSIONS = 5
_PRE_MARKET_S = 2 * 3600 + 1800  # 07:00 New York: 2.5 hours before the 09:30 open
_AFTER_OPEN_S, _AFTER_CLOSE_S, _SECTOR_AFTER_CLOSE_S, _PREVIEW_AFTER_CLOSE_S = 300, 600, 1200, 1800
PUBLISHERS = ("Simulated Wire", "Desk Newsroom", "Sim Market Daily")
_S_FUND = 101  # the fundamentals' random stream (the market's own use 0-10)

# Event kinds, in a small int array per ticker.
PREVIEW, BEAT, MISS, GAP_UP, GAP_DOWN, RALLY, DROP, SECTOR_UP, SECTOR_DOWN = range(9)

_TEMPLATES: dict[int, tuple[tuple[str, str], ...]] = {
    PREVIEW: (
        ("{name} to report quarterly results on {date}",
         "Analysts will watch margins and guidance when {ticker} reports on {date}."),
        ("{name} sets {date} for its quarterly earnings",
         "{ticker} confirmed the date of its next quarterly report."),
    ),
    BEAT: (
        ("{name} beats expectations; shares jump {pct} on strong results",
         "Quarterly profit topped estimates; the stock was indicated {pct} higher before "
         "the open."),
        ("{name} tops estimates as profit surges; stock rallies {pct} premarket",
         "A strong quarter lifted {ticker} {pct} in early trading."),
    ),
    MISS: (
        ("{name} misses estimates; shares fall {pct} on weak results",
         "Quarterly profit came in below forecasts; the stock was indicated {pct} lower "
         "before the open."),
        ("{name} disappoints with a weak quarter; stock drops {pct} premarket",
         "A poor quarter sent {ticker} down {pct} in early trading."),
    ),
    GAP_UP: (("{name} shares jump {pct} at the open", "{ticker} opened {pct} above its close."),
             ("{name} gains {pct} in early trading", "Buyers lifted {ticker} {pct} at the open.")),
    GAP_DOWN: (("{name} shares slide {pct} at the open", "{ticker} opened {pct} below its close."),
               ("{name} falls {pct} in early trading", "Sellers pushed {ticker} down {pct}.")),
    RALLY: (("{name} rallies {pct}, its best day in weeks", "{ticker} closed {pct} higher."),
            ("{name} surges {pct} as buyers return", "Strong demand lifted {ticker} {pct}.")),
    DROP: (("{name} tumbles {pct} as selling intensifies", "{ticker} closed {pct} lower."),
           ("{name} slumps {pct} in a weak session", "Heavy selling sent {ticker} down {pct}.")),
    SECTOR_UP: (("{sector} stocks rally as the sector gains {pct}",
                 "{sector} led the market; {ticker} is among the sector's members."),),
    SECTOR_DOWN: (("{sector} stocks slump as the sector falls {pct}",
                   "{sector} weighed on the market; {ticker} is among the sector's members."),),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class SimDaily:
    """The simulated market's daily history: (tickers, sessions) arrays, read-only."""

    seed: int
    tickers: tuple[SimTicker, ...]
    days: Ints
    opens_s: Ints
    closes_s: Ints
    open: Floats
    close: Floats
    sigma: Floats
    earnings: tuple[Ints, ...]
    sector: Floats
    sector_sigma: Floats


@dataclass(frozen=True, slots=True)
class _Events:
    """One ticker's headlines, sorted by publication time."""

    at_s: Ints
    kind: npt.NDArray[np.int8]
    session: Ints  # the session index the headline is about
    value: Floats  # the move it quotes (a fraction), or the report's day number for a preview


@dataclass(frozen=True, slots=True)
class _Stable:
    """A symbol's fundamentals that do not move with the price."""

    shares: float
    eps: Floats  # trailing EPS in effect after each session (changes at each report)
    book_per_share: float
    dividend_per_share: float
    profit_margin: float
    revenue_growth: float
    debt_to_equity: float
    short_interest: float


def _pick(seed: int, ticker: str, session: int, kind: int, n: int) -> int:
    return zlib.crc32(f"{seed}:{ticker}:{session}:{kind}".encode()) % n


def _events(d: SimDaily, k: int) -> _Events:
    tk = d.tickers[k]
    close, open_, sigma = d.close[k], d.open[k], d.sigma[k]
    prev = np.concatenate(([close[0]], close[:-1]))
    gap, ret = open_ / prev - 1.0, close / prev - 1.0
    is_earn = np.isin(d.days, d.earnings[k])
    is_earn[0] = False
    idx = np.arange(d.days.size)
    parts: list[tuple[Ints, Ints, Ints, Floats]] = []

    def add(mask: npt.NDArray[np.bool_], at: Ints, kind: Ints, value: Floats) -> None:
        parts.append((at[mask], kind[mask], idx[mask], value[mask]))

    add(is_earn, d.opens_s - _PRE_MARKET_S, np.where(gap >= 0, BEAT, MISS), gap)
    plain = ~is_earn & (idx > 0)
    big_gap = plain & (np.abs(gap) > _GAP_SIGMAS * sigma)
    add(big_gap, d.opens_s + _AFTER_OPEN_S, np.where(gap >= 0, GAP_UP, GAP_DOWN), gap)
    big_move = plain & (np.abs(ret) > _MOVE_SIGMAS * sigma)
    add(big_move, d.closes_s + _AFTER_CLOSE_S, np.where(ret >= 0, RALLY, DROP), ret)
    sec = d.sector[GICS_SECTORS.index(tk.sector)]
    shock = (np.abs(sec) > _SECTOR_SIGMAS * d.sector_sigma) & (idx > 0)
    add(shock, d.closes_s + _SECTOR_AFTER_CLOSE_S, np.where(sec >= 0, SECTOR_UP, SECTOR_DOWN),
        np.expm1(sec))  # fmt: skip
    reports = np.flatnonzero(is_earn)
    before = reports[reports >= _PREVIEW_SESSIONS]
    if before.size:
        when = before - _PREVIEW_SESSIONS
        parts.append((d.closes_s[when] + _PREVIEW_AFTER_CLOSE_S,
                      np.full(when.size, PREVIEW, dtype=np.int64), before,
                      d.days[before].astype(np.float64)))  # fmt: skip
    at = np.concatenate([p[0] for p in parts])
    order = np.argsort(at, kind="stable")
    return _Events(
        at_s=at[order].astype(np.int64),
        kind=np.concatenate([p[1] for p in parts])[order].astype(np.int8),
        session=np.concatenate([p[2] for p in parts])[order].astype(np.int64),
        value=np.concatenate([p[3] for p in parts])[order].astype(np.float64),
    )


def _stable(d: SimDaily, k: int) -> _Stable:
    tk = d.tickers[k]
    rng = np.random.default_rng([d.seed & 0xFFFFFFFF, _S_FUND, zlib.crc32(tk.ticker.encode())])
    u = rng.random(8)
    pe = 12.0 + 28.0 * u[0] * (1.3 if tk.sector == "Information Technology" else 1.0)
    eps_now = tk.price / pe
    # EPS steps at each report, up on a beat and down on a miss, anchored at today's level.
    close = d.close[k]
    prev = np.concatenate(([close[0]], close[:-1]))
    step = np.where(np.isin(d.days, d.earnings[k]), 0.5 * (d.open[k] / prev - 1.0), 0.0)
    path = np.exp(np.cumsum(step))
    eps = eps_now * path / path[-1]
    return _Stable(
        shares=tk.adv_millions * 1e6 * (150.0 + 150.0 * u[1]),
        eps=eps,
        book_per_share=tk.price / (1.5 + 8.0 * u[2]),
        dividend_per_share=tk.price * (0.035 * u[3] if u[4] < 0.7 else 0.0),
        profit_margin=0.04 + 0.30 * u[5],
        revenue_growth=-0.05 + 0.30 * u[6],
        debt_to_equity=0.1 + 2.4 * u[7],
        short_interest=0.005 + 0.05 * float(rng.random()),
    )


def _pct(value: float) -> str:
    return f"{abs(value) * 100:.1f}%"


def _q(value: float, places: str) -> Decimal:
    return Decimal(repr(float(value))).quantize(Decimal(places))


class SimulatedContext:
    """News and fundamentals for a ``SimDaily`` history; built lazily per ticker."""

    def __init__(self, daily: SimDaily) -> None:
        self.d = daily
        self._events: dict[int, _Events] = {}
        self._stable: dict[int, _Stable] = {}
        self._headlines: dict[tuple[int, int], Headline] = {}

    def events(self, k: int) -> _Events:
        """Return ticker ``k``'s headlines as arrays (computed once)."""
        ev = self._events.get(k)
        if ev is None:
            ev = self._events[k] = _events(self.d, k)
        return ev

    def news(self, k: int, t: float, limit: int) -> list[Headline]:
        """Return the newest ``limit`` headlines of ticker ``k`` published at or before ``t``."""
        ev = self.events(k)
        end = int(np.searchsorted(ev.at_s, t, side="right"))
        return [self._headline(k, ev, j) for j in range(end - 1, max(0, end - limit) - 1, -1)]

    def headlines_between(self, k: int, start_s: float, end_s: float) -> list[Headline]:
        """Return every headline of ticker ``k`` published in [start_s, end_s], oldest first."""
        ev = self.events(k)
        lo = int(np.searchsorted(ev.at_s, start_s, side="left"))
        hi = int(np.searchsorted(ev.at_s, end_s, side="right"))
        return [self._headline(k, ev, j) for j in range(lo, hi)]

    def rows_between(self, k: int, start_s: float, end_s: float) -> list[tuple[int, str, str, str]]:
        """Return (published Unix time, title, summary, publisher) of every headline of ticker
        ``k`` published in [start_s, end_s], oldest first, without building models."""
        ev = self.events(k)
        lo = int(np.searchsorted(ev.at_s, start_s, side="left"))
        hi = int(np.searchsorted(ev.at_s, end_s, side="right"))
        return [(int(ev.at_s[j]), *self._words(k, ev, j)) for j in range(lo, hi)]

    def fundamentals(self, k: int, t: float) -> Fundamentals | None:
        """Return ticker ``k``'s figures as of the last session closed at or before ``t``."""
        d = self.d
        j = int(np.searchsorted(d.closes_s, t, side="right")) - 1
        if j < 0:
            return None
        st = self._stable.get(k)
        if st is None:
            st = self._stable[k] = _stable(d, k)
        price = float(d.close[k, j])
        eps = float(st.eps[j])
        return Fundamentals(
            as_of=date.fromordinal(int(d.days[j]) + _EPOCH_ORDINAL),
            source="simulated",
            market_cap_usd=_q(round(price * st.shares), "1"),
            trailing_pe=_q(price / eps, "0.01") if eps > 0 else None,
            forward_pe=_q(price / (eps * (1 + st.revenue_growth)), "0.01") if eps > 0 else None,
            price_to_book=_q(price / st.book_per_share, "0.01"),
            profit_margin_pct=_q(st.profit_margin, "0.0001"),
            revenue_growth_pct=_q(st.revenue_growth, "0.0001"),
            debt_to_equity=_q(st.debt_to_equity, "0.01"),
            dividend_yield_pct=_q(st.dividend_per_share / price, "0.0001"),
            beta=_q(d.tickers[k].beta, "0.01"),
            short_interest_pct=_q(st.short_interest, "0.0001"),
        )

    def _headline(self, k: int, ev: _Events, j: int) -> Headline:
        cached = self._headlines.get((k, j))
        if cached is not None:
            return cached
        title, summary, publisher = self._words(k, ev, j)
        headline = Headline(
            title=title,
            publisher=publisher,
            published_at=datetime.fromtimestamp(int(ev.at_s[j]), tz=UTC),
            summary=summary,
        )
        self._headlines[(k, j)] = headline
        return headline

    def _words(self, k: int, ev: _Events, j: int) -> tuple[str, str, str]:
        """Return headline ``j`` of ticker ``k``: title, summary and publisher."""
        tk, kind, session = self.d.tickers[k], int(ev.kind[j]), int(ev.session[j])
        choices = _TEMPLATES[kind]
        title, summary = choices[_pick(self.d.seed, tk.ticker, session, kind, len(choices))]
        value = float(ev.value[j])
        words = {
            "name": tk.name, "ticker": tk.ticker, "sector": tk.sector, "pct": _pct(value),
            "date": date.fromordinal(int(value) + _EPOCH_ORDINAL).strftime("%b %d")
            if kind == PREVIEW else "",
        }  # fmt: skip
        publisher = PUBLISHERS[_pick(self.d.seed, tk.ticker, session, -kind - 1, len(PUBLISHERS))]
        return title.format(**words), summary.format(**words), publisher


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
