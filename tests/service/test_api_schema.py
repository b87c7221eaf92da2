"""Schemathesis against the app's own OpenAPI schema: no 5xx, every response as documented.

Needs `schemathesis` (dev dependency). In CI its absence fails the run; on a developer
machine without it the module is skipped with a clear message.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from tests.fakes.api import TRADE_KEY, fresh_database

from swingdesk.api.app import create_app
from swingdesk.api.schemas import TICKER_PATTERN, UUID_PATTERN
from swingdesk.api.schemas_backtest import TICKERS_OR_UNIVERSE
from swingdesk.config import load_settings

try:
    import schemathesis
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        negative_data_rejection,
        positive_data_acceptance,
        response_schema_conformance,
        status_code_conformance,
    )
except ImportError:  # pragma: no cover - depends on the environment
    if os.environ.get("CI"):
        pytest.fail("schemathesis is required in CI (dev dependency)", pytrace=False)
    pytest.skip("schemathesis not installed (required in CI)", allow_module_level=True)

from hypothesis import HealthCheck, settings


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the server runs in a thread
        return


def _settings(data_dir: Path) -> Any:
    return load_settings(
        data_dir=data_dir,
        api_key=TRADE_KEY,
        trigger_cooldown_s=0,
        trigger_rate_per_min=1_000_000,
        risk_cooldown_s=0,
    )


# The schema is the app's own, generated without starting anything. The stream never ends by
# design, so it is left out here; test_stream.py covers its contract.
schema = schemathesis.openapi.from_dict(create_app(_settings(Path("var"))).openapi()).exclude(
    path="/api/stream"
)
# The key is sent by the test itself (below): schemathesis neither generates nor removes it.
schema.config.generation.update(with_security_parameters=False)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir: Path = tmp_path_factory.mktemp("schema")
    fresh_database(data_dir)
    app = create_app(_settings(data_dir), autopilot=False)
    server = _Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(3000):
        if server.started or not thread.is_alive():
            break
        threading.Event().wait(0.01)
    assert server.started, "the API server did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def positive_data_acceptance_but_date_order(ctx: Any, response: Any, case: Any) -> bool | None:
    """Schema-valid data is accepted, except for the two rules JSON Schema cannot state, each
    refused with a 422: a backtest's ``end`` before its ``start`` (two fields compared), and
    dates outside what the market data holds (known to the server, not to the schema)."""
    body = case.body if isinstance(case.body, dict) else {}
    backtest = (case.operation.method.upper(), case.operation.path) == ("POST", "/api/backtests")
    if backtest and response.status_code == 422 and _dates_refused_rightly(body, response):
        return None
    optimization = (case.operation.method.upper(), case.operation.path) == (
        "POST",
        "/api/optimizations",
    )
    if (
        optimization
        and response.status_code == 422
        and _optimization_refused_rightly(body, response)
    ):
        return None
    result: bool | None = positive_data_acceptance(ctx, response, case)
    return result


#: What an optimisation request is checked against beyond its schema: the installed
#: strategies, the size of the work, and sessions enough for each walk-forward fold.
_OPTIMIZATION_RULES = {"UNKNOWN_STRATEGY", "OPTIMIZATION_TOO_LARGE"}


def _optimization_refused_rightly(body: dict[str, Any], response: Any) -> bool:
    """True when the 422 names a rule of the server's an optimisation request really breaks."""
    error = response.json().get("error", {})
    start, end = body.get("start"), body.get("end")
    if isinstance(start, str) and isinstance(end, str) and end <= start:
        return True
    if error.get("code") in _OPTIMIZATION_RULES:
        return True
    if "too few for" in error.get("message", ""):
        return True
    return _dates_refused_rightly(body, response)


def _dates_refused_rightly(body: dict[str, Any], response: Any) -> bool:
    """True when the 422 names a date rule the request's dates really break."""
    start, end = body.get("start"), body.get("end")
    if not (isinstance(start, str) and isinstance(end, str)):
        return False
    if end < start:  # ISO dates order as strings
        return True
    error = response.json().get("error", {})
    if error.get("code") != "DATE_OUT_OF_RANGE":
        return False
    bounds = error.get("details", {})
    outside = start < bounds["earliest"] or end > bounds["latest"]
    if "max_years" not in bounds:
        return outside
    span = dt.date.fromisoformat(end) - dt.date.fromisoformat(start)
    return outside or span.days > 366 * int(bounds["max_years"])


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_when_fuzzed_with_valid_and_invalid_data_then_server_and_schema_agree(
    case: Any, base_url: str
) -> None:
    # Positive and negative cases (schemathesis' default modes): the server must accept what
    # the schema allows and refuse what it does not, answer only documented statuses and
    # bodies, and never a 5xx.
    case.call_and_validate(
        base_url=base_url,
        headers={"X-API-Key": TRADE_KEY},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
            positive_data_acceptance_but_date_order,
            negative_data_rejection,
        ],
    )


def test_schema_when_loaded_then_every_endpoint_of_the_issue_is_documented(
    base_url: str,
) -> None:
    import httpx

    paths = httpx.get(f"{base_url}/openapi.json").json()["paths"]
    expected = {
        "/health", "/ready", "/metrics", "/api/trigger", "/api/stream", "/api/stream-token",
        "/api/portfolio", "/api/quote/{ticker}", "/api/movers", "/api/logs", "/api/insights",
        "/api/market-data", "/api/market-history/{ticker}", "/api/decisions/{decision_id}",
        "/api/orders", "/api/positions", "/api/risk", "/api/halt", "/api/resume", "/api/scan",
        "/api/watchlist", "/api/config",
    }  # fmt: skip
    assert expected <= set(paths)


def test_schema_when_read_then_it_states_the_constraints_the_server_enforces() -> None:
    doc = create_app(_settings(Path("var"))).openapi()
    parts = doc["components"]["schemas"]
    ticker = parts["TriggerRequest"]["properties"]["ticker"]
    assert ticker["pattern"] == TICKER_PATTERN
    assert parts["WatchlistRequest"]["properties"]["tickers"]["items"]["pattern"] == TICKER_PATTERN
    for path in ("/api/quote/{ticker}", "/api/market-history/{ticker}"):
        (param,) = [p for p in doc["paths"][path]["get"]["parameters"] if p["in"] == "path"]
        assert param["schema"]["pattern"] == TICKER_PATTERN
    for path, name in (
        ("/api/decisions/{decision_id}", "decision_id"),
        ("/api/backtests/{run_id}", "run_id"),
    ):
        (param,) = [p for p in doc["paths"][path]["get"]["parameters"] if p["name"] == name]
        assert param["schema"]["format"] == "uuid"
        assert param["schema"]["pattern"] == UUID_PATTERN
    backtest = parts["BacktestRequest"]
    assert backtest["oneOf"] == TICKERS_OR_UNIVERSE["oneOf"]
    assert "pattern" in backtest["properties"]["initial_cash"]["anyOf"][1]
    assert "401" in doc["paths"]["/metrics"]["get"]["responses"]
    assert "429" in doc["paths"]["/api/stream"]["get"]["responses"]
