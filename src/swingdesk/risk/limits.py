"""Risk limits. Defaults are the desk's house rules; every one can be configured."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from swingdesk.domain.money import NonNegDec, PosDec


class RiskLimits(BaseModel):
    """Every number the risk rules compare against. Fractions: 0.05 means 5%."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_drawdown_pct: PosDec = Field(
        default=Decimal("0.10"), description="drawdown from the equity high-water mark"
    )
    max_daily_loss_pct: PosDec = Field(
        default=Decimal("0.03"), description="loss since start-of-day equity"
    )
    min_adv_shares: NonNegDec = Field(
        default=Decimal(5_000_000), description="minimum 20-day average daily volume, shares"
    )
    earnings_blackout_days: int = Field(
        default=3,
        ge=-1,
        description="no new longs this many trading days before earnings (-1: no blackout)",
    )
    max_vix: PosDec = Field(default=Decimal(35), description="no new longs above this VIX")
    max_ticker_pct: PosDec = Field(
        default=Decimal("0.05"), description="largest position as a fraction of equity"
    )
    max_sector_pct: PosDec = Field(
        default=Decimal("0.20"), description="largest sector exposure as a fraction of equity"
    )
    risk_per_trade_pct: PosDec = Field(
        default=Decimal("0.01"), description="equity risked to the protective stop per trade"
    )
    atr_stop_multiple: PosDec = Field(
        default=Decimal(2), description="stop distance in ATR-14 multiples"
    )
    min_confidence: NonNegDec = Field(
        default=Decimal("0.6"), description="minimum analyst confidence for any order"
    )
    allow_unknown_earnings: bool = Field(
        default=False,
        description="let new longs pass the earnings blackout when no report date is known "
        "(default: fail closed, no new long without a known date)",
    )
    cooldown_s: NonNegDec = Field(
        default=Decimal(10), description="seconds after an order before another in that ticker"
    )


class LimitValues:
    """A ``RiskLimits``' values as plain attributes, as the rules read them (``r.limits``).

    Reading a field through a pydantic model goes through its ``__getattr__`` hook and costs
    about fifteen times a plain slot's read; the rules read a dozen limits per signal. The
    same names, the same objects (``tests/unit/risk/test_limit_values.py``).
    """

    __slots__ = (
        "allow_unknown_earnings",
        "atr_stop_multiple",
        "cooldown_s",
        "earnings_blackout_days",
        "max_daily_loss_pct",
        "max_drawdown_pct",
        "max_sector_pct",
        "max_ticker_pct",
        "max_vix",
        "min_adv_shares",
        "min_confidence",
        "risk_per_trade_pct",
    )

    max_drawdown_pct: Decimal
    max_daily_loss_pct: Decimal
    min_adv_shares: Decimal
    earnings_blackout_days: int
    max_vix: Decimal
    max_ticker_pct: Decimal
    max_sector_pct: Decimal
    risk_per_trade_pct: Decimal
    atr_stop_multiple: Decimal
    min_confidence: Decimal
    allow_unknown_earnings: bool
    cooldown_s: Decimal

    def __init__(self, limits: RiskLimits) -> None:
        for name in self.__slots__:
            setattr(self, name, getattr(limits, name))
