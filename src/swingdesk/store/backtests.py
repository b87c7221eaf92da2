"""Runs started from the API (backtests, optimisations): one row per run, written through the
Store's units of work; ``JobRuns`` serves both tables, which have the same columns.

A run is inserted ``running``; it ends ``done`` (summary, result document and report
written in one transaction) or ``failed`` (a stable code and a message). A run whose
process stopped before it ended is marked failed ``INTERRUPTED`` at the next start-up.
Storing a run applies the retention (``Retention``) in the same transaction; a finished run
can also be deleted on its own. A running run is never deleted.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer
from sqlalchemy.sql.elements import ColumnElement

from swingdesk.store import tables
from swingdesk.store.store import Store

log = logging.getLogger(__name__)
RUNNING, DONE, FAILED = "running", "done", "failed"
INTERRUPTED = "INTERRUPTED"


@dataclass(frozen=True)
class Retention:
    """Which finished runs to keep: the newest ``runs``, and (unless 0) those under ``days``."""

    runs: int
    days: int = 0


@dataclass(frozen=True)
class BacktestRun:
    """One stored run, without its (large) result unless asked for."""

    run_id: str
    status: str
    created_at: datetime
    finished_at: datetime | None
    params: dict[str, Any]
    summary: dict[str, Any] | None
    error_code: str | None
    error_message: str | None
    result_json: str | None = None

    @classmethod
    def from_row(
        cls,
        row: tables.RunColumns,
        *,
        with_result: bool = False,
    ) -> BacktestRun:
        """Return the run a row holds (a backtest's or an optimisation's)."""
        return cls(
            run_id=row.run_id,
            status=row.status,
            created_at=row.created_at,
            finished_at=row.finished_at,
            params=json.loads(row.params),
            summary=None if row.summary is None else json.loads(row.summary),
            error_code=row.error_code,
            error_message=row.error_message,
            result_json=row.result_json if with_result else None,
        )


class JobRuns:
    """Reads and writes of one table of runs (``table``), each run a ``what`` ("backtest")."""

    table: type[tables.RunColumns]
    what: str

    def __init__(self, store: Store) -> None:
        self.store = store

    async def add(
        self,
        run_id: str,
        params: dict[str, Any],
        now: datetime,
        *,
        retention: Retention | None = None,
    ) -> BacktestRun:
        """Store a new run as running; then delete the finished runs ``retention`` drops."""
        row = self.table()
        row.run_id, row.status, row.created_at = run_id, RUNNING, now
        row.finished_at, row.params = None, json.dumps(params, sort_keys=True)
        async with self.store.tx() as tx:
            tx.session.add(row)
            if retention is not None:
                await tx.session.flush()  # the new run counts among the newest
                await self._prune(tx.session, retention, now)
        return BacktestRun.from_row(row)

    async def _prune(self, session: AsyncSession, keep: Retention, now: datetime) -> None:
        r = self.table
        newest = select(r.run_id).order_by(r.created_at.desc(), r.run_id.desc()).limit(keep.runs)
        dropped: ColumnElement[bool] = r.run_id.not_in(newest)
        if keep.days > 0:
            dropped = or_(dropped, r.created_at < now - timedelta(days=keep.days))
        result = await session.execute(delete(r).where(r.status != RUNNING, dropped))
        count = int(getattr(result, "rowcount", 0) or 0)
        if count:
            log.info("%s retention deleted %d finished run(s)", self.what, count)

    async def delete(self, run_id: str) -> str | None:
        """Delete a finished run; return its status (``running``: not deleted), None if none."""
        r = self.table
        async with self.store.tx() as tx:
            status = await tx.session.scalar(select(r.status).where(r.run_id == run_id))
            if status is not None and status != RUNNING:
                await tx.session.execute(delete(r).where(r.run_id == run_id, r.status != RUNNING))
        return status

    async def finish(
        self,
        run_id: str,
        *,
        summary: dict[str, Any],
        result_json: str,
        report_html: str,
        now: datetime,
    ) -> bool:
        """Store a running run's result, all of it in one transaction; False if not running."""
        r = self.table
        async with self.store.tx() as tx:
            result = await tx.session.execute(
                update(r)
                .where(r.run_id == run_id, r.status == RUNNING)
                .values(
                    status=DONE,
                    finished_at=now,
                    summary=json.dumps(summary, sort_keys=True),
                    result_json=result_json,
                    report_html=report_html,
                )
            )
            return bool(getattr(result, "rowcount", 0))

    async def fail(self, run_id: str, *, code: str, message: str, now: datetime) -> bool:
        """Mark a running run failed with a stable code; False if it was not running."""
        r = self.table
        async with self.store.tx() as tx:
            result = await tx.session.execute(
                update(r)
                .where(r.run_id == run_id, r.status == RUNNING)
                .values(status=FAILED, finished_at=now, error_code=code, error_message=message)
            )
            return bool(getattr(result, "rowcount", 0))

    async def running_ids(self) -> list[str]:
        """Return the runs still ``running`` (started or waiting for the leader), oldest first."""
        r = self.table
        async with self.store.read() as s:
            q = select(r.run_id).where(r.status == RUNNING).order_by(r.created_at, r.run_id)
            return list((await s.scalars(q)).all())

    async def interrupt_running(self, now: datetime) -> int:
        """Mark every run still ``running`` failed (its process is gone); return how many."""
        async with self.store.tx() as tx:
            result = await tx.session.execute(
                update(self.table)
                .where(self.table.status == RUNNING)
                .values(
                    status=FAILED,
                    finished_at=now,
                    error_code=INTERRUPTED,
                    error_message=f"the service stopped before the {self.what} finished",
                )
            )
            return int(getattr(result, "rowcount", 0) or 0)

    async def page(self, *, limit: int, offset: int) -> tuple[list[BacktestRun], int]:
        """Return runs newest first (without results) and how many there are in all."""
        r = self.table
        async with self.store.read() as s:
            q = select(r).order_by(r.created_at.desc(), r.run_id.desc()).limit(limit).offset(offset)
            rows = (await s.scalars(q)).all()
            total = await s.scalar(select(func.count()).select_from(r))
        return [BacktestRun.from_row(row) for row in rows], int(total or 0)

    async def get(self, run_id: str, *, with_result: bool = False) -> BacktestRun | None:
        """Return one run, with its result document when asked and done."""
        r = self.table
        async with self.store.read() as s:
            q = select(r).where(r.run_id == run_id)
            if with_result:
                q = q.options(undefer(r.result_json))
            row = await s.scalar(q)
        return None if row is None else BacktestRun.from_row(row, with_result=with_result)

    async def report(self, run_id: str) -> tuple[str, str | None] | None:
        """Return (status, HTML report or None) of a run, None when there is no such run."""
        r = self.table
        async with self.store.read() as s:
            q = select(r.status, r.report_html).where(r.run_id == run_id)
            found = (await s.execute(q)).first()
        return None if found is None else (found[0], found[1])


class BacktestRuns(JobRuns):
    """The ``backtest_runs`` table."""

    table = tables.BacktestRunRow
    what = "backtest"
