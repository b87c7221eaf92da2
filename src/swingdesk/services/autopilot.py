"""The autopilot: periodic jobs (watchlist scans, reconciliation) as owned asyncio tasks.

Each job is one task that sleeps its interval, checks its gate (market hours for scans),
and runs. Jobs never overlap themselves. Stopping lets a running job finish (up to a grace
period) before cancelling it, so a decision is never cut between "order stored" and "order
sent"; the autopilot opens and closes nothing by itself beyond what each decision decides.

A job marked ``leader_only`` runs only while ``is_leader()`` says this replica holds the
leader lease (``store/leadership.py``); when the lease is lost, ``demoted()`` cancels the
leader jobs running now, at once: the lease's margin exists so that they end before any
other replica may start them (a cancelled decision never reaches the broker without the
book lock's own lease check).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from swingdesk.domain.errors import DatabaseUnavailableError
from swingdesk.ports import Clock

log = logging.getLogger(__name__)


@dataclass
class Job:
    """One periodic job and what it last did."""

    name: str
    interval_s: float
    run: Callable[[], Awaitable[object]]
    gate: Callable[[], bool] | None = None
    first_after_s: float | None = None
    leader_only: bool = False
    runs: int = 0
    skipped: int = 0
    failures: int = 0
    running: bool = False
    last_started: datetime | None = None
    last_finished: datetime | None = None
    last_error: str | None = None
    cancelled: int = 0
    current: asyncio.Future[object] | None = None

    def status(self) -> dict[str, Any]:
        """Return the job's counters for the API."""
        return {
            "name": self.name,
            "interval_s": self.interval_s,
            "leader_only": self.leader_only,
            "cancelled": self.cancelled,
            "runs": self.runs,
            "skipped": self.skipped,
            "failures": self.failures,
            "running": self.running,
            "last_started": self.last_started.isoformat() if self.last_started else None,
            "last_finished": self.last_finished.isoformat() if self.last_finished else None,
            "last_error": self.last_error,
        }


class Autopilot:
    """Owns one task per job; ``start`` and ``stop`` are the only ways they begin and end."""

    def __init__(
        self,
        clock: Clock,
        *,
        grace_s: float = 30.0,
        cancel_wait_s: float = 2.0,
        is_leader: Callable[[], bool] | None = None,
    ) -> None:
        self.clock = clock
        self.is_leader = is_leader or (lambda: True)
        self.grace_s = grace_s
        self.cancel_wait_s = cancel_wait_s
        self.jobs: dict[str, Job] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._stop = asyncio.Event()
        #: When the jobs last started (None before ``start``): the first runs count from it.
        self.started_at: datetime | None = None

    def add_job(
        self,
        name: str,
        interval_s: float,
        run: Callable[[], Awaitable[object]],
        *,
        gate: Callable[[], bool] | None = None,
        first_after_s: float | None = None,
        leader_only: bool = False,
    ) -> Job:
        """Register a job; it first runs ``first_after_s`` (default: one interval) after start.

        A ``leader_only`` job runs only while this replica leads (skipped otherwise).
        """
        if interval_s <= 0:
            raise ValueError(f"interval must be positive, got {interval_s}")
        if self._tasks:
            raise RuntimeError("add jobs before the autopilot starts")
        job = Job(name, interval_s, run, gate, first_after_s, leader_only)
        self.jobs[name] = job
        return job

    @property
    def running(self) -> bool:
        """Say whether the job tasks are alive."""
        return any(not t.done() for t in self._tasks)

    def start(self) -> None:
        """Start every job's task (idempotent)."""
        if self._tasks:
            return
        self._stop.clear()
        self.started_at = self.clock.now()
        self._tasks = [
            asyncio.create_task(self._loop(job), name=f"autopilot:{job.name}")
            for job in self.jobs.values()
        ]
        log.info("autopilot started: %s", ", ".join(self.jobs) or "no jobs")

    async def stop(self) -> None:
        """Stop scheduling, let running jobs finish within the grace period, then cancel."""
        self._stop.set()
        tasks, self._tasks = self._tasks, []
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=self.grace_s)
        for task in pending:
            task.cancel()
        if pending:
            # Bounded: a job cancelled inside a database wait may take a while to unwind.
            _, stuck = await asyncio.wait(pending, timeout=self.cancel_wait_s)
            if stuck:
                log.warning("autopilot: %d job(s) still unwinding; not waiting", len(stuck))
        log.info("autopilot stopped")

    async def run_now(self, name: str) -> None:
        """Run one job once, now (tests and on-demand use); skips if it is already running."""
        await self._run(self.jobs[name])

    async def _loop(self, job: Job) -> None:
        wait_s = job.interval_s if job.first_after_s is None else job.first_after_s
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=wait_s)
            wait_s = job.interval_s
            if self._stop.is_set():
                return
            await self._run(job)

    def next_run(self, job: Job) -> datetime | None:
        """Return when ``job`` is due next (None while stopped): one interval after its last
        run ended, or its first delay after the start; a gate may still skip that run."""
        if not self.running or self.started_at is None:
            return None
        if job.running:
            return self.clock.now()
        if job.last_finished is not None:
            return job.last_finished + timedelta(seconds=job.interval_s)
        first = job.interval_s if job.first_after_s is None else job.first_after_s
        return self.started_at + timedelta(seconds=first)

    def demoted(self) -> None:
        """Cancel every leader-only job running now (this replica lost the lease)."""
        for job in self.jobs.values():
            if job.leader_only and job.current is not None and not job.current.done():
                job.current.cancel()
                job.cancelled += 1
                log.warning("autopilot: leader job %s cancelled (lease lost)", job.name)

    async def _run(self, job: Job) -> None:
        if job.running:
            job.skipped += 1
            return
        if job.leader_only and not self.is_leader():
            job.skipped += 1
            return
        try:
            if job.gate is not None and not job.gate():
                job.skipped += 1
                return
        except Exception:
            log.exception("autopilot job %s: its gate failed", job.name)
            job.skipped += 1
            return
        job.running, job.last_started = True, self.clock.now()
        job.current = asyncio.ensure_future(job.run())
        try:
            await job.current
            job.runs += 1
            job.last_error = None
        except asyncio.CancelledError:
            # Cancelled by demoted() (this loop goes on) or by stop() (the loop ends too).
            job.last_error = "cancelled"
            me = asyncio.current_task()
            if me is not None and me.cancelling():
                raise
        except Exception as exc:
            job.failures += 1
            job.last_error = f"{type(exc).__name__}: {exc}"
            if not isinstance(exc, DatabaseUnavailableError):  # an outage is logged once
                log.exception("autopilot job %s failed", job.name)
        finally:
            job.running, job.last_finished, job.current = False, self.clock.now(), None

    def status(self) -> dict[str, Any]:
        """Return whether the autopilot runs and each job's counters."""
        return {"running": self.running, "jobs": [j.status() for j in self.jobs.values()]}
