"""Backtests started from the API: validate, store, run one at a time off the event loop.

The run itself is the CLI's (``backtest.runner.run_backtest``, same parameters, same JSON
and report) in a child process (``backtest.worker``). The data is the service's: its CSV
directory when the market provider is CSV, otherwise the simulated market.

With several replicas (``state`` given: a shared database) runs are the leader's: any
replica stores a run (one at a time across all of them), the leader starts it at once if it
received it, else its ``pick_up`` job does within a second; the run it started is named in
``job_state`` (fenced), so a new leader finds a run its predecessor left unfinished and marks
it INTERRUPTED, as a restart does for a single process.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol
from uuid import uuid4

from swingdesk.backtest.result import BacktestParams
from swingdesk.backtest.runner import check_params
from swingdesk.backtest.window import check_window
from swingdesk.backtest.worker import Outcome, ProcessWorker
from swingdesk.domain.errors import (
    ConflictError,
    InputError,
    SwingdeskError,
    UnknownTickerError,
)
from swingdesk.domain.ticker import sanitize_ticker
from swingdesk.ports import Clock
from swingdesk.store.backtests import INTERRUPTED, RUNNING, BacktestRun, BacktestRuns, Retention
from swingdesk.store.job_state import JobState

log = logging.getLogger(__name__)


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


class BacktestService:
    """Starts backtests, one at a time, and records each run from start to result."""

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
        self.runs = runs
        #: Shared mode (several replicas): where the leader names the run it started.
        self.state = state
        self.is_leader = is_leader or (lambda: True)
        #: Applied each time a run is stored (None keeps every run).
        self.retention = retention
        self.clock = clock
        self.csv_dir = csv_dir
        self.default_seed = default_seed
        self.worker: Worker = worker or ProcessWorker()
        self.running: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._starting = asyncio.Lock()
        self._stopping = False
        #: Called with the run id after each run ends (tests wait on it).
        self.on_finished: Callable[[str], Awaitable[None]] | None = None

    @property
    def data_source(self) -> str:
        """Return "csv" or "simulated": what the runs replay."""
        return "csv" if self.csv_dir is not None else "simulated"

    async def recover(self) -> int:
        """Mark runs a stopped process left ``running`` as failed (INTERRUPTED)."""
        count = await self.runs.interrupt_running(self.clock.now())
        if count:
            log.warning("%d backtest run(s) interrupted by a restart marked failed", count)
        return count

    def params_for(self, spec: BacktestSpec) -> BacktestParams:
        """Return the runner's parameters for ``spec``; raise InputError on what cannot work."""
        if spec.strategy not in ("rules", "crossover"):
            raise InputError(f"strategy must be rules or crossover, got {spec.strategy!r}")
        if spec.seed is not None and self.csv_dir is not None:
            raise InputError("seed applies to the simulated market only; this service uses CSV")
        tickers = tuple(dict.fromkeys(sanitize_ticker(t) for t in spec.tickers or ()))
        known = self._known_tickers()
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
        return self._known_tickers()

    def _known_tickers(self) -> set[str]:
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
        async with self._starting:
            if self._stopping:
                raise ConflictError("the service is stopping; no new backtest starts")
            busy = [self.running] if self.running is not None else []
            if not busy and self.state is not None:
                busy = await self.runs.running_ids()  # another replica's, or queued
            if busy:
                raise BacktestRunningError(
                    f"backtest {busy[0]} is still running; one runs at a time",
                    details={"running": busy[0]},
                )
            run_id = str(uuid4())
            run = await self.runs.add(
                run_id, self._params_doc(spec, params), self.clock.now(), retention=self.retention
            )
            if self.state is None or self.is_leader():
                await self._launch(run_id, params)
        return run

    async def _launch(self, run_id: str, params: BacktestParams) -> None:
        if self.state is not None:
            # Fenced: a replica that lost the lease leaves the run to the new leader.
            await self.state.put(CURRENT, run_id, self.clock.now())
        self.running = run_id
        self._task = asyncio.create_task(self._run(run_id, params), name=f"backtest-{run_id}")

    async def pick_up(self) -> str | None:
        """Start the oldest waiting run (leader job); mark one a predecessor left unfinished
        INTERRUPTED. Return the run started, if any."""
        if self.running is not None or self.state is None or self._stopping:
            return None
        async with self._starting:
            current = await self.state.get(CURRENT)
            for run_id in await self.runs.running_ids():
                if run_id == current:  # started in an earlier term and never finished
                    await self._interrupted(run_id)
                    continue
                run = await self.runs.get(run_id)
                if run is None:
                    continue
                try:
                    params = self.params_for(spec_from_doc(run.params))
                except SwingdeskError as exc:
                    await self.runs.fail(
                        run_id, code=exc.code, message=exc.message, now=self.clock.now()
                    )
                    continue
                await self._launch(run_id, params)
                return run_id
        return None

    async def delete(self, run_id: str) -> bool:
        """Delete a finished run with its result and report; False when there is no such run."""
        status = RUNNING if run_id == self.running else await self.runs.delete(run_id)
        if status == RUNNING:
            raise BacktestRunningError(
                f"backtest {run_id} is still running; it can be deleted once it has ended",
                details={"running": run_id},
            )
        return status is not None

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

    async def _run(self, run_id: str, params: BacktestParams) -> None:
        try:
            outcome = await asyncio.to_thread(self.worker.run, params)
            now = self.clock.now()
            if self._stopping:
                await self._interrupted(run_id)
            elif outcome.ok:
                assert outcome.summary is not None
                assert outcome.result_json is not None
                await self.runs.finish(
                    run_id,
                    summary=outcome.summary,
                    result_json=outcome.result_json,
                    report_html=outcome.report_html or "",
                    now=now,
                )
                log.info("backtest %s done", run_id)
            else:
                await self.runs.fail(
                    run_id,
                    code=outcome.error_code or "INTERNAL",
                    message=outcome.error_message or "",
                    now=now,
                )
                log.warning("backtest %s failed: %s", run_id, outcome.error_code)
        except asyncio.CancelledError:
            await asyncio.shield(self._interrupted(run_id))
            raise
        except Exception as exc:
            log.exception("backtest %s could not be recorded", run_id)
            await self.runs.fail(
                run_id, code="INTERNAL", message=type(exc).__name__, now=self.clock.now()
            )
        finally:
            self.running = None
            if self.on_finished is not None:
                await self.on_finished(run_id)

    async def _interrupted(self, run_id: str) -> None:
        await self.runs.fail(
            run_id,
            code=INTERRUPTED,
            message="the service stopped before the backtest finished",
            now=self.clock.now(),
        )

    async def abandon(self) -> None:
        """End the running backtest because this replica stopped leading (INTERRUPTED)."""
        task = self._task
        if task is None or task.done():
            return
        self._stopping = True
        try:
            self.worker.terminate()
            await asyncio.wait({task}, timeout=10)
        finally:
            self._stopping = False

    async def wait(self) -> None:
        """Wait for the running backtest, if any, to end (tests, shutdown)."""
        task = self._task
        if task is not None and not task.done():
            await asyncio.wait({task})

    async def stop(self) -> None:
        """End a running backtest (its run is marked failed, INTERRUPTED)."""
        task = self._task
        if task is None or task.done():
            return
        self._stopping = True
        self.worker.terminate()
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout=10)
        except TimeoutError:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
