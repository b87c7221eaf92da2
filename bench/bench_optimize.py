"""Optimisation speed on ../shared/data/market: a walk-forward study of the rule analyst.

100 trials (4 folds x 25, rolling windows, in-sample 3 x out-of-sample) over 100 tickers x
5 years, run once in one process and once with 2 worker processes sharing a journal-file
study; target: the 2-worker run within 1.15 x (single-process time / 2), peak RSS per
worker <= 500 MB. The same run times the fast engine's full-universe rules backtest so the
figures sit next to each other (bench_backtest.py has backtrader's).

    .venv/bin/python bench/bench_optimize.py [--data DIR] [--trials-per-fold 25]
"""

from __future__ import annotations

import argparse
import resource
import time
from datetime import date
from pathlib import Path
from typing import Any

from _common import write
from swingdesk.optimize.config import OptimizeConfig
from swingdesk.optimize.run import Launch, optimize

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "market"
START, END = date(2013, 2, 8), date(2018, 2, 7)
TARGET_EFFICIENCY = 1.15
TARGET_WORKER_MB = 500


def _rss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def _run(config: OptimizeConfig, workers: int) -> tuple[float, dict[str, Any]]:
    t0 = time.perf_counter()
    doc = optimize(config, Launch(workers=workers))
    return time.perf_counter() - t0, doc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--tickers", type=int, default=100)
    parser.add_argument("--trials-per-fold", type=int, default=25)
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if not (args.data / "AAPL.csv").is_file():
        raise SystemExit(f"no shared market data at {args.data}")
    tickers = tuple(sorted(p.stem for p in args.data.glob("*.csv") if p.stem.isupper()))
    tickers = tickers[: args.tickers]
    base = OptimizeConfig(
        "bench", "rules", args.data, tickers, START, END, trials=args.trials_per_fold,
        folds=args.folds, is_ratio=3, seed=1,
    )  # fmt: skip
    single_s, single = _run(base.with_study("bench-1"), 1)
    single_rss = _rss_mb(resource.RUSAGE_SELF)
    double_s, double = _run(base.with_study("bench-2"), 2)
    worker_rss = _rss_mb(resource.RUSAGE_CHILDREN)
    budget = TARGET_EFFICIENCY * single_s / 2
    trials = single["trials"]
    print(
        f"walk-forward study, rules, {len(tickers)} tickers x {START}..{END}, "
        f"{args.folds} folds x {args.trials_per_fold} trials = {trials} trials\n"
        f"  1 process : {single_s:.1f} s ({single_s / trials:.2f} s/trial), "
        f"peak RSS {single_rss:.0f} MB\n"
        f"  2 workers : {double_s:.1f} s (target <= {budget:.1f} s = {TARGET_EFFICIENCY} x "
        f"single / 2; speed-up {single_s / double_s:.2f}x), peak RSS per worker "
        f"{worker_rss:.0f} MB (target <= {TARGET_WORKER_MB})\n"
        f"  out-of-sample Sharpe {single['overfitting']['out_of_sample_sharpe']}, "
        f"lowest deflated Sharpe {single['overfitting']['deflated_sharpe_min']}"
    )
    out = {
        "tickers": len(tickers), "start": START.isoformat(), "end": END.isoformat(),
        "folds": args.folds, "trials": trials,
        "single_process_s": round(single_s, 2), "two_workers_s": round(double_s, 2),
        "target_two_workers_s": round(budget, 2), "speedup": round(single_s / double_s, 3),
        "single_peak_rss_mb": round(single_rss, 1), "worker_peak_rss_mb": round(worker_rss, 1),
        "target_worker_peak_mb": TARGET_WORKER_MB,
        "met": double_s <= budget and worker_rss <= TARGET_WORKER_MB,
        "out_of_sample_sharpe": single["overfitting"]["out_of_sample_sharpe"],
        "two_workers_trials": double["trials"],
    }  # fmt: skip
    path = write("optimize", out, args.out)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
