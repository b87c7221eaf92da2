"""The pipeline backtest engine (the live DecisionPipeline replayed day by day) on ../shared/data.

Runs the rule analyst over a slice of the shared data (default 10 tickers x 6 months) on the
pipeline engine, and the same slice on the fast engine, and reports the pipeline engine's
ticker-days per second and whether both engines end on the same equity. Issue 13's target is
>= 1,000 ticker-days/s on an in-memory unit of work; the desk's persistence here is the
engine's SQLite file (there is no in-memory Store for the whole desk yet).

    .venv/bin/python bench/bench_replay.py [--data DIR] [--tickers 10] [--months 6]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from _common import write
from swingdesk.backtest.result import BacktestParams
from swingdesk.backtest.runner import run_backtest

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "market"
START = date(2016, 1, 4)
TARGET_TICKER_DAYS_PER_S = 1_000
TICKERS = ("AAPL", "MSFT", "JPM", "XOM", "JNJ", "PG", "KO", "WMT", "INTC", "CSCO", "PFE", "T",
           "VZ", "CVX", "MRK", "HD", "DIS", "BA", "IBM", "MCD")  # fmt: skip


async def _run(data: Path, tickers: tuple[str, ...], end: date, engine: str) -> dict[str, Any]:
    params = BacktestParams(data, tickers, START, end, strategy="rules", engine=engine)
    t0 = time.perf_counter()
    result = await run_backtest(params)
    run_s = time.perf_counter() - t0
    doc = result.to_doc()
    return {
        "engine": engine,
        "run_s": round(run_s, 3),
        "ticker_days": result.decisions,
        "ticker_days_per_s": round(result.decisions / run_s, 1),
        "final_equity": doc["metrics"]["final_equity"],
        "trades": doc["metrics"]["trades"],
    }


def main() -> None:
    """Run the benchmark and write bench/results/replay.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--tickers", type=int, default=10)
    parser.add_argument("--months", type=int, default=6)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if not (args.data / "AAPL.csv").is_file():
        raise SystemExit(f"no shared market data at {args.data}")
    tickers = TICKERS[: args.tickers]
    end = START + timedelta(days=round(args.months * 30.4))
    pipeline = asyncio.run(_run(args.data, tickers, end, "pipeline"))
    fast = asyncio.run(_run(args.data, tickers, end, "fast"))
    same = pipeline["final_equity"] == fast["final_equity"]
    print(
        f"pipeline engine, rules, {len(tickers)} tickers {START}..{end}: "
        f"{pipeline['ticker_days']:,} ticker-days in {pipeline['run_s']:.2f} s = "
        f"{pipeline['ticker_days_per_s']:,} ticker-days/s "
        f"(target >= {TARGET_TICKER_DAYS_PER_S:,}); final equity {pipeline['final_equity']}, "
        f"{pipeline['trades']} trades\n"
        f"fast engine, same slice: {fast['run_s']:.2f} s; final equity {fast['final_equity']} "
        f"({'equal' if same else 'DIFFERENT'})"
    )
    out = {
        "pipeline": pipeline,
        "fast": fast,
        "same_final_equity": same,
        "target_ticker_days_per_s": TARGET_TICKER_DAYS_PER_S,
        "met": pipeline["ticker_days_per_s"] >= TARGET_TICKER_DAYS_PER_S,
    }
    print(f"wrote {write('replay', out, args.out)}")


if __name__ == "__main__":
    main()
