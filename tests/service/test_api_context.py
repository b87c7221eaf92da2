"""GET /api/news, GET /api/fundamentals and the context in GET /api/decisions/{id}."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from tests.fakes.api import ApiHarness, api_harness

from swingdesk.adapters.clock import ManualClock


@pytest.fixture
async def h(tmp_path: Path, clock: ManualClock) -> AsyncIterator[ApiHarness]:
    async with api_harness(tmp_path, clock) as harness:
        yield harness


async def _news_at_some_time(h: ApiHarness, clock: ManualClock, ticker: str) -> dict[str, object]:
    """Step back a day at a time until the simulated market has a headline for ``ticker``."""
    for _ in range(60):
        body = (await h.read.get(f"/api/news/{ticker}")).json()
        if body["headlines"]:
            return dict(body)
        clock.set(clock.now() - timedelta(days=1))
    raise AssertionError(f"no simulated headline for {ticker} in 60 days")


async def test_news_when_asked_then_scored_headlines_newest_first_never_after_now(
    h: ApiHarness, clock: ManualClock
) -> None:
    body = await _news_at_some_time(h, clock, "AAPL")
    now = clock.now()
    heads = body["headlines"]
    assert isinstance(heads, list)
    stamps = [datetime.fromisoformat(x["published_at"]) for x in heads]
    assert stamps == sorted(stamps, reverse=True)
    assert all(t <= now for t in stamps)
    assert all(-1 <= x["sentiment"] <= 1 for x in heads)
    assert all(x["publisher"] for x in heads)
    sentiment = body["sentiment"]
    assert isinstance(sentiment, dict)
    assert sentiment["method"].startswith("vader-")
    assert sentiment["headlines"] == len(heads)
    assert body["missing"] == []


async def test_fundamentals_when_asked_then_figures_as_decimal_strings(h: ApiHarness) -> None:
    r = await h.read.get("/api/fundamentals/MSFT")
    assert r.status_code == 200
    f = r.json()["fundamentals"]
    assert f["source"] == "simulated"
    assert int(f["market_cap_usd"]) > 0
    assert float(f["profit_margin_pct"]) < 1
    assert r.json()["missing"] == []


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/api/news/ZZZZ", 404, "UNKNOWN_TICKER"),
        ("/api/fundamentals/ZZZZ", 404, "UNKNOWN_TICKER"),
        ("/api/news/AAPL!", 422, "INVALID_TICKER"),
    ],
)
async def test_context_endpoints_when_ticker_bad_then_stable_error(
    h: ApiHarness, path: str, status: int, code: str
) -> None:
    r = await h.read.get(path)
    assert r.status_code == status
    assert r.json()["error"]["code"] == code


async def test_decision_when_explained_later_then_shows_the_context_the_analyst_saw(
    h: ApiHarness, clock: ManualClock
) -> None:
    shown = await _news_at_some_time(h, clock, "NVDA")
    figures = (await h.read.get("/api/fundamentals/NVDA")).json()["fundamentals"]
    r = await h.trade.post("/api/trigger", json={"ticker": "NVDA"})
    assert r.status_code == 200, r.text
    did = r.json()["decision_id"]
    clock.set(clock.now() + timedelta(days=40))  # the news and the figures move on
    assert (await h.read.get("/api/news/NVDA")).json()["headlines"] != shown["headlines"]
    rec = (await h.read.get(f"/api/decisions/{did}")).json()
    ctx = rec["context"]
    assert ctx["news"] == shown["headlines"]
    assert ctx["sentiment"] == shown["sentiment"]
    assert ctx["fundamentals"] == figures
    assert rec["market_snapshot"]["news"] == shown["headlines"]
    assert rec["strategy"]["views"] == []
