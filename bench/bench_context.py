"""Benchmark the market context: 500 snapshots with news and fundamentals, and sentiment.

- snapshot of 500 tickers from the simulated market with its headlines, fundamentals and
  their VADER sentiment (the market drawn with a 500-stock universe: the 70 real names'
  parameters under 500 symbols): cold (draw the market, build every ticker's headlines and
  fundamentals, score them, 500 snapshots) and warm (the same 500 snapshots again, from the
  agent's snapshot cache, as ``bench_marketdata`` measures warm). Targets: cold <= 3 s,
  warm <= 100 ms. Also shown: the same 500 snapshots a second later (every cache but the
  snapshot's own warm), which is what an autopilot scan pays.
- sentiment scoring: distinct headlines (every one the simulated market wrote in ten years,
  about 22,000) scored one by one by the VADER scorer, no cache. Target >= 10,000 a second.

Run: .venv/bin/python bench/bench_context.py [--tickers 500] [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import summary, write
from swingdesk.adapters.simulated_market import SimulatedMarket
from swingdesk.adapters.simulated_news import SimulatedContext
from swingdesk.adapters.simulated_universe import UNIVERSE, SimTicker
from swingdesk.adapters.vader_sentiment import VaderScorer
from swingdesk.domain.calendar import TradingCalendar
from swingdesk.marketdata.agent import MarketDataAgent

NOW = datetime(2026, 11, 24, 21, 30, tzinfo=UTC)  # a Tuesday evening: every session closed
TODAY = date(2026, 12, 31)


def universe(n: int) -> tuple[SimTicker, ...]:
    """Return ``n`` simulated stocks: the real names' parameters under distinct symbols."""
    out = []
    for i in range(n):
        base = UNIVERSE[i % len(UNIVERSE)]
        out.append(
            SimTicker(f"S{i:03d}", f"{base.name} #{i}", base.sector, base.price,
                      base.adv_millions, base.beta, base.vol)
        )  # fmt: skip
    return tuple(out)


async def _snapshots(agent: MarketDataAgent, tickers: list[str], now: datetime) -> tuple[int, int]:
    with_news = with_figures = 0
    for ticker in tickers:
        snap = await agent.snapshot(ticker, now)
        with_news += bool(snap.news)
        with_figures += snap.fundamentals is not None
    return with_news, with_figures


def cold_and_warm(n: int, calendar: TradingCalendar) -> dict[str, float]:
    """Return cold, warm and next-second wall times (s) for ``n`` snapshots with context."""
    gc.collect()
    t0 = time.perf_counter()
    market = SimulatedMarket(42, calendar=calendar, today=TODAY, universe=universe(n))
    t_draw = time.perf_counter() - t0
    agent = MarketDataAgent(market, calendar, cache_ttl_s=600, context=market, scorer=VaderScorer())
    tickers = list(market.universe())
    news, figures = asyncio.run(_snapshots(agent, tickers, NOW))
    t_cold = time.perf_counter() - t0
    t1 = time.perf_counter()
    asyncio.run(_snapshots(agent, tickers, NOW))
    t_warm = time.perf_counter() - t1
    t2 = time.perf_counter()
    asyncio.run(_snapshots(agent, tickers, NOW + timedelta(seconds=1)))
    t_next = time.perf_counter() - t2
    assert figures == n, "every simulated ticker has fundamentals"
    return {"draw_s": t_draw, "cold_s": t_cold, "warm_s": t_warm, "next_second_s": t_next,
            "with_news": news}  # fmt: skip


def sentiment_rate(calendar: TradingCalendar) -> tuple[float, int]:
    """Return headlines scored per second (distinct titles, no cache) and how many."""
    market = SimulatedMarket(42, calendar=calendar, today=TODAY)
    ctx = SimulatedContext(market.daily())
    end = NOW.timestamp()
    titles = list(
        dict.fromkeys(
            h.title for k in range(len(market.universe())) for h in ctx.headlines_between(k, 0, end)
        )
    )
    scorer = VaderScorer()
    t0 = time.perf_counter()
    for title in titles:
        scorer.score(title)
    return len(titles) / (time.perf_counter() - t0), len(titles)


def main() -> None:
    """Run the benchmark, print the figures and write bench/results/context.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickers", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    calendar = TradingCalendar()
    calendar.ensure_covers(TODAY)  # the calendar is process-wide, built before timing
    VaderScorer()  # the lexicon's first read (about 10 ms) is a process start-up cost
    runs = [cold_and_warm(args.tickers, calendar) for _ in range(args.repeat)]
    rates = [sentiment_rate(calendar) for _ in range(args.repeat)]
    out = {
        "tickers": args.tickers,
        "draw_s": summary([r["draw_s"] for r in runs]),
        "cold_s": summary([r["cold_s"] for r in runs]),
        "warm_s": summary([r["warm_s"] for r in runs]),
        "next_second_s": summary([r["next_second_s"] for r in runs]),
        "snapshots_with_headlines": runs[0]["with_news"],
        "sentiment_headlines_per_s": summary([r for r, _ in rates]),
        "sentiment_headlines": rates[0][1],
        "targets": {"cold_s": 3.0, "warm_s": 0.1, "sentiment_headlines_per_s": 10_000},
    }
    print(
        f"simulated snapshot x{args.tickers} with news and fundamentals: draw "
        f"{out['draw_s']['median']:.3f} s, cold {out['cold_s']['median']:.3f} s (target 3 s), "
        f"warm {out['warm_s']['median'] * 1000:.1f} ms (target 100 ms), a second later "
        f"{out['next_second_s']['median'] * 1000:.0f} ms; "
        f"{out['snapshots_with_headlines']} of {args.tickers} with headlines"
    )
    print(
        f"sentiment: {out['sentiment_headlines_per_s']['median']:,.0f} headlines/s over "
        f"{out['sentiment_headlines']:,} distinct titles (target 10,000/s)"
    )
    print(f"written to {write('context', out)}")


if __name__ == "__main__":
    main()
