"""Backtests started from the API: validate, store, run one at a time off the event loop.

The run itself is the CLI's (``backtest.runner.run_backtest``, same parameters, same JSON
and report) in a child process (``backtest.worker``). The data is the service's: its CSV
directory when the market provider is CSV, otherwise the simulated market. Storing, running
one at a time and, with several replicas, running on the leader are ``JobRunner``'s.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol
from uuid import uuid4

from swingdesk.backtest.job_runner import JobRunner
from swingdesk.backtest.result import BacktestParams
from swingdesk.backtest.runner import check_params
from swingdesk.backtest.window import check_window
from swingdesk.backtest.worker import Outcome, ProcessWorker
from swingdesk.domain.errors import (
    ConflictError,
    InputError,
    UnknownTickerError,
)
from swingdesk.domain.ticker import sanitize_ticker
from swingdesk.ports import Clock
from swingdesk.store.backtests import BacktestRun, BacktestRuns, Retention
from swingdesk.store.job_state import JobState


class BacktestRunningError(ConflictError):
    """A backtest is already running: one at a time."""

    code = "BACKTEST_RUNNING"


class ReportNotReadyError(ConflictError):
    """The run has no report (still running, or failed)."""

    code = "REPORT_NOT_READY"


class Worker(Protocol):
    """Runs one backtest to its outcome (blocking) and can be ended from another thread."""

    def run(self, params: BacktestParams) -> Outcome:
        """Run ``params``; return the outcome."""
        ...

    def terminate(self) -> None:
        """End the running backtest, if any."""
        ...


@dataclass(frozen=True)
class BacktestSpec:
    """What the caller asked for (validated shape; the data source is the service's)."""

    tickers: tuple[str, ...] | None
    universe_all: bool
    start: date
    end: date
    strategy: str
    initial_cash: Decimal
    slippage_bps: Decimal
    commission: Decimal
    seed: int | None


CURRENT = "backtest.current"


def spec_from_doc(doc: dict[str, Any]) -> BacktestSpec:
    """Return the request a stored run's parameters describe (``_params_doc``'s inverse)."""
    return BacktestSpec(
        tickers=tuple(doc["tickers"]) if doc.get("tickers") else None,
        universe_all=doc.get("universe") == "all",
        start=date.fromisoformat(doc["start"]),
        end=date.fromisoformat(doc["end"]),
        strategy=doc["strategy"],
        initial_cash=Decimal(doc["initial_cash"]),
        slippage_bps=Decimal(doc["slippage_bps"]),
        commission=Decimal(doc["commission"]),
        seed=doc.get("seed") if doc.get("data_source") == "simulated" else None,
    )


class BacktestService(JobRunner[BacktestParams]):
    """Starts backtests, one at a time, and records each run from start to result."""

    what = "backtest"
    busy_error = BacktestRunningError
    current_key = CURRENT

    def __init__(
        self,
        runs: BacktestRuns,
        clock: Clock,
        *,
        csv_dir: Path | None,
        default_seed: int,
        worker: Worker | None = None,
        retention: Retention | None = None,
        state: JobState | None = None,
        is_leader: Callable[[], bool] | None = None,
    ) -> None:
        super().__init__(runs, clock, retention=retention, state=state, is_leader=is_leader)
        self.csv_dir = csv_dir
        self.default_seed = default_seed
        self.worker: Worker = worker or ProcessWorker()

    def job_from_doc(self, run_id: str, doc: dict[str, Any]) -> BacktestParams:
        """Return the runner's parameters for a stored run (re-checked against the data)."""
        return self.params_for(spec_from_doc(doc))

    def execute(self, run_id: str, job: BacktestParams) -> Outcome:
        """Run the backtest in its child process (blocking)."""
        return self.worker.run(job)

    def terminate(self) -> None:
        """End the running backtest's process, if any."""
        self.worker.terminate()

    @property
    def data_source(self) -> str:
        """Return "csv" or "simulated": what the runs replay."""
        return "csv" if self.csv_dir is not None else "simulated"

    def params_for(self, spec: BacktestSpec) -> BacktestParams:
        """Return the runner's parameters for ``spec``; raise InputError on what cannot work."""
        if spec.strategy not in ("rules", "crossover"):
            raise InputError(f"strategy must be rules or crossover, got {spec.strategy!r}")
        if spec.seed is not None and self.csv_dir is not None:
            raise InputError("seed applies to the simulated market only; this service uses CSV")
        tickers = tuple(dict.fromkeys(sanitize_ticker(t) for t in spec.tickers or ()))
        known = self.known_tickers()
        for ticker in tickers:
            if ticker not in known:
                raise UnknownTickerError(
                    f"{ticker} is not in the backtest data ({self.data_source})"
                )
        params = BacktestParams(
            data_dir=self.csv_dir,
            tickers=tickers,
            start=spec.start,
            end=spec.end,
            initial_cash=spec.initial_cash,
            slippage_bps=spec.slippage_bps,
            commission=spec.commission,
            strategy=spec.strategy,
            simulated=self.csv_dir is None,
            universe_all=spec.universe_all,
            sim_seed=self.default_seed if spec.seed is None else spec.seed,
        )
        check_params(params)
        return params

    def known_tickers(self) -> set[str]:
        """Return every ticker the service's backtest data holds."""
        if self.csv_dir is None:
            from swingdesk.adapters.simulated_universe import UNIVERSE

            return {t.ticker for t in UNIVERSE}
        from swingdesk.backtest.universe import ticker_files

        return set(ticker_files(self.csv_dir))

    async def start(self, spec: BacktestSpec) -> BacktestRun:
        """Validate, store the run as running and start it; 409 while another one runs."""
        params = self.params_for(spec)
        # Within the data (or the simulated bounds): reads each ticker file's ends, so not
        # on the event loop.
        today = self.clock.now().date()
        await asyncio.to_thread(check_window, params, today=today)
        return await self.submit(str(uuid4()), self._params_doc(spec, params), params)

    def _params_doc(self, spec: BacktestSpec, params: BacktestParams) -> dict[str, Any]:
        return {
            "tickers": list(params.tickers) if not spec.universe_all else None,
            "universe": "all" if spec.universe_all else None,
            "start": spec.start.isoformat(),
            "end": spec.end.isoformat(),
            "strategy": spec.strategy,
            "initial_cash": str(spec.initial_cash),
            "slippage_bps": str(spec.slippage_bps),
            "commission": str(spec.commission),
            "seed": params.sim_seed if params.simulated else None,
            "data_source": self.data_source,
        }
