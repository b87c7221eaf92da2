"""``--strategy llm-replay``: decisions come from the reply cache only, flagged for look-ahead."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from tests.fakes.backtest_data import sessions, write_market
from tests.fakes.llm_fixtures import reply

from swingdesk.adapters.llm_cache import FileResponseCache
from swingdesk.backtest.runner import BacktestParams, run_backtest
from swingdesk.domain.errors import ConfigurationError
from swingdesk.domain.events import SignalCreated
from swingdesk.strategy.llm import LLMStrategy
from swingdesk.strategy.schema import LLM_CACHE_MISS

Seen = list[SignalCreated]
BUY_ON = 8  # session index (in the window) on which the cached reply says BUY UPCO


@pytest.fixture
def llm_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Configure the OpenAI analyst with a cache dir and a server that would refuse any call."""
    cache = tmp_path / "llm_cache"
    monkeypatch.setenv("SWINGDESK_STRATEGY_PROVIDER", "openai")
    monkeypatch.setenv("SWINGDESK_LLM_MODEL", "gpt-4o-mini")
    monkeypatch.setenv("SWINGDESK_LLM_CACHE_DIR", str(cache))
    # Nothing listens on port 9: a model call would end as LLM_ERROR, not LLM_CACHE_MISS.
    monkeypatch.setenv("SWINGDESK_OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("SWINGDESK_LLM_KNOWLEDGE_CUTOFF", raising=False)
    return cache


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> Seen:
    """Record every signal the LLM analyst returns."""
    out: Seen = []
    original: Callable[..., Any] = LLMStrategy.evaluate

    async def spy(self: LLMStrategy, *args: Any, **kwargs: Any) -> SignalCreated:
        signal: SignalCreated = await original(self, *args, **kwargs)
        out.append(signal)
        return signal

    monkeypatch.setattr(LLMStrategy, "evaluate", spy)
    return out


def _params(root: Path) -> BacktestParams:
    days = sessions()
    return BacktestParams(root, ("UPCO", "FLAT", "DOWN"), days[62], days[77], strategy="llm-replay")


async def _fill_cache(cache: Path, signals: Seen, buy_day: date) -> None:
    store = FileResponseCache(cache)
    for s in signals:
        buy = s.ticker == "UPCO" and s.ts_event.date() == buy_day
        text = json.dumps(
            {"action": "BUY" if buy else "HOLD", "confidence": 0.9 if buy else 0.5,
             "rationale": "cached reply"}
        )  # fmt: skip
        await store.put("openai", "gpt-4o-mini", s.prompt_hash, reply(text))


async def test_llm_replay_when_cache_empty_then_every_decision_holds_without_calling_model(
    tmp_path: Path, llm_env: Path, seen: Seen
) -> None:
    result = await run_backtest(_params(write_market(tmp_path / "m")))
    assert len(seen) == result.decisions == 3 * len(result.days)
    assert {(s.action.value, s.reason_code, s.cache_hit) for s in seen} == {
        ("HOLD", LLM_CACHE_MISS, False)
    }
    assert result.fills == []
    assert result.engine_used == "pipeline"
    # gpt-4o-mini's built-in cutoff (2023-10-31) precedes the 2024 window: nothing flagged.
    c = json.loads(result.to_json())["contamination"]
    assert (c["status"], c["cutoff_source"], c["contaminated_count"]) == ("clean", "built-in", 0)


async def test_llm_replay_when_replies_cached_then_decisions_come_from_cache_and_are_flagged(
    tmp_path: Path, llm_env: Path, seen: Seen, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_market(tmp_path / "m")
    params = _params(root)
    await run_backtest(params)  # records the prompts the replay asks about
    window = sessions()[62:78]
    await _fill_cache(llm_env, seen, window[BUY_ON])
    seen.clear()
    monkeypatch.setenv("SWINGDESK_LLM_KNOWLEDGE_CUTOFF", window[4].isoformat())
    result = await run_backtest(params)
    # Up to the BUY, every prompt is the recorded one: every decision is a cache hit.
    early = [s for s in seen if s.ts_event.date() <= window[BUY_ON]]
    assert len(early) == 3 * (BUY_ON + 1)
    assert all(s.cache_hit for s in early)
    assert [s.action.value for s in early if s.ticker == "UPCO"][-1] == "BUY"
    assert not any(s.action.value == "BUY" for s in early[:-3])
    # The cached BUY is filled at the next open; later prompts (holding UPCO) are misses.
    assert [(f.day, f.ticker, f.side) for f in result.fills][:1] == [
        (window[BUY_ON + 1], "UPCO", "buy")
    ]
    late = [s for s in seen if s.ts_event.date() > window[BUY_ON]]
    assert any(s.reason_code == LLM_CACHE_MISS for s in late)
    doc = json.loads(result.to_json())
    c = doc["contamination"]
    assert (c["status"], c["cutoff_source"]) == ("contaminated", "setting")
    assert c["contaminated_count"] == 3 * 4  # the four sessions before the cutoff
    assert c["contaminated_share"] == round(12 / result.decisions, 6)
    assert {f["date"] for f in c["flagged"]} == {d.isoformat() for d in window[:4]}


async def test_llm_replay_when_model_cutoff_unknown_then_every_decision_flagged(
    tmp_path: Path, llm_env: Path, seen: Seen, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SWINGDESK_LLM_MODEL", "my-local-llama")
    result = await run_backtest(_params(write_market(tmp_path / "m")))
    assert result.contamination is not None
    assert result.contamination.status == "cutoff unknown"
    assert result.contamination.unknown == result.decisions == 48


async def test_llm_replay_when_provider_is_rules_then_configuration_error(
    tmp_path: Path, llm_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SWINGDESK_STRATEGY_PROVIDER", "rules")
    with pytest.raises(ConfigurationError, match="SWINGDESK_STRATEGY_PROVIDER=openai or anthropic"):
        await run_backtest(_params(write_market(tmp_path / "m")))


async def test_llm_replay_when_analyst_team_then_every_call_replays_and_each_decision_is_flagged(
    tmp_path: Path, llm_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from swingdesk.strategy.team import AnalystTeam

    monkeypatch.setenv("SWINGDESK_ANALYST_TEAM_ENABLED", "true")
    out: Seen = []
    original: Callable[..., Any] = AnalystTeam.evaluate

    async def spy(self: AnalystTeam, *args: Any, **kwargs: Any) -> SignalCreated:
        signal: SignalCreated = await original(self, *args, **kwargs)
        out.append(signal)
        return signal

    monkeypatch.setattr(AnalystTeam, "evaluate", spy)
    window = sessions()[62:78]
    monkeypatch.setenv("SWINGDESK_LLM_KNOWLEDGE_CUTOFF", window[4].isoformat())
    result = await run_backtest(_params(write_market(tmp_path / "m")))
    assert len(out) == result.decisions == 48
    # Four calls a decision, each asked of the replay-only cache (no model is reachable).
    assert {s.reason_code for s in out} == {LLM_CACHE_MISS}
    assert {(v.status, v.reason_code) for s in out for v in s.views} == {
        ("unavailable", LLM_CACHE_MISS)
    }
    assert all(len(s.views) == 3 for s in out)
    c = json.loads(result.to_json())["contamination"]
    assert c["contaminated_count"] == 3 * 4
