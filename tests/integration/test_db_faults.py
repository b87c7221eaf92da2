"""A real PostgreSQL behind a faulty proxy: refused, dropped and stalled connections.

During an outage every trigger answers 503 DATABASE_UNAVAILABLE with Retry-After (never a
500), no request waits longer than the configured timeouts allow, /ready answers 503 within
its own bound and names the database, and the outage is logged once each way, without
tracebacks. The timeouts are set small so that the test is quick.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from tests.conftest import PG_DSN
from tests.fakes.api import ApiHarness, api_harness
from tests.fakes.db_proxy import FaultyProxy
from tests.fakes.desk_server import TRADE_KEY as DESK_TRADE_KEY
from tests.fakes.desk_server import DeskServer

from swingdesk.adapters.clock import ManualClock
from swingdesk.api.app import shutdown_budget_s
from swingdesk.config import load_settings
from swingdesk.store import migrate

pytestmark = pytest.mark.postgres

CONNECT_S, STATEMENT_S, POOL_S, READY_S = 2, 1.0, 1.0, 1.0
#: The longest one wait on a connection may last (statement timeout + the client's grace).
DEADLINE_S = STATEMENT_S + 1.0
#: A failed decision waits at most: one dead pooled connection, then two connection
#: attempts (its stage, then recording the failure), plus scheduling slack.
TRIGGER_BOUND_S = DEADLINE_S + 2 * CONNECT_S + 1.5


@pytest.fixture
async def faulty(
    pg_url: str, tmp_path: Path, clock: ManualClock
) -> AsyncIterator[tuple[ApiHarness, FaultyProxy]]:
    migrate.upgrade(pg_url)
    host_port = PG_DSN.split("@", 1)[1].split("/", 1)[0]
    host, port = host_port.rsplit(":", 1)
    proxy = await FaultyProxy(host, int(port)).start()
    try:
        async with api_harness(
            tmp_path,
            clock,
            database_url=proxy.url_for(pg_url),
            db_connect_timeout_s=CONNECT_S,
            db_statement_timeout_s=STATEMENT_S,
            db_pool_timeout_s=POOL_S,
            ready_timeout_s=READY_S,
            trigger_cooldown_s=0,
            trigger_rate_per_min=100_000,
        ) as h:
            yield h, proxy
    finally:
        await proxy.close()


def _tickers(h: ApiHarness, n: int) -> list[str]:
    return sorted(h.desk.market.universe())[:n]


async def _timed(coro: asyncio.Future[httpx.Response] | object) -> tuple[httpx.Response, float]:
    start = time.monotonic()
    r = await coro  # type: ignore[misc]
    return r, time.monotonic() - start


def _assert_unavailable(r: httpx.Response) -> None:
    assert r.status_code == 503, r.text
    assert r.headers["retry-after"] == "5"
    assert r.headers["content-type"] == "application/json"
    error = r.json()["error"]
    assert error["code"] == "DATABASE_UNAVAILABLE"
    assert error["message"]


def _problems(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_trigger_when_postgres_refuses_then_503_retry_after_and_one_line_each_way(
    faulty: tuple[ApiHarness, FaultyProxy], caplog: pytest.LogCaptureFixture
) -> None:
    h, proxy = faulty
    assert (await h.trade.post("/api/trigger", json={"ticker": "AAPL"})).status_code == 200
    caplog.set_level(logging.INFO)
    await proxy.refuse()
    for ticker in _tickers(h, 10):
        r, took = await _timed(h.trade.post("/api/trigger", json={"ticker": ticker}))
        _assert_unavailable(r)
        assert took < TRIGGER_BOUND_S
    r, took = await _timed(h.anon.get("/ready"))
    assert r.status_code == 503
    assert r.json()["checks"]["database"].startswith("unavailable")
    assert took < READY_S + 0.5
    await proxy.heal()
    assert (await h.trade.post("/api/trigger", json={"ticker": "MSFT"})).status_code == 200
    assert (await h.anon.get("/ready")).status_code == 200
    lines = [r.getMessage() for r in _problems(caplog)]
    assert [line.split(" (")[0].split(" after")[0] for line in lines] == [
        "database unavailable",
        "database available again",
    ], lines
    assert not [r for r in caplog.records if r.exc_info], "no traceback during an outage"


async def test_trigger_when_postgres_stalls_then_every_request_ends_within_the_timeouts(
    faulty: tuple[ApiHarness, FaultyProxy], caplog: pytest.LogCaptureFixture
) -> None:
    h, proxy = faulty
    tickers = _tickers(h, 24)  # more than the pool holds (10 + 10 overflow)
    assert (await h.trade.post("/api/trigger", json={"ticker": tickers[0]})).status_code == 200
    caplog.set_level(logging.INFO)
    proxy.stall()
    results = await asyncio.gather(
        *(_timed(h.trade.post("/api/trigger", json={"ticker": t})) for t in tickers),
        _timed(h.anon.get("/ready")),
    )
    *triggers, (ready, ready_took) = results
    for r, took in triggers:
        _assert_unavailable(r)
        assert took < TRIGGER_BOUND_S
    assert ready.status_code == 503
    assert ready.json()["checks"]["database"].startswith("unavailable")
    assert ready_took < READY_S + 0.5
    # A probe while the previous one is still waiting does not pile up another.
    again, again_took = await _timed(h.anon.get("/ready"))
    assert again.status_code == 503
    assert again_took < READY_S + 0.5
    await proxy.heal()
    await asyncio.sleep(DEADLINE_S)  # waits begun during the stall have ended by now
    assert (await h.trade.post("/api/trigger", json={"ticker": "AAPL"})).status_code == 200
    problems = _problems(caplog)
    assert len(problems) <= 3, [r.getMessage() for r in problems]
    assert sum("database unavailable" in r.getMessage() for r in problems) == 1
    assert not [r for r in caplog.records if r.exc_info]


async def test_trigger_when_connections_are_reset_then_the_next_request_reconnects(
    faulty: tuple[ApiHarness, FaultyProxy],
) -> None:
    h, proxy = faulty
    assert (await h.trade.post("/api/trigger", json={"ticker": "AAPL"})).status_code == 200
    accepted = proxy.accepted
    proxy.drop()
    r = await h.trade.post("/api/trigger", json={"ticker": "MSFT"})
    assert r.status_code == 200
    assert r.json()["status"] != "failed"
    assert proxy.accepted > accepted


def _post_trigger(url: str) -> None:
    with contextlib.suppress(httpx.HTTPError):
        httpx.post(
            f"{url}/api/trigger",
            json={"ticker": "AAPL"},
            headers={"X-API-Key": DESK_TRADE_KEY},
            timeout=120,
        )


async def test_serve_when_stopped_while_postgres_stalls_then_exits_within_its_budget(
    pg_url: str, tmp_path: Path
) -> None:
    migrate.upgrade(pg_url)
    host_port = PG_DSN.split("@", 1)[1].split("/", 1)[0]
    host, port = host_port.rsplit(":", 1)
    proxy = await FaultyProxy(host, int(port)).start()
    overrides = {
        "shutdown_requests_grace_s": 2,
        "shutdown_jobs_grace_s": 3,
        # Waits for the database that would outlast any grace period: only the shutdown's
        # own bounds can end them.
        "db_statement_timeout_s": 300,
        "db_connect_timeout_s": 300,
        "equity_mark_interval_s": 0.5,
    }
    env = {f"SWINGDESK_{k.upper()}": str(v) for k, v in overrides.items()}
    env["DATABASE_URL"] = proxy.url_for(pg_url).replace("postgresql+psycopg://", "postgresql://")
    server = DeskServer(tmp_path / "data", tmp_path / "serve.log", extra_env=env)
    await asyncio.to_thread(server.start)
    try:
        proc = server.process
        assert proc is not None
        proxy.stall()
        # A request in flight and the autopilot's equity marks, all stuck on the database.
        asyncio.get_running_loop().run_in_executor(None, _post_trigger, server.url)
        await asyncio.sleep(1.5)
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(proc.wait, 60)
        took = time.monotonic() - started
        budget = shutdown_budget_s(load_settings(**overrides))  # type: ignore[arg-type]
        assert code in {0, -signal.SIGTERM}, server.log_tail()
        assert took < budget + 2.0, server.log_tail()
        assert "Application shutdown complete" in server.log_tail()
        assert "Traceback" not in server.log_tail(200)
    finally:
        server.stop()
        await proxy.close()
