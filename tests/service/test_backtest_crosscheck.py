"""An independent re-computation of a simple rule on the real data, against the fast engine.

The rule: SMA-20/50 crossover on integer sums of closes (in 1/10,000 dollars, so ties are
exact), exits then entries at the next open with slippage, 1% of equity risked to a stop
2 x ATR-14 (TA-Lib's, over the whole history) below the close, capped at 5% of equity, the
stop filled at the stop or at a gapped-down open, and only buying power as a gate. Written
here from pandas, TA-Lib and Decimal, without the desk's code, it must give the same trades
and the same final equity. Six of the names miss sessions inside their range: an order
waits for its ticker's next bar (stale after a week), as in backtrader.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import talib

from swingdesk.backtest.engine import run_fast_backtest
from swingdesk.backtest.result import BacktestParams

pytestmark = pytest.mark.shared_data

#: Thirty names with every session of 2013-02-08..2018-02-07 (no gaps, no dropped rows).
TICKERS = (
    "AAPL", "MSFT", "JNJ", "PG", "KO", "PEP", "WMT", "HD", "MCD", "DIS", "NKE", "SBUX",
    "COST", "LOW", "TGT", "UNH", "PFE", "ABT", "AMGN", "GILD", "CVX", "XOM", "SLB", "CAT",
    "DE", "HON", "MMM", "UPS", "FDX", "GE",
)  # fmt: skip
#: Names with sessions missing inside their range (SOURCE.md), so orders wait for a bar.
GAPPY = ("DHR", "ES", "O", "ICE", "BMY", "ORCL")
SLIP = Decimal(5) / Decimal(10_000)
Q4, CENT = Decimal("0.0001"), Decimal("0.01")


def _frame(root: Path, ticker: str) -> pd.DataFrame:
    f = pd.read_csv(root / f"{ticker}.csv", parse_dates=["date"]).set_index("date")
    ticks = (f["close"] * 10_000).round().astype("int64")
    s20, s50 = ticks.rolling(20).sum(), ticks.rolling(50).sum()
    above, below = 5 * s20 > 2 * s50, 5 * s20 < 2 * s50
    known = s50.shift(1).notna()
    f["buy"] = known & above & ~above.shift(1, fill_value=False)
    f["sell"] = known & below & ~below.shift(1, fill_value=False)
    h, lo, c = (f[k].to_numpy(np.float64) for k in ("high", "low", "close"))
    f["atr"] = talib.ATR(h, lo, c, timeperiod=14)
    return f


def _d(x: float) -> Decimal:
    return Decimal(repr(float(x)))


@dataclass
class _Held:
    qty: int
    entry_day: date
    entry_price: Decimal
    stop: Decimal


Trade = tuple[str, date, date, int, Decimal, Decimal, str]
#: (ticker, side, shares, stop, reference price, day approved)
Order = tuple[str, str, int, Decimal, Decimal, date]


def _recompute(
    frames: dict[str, pd.DataFrame], tickers: tuple[str, ...], cash: Decimal
) -> tuple[list[Trade], Decimal, Counter[str]]:
    days = frames["AAPL"].index  # every session of the data
    held: dict[str, _Held] = {}
    queue: list[Order] = []
    trades: list[Trade] = []
    last: dict[str, Decimal] = {}
    seen: Counter[str] = Counter()
    for ts in days:
        day = ts.date()
        bars = {t: frames[t].loc[ts] for t in tickers if ts in frames[t].index}
        # The open: sales first (their proceeds can pay for the buys), each in approval order.
        # An order whose ticker has no bar today waits for its next one; sent eight or more
        # days after its approval it is stale and dropped.
        waiting: list[Order] = []
        for order in sorted(queue, key=lambda q: q[1] != "sell"):
            ticker, side, qty, stop, _, approved = order
            if ticker not in bars:
                waiting.append(order)
                seen["waited"] += 1
                continue
            if (day - approved).days >= 8:
                seen["stale"] += 1
                continue
            fill_at = _d(bars[ticker]["open"])
            if side == "sell":
                fill = (fill_at * (1 - SLIP)).quantize(Q4, ROUND_HALF_EVEN)
                h = held.pop(ticker)
                cash += h.qty * fill
                trades.append((ticker, h.entry_day, day, h.qty, h.entry_price, fill, "signal"))
                continue
            fill = (fill_at * (1 + SLIP)).quantize(Q4, ROUND_HALF_EVEN)
            if qty * fill <= cash:
                cash -= qty * fill
                held[ticker] = _Held(qty, day, fill, stop)
        queue = waiting
        for ticker in sorted(held.keys() & bars.keys()):  # stops on today's bar
            h, bar = held[ticker], bars[ticker]
            if _d(bar["low"]) <= h.stop:
                fill = (min(_d(bar["open"]), h.stop) * (1 - SLIP)).quantize(Q4, ROUND_HALF_EVEN)
                cash += h.qty * fill
                trades.append((ticker, h.entry_day, day, h.qty, h.entry_price, fill, "stop"))
                del held[ticker]
        last.update({t: _d(b["close"]) for t, b in bars.items()})
        equity = cash + sum((h.qty * last[t] for t, h in sorted(held.items())), Decimal(0))
        # Entries still waiting keep their cash.
        pending = sum((o[2] * o[4] for o in queue if o[1] == "buy"), Decimal(0))
        spendable = max(max(cash, Decimal(0)) - pending, Decimal(0))
        for ticker in tickers:  # the evening, in ticker order
            # Without a bar today, or with an order waiting, a ticker has nothing new to
            # decide (a stale entry would be refused for stale data anyway).
            if ticker not in bars or ticker in {o[0] for o in queue}:
                continue
            row = bars[ticker]
            if ticker in held:
                if row["sell"]:
                    queue.append((ticker, "sell", 0, Decimal(0), Decimal(0), day))
                continue
            if not row["buy"]:
                continue
            price, dist = last[ticker], _d(row["atr"]).quantize(Q4) * 2
            stop = (price - dist).quantize(CENT, ROUND_CEILING)
            risk_shares = int(equity * Decimal("0.01") / dist) if 0 < stop < price else 0
            shares = min(risk_shares, int(equity * Decimal("0.05") / price))
            if shares >= 1 and shares * price <= spendable:
                spendable -= shares * price
                queue.append((ticker, "buy", shares, stop, price, day))
    final = cash + sum((h.qty * last[t] for t, h in held.items()), Decimal(0))
    return trades, final, seen


async def test_crossover_when_recomputed_in_pandas_then_same_trades_and_final_equity(
    shared_market: Path,
) -> None:
    tickers = TICKERS + GAPPY
    params = BacktestParams(
        shared_market, tickers, date(2013, 2, 8), date(2018, 2, 7),
        strategy="crossover", risk_profile="buying-power-only",
    )  # fmt: skip
    result = await run_fast_backtest(params)
    frames = {t: _frame(shared_market, t) for t in tickers}
    assert len(result.days) == len(frames["AAPL"]) == 1259
    trades, final, seen = _recompute(frames, tickers, params.initial_cash)

    ours = [
        (t.ticker, t.entry_date, t.exit_date, int(t.shares), t.entry_price, t.exit_price,
         t.exit_reason)
        for t in result.trades
    ]  # fmt: skip
    assert len(trades) > 100  # a real exercise: entries, stop-outs and crossover exits
    assert {t[6] for t in trades} == {"signal", "stop"}
    assert seen["waited"] > 0  # and orders that waited for their ticker's next bar
    assert ours == trades
    assert result.days[-1].equity == final
