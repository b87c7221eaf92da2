"""One typed Settings class; every field is documented, with units in its name."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from swingdesk.database_urls import async_url, redact_url, sync_url
from swingdesk.domain.errors import ConfigurationError
from swingdesk.domain.trailing import TrailSpec
from swingdesk.endpoints import DATA_URL, AlpacaDataUrl
from swingdesk.profiles import (
    PROFILE_DEFAULTS,
    BrokerProvider,
    MarketProvider,
    Profile,
    StrategyProvider,
)
from swingdesk.risk.limits import RiskLimits
from swingdesk.settings_errors import describe

# Re-exported: callers import the choices and URL helpers from the settings module.
__all__ = [
    "BrokerProvider",
    "MarketProvider",
    "Profile",
    "Settings",
    "StrategyProvider",
    "async_url",
    "load_settings",
    "redact_url",
    "sync_url",
]


class Settings(BaseSettings):
    """swingdesk's configuration, read from the environment (prefix ``SWINGDESK_``)."""

    model_config = SettingsConfigDict(
        env_prefix="SWINGDESK_",
        env_file=None,
        extra="ignore",
        frozen=True,
        populate_by_name=True,
    )

    profile: Profile = Field(default=Profile.DEMO, description="demo, paper or backtest")
    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "SWINGDESK_DATABASE_URL"),
        description="SQLAlchemy URL; unset means a SQLite file in data_dir",
    )
    data_dir: Path = Field(default=Path("var"), description="where the SQLite file and caches live")
    market_provider: MarketProvider | None = Field(
        default=None, description="simulated, csv, yahoo or alpaca (default by profile)"
    )
    strategy_provider: StrategyProvider | None = Field(
        default=None, description="rules, openai or anthropic (default by profile)"
    )
    broker: BrokerProvider | None = Field(
        default=None, description="simulated or alpaca (default by profile)"
    )
    sim_seed: int = Field(default=42, description="seed of the simulated market")
    sim_initial_cash_usd: Decimal = Field(
        default=Decimal(100_000), gt=0, description="simulated broker's starting cash, USD"
    )
    sim_slippage_bps: Decimal = Field(
        default=Decimal(5), ge=0, description="simulated fill slippage, basis points"
    )
    sim_commission_usd: Decimal = Field(
        default=Decimal(0), ge=0, description="simulated commission per order, USD"
    )
    csv_dir: Path | None = Field(
        default=None,
        description="directory of TICKER.csv files (+ vix.csv, sectors.csv, earnings.csv, "
        "news.csv, fundamentals.csv) for the csv market provider",
    )
    yahoo_cache_ttl_s: float = Field(
        default=60.0, ge=0, description="how long Yahoo answers are reused, seconds"
    )
    alpaca_data_feed: str = Field(
        default="iex", pattern="^(iex|sip|delayed_sip|otc)$", description="Alpaca bars feed"
    )
    # Checked on load, not only when the provider is built: the keys are sent to this host.
    alpaca_data_url: AlpacaDataUrl = Field(
        default=DATA_URL, description="Alpaca market data base URL: an Alpaca host or loopback"
    )
    alpaca_data_context: str = Field(
        default="none",
        pattern="^(none|yahoo)$",
        description="with Alpaca data, where VIX, earnings and sectors outside the built-in "
        "table come from (Alpaca has none): none (risk fails closed) or yahoo",
    )
    market_context_enabled: bool = Field(
        default=True,
        description="read fundamentals, headlines and their sentiment into every snapshot "
        "(from the market provider; Alpaca: its News API, fundamentals from Yahoo with "
        "alpaca_data_context=yahoo)",
    )
    news_max_headlines: int = Field(
        default=5, ge=1, le=50, description="headlines a snapshot carries at most, count"
    )
    news_lookback_days: int = Field(
        default=14, ge=1, le=365, description="oldest headline a snapshot shows, days back"
    )
    host: str = Field(default="127.0.0.1", description="address `serve` binds to")
    port: int = Field(default=8000, ge=1, le=65535, description="port `serve` listens on")
    log_level: str = Field(default="INFO", description="Python logging level")
    api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("APP_API_KEY", "SWINGDESK_API_KEY"),
        description="trade-scope API key (X-API-Key)",
    )
    read_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("APP_READ_API_KEY", "SWINGDESK_READ_API_KEY"),
        description="read-scope API key (X-API-Key): every GET, no trading",
    )
    metrics_api_key: SecretStr | None = Field(
        default=None, description="key /metrics requires (X-API-Key or Bearer); unset = open"
    )
    cors_allowed_origins: str = Field(
        default="",
        validation_alias=AliasChoices("CORS_ALLOWED_ORIGINS", "SWINGDESK_CORS_ALLOWED_ORIGINS"),
        description="comma-separated browser origins allowed by CORS; empty = none",
    )
    trigger_cooldown_s: Decimal = Field(
        default=Decimal(10), ge=0, description="seconds between API triggers of one ticker"
    )
    trigger_rate_per_min: int = Field(
        default=60, ge=1, description="API triggers and scans allowed per minute, all tickers"
    )
    stream_token_ttl_s: int = Field(
        default=300, ge=10, le=3600, description="lifetime of a signed SSE stream token, seconds"
    )
    stream_keepalive_s: float = Field(
        default=15.0, gt=0, description="seconds between SSE keep-alive comments"
    )
    stream_poll_s: float = Field(
        default=1.0,
        gt=0,
        description="seconds between the stream relay's looks at the outbox for commits no "
        "one handed over (another process's, or one whose acknowledgement was lost)",
    )
    stream_outbox_keep: int = Field(
        default=100_000,
        ge=1000,
        description="outbox messages kept for clients resuming with Last-Event-ID, count",
    )
    stream_max_clients_per_key: int = Field(
        default=16,
        ge=1,
        le=10_000,
        description="live SSE streams one key or stream token may hold open at once (429 above)",
    )
    stream_max_clients_total: int = Field(
        default=256,
        ge=1,
        le=100_000,
        description="live SSE streams the service holds open at once, all callers (429 above)",
    )
    max_body_bytes: int = Field(
        default=65_536, ge=1024, description="largest request body accepted, bytes"
    )
    db_connect_timeout_s: int = Field(
        default=5,
        ge=2,
        le=300,
        description="seconds to wait for a new PostgreSQL connection (libpq connect_timeout, "
        "at least 2) before answering 503 DATABASE_UNAVAILABLE",
    )
    db_statement_timeout_s: float = Field(
        default=10.0,
        gt=0,
        le=3600,
        description="longest one database statement may take, seconds: PostgreSQL's "
        "statement_timeout (the client gives up 1 s later even if the server never answers) "
        "and SQLite's busy timeout",
    )
    db_pool_timeout_s: float = Field(
        default=5.0, gt=0, le=300, description="seconds to wait for a free pooled connection"
    )
    ready_timeout_s: float = Field(
        default=2.0,
        gt=0,
        le=30,
        description="/ready answers 503 when the database has not answered within this, seconds",
    )
    shutdown_requests_grace_s: int = Field(
        default=10,
        ge=0,
        le=300,
        description="seconds a stop waits for open requests to finish before cancelling them",
    )
    shutdown_jobs_grace_s: float = Field(
        default=20.0,
        ge=0,
        le=300,
        description="seconds a stop lets a running autopilot job (a scan) or backtest finish "
        "before cancelling it; with shutdown_requests_grace_s, keep it below the "
        "orchestrator's grace period (deploy/: 45 s)",
    )
    autopilot_enabled: bool | None = Field(
        default=None, description="scan the watchlist on a schedule (default: on in demo only)"
    )
    scan_interval_s: int = Field(
        default=60, ge=5, description="seconds between autopilot scans of the watchlist"
    )
    sim_stop_check_s: float = Field(
        default=5.0,
        gt=0,
        description="seconds between the simulated broker's checks of its held stop orders",
    )
    equity_mark_interval_s: float = Field(
        default=60.0,
        gt=0,
        description="seconds between stored equity marks (the dashboard's equity curve) in serve",
    )
    portfolio_reuse_s: float = Field(
        default=1.0,
        ge=0,
        description="seconds a portfolio read may be reused to list the analyst's feasible "
        "actions (risk always reads the account fresh)",
    )
    scan_start_delay_s: float = Field(
        default=5, ge=0, description="seconds after start-up before the first autopilot scan"
    )
    scan_concurrency: int = Field(
        default=4, ge=1, le=32, description="tickers one scan decides at the same time"
    )
    backtest_retention_runs: int = Field(
        default=50, ge=1, description="backtest runs kept, newest first, runs: storing a run "
        "deletes the finished runs older than these",
    )  # fmt: skip
    backtest_retention_days: int = Field(
        default=0, ge=0, description="finished backtest runs older than this are deleted when "
        "a run is stored, days; 0 = kept whatever their age",
    )  # fmt: skip

    # Several replicas: the shared event bus, the leader lease, notifications, logs.
    redis_url: str | None = Field(
        default=None,
        description="Redis URL of the shared event bus (redis://host:6379/0); unset means the "
        "in-process bus (one replica, or each replica streams what it reads from the outbox)",
    )
    redis_prefix: str = Field(
        default="swingdesk",
        pattern=r"^[A-Za-z0-9:_.-]{1,64}$",
        description="prefix of every Redis key and channel (one desk per prefix)",
    )
    redis_stream_maxlen: int = Field(
        default=10_000,
        ge=100,
        description="messages the Redis stream keeps (approximately; older ones are replayed "
        "from the outbox), count",
    )
    redis_timeout_s: float = Field(
        default=1.0,
        gt=0,
        le=30,
        description="longest one Redis command may take before the bus counts as unavailable, "
        "seconds",
    )
    replica_id: str | None = Field(
        default=None,
        max_length=128,
        description="this replica's name in the leader lease and the logs; unset means "
        "<hostname>-<pid> (Kubernetes: the pod's name)",
    )
    leader_lease_ttl_s: float = Field(
        default=10.0,
        ge=3,
        le=120,
        description="the leader lease's lifetime by the database clock, seconds: a dead "
        "leader is replaced at most this plus leader_renew_s later",
    )
    leader_renew_s: float = Field(
        default=3.0,
        gt=0,
        description="seconds between the leader's renewals (and a follower's attempts); "
        "below leader_lease_ttl_s - 2",
    )
    notify_urls: SecretStr | None = Field(
        default=None,
        description="Apprise URLs notifications are sent to, separated by spaces or commas "
        "(slack://, discord://, tgram://, mailto://, ntfy://, json://...); unset = none",
    )
    notify_events: str = Field(
        default="fill,stop,trading_state,drift,budget,daily_summary",
        pattern=r"^\s*((fill|stop|trading_state|drift|budget|daily_summary)"
        r"\s*(,\s*|$))*$",
        description="which events are notified, comma-separated: fill, stop (a protective "
        "stop filled), trading_state, drift, budget (analyst budget exhausted), daily_summary",
    )
    notify_timeout_s: float = Field(
        default=10.0, gt=0, le=120, description="longest one notification may take, seconds"
    )
    log_format: str = Field(
        default="text",
        pattern="^(text|json)$",
        description="log lines as text or as JSON objects (with replica, request and decision ids)",
    )

    # Risk limits: fractions (0.05 = 5%) unless the name carries another unit.
    risk_max_drawdown_pct: Decimal = Field(
        default=Decimal("0.10"),
        gt=0,
        le=1,
        description="no new longs at this drawdown from the high-water mark",
    )
    risk_max_daily_loss_pct: Decimal = Field(
        default=Decimal("0.03"),
        gt=0,
        le=1,
        description="no new longs at this loss since start-of-day equity",
    )
    risk_min_adv_shares: Decimal = Field(
        default=Decimal(5_000_000), ge=0, description="minimum 20-day average daily volume, shares"
    )
    risk_earnings_blackout_days: int = Field(
        default=3, ge=0, description="no new longs within this many trading days of earnings"
    )
    risk_max_vix: Decimal = Field(
        default=Decimal(35), gt=0, description="no new longs above this VIX"
    )
    risk_max_ticker_pct: Decimal = Field(
        default=Decimal("0.05"), gt=0, le=1, description="largest position, fraction of equity"
    )
    risk_max_sector_pct: Decimal = Field(
        default=Decimal("0.20"),
        gt=0,
        le=1,
        description="largest sector exposure, fraction of equity",
    )
    risk_per_trade_pct: Decimal = Field(
        default=Decimal("0.01"), gt=0, le=1, description="equity risked to the stop per trade"
    )
    risk_atr_stop_multiple: Decimal = Field(
        default=Decimal(2), gt=0, description="stop distance in ATR-14 multiples"
    )
    risk_min_confidence: Decimal = Field(
        default=Decimal("0.6"), ge=0, le=1, description="minimum analyst confidence"
    )
    risk_cooldown_s: Decimal = Field(
        default=Decimal(10), ge=0, description="seconds between orders in one ticker"
    )

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

    # Execution and reconciliation (the Alpaca adapter only ever talks to the paper endpoint).
    alpaca_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("ALPACA_API_KEY", "SWINGDESK_ALPACA_API_KEY"),
        description="Alpaca paper API key id",
    )
    alpaca_secret_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("ALPACA_SECRET_KEY", "SWINGDESK_ALPACA_SECRET_KEY"),
        description="Alpaca paper API secret key",
    )
    alpaca_connect_timeout_s: float = Field(
        default=5.0, gt=0, description="Alpaca trading API connect timeout, seconds"
    )
    alpaca_read_timeout_s: float = Field(
        default=10.0, gt=0, description="Alpaca trading API read timeout, seconds"
    )
    stale_signal_max_age_s: float = Field(
        default=300.0, gt=0, description="an approval older than this is refused (STALE_SIGNAL)"
    )
    broker_retry_attempts: int = Field(
        default=5, ge=1, le=20, description="attempts per broker call on temporary errors"
    )
    broker_retry_base_s: float = Field(
        default=0.5, ge=0, description="first backoff of broker retries, seconds (doubles)"
    )
    broker_retry_max_s: float = Field(
        default=30.0, ge=0, description="longest single wait between broker retries, seconds"
    )
    sync_interval_s: float = Field(
        default=60.0, gt=0, description="seconds between reconciliations with the broker"
    )
    decision_interrupt_after_s: float = Field(
        default=120.0,
        gt=0,
        description="seconds after which reconciliation settles a decision still pending "
        "(its process died mid-way); longer than any decision takes",
    )
    protection_fallback_stop_pct: Decimal = Field(
        default=Decimal("0.08"),
        gt=0,
        lt=1,
        description="for shares held with no recorded stop price (adopted from the broker), "
        "the protective stop's distance below the current price, fraction",
    )
    protection_trail_pct: Decimal | None = Field(
        default=None,
        gt=0,
        lt=1,
        description="protect positions with a trailing stop this fraction below the highest "
        "price since it was placed (Alpaca trailing_stop, trail_percent); unset: fixed stops",
    )
    protection_trail_price_usd: Decimal | None = Field(
        default=None,
        gt=0,
        description="protect positions with a trailing stop this many USD below the highest "
        "price since it was placed (Alpaca trailing_stop, trail_price); unset: fixed stops",
    )
    reconcile_max_drift_pct: Decimal = Field(
        default=Decimal("0.05"),
        gt=0,
        le=1,
        description="position drift (fraction of equity) above which trading is HALTED",
    )

    @field_validator(
        "rules_min_sentiment_score",
        "rules_min_market_cap_usd",
        "llm_daily_budget_usd",
        "llm_model",
        "openai_base_url",
        "anthropic_base_url",
        "llm_cache_dir",
        "llm_knowledge_cutoff",
        "redis_url",
        "replica_id",
        "notify_urls",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        # An environment variable cannot be None; "" or "none" is how it says "unset".
        if isinstance(value, str) and value.strip().lower() in ("", "none"):
            return None
        return value

    @model_validator(mode="before")
    @classmethod
    def _profile_defaults(cls, data: Any) -> Any:
        if isinstance(data, dict):
            raw = data.get("profile") or Profile.DEMO.value
            try:
                profile = Profile(str(raw).lower())
            except ValueError:
                return data  # the field validator reports the bad profile
            for key, value in PROFILE_DEFAULTS[profile].items():
                if data.get(key) in (None, ""):
                    data[key] = value
        return data

    @model_validator(mode="after")
    def _refuse_unsafe_pairs(self) -> Settings:
        if self.broker is BrokerProvider.ALPACA and self.market_provider in (
            MarketProvider.SIMULATED,
            MarketProvider.CSV,
        ):
            raise ValueError(
                f"refusing to pair {self.market_provider.value} prices with the Alpaca broker: "
                "orders would be sized on prices the broker does not trade at"
            )
        return self

    @model_validator(mode="after")
    def _one_trail(self) -> Settings:
        if self.protection_trail_pct is not None and self.protection_trail_price_usd is not None:
            raise ValueError(
                "set protection_trail_pct or protection_trail_price_usd, not both "
                "(a trailing stop trails by a fraction or by a price)"
            )
        return self

    def trail_spec(self) -> TrailSpec | None:
        """Return the trailing-stop setting, None for fixed protective stops."""
        return TrailSpec.of(self.protection_trail_pct, self.protection_trail_price_usd)

    @model_validator(mode="after")
    def _lease_timing(self) -> Settings:
        if self.leader_renew_s >= self.leader_lease_ttl_s - 2:
            raise ValueError(
                "leader_renew_s must be below leader_lease_ttl_s - 2 s (a leader must be able "
                "to miss a renewal and still stop its jobs before the lease expires)"
            )
        return self

    @property
    def notify_event_set(self) -> frozenset[str]:
        """Return the notified event kinds."""
        return frozenset(e.strip() for e in self.notify_events.split(",") if e.strip())

    @property
    def effective_database_url(self) -> str:
        """Return the async SQLAlchemy URL the store uses."""
        return async_url(self.database_url or f"sqlite:///{self.data_dir / 'swingdesk.db'}")

    @property
    def autopilot_on(self) -> bool:
        """Say whether the autopilot runs (explicit setting, else only in the demo)."""
        if self.autopilot_enabled is not None:
            return self.autopilot_enabled
        return self.profile is Profile.DEMO

    @property
    def cors_origins(self) -> list[str]:
        """Return the CORS origins as a list."""
        return [o.strip() for o in self.cors_allowed_origins.split(",") if o.strip()]

    def risk_limits(self) -> RiskLimits:
        """Return the risk limits this configuration sets."""
        return RiskLimits(
            max_drawdown_pct=self.risk_max_drawdown_pct,
            max_daily_loss_pct=self.risk_max_daily_loss_pct,
            min_adv_shares=self.risk_min_adv_shares,
            earnings_blackout_days=self.risk_earnings_blackout_days,
            max_vix=self.risk_max_vix,
            max_ticker_pct=self.risk_max_ticker_pct,
            max_sector_pct=self.risk_max_sector_pct,
            risk_per_trade_pct=self.risk_per_trade_pct,
            atr_stop_multiple=self.risk_atr_stop_multiple,
            min_confidence=self.risk_min_confidence,
            cooldown_s=self.risk_cooldown_s,
        )

    def public(self) -> dict[str, Any]:
        """Return the effective settings with every secret removed."""
        out = self.model_dump(
            mode="json",
            exclude={"api_key", "database_url", "alpaca_api_key", "alpaca_secret_key"}
            | {"read_api_key", "metrics_api_key"}
            | {"openai_api_key", "anthropic_api_key", "notify_urls"},
        )
        out["database"] = redact_url(self.effective_database_url)
        out["redis_url"] = redact_url(self.redis_url) if self.redis_url else None
        out.pop("notify_urls", None)
        out["notify_configured"] = self.notify_urls is not None
        return out


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment, turning validation errors into one clear line."""
    try:
        return Settings(**overrides)
    except ValueError as exc:
        problems = describe(exc, Settings.model_fields)
        raise ConfigurationError(f"invalid configuration: {problems}") from exc
