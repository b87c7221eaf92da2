"""Order throughput against the fake Alpaca on loopback, no faults.

(a) the adapter alone: ``AlpacaPaperBroker.submit_order`` (one OTO POST, parsed by alpaca-py's
models); (b) the whole ``ExecutionAgent.execute`` on a SQLite file: order stored before the
call, submit, one poll for the fill, status + fill + stop leg booked and audited.

    .venv/bin/python bench/bench_orders.py [--orders 500]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fakes.alpaca_desk import alpaca_broker, approve, build_alpaca_desk
from tests.fakes.fake_alpaca import FakeAlpaca

from _common import summary, write
from swingdesk.adapters.clock import SystemClock
from swingdesk.config import async_url
from swingdesk.domain.enums import Intent, OrderSide
from swingdesk.domain.events import OrderRequest


def request(i: int) -> OrderRequest:
    return OrderRequest(
        decision_id=uuid4(),
        ts_event=datetime.now(UTC),
        client_order_id=f"sd-o-bench-{i}",
        ticker=f"T{i % 50}",
        side=OrderSide.BUY,
        intent=Intent.BUY_TO_OPEN,
        qty=Decimal(1),
        stop_price=Decimal(95),
        reference_price=Decimal(100),
        risk_event_id=uuid4(),
    )


async def bench_adapter(n: int) -> tuple[dict[str, float], float]:
    with FakeAlpaca(cash=Decimal(10**9)) as fake:
        broker = alpaca_broker(fake.url)
        await broker.submit_order(request(-1))  # warm the connection
        samples, t0 = [], time.perf_counter()
        for i in range(n):
            s = time.perf_counter()
            await broker.submit_order(request(i))
            samples.append((time.perf_counter() - s) * 1000)
        rate = n / (time.perf_counter() - t0)
        await broker.close()
    return summary(samples), rate


async def bench_agent(n: int) -> tuple[dict[str, float], float]:
    clock = SystemClock()
    with FakeAlpaca(cash=Decimal(10**9)) as fake, tempfile.TemporaryDirectory() as d:
        desk = await build_alpaca_desk(async_url(f"sqlite:///{Path(d) / 'b.db'}"), fake.url, clock)
        approvals = [await approve(desk.store, f"T{i % 50}", clock.now()) for i in range(n)]
        samples, t0 = [], time.perf_counter()
        for a in approvals:
            s = time.perf_counter()
            await desk.agent.execute(a, sector=None)
            samples.append((time.perf_counter() - s) * 1000)
        rate = n / (time.perf_counter() - t0)
        assert len(fake.created) == n
        await desk.close()
    return summary(samples), rate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=500)
    n = parser.parse_args().orders
    adapter, adapter_rate = asyncio.run(bench_adapter(n))
    agent, agent_rate = asyncio.run(bench_agent(n))
    print(
        f"adapter submit (OTO POST, loopback): {adapter_rate:.0f} orders/s, "
        f"p50 {adapter['median']:.2f} ms, p99 {adapter['p99']:.2f} ms"
    )
    print(
        f"ExecutionAgent.execute (SQLite, store+submit+poll+book): {agent_rate:.0f} orders/s, "
        f"p50 {agent['median']:.2f} ms, p99 {agent['p99']:.2f} ms"
    )
    path = write(
        "orders",
        {
            "orders": n,
            "adapter": {"orders_per_s": adapter_rate, "latency_ms": adapter},
            "execution_agent": {"orders_per_s": agent_rate, "latency_ms": agent},
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
