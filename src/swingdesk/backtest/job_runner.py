"""Runs started from the API, one at a time, each recorded from start to result.

``JobRunner`` is what backtests and optimisations share: a request is validated into a job,
stored ``running``, and run off the event loop (a child process, through a thread); its end
is stored as done (summary, result, report) or failed (a stable code). A subclass says what a
job is: how to rebuild one from a stored run's parameters, and how to run it.

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
from typing import Any, ClassVar, Generic, TypeVar

from swingdesk.backtest.worker import Outcome
from swingdesk.domain.errors import ConflictError, SwingdeskError
from swingdesk.ports import Clock
from swingdesk.store.backtests import INTERRUPTED, RUNNING, BacktestRun, JobRuns, Retention
from swingdesk.store.job_state import JobState

log = logging.getLogger(__name__)

JobT = TypeVar("JobT")


class JobRunner(Generic[JobT]):
    """Starts jobs of one kind, one at a time, and records each run from start to result."""

    #: What runs, as messages name it ("backtest").
    what: ClassVar[str]
    #: Raised (409) when a run is asked for while another one runs.
    busy_error: ClassVar[type[ConflictError]]
    #: The ``job_state`` entry naming the run the leader started.
    current_key: ClassVar[str]

    def __init__(
        self,
        runs: JobRuns,
        clock: Clock,
        *,
        retention: Retention | None = None,
        state: JobState | None = None,
        is_leader: Callable[[], bool] | None = None,
    ) -> None:
        self.runs = runs
        self.clock = clock
        #: Applied each time a run is stored (None keeps every run).
        self.retention = retention
        #: Shared mode (several replicas): where the leader names the run it started.
        self.state = state
        self.is_leader = is_leader or (lambda: True)
        self.running: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._starting = asyncio.Lock()
        self._stopping = False
        #: Called with the run id after each run ends (tests wait on it).
        self.on_finished: Callable[[str], Awaitable[None]] | None = None

    # What a kind of job says -------------------------------------------------------------

    def job_from_doc(self, run_id: str, doc: dict[str, Any]) -> JobT:
        """Return the job a stored run's parameters describe; raise SwingdeskError when
        they no longer describe one this service can run."""
        raise NotImplementedError

    def execute(self, run_id: str, job: JobT) -> Outcome:
        """Run ``job`` to its outcome (blocking: called in a thread)."""
        raise NotImplementedError

    def terminate(self) -> None:
        """End the running job's process, if any (called from the event loop)."""
        raise NotImplementedError

    def ended(self, run_id: str) -> None:
        """Forget what was kept about ``run_id`` while it ran (its run is stored by now)."""

    # Shared --------------------------------------------------------------------------------

    async def recover(self) -> int:
        """Mark runs a stopped process left ``running`` as failed (INTERRUPTED)."""
        count = await self.runs.interrupt_running(self.clock.now())
        if count:
            log.warning("%d %s run(s) interrupted by a restart marked failed", count, self.what)
        return count

    async def submit(self, run_id: str, doc: dict[str, Any], job: JobT) -> BacktestRun:
        """Store a validated run as running and start it (here, or on the leader); 409 while
        another one runs, on any replica."""
        async with self._starting:
            if self._stopping:
                raise ConflictError(f"the service is stopping; no new {self.what} starts")
            busy = [self.running] if self.running is not None else []
            if not busy and self.state is not None:
                busy = await self.runs.running_ids()  # another replica's, or queued
            if busy:
                raise self.busy_error(
                    f"{self.what} {busy[0]} is still running; one runs at a time",
                    details={"running": busy[0]},
                )
            run = await self.runs.add(run_id, doc, self.clock.now(), retention=self.retention)
            if self.state is None or self.is_leader():
                await self._launch(run_id, job)
        return run

    async def _launch(self, run_id: str, job: JobT) -> None:
        if self.state is not None:
            # Fenced: a replica that lost the lease leaves the run to the new leader.
            await self.state.put(self.current_key, run_id, self.clock.now())
        self.running = run_id
        self._task = asyncio.create_task(self._run(run_id, job), name=f"{self.what}-{run_id}")

    async def pick_up(self) -> str | None:
        """Start the oldest waiting run (leader job); mark one a predecessor left unfinished
        INTERRUPTED. Return the run started, if any."""
        if self.running is not None or self.state is None or self._stopping:
            return None
        async with self._starting:
            current = await self.state.get(self.current_key)
            for run_id in await self.runs.running_ids():
                if run_id == current:  # started in an earlier term and never finished
                    await self._interrupted(run_id)
                    continue
                run = await self.runs.get(run_id)
                if run is None:
                    continue
                try:
                    # Checks the files and loads the strategy: not on the event loop.
                    job = await asyncio.to_thread(self.job_from_doc, run_id, run.params)
                except SwingdeskError as exc:
                    await self.runs.fail(
                        run_id, code=exc.code, message=exc.message, now=self.clock.now()
                    )
                    continue
                await self._launch(run_id, job)
                return run_id
        return None

    async def delete(self, run_id: str) -> bool:
        """Delete a finished run with its result and report; False when there is no such run."""
        status = RUNNING if run_id == self.running else await self.runs.delete(run_id)
        if status == RUNNING:
            raise self.busy_error(
                f"{self.what} {run_id} is still running; it can be deleted once it has ended",
                details={"running": run_id},
            )
        return status is not None

    async def _run(self, run_id: str, job: JobT) -> None:
        try:
            outcome = await asyncio.to_thread(self.execute, run_id, job)
            if self._stopping:
                await self._interrupted(run_id)
            else:
                await self._record(run_id, outcome)
        except asyncio.CancelledError:
            await asyncio.shield(self._interrupted(run_id))
            raise
        except Exception as exc:
            log.exception("%s %s could not be recorded", self.what, run_id)
            await self.runs.fail(
                run_id, code="INTERNAL", message=type(exc).__name__, now=self.clock.now()
            )
        finally:
            self.running = None
            self.ended(run_id)
            if self.on_finished is not None:
                await self.on_finished(run_id)

    async def _record(self, run_id: str, outcome: Outcome) -> None:
        now = self.clock.now()
        if outcome.ok:
            assert outcome.summary is not None
            assert outcome.result_json is not None
            await self.runs.finish(
                run_id, summary=outcome.summary, result_json=outcome.result_json,
                report_html=outcome.report_html or "", now=now,
            )  # fmt: skip
            log.info("%s %s done", self.what, run_id)
        else:
            await self.runs.fail(
                run_id, code=outcome.error_code or "INTERNAL",
                message=outcome.error_message or "", now=now,
            )  # fmt: skip
            log.warning("%s %s failed: %s", self.what, run_id, outcome.error_code)

    async def _interrupted(self, run_id: str) -> None:
        await self.runs.fail(
            run_id, code=INTERRUPTED,
            message=f"the service stopped before the {self.what} finished", now=self.clock.now(),
        )  # fmt: skip

    async def abandon(self) -> None:
        """End the running job because this replica stopped leading (INTERRUPTED)."""
        task = self._task
        if task is None or task.done():
            return
        self._stopping = True
        try:
            self.terminate()
            await asyncio.wait({task}, timeout=10)
        finally:
            self._stopping = False

    async def wait(self) -> None:
        """Wait for the running job, if any, to end (tests, shutdown)."""
        task = self._task
        if task is not None and not task.done():
            await asyncio.wait({task})

    async def stop(self) -> None:
        """End a running job (its run is marked failed, INTERRUPTED)."""
        task = self._task
        if task is None or task.done():
            return
        self._stopping = True
        self.terminate()
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout=10)
        except TimeoutError:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
