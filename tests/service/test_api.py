"""The HTTP API over a real desk (simulated market, rules analyst, simulated broker)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from swingdesk.adapters.clock import ManualClock
from swingdesk.api.app import create_app
from swingdesk.bootstrap import build_desk
from swingdesk.config import Settings, load_settings
from swingdesk.domain.errors import ConfigurationError

KEY = "k" * 32


@pytest.fixture
async def client(tmp_path: Path, clock: ManualClock) -> AsyncIterator[httpx.AsyncClient]:
    settings = load_settings(data_dir=tmp_path, api_key=KEY)
    desk = await build_desk(settings, clock=clock)
    app = create_app(settings, desk=desk)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test", headers={"X-API-Key": KEY}
        ) as c:
            yield c
    await desk.close()


async def test_health_when_called_without_key_then_ok(client: httpx.AsyncClient) -> None:
    r = await client.get("/health", headers={"X-API-Key": ""})
    assert r.status_code == 200
    assert r.json()["status"] == "ok"
    assert (await client.get("/ready")).json() == {"status": "ready"}


async def test_trigger_when_key_missing_or_wrong_then_401_json(client: httpx.AsyncClient) -> None:
    for headers in ({"X-API-Key": "wrong"}, {"X-API-Key": ""}):
        r = await client.post("/api/trigger", json={"ticker": "AAPL"}, headers=headers)
        assert r.status_code == 401
        assert r.json()["error"]["code"] == "UNAUTHORIZED"


async def test_trigger_when_ticker_valid_then_decision_is_explainable(
    client: httpx.AsyncClient,
) -> None:
    r = await client.post("/api/trigger", json={"ticker": " aapl "})
    assert r.status_code == 200
    body = r.json()
    assert body["ticker"] == "AAPL"
    assert body["signal"]["action"] in {"BUY", "SELL", "HOLD"}
    explained = (await client.get(f"/api/decisions/{body['decision_id']}")).json()
    assert explained["decision"]["decision_id"] == body["decision_id"]
    assert explained["market_snapshot"]["source"] == "simulated"


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"ticker": "AAPL1"}, "INVALID_TICKER"),
        ({"ticker": "ZZZZ"}, "UNKNOWN_TICKER"),
        ({"ticker": ""}, "INVALID_INPUT"),
        ({}, "INVALID_INPUT"),
        ({"ticker": 5}, "INVALID_INPUT"),
    ],
)
async def test_trigger_when_input_is_bad_then_422_with_stable_code(
    client: httpx.AsyncClient, payload: dict[str, object], code: str
) -> None:
    r = await client.post("/api/trigger", json=payload)
    assert r.status_code == 422
    assert r.json()["error"]["code"] == code


async def test_decision_when_unknown_or_malformed_then_404_or_422(
    client: httpx.AsyncClient,
) -> None:
    r = await client.get("/api/decisions/00000000-0000-0000-0000-000000000000")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "NOT_FOUND"
    assert (await client.get("/api/decisions/not-a-uuid")).status_code == 422


async def test_halt_when_halted_twice_then_409_and_resume_restores(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.post("/api/halt", json={"reason": "test"})).json()["current"] == "HALTED"
    r = await client.post("/api/halt", json={"reason": "again"})
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "CONFLICT"
    assert (await client.post("/api/resume", json={"reason": "ok"})).json()["current"] == "ACTIVE"
    portfolio = (await client.get("/api/portfolio")).json()
    assert portfolio["trading_state"] == "ACTIVE"
    assert portfolio["equity"] == "100000.00"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"host": "0.0.0.0"}, "refusing to start without APP_API_KEY"),
        ({"api_key": "changeme"}, "placeholder"),
    ],
)
def test_create_app_when_unsafe_then_refuses_to_start(
    overrides: dict[str, str], message: str
) -> None:
    settings = Settings(**overrides)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match=message):
        create_app(settings)


def test_settings_when_secret_is_set_then_never_shown_publicly() -> None:
    settings = load_settings(api_key=SecretStr(KEY))
    assert KEY not in str(settings.public())
    assert KEY not in repr(settings)
