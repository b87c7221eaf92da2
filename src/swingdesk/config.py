"""One typed Settings class; every field is documented, with units in its name."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from swingdesk.domain.errors import ConfigurationError
from swingdesk.risk.limits import RiskLimits


class Profile(StrEnum):
    """Which world the desk runs in."""

    DEMO = "demo"
    PAPER = "paper"
    BACKTEST = "backtest"


class MarketProvider(StrEnum):
    """Where prices come from."""

    SIMULATED = "simulated"
    CSV = "csv"
    YAHOO = "yahoo"
    ALPACA = "alpaca"


class StrategyProvider(StrEnum):
    """Who proposes trades."""

    RULES = "rules"
    OPENAI = "openai"
    ANTHROPIC = "anthropic"


class BrokerProvider(StrEnum):
    """Who holds the account."""

    SIMULATED = "simulated"
    ALPACA = "alpaca"


_PROFILE_DEFAULTS: dict[Profile, dict[str, str]] = {
    Profile.DEMO: {
        "market_provider": "simulated",
        "strategy_provider": "rules",
        "broker": "simulated",
    },
    Profile.PAPER: {"market_provider": "yahoo", "strategy_provider": "openai", "broker": "alpaca"},
    Profile.BACKTEST: {
        "market_provider": "csv",
        "strategy_provider": "rules",
        "broker": "simulated",
    },
}


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
    host: str = Field(default="127.0.0.1", description="address `serve` binds to")
    port: int = Field(default=8000, ge=1, le=65535, description="port `serve` listens on")
    log_level: str = Field(default="INFO", description="Python logging level")
    api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("APP_API_KEY", "SWINGDESK_API_KEY"),
        description="trade-scope API key (X-API-Key)",
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

    @model_validator(mode="before")
    @classmethod
    def _profile_defaults(cls, data: Any) -> Any:
        if isinstance(data, dict):
            raw = data.get("profile") or Profile.DEMO.value
            try:
                profile = Profile(str(raw).lower())
            except ValueError:
                return data  # the field validator reports the bad profile
            for key, value in _PROFILE_DEFAULTS[profile].items():
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

    @property
    def effective_database_url(self) -> str:
        """Return the async SQLAlchemy URL the store uses."""
        return async_url(self.database_url or f"sqlite:///{self.data_dir / 'swingdesk.db'}")

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
        out = self.model_dump(mode="json", exclude={"api_key", "database_url"})
        out["database"] = redact_url(self.effective_database_url)
        return out


def async_url(url: str) -> str:
    """Map a plain database URL to the async driver swingdesk uses."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
    return url


def sync_url(url: str) -> str:
    """Map an async database URL to its synchronous twin (for Alembic)."""
    return url.replace("sqlite+aiosqlite://", "sqlite://", 1)


def redact_url(url: str) -> str:
    """Hide the password in a database URL."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in creds else url


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment, turning validation errors into one clear message."""
    try:
        return Settings(**overrides)
    except ValueError as exc:
        raise ConfigurationError(f"invalid configuration: {exc}") from exc
