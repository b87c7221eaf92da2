"""The HTTP API over a real desk (simulated market, rules analyst, simulated broker)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from tests.fakes.api import ApiHarness, api_harness

from swingdesk.adapters.clock import ManualClock
from swingdesk.domain.enums import Action, TradingState
from swingdesk.domain.events import SignalCreated

READS: list[tuple[str, str]] = [
    ("GET", "/api/portfolio"),
    ("GET", "/api/positions"),
    ("GET", "/api/risk"),
    ("GET", "/api/orders"),
    ("GET", "/api/logs"),
    ("GET", "/api/insights"),
    ("GET", "/api/market-data"),
    ("GET", "/api/quote/AAPL"),
    ("GET", "/api/movers"),
    ("GET", "/api/market-history/AAPL"),
    ("GET", "/api/news/AAPL"),
    ("GET", "/api/fundamentals/AAPL"),
    ("GET", "/api/watchlist"),
    ("GET", "/api/config"),
    ("POST", "/api/stream-token"),
]
TRADES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("POST", "/api/trigger", {"ticker": "MSFT"}),
    ("POST", "/api/scan", {"tickers": ["NVDA"]}),
    ("POST", "/api/halt", {"reason": "test"}),
    ("PUT", "/api/watchlist", {"tickers": ["AAPL"]}),
    ("DELETE", "/api/market-data", None),
]


@pytest.fixture
async def h(tmp_path: Path, clock: ManualClock) -> AsyncIterator[ApiHarness]:
    async with api_harness(tmp_path, clock) as harness:
        yield harness


async def test_health_when_called_without_key_then_ok_and_ready(h: ApiHarness) -> None:
    r = await h.anon.get("/health")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"
    ready = await h.anon.get("/ready")
    assert ready.json() == {"status": "ready", "checks": {"database": "ok"}}


async def test_ready_when_a_startup_step_is_pending_then_503(h: ApiHarness) -> None:
    h.desk.not_ready["reconciliation"] = "first sync pending"
    r = await h.anon.get("/ready")
    assert r.status_code == 503
    assert r.json()["checks"]["reconciliation"] == "first sync pending"


@pytest.mark.parametrize(("method", "path"), READS)
async def test_read_endpoint_when_read_key_then_200_and_without_key_401(
    h: ApiHarness, method: str, path: str
) -> None:
    ok = await h.read.request(method, path)
    assert ok.status_code == 200, ok.text
    assert isinstance(ok.json(), dict)
    for client, headers in ((h.anon, {}), (h.anon, {"X-API-Key": "not-the-key-at-all-xx"})):
        denied = await client.request(method, path, headers=headers)
        assert denied.status_code == 401
        assert denied.json()["error"]["code"] == "UNAUTHORIZED"


@pytest.mark.parametrize(("method", "path", "body"), TRADES)
async def test_trade_endpoint_when_scopes_differ_then_trade_200_read_403_anon_401(
    h: ApiHarness, method: str, path: str, body: dict[str, Any] | None
) -> None:
    assert (await h.anon.request(method, path, json=body)).status_code == 401
    forbidden = await h.read.request(method, path, json=body)
    assert forbidden.status_code == 403
    assert forbidden.json()["error"]["code"] == "FORBIDDEN"
    ok = await h.trade.request(method, path, json=body)
    assert ok.status_code == 200, ok.text


async def test_resume_when_halted_then_active_and_twice_409(h: ApiHarness) -> None:
    assert (await h.read.post("/api/resume", json={"reason": "x"})).status_code == 403
    assert (await h.trade.post("/api/halt", json={"reason": "t"})).json()["current"] == "HALTED"
    again = await h.trade.post("/api/halt", json={"reason": "again"})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "CONFLICT"
    r = await h.trade.post("/api/resume", json={"reason": "ok"})
    assert r.json()["current"] == "ACTIVE"
    assert (await h.read.get("/api/portfolio")).json()["trading_state"] == "ACTIVE"


async def test_trigger_when_ticker_valid_then_decision_is_explainable(h: ApiHarness) -> None:
    r = await h.trade.post("/api/trigger", json={"ticker": " aapl "})
    assert r.status_code == 200
    body = r.json()
    assert body["ticker"] == "AAPL"
    explained = (await h.read.get(f"/api/decisions/{body['decision_id']}")).json()
    assert explained["decision"]["decision_id"] == body["decision_id"]
    assert explained["market_snapshot"]["source"] == "simulated"
    logs = (await h.read.get("/api/logs")).json()
    assert logs["items"][0]["decision_id"] == body["decision_id"]
    assert [e["seq"] for e in logs["items"]] == sorted(
        (e["seq"] for e in logs["items"]), reverse=True
    )
    insights = (await h.read.get("/api/insights?ticker=aapl")).json()["items"]
    assert insights[0]["decision_id"] == body["decision_id"]
    snaps = (await h.read.get("/api/market-data", params={"ticker": "AAPL"})).json()["items"]
    assert snaps[0]["decision_id"] == body["decision_id"]


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"ticker": "AAPL1"}, "INVALID_TICKER"),
        ({"ticker": "A APL"}, "INVALID_TICKER"),
        ({"ticker": ""}, "INVALID_INPUT"),
        ({}, "INVALID_INPUT"),
        ({"ticker": 5}, "INVALID_INPUT"),
        ({"ticker": "AAPL", "extra": 1}, "INVALID_INPUT"),
    ],
)
async def test_trigger_when_input_is_bad_then_422_with_stable_code(
    h: ApiHarness, payload: dict[str, object], code: str
) -> None:
    r = await h.trade.post("/api/trigger", json=payload)
    assert r.status_code == 422
    assert r.json()["error"]["code"] == code


@pytest.mark.parametrize(
    ("method", "path", "body", "code"),
    [
        ("GET", "/api/quote/AAPL1", None, "INVALID_TICKER"),
        ("GET", "/api/market-history/%3Cscript%3E", None, "INVALID_TICKER"),
        ("GET", "/api/market-history/AAPL?days=0", None, "INVALID_INPUT"),
        ("GET", "/api/logs?limit=0", None, "INVALID_INPUT"),
        ("GET", "/api/logs?limit=abc", None, "INVALID_INPUT"),
        ("GET", "/api/orders?status=lost", None, "INVALID_INPUT"),
        ("GET", "/api/insights?ticker=12", None, "INVALID_TICKER"),
        ("GET", "/api/movers?n=0", None, "INVALID_INPUT"),
        ("GET", "/api/decisions/not-a-uuid", None, "INVALID_INPUT"),
        ("POST", "/api/scan", {"tickers": ["AAPL", "NOPE!"]}, "INVALID_TICKER"),
        ("PUT", "/api/watchlist", {"tickers": "AAPL"}, "INVALID_INPUT"),
        ("POST", "/api/halt", {"reason": ""}, "INVALID_INPUT"),
    ],
)
async def test_endpoint_when_input_is_bad_then_422_with_stable_code(
    h: ApiHarness, method: str, path: str, body: dict[str, Any] | None, code: str
) -> None:
    r = await h.trade.request(method, path, json=body)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == code


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/trigger", {"ticker": "ZZZZ"}),
        ("GET", "/api/quote/ZZZZ", None),
        ("GET", "/api/market-history/ZZZZ", None),
        ("PUT", "/api/watchlist", {"tickers": ["AAPL", "ZZZZ"]}),
    ],
)
async def test_endpoint_when_ticker_is_well_formed_but_unknown_then_404_unknown_ticker(
    h: ApiHarness, method: str, path: str, body: dict[str, Any] | None
) -> None:
    # Which tickers exist is the market's state, not the schema's: like a missing record.
    r = await h.trade.request(method, path, json=body)
    assert r.status_code == 404, r.text
    assert r.json()["error"]["code"] == "UNKNOWN_TICKER"


async def test_decision_when_unknown_then_404(h: ApiHarness) -> None:
    r = await h.read.get("/api/decisions/00000000-0000-0000-0000-000000000000")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "NOT_FOUND"


async def test_trigger_when_repeated_within_cooldown_then_429_until_clock_moves(
    h: ApiHarness, clock: ManualClock
) -> None:
    assert (await h.trade.post("/api/trigger", json={"ticker": "AAPL"})).status_code == 200
    clock.advance(4)
    r = await h.trade.post("/api/trigger", json={"ticker": "aapl"})
    assert r.status_code == 429
    assert r.headers["Retry-After"] == "6"
    assert r.json()["error"]["code"] == "RATE_LIMITED"
    assert (await h.trade.post("/api/trigger", json={"ticker": "MSFT"})).status_code == 200
    clock.advance(6)
    assert (await h.trade.post("/api/trigger", json={"ticker": "AAPL"})).status_code == 200


async def test_trigger_when_global_rate_exceeded_then_429(
    tmp_path: Path, clock: ManualClock
) -> None:
    async with api_harness(tmp_path, clock, trigger_rate_per_min=2) as h:
        for ticker in ("AAPL", "MSFT"):
            assert (await h.trade.post("/api/trigger", json={"ticker": ticker})).status_code == 200
        r = await h.trade.post("/api/trigger", json={"ticker": "NVDA"})
        assert r.status_code == 429
        assert int(r.headers["Retry-After"]) == 30
        clock.advance(30)
        assert (await h.trade.post("/api/trigger", json={"ticker": "NVDA"})).status_code == 200


async def test_request_when_body_too_large_then_413_json(h: ApiHarness) -> None:
    r = await h.trade.post("/api/halt", content=b'{"reason": "' + b"x" * 70_000 + b'"}')
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_response_when_any_then_security_headers_set(h: ApiHarness) -> None:
    r = await h.read.get("/api/portfolio")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["cache-control"] == "no-store"
    assert "access-control-allow-origin" not in r.headers


async def test_cors_when_origin_is_allowed_then_only_that_origin_is_echoed(
    tmp_path: Path, clock: ManualClock
) -> None:
    async with api_harness(tmp_path, clock, cors_allowed_origins="http://localhost:5173") as h:
        ok = await h.read.get("/api/portfolio", headers={"Origin": "http://localhost:5173"})
        assert ok.headers["access-control-allow-origin"] == "http://localhost:5173"
        other = await h.read.get("/api/portfolio", headers={"Origin": "http://evil.example"})
        assert "access-control-allow-origin" not in other.headers


async def test_watchlist_when_replaced_then_persisted_for_the_next_app(
    tmp_path: Path, clock: ManualClock
) -> None:
    async with api_harness(tmp_path, clock) as h:
        default = (await h.read.get("/api/watchlist")).json()["tickers"]
        assert default[:3] == ["AAPL", "MSFT", "NVDA"]
        assert len(default) == 10
        r = await h.trade.put("/api/watchlist", json={"tickers": [" msft", "AAPL", "MSFT"]})
        assert r.json()["tickers"] == ["MSFT", "AAPL"]
        assert [i["name"] for i in r.json()["items"]] == ["Microsoft Corporation", "Apple Inc."]
    async with api_harness(tmp_path, clock) as h:
        assert (await h.read.get("/api/watchlist")).json()["tickers"] == ["MSFT", "AAPL"]


async def test_scan_when_called_without_tickers_then_decides_the_watchlist(h: ApiHarness) -> None:
    await h.trade.put("/api/watchlist", json={"tickers": ["AAPL", "XOM", "JPM"]})
    r = await h.trade.post("/api/scan")
    assert r.status_code == 200
    body = r.json()
    assert body["tickers"] == ["AAPL", "XOM", "JPM"]
    assert [x["ticker"] for x in body["results"]] == ["AAPL", "XOM", "JPM"]
    assert sum(body["counts"].values()) == 3


async def test_config_when_read_then_no_secret_appears(h: ApiHarness) -> None:
    from tests.fakes.api import READ_KEY, TRADE_KEY

    r = await h.read.get("/api/config")
    text = r.text
    assert TRADE_KEY not in text
    assert READ_KEY not in text
    assert r.json()["scan_interval_s"] == 60


async def test_risk_when_read_then_limits_and_exposures_are_shown(h: ApiHarness) -> None:
    body = (await h.read.get("/api/risk")).json()
    assert body["limits"]["max_ticker_pct"] == "0.05"
    assert body["max_drawdown_pct"] == "10.00"
    assert body["trading_state"] == "ACTIVE"
    assert body["tickers"] == []


async def test_market_history_when_asked_then_bars_with_smas(h: ApiHarness) -> None:
    body = (await h.read.get("/api/market-history/AAPL", params={"days": 30})).json()
    assert len(body["bars"]) == 30
    last = body["bars"][-1]
    assert last["sma_20"] is not None
    assert last["sma_50"] is not None
    assert last["low"] <= last["close"] <= last["high"]


async def test_openapi_when_fetched_then_errors_use_the_envelope(h: ApiHarness) -> None:
    schema = (await h.anon.get("/openapi.json")).json()
    trigger = schema["paths"]["/api/trigger"]["post"]["responses"]
    assert trigger["422"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ErrorResponse"
    )
    assert "X-API-Key" in str(schema["components"]["securitySchemes"])
    for path in ("/api/decisions/{decision_id}", "/api/orders", "/api/risk", "/metrics"):
        assert path in schema["paths"]


async def test_request_when_body_is_not_utf8_json_then_422_envelope(h: ApiHarness) -> None:
    r = await h.trade.post(
        "/api/halt", content=b"\xff\xfe,\x80", headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "INVALID_INPUT"


async def test_risk_when_a_denial_today_then_counted_with_vix_and_largest_position(
    h: ApiHarness,
) -> None:
    state = (await h.desk.portfolio.current(h.desk.clock.now())).model_copy(
        update={"trading_state": TradingState.HALTED}
    )
    signal = SignalCreated(
        ts_event=h.desk.clock.now(), decision_id=uuid4(), ticker="MSFT", action=Action.BUY,
        confidence=0.3, rationale="test", model="test",
    )  # fmt: skip
    snap = await h.desk.market.snapshot("MSFT", h.desk.clock.now())
    verdict = h.desk.risk.evaluate_signal(signal, state, snap, h.desk.clock.now())
    assert {"HALTED", "LOW_CONFIDENCE"} <= {c.code for c in verdict.violations}
    async with h.desk.store.tx() as tx:
        await tx.add_decision(signal.decision_id, "MSFT", "test", h.desk.clock.now())
        await tx.add_signal(signal)
        await tx.add_verdict(verdict)
    body = (await h.read.get("/api/risk")).json()
    # Counted under its first failing stage, the desk (a HALTED desk is not ACTIVE either),
    # and not also under its low confidence, a trade check.
    assert body["denials_today"] == {"HALTED": 1, "REDUCING": 1}
    assert body["max_vix"] == "35"
    assert body["vix"] is not None
    assert float(body["vix"]) > 0
    assert body["largest_position_pct"] is None


async def test_equity_history_when_marks_stored_then_oldest_first_and_limited(
    h: ApiHarness, clock: ManualClock
) -> None:
    for _ in range(3):
        await h.desk.portfolio.current(clock.now(), mark=True)
        clock.advance(60)
    body = (await h.read.get("/api/equity-history", params={"limit": 2})).json()
    points = body["points"]
    assert len(points) == 2
    assert points[0]["ts"] < points[1]["ts"]
    assert points[-1]["equity"] == "100000.00"
    assert (await h.read.get("/api/equity-history", params={"limit": 0})).status_code == 422
