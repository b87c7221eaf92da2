"""Where each market provider's news and fundamentals come from (bootstrap)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from swingdesk.adapters.alpaca_news import AlpacaNews
from swingdesk.adapters.simulated_market import SimulatedMarket
from swingdesk.adapters.vader_sentiment import VaderScorer
from swingdesk.adapters.yahoo_market import YahooMarket
from swingdesk.bootstrap import _context_source, _market_agent, _market_provider
from swingdesk.config import Settings
from swingdesk.strategy.agent import RulesStrategy

KEYS = {"alpaca_api_key": SecretStr("PKTESTKEY1234567"), "alpaca_secret_key": SecretStr("s" * 40)}


def test_context_when_simulated_csv_or_yahoo_then_the_provider_itself(tmp_path: Path) -> None:
    (tmp_path / "AAA.csv").write_text("date,open,high,low,close,volume\n2024-11-25,1,2,1,2,5\n")
    for settings in (
        Settings(market_provider="simulated"),
        Settings(market_provider="csv", csv_dir=tmp_path),
        Settings(market_provider="yahoo"),
    ):
        provider = _market_provider(settings)
        assert _context_source(settings, provider) is provider
        agent = _market_agent(settings, provider)
        assert agent.scores is not None
        assert isinstance(agent.scores.scorer, VaderScorer)
        assert (agent.max_headlines, agent.news_lookback_days) == (5, 14)


@pytest.mark.parametrize(("context", "fundamentals"), [("none", None), ("yahoo", YahooMarket)])
def test_context_when_alpaca_then_its_news_api_with_yahoo_fundamentals_if_configured(
    context: str, fundamentals: type | None
) -> None:
    settings = Settings(market_provider="alpaca", alpaca_data_context=context, **KEYS)
    source = _context_source(settings, _market_provider(settings))
    assert isinstance(source, AlpacaNews)
    if fundamentals is None:
        assert source.fundamentals_source is None
    else:
        assert isinstance(source.fundamentals_source, fundamentals)


def test_context_when_disabled_then_none_and_no_scorer() -> None:
    settings = Settings(market_provider="simulated", market_context_enabled=False)
    provider = SimulatedMarket(42)
    assert _context_source(settings, provider) is None
    assert _market_agent(settings, provider).scores is None


def test_rules_when_filters_set_then_the_analyst_gets_them() -> None:
    from swingdesk.bootstrap import _strategy

    settings = Settings(rules_min_sentiment_score=-0.2, rules_min_market_cap_usd=2e9)
    analyst = _strategy(settings, None, None)  # type: ignore[arg-type]
    assert isinstance(analyst, RulesStrategy)
    assert (analyst.params.min_sentiment, analyst.params.min_market_cap_usd) == (-0.2, 2e9)
    plain = _strategy(Settings(), None, None)  # type: ignore[arg-type]
    assert isinstance(plain, RulesStrategy)
    assert not plain.params.uses_context


async def test_strategy_when_team_enabled_then_analyst_team_over_the_configured_llm(
    tmp_path: Path,
) -> None:
    from swingdesk.bootstrap import _llm_client, _strategy
    from swingdesk.strategy.llm import LLMStrategy
    from swingdesk.strategy.team import AnalystTeam

    base = {"strategy_provider": "openai", "openai_api_key": SecretStr("sk-test"),
            "data_dir": tmp_path, "llm_daily_budget_usd": None}  # fmt: skip
    for team, kind in ((True, AnalystTeam), (False, LLMStrategy)):
        settings = Settings(analyst_team_enabled=team, **base)
        llm = _llm_client(settings)
        assert llm is not None
        try:
            assert isinstance(_strategy(settings, llm, None), kind)  # type: ignore[arg-type]
        finally:
            await llm.close()
