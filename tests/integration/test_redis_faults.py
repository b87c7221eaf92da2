"""Redis failing under real `serve` replicas: the desk goes on, streams resync and resume.

Both replicas reach Redis through a fault-injecting TCP proxy (drop, stall, outage). While
Redis is away, triggers and reads work, /ready says which dependency is degraded (200:
the database, what the desk needs, answers), and live streams get a ``resync`` event.
When Redis returns the leader's relay publishes from the outbox what it could not publish
meanwhile, so a client that stayed connected receives every committed message, in order.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.fakes.desk_cluster import Cluster
from tests.fakes.desk_server import TRADE_KEY
from tests.fakes.thread_proxy import ThreadedProxy
from tests.integration.test_replicas import SseReader

pytestmark = pytest.mark.postgres
TRADE = {"X-API-Key": TRADE_KEY}


@pytest.mark.parametrize("fault", ["stall", "outage", "drop"])
def test_redis_when_it_fails_then_triggers_work_streams_resync_and_nothing_is_lost(
    tmp_path: Path,
    pg_url: str,
    pg_server: str,
    redis_server: str,
    redis_prefix: str,
    fault: str,
) -> None:
    proxy = ThreadedProxy("127.0.0.1", 6379)
    env = {"SWINGDESK_AUTOPILOT_ENABLED": "false", "SWINGDESK_REDIS_TIMEOUT_S": "0.5"}
    try:
        with Cluster(
            root=tmp_path,
            database_url=pg_url,
            pg_dsn=pg_server,
            redis_url=f"redis://127.0.0.1:{proxy.proxy.port}/0",
            redis_prefix=redis_prefix,
            size=2,
            extra_env=env,
        ) as c:
            c.wait_leader()
            urls = [s.url for s in c.replicas]
            reader = SseReader(urls[1])
            reader.start()
            assert reader.connected.wait(10)
            time.sleep(0.5)
            _trigger(urls[0], "AAPL")
            reader.wait_for(lambda e: e[1] == "signal_created", 10)

            if fault == "stall":
                proxy.stall()
            elif fault == "outage":
                proxy.refuse()
            else:
                proxy.drop()
            # Triggers and reads on every replica go on without Redis.
            during = [_trigger(urls[i % 2], t) for i, t in enumerate(("MSFT", "NVDA"))]
            for url in urls:
                assert httpx.get(f"{url}/api/portfolio", headers=TRADE, timeout=10).is_success
            if fault != "drop":  # a drop is over as soon as the next connection is made
                ready = _wait_ready(urls[1], lambda b: b["checks"]["redis"] != "ok")
                assert ready["status"] == "degraded"
                assert ready["checks"]["database"] == "ok"
                reader.wait_for(lambda e: e[1] == "resync", 15)
                proxy.heal()
            # Back: the stream resumes and the outage's commits arrive, in order, once each.
            for decision in during:
                reader.wait_for(lambda e, d=decision: e[2].get("decision_id") == d, 20)
            _wait_ready(urls[1], lambda b: b["status"] == "ready")
            ids = [int(e[0].split("-")[0]) for e in reader.events if e[0]]
            assert ids == sorted(set(ids))
            newest = c.scalar("SELECT max(seq) FROM outbox")
            deadline = time.monotonic() + 10
            while ids[-1] < newest and time.monotonic() < deadline:
                time.sleep(0.2)
                ids = [int(e[0].split("-")[0]) for e in reader.events if e[0]]
            assert ids == list(range(ids[0], newest + 1)), "a committed message was not streamed"
            reader.stop.set()
    finally:
        proxy.close()


def _trigger(url: str, ticker: str) -> str:
    r = httpx.post(f"{url}/api/trigger", json={"ticker": ticker}, headers=TRADE, timeout=30)
    assert r.status_code == 200, r.text
    decision: str = r.json()["decision_id"]
    return decision


def _wait_ready(url: str, predicate: Any, timeout_s: float = 15) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        body = httpx.get(f"{url}/ready", timeout=10).json()
        if predicate(body):
            return body
        time.sleep(0.2)
    raise AssertionError(f"/ready never matched: {body}")
