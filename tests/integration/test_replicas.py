"""Three real `serve` replicas on the local PostgreSQL and Redis, as a deployment runs them.

A trigger on one replica reaches a stream client of another; exactly one replica scans;
killing the leader hands the jobs over within 15 s without a scan doubled or a decision
left pending; 500 concurrent triggers over the replicas place no order twice; replicas
starting together on a fresh database all come up (migrations and the lease both race).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.fakes.desk_cluster import READ, Cluster
from tests.fakes.desk_server import SWINGDESK, TRADE_KEY

pytestmark = pytest.mark.postgres
TRADE = {"X-API-Key": TRADE_KEY}


@pytest.fixture
def cluster_args(
    tmp_path: Path, pg_url: str, pg_server: str, redis_server: str, redis_prefix: str
) -> dict[str, Any]:
    return {
        "root": tmp_path,
        "database_url": pg_url,
        "pg_dsn": pg_server,
        "redis_url": redis_server,
        "redis_prefix": redis_prefix,
    }


class SseReader(threading.Thread):
    """Reads one replica's /api/stream in a thread, keeping every event."""

    def __init__(self, url: str, last_event_id: str | None = None) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.headers = {**READ, **({"Last-Event-ID": last_event_id} if last_event_id else {})}
        self.events: list[tuple[str | None, str, dict[str, Any]]] = []
        self.connected = threading.Event()
        self.stop = threading.Event()

    def run(self) -> None:
        with httpx.stream(
            "GET",
            f"{self.url}/api/stream",
            headers=self.headers,
            timeout=httpx.Timeout(60, read=60),
        ) as r:
            self.connected.set()
            event_id, event, data = None, "message", ""
            for line in r.iter_lines():
                if self.stop.is_set():
                    return
                if line.startswith("id: "):
                    event_id = line[4:]
                elif line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    data = line[6:]
                elif line == "" and data:
                    self.events.append((event_id, event, json.loads(data)))
                    event_id, event, data = None, "message", ""

    def wait_for(self, predicate: Any, timeout_s: float) -> tuple[Any, ...]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for ev in list(self.events):
                if predicate(ev):
                    return ev
            time.sleep(0.05)
        raise AssertionError(f"no such event within {timeout_s} s: {self.events[-5:]}")


