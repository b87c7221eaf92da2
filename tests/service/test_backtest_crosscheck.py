"""An independent re-computation of a simple rule on the real data, against the fast engine.

The rule: SMA-20/50 crossover on integer sums of closes (in 1/10,000 dollars, so ties are
exact), exits then entries at the next open with slippage, 1% of equity risked to a stop
2 x ATR-14 (TA-Lib's, over the whole history) below the close, capped at 5% of equity, the
stop filled at the stop or at a gapped-down open, and only buying power as a gate. Written
here from pandas, TA-Lib and Decimal, without the desk's code, it must give the same trades
and the same final equity.
"""

from __future__ import annotations

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


def _recompute(frames: dict[str, pd.DataFrame], cash: Decimal) -> tuple[list[Trade], Decimal]:
    days = frames[TICKERS[0]].index
    held: dict[str, _Held] = {}
    queue: list[tuple[str, str, int, Decimal]] = []  # (ticker, side, qty, stop)
    trades: list[Trade] = []
    for i, ts in enumerate(days):
        day = ts.date()
        # The open: sales first (their proceeds can pay for the buys), each in approval order.
        for ticker, side, qty, stop in sorted(queue, key=lambda q: q[1] != "sell"):
            fill_at = _d(frames[ticker]["open"].iloc[i])
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
        queue = []
        for ticker in sorted(held):  # stops on today's bar
            h, bar = held[ticker], frames[ticker].iloc[i]
            if _d(bar["low"]) <= h.stop:
                fill = (min(_d(bar["open"]), h.stop) * (1 - SLIP)).quantize(Q4, ROUND_HALF_EVEN)
                cash += h.qty * fill
                trades.append((ticker, h.entry_day, day, h.qty, h.entry_price, fill, "stop"))
                del held[ticker]
        closes = {t: _d(frames[t]["close"].iloc[i]) for t in TICKERS}
        equity = cash + sum((h.qty * closes[t] for t, h in sorted(held.items())), Decimal(0))
        spendable = max(cash, Decimal(0))
        for ticker in TICKERS:  # the evening, in ticker order
            row = frames[ticker].iloc[i]
            if ticker in held:
                if row["sell"]:
                    queue.append((ticker, "sell", 0, Decimal(0)))
                continue
            if not row["buy"]:
                continue
            price, dist = closes[ticker], _d(row["atr"]).quantize(Q4) * 2
            stop = (price - dist).quantize(CENT, ROUND_CEILING)
            risk_shares = int(equity * Decimal("0.01") / dist) if 0 < stop < price else 0
            shares = min(risk_shares, int(equity * Decimal("0.05") / price))
            if shares >= 1 and shares * price <= spendable:
                spendable -= shares * price
                queue.append((ticker, "buy", shares, stop))
    last = {t: _d(frames[t]["close"].iloc[-1]) for t in TICKERS}
    final = cash + sum((h.qty * last[t] for t, h in held.items()), Decimal(0))
    return trades, final


async def test_crossover_when_recomputed_in_pandas_then_same_trades_and_final_equity(
    shared_market: Path,
) -> None:
    params = BacktestParams(
        shared_market, TICKERS, date(2013, 2, 8), date(2018, 2, 7),
        strategy="crossover", risk_profile="buying-power-only",
    )  # fmt: skip
    result = await run_fast_backtest(params)
    frames = {t: _frame(shared_market, t) for t in TICKERS}
    assert len(result.days) == len(frames[TICKERS[0]]) == 1259
    trades, final = _recompute(frames, params.initial_cash)

    ours = [
        (t.ticker, t.entry_date, t.exit_date, int(t.shares), t.entry_price, t.exit_price,
         t.exit_reason)
        for t in result.trades
    ]  # fmt: skip
    assert len(trades) > 100  # a real exercise: entries, stop-outs and crossover exits
    assert {t[6] for t in trades} == {"signal", "stop"}
    assert ours == trades
    assert result.days[-1].equity == final
