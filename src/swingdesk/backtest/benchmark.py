"""The buy-and-hold benchmark: the backtest's universe bought in equal weight and held.

Method (the README's "Backtesting" section says the same):

- The initial cash is split into one equal sleeve per ticker of the universe that was
  actually backtested (skipped tickers are not in it).
- Each sleeve buys its ticker at the open of the first session of the window on which the
  ticker has a bar, at that open plus the backtest's slippage (rounded like the simulated
  broker's fills), paying the commission once. Fractional shares (to a millionth) are
  bought, so a $200 sleeve can hold a $1,900 stock and no sleeve sits in cash by accident.
- A late starter's sleeve stays in cash (earning nothing) until its first bar, then buys.
  A ticker whose data stops before the end is held at its last close.
- Nothing is sold: each session's equity is the sleeves' cash plus their shares marked at
  the last close at or before that session. The figures (return, CAGR, volatility, ...)
  run from the initial cash before the first open to the last close.

Arithmetic is float64 over numpy arrays (fast and deterministic for the same inputs);
the equity is rounded to cents.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal

import numpy as np

from swingdesk.adapters.csv_market import Bars
from swingdesk.domain.calendar import day_number
from swingdesk.domain.money import price4

_SHARE_Q = Decimal("0.000001")
_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Entry:
    """One sleeve's purchase: when, at which price (with slippage) and how many shares."""

    day: date
    price: Decimal
    shares: Decimal


@dataclass(frozen=True, slots=True)
class Benchmark:
    """The benchmark's equity per session and each ticker's purchase."""

    initial_cash: Decimal
    sessions: tuple[date, ...]
    equity: tuple[Decimal, ...]
    entries: Mapping[str, Entry]
    #: Tickers with no bar inside the window: their sleeve stayed in cash.
    never_bought: tuple[str, ...]

    def curve(self) -> tuple[list[date], list[Decimal]]:
        """Return the series its figures are computed on: the initial cash, then each close.

        The purchases happen at the first session's open, so the first close already holds
        a day of returns and the slippage; the series starts from the cash before them.
        """
        if not self.sessions:
            return [], []
        return [self.sessions[0], *self.sessions], [self.initial_cash, *self.equity]


def buy_and_hold(
    bars: Mapping[str, Bars],
    sessions: Sequence[date],
    *,
    initial_cash: Decimal,
    slippage_bps: Decimal,
    commission: Decimal,
) -> Benchmark:
    """Return the equal-weight buy-and-hold equity of ``bars``' tickers over ``sessions``."""
    tickers = sorted(bars)
    if not tickers or not sessions:
        return Benchmark(
            initial_cash, tuple(sessions), tuple(initial_cash for _ in sessions), {}, ()
        )
    sleeve = initial_cash / len(tickers)
    days = np.array([day_number(d) for d in sessions], dtype=np.int64)
    total = np.zeros(days.size)
    entries: dict[str, Entry] = {}
    never: list[str] = []
    for ticker in tickers:
        b = bars[ticker]
        first = int(np.searchsorted(b.days, days[0], side="left"))
        if first >= b.days.size or b.days[first] > days[-1]:
            never.append(ticker)
            total += float(sleeve)
            continue
        entry_day = sessions[int(np.searchsorted(days, b.days[first], side="left"))]
        price = price4(Decimal(repr(float(b.open[first]))) * (1 + slippage_bps / Decimal(10_000)))
        budget = sleeve - commission
        shares = (budget / price).quantize(_SHARE_Q, ROUND_DOWN) if budget > 0 else Decimal(0)
        cash = sleeve - shares * price - (commission if shares > 0 else 0)
        entries[ticker] = Entry(entry_day, price, shares)
        # Last bar at or before each session; before the entry the sleeve is all cash.
        idx = np.searchsorted(b.days, days, side="right") - 1
        held = days >= b.days[first]
        marks = np.where(held, b.close[np.maximum(idx, 0)], 0.0)
        total += np.where(held, float(cash) + float(shares) * marks, float(sleeve))
    equity = tuple(Decimal(repr(round(float(x), 2))).quantize(_CENT) for x in total)
    return Benchmark(initial_cash, tuple(sessions), equity, entries, tuple(never))
