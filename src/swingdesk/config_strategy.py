"""Settings fields of the analyst: a strategy-API strategy, or an LLM analyst."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from pydantic import AliasChoices, BaseModel, Field, SecretStr


class StrategyFields(BaseModel):
    """The analyst: a strategy written with the strategy API, or an LLM analyst."""

    # A strategy written with the strategy API (strategy_provider rules, the default).
    strategy: str | None = Field(
        default=None,
        description="strategy run by the deterministic analyst: a registered name (rules, "
        "crossover, or a swingdesk.strategies entry point), package.module:Class or "
        "path/to/file.py:Class; unset = the params file's strategy, else rules",
    )
    strategy_params_file: Path | None = Field(
        default=None,
        description="JSON file of strategy parameters ({'strategy': ..., 'params': {...}}), "
        "as written by swingdesk optimize --write-params",
    )

    # The rules analyst's optional context filters (unset: today's rule, unchanged).
    rules_min_sentiment_score: float | None = Field(
        default=None,
        ge=-1,
        le=1,
        description="rules analyst: no entry while the headlines' aggregate sentiment score "
        "(-1..1) is below this (no headlines: no filter); unset = sentiment ignored",
    )
    rules_min_market_cap_usd: Decimal | None = Field(
        default=None,
        ge=0,
        description="rules analyst: no entry below this market cap, USD (an unknown cap "
        "blocks the entry); unset = market cap ignored",
    )

    # LLM analysts (strategy_provider openai or anthropic).
    analyst_team_enabled: bool = Field(
        default=False,
        description="LLM analyst as a team: technicals, news/sentiment and fundamentals "
        "views, then a decision call (four model calls a decision, each costed and budgeted)",
    )
    llm_model: str | None = Field(
        default=None,
        description="model id; default gpt-4o-mini (openai) or claude-haiku-4-5 (anthropic)",
    )
    openai_base_url: str | None = Field(
        default=None,
        description="OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1 for Ollama; "
        "unset means api.openai.com",
    )
    openai_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("OPENAI_API_KEY", "SWINGDESK_OPENAI_API_KEY"),
        description="OpenAI key; with openai_base_url set, any placeholder the server accepts",
    )
    anthropic_base_url: str | None = Field(
        default=None, description="Anthropic API base URL; unset means api.anthropic.com"
    )
    anthropic_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("ANTHROPIC_API_KEY", "SWINGDESK_ANTHROPIC_API_KEY"),
        description="Anthropic key",
    )
    llm_json_mode: str = Field(
        default="json_schema",
        pattern="^(json_schema|json_object)$",
        description="OpenAI-compatible output constraint; json_object for servers without "
        "json_schema (also chosen automatically when the server refuses json_schema)",
    )
    llm_timeout_s: float = Field(
        default=30.0, gt=0, description="per-decision timeout of one model call, seconds"
    )
    llm_max_retries: int = Field(
        default=2, ge=0, le=10, description="SDK retries on 429/5xx/connection errors"
    )
    llm_max_concurrency: int = Field(
        default=8, ge=1, description="model calls in flight at once, per process"
    )
    llm_max_output_tokens: int = Field(
        default=400, ge=16, description="output token cap of one decision, tokens"
    )
    llm_daily_budget_usd: Decimal | None = Field(
        default=Decimal(5),
        ge=0,
        description="model spend allowed per New York day, USD; unset means no limit",
    )
    llm_prices_usd_per_mtok: dict[str, tuple[Decimal, Decimal]] = Field(
        default_factory=lambda: {
            "gpt-4o-mini": (Decimal("0.15"), Decimal("0.60")),
            "gpt-4o": (Decimal("2.50"), Decimal("10.00")),
            "claude-haiku-4-5": (Decimal("1.00"), Decimal("5.00")),
            "claude-sonnet-4-5": (Decimal("3.00"), Decimal("15.00")),
        },
        description="USD per 1M (input, output) tokens by model id or id prefix (JSON)",
    )
    llm_cache_mode: str = Field(
        default="read_through",
        pattern="^(off|read_through|replay_only)$",
        description="response cache under data_dir/llm_cache; replay_only never calls the model",
    )
    llm_cache_dir: Path | None = Field(
        default=None, description="where model replies are cached; unset means data_dir/llm_cache"
    )
    llm_knowledge_cutoff: date | None = Field(
        default=None,
        description="the model's training-data cutoff (YYYY-MM-DD); backtest decisions dated "
        "before it are flagged contaminated; unset means a built-in value for known models",
    )
