"""Benchmark the CSV provider and the indicators on ../shared/data/market.

- snapshot for 500 tickers from the CSV provider: cold (load + validate every file, then
  500 snapshots) and warm (the same 500 snapshots again, from the agent's snapshot cache).
  Targets: cold <= 2 s, warm <= 50 ms.
- SMA-20, SMA-50, ATR-14 and ADV-20 over each ticker's whole five-year history, ATR-14 being
  the decision ATR of every bar (TA-Lib's over its last 400 bars, as a backtest computes it).
  Target <= 1 s.

Run: .venv/bin/python bench/bench_marketdata.py [--data DIR] [--repeat N]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import resource
import sys
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import summary, write
from swingdesk.adapters.csv_market import CsvMarket
from swingdesk.domain.calendar import TradingCalendar
from swingdesk.marketdata.agent import MarketDataAgent
from swingdesk.marketdata.indicators import decision_atr_values, rolling_mean_values

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "market"
NOW = datetime(2018, 2, 7, 22, 0, tzinfo=UTC)  # after the last session in the shared data
N_TICKERS = 500


async def _snapshots(agent: MarketDataAgent, tickers: list[str]) -> int:
    done = 0
    for ticker in tickers:
        snap = await agent.snapshot(ticker, NOW)
        done += snap.price is not None
    return done


def cold_and_warm(data: Path) -> dict[str, float]:
    """Return cold and warm wall times (s) for 500 snapshots."""
    calendar = TradingCalendar()
    calendar.ensure_covers(NOW.date())  # the calendar is process-wide, built before timing
    gc.collect()
    t0 = time.perf_counter()
    market = CsvMarket(data, calendar=calendar)
    t_load = time.perf_counter() - t0
    agent = MarketDataAgent(market, calendar, cache_ttl_s=600)
    tickers = list(market.universe())[:N_TICKERS]
    ok = asyncio.run(_snapshots(agent, tickers))
    t_cold = time.perf_counter() - t0
    t1 = time.perf_counter()
    asyncio.run(_snapshots(agent, tickers))
    t_warm = time.perf_counter() - t1
    assert ok == len(tickers)
    return {"load_s": t_load, "cold_s": t_cold, "warm_s": t_warm}


def peak_memory(data: Path) -> float:
    """Return the peak Python heap (MiB) of a cold load plus 500 snapshots."""
    calendar = TradingCalendar()
    calendar.ensure_covers(NOW.date())
    tracemalloc.start()
    market = CsvMarket(data, calendar=calendar)
    agent = MarketDataAgent(market, calendar, cache_ttl_s=600)
    asyncio.run(_snapshots(agent, list(market.universe())[:N_TICKERS]))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def indicators(data: Path) -> tuple[float, int, int]:
    """Return the time (s) to compute every indicator over each whole history."""
    market = CsvMarket(data)
    tickers = list(market.universe())[:N_TICKERS]
    histories = [market.bars_until(t, NOW)[0] for t in tickers]
    t0 = time.perf_counter()
    for b in histories:
        rolling_mean_values(b.close, 20)
        rolling_mean_values(b.close, 50)
        decision_atr_values(b.high, b.low, b.close)
        rolling_mean_values(b.volume, 20)
    return time.perf_counter() - t0, len(histories), sum(b.close.size for b in histories)


def main() -> None:
    """Run the benchmark, print the figures and write bench/results/marketdata.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if not (args.data / "AAPL.csv").is_file():
        sys.exit(f"no market data at {args.data}")
    runs = [cold_and_warm(args.data) for _ in range(args.repeat)]
    ind = [indicators(args.data) for _ in range(args.repeat)]
    mem = peak_memory(args.data)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = {
        "tickers": N_TICKERS,
        "load_s": summary([r["load_s"] for r in runs]),
        "cold_s": summary([r["cold_s"] for r in runs]),
        "warm_s": summary([r["warm_s"] for r in runs]),
        "peak_heap_mib": mem,
        "max_rss_mib": rss,
        "indicators_s": summary([t for t, _, _ in ind]),
        "indicator_bars": ind[0][2],
        "targets": {"cold_s": 2.0, "warm_s": 0.05, "indicators_s": 1.0},
    }
    print(
        f"CSV snapshot x{N_TICKERS}: load {out['load_s']['median']:.3f} s, "
        f"cold {out['cold_s']['median']:.3f} s (target 2 s), "
        f"warm {out['warm_s']['median'] * 1000:.1f} ms (target 50 ms)"
    )
    print(f"peak Python heap {mem:.1f} MiB, max RSS {rss:.0f} MiB")
    print(
        f"indicators {ind[0][1]} tickers, {ind[0][2]} bars: "
        f"{out['indicators_s']['median'] * 1000:.1f} ms (target 1 s)"
    )
    print(f"written to {write('marketdata', out)}")


if __name__ == "__main__":
    main()
