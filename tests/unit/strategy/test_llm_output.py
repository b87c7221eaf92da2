"""Validation of model replies: strict schema or HOLD with a reason code; never raises."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.fakes.llm_fixtures import NOW, ScriptedLLM, book, reply, snapshot

from swingdesk.domain.enums import Action, TradingState
from swingdesk.domain.events import SignalCreated
from swingdesk.strategy.agent import StrategyAgent
from swingdesk.strategy.llm import LLMStrategy
from swingdesk.strategy.prompts import render
from swingdesk.strategy.schema import (
    LLM_MALFORMED,
    LLM_REFUSAL,
    NOT_FEASIBLE,
    AnalystReply,
    interpret,
    strict_json_schema,
)

ALL = (Action.BUY, Action.SELL, Action.HOLD)
DID = UUID(int=11)


def j(**fields: Any) -> str:
    """Return a reply JSON with GOOD defaults overridden by ``fields``."""
    body: dict[str, Any] = {"action": "BUY", "confidence": 0.7, "rationale": "Trend intact."}
    body.update(fields)
    return json.dumps(body)


def test_interpret_when_reply_is_valid_then_action_and_confidence_are_kept() -> None:
    out = interpret(reply(j(action="SELL", confidence=0.81)), ALL)
    assert (out.action, out.confidence, out.reason_code) == (Action.SELL, 0.81, None)
    assert out.rationale == "Trend intact."


def test_interpret_when_confidence_is_an_integer_json_number_then_accepted() -> None:
    assert interpret(reply(j(confidence=1)), ALL).confidence == 1.0


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("not json", "invalid JSON"),
        ('{"action": "BUY", "confidence": 0.7', "truncated JSON"),
        (j(confidence="N/A"), '"N/A" in a numeric field'),
        (j(confidence="0.7"), "number as a string"),
        (j(confidence=1.5), "confidence above 1"),
        (j(confidence=-0.1), "confidence below 0"),
        (j(confidence=True), "boolean confidence"),
        ('{"action": "BUY", "confidence": NaN, "rationale": "x"}', "NaN confidence"),
        (j(action="buy"), "lower-case action"),
        (j(action="STRONG BUY"), "unknown action"),
        (j(rationale=""), "empty rationale"),
        (j(extra="field"), "extra key"),
        ('{"action": "BUY", "confidence": 0.7}', "missing rationale"),
        ("Sure! Here is my answer: " + j(), "prose before the JSON"),
        (j() + "\nHope this helps.", "prose after the JSON"),
        ("```json\n" + j() + "\n```", "markdown fence"),
        ("[" + j() + "]", "array instead of object"),
        ("", "empty reply"),
        ("BUY", "a bare rating word"),
    ],
)
def test_interpret_when_reply_is_malformed_then_hold_llm_malformed(text: str, why: str) -> None:
    out = interpret(reply(text), ALL)
    assert (out.action, out.confidence, out.reason_code) == (Action.HOLD, 0.0, LLM_MALFORMED), why


def test_interpret_when_refusal_is_set_then_hold_llm_refusal_even_with_valid_json() -> None:
    out = interpret(reply(j(), refusal="I can't help with trading."), ALL)
    assert (out.action, out.reason_code) == (Action.HOLD, LLM_REFUSAL)
    assert "can't help" in out.rationale


@pytest.mark.parametrize(
    ("finish", "code"),
    [
        ("length", LLM_MALFORMED),
        ("max_tokens", LLM_MALFORMED),
        ("content_filter", LLM_REFUSAL),
        ("refusal", LLM_REFUSAL),
    ],
)
def test_interpret_when_finish_reason_is_abnormal_then_hold_with_code(
    finish: str, code: str
) -> None:
    out = interpret(reply(j(), finish_reason=finish), ALL)
    assert (out.action, out.reason_code) == (Action.HOLD, code)


def test_interpret_when_action_is_not_feasible_then_hold_not_feasible() -> None:
    out = interpret(reply(j(action="SELL", confidence=0.9)), (Action.BUY, Action.HOLD))
    assert (out.action, out.reason_code) == (Action.HOLD, NOT_FEASIBLE)
    assert "SELL" in out.rationale
    assert "BUY, HOLD" in out.rationale


def test_strict_json_schema_when_derived_then_all_required_and_closed() -> None:
    schema = strict_json_schema()
    assert schema["additionalProperties"] is False
    assert sorted(schema["required"]) == ["action", "close_fraction", "confidence", "rationale"]
    # Optional in meaning, required in form: strict structured outputs send it as null.
    assert {"type": "null"} in schema["properties"]["close_fraction"]["anyOf"]
    assert all("default" not in prop for prop in schema["properties"].values())
    assert schema["properties"]["action"]["enum"] == ["BUY", "SELL", "HOLD"]
    assert AnalystReply.model_validate_json(j()).action == "BUY"


def test_render_when_feasible_actions_differ_then_prompt_and_hash_differ() -> None:
    schema = strict_json_schema()
    flat = render(snapshot(), book(), (Action.BUY, Action.HOLD), schema)
    held = render(snapshot(), book(held=("AAPL",)), (Action.SELL, Action.HOLD), schema)
    assert "FEASIBLE ACTIONS: BUY, HOLD" in flat.user
    assert "FEASIBLE ACTIONS: SELL, HOLD" in held.user
    assert "long 10 shares" in held.user
    assert flat.prompt_hash != held.prompt_hash
    assert render(snapshot(), book(), (Action.BUY, Action.HOLD), schema) == flat


def test_interpret_when_sell_names_a_fraction_then_it_is_kept() -> None:
    out = interpret(reply(j(action="SELL", close_fraction=0.25)), ALL)
    assert (out.action, out.close_fraction, out.fraction()) == (Action.SELL, 0.25, Decimal("0.25"))
    assert interpret(reply(j(action="SELL", close_fraction=None)), ALL).fraction() is None


def test_interpret_when_buy_or_hold_names_a_fraction_then_it_is_ignored() -> None:
    for action in ("BUY", "HOLD"):
        out = interpret(reply(j(action=action, close_fraction=0.5)), ALL)
        assert (out.action.value, out.reason_code, out.fraction()) == (action, None, None)


@pytest.mark.parametrize("fraction", [0, -0.5, 1.5, "0.5", True, float("inf")])
def test_interpret_when_fraction_is_out_of_range_or_not_a_number_then_malformed(
    fraction: object,
) -> None:
    text = j(action="SELL", close_fraction=fraction)
    assert interpret(reply(text), ALL).reason_code == LLM_MALFORMED


def test_evaluate_when_model_sells_part_then_signal_carries_the_fraction() -> None:
    signal = _evaluate(
        j(action="SELL", confidence=0.8, close_fraction=0.4), TradingState.ACTIVE, True
    )
    assert (signal.action, signal.close_fraction) == (Action.SELL, Decimal("0.4"))
    whole = _evaluate(j(action="SELL", confidence=0.8), TradingState.ACTIVE, True)
    assert (whole.action, whole.close_fraction) == (Action.SELL, None)


def _evaluate(text: str, state: TradingState, held: bool) -> SignalCreated:
    portfolio = book(state, held=("AAPL",) if held else ())
    agent = StrategyAgent(LLMStrategy(ScriptedLLM(reply(text)), cache=None))
    return asyncio.run(agent.evaluate_context(DID, snapshot(), portfolio, NOW))


_json_values = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=True) | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=8,
)
_near_valid = st.fixed_dictionaries(
    {
        "action": st.sampled_from(["BUY", "SELL", "HOLD", "buy", "", "N/A"]) | st.text(max_size=5),
        "confidence": st.floats(allow_nan=True, allow_infinity=True)
        | st.sampled_from(["N/A", "0.5", None]),
        "rationale": st.text(max_size=50),
    },
    optional={
        "close_fraction": st.none()
        | st.floats(allow_nan=True, allow_infinity=True)
        | st.sampled_from(["0.5", 0, 1])
    },
).map(json.dumps)
_any_reply = st.one_of(
    st.text(max_size=300),
    _near_valid,
    _json_values.map(json.dumps),
    st.tuples(st.text(max_size=20), _near_valid, st.text(max_size=20)).map("".join),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=_any_reply,
    state=st.sampled_from(list(TradingState)),
    held=st.booleans(),
)
def test_evaluate_when_model_returns_any_string_then_valid_feasible_signal_and_no_raise(
    text: str, state: TradingState, held: bool
) -> None:
    signal = _evaluate(text, state, held)
    assert isinstance(signal, SignalCreated)
    assert signal.action in signal.feasible_actions
    assert 0.0 <= signal.confidence <= 1.0
    if state is TradingState.HALTED:
        # A halted desk never asks the model: nothing it said could be acted on.
        assert (signal.action, signal.reason_code, signal.raw_output) == (Action.HOLD, "HALTED", "")
        return
    if text:
        assert signal.raw_output == text
    if signal.reason_code is None:
        # Accepted only when the whole text is a valid reply saying exactly this.
        parsed = AnalystReply.model_validate_json(text.strip())
        assert (parsed.action, parsed.confidence) == (signal.action.value, signal.confidence)
        if signal.action is Action.SELL and parsed.close_fraction is not None:
            assert signal.close_fraction == Decimal(repr(parsed.close_fraction))
        else:
            assert signal.close_fraction is None
    else:
        assert signal.reason_code in {LLM_MALFORMED, NOT_FEASIBLE}
        assert (signal.action, signal.confidence) == (Action.HOLD, 0.0)
