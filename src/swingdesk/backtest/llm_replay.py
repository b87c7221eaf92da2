"""Settings of an LLM backtest: the configured model, replayed from its cache only.

``--strategy llm-replay`` takes provider, model and cache location from the usual
settings (``SWINGDESK_STRATEGY_PROVIDER``, ``SWINGDESK_LLM_MODEL``,
``SWINGDESK_LLM_CACHE_DIR`` or ``<SWINGDESK_DATA_DIR>/llm_cache``) and forces the cache
into replay-only mode: the model is never called, a reply missing from the cache is the
analyst's ``LLM_CACHE_MISS`` HOLD. No spend is possible, so no daily budget applies, and
no API key is needed (a placeholder satisfies the client, which is never used).
"""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr

from swingdesk.backtest.contamination import Cutoff, resolve_cutoff
from swingdesk.config import Settings, StrategyProvider
from swingdesk.domain.errors import ConfigurationError

_PLACEHOLDER_KEY = SecretStr("llm-replay-never-calls-the-model")


def _provider(base: Settings) -> StrategyProvider:
    provider = base.strategy_provider
    if provider not in (StrategyProvider.OPENAI, StrategyProvider.ANTHROPIC):
        raise ConfigurationError(
            "--strategy llm-replay replays a model's cached replies: set "
            "SWINGDESK_STRATEGY_PROVIDER=openai or anthropic (and SWINGDESK_LLM_MODEL) to say whose"
        )
    return provider


def replay_overrides(base: Settings) -> dict[str, Any]:
    """Return the Settings fields a pipeline replay sets for the LLM analyst, replay-only."""
    provider = _provider(base)
    return {
        "strategy_provider": provider,
        "llm_model": model_name(base),
        "llm_cache_mode": "replay_only",
        "llm_cache_dir": base.llm_cache_dir or base.data_dir / "llm_cache",
        "llm_daily_budget_usd": None,
        # The team's four calls a decision are replayed from the cache like one.
        "analyst_team_enabled": base.analyst_team_enabled,
        "openai_api_key": base.openai_api_key or _PLACEHOLDER_KEY,
        "anthropic_api_key": base.anthropic_api_key or _PLACEHOLDER_KEY,
    }


def model_name(base: Settings) -> str:
    """Return the model id the analyst would use (the setting, else the provider's default)."""
    if base.llm_model:
        return base.llm_model
    if _provider(base) is StrategyProvider.OPENAI:
        from swingdesk.adapters.openai_llm import DEFAULT_MODEL
    else:
        from swingdesk.adapters.anthropic_llm import DEFAULT_MODEL
    return DEFAULT_MODEL


def knowledge_cutoff(base: Settings) -> Cutoff:
    """Return the configured model's knowledge cutoff (setting, built-in, or unknown)."""
    return resolve_cutoff(model_name(base), base.llm_knowledge_cutoff)
