"""The real ``openai`` SDK against a fake chat-completions server on 127.0.0.1.

A scripted corpus of replies (valid ones, every malformed kind, slow replies, 429 with
Retry-After, 5xx) proves the outcome of each through the LLM analyst and its agent.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from decimal import Decimal
from uuid import UUID

import pytest
from tests.fakes.fake_openai import GOOD, completion, error, fake_openai_server, ok
from tests.fakes.llm_fixtures import NOW, book, snapshot
from tests.fakes.llm_server import Scripted, ScriptedServer, serving

from swingdesk.adapters.openai_llm import JsonMode, OpenAIChatClient
from swingdesk.domain.enums import Action
from swingdesk.domain.events import SignalCreated
from swingdesk.strategy.agent import StrategyAgent
from swingdesk.strategy.budget import ModelPrice
from swingdesk.strategy.llm import LLMStrategy

DID = UUID(int=21)
PRICES = {"gpt-4o-mini": ModelPrice(Decimal("0.15"), Decimal("0.60"))}
MALFORMED = "LLM_MALFORMED"
FAST_RETRY = {"retry-after": "0.05"}


@pytest.fixture(scope="module")
def server() -> Iterator[ScriptedServer]:
    """Run one fake server for the module."""
    with serving(fake_openai_server()) as srv:
        yield srv


@pytest.fixture
def srv(server: ScriptedServer) -> ScriptedServer:
    """Return the server with an empty script."""
    server.reset()
    return server


def client(
    srv: ScriptedServer, *, timeout_s: float = 2.0, max_retries: int = 1, **kw: object
) -> OpenAIChatClient:
    """Return a real SDK client pointed at the fake server."""
    return OpenAIChatClient(
        api_key="sk-test",
        base_url=f"{srv.base_url}/v1",
        timeout_s=timeout_s,
        max_retries=max_retries,
        **kw,  # type: ignore[arg-type]
    )


async def decide(
    llm: OpenAIChatClient, *, held: bool = False, timeout_s: float | None = None
) -> SignalCreated:
    """Run one decision for AAPL through LLMStrategy and StrategyAgent."""
    strategy = LLMStrategy(llm, prices=PRICES, timeout_s=timeout_s)
    portfolio = book(held=("AAPL",) if held else ())
    try:
        return await StrategyAgent(strategy).evaluate_context(DID, snapshot(), portfolio, NOW)
    finally:
        await llm.close()


def content(**fields: object) -> str:
    """Return GOOD as JSON with ``fields`` overridden."""
    return json.dumps({**GOOD, **fields})


# (id, scripted replies, held, expected action, expected reason code)
CORPUS: list[tuple[str, list[Scripted], bool, Action, str | None]] = [
    ("valid-buy", [ok()], False, Action.BUY, None),
    ("valid-hold", [ok(content(action="HOLD", confidence=0.55))], False, Action.HOLD, None),
    ("valid-sell-held", [ok(content(action="SELL", confidence=0.8))], True, Action.SELL, None),
    ("sell-not-held", [ok(content(action="SELL"))], False, Action.HOLD, "NOT_FEASIBLE"),
    ("buy-while-held", [ok(content(action="BUY"))], True, Action.HOLD, "NOT_FEASIBLE"),
    ("invalid-json", [ok("{action: BUY, confidence: 0.9}")], False, Action.HOLD, "LLM_MALFORMED"),
    (
        "missing-field",
        [ok(json.dumps({"action": "BUY", "confidence": 0.9}))],
        False,
        Action.HOLD,
        "LLM_MALFORMED",
    ),
    ("extra-field", [ok(content(size=100))], False, Action.HOLD, "LLM_MALFORMED"),
    ("confidence-n-a", [ok(content(confidence="N/A"))], False, Action.HOLD, "LLM_MALFORMED"),
    ("confidence-1.7", [ok(content(confidence=1.7))], False, Action.HOLD, "LLM_MALFORMED"),
    (
        "prose-around",
        [ok("My view: " + content() + " Thanks")],
        False,
        Action.HOLD,
        "LLM_MALFORMED",
    ),
    ("rating-word-only", [ok("BUY")], False, Action.HOLD, "LLM_MALFORMED"),
    (
        "refusal",
        [Scripted(body=completion(None, refusal="I can't give trading advice."))],
        False,
        Action.HOLD,
        "LLM_REFUSAL",
    ),
    (
        "finish-length",
        [Scripted(body=completion('{"action": "BUY", "confid', finish_reason="length"))],
        False,
        Action.HOLD,
        "LLM_MALFORMED",
    ),
    (
        "content-filter",
        [Scripted(body=completion(None, finish_reason="content_filter"))],
        False,
        Action.HOLD,
        "LLM_REFUSAL",
    ),
    ("null-content", [Scripted(body=completion(None))], False, Action.HOLD, "LLM_MALFORMED"),
    (
        "body-not-json",
        [Scripted(body="<html>502 Bad Gateway</html>")],
        False,
        Action.HOLD,
        "LLM_MALFORMED",
    ),
    (
        "no-choices",
        [Scripted(body={"id": "x", "choices": []})],
        False,
        Action.HOLD,
        "LLM_MALFORMED",
    ),
    (
        "429-twice",
        [error(429, "Rate limit reached", **FAST_RETRY), error(429, "again", **FAST_RETRY)],
        False,
        Action.HOLD,
        "LLM_RATE_LIMIT",
    ),
    ("429-then-ok", [error(429, "slow down", **FAST_RETRY), ok()], False, Action.BUY, None),
    ("500-twice", [error(500), error(500)], False, Action.HOLD, "LLM_ERROR"),
    ("503-then-ok", [error(503), ok()], False, Action.BUY, None),
    ("401", [error(401, "Incorrect API key")], False, Action.HOLD, "LLM_ERROR"),
]


@pytest.mark.parametrize(
    ("script", "held", "action", "code"),
    [pytest.param(*case[1:], id=case[0]) for case in CORPUS],
)
async def test_decide_when_server_scripts_reply_then_expected_outcome(
    srv: ScriptedServer, script: list[Scripted], held: bool, action: Action, code: str | None
) -> None:
    srv.script(*script)
    sig = await decide(client(srv), held=held)
    assert (sig.action, sig.reason_code) == (action, code)
    assert sig.action in sig.feasible_actions
    assert len(srv.requests) == len(script)
    if code is not None:
        assert sig.confidence == 0.0
        assert sig.raw_output  # the reply or the error is kept for explain


async def test_decide_when_reply_is_valid_then_usage_cost_and_request_shape_recorded(
    srv: ScriptedServer,
) -> None:
    sig = await decide(client(srv))
    assert (sig.tokens_in, sig.tokens_out) == (420, 38)
    assert sig.cost_usd > 0
    assert json.loads(sig.raw_output) == GOOD
    [request] = srv.requests
    fmt = request["response_format"]
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["strict"] is True
    assert fmt["json_schema"]["schema"]["additionalProperties"] is False
    assert request["model"] == "gpt-4o-mini"
    assert [m["role"] for m in request["messages"]] == ["system", "user"]
    assert "FEASIBLE ACTIONS: BUY, HOLD" in request["messages"][1]["content"]
    assert srv.headers[0]["authorization"] == "Bearer sk-test"


async def test_decide_when_429_has_retry_after_then_sdk_waits_before_retrying(
    srv: ScriptedServer,
) -> None:
    srv.script(error(429, "slow down", **{"retry-after": "0.3"}), ok())
    start = time.perf_counter()
    sig = await decide(client(srv))
    assert sig.action is Action.BUY
    assert len(srv.requests) == 2
    assert time.perf_counter() - start >= 0.3


async def test_decide_when_reply_is_slower_than_sdk_timeout_then_hold_llm_timeout(
    srv: ScriptedServer,
) -> None:
    srv.script(Scripted(body=completion(content()), delay_s=1.5))
    sig = await decide(client(srv, timeout_s=0.2, max_retries=0))
    assert (sig.action, sig.reason_code) == (Action.HOLD, "LLM_TIMEOUT")


async def test_decide_when_slower_than_decision_timeout_then_hold_llm_timeout(
    srv: ScriptedServer,
) -> None:
    srv.script(*[Scripted(body=completion(content()), delay_s=1.5)] * 2)
    sig = await decide(client(srv, timeout_s=5.0, max_retries=1), timeout_s=0.2)
    assert (sig.action, sig.reason_code) == (Action.HOLD, "LLM_TIMEOUT")
    assert sig.latency_ms < 1500


async def test_decide_when_server_is_down_then_hold_llm_error() -> None:
    down = fake_openai_server()
    with serving(down):
        url = down.base_url
    llm = OpenAIChatClient(api_key="k", base_url=f"{url}/v1", timeout_s=1.0, max_retries=0)
    sig = await decide(llm)
    assert (sig.action, sig.reason_code) == (Action.HOLD, "LLM_ERROR")
    assert "reach" in sig.raw_output


async def test_decide_when_server_rejects_json_schema_then_falls_back_to_json_object(
    srv: ScriptedServer,
) -> None:
    srv.script(error(400, "response_format json_schema is not supported by this model"), ok())
    llm = client(srv)
    sig = await decide(llm)
    assert sig.action is Action.BUY
    assert [r["response_format"]["type"] for r in srv.requests] == ["json_schema", "json_object"]
    assert llm.json_mode is JsonMode.JSON_OBJECT


async def test_decide_when_json_object_mode_reply_is_malformed_then_still_validated(
    srv: ScriptedServer,
) -> None:
    srv.script(ok(content(confidence="high")))
    sig = await decide(client(srv, json_mode=JsonMode.JSON_OBJECT))
    assert (sig.action, sig.reason_code) == (Action.HOLD, "LLM_MALFORMED")
    assert srv.requests[0]["response_format"] == {"type": "json_object"}
