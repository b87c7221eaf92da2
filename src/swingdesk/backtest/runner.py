"""Run a backtest: pick the engine for the strategy and hand back one ``BacktestResult``."""

from __future__ import annotations

from swingdesk.backtest.replay import SessionPriceCsvMarket, run_pipeline_backtest
from swingdesk.backtest.result import BacktestParams, BacktestResult, DayRecord, Fill

__all__ = [
    "BacktestParams",
    "BacktestResult",
    "DayRecord",
    "Fill",
    "SessionPriceCsvMarket",
    "run_backtest",
]


async def run_backtest(params: BacktestParams) -> BacktestResult:
    """Replay ``params.start``..``params.end``; return the record."""
    return await run_pipeline_backtest(params)
