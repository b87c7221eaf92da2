"""The fast engine's market: indicator arrays computed once per ticker, and entry candidates.

Everything here depends only on the data, never on the account, so it is vectorised. The
figures of a ticker at the evening of a session are read from arrays that are bit-identical
to what ``MarketDataAgent`` computes from its lookback window (see ``indicators``), and the
snapshot is then built by the same ``make_snapshot``.

Candidates are a necessary condition for a BUY, evaluated on raw floats with a margin that
covers the rounding of the snapshot's Decimals: a ticker-day outside them cannot produce a
BUY, so its decision is a HOLD the engine counts without building it. Sure buys are the
converse, a sufficient condition with the same margin: on such a ticker-day the rule
analyst, holding nothing, BUYs (``screen`` uses them; anything in between is decided by
the rule itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from swingdesk.adapters.csv_market import Bars, CsvMarket
from swingdesk.backtest.batch_atr import decision_atr_batch
from swingdesk.marketdata.indicators import (
    ADV_PERIOD,
    SMA_LONG,
    SMA_SHORT,
    FloatArray,
    rolling_mean_values,
)
from swingdesk.marketdata.snapshot import Figures
from swingdesk.ports import TickerProfile
from swingdesk.strategy.agent import ApiStrategy, RulesStrategy
from swingdesk.strategy.crossover import CrossoverStrategy
from swingdesk.strategy.frames import entry_mask, signal_frame
from swingdesk.strategy.vector import TOL, cross_candidates, rule_candidates

Mask = npt.NDArray[np.bool_]

_TOL = TOL


@dataclass(frozen=True, slots=True)
class Series:
    """One ticker's history with its indicators; ``ends[d]`` = bars closed by session d."""

    ticker: str
    profile: TickerProfile
    bars: Bars
    atr: FloatArray
    sma_20: FloatArray
    sma_50: FloatArray
    adv_20: FloatArray
    ends: npt.NDArray[np.int64]
    candidate: Mask
    #: Per session: the rule analyst certainly BUYs when nothing is held (see ``sure_buys``).
    sure_buy: Mask
    #: Per bar: close, ATR-14, SMA-20, SMA-50, ADV-20, volume (one row read per snapshot).
    table: FloatArray
    #: Per bar: the rule analyst's trend is surely intact for a held position (``exit_holds``).
    trend_holds: Mask

    def surely_holds(self, end: int, stop: Decimal | None) -> bool:
        """Say whether the rule analyst, holding a position whose stop is ``stop``, surely
        HOLDs on the figures of the first ``end`` bars: its trend intact and the price above
        the stop, each by more than the snapshot's rounding can move them (``rules._exit``).

        False means only "not sure": the rule itself decides.
        """
        if end == 0 or stop is None or not self.trend_holds[end - 1]:
            return False
        close = float(self.table[end - 1, 0])
        return close - float(stop) > _TOL + 1e-9 * abs(close)

    def figures(self, end: int) -> Figures:
        """Return the figures of the newest of the first ``end`` bars (none when ``end`` is 0)."""
        if end == 0:
            return Figures(None, None, None, None, None, None, None, None, None)
        t = end - 1
        close, atr, sma_20, sma_50, adv_20, volume = self.table[t].tolist()
        if t == 0:
            return Figures(close, None, atr, sma_20, sma_50, None, None, adv_20, volume)
        prev_close, _, prev_20, prev_50, _, _ = self.table[t - 1].tolist()
        return Figures(close, prev_close, atr, sma_20, sma_50, prev_20, prev_50, adv_20, volume)

    def last_bar(self, end: int) -> date | None:
        """Return the session of the newest of the first ``end`` bars."""
        if end == 0:
            return None
        return date.fromordinal(int(self.bars.days[end - 1]) + _EPOCH_ORDINAL)


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


@dataclass(frozen=True, slots=True)
class Indicators:
    """One ticker's bars and desk indicators: a function of its data alone, so a loaded
    market keeps them for every run on it (an optimisation runs hundreds)."""

    bars: Bars
    atr: FloatArray
    sma_20: FloatArray
    sma_50: FloatArray
    adv_20: FloatArray
    #: Per bar: close, ATR-14, SMA-20, SMA-50, ADV-20, volume (one row read per snapshot).
    table: FloatArray


def indicators_of(
    market: CsvMarket, tickers: tuple[str, ...], cache: dict[str, Indicators] | None = None
) -> list[Indicators]:
    """Return each ticker's indicators, computing (and keeping in ``cache``) only those it
    does not hold yet for the very bars the market gives now."""
    known = {} if cache is None else cache
    all_bars = [market.bars(ticker) for ticker in tickers]
    todo = [i for i, (t, b) in enumerate(zip(tickers, all_bars, strict=True))
            if t not in known or known[t].bars is not b]  # fmt: skip
    atrs = decision_atr_batch(
        [all_bars[i].high for i in todo],
        [all_bars[i].low for i in todo],
        [all_bars[i].close for i in todo],
    )
    for i, atr in zip(todo, atrs, strict=True):
        bars = all_bars[i]
        sma_20 = rolling_mean_values(bars.close, SMA_SHORT)
        sma_50 = rolling_mean_values(bars.close, SMA_LONG)
        adv_20 = rolling_mean_values(bars.volume, ADV_PERIOD)
        table = np.column_stack([bars.close, atr, sma_20, sma_50, adv_20, bars.volume])
        known[tickers[i]] = Indicators(
            bars, atr, sma_20, sma_50, adv_20, np.asarray(table, dtype=np.float64)
        )
    return [known[t] for t in tickers]


