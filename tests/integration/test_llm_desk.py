"""The LLM analyst wired by bootstrap: keys, budget pricing, and a whole decision stored."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tests.fakes.fake_openai import fake_openai_server, ok
from tests.fakes.llm_server import ScriptedServer, serving

from swingdesk.adapters.clock import ManualClock
from swingdesk.bootstrap import build_desk
from swingdesk.config import load_settings
from swingdesk.domain.enums import Action
from swingdesk.domain.errors import ConfigurationError
from swingdesk.domain.exchange_time import ny_day_start
from swingdesk.services.explain import explain_decision
from swingdesk.strategy.llm import LLMStrategy


@pytest.fixture(scope="module")
def server() -> Iterator[ScriptedServer]:
    """Run one fake OpenAI-compatible server for the module."""
    with serving(fake_openai_server()) as srv:
        yield srv


def settings(tmp_path: Path, **overrides: Any) -> Any:
    """Return settings for an OpenAI-strategy desk on a fresh SQLite file."""
    values: dict[str, Any] = {
        "data_dir": tmp_path,
        "strategy_provider": "openai",
        "llm_max_retries": 0,
        "llm_timeout_s": 5,
        "risk_cooldown_s": 0,
    }
    values.update(overrides)
    return load_settings(**values)


async def test_build_desk_when_openai_key_missing_then_configuration_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="OPENAI_API_KEY"):
        await build_desk(settings(tmp_path), migrate_db=False)


async def test_build_desk_when_anthropic_key_missing_then_configuration_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="ANTHROPIC_API_KEY"):
        await build_desk(settings(tmp_path, strategy_provider="anthropic"), migrate_db=False)


async def test_build_desk_when_budget_set_and_model_unpriced_then_configuration_error(
    tmp_path: Path,
) -> None:
    cfg = settings(tmp_path, openai_api_key="sk-x", llm_model="mystery-7b")
    with pytest.raises(ConfigurationError, match="no price"):
        await build_desk(cfg)


async def test_build_desk_when_local_base_url_without_key_then_llm_strategy_wired(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    cfg = settings(
        tmp_path,
        openai_base_url="http://127.0.0.1:9/v1",
        llm_model="llama3.1",
        llm_daily_budget_usd=None,
    )
    desk = await build_desk(cfg)
    try:
        strategy = desk.pipeline.strategy.strategy
        assert isinstance(strategy, LLMStrategy)
        assert strategy.name == "openai:llama3.1"
        assert strategy.budget is None
    finally:
        await desk.close()


async def test_trigger_when_openai_analyst_buys_then_signal_stored_costed_and_explained(
    tmp_path: Path, server: ScriptedServer, clock: ManualClock
) -> None:
    server.reset()
    cfg = settings(tmp_path, openai_api_key="sk-test", openai_base_url=f"{server.base_url}/v1")
    desk = await build_desk(cfg, clock=clock)
    try:
        out = await desk.pipeline.run("AAPL", trigger="test")
        assert out.signal is not None
        assert out.signal.action in (Action.BUY, Action.HOLD)
        assert out.signal.model == "gpt-4o-mini"
        assert out.signal.cost_usd > 0
        record = await explain_decision(desk.store, str(out.decision_id))
        strategy = record["strategy"]
        assert strategy["tokens_in"] == 420
        assert strategy["cache_hit"] is False
        assert "FEASIBLE ACTIONS" in strategy["prompt"]
        spent = await desk.store.llm_spend_since(ny_day_start(clock.now()))
        assert spent == out.signal.cost_usd
        # A signal from before today's New York midnight does not count.
        later = await desk.store.llm_spend_since(ny_day_start(clock.now() + timedelta(days=1)))
        assert later == Decimal(0)
        assert len(server.requests) == 1
    finally:
        await desk.close()


async def test_trigger_when_daily_budget_is_spent_then_hold_llm_budget_and_no_call(
    tmp_path: Path, server: ScriptedServer, clock: ManualClock
) -> None:
    server.reset()
    cfg = settings(
        tmp_path,
        openai_api_key="sk-test",
        openai_base_url=f"{server.base_url}/v1",
        llm_daily_budget_usd=Decimal("0.01"),
    )
    # The first reply costs 100,000 x 0.15 / 1e6 = 0.015 USD, spending the whole budget.
    server.script(ok(prompt_tokens=100_000))
    desk = await build_desk(cfg, clock=clock)
    try:
        first = await desk.pipeline.run("AAPL", trigger="test")
        clock.advance(60)
        second = await desk.pipeline.run("MSFT", trigger="test")
        assert first.signal is not None
        assert second.signal is not None
        assert first.signal.reason_code != "LLM_BUDGET"
        assert (second.signal.action, second.signal.reason_code) == (Action.HOLD, "LLM_BUDGET")
        assert len(server.requests) == 1
    finally:
        await desk.close()


def test_settings_when_budget_env_is_none_then_no_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWINGDESK_LLM_DAILY_BUDGET_USD", "none")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-value")
    cfg = load_settings()
    assert cfg.llm_daily_budget_usd is None
    assert "sk-secret-value" not in str(cfg.public())
