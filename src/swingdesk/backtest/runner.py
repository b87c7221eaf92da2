"""Run a backtest: resolve the universe, pick the engine, add benchmark and flags.

Around the engines (which receive the final tickers and an existing CSV directory):

1. the data: ``--data DIR``, or the simulated market written to a temporary directory;
2. the universe: the listed tickers or every file, minus those skipped with a reason
   (bad file, too little history), staged into a temporary directory;
3. the engine: ``auto`` is the fast engine for rule strategies, the pipeline replay for
   ``llm-replay`` (which needs the live LLM analyst and its cache);
4. afterwards: the equal-weight buy-and-hold benchmark on the same sessions and, for
   ``llm-replay``, the look-ahead contamination flags.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

from swingdesk.backtest.benchmark import buy_and_hold
from swingdesk.backtest.contamination import flag_decisions
from swingdesk.backtest.replay import SessionPriceCsvMarket, run_pipeline_backtest
from swingdesk.backtest.result import (
    EARNINGS_UNKNOWN,
    ENGINES,
    RISK_PROFILES,
    STRATEGIES,
    BacktestParams,
    BacktestResult,
    DayRecord,
    Fill,
    Progress,
)
from swingdesk.backtest.simulated_data import write_simulated_market
from swingdesk.backtest.universe import resolve, stage
from swingdesk.domain.errors import InputError

__all__ = [
    "BacktestParams",
    "BacktestResult",
    "DayRecord",
    "Fill",
    "Progress",
    "SessionPriceCsvMarket",
    "run_backtest",
]


def check_params(params: BacktestParams) -> None:
    """Raise InputError naming the first parameter that cannot work."""
    if params.strategy not in STRATEGIES:
        from swingdesk.strategy.loader import build_strategy

        build_strategy(params.strategy, dict(params.strategy_params))  # InputError says why
    elif params.strategy_params and params.strategy == "llm-replay":
        raise InputError("--strategy llm-replay takes no strategy parameters")
    choices = (
        ("--engine", params.engine, ENGINES),
        ("--earnings-unknown", params.earnings_unknown, EARNINGS_UNKNOWN),
        ("--risk-profile", params.risk_profile, RISK_PROFILES),
    )
    for flag, value, allowed in choices:
        if value not in allowed:
            raise InputError(f"{flag} must be one of {', '.join(allowed)}, got {value!r}")
    if params.end < params.start:
        raise InputError(f"--end {params.end} is before --start {params.start}")
    if params.simulated == (params.data_dir is not None):
        raise InputError("give exactly one of --data DIR and --simulated")
    if params.universe_all == bool(params.tickers):
        raise InputError("give exactly one of --tickers A,B,C and --universe all")
    if params.initial_cash <= 0:
        raise InputError(f"--initial-cash must be positive, got {params.initial_cash}")
    if params.slippage_bps < 0 or params.commission < 0:
        raise InputError("--slippage-bps and --commission cannot be negative")
    if params.strategy == "llm-replay" and params.engine == "fast":
        raise InputError("--strategy llm-replay runs on the pipeline engine only")
    check_exits(params)


def check_exits(params: BacktestParams) -> None:
    """Raise InputError for a trailing stop or a scale-out fraction that cannot work."""
    if params.trail_pct is not None and params.trail_price is not None:
        raise InputError("give at most one of --trail-pct and --trail-price")
    if params.trail_pct is not None and not 0 < params.trail_pct < 1:
        raise InputError(f"--trail-pct must be in (0, 1), got {params.trail_pct}")
    if params.trail_price is not None and params.trail_price <= 0:
        raise InputError(f"--trail-price must be positive, got {params.trail_price}")
    if params.close_fraction is not None and not 0 < params.close_fraction <= 1:
        raise InputError(f"--close-fraction must be in (0, 1], got {params.close_fraction}")


def engine_for(params: BacktestParams) -> str:
    """Return "fast" or "pipeline": the engine ``params.engine`` means for its strategy."""
    if params.engine != "auto":
        return params.engine
    return "pipeline" if params.strategy == "llm-replay" else "fast"


async def run_backtest(
    params: BacktestParams, *, progress: Progress | None = None
) -> BacktestResult:
    """Replay ``params.start``..``params.end``; return the record with benchmark and flags."""
    check_params(params)
    with tempfile.TemporaryDirectory(prefix="swingdesk-bt-data-") as tmp:
        work = Path(tmp)
        if params.simulated:
            source = await write_simulated_market(
                work / "simulated", seed=params.sim_seed, end=params.end
            )
        else:
            assert params.data_dir is not None  # check_params
            source = params.data_dir
        universe = resolve(
            source, params.tickers, universe_all=params.universe_all,
            start=params.start, end=params.end,
        )  # fmt: skip
        if not universe.tickers:
            reasons = "; ".join(f"{t}: {why}" for t, why in sorted(universe.skipped.items()))
            raise InputError(f"no ticker left to backtest ({reasons or 'the data has none'})")
        staged = stage(source, universe.tickers, work / "staged")
        run_params = replace(params, data_dir=staged, tickers=universe.tickers)
        engine = engine_for(params)
        result = await _run_engine(engine, run_params, progress)
        result.params = replace(run_params, data_dir=params.data_dir)
        result.engine_used = engine
        result.data_source = "simulated" if params.simulated else "csv"
        result.skipped = dict(universe.skipped)
        sessions = [d.day for d in result.days]
        result.benchmark = buy_and_hold(
            universe.bars, sessions, initial_cash=params.initial_cash,
            slippage_bps=params.slippage_bps, commission=params.commission,
        )  # fmt: skip
        if params.strategy == "llm-replay":
            from swingdesk.backtest.llm_replay import knowledge_cutoff
            from swingdesk.config import load_settings

            cutoff = knowledge_cutoff(load_settings())
            result.contamination = flag_decisions(cutoff, sessions, universe.tickers)
        return result


async def _run_engine(
    engine: str, params: BacktestParams, progress: Progress | None
) -> BacktestResult:
    if engine == "fast":
        from swingdesk.backtest.engine import run_fast_backtest

        return await run_fast_backtest(params, progress=progress)
    return await run_pipeline_backtest(params, progress=progress)
