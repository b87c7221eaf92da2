"""The desk's worlds (profiles) and the adapters each one picks by default."""

from __future__ import annotations

from enum import StrEnum


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


PROFILE_DEFAULTS: dict[Profile, dict[str, str]] = {
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
