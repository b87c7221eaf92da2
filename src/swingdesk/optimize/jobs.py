"""Optimisations started from the API: validate, store, run one at a time in a child process.

The run is the CLI's walk-forward optimisation (``optimize.run``) on the data the service's
backtests replay (its CSV directory, else the simulated market), in a spawned process
(``optimize_worker``) that reports its progress while trials complete. Everything a request
can get wrong is refused before the 202: the strategy, tickers and window (as a backtest's),
the objectives, the folds (enough sessions for each) and the size of the work. Storing,
running one at a time and, with several replicas, running on the leader are ``JobRunner``'s,
as for backtests.
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
from swingdesk.backtest.jobs import BacktestService, BacktestSpec
from swingdesk.backtest.window import check_window
from swingdesk.backtest.worker import Outcome
from swingdesk.domain.errors import ConflictError, InputError
from swingdesk.optimize.config import OptimizeConfig, folds
from swingdesk.optimize.evaluate import session_count
from swingdesk.optimize.study import search_space
from swingdesk.optimize.worker import OptimizeJob, OptimizeProcessWorker, Progress
from swingdesk.ports import Clock
from swingdesk.store.backtests import BacktestRun, Retention
from swingdesk.store.optimizations import OptimizationRuns
from swingdesk.strategy.loader import registered

#: The most ticker-trials one request may ask for (tickers x trials x folds): about ten
#: minutes of this machine's two cores, so no request can hold the service for hours.
MAX_WORK = 200_000


class OptimizationRunningError(ConflictError):
    """An optimisation is already running: one at a time."""

    code = "OPTIMIZATION_RUNNING"


class UnknownStrategyError(InputError):
    """The strategy is not one the service has installed."""

    code = "UNKNOWN_STRATEGY"


class TooMuchWorkError(InputError):
    """The request asks for more trials over more tickers than one run may take."""

    code = "OPTIMIZATION_TOO_LARGE"


class OptimizeWorker(Protocol):
    """Runs one optimisation to its outcome (blocking) and can be ended from another thread."""

    def run(self, job: OptimizeJob, on_progress: Callable[[Progress], None]) -> Outcome:
        """Run ``job``; return the outcome."""
        ...

    def terminate(self) -> None:
        """End the running optimisation, if any."""
        ...


@dataclass(frozen=True)
class OptimizeSpec:
    """What the caller asked for (validated shape; the data source is the service's)."""

    strategy: str
    tickers: tuple[str, ...] | None
    universe_all: bool
    start: date
    end: date
    objectives: tuple[str, ...]
    trials: int
    folds: int
    is_ratio: int
    mode: str
    walk_forward: bool
    seed: int
    initial_cash: Decimal
    slippage_bps: Decimal
    commission: Decimal


CURRENT = "optimization.current"


def spec_from_doc(doc: dict[str, Any]) -> OptimizeSpec:
    """Return the request a stored run's parameters describe (``_params_doc``'s inverse)."""
    return OptimizeSpec(
        strategy=doc["strategy"],
        tickers=tuple(doc["tickers"]) if doc.get("tickers") else None,
        universe_all=doc.get("universe") == "all",
        start=date.fromisoformat(doc["start"]),
        end=date.fromisoformat(doc["end"]),
        objectives=tuple(doc["objectives"]),
        trials=int(doc["trials"]),
        folds=int(doc["folds"]),
        is_ratio=int(doc["is_ratio"]),
        mode=doc["mode"],
        walk_forward=bool(doc["walk_forward"]),
        seed=int(doc["seed"]),
        initial_cash=Decimal(doc["initial_cash"]),
        slippage_bps=Decimal(doc["slippage_bps"]),
        commission=Decimal(doc["commission"]),
    )


class OptimizationService(JobRunner[OptimizeJob]):
    """Starts optimisations, one at a time, and records each from start to result."""

    what = "optimisation"
    busy_error = OptimizationRunningError
    current_key = CURRENT

    def __init__(
        self,
        runs: OptimizationRuns,
        clock: Clock,
        backtests: BacktestService,
        *,
        worker: OptimizeWorker | None = None,
        retention: Retention | None = None,
    ) -> None:
        # Shared like the backtests: one at a time across replicas, run by the leader.
        super().__init__(
            runs, clock, retention=retention, state=backtests.state, is_leader=backtests.is_leader
        )
        #: Whose data and checks an optimisation shares.
        self.backtests = backtests
        self.worker: OptimizeWorker = worker or OptimizeProcessWorker()
        #: The running optimisation's progress (the child reports it; only this replica's).
        self.progress: dict[str, Progress] = {}

    def job_from_doc(self, run_id: str, doc: dict[str, Any]) -> OptimizeJob:
        """Return the child's job for a stored run (re-checked against the data)."""
        return self.job_for(spec_from_doc(doc), run_id)

    def execute(self, run_id: str, job: OptimizeJob) -> Outcome:
        """Run the optimisation in its child process, keeping its progress (blocking)."""

        def on_progress(p: Progress) -> None:
            self.progress[run_id] = p

        return self.worker.run(job, on_progress)

    def terminate(self) -> None:
        """End the running optimisation's process, if any."""
        self.worker.terminate()

    def ended(self, run_id: str) -> None:
        """Drop the finished run's progress (its summary has the count now)."""
        self.progress.pop(run_id, None)

    def job_for(self, spec: OptimizeSpec, study: str) -> OptimizeJob:
        """Return the child's job for ``spec``; raise InputError on what cannot work."""
        if spec.strategy not in registered():
            raise UnknownStrategyError(
                f"strategy {spec.strategy!r} is not installed; "
                f"installed: {', '.join(sorted(registered()))}"
            )
        bt = self.backtests
        params = bt.params_for(
            BacktestSpec(
                tickers=spec.tickers, universe_all=spec.universe_all, start=spec.start,
                end=spec.end, strategy="rules", initial_cash=spec.initial_cash,
                slippage_bps=spec.slippage_bps, commission=spec.commission, seed=None,
            )
        )  # fmt: skip
        check_window(params, today=self.clock.now().date())
        config = OptimizeConfig(
            study=study, strategy=spec.strategy, data_dir=bt.csv_dir or Path("simulated"),
            tickers=params.tickers, start=spec.start, end=spec.end, objectives=spec.objectives,
            trials=spec.trials, seed=spec.seed, folds=spec.folds, is_ratio=spec.is_ratio,
            mode=spec.mode, walk_forward=spec.walk_forward, initial_cash=spec.initial_cash,
            slippage_bps=spec.slippage_bps, commission=spec.commission,
        )  # fmt: skip
        config.check()
        plan = folds(session_count(config), config)
        if not search_space(config):
            raise InputError(f"strategy {spec.strategy!r} declares no parameter to optimise")
        tickers = len(params.tickers) if params.tickers else len(bt.known_tickers())
        work = tickers * spec.trials * len(plan)
        if work > MAX_WORK:
            raise TooMuchWorkError(
                f"{tickers} tickers x {spec.trials} trials x {len(plan)} folds is {work} "
                f"ticker-trials; one run takes at most {MAX_WORK}",
                details={"work": work, "max_work": MAX_WORK},
            )
        return OptimizeJob(config, sim_seed=params.sim_seed if params.simulated else None)

    async def start(self, spec: OptimizeSpec) -> BacktestRun:
        """Validate, store the run as running and start it; 409 while another one runs."""
        run_id = str(uuid4())
        # Reads the ticker files' ends and the strategy's module: not on the event loop.
        job = await asyncio.to_thread(self.job_for, spec, run_id)
        return await self.submit(run_id, self._params_doc(spec, job), job)

    def _params_doc(self, spec: OptimizeSpec, job: OptimizeJob) -> dict[str, Any]:
        return {
            "strategy": spec.strategy,
            "tickers": list(job.config.tickers) if not spec.universe_all else None,
            "universe": "all" if spec.universe_all else None,
            "start": spec.start.isoformat(),
            "end": spec.end.isoformat(),
            "objectives": list(spec.objectives),
            "trials": spec.trials,
            "folds": spec.folds if spec.walk_forward else 1,
            "is_ratio": spec.is_ratio,
            "mode": spec.mode,
            "walk_forward": spec.walk_forward,
            "seed": spec.seed,
            "initial_cash": str(spec.initial_cash),
            "slippage_bps": str(spec.slippage_bps),
            "commission": str(spec.commission),
            "data_source": self.backtests.data_source,
        }

    def progress_of(self, run: BacktestRun) -> dict[str, Any] | None:
        """Return a run's progress: trials done of all, and the best first objective so far."""
        if run.summary is not None:
            trials = int(run.summary["trials"])
            return {"done": trials, "total": trials, "best": None}
        found = self.progress.get(run.run_id)
        if found is None:
            return None
        return {"done": found.done, "total": found.total, "best": found.best}
