"""The pipeline backtest engine (the live DecisionPipeline replayed day by day) on ../shared/data.

Runs the rule analyst over a slice of the shared data (default 10 tickers x 6 months) on the
pipeline engine, and the same slice on the fast engine, and reports the pipeline engine's
ticker-days per second and whether both engines end on the same equity. Issue 13's target is
>= 1,000 ticker-days/s on the in-memory unit of work: the replay desk (``bootstrap.replay``)
keeps our books in a ``MemoryStore`` and the simulated broker's in a ``MemorySimLedger``.

Each engine runs on the product's event loop (``swingdesk.event_loop.run``, as ``swingdesk
backtest`` and the API's backtest worker run it). A first, one-week run pays what a process
pays once (the exchange calendar's schedule, lazy imports) and is reported apart as
``first_run_s``; then the slice runs ``--repeats`` times and the median run counts. Process
CPU time is reported beside the wall clock, and the load average, so that runs on a busy
machine can be read.

Measured 2026-12-04 on the shared two-core machine at load ~0.6, 10 tickers x 6 months
(1,260 ticker-days), both engines ending on equity 100491.4211 with 19 trades: the tree
before (f0337c6, the desk's books in a SQLite file) 10.45 s = 120.6 ticker-days/s; now
0.73 s (median of 0.72, 0.73, 0.90) = 1,721 ticker-days/s (target met); the fast engine
0.11 s; a first run in a fresh process 0.20 s.

    .venv/bin/python bench/bench_replay.py [--data DIR] [--tickers 10] [--months 6]
        [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from _common import write
from swingdesk import event_loop
from swingdesk.backtest.result import BacktestParams
from swingdesk.backtest.runner import run_backtest

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "market"
START = date(2016, 1, 4)
TARGET_TICKER_DAYS_PER_S = 1_000
TICKERS = ("AAPL", "MSFT", "JPM", "XOM", "JNJ", "PG", "KO", "WMT", "INTC", "CSCO", "PFE", "T",
           "VZ", "CVX", "MRK", "HD", "DIS", "BA", "IBM", "MCD")  # fmt: skip


def _once(data: Path, tickers: tuple[str, ...], end: date, engine: str) -> dict[str, Any]:
    params = BacktestParams(data, tickers, START, end, strategy="rules", engine=engine)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    result = event_loop.run(run_backtest(params))
    run_s, cpu_s = time.perf_counter() - wall0, time.process_time() - cpu0
    doc = result.to_doc()
    return {
        "run_s": round(run_s, 3),
        "cpu_s": round(cpu_s, 3),
        "ticker_days": result.decisions,
        "final_equity": doc["metrics"]["final_equity"],
        "trades": doc["metrics"]["trades"],
    }


def _engine(
    data: Path, tickers: tuple[str, ...], end: date, engine: str, repeats: int
) -> dict[str, Any]:
    runs = [_once(data, tickers, end, engine) for _ in range(repeats)]
    median_s = statistics.median(r["run_s"] for r in runs)
    first = runs[0]
    if any(r["final_equity"] != first["final_equity"] for r in runs):
        raise SystemExit(f"{engine}: repeated runs ended on different equity")
    return {
        "engine": engine,
        "runs_s": [r["run_s"] for r in runs],
        "cpu_s": [r["cpu_s"] for r in runs],
        "run_s": median_s,
        "ticker_days": first["ticker_days"],
        "ticker_days_per_s": round(first["ticker_days"] / median_s, 1),
        "final_equity": first["final_equity"],
        "trades": first["trades"],
    }


def main() -> None:
    """Run the benchmark and write bench/results/replay.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--tickers", type=int, default=10)
    parser.add_argument("--months", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if not (args.data / "AAPL.csv").is_file():
        raise SystemExit(f"no shared market data at {args.data}")
    tickers = TICKERS[: args.tickers]
    end = START + timedelta(days=round(args.months * 30.4))
    load_before = os.getloadavg()[0]
    first = _once(args.data, tickers[:1], START + timedelta(days=7), "pipeline")
    pipeline = _engine(args.data, tickers, end, "pipeline", args.repeats)
    fast = _engine(args.data, tickers, end, "fast", args.repeats)
    same = pipeline["final_equity"] == fast["final_equity"]
    print(
        f"first run in this process (1 ticker, 1 week): {first['run_s']:.2f} s\n"
        f"pipeline engine, rules, {len(tickers)} tickers {START}..{end}: "
        f"{pipeline['ticker_days']:,} ticker-days in {pipeline['run_s']:.2f} s (median of "
        f"{pipeline['runs_s']}; cpu {pipeline['cpu_s']}) = "
        f"{pipeline['ticker_days_per_s']:,} ticker-days/s "
        f"(target >= {TARGET_TICKER_DAYS_PER_S:,}); final equity {pipeline['final_equity']}, "
        f"{pipeline['trades']} trades\n"
        f"fast engine, same slice: {fast['run_s']:.2f} s; final equity {fast['final_equity']} "
        f"({'equal' if same else 'DIFFERENT'}); load average {load_before:.2f} -> "
        f"{os.getloadavg()[0]:.2f}"
    )
    out = {
        "first_run_s": first["run_s"],
        "pipeline": pipeline,
        "fast": fast,
        "same_final_equity": same,
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "target_ticker_days_per_s": TARGET_TICKER_DAYS_PER_S,
        "met": pipeline["ticker_days_per_s"] >= TARGET_TICKER_DAYS_PER_S,
    }
    print(f"wrote {write('replay', out, args.out)}")


if __name__ == "__main__":
    main()
