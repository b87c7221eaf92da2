"""Backtest speed on ../shared/data/market: the fast engine, and backtrader on the same rule.

1. The desk's rule analyst over every ticker and session (505 x 1,259), every risk rule
   evaluated: data load time, run time (wall and CPU; target <= 1.0 s, issue 18), the same
   run again on the loaded market (as an optimisation's next trial), ticker-days per
   second, peak memory.
2. The SMA-20/50 crossover with risk profile "buying-power-only" (1% risk to a 2 x ATR-14
   stop, capped at 5% of equity, entries and exits at the next open, stop at entry - 2 ATR)
   in swingdesk and in backtrader, same data, same run; wall times, ratio and trade counts.

backtrader comes from the ``bench`` dependency group (``make bench`` syncs it).

    .venv/bin/python bench/bench_backtest.py [--data DIR] [--skip-backtrader]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import resource
import time
from datetime import date
from pathlib import Path
from typing import Any

from _common import write
from swingdesk.backtest.engine import load_market, run_on_market
from swingdesk.backtest.result import BacktestParams

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "market"
START, END = date(2013, 2, 8), date(2018, 2, 7)
#: Issue 18: an optimisation runs the full-universe rules backtest hundreds of times.
TARGET_RUN_S = 1.0
TARGET_TICKER_DAYS_PER_S = 100_000
TARGET_PEAK_MB = 1024


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _swingdesk(data: Path, strategy: str, profile: str) -> dict[str, Any]:
    probe = BacktestParams(data, (), START, END, strategy=strategy, risk_profile=profile)
    t0 = time.perf_counter()
    market = load_market(probe)
    load_s = time.perf_counter() - t0
    tickers = tuple(market.provider.universe())
    params = BacktestParams(data, tickers, START, END, strategy=strategy, risk_profile=profile)
    gc.collect()
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    result = await run_on_market(market, params)
    run_s = time.perf_counter() - t0
    cpu_s = time.process_time() - cpu0
    # The same run again on the loaded market, as an optimisation's next trial runs it.
    gc.collect()
    t0 = time.perf_counter()
    again = await run_on_market(market, params)
    again_s = time.perf_counter() - t0
    if again.days != result.days or again.fills != result.fills:
        raise SystemExit("a second run on the same market gave another result")
    bars = sum(
        int(((b.days >= _day(START)) & (b.days <= _day(END))).sum())
        for b in (market.provider.bars(t) for t in tickers)
    )
    return {
        "strategy": strategy,
        "risk_profile": profile,
        "tickers": len(tickers),
        "sessions": len(result.days),
        "ticker_days_decided": result.decisions,
        "bars_in_range": bars,
        "load_s": round(load_s, 3),
        "run_s": round(run_s, 3),
        "run_cpu_s": round(cpu_s, 3),
        "run_again_s": round(again_s, 3),
        "ticker_days_per_s": round(result.decisions / run_s),
        "approvals": result.approvals,
        "denials": dict(sorted(result.denials.items())),
        "fills": len(result.fills),
        "entries": sum(1 for f in result.fills if f.side == "buy"),
        "trades": len(result.trades),
        "final_equity": str(result.days[-1].equity),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
    }


def _day(d: date) -> int:
    return (d - date(1970, 1, 1)).days


def _backtrader(data: Path, tickers: tuple[str, ...]) -> dict[str, Any]:
    import backtrader as bt  # type: ignore[import-untyped,import-not-found,unused-ignore]
    import pandas as pd

    class Crossover(bt.Strategy):  # type: ignore[misc]
        """SMA-20/50 crossover, 1% risk to 2 x ATR-14, capped at 5%, stop at entry - 2 ATR."""

        def __init__(self) -> None:
            self.ind = {
                d: (bt.ind.SMA(d.close, period=20), bt.ind.SMA(d.close, period=50),
                    bt.ind.ATR(d, period=14))
                for d in self.datas
            }  # fmt: skip
            self.stops: dict[Any, Any] = {}
            self.stop_at: dict[Any, float] = {}
            self.trades = 0

        def prenext(self) -> None:
            self.next()  # late starters must not hold everyone back

        def notify_order(self, order: Any) -> None:
            d = order.data
            if order.status in (order.Canceled, order.Margin, order.Rejected) and order.isbuy():
                self.stop_at.pop(d, None)
            if order.status != order.Completed:
                return
            if order.isbuy():  # the protective stop goes in once the entry has filled
                stop_price = self.stop_at.pop(d)
                self.stops[d] = self.sell(
                    data=d, size=order.executed.size, exectype=bt.Order.Stop, price=stop_price
                )
            else:
                self.stops.pop(d, None)

        def next(self) -> None:
            equity = self.broker.getvalue()
            spendable = self.broker.getcash()
            for d in self.datas:
                if len(d) < 52:
                    continue
                s20, s50, atr = self.ind[d]
                above = s20[0] > s50[0] and not s20[-1] > s50[-1]
                below = s20[0] < s50[0] and not s20[-1] < s50[-1]
                pos = self.getposition(d).size
                if pos == 0 and above and atr[0] > 0 and d not in self.stop_at:
                    dist = 2 * atr[0]
                    size = int(min(equity * 0.01 / dist, equity * 0.05 / d.close[0]))
                    if size >= 1 and size * d.close[0] <= spendable:
                        spendable -= size * d.close[0]
                        self.buy(data=d, size=size)
                        self.stop_at[d] = d.close[0] - dist
                        self.trades += 1
                elif pos > 0 and below:
                    stop = self.stops.pop(d, None)
                    if stop is not None:
                        self.cancel(stop)
                    self.close(data=d)

    cerebro = bt.Cerebro(stdstats=False)
    cerebro.broker.setcash(100_000.0)
    cerebro.broker.set_slippage_perc(0.0005)
    for t in tickers:
        frame = pd.read_csv(data / f"{t}.csv", parse_dates=["date"], index_col="date")
        cerebro.adddata(bt.feeds.PandasData(dataname=frame, openinterest=None), name=t)
    cerebro.addstrategy(Crossover)
    t0 = time.perf_counter()
    strategy = cerebro.run(runonce=False)[0]
    run_s = time.perf_counter() - t0
    return {"run_s": round(run_s, 3), "entries": strategy.trades,
            "final_value": round(cerebro.broker.getvalue(), 2)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--skip-backtrader", action="store_true")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if not (args.data / "AAPL.csv").is_file():
        raise SystemExit(f"no shared market data at {args.data}")

    rules = asyncio.run(_swingdesk(args.data, "rules", "desk"))
    print(
        f"swingdesk rules (desk limits), {rules['tickers']} tickers x {rules['sessions']} "
        f"sessions = {rules['ticker_days_decided']:,} ticker-days "
        f"({rules['bars_in_range']:,} bars)\n"
        f"  load {rules['load_s']:.2f} s; run {rules['run_s']:.2f} s "
        f"(target <= {TARGET_RUN_S:.1f} s; CPU {rules['run_cpu_s']:.2f} s; again on the loaded "
        f"market {rules['run_again_s']:.2f} s); {rules['ticker_days_per_s']:,} ticker-days/s "
        f"(target >= {TARGET_TICKER_DAYS_PER_S:,}); peak RSS {rules['peak_rss_mb']:.0f} MB "
        f"(target <= {TARGET_PEAK_MB})\n"
        f"  approvals {rules['approvals']}, fills {rules['fills']}, trades {rules['trades']}, "
        f"denials {rules['denials']}"
    )
    cross = asyncio.run(_swingdesk(args.data, "crossover", "buying-power-only"))
    print(
        f"swingdesk crossover (buying-power-only): run {cross['run_s']:.2f} s, "
        f"{cross['ticker_days_per_s']:,} ticker-days/s, {cross['fills']} fills, "
        f"{cross['trades']} closed trades, final equity {cross['final_equity']}"
    )
    out: dict[str, Any] = {"rules": rules, "crossover": cross}
    if not args.skip_backtrader:
        tickers = tuple(sorted(p.stem for p in args.data.glob("*.csv") if p.stem.isupper()))
        bt_res = _backtrader(args.data, tickers)
        ratio = bt_res["run_s"] / cross["run_s"]
        entries = cross["entries"]
        print(
            f"backtrader crossover: run {bt_res['run_s']:.2f} s, {bt_res['entries']} entries, "
            f"final value {bt_res['final_value']}; swingdesk is {ratio:.1f}x faster "
            f"(target >= 10x); swingdesk entries {entries}"
        )
        out["backtrader"] = {**bt_res, "speedup": round(ratio, 2), "swingdesk_entries": entries}
    path = write("backtest", out, args.out)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
