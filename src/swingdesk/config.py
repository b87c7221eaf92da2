"""One typed Settings class; every field is documented, with units in its name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from swingdesk.config_execution import ExecutionFields
from swingdesk.config_market import MarketFields
from swingdesk.config_replicas import ReplicaFields
from swingdesk.config_risk import RiskFields
from swingdesk.config_service import ServiceFields
from swingdesk.config_strategy import StrategyFields
from swingdesk.database_urls import async_url, redact_url, sync_url
from swingdesk.domain.errors import ConfigurationError
from swingdesk.domain.trailing import TrailSpec
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


class Settings(
    ExecutionFields,
    StrategyFields,
    RiskFields,
    ReplicaFields,
    ServiceFields,
    MarketFields,
    BaseSettings,
):
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
