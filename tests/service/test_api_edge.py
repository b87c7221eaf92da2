"""The edge of the API: every error response, 500s included, is JSON with the security headers."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import uuid4

import httpx
import pytest
from tests.fakes.api import READ_KEY, ApiHarness, api_harness

from swingdesk.adapters.clock import ManualClock


@pytest.fixture
async def h(tmp_path: Path, clock: ManualClock) -> AsyncIterator[ApiHarness]:
    async with api_harness(tmp_path, clock) as harness:
        yield harness


def _assert_edge_headers(r: httpx.Response) -> None:
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["cache-control"] == "no-store"


async def test_request_when_route_raises_unexpectedly_then_500_json_with_security_headers(
    h: ApiHarness,
) -> None:
    async def boom() -> None:
        raise RuntimeError("a bug")

    h.app.add_api_route("/api/boom", boom)
    transport = httpx.ASGITransport(app=h.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test", headers={"X-API-Key": READ_KEY}
    ) as client:
        r = await client.get("/api/boom")
    assert r.status_code == 500
    assert r.json() == {"error": {"code": "INTERNAL", "message": "internal error"}}
    _assert_edge_headers(r)


async def test_cors_preflight_when_origin_is_refused_then_400_json_error(
    tmp_path: Path, clock: ManualClock
) -> None:
    allowed = "http://localhost:5173"
    async with api_harness(tmp_path, clock, cors_allowed_origins=allowed) as h:
        asks = {"Access-Control-Request-Method": "POST"}
        ok = await h.anon.options("/api/trigger", headers={"Origin": allowed, **asks})
        assert ok.status_code == 200
        assert ok.headers["access-control-allow-origin"] == allowed
        r = await h.anon.options("/api/trigger", headers={"Origin": "http://evil.example", **asks})
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["error"]["code"] == "CORS_REFUSED"
    assert "origin" in body["error"]["message"]
    assert "access-control-allow-origin" not in r.headers
    _assert_edge_headers(r)


async def test_trigger_when_sqlite_stays_locked_past_the_busy_timeout_then_503_quickly(
    tmp_path: Path, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    async with api_harness(tmp_path, clock, db_statement_timeout_s=0.3) as h:
        holder = sqlite3.connect(tmp_path / "swingdesk.db", isolation_level=None)
        try:
            holder.execute("BEGIN EXCLUSIVE")  # another process writing, and never finishing
            start = time.monotonic()
            r = await h.trade.post("/api/trigger", json={"ticker": "AAPL"})
            took = time.monotonic() - start
        finally:
            holder.rollback()
            holder.close()
        assert r.status_code == 503
        assert r.json()["error"]["code"] == "DATABASE_UNAVAILABLE"
        assert r.headers["retry-after"] == "5"
        assert took < 5  # two busy timeouts (the stage, then recording the failure) and slack
        assert (await h.trade.post("/api/trigger", json={"ticker": "MSFT"})).status_code == 200
    assert not [rec for rec in caplog.records if rec.exc_info]


@pytest.fixture
def dashboard(tmp_path: Path) -> Path:
    built = tmp_path / "dashboard"
    (built / "assets").mkdir(parents=True)
    (built / "index.html").write_text("<!doctype html><title>desk</title>")
    (built / "assets" / "app.js").write_text("console.log('desk')")
    (built / ".built").write_text("")
    (built / "assets" / ".map-secret").write_text("secret")
    return built


async def test_dashboard_when_built_then_assets_served_and_dotfiles_not(
    tmp_path: Path, clock: ManualClock, dashboard: Path
) -> None:
    async with api_harness(tmp_path / "data", clock, dashboard_dir=dashboard) as h:
        for path in ("/", "/index.html"):
            r = await h.anon.get(path)
            assert r.status_code == 200
            assert "<title>desk</title>" in r.text
        assert (await h.anon.get("/assets/app.js")).text == "console.log('desk')"
        assert (await h.anon.head("/assets/app.js")).status_code == 200
        for path in ("/.built", "/assets/.map-secret", "/nothing-here", "/assets/none.js"):
            r = await h.anon.get(path)
            assert r.status_code == 404, path
            assert r.json()["error"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", "/api/trigger", "POST"),
        ("OPTIONS", "/api/trigger", "POST"),
        ("PUT", "/api/halt", "POST"),
        ("DELETE", "/api/watchlist", "GET, PUT"),
        ("POST", "/api/portfolio", "GET"),
        ("POST", "/health", "GET"),
    ],
)
async def test_api_path_when_method_is_wrong_then_405_json_with_allow(
    tmp_path: Path, clock: ManualClock, dashboard: Path, method: str, path: str, allow: str
) -> None:
    async with api_harness(tmp_path / "data", clock, dashboard_dir=dashboard) as h:
        r = await h.trade.request(method, path)
    assert r.status_code == 405
    assert r.headers["allow"] == allow
    assert r.json()["error"]["code"] == "METHOD_NOT_ALLOWED"


def _api_operations(h: ApiHarness) -> list[tuple[str, str]]:
    ops = []
    for path, item in h.app.openapi()["paths"].items():
        if not path.startswith("/api/") or path == "/api/stream":  # the stream has its own
            continue
        concrete = path.replace("{ticker}", "AAPL").replace("{decision_id}", str(uuid4()))
        concrete = concrete.replace("{run_id}", str(uuid4()))
        ops += [(method.upper(), concrete) for method in item]
    return ops


async def test_api_when_unauthenticated_with_a_bad_or_huge_body_then_401_before_parsing(
    h: ApiHarness,
) -> None:
    ops = _api_operations(h)
    assert len(ops) > 20
    for body in (b"{not json", b'{"reason": "' + b"x" * 70_000 + b'"}'):
        for method, path in ops:
            for client, key in ((h.anon, None), (h.anon, "wrong-key-0123456789abcdef")):
                headers = {"Content-Type": "application/json"}
                if key:
                    headers["X-API-Key"] = key
                r = await client.request(method, path, content=body, headers=headers)
                assert r.status_code == 401, (method, path, r.status_code)
                assert r.json()["error"]["code"] == "UNAUTHORIZED"
                assert r.headers["www-authenticate"] == "APIKey"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/trigger"),
        ("POST", "/api/scan"),
        ("POST", "/api/halt"),
        ("POST", "/api/resume"),
        ("PUT", "/api/watchlist"),
        ("DELETE", "/api/market-data"),
        ("POST", "/api/backtests"),
        ("POST", "/api/optimizations"),
    ],
)
async def test_trade_route_when_read_key_and_bad_body_then_403_before_parsing(
    h: ApiHarness, method: str, path: str
) -> None:
    for body in (b"{not json", b"[" * 70_000):
        r = await h.read.request(method, path, content=body)
        assert r.status_code == 403, (method, path, r.status_code)
        assert r.json()["error"]["code"] == "FORBIDDEN"


async def test_api_when_unknown_path_or_wrong_method_without_key_then_401(h: ApiHarness) -> None:
    assert (await h.anon.get("/api/nothing-here")).status_code == 401
    assert (await h.anon.get("/api/trigger")).status_code == 401
    assert (await h.read.get("/api/nothing-here")).status_code == 404
