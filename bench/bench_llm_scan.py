"""LLM scan throughput: 500 decisions against a fake OpenAI server that answers in 800 ms.

Drives the LLM analyst directly (``StrategyAgent(LLMStrategy(OpenAIChatClient))``, the real
``openai`` SDK over HTTP to a fake chat-completions server on 127.0.0.1) with snapshots
from the simulated market, at most 32 decisions in flight (an asyncio.Semaphore in this
driver, and the strategy's own limit). Market data, risk and the database are not part of
this figure. The response cache is on (read-through, in a temporary directory) and a
daily budget is enforced, as in production; every decision has a distinct prompt, so
every one calls the model.

Ideal = ceil(500 / 32) x 0.8 s = 12.8 s (the issue's 500 / 32 x 0.8 = 12.5 s is the
fractional bound); target: within 20% of 12.5 s, i.e. <= 15 s. The overhead per decision
outside the model call is reported two ways: (a) client-observed latency minus the
server's 800 ms, under load (SDK, HTTP, prompt, validation, cache, event loop sharing);
(b) the same pipeline with an in-memory client that answers at once, one at a time.

    .venv/bin/python bench/bench_llm_scan.py [--tickers 500] [--delay-s 0.8] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import uuid4

from _common import summary, write

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)


async def snapshots(count: int) -> list[Any]:
    """Return ``count`` distinct snapshots built from the simulated market, with its
    headlines, sentiment and fundamentals (the prompt the desk sends, fenced news and all)."""
    from swingdesk.adapters.simulated_market import SimulatedMarket
    from swingdesk.adapters.vader_sentiment import VaderScorer
    from swingdesk.domain.calendar import TradingCalendar
    from swingdesk.marketdata.agent import MarketDataAgent

    provider = SimulatedMarket(seed=42)
    agent = MarketDataAgent(provider, TradingCalendar(), context=provider, scorer=VaderScorer())
    base = [await agent.snapshot(t, NOW) for t in provider.universe()]
    # A distinct ticker per decision gives a distinct prompt, so no decision hits the cache.
    return [base[i % len(base)].model_copy(update={"ticker": f"S{i:03d}"}) for i in range(count)]


def book() -> Any:
    """Return a flat 100k account."""
    from swingdesk.domain.portfolio import PortfolioState

    cash = Decimal(100_000)
    return PortfolioState(
        cash=cash, buying_power=cash, high_water_mark=cash, start_of_day_equity=cash, as_of=NOW
    )


def strategy(client: Any, cache_dir: Path, concurrency: int) -> Any:
    """Return the LLM analyst as production wires it: prices, cache, budget, timeout."""
    from swingdesk.adapters.llm_cache import FileResponseCache
    from swingdesk.strategy.agent import StrategyAgent
    from swingdesk.strategy.budget import BudgetGuard, ModelPrice
    from swingdesk.strategy.llm import LLMStrategy

    price = ModelPrice(Decimal("0.15"), Decimal("0.60"))

    async def spent_today(_now: datetime) -> Decimal:
        return Decimal(0)

    return StrategyAgent(
        LLMStrategy(
            client,
            prices={"gpt-4o-mini": price},
            cache=FileResponseCache(cache_dir),
            budget=BudgetGuard(Decimal(100), spent_today, price),
            timeout_s=30.0,
            max_concurrency=concurrency,
        )
    )


async def scan(agent: Any, snaps: list[Any], concurrency: int) -> tuple[float, list[Any]]:
    """Run one decision per snapshot, at most ``concurrency`` at once; return wall s, signals."""
    gate = asyncio.Semaphore(concurrency)
    portfolio = book()

    async def one(snap: Any) -> Any:
        async with gate:
            return await agent.evaluate_context(uuid4(), snap, portfolio, NOW)

    start = time.perf_counter()
    signals = await asyncio.gather(*(one(s) for s in snaps))
    return time.perf_counter() - start, signals


async def measure(tickers: int, delay_s: float, concurrency: int) -> dict[str, Any]:
    """Run the scan against the fake server, then the in-process overhead pass."""
    sys.path.insert(0, str(ROOT))
    from tests.fakes.fake_openai import completion
    from tests.fakes.llm_fixtures import ScriptedLLM
    from tests.fakes.llm_server import Scripted, ScriptedServer, serving

    from swingdesk.adapters.openai_llm import OpenAIChatClient

    body = completion('{"action":"HOLD","confidence":0.5,"rationale":"No edge today."}')
    snaps = await snapshots(tickers)
    server = ScriptedServer("/v1/chat/completions", lambda _r: Scripted(body=body, delay_s=delay_s))
    with serving(server), tempfile.TemporaryDirectory() as tmp:
        client = OpenAIChatClient(
            api_key="sk-bench", base_url=f"{server.base_url}/v1", timeout_s=30, max_retries=0
        )
        agent = strategy(client, Path(tmp) / "warm", concurrency)
        await scan(agent, snaps[:concurrency], concurrency)  # open the connection pool
        server.reset()
        agent = strategy(client, Path(tmp) / "run", concurrency)
        wall_s, signals = await scan(agent, snaps, concurrency)
        await client.close()
        calls = len(server.requests)
    latencies = [s.latency_ms for s in signals]
    prompt_chars = [len(s.prompt) for s in signals]
    overhead = [max(0.0, ms - delay_s * 1000) for ms in latencies]
    codes: dict[str, int] = {}
    for s in signals:
        key = s.reason_code or s.action.value
        codes[key] = codes.get(key, 0) + 1

    # (b) In-process overhead: prompt, validation, cache, budget, signal; no HTTP, no SDK.
    with tempfile.TemporaryDirectory() as tmp:
        local = strategy(ScriptedLLM(), Path(tmp), 1)
        samples = []
        for snap in snaps:
            start = time.perf_counter()
            await local.evaluate_context(uuid4(), snap, book(), NOW)
            samples.append((time.perf_counter() - start) * 1000)

    ideal_s = tickers / concurrency * delay_s
    return {
        "tickers": tickers,
        "model_delay_s": delay_s,
        "concurrency": concurrency,
        "model_calls": calls,
        "outcomes": codes,
        "wall_s": wall_s,
        "decisions_per_s": tickers / wall_s,
        "ideal_s": ideal_s,
        "ideal_waves_s": math.ceil(tickers / concurrency) * delay_s,
        "target_s": ideal_s * 1.2,
        "meets_target": wall_s <= ideal_s * 1.2,
        "decision_latency_ms": summary(latencies),
        "overhead_under_load_ms": summary(overhead),
        "overhead_in_process_ms": summary(samples),
        "prompt_chars": summary([float(c) for c in prompt_chars]),
        "snapshots_with_headlines": sum(1 for s in snaps if s.news),
    }


def main() -> None:
    """Run the benchmark and write bench/results/llm_scan.json."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickers", type=int, default=500)
    parser.add_argument("--delay-s", type=float, default=0.8)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    r = asyncio.run(measure(args.tickers, args.delay_s, args.concurrency))
    print(
        f"{r['tickers']} decisions, model answers in {r['model_delay_s']} s, concurrency "
        f"{r['concurrency']}: {r['wall_s']:.2f} s ({r['decisions_per_s']:.1f} decisions/s); "
        f"ideal {r['ideal_s']:.2f} s (whole waves {r['ideal_waves_s']:.2f} s), "
        f"target <= {r['target_s']:.2f} s: {'met' if r['meets_target'] else 'MISSED'}"
    )
    lo, ip = r["overhead_under_load_ms"], r["overhead_in_process_ms"]
    print(
        f"overhead per decision outside the model call: under load median {lo['median']:.1f} ms "
        f"(p99 {lo['p99']:.1f}); in process median {ip['median']:.2f} ms (p99 {ip['p99']:.2f})"
    )
    print(f"model calls {r['model_calls']}, outcomes {r['outcomes']}")
    print(
        f"prompt {r['prompt_chars']['median']:.0f} characters median (fenced headlines, "
        f"sentiment, fundamentals); {r['snapshots_with_headlines']} snapshots with headlines"
    )
    print(f"wrote {write('llm_scan', r, args.out)}")


if __name__ == "__main__":
    main()
