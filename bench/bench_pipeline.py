"""Pipeline overhead: `trigger` end to end on the embedded defaults, nothing excluded.

Runs N decisions through the real desk (simulated market, rules analyst, simulated broker,
risk, execution, audit chain) on SQLite and on PostgreSQL, and reports median and p99.
Target: median <= 10 ms on SQLite.

    .venv/bin/python bench/bench_pipeline.py [--decisions 1000] [--skip-postgres]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg

from _common import summary, write
from swingdesk import event_loop
from swingdesk.bootstrap import build_desk
from swingdesk.config import load_settings

PG_DSN = "postgresql://postgres@127.0.0.1:5432/test"


async def measure(database_url: str, decisions: int) -> dict[str, Any]:
    """Run ``decisions`` triggers and return latency figures in milliseconds."""
    settings = load_settings(database_url=database_url, risk_cooldown_s=0)
    desk = await build_desk(settings)
    try:
        tickers = list(desk.market.universe())
        for t in tickers[:5]:  # warm caches and connections, as a running service would be
            await desk.pipeline.run(t, trigger="bench")
        samples: list[float] = []
        statuses: dict[str, int] = {}
        for i in range(decisions):
            ticker = tickers[i % len(tickers)]
            start = time.perf_counter()
            out = await desk.pipeline.run(ticker, trigger="bench")
            samples.append((time.perf_counter() - start) * 1000)
            statuses[out.status.value] = statuses.get(out.status.value, 0) + 1
        audit = await desk.store.verify_audit()
    finally:
        await desk.close()
    return {
        "decisions": decisions,
        "latency_ms": summary(samples),
        "outcomes": statuses,
        "audit_chain_ok": audit.ok,
    }


def main() -> None:
    """Run the benchmark and write bench/results/pipeline.json."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--decisions", type=int, default=1000)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    results: dict[str, Any] = {"target_median_ms_sqlite": 10}
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = event_loop.run(measure(f"sqlite:///{tmp}/bench.db", args.decisions))
    if not args.skip_postgres:
        schema = f"sd_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        try:
            url = f"{PG_DSN}?options=-csearch_path%3D{schema}"
            results["postgresql"] = event_loop.run(measure(url, args.decisions))
        finally:
            with psycopg.connect(PG_DSN, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    results["meets_target"] = results["sqlite"]["latency_ms"]["median"] <= 10
    for db in ("sqlite", "postgresql"):
        if db in results:
            lat = results[db]["latency_ms"]
            print(
                f"{db:<10} {args.decisions} decisions: median {lat['median']:.2f} ms, "
                f"p99 {lat['p99']:.2f} ms, mean {lat['mean']:.2f} ms; "
                f"outcomes {results[db]['outcomes']}"
            )
    print(f"target median <= 10 ms on SQLite: {'met' if results['meets_target'] else 'MISSED'}")
    print(f"wrote {write('pipeline', results, args.out)}")


if __name__ == "__main__":
    main()
