"""Settings fields of the risk limits."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, Field


class RiskFields(BaseModel):
    """Risk limits: fractions (0.05 = 5%) unless the name carries another unit."""

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