def test_replicas_when_triggered_on_a_then_a_stream_client_of_c_sees_it_and_one_leads(
    cluster_args: dict[str, Any],
) -> None:
    with Cluster(**cluster_args, extra_env={"SWINGDESK_AUTOPILOT_ENABLED": "false"}) as c:
        leader = c.wait_leader()
        assert all(c.config(i)["bus"] == "redis" for i in range(3))
        lease = c.config((leader + 1) % 3)["leadership"]["lease"]
        assert lease["holder"] == f"r{leader}"  # every replica sees the same leader
        for i in range(3):
            metrics = httpx.get(f"{c.replicas[i].url}/metrics", timeout=10).text
            flag = "1.0" if i == leader else "0.0"
            assert f'swingdesk_leader{{replica="r{i}"}} {flag}' in metrics
            assert "swingdesk_bus_up 1.0" in metrics
        reader = SseReader(c.replicas[2].url)
        reader.start()
        assert reader.connected.wait(10)
        time.sleep(0.5)
        started = time.monotonic()
        r = httpx.post(
            f"{c.replicas[0].url}/api/trigger", json={"ticker": "AAPL"}, headers=TRADE, timeout=30
        )
        assert r.status_code == 200, r.text
        decision = r.json()["decision_id"]
        ev = reader.wait_for(lambda e: e[2].get("decision_id") == decision, 10)
        assert time.monotonic() - started < 5
        assert ev[0] is not None
        assert ev[0].endswith(f"-{c.scalar('SELECT epoch FROM audit_head')}")
        # The SSE id is the outbox sequence: the stream carries the commits in order.
        ids = [int(e[0].split("-")[0]) for e in reader.events if e[0]]
        assert ids == sorted(ids)
        assert len(ids) == len(set(ids))
        # A `swingdesk trigger` beside the replicas: its commit is announced (NOTIFY) and
        # the leader streams it to everyone.
        cli = subprocess.run(
            [str(SWINGDESK), "trigger", "MSFT", "--json"],
            env=c.replicas[0].env(),
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert cli.returncode == 0, cli.stderr.decode()
        cli_decision = json.loads(cli.stdout)["decision_id"]
        reader.wait_for(lambda e: e[2].get("decision_id") == cli_decision, 10)
        # A client of C that reconnects to B (a rolling update) with Last-Event-ID gets
        # exactly what followed, from B's memory, the Redis stream or the outbox.
        time.sleep(1)
        seen = [e for e in reader.events if e[0]]
        resumed = SseReader(c.replicas[1].url, last_event_id=seen[2][0])
        resumed.start()
        resumed.wait_for(lambda e: e[0] == seen[-1][0], 10)
        again = [e[0] for e in resumed.events if e[0]]
        assert again[: len(seen) - 3] == [e[0] for e in seen[3:]]
        reader.stop.set()
        resumed.stop.set()


def test_replicas_when_autopilot_runs_then_exactly_one_scans_and_a_killed_leader_is_replaced(
    cluster_args: dict[str, Any],
) -> None:
    env = {
        "SWINGDESK_AUTOPILOT_ENABLED": "true",
        "SWINGDESK_SCAN_INTERVAL_S": "5",
        "SWINGDESK_SCAN_START_DELAY_S": "0",
        "SWINGDESK_SYNC_INTERVAL_S": "2",
        "SWINGDESK_DECISION_INTERRUPT_AFTER_S": "5",
        # Every scan decides each ticker once; the analyst's BUYs then meet the cooldown.
        "SWINGDESK_LEADER_LEASE_TTL_S": "10",
        "SWINGDESK_LEADER_RENEW_S": "3",
    }
    with Cluster(**cluster_args, extra_env=env) as c:
        leader = c.wait_leader()
        time.sleep(12)
        scans = {i: _job(c.config(i), "scan")["runs"] for i in range(3)}
        assert scans[leader] >= 2
        assert [n for i, n in scans.items() if i != leader] == [0, 0]
        assert c.leaders() == [leader]

        proc = c.replicas[leader].process
        assert proc is not None
        proc.kill()  # kill -9: no lease hand-back, no clean stop
        killed = time.monotonic()
        proc.wait(timeout=10)
        new = None
        while time.monotonic() - killed < 20 and new is None:
            found = c.leaders()
            new = found[0] if len(found) == 1 else None
            time.sleep(0.2)
        took = time.monotonic() - killed
        assert new is not None
        assert took < 15, f"takeover took {took:.1f} s"
        time.sleep(12)
        assert _job(c.config(new), "scan")["runs"] >= 2
        others = [i for i in c.alive() if i != new]
        assert all(_job(c.config(i), "scan")["runs"] == 0 for i in others)
        # No scan doubled: one autopilot decision per ticker per scan interval at most.
        with c.db() as conn:
            rows = conn.execute(
                "SELECT ticker, created_at FROM decisions WHERE trigger = 'autopilot' "
                "ORDER BY ticker, created_at"
            ).fetchall()
        by_ticker: dict[str, list[Any]] = {}
        for ticker, at in rows:
            by_ticker.setdefault(ticker, []).append(at)
        assert by_ticker
        for ticker, times in by_ticker.items():
            gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
            assert all(g > 3.0 for g in gaps), f"{ticker} decided twice in one interval"
        # A scan the kill interrupted is settled by the new leader's reconciliation.
        deadline = time.monotonic() + 30
        while c.scalar("SELECT count(*) FROM decisions WHERE status = 'pending'"):
            assert time.monotonic() < deadline, "a decision stayed pending"
            time.sleep(0.5)


def _job(config: dict[str, Any], name: str) -> dict[str, Any]:
    jobs: list[dict[str, Any]] = config["autopilot"]["jobs"]
    return next(j for j in jobs if j["name"] == name)


def test_replicas_when_500_triggers_race_over_three_then_no_order_is_placed_twice(
    cluster_args: dict[str, Any],
) -> None:
    env = {"SWINGDESK_AUTOPILOT_ENABLED": "false", "SWINGDESK_RISK_COOLDOWN_S": "0"}
    with Cluster(**cluster_args, extra_env=env) as c:
        from swingdesk.adapters.simulated_universe import UNIVERSE

        tickers = [t.ticker for t in UNIVERSE][:25]

        async def fire() -> Counter[int]:
            sem = asyncio.Semaphore(48)
            statuses: Counter[int] = Counter()
            async with httpx.AsyncClient(timeout=120, headers=TRADE) as client:

                async def one(i: int) -> None:
                    async with sem:
                        url = c.replicas[i % 3].url
                        r = await client.post(
                            f"{url}/api/trigger", json={"ticker": tickers[i % len(tickers)]}
                        )
                        statuses[r.status_code] += 1

                await asyncio.gather(*(one(i) for i in range(500)))
            return statuses

        statuses = asyncio.run(fire())
        assert statuses[200] == 500, statuses
        with c.db() as conn:
            decisions = conn.execute("SELECT count(*) FROM decisions").fetchone()
            per_decision = conn.execute(
                # Entries and closes (not their stop legs, not protection stops).
                "SELECT decision_id, count(*) FROM orders WHERE NOT external "
                "AND parent_client_order_id IS NULL AND client_order_id NOT LIKE 'sd-p-%' "
                "GROUP BY decision_id HAVING count(*) > 1"
            ).fetchall()
            ours = conn.execute(
                "SELECT count(*) FROM orders WHERE NOT external AND parent_client_order_id IS NULL"
            ).fetchone()
            at_broker = conn.execute(
                "SELECT count(*), count(DISTINCT client_order_id) FROM sim_broker_orders "
                "WHERE client_order_id LIKE 'sd-o-%'"
            ).fetchone()
        assert decisions == (500,)
        assert per_decision == []
        assert at_broker is not None
        assert ours is not None
        assert at_broker[0] == at_broker[1]  # no client order id twice at the broker
        assert ours[0] > 0  # some decisions did place orders
        # Every replica's stream had every committed message, in order (spot check r1).
        assert c.scalar("SELECT count(*) FROM outbox") > 0


def test_replicas_when_two_start_at_once_on_a_fresh_database_then_both_serve(
    cluster_args: dict[str, Any],
) -> None:
    env = {"SWINGDESK_AUTOPILOT_ENABLED": "false", "SWINGDESK_LOG_FORMAT": "json"}
    with Cluster(**cluster_args, size=2, extra_env=env) as c:
        leader = c.wait_leader()
        assert c.scalar("SELECT version_num FROM alembic_version") is not None
        assert c.scalar("SELECT count(*) FROM leases") == 1
        for i in range(2):
            r = httpx.get(f"{c.replicas[i].url}/ready", timeout=10)
            assert r.status_code == 200
            assert r.json()["checks"]["redis"] == "ok"
        assert c.config(1 - leader)["leadership"]["leader"] is False
        # The watchlist is shared: replaced through one replica, read through the other
        # (each pod has its own data directory; the leader scans what anyone saved).
        put = httpx.put(
            f"{c.replicas[0].url}/api/watchlist", json={"tickers": ["MSFT", "AAPL"]}, headers=TRADE
        )
        assert put.status_code == 200
        got = httpx.get(f"{c.replicas[1].url}/api/watchlist", headers=READ).json()
        assert got["tickers"] == ["MSFT", "AAPL"]
        assert [item["ticker"] for item in got["items"]] == ["MSFT", "AAPL"]
        # Structured logs: one JSON object per line, naming the replica (and the request).
        for i, server in enumerate(c.replicas):
            lines = [json.loads(x) for x in server.log_path.read_text().splitlines() if x]
            assert lines
            assert {line["replica"] for line in lines} == {f"r{i}"}
            assert any(line["request_id"] and line["logger"] == "uvicorn.access" for line in lines)


def test_replicas_when_events_happen_on_any_then_each_is_notified_once_by_the_leader(
    cluster_args: dict[str, Any],
) -> None:
    from tests.fakes.webhook import WebhookReceiver

    with WebhookReceiver() as hook:
        env = {
            "SWINGDESK_AUTOPILOT_ENABLED": "false",
            "SWINGDESK_NOTIFY_URLS": hook.url,
            "SWINGDESK_NOTIFY_EVENTS": "fill,stop,trading_state",
        }
        with Cluster(**cluster_args, extra_env=env) as c:
            leader = c.wait_leader()
            time.sleep(2)  # the notifier's first run fixes its cursor at the outbox head
            urls = [s.url for s in c.replicas]
            reason = {"reason": "notification test"}
            assert httpx.post(f"{urls[1]}/api/halt", json=reason, headers=TRADE).status_code == 200
            assert (
                httpx.post(f"{urls[2]}/api/resume", json=reason, headers=TRADE).status_code == 200
            )
            for i, ticker in enumerate(("AAPL", "MSFT", "NVDA", "JPM")):
                r = httpx.post(
                    f"{urls[i % 3]}/api/trigger", json={"ticker": ticker}, headers=TRADE, timeout=30
                )
                assert r.status_code == 200
            fills = c.scalar("SELECT count(*) FROM fills")
            expected = 2 + fills
            deadline = time.monotonic() + 20
            while len(hook.received) < expected and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(3)  # and nothing more arrives
            titles = hook.titles()
            assert titles.count("[swingdesk] Trading state HALTED") == 1
            assert titles.count("[swingdesk] Trading state ACTIVE") == 1
            assert sum(t.startswith("[swingdesk] Fill: ") for t in titles) == fills
            assert len(titles) == expected, titles
            # Sent by the leader only, with no URL or token in any replica's log.
            notify_runs = {i: _job(c.config(i), "notify")["runs"] for i in range(3)}
            assert notify_runs[leader] > 0
            assert sum(notify_runs.values()) == notify_runs[leader]
            for server in c.replicas:
                assert f"127.0.0.1:{hook.port}/hook" not in server.log_path.read_text()


_SMALL_BACKTEST = {"tickers": ["AAPL", "MSFT"], "start": "2024-01-02", "end": "2024-03-28"}
_SMALL_OPTIMIZATION = {
    "strategy": "rules", "tickers": ["AAPL", "MSFT"], "start": "2022-01-03", "end": "2023-12-29",
    "trials": 4, "folds": 2, "is_ratio": 2, "seed": 3,
}  # fmt: skip
#: (collection, what the logs call a run, its 409 code, a short run, a run of minutes)
_RUN_KINDS = {
    "backtests": (
        "backtest", "BACKTEST_RUNNING", _SMALL_BACKTEST,
        {"universe": "all", "start": "2019-01-02", "end": "2024-12-31"},
    ),
    "optimizations": (
        "optimisation", "OPTIMIZATION_RUNNING", _SMALL_OPTIMIZATION,
        {**_SMALL_OPTIMIZATION, "trials": 400},
    ),
}  # fmt: skip


@pytest.mark.parametrize("kind", list(_RUN_KINDS))
def test_replicas_when_runs_are_asked_of_any_then_the_leader_runs_one_at_a_time(
    cluster_args: dict[str, Any], kind: str
) -> None:
    what, busy_code, small, long = _RUN_KINDS[kind]
    env = {"SWINGDESK_AUTOPILOT_ENABLED": "false", "SWINGDESK_LOG_FORMAT": "json"}
    with Cluster(**cluster_args, size=2, extra_env=env) as c:
        leader = c.wait_leader()
        other = 1 - leader
        urls = [s.url for s in c.replicas]
        r = httpx.post(f"{urls[other]}/api/{kind}", json=small, headers=TRADE, timeout=30)
        assert r.status_code == 202, r.text
        run_id = r.json()["run_id"]
        busy = httpx.post(f"{urls[leader]}/api/{kind}", json=small, headers=TRADE, timeout=30)
        assert busy.status_code == 409  # one at a time across the replicas
        assert busy.json()["error"]["code"] == busy_code
        done = _run(urls[other], kind, run_id, lambda b: b["status"] != "running", 120)
        assert done["status"] == "done", done
        assert f"{what} {run_id} done" in c.replicas[leader].log_path.read_text()
        assert f"{what} {run_id} done" not in c.replicas[other].log_path.read_text()

        # The leader dies mid-run: its successor marks the run INTERRUPTED, as a restart would.
        r = httpx.post(f"{urls[leader]}/api/{kind}", json=long, headers=TRADE, timeout=30)
        assert r.status_code == 202, r.text
        long_id = r.json()["run_id"]
        time.sleep(1.5)
        proc = c.replicas[leader].process
        assert proc is not None
        proc.kill()
        proc.wait(timeout=10)
        failed = _run(urls[other], kind, long_id, lambda b: b["status"] != "running", 30)
        assert failed["status"] == "failed"
        assert failed["error"]["code"] == "INTERRUPTED"


def _run(url: str, kind: str, run_id: str, until: Any, timeout_s: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        body = httpx.get(f"{url}/api/{kind}/{run_id}", headers=READ, timeout=10).json()
        if until(body):
            return body
        time.sleep(0.3)
    raise AssertionError(f"{kind} run {run_id} still {body.get('status')}")
