"""Stable risk codes: they appear in the API, the CLI, the database and the dashboard."""

from __future__ import annotations

from enum import StrEnum


class RiskCode(StrEnum):
    """One code per rule."""

    HALTED = "HALTED"
    REDUCING = "REDUCING"
    MAX_DRAWDOWN = "MAX_DRAWDOWN"
    DAILY_LOSS = "DAILY_LOSS"
    LOW_CONFIDENCE = "LOW_CONFIDENCE"
    COOLDOWN = "COOLDOWN"
    MARKET_DATA = "MARKET_DATA"
    ADV_LIQUIDITY = "ADV_LIQUIDITY"
    EARNINGS_BLACKOUT = "EARNINGS_BLACKOUT"
    VIX_GATE = "VIX_GATE"
    STOP_INVALID = "STOP_INVALID"
    SIZE_ZERO = "SIZE_ZERO"
    BUYING_POWER = "BUYING_POWER"
    TICKER_CONCENTRATION = "TICKER_CONCENTRATION"
    SECTOR_CONCENTRATION = "SECTOR_CONCENTRATION"
    NO_POSITION = "NO_POSITION"
    #: A partial close too small for one whole share, or larger than the position.
    CLOSE_SIZE = "CLOSE_SIZE"
    PORTFOLIO_UNAVAILABLE = "PORTFOLIO_UNAVAILABLE"
