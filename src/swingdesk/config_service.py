"""Settings fields of the HTTP service: keys, streams, database, shutdown, autopilot."""

from __future__ import annotations

from decimal import Decimal

from pydantic import AliasChoices, BaseModel, Field, SecretStr


class ServiceFields(BaseModel):
    """The HTTP service: API keys, streams, database timeouts, shutdown and the autopilot."""

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
