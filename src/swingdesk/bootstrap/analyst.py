"""Wiring of the analyst: the model client, and the rules, strategy-API or LLM analyst."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from swingdesk.config import Settings, StrategyProvider
from swingdesk.domain.errors import ConfigurationError, InputError
from swingdesk.ports import LLMClient, Strategy
from swingdesk.strategy.agent import RulesStrategy
from swingdesk.strategy.rules import RuleParams


class SpendBook(Protocol):
    """Where the analyst's spend is counted (the signals' stored costs)."""

    async def llm_spend_since(self, since: datetime) -> Decimal:
        """Return the summed cost of the signals stored at or after ``since``, USD."""
        ...


def _llm_client(settings: Settings) -> LLMClient | None:
    """Return the configured model client (None for the rules analyst); refuse a missing key."""
    provider = settings.strategy_provider
    if provider is StrategyProvider.OPENAI:
        from swingdesk.adapters.openai_llm import DEFAULT_MODEL, JsonMode, OpenAIChatClient

        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
        if not key and settings.openai_base_url is None:
            raise ConfigurationError(
                "strategy provider openai needs OPENAI_API_KEY; for a local OpenAI-compatible "
                "server (Ollama, vLLM, LM Studio) set SWINGDESK_OPENAI_BASE_URL instead"
            )
        return OpenAIChatClient(
            model=settings.llm_model or DEFAULT_MODEL,
            # Local servers ignore the key, but the SDK refuses to start without one.
            api_key=key or "no-key-needed",
            base_url=settings.openai_base_url,
            timeout_s=settings.llm_timeout_s,
            max_retries=settings.llm_max_retries,
            json_mode=JsonMode(settings.llm_json_mode),
        )
    if provider is StrategyProvider.ANTHROPIC:
        from swingdesk.adapters import anthropic_llm

        secret = settings.anthropic_api_key
        if secret is None or not secret.get_secret_value():
            raise ConfigurationError("strategy provider anthropic needs ANTHROPIC_API_KEY")
        return anthropic_llm.AnthropicClient(
            model=settings.llm_model or anthropic_llm.DEFAULT_MODEL,
            api_key=secret.get_secret_value(),
            base_url=settings.anthropic_base_url,
            timeout_s=settings.llm_timeout_s,
            max_retries=settings.llm_max_retries,
        )
    if provider is not StrategyProvider.RULES:
        raise ConfigurationError(f"strategy provider {provider} is not available")
    return None


def _strategy(settings: Settings, llm: LLMClient | None, store: SpendBook) -> Strategy:
    """Return the analyst: rules, or the LLM with its prices, cache and budget."""
    if llm is None:
        return _api_strategy(settings)
    from swingdesk.adapters.llm_cache import FileResponseCache
    from swingdesk.domain.exchange_time import ny_day_start
    from swingdesk.strategy.budget import BudgetGuard, ModelPrice, price_for
    from swingdesk.strategy.llm import CacheMode, LLMStrategy

    prices = {
        name: ModelPrice(input_usd_per_mtok=i, output_usd_per_mtok=o)
        for name, (i, o) in settings.llm_prices_usd_per_mtok.items()
    }
    if any(p.input_usd_per_mtok < 0 or p.output_usd_per_mtok < 0 for p in prices.values()):
        raise ConfigurationError("SWINGDESK_LLM_PRICES_USD_PER_MTOK has a negative price")
    budget = None
    if settings.llm_daily_budget_usd is not None:
        price = price_for(prices, llm.model)
        if price is None:
            # An unpriced model cannot be counted against a budget: refuse rather than guess.
            raise ConfigurationError(
                f"model {llm.model} has no price in SWINGDESK_LLM_PRICES_USD_PER_MTOK, so the "
                "daily budget cannot be enforced; add its price or unset the budget"
            )

        async def spent_today(now: datetime) -> Decimal:
            return await store.llm_spend_since(ny_day_start(now))

        budget = BudgetGuard(settings.llm_daily_budget_usd, spent_today, price)
    analyst = LLMStrategy(
        llm,
        prices=prices,
        cache=FileResponseCache(settings.llm_cache_dir or settings.data_dir / "llm_cache"),
        cache_mode=CacheMode(settings.llm_cache_mode),
        budget=budget,
        timeout_s=settings.llm_timeout_s,
        max_concurrency=settings.llm_max_concurrency,
        max_output_tokens=settings.llm_max_output_tokens,
    )
    if settings.analyst_team_enabled:
        from swingdesk.strategy.team import AnalystTeam

        return AnalystTeam(analyst)
    return analyst


def _api_strategy(settings: Settings) -> Strategy:
    """Return the strategy-API analyst the settings name (the rules analyst by default)."""
    from swingdesk.strategy.loader import build_strategy, read_params_file

    ref = settings.strategy
    overrides: dict[str, Any] = {}
    if settings.strategy_params_file is not None:
        try:
            named, overrides = read_params_file(settings.strategy_params_file)
        except InputError as exc:
            raise ConfigurationError(str(exc)) from exc
        if ref is None:
            ref = named
        elif named is not None and named != ref:
            raise ConfigurationError(
                f"SWINGDESK_STRATEGY_PARAMS_FILE holds parameters of {named!r}, "
                f"not of SWINGDESK_STRATEGY {ref!r}"
            )
    if ref is None or ref == "rules":
        cap = (
            None
            if settings.rules_min_market_cap_usd is None
            else float(settings.rules_min_market_cap_usd)
        )
        sentiment = settings.rules_min_sentiment_score
        if not overrides and ref is None:
            return RulesStrategy(RuleParams(min_sentiment=sentiment, min_market_cap_usd=cap))
        context = {"min_sentiment": sentiment, "min_market_cap_usd": cap}
        overrides = {k: v for k, v in context.items() if v is not None} | overrides
        ref = "rules"
    try:
        return build_strategy(ref, overrides)
    except InputError as exc:
        raise ConfigurationError(str(exc)) from exc
