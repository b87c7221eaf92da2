"""SSE fan-out: N concurrent /api/stream clients, each receiving a burst of M events.

Starts the real app (uvicorn, child process) with one bench-only route that publishes a
burst of M messages on the desk's event bus, each stamped with the wall time it was
published. N raw-socket clients (asyncio, in this process) hold /api/stream open; the
delivery latency of an event is its receipt time minus its publish time, over all N x M
deliveries. Server memory is read from /proc. Target: delivery p99 <= 250 ms (N=500, M=100).

    .venv/bin/python bench/bench_sse.py [--clients 500] [--events 100]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from fastapi import APIRouter, Request

from _common import summary, write
from bench_api import free_port

KEY = "bench-trade-_gxDGWN6ZfmqTpbFcXI5sWbZ"
FRAME = re.compile(rb'data: \{"sent":([0-9.]+),"i":(\d+)\}\n\n')


def serve(port: int, data_dir: str) -> None:
    """Run the app plus a burst route (child process)."""
    import uvicorn

    from swingdesk.api.app import create_app
    from swingdesk.config import load_settings

    settings = load_settings(data_dir=Path(data_dir), api_key=KEY, port=port)
    app = create_app(settings, autopilot=False)

    bench = APIRouter()

    @bench.post("/bench/burst")
    async def burst(request: Request, n: int = 100) -> dict[str, int]:
        bus = request.app.state.desk.bus
        for i in range(n):
            await bus.publish("bench", {"sent": time.time(), "i": i})
        return {"published": n}

    @bench.get("/bench/clients")
    async def clients(request: Request) -> dict[str, int]:
        return {"clients": request.app.state.services.metrics.sse_clients}

    # Ahead of the dashboard, which is mounted at "/" and would answer these paths itself.
    app.router.routes[:0] = bench.routes

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def rss_kib(pid: int) -> dict[str, int]:
    """Return the process's resident and peak resident memory, KiB."""
    out: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            key, value = line.split(":", 1)
            out[key] = int(value.split()[0])
    return out


class Client:
    """One raw HTTP/1.1 SSE connection that timestamps every bench event it receives."""

    def __init__(self, port: int, events: int) -> None:
        self.port, self.events = port, events
        self.latencies: list[float] = []
        self.ready = asyncio.Event()
        self.done = asyncio.Event()

    async def run(self) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        writer.write(
            f"GET /api/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: {KEY}\r\n"
            "Accept: text/event-stream\r\n\r\n".encode()
        )
        await writer.drain()
        buf = b""
        try:
            while len(self.latencies) < self.events:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                now = time.time()
                buf += chunk
                if not self.ready.is_set() and b"retry:" in buf:
                    self.ready.set()
                end = 0
                for m in FRAME.finditer(buf):
                    self.latencies.append(now - float(m.group(1)))
                    end = m.end()
                buf = buf[end:] if end else buf[-4096:]
        finally:
            self.done.set()
            writer.close()


async def run(clients: int, events: int, port: int, server_pid: int) -> dict[str, Any]:
    """Connect the clients, fire one burst, and collect every delivery latency."""
    mem_idle = rss_kib(server_pid)
    cs = [Client(port, events) for _ in range(clients)]
    tasks = [asyncio.create_task(c.run()) for c in cs]
    async with asyncio.timeout(60):
        await asyncio.gather(*(c.ready.wait() for c in cs))
    mem_connected = rss_kib(server_pid)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        connected = (await http.get("/bench/clients")).json()["clients"]
        t0 = time.time()
        await http.post("/bench/burst", params={"n": events}, headers={"X-API-Key": KEY})
    async with asyncio.timeout(120):
        await asyncio.gather(*(c.done.wait() for c in cs))
    all_done_s = time.time() - t0
    mem_after = rss_kib(server_pid)
    for t in tasks:
        t.cancel()
    lat_ms = [x * 1000 for c in cs for x in c.latencies]
    received = len(lat_ms)
    return {
        "clients": clients,
        "connected_per_server": connected,
        "events_per_client": events,
        "deliveries": received,
        "expected_deliveries": clients * events,
        "delivery_latency_ms": summary(lat_ms),
        "max_latency_ms": max(lat_ms) if lat_ms else None,
        "burst_to_last_delivery_s": all_done_s,
        "server_memory_kib": {
            "idle_rss": mem_idle["VmRSS"],
            "connected_rss": mem_connected["VmRSS"],
            "after_burst_rss": mem_after["VmRSS"],
            "peak_rss": mem_after["VmHWM"],
            "per_client_kib": (mem_connected["VmRSS"] - mem_idle["VmRSS"]) / max(1, clients),
        },
    }


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--events", type=int, default=100)
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="swingdesk-bench-sse-")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(port), data_dir],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parent)},
    )
    try:
        for _ in range(300):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        try:
            import uvloop

            runner = uvloop.run
        except ImportError:  # pragma: no cover
            runner = asyncio.run
        result = runner(run(args.clients, args.events, port, proc.pid))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)
    lat = result["delivery_latency_ms"]
    mem = result["server_memory_kib"]
    print(
        f"SSE fan-out: {args.clients} clients x {args.events} events = "
        f"{result['deliveries']}/{result['expected_deliveries']} deliveries; "
        f"latency p50 {lat['median']:.1f} ms, p99 {lat['p99']:.1f} ms, "
        f"max {result['max_latency_ms']:.1f} ms; last delivery "
        f"{result['burst_to_last_delivery_s'] * 1000:.0f} ms after the burst began; "
        f"server RSS idle {mem['idle_rss'] / 1024:.1f} MiB, with clients "
        f"{mem['connected_rss'] / 1024:.1f} MiB, peak {mem['peak_rss'] / 1024:.1f} MiB"
    )
    result["target"] = {"p99_ms": 250}
    print("wrote", write("sse_fanout", result))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--serve":
        serve(int(sys.argv[2]), sys.argv[3])
    else:
        main()
