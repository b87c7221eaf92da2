"""Optimisation runs started from the API: one row per run, as ``backtest_runs`` keeps backtests
(``JobRuns``: running, then done with summary, result and report, or failed with a code)."""

from __future__ import annotations

from swingdesk.store import tables
from swingdesk.store.backtests import JobRuns


class OptimizationRuns(JobRuns):
    """The ``optimization_runs`` table."""

    table = tables.OptimizationRunRow
    what = "optimisation"
