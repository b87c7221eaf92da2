"""What both backtest engines take from the parameters: settings, risk limits, strategy.

One definition, so the pipeline replay and the fast engine cannot disagree on a limit.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from swingdesk.backtest.result import BacktestParams
from swingdesk.config import Settings
from swingdesk.domain.errors import InputError
from swingdesk.risk.limits import RiskLimits
from swingdesk.strategy.agent import ApiStrategy
from swingdesk.strategy.loader import build_strategy

RISK_PROFILES = ("desk", "buying-power-only")
EARNINGS_UNKNOWN = ("block", "allow")
FAST_STRATEGIES = ("rules", "crossover")

#: Larger than any fraction a long-only cash account can reach: the gate never fires.
_NEVER = Decimal(1000)


def data_dir(params: BacktestParams) -> Path:
    """Return the CSV directory to replay; refuse parameters without one."""
    if params.data_dir is None:
        raise InputError("a backtest engine needs a data directory (--data)")
    return params.data_dir


def settings_for(params: BacktestParams, workdir: Path) -> Settings:
    """Return the desk settings a backtest runs with (CSV market, simulated broker)."""
    llm: dict[str, Any] = {}
    if params.strategy == "llm-replay":
        # The configured model, replayed from its cache only (backtest/llm_replay.py).
        from swingdesk.backtest.llm_replay import replay_overrides
        from swingdesk.config import load_settings

        llm = replay_overrides(load_settings())
    fields: dict[str, Any] = {
        "profile": "backtest",
        "market_provider": "csv",
        "strategy_provider": "rules",
        "broker": "simulated",
        "csv_dir": data_dir(params),
        "data_dir": workdir,
        "database_url": f"sqlite:///{workdir / 'backtest.db'}",
        "sim_initial_cash_usd": params.initial_cash,
        "sim_slippage_bps": params.slippage_bps,
        "sim_commission_usd": params.commission,
    }
    return Settings(**(fields | llm))


def risk_limits_for(params: BacktestParams, base: RiskLimits) -> RiskLimits:
    """Return ``base`` adjusted for the run's risk profile and unknown-earnings policy.

    "buying-power-only" keeps the sizing (1% risk to a 2 x ATR-14 stop, capped at the
    ticker limit) and the buying-power, data-quality and stop checks, and turns every other
    gate off: drawdown, daily loss, ADV, earnings, VIX, sector, confidence and cooldown.
    """
    if params.risk_profile not in RISK_PROFILES:
        raise InputError(f"risk profile must be one of {', '.join(RISK_PROFILES)}")
    if params.earnings_unknown not in EARNINGS_UNKNOWN:
        raise InputError(f"earnings-unknown must be one of {', '.join(EARNINGS_UNKNOWN)}")
    update: dict[str, object] = {"allow_unknown_earnings": params.earnings_unknown == "allow"}
    if params.risk_profile == "buying-power-only":
        update |= {
            "max_drawdown_pct": _NEVER,
            "max_daily_loss_pct": _NEVER,
            "min_adv_shares": Decimal(0),
            "earnings_blackout_days": -1,
            "allow_unknown_earnings": True,
            "max_vix": _NEVER,
            "max_sector_pct": _NEVER,
            "min_confidence": Decimal(0),
            "cooldown_s": Decimal(0),
        }
    return RiskLimits.model_validate(base.model_dump() | update)


def strategy_for(params: BacktestParams) -> ApiStrategy:
    """Return the deterministic analyst the parameters name (a strategy API reference)."""
    if params.strategy == "llm-replay":
        raise InputError(
            f"strategy {params.strategy!r} has no deterministic analyst; "
            f"use one of {', '.join(FAST_STRATEGIES)} or a strategy reference"
        )
    return build_strategy(params.strategy, dict(params.strategy_params))
