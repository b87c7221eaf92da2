"""The LLM analyst with fakes: error mapping, timeout, budget, response cache and replay."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import pytest
from tests.fakes.llm_fixtures import GOOD_JSON, NOW, ScriptedLLM, book, reply, snapshot

from swingdesk.adapters.llm_cache import FileResponseCache
from swingdesk.domain.enums import Action
from swingdesk.domain.errors import (
    LLMRateLimitError,
    LLMTimeoutError,
    LLMUnavailableError,
    RejectedError,
)
from swingdesk.domain.events import SignalCreated
from swingdesk.domain.exchange_time import ny_day_start
from swingdesk.strategy.agent import StrategyAgent
from swingdesk.strategy.budget import BudgetGuard, ModelPrice, price_for
from swingdesk.strategy.llm import CacheMode, LLMStrategy
from swingdesk.strategy.schema import (
    LLM_BUDGET,
    LLM_CACHE_MISS,
    LLM_ERROR,
    LLM_RATE_LIMIT,
    LLM_TIMEOUT,
)

DID = UUID(int=5)
PRICES = {"gpt-4o-mini": ModelPrice(Decimal("0.15"), Decimal("0.60"))}


async def run(strategy: LLMStrategy, ticker: str = "AAPL") -> SignalCreated:
    """Evaluate one decision through the guarding agent."""
    return await StrategyAgent(strategy).evaluate_context(DID, snapshot(ticker), book(), NOW)


async def test_evaluate_when_reply_is_valid_then_buy_with_usage_cost_and_prompt() -> None:
    llm = ScriptedLLM(reply(tokens_in=1000, tokens_out=100))
    sig = await run(LLMStrategy(llm, prices=PRICES))
    assert (sig.action, sig.confidence, sig.reason_code) == (Action.BUY, 0.72, None)
    assert (sig.tokens_in, sig.tokens_out) == (1000, 100)
    # 1000 x 0.15 / 1e6 + 100 x 0.60 / 1e6
    assert sig.cost_usd == Decimal("0.00021")
    assert sig.model == "gpt-4o-mini"
    assert len(sig.prompt_hash) == 64
    assert "FEASIBLE ACTIONS: BUY, HOLD" in sig.prompt
    assert sig.raw_output == GOOD_JSON
    assert llm.requests[0].json_schema["additionalProperties"] is False


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (LLMTimeoutError("slow"), LLM_TIMEOUT),
        (LLMRateLimitError("429", retry_after_s=1.0), LLM_RATE_LIMIT),
        (LLMUnavailableError("HTTP 503"), LLM_ERROR),
        (RejectedError("HTTP 401"), LLM_ERROR),
        (RuntimeError("SDK bug"), LLM_ERROR),
    ],
)
async def test_evaluate_when_client_fails_then_hold_with_stable_code_and_error_kept(
    error: Exception, code: str
) -> None:
    sig = await run(LLMStrategy(ScriptedLLM(error), prices=PRICES))
    assert (sig.action, sig.reason_code, sig.cost_usd) == (Action.HOLD, code, Decimal(0))
    assert type(error).__name__ in sig.raw_output


async def test_evaluate_when_model_is_slower_than_timeout_then_hold_llm_timeout() -> None:
    llm = ScriptedLLM()
    llm.delay_s = 5.0
    sig = await run(LLMStrategy(llm, timeout_s=0.05))
    assert (sig.action, sig.reason_code) == (Action.HOLD, LLM_TIMEOUT)
    assert sig.latency_ms < 2000


def _entries(root: Path) -> list[Path]:
    return list(root.rglob("*.json"))


def _guard(spent: Decimal, budget: str = "1.00") -> BudgetGuard:
    async def spent_today(_now: datetime) -> Decimal:
        return spent

    return BudgetGuard(Decimal(budget), spent_today, PRICES["gpt-4o-mini"])


async def test_evaluate_when_budget_is_spent_then_hold_llm_budget_without_calling() -> None:
    llm = ScriptedLLM()
    sig = await run(LLMStrategy(llm, prices=PRICES, budget=_guard(Decimal("1.00"))))
    assert (sig.action, sig.reason_code) == (Action.HOLD, LLM_BUDGET)
    assert "daily budget" in sig.rationale
    assert llm.requests == []


async def test_evaluate_when_budget_remains_then_call_and_release_reservation() -> None:
    guard = _guard(Decimal("0.10"))
    sig = await run(LLMStrategy(ScriptedLLM(), prices=PRICES, budget=guard))
    assert sig.action is Action.BUY
    assert guard._in_flight == 0


async def test_evaluate_when_concurrent_calls_would_overshoot_then_excess_held() -> None:
    # Each call reserves ~0.0004 USD worst case; a 0.005 budget admits about a dozen at once.
    guard = _guard(Decimal(0), budget="0.005")
    llm = ScriptedLLM()
    llm.delay_s = 0.05
    strategy = LLMStrategy(llm, prices=PRICES, budget=guard, max_concurrency=50)
    sigs = await asyncio.gather(*(run(strategy, f"T{i}") for i in range(20)))
    held = [s for s in sigs if s.reason_code == LLM_BUDGET]
    assert 0 < len(llm.requests) < 20
    assert len(held) == 20 - len(llm.requests)


async def test_evaluate_when_model_has_no_price_and_budget_set_then_fail_closed() -> None:
    async def nothing(_now: datetime) -> Decimal:
        return Decimal(0)

    llm = ScriptedLLM(model="mystery-model")
    strategy = LLMStrategy(llm, budget=BudgetGuard(Decimal(5), nothing, None))
    sig = await run(strategy)
    assert (sig.action, sig.reason_code) == (Action.HOLD, LLM_BUDGET)
    assert llm.requests == []


def test_price_for_when_model_id_is_dated_then_longest_prefix_price_applies() -> None:
    prices = {**PRICES, "gpt-4o": ModelPrice(Decimal("2.5"), Decimal(10))}
    assert price_for(prices, "gpt-4o-mini-2024-07-18") == PRICES["gpt-4o-mini"]
    assert price_for(prices, "claude-x") is None


def test_ny_day_start_when_utc_is_past_midnight_then_previous_new_york_day() -> None:
    # 03:00 UTC on the 25th is 22:00 on the 24th in New York (EST, UTC-5).
    start = ny_day_start(datetime(2026, 11, 25, 3, 0, tzinfo=UTC))
    assert start == datetime(2026, 11, 24, 5, 0, tzinfo=UTC)


async def test_evaluate_when_prompt_repeats_then_second_is_cache_hit_identical_and_free(
    tmp_path: Path,
) -> None:
    cache = FileResponseCache(tmp_path / "llm_cache")
    llm = ScriptedLLM(reply(json.dumps({"action": "BUY", "confidence": 0.66, "rationale": "r"})))
    strategy = LLMStrategy(llm, prices=PRICES, cache=cache)
    first = await run(strategy)
    second = await run(strategy)
    assert len(llm.requests) == 1
    assert (first.cache_hit, second.cache_hit) == (False, True)
    same = ("action", "confidence", "rationale", "prompt_hash", "raw_output", "tokens_in")
    assert all(getattr(first, f) == getattr(second, f) for f in same)
    assert first.cost_usd > 0
    assert second.cost_usd == 0


async def test_evaluate_when_replay_only_and_cache_empty_then_hold_cache_miss_no_call(
    tmp_path: Path,
) -> None:
    llm = ScriptedLLM()
    strategy = LLMStrategy(llm, cache=FileResponseCache(tmp_path), cache_mode=CacheMode.REPLAY_ONLY)
    sig = await run(strategy)
    assert (sig.action, sig.reason_code) == (Action.HOLD, LLM_CACHE_MISS)
    assert llm.requests == []


async def test_evaluate_when_replay_only_after_recording_then_replays_without_model(
    tmp_path: Path,
) -> None:
    cache = FileResponseCache(tmp_path)
    recorded = await run(LLMStrategy(ScriptedLLM(), cache=cache))
    replayer = ScriptedLLM()
    replayed = await run(LLMStrategy(replayer, cache=cache, cache_mode=CacheMode.REPLAY_ONLY))
    assert replayer.requests == []
    assert replayed.cache_hit
    assert replayed.action is recorded.action is Action.BUY
    assert replayed.raw_output == recorded.raw_output


async def test_cache_when_entry_is_corrupt_then_miss_and_model_is_called(tmp_path: Path) -> None:
    cache = FileResponseCache(tmp_path)
    llm = ScriptedLLM()
    strategy = LLMStrategy(llm, cache=cache)
    await run(strategy)
    [entry] = _entries(tmp_path)
    entry.write_text("{not json")
    sig = await run(strategy)
    assert not sig.cache_hit
    assert len(llm.requests) == 2


async def test_evaluate_when_cache_off_then_every_decision_calls_the_model(
    tmp_path: Path,
) -> None:
    llm = ScriptedLLM()
    strategy = LLMStrategy(llm, cache=FileResponseCache(tmp_path), cache_mode=CacheMode.OFF)
    await run(strategy)
    await run(strategy)
    assert len(llm.requests) == 2
    assert not _entries(tmp_path)
