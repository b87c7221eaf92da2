"""The trading-day routes over HTTP: scopes, validation, filters and shapes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tests.fakes.api import ApiHarness, api_harness

from swingdesk.adapters.clock import ManualClock


@pytest.fixture
async def h(tmp_path: Path, clock: ManualClock) -> AsyncIterator[ApiHarness]:
    async with api_harness(tmp_path, clock) as harness:
        yield harness


@pytest.mark.parametrize(
    "path",
    ["/api/manual/close", "/api/manual/stop", "/api/manual/cancel"],
)
async def test_manual_when_read_key_then_403(h: ApiHarness, path: str) -> None:
    body = {"ticker": "AAPL", "stop_price": "1", "client_order_id": "x", "reason": "r"}
    body = {k: v for k, v in body.items() if k != "client_order_id" or "cancel" in path}
    r = await h.read.post(path, json=body)
    assert r.status_code == 403


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/manual/close", {"ticker": "AAPL"}),
        ("/api/manual/close", {"ticker": "AAPL", "reason": ""}),
        ("/api/manual/close", {"ticker": "AAPL", "reason": "r", "qty": "5"}),
        ("/api/manual/stop", {"ticker": "AAPL", "stop_price": 99.5, "reason": "r"}),
        ("/api/manual/cancel", {"client_order_id": "a b", "reason": "r"}),
    ],
)
async def test_manual_when_reason_missing_or_types_wrong_then_422_invalid_input(
    h: ApiHarness, path: str, body: dict[str, object]
) -> None:
    r = await h.trade.post(path, json=body)
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "INVALID_INPUT"


async def test_manual_when_unknown_order_or_ticker_then_404_with_code(h: ApiHarness) -> None:
    r = await h.trade.post("/api/manual/cancel", json={"client_order_id": "nope", "reason": "r"})
    assert (r.status_code, r.json()["error"]["code"]) == (404, "NOT_FOUND")
    r = await h.trade.post("/api/manual/close", json={"ticker": "ZZZZ", "reason": "r"})
    assert (r.status_code, r.json()["error"]["code"]) == (404, "UNKNOWN_TICKER")
    r = await h.read.get("/api/tickers/ZZZZ")
    assert (r.status_code, r.json()["error"]["code"]) == (404, "UNKNOWN_TICKER")


async def test_manual_close_when_nothing_held_then_rejected_decision_in_the_explorer(
    h: ApiHarness,
) -> None:
    r = await h.trade.post("/api/manual/close", json={"ticker": "AAPL", "reason": "flatten"})
    assert r.status_code == 200
    out = r.json()
    assert out["status"] == "rejected"
    assert [v["code"] for v in out["risk"]["violations"]] == ["NO_POSITION"]
    page = (await h.read.get("/api/decisions", params={"code": "NO_POSITION"})).json()
    [row] = page["items"]
    assert (row["decision_id"], row["manual"], row["trigger"]) == (
        out["decision_id"],
        True,
        "manual",
    )
    assert page["analysts"] == ["manual"]
    none = await h.read.get("/api/decisions", params={"until": "2000-01-01"})
    assert none.json()["items"] == []
    bad = await h.read.get("/api/decisions", params={"since": "2026-02-30"})
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "INVALID_INPUT")


async def test_settings_and_journal_when_fresh_desk_then_described_and_empty(
    h: ApiHarness,
) -> None:
    s = (await h.read.get("/api/settings")).json()
    assert (s["analyst"], s["market"], s["spent_today_usd"]) == ("rules", "simulated", "0")
    assert "max_drawdown_pct" in s["limits"]
    j = (await h.read.get("/api/journal")).json()
    assert (j["count"], j["trips"], j["totals"]["trades"]) == (0, [], 0)
    info = (await h.read.get("/api/tickers/ aapl")).json()
    assert info == {"ticker": "AAPL", "name": "Apple Inc.", "sector": "Information Technology"}