def build_series(
    market: CsvMarket,
    tickers: tuple[str, ...],
    session_days: npt.NDArray[np.int64],
    strategy: ApiStrategy,
    cache: dict[str, Indicators] | None = None,
) -> list[Series]:
    """Return every ticker's indicator arrays and per-session candidate mask (the indicators
    from ``cache`` where it has them, see ``indicators_of``)."""
    out = []
    for ticker, ind in zip(tickers, indicators_of(market, tickers, cache), strict=True):
        bars, atr, sma_20, sma_50 = ind.bars, ind.atr, ind.sma_20, ind.sma_50
        ends = np.searchsorted(bars.days, session_days, side="right").astype(np.int64)
        if isinstance(strategy, RulesStrategy):
            per_bar = candidate_bars(strategy, bars.close, atr, sma_20, sma_50)
        else:
            frame = signal_frame(bars.days, bars.open, bars.high, bars.low, bars.close,
                                 bars.volume, atr, sma_20, sma_50, ind.adv_20)  # fmt: skip
            per_bar = entry_mask(strategy.spec, frame, strategy.values)
        # A session before the first bar has no price: no entry can be judged.
        newest = np.maximum(ends - 1, 0)
        candidate = np.where(ends > 0, per_bar[newest], False)
        sure_bar = sure_buys(strategy, bars.close, atr, sma_20, sma_50) & per_bar
        sure_buy = np.where(ends > 0, sure_bar[newest], False)
        holds = exit_holds(strategy, bars.close, sma_20, sma_50)
        out.append(
            Series(ticker, market.profile(ticker), bars, atr, sma_20, sma_50, ind.adv_20, ends,
                   candidate, sure_buy, ind.table, holds)
        )  # fmt: skip
    return out


def candidate_bars(
    strategy: RulesStrategy,
    close: FloatArray,
    atr: FloatArray,
    sma_20: FloatArray,
    sma_50: FloatArray,
) -> Mask:
    """Return, per bar, whether the strategy could BUY on a snapshot whose newest bar it is."""
    if isinstance(strategy, CrossoverStrategy):
        return crossover_candidates(sma_20, sma_50)
    return rules_candidates(strategy, close, atr, sma_20, sma_50)


def rules_candidates(
    strategy: RulesStrategy,
    close: FloatArray,
    atr: FloatArray,
    sma_20: FloatArray,
    sma_50: FloatArray,
) -> Mask:
    """Necessary conditions of ``rules._entry`` for a BUY (see ``strategy.vector``)."""
    return rule_candidates(strategy.params, close, atr, sma_20, sma_50)


def sure_buys(
    strategy: ApiStrategy,
    close: FloatArray,
    atr: FloatArray,
    sma_20: FloatArray,
    sma_50: FloatArray,
) -> Mask:
    """Return, per bar, whether the rule analyst certainly BUYs on a snapshot whose newest bar
    it is, holding nothing: the conditions of ``rules._entry`` for a pullback or a breakout,
    each met by more than the rounding of the snapshot's Decimals can move it.

    Only for the stock rule analyst; any other strategy (a subclass could decide otherwise)
    gets no sure buys, so every one of its candidates is decided by the strategy itself.
    """
    sure = np.zeros(close.size, dtype=np.bool_)
    if type(strategy) is not RulesStrategy or close.size < 2:
        return sure
    assert isinstance(strategy, RulesStrategy)  # narrows for mypy
    p = strategy.params
    prev_close = close[:-1]
    price, s20, s50, a = close[1:], sma_20[1:], sma_50[1:], atr[1:]
    tol = _TOL + 1e-9 * np.abs(price)
    with np.errstate(invalid="ignore"):
        gap = price - s20
        # Every figure the rule and the market checks read rounds to a usable value.
        usable = (
            (price > tol) & (prev_close > tol) & (s20 > tol) & (s50 > tol) & (a > tol)
            & np.isfinite(price + prev_close + s20 + s50 + a)
        )  # fmt: skip
        uptrend = (price - s50 > tol) & (s20 - s50 > tol)
        pullback = np.abs(gap) <= p.pullback_atr * a - tol * (1 + p.pullback_atr)
        breakout = (
            (gap > p.breakout_atr * a + tol * (1 + p.breakout_atr))  # breakout_atr >= pullback_atr
            & (gap <= p.max_extension_atr * a - tol * (1 + p.max_extension_atr))
            # day change = (price / prev_close - 1) rounded to 6 places, and it must be > 0
            & (price - prev_close > tol + 1e-6 * prev_close)
        )
        sure[1:] = usable & uptrend & (pullback | breakout)
    return sure


def exit_holds(
    strategy: ApiStrategy, close: FloatArray, sma_20: FloatArray, sma_50: FloatArray
) -> Mask:
    """Return, per bar, whether the rule analyst's trend surely holds for a position: the
    price and both SMAs round to usable values, the price is above the SMA-50 and the SMA-20
    above the SMA-50, each by more than rounding can move them (``rules._exit`` then HOLDs
    unless the stop is hit; ``Series.surely_holds`` checks that part).

    Only for the stock rule analyst; any other strategy gets none, and decides every held
    ticker-day itself.
    """
    if type(strategy) is not RulesStrategy:
        return np.zeros(close.size, dtype=np.bool_)
    tol = _TOL + 1e-9 * np.abs(close)
    with np.errstate(invalid="ignore"):
        usable = (close > tol) & (sma_20 > tol) & (sma_50 > tol)
        usable &= np.isfinite(close + sma_20 + sma_50)
        trend = (close - sma_50 > tol) & (sma_20 - sma_50 > tol)
    return np.asarray(usable & trend, dtype=np.bool_)


def crossover_candidates(sma_20: FloatArray, sma_50: FloatArray) -> Mask:
    """Necessary conditions for a crossover BUY: above today, not above the bar before."""
    return cross_candidates(sma_20, sma_50)
