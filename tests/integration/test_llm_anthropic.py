"""The real ``anthropic`` SDK against a fake messages server on 127.0.0.1.

The decision is forced through one tool; a scripted corpus proves that every malformed
kind, refusal, slow reply, 429 and 5xx ends as the expected action and reason code.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from uuid import UUID

import pytest
from tests.fakes.fake_anthropic import (
    GOOD,
    error,
    fake_anthropic_server,
    message,
    ok,
    text_block,
    tool_use,
)
from tests.fakes.llm_fixtures import NOW, book, snapshot
from tests.fakes.llm_server import Scripted, ScriptedServer, serving

from swingdesk.adapters.anthropic_llm import TOOL_NAME, AnthropicClient
from swingdesk.domain.enums import Action
from swingdesk.domain.events import SignalCreated
from swingdesk.strategy.agent import StrategyAgent
from swingdesk.strategy.budget import ModelPrice
from swingdesk.strategy.llm import LLMStrategy

DID = UUID(int=31)
PRICES = {"claude-haiku-4-5": ModelPrice(Decimal(1), Decimal(5))}
MALFORMED = "LLM_MALFORMED"
FAST_RETRY = {"retry-after": "0.05"}


@pytest.fixture(scope="module")
def server() -> Iterator[ScriptedServer]:
    """Run one fake server for the module."""
    with serving(fake_anthropic_server()) as srv:
        yield srv


@pytest.fixture
def srv(server: ScriptedServer) -> ScriptedServer:
    """Return the server with an empty script."""
    server.reset()
    return server


def client(srv: ScriptedServer, *, timeout_s: float = 2.0, max_retries: int = 1) -> AnthropicClient:
    """Return a real SDK client pointed at the fake server."""
    return AnthropicClient(
        api_key="sk-ant-test", base_url=srv.base_url, timeout_s=timeout_s, max_retries=max_retries
    )


async def decide(
    llm: AnthropicClient, *, held: bool = False, timeout_s: float | None = None
) -> SignalCreated:
    """Run one decision for AAPL through LLMStrategy and StrategyAgent."""
    strategy = LLMStrategy(llm, prices=PRICES, timeout_s=timeout_s)
    portfolio = book(held=("AAPL",) if held else ())
    try:
        return await StrategyAgent(strategy).evaluate_context(DID, snapshot(), portfolio, NOW)
    finally:
        await llm.close()


def decision(**fields: object) -> dict[str, object]:
    """Return GOOD with ``fields`` overridden."""
    return {**GOOD, **fields}


CORPUS: list[tuple[str, list[Scripted], bool, Action, str | None]] = [
    ("valid-buy", [ok()], False, Action.BUY, None),
    ("valid-sell-held", [ok(decision(action="SELL", confidence=0.9))], True, Action.SELL, None),
    ("sell-not-held", [ok(decision(action="SELL"))], False, Action.HOLD, "NOT_FEASIBLE"),
    ("confidence-n-a", [ok(decision(confidence="N/A"))], False, Action.HOLD, MALFORMED),
    ("confidence-2", [ok(decision(confidence=2))], False, Action.HOLD, MALFORMED),
    ("extra-field", [ok(decision(stop=101.5))], False, Action.HOLD, MALFORMED),
    ("action-lowercase", [ok(decision(action="buy"))], False, Action.HOLD, MALFORMED),
    (
        "text-prose-no-tool",
        [Scripted(body=message([text_block("I'd buy AAPL here.")], stop_reason="end_turn"))],
        False,
        Action.HOLD,
        MALFORMED,
    ),
    (
        "wrong-tool-name",
        [Scripted(body=message([tool_use(GOOD, name="other_tool")]))],
        False,
        Action.HOLD,
        MALFORMED,
    ),
    (
        "refusal",
        [Scripted(body=message([], stop_reason="refusal"))],
        False,
        Action.HOLD,
        "LLM_REFUSAL",
    ),
    (
        "max-tokens",
        [Scripted(body=message([tool_use({"action": "BUY"})], stop_reason="max_tokens"))],
        False,
        Action.HOLD,
        MALFORMED,
    ),
    ("body-not-json", [Scripted(body="upstream connect error")], False, Action.HOLD, MALFORMED),
    (
        "429-twice",
        [
            error(429, "rate_limit_error", **FAST_RETRY),
            error(429, "rate_limit_error", **FAST_RETRY),
        ],
        False,
        Action.HOLD,
        "LLM_RATE_LIMIT",
    ),
    ("529-overloaded-twice", [error(529, "overloaded_error")] * 2, False, Action.HOLD, "LLM_ERROR"),
    ("500-then-ok", [error(500), ok()], False, Action.BUY, None),
    ("400-invalid-request", [error(400, "invalid_request_error")], False, Action.HOLD, "LLM_ERROR"),
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
        assert sig.raw_output


async def test_decide_when_tool_is_forced_then_request_carries_schema_and_usage_is_costed(
    srv: ScriptedServer,
) -> None:
    sig = await decide(client(srv))
    assert sig.action is Action.BUY
    assert (sig.tokens_in, sig.tokens_out) == (510, 44)
    # 510 x 1 / 1e6 + 44 x 5 / 1e6
    assert sig.cost_usd == Decimal("0.00073")
    assert json.loads(sig.raw_output) == GOOD
    [request] = srv.requests
    assert request["tool_choice"] == {"type": "tool", "name": TOOL_NAME}
    [tool] = request["tools"]
    assert tool["input_schema"]["additionalProperties"] is False
    assert "FEASIBLE ACTIONS: BUY, HOLD" in request["messages"][0]["content"]
    assert "rules of engagement" in request["system"].lower()


async def test_decide_when_reply_is_slower_than_sdk_timeout_then_hold_llm_timeout(
    srv: ScriptedServer,
) -> None:
    srv.script(Scripted(body=message([tool_use(GOOD)]), delay_s=1.5))
    sig = await decide(client(srv, timeout_s=0.2, max_retries=0))
    assert (sig.action, sig.reason_code) == (Action.HOLD, "LLM_TIMEOUT")


async def test_decide_when_slower_than_decision_timeout_then_hold_llm_timeout(
    srv: ScriptedServer,
) -> None:
    srv.script(Scripted(body=message([tool_use(GOOD)]), delay_s=1.5))
    sig = await decide(client(srv, timeout_s=5.0), timeout_s=0.2)
    assert (sig.action, sig.reason_code) == (Action.HOLD, "LLM_TIMEOUT")
