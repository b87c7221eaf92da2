"""Several replicas on PostgreSQL and Redis: the bus's latency, SSE fan-out, portfolio reads.

1. **bus**: the Redis Streams bus alone on loopback: one process publishes (XADD) paced
   messages stamped with the time, a subscriber (XREAD BLOCK, its own connection) receives
   them; latency = receipt - publish call. Target: p99 <= 20 ms.
2. **fan-out**: three real `swingdesk serve` replicas (local PostgreSQL schema, Redis
   prefix of their own), CLIENTS raw-socket SSE clients spread evenly over them (asyncio, in
   this process). EVENTS commits made beside them (as `swingdesk trigger` would: one audit
   entry each, at RATE a second) go the whole way: commit -> outbox -> NOTIFY -> the
   leader's relay -> Redis -> every replica's hub -> every client. Latency of a delivery =
   its receipt time - the wall time stamped into the entry just before its commit.
   Target: p99 <= 250 ms with 1,500 clients in all.
3. **portfolio**: GET /api/portfolio against the three replicas at once for a few seconds
   (keep-alive connections per replica); requests per second per replica (report only: two
   cores run the replicas, PostgreSQL, Redis and this client).

    .venv/bin/python bench/bench_replicas.py [--clients 1500] [--events 100] [--rate 20]

Needs PostgreSQL on 127.0.0.1:5432 (database ``test``) and Redis on 127.0.0.1:6379.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fakes.desk_cluster import Cluster
from tests.fakes.desk_server import READ_KEY

from _common import summary, write
from swingdesk.adapters.clock import SystemClock
from swingdesk.adapters.redis_bus import RedisStreamBus
from swingdesk.ports import BusMessage
from swingdesk.store.commit_signal import CommitSignal
from swingdesk.store.store import Store

PG = "postgresql://postgres@127.0.0.1:5432/test"
REDIS = "redis://127.0.0.1:6379/0"


async def bench_bus(n: int, prefix: str) -> dict[str, Any]:
    """Publish ``n`` paced messages and time each one to its subscriber."""
    bus = RedisStreamBus(REDIS, prefix=prefix, epoch=1, block_ms=1000)
    latencies: list[float] = []
    done = asyncio.Event()

    async def consume() -> None:
        async for m in bus.subscribe(after=0):
            latencies.append((time.perf_counter() - m.payload["t"]) * 1000)
            if len(latencies) >= n:
                done.set()

    reader = asyncio.create_task(consume())
    await asyncio.sleep(0.3)
    for seq in range(1, n + 1):
        await bus.publish(BusMessage(seq, "bench", {"t": time.perf_counter()}, 1))
        await asyncio.sleep(0.001)
    await asyncio.wait_for(done.wait(), 30)
    reader.cancel()
    await asyncio.gather(reader, return_exceptions=True)
    await bus.close()
    return {"messages": n, "latency_ms": summary(latencies)}


async def _sse_client(
    host: str, port: int, sink: list[float], ready: list[int], stop: asyncio.Event
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(
        f"GET /api/stream HTTP/1.1\r\nHost: {host}\r\nX-API-Key: {READ_KEY}\r\n\r\n".encode()
    )
    await writer.drain()
    ready.append(1)
    event = b""
    try:
        while not stop.is_set():
            line = await reader.readline()
            if not line:
                return
            if line.startswith(b"event: "):
                event = line[7:].strip()
            elif line.startswith(b"data: ") and event == b"audit" and b'"sent"' in line:
                now = time.time()
                with contextlib.suppress(ValueError, KeyError):
                    sink.append((now - json.loads(line[6:])["payload"]["sent"]) * 1000)
    finally:
        writer.close()


class _Announce:
    def __init__(self, signal: CommitSignal) -> None:
        self.signal = signal

    async def committed(self, messages: list[Any]) -> None:
        self.signal.notify()


async def bench_fanout(cluster: Cluster, clients: int, events: int, rate: float) -> dict[str, Any]:
    """Hold ``clients`` streams over the replicas; time ``events`` commits to each client."""
    sink: list[float] = []
    ready: list[int] = []
    stop = asyncio.Event()
    tasks = []
    for i in range(clients):
        server = cluster.replicas[i % len(cluster.replicas)]
        tasks.append(asyncio.create_task(_sse_client("127.0.0.1", server.port, sink, ready, stop)))
        if i % 100 == 99:
            await asyncio.sleep(0.05)  # do not stampede the accept queues
    for _ in range(600):  # up to 60 s for every client to connect
        if len(ready) >= clients:
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(2)
    # Commits made beside the replicas (as `swingdesk trigger` would): one audit entry per
    # transaction, stamped just before its commit, announced with NOTIFY like any commit
    # the leader did not make itself.
    store = Store.from_url(cluster.database_url)
    signal = CommitSignal(store.engine)
    store.publish_to(_Announce(signal))
    clock = SystemClock()
    try:
        for i in range(events):
            async with store.tx() as tx:
                sent = {"sent": time.time()}  # then the outbox write and the commit
                await tx.audit("bench.tick", f"tick {i}", now=clock.now(), payload=sent)
            await asyncio.sleep(1 / rate)
        await asyncio.sleep(3)
    finally:
        await signal.close()
        await store.close()
    stop.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    per_event = len(sink) / clients if clients else 0
    return {
        "clients": clients,
        "connected": len(ready),
        "events": events,
        "events_per_s": rate,
        "deliveries": len(sink),
        "received_per_client": round(per_event, 1),
        "latency_ms": summary(sink),
    }


async def bench_portfolio(cluster: Cluster, seconds: float, conns: int) -> dict[str, Any]:
    """Read GET /api/portfolio from every replica at once; requests per second each."""
    counts = [0] * len(cluster.replicas)
    errors = [0] * len(cluster.replicas)
    end = time.monotonic() + seconds

    async def worker(i: int, client: httpx.AsyncClient) -> None:
        url = f"{cluster.replicas[i].url}/api/portfolio"
        while time.monotonic() < end:
            r = await client.get(url)
            if r.status_code == 200:
                counts[i] += 1
            else:
                errors[i] += 1

    limits = httpx.Limits(max_connections=conns * len(cluster.replicas))
    async with httpx.AsyncClient(
        timeout=30, limits=limits, headers={"X-API-Key": READ_KEY}
    ) as client:
        await asyncio.gather(
            *(worker(i, client) for i in range(len(cluster.replicas)) for _ in range(conns))
        )
    return {
        "seconds": seconds,
        "connections_per_replica": conns,
        "requests_per_s": [round(c / seconds, 1) for c in counts],
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=1500)
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--rate", type=float, default=20.0, help="commits per second")
    parser.add_argument("--bus-messages", type=int, default=2000)
    parser.add_argument("--portfolio-seconds", type=float, default=10.0)
    args = parser.parse_args()
    prefix = f"sdbench:{uuid.uuid4().hex[:8]}"
    schema = f"sd_bench_{uuid.uuid4().hex[:8]}"
    results: dict[str, Any] = {}
    results["bus"] = asyncio.run(bench_bus(args.bus_messages, prefix + ":bus"))
    print("bus publish->deliver (ms):", results["bus"]["latency_ms"])
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = {
                "SWINGDESK_AUTOPILOT_ENABLED": "false",
                "SWINGDESK_RISK_COOLDOWN_S": "0",
                "SWINGDESK_LOG_LEVEL": "WARNING",
            }
            url = f"postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3D{schema}"
            with Cluster(
                root=Path(tmp),
                database_url=url,
                pg_dsn=PG,
                redis_url=REDIS,
                redis_prefix=prefix,
                extra_env=env,
            ) as cluster:
                cluster.wait_leader()
                results["fanout"] = asyncio.run(
                    bench_fanout(cluster, args.clients, args.events, args.rate)
                )
                print("SSE fan-out over 3 replicas:", results["fanout"])
                results["portfolio"] = asyncio.run(
                    bench_portfolio(cluster, args.portfolio_seconds, 16)
                )
                print("GET /api/portfolio per replica:", results["portfolio"])
    finally:
        with psycopg.connect(PG, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        import redis

        client = redis.Redis.from_url(REDIS)
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
    results["targets"] = {"bus_p99_ms": 20, "fanout_p99_ms": 250}
    results["met"] = {
        "bus": results["bus"]["latency_ms"]["p99"] <= 20,
        "fanout": results["fanout"]["latency_ms"]["p99"] <= 250,
    }
    print("targets met:", results["met"])
    print("written to", write("replicas", results))


if __name__ == "__main__":
    main()
