"""`GET /api/portfolio` under load: wrk against `swingdesk serve`'s app on loopback (SQLite).

Starts the real app (simulated market and broker, SQLite file, keys set, autopilot off)
with uvicorn in a child process, opens a few positions through the API so the portfolio
has work to do, then runs wrk (Debian package `wrk`) and reports requests/s, p50 and p99.
Server and wrk share the machine's cores. Target: >= 1,000 req/s with p99 <= 50 ms.

    .venv/bin/python bench/bench_api.py [--duration 15] [--connections 16] [--endpoint /health]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from _common import write

KEY = "bench-trade-_gxDGWN6ZfmqTpbFcXI5sWbZ"
ENDPOINT = "/api/portfolio"  # --endpoint changes it (e.g. /health for the floor)
SEED_TICKERS = ("AAPL", "MSFT", "XOM", "JPM", "KO", "PG", "NVDA", "WMT")


def serve(port: int, data_dir: str) -> None:
    """Run the app (child process)."""
    import uvicorn

    from swingdesk.api.app import create_app
    from swingdesk.config import load_settings

    settings = load_settings(
        data_dir=Path(data_dir), api_key=KEY, port=port, risk_cooldown_s=0, trigger_cooldown_s=0
    )
    uvicorn.run(
        create_app(settings, autopilot=False),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
    )


def free_port() -> int:
    """Return a free loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(data_dir: str) -> tuple[subprocess.Popen[bytes], str]:
    """Start the app in a child process and wait until /health answers."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(port), data_dir],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parent)},
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start")


def _ms(value: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s)", value)
    if not m:
        raise ValueError(value)
    number, unit = float(m.group(1)), m.group(2)
    return number / 1000 if unit == "us" else number * 1000 if unit == "s" else number


def parse_wrk(text: str) -> dict[str, Any]:
    """Pull requests/s, latency percentiles and errors out of wrk's --latency report."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))  # type: ignore[union-attr]
    pct = {p: _ms(v) for p, v in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", text, re.M)}
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    errors = re.search(r"Socket errors:(.*)", text)
    total = re.search(r"(\d+) requests in", text)
    return {
        "requests_per_s": rps,
        "latency_ms": {"p50": pct["50"], "p75": pct["75"], "p90": pct["90"], "p99": pct["99"]},
        "requests": int(total.group(1)) if total else None,
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(1).strip() if errors else None,
    }


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--endpoint", default=ENDPOINT)
    args = parser.parse_args()
    endpoint = args.endpoint
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install -y wrk)")
    data_dir = tempfile.mkdtemp(prefix="swingdesk-bench-api-")
    proc, url = start_server(data_dir)
    try:
        headers = {"X-API-Key": KEY}
        for t in SEED_TICKERS:
            httpx.post(f"{url}/api/trigger", json={"ticker": t}, headers=headers, timeout=30)
        body = httpx.get(url + "/api/portfolio", headers=headers, timeout=10).json()
        positions = len(body["positions"])
        # warm-up, then the measured run
        subprocess.run(
            [wrk, "-t1", "-c8", "-d3s", "-H", f"X-API-Key: {KEY}", url + endpoint],
            check=True,
            capture_output=True,
        )
        cmd = [
            wrk,
            f"-t{args.threads}",
            f"-c{args.connections}",
            f"-d{args.duration}s",
            "--latency",
            "-H",
            f"X-API-Key: {KEY}",
            url + endpoint,
        ]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)
    result = parse_wrk(out)
    result.update(
        {
            "endpoint": endpoint,
            "database": "sqlite",
            "positions": positions,
            "tool": "wrk " + " ".join(cmd[1:-3]),
            "connections": args.connections,
            "duration_s": args.duration,
            "target": {"requests_per_s": 1000, "p99_ms": 50},
        }
    )
    print(out)
    lat = result["latency_ms"]
    print(
        f"GET {endpoint} ({positions} positions, SQLite): {result['requests_per_s']:.0f} req/s, "
        f"p50 {lat['p50']:.2f} ms, p99 {lat['p99']:.2f} ms, non-2xx {result['non_2xx']}"
    )
    name = (
        "api_portfolio" if endpoint == ENDPOINT else "api_" + endpoint.strip("/").replace("/", "_")
    )
    print("wrote", write(name, result))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--serve":
        serve(int(sys.argv[2]), sys.argv[3])
    else:
        main()
