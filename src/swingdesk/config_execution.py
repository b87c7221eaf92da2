"""Settings fields of execution and reconciliation with the broker."""

from __future__ import annotations

from decimal import Decimal

from pydantic import AliasChoices, BaseModel, Field, SecretStr


class ExecutionFields(BaseModel):
    """Execution and reconciliation (the Alpaca adapter only ever talks to the paper endpoint)."""

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
