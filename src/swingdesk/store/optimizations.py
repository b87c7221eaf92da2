"""Optimisation runs started from the API: one row per run, as ``backtest_runs`` keeps backtests.

A run is inserted ``running``; it ends ``done`` (summary, result document and report in one
transaction) or ``failed`` (a stable code and a message). A run whose process stopped before
it ended is marked failed ``INTERRUPTED`` at the next start-up.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import undefer

from swingdesk.store import tables
from swingdesk.store.backtests import DONE, FAILED, INTERRUPTED, RUNNING, BacktestRun
from swingdesk.store.store import Store

_R = tables.OptimizationRunRow


_run = BacktestRun.from_row


class OptimizationRuns:
    """Reads and writes of the ``optimization_runs`` table."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def add(self, run_id: str, params: dict[str, Any], now: datetime) -> BacktestRun:
        """Store a new run as running."""
        row = _R(
            run_id=run_id,
            status=RUNNING,
            created_at=now,
            finished_at=None,
            params=json.dumps(params, sort_keys=True),
        )
        async with self.store.tx() as tx:
            tx.session.add(row)
        return _run(row)

    async def finish(
        self, run_id: str, *, summary: dict[str, Any], result_json: str, report_html: str,
        now: datetime,
    ) -> bool:  # fmt: skip
        """Store a running run's result in one transaction; False if it was not running."""
        async with self.store.tx() as tx:
            result = await tx.session.execute(
                update(_R)
                .where(_R.run_id == run_id, _R.status == RUNNING)
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
        async with self.store.tx() as tx:
            result = await tx.session.execute(
                update(_R)
                .where(_R.run_id == run_id, _R.status == RUNNING)
                .values(status=FAILED, finished_at=now, error_code=code, error_message=message)
            )
            return bool(getattr(result, "rowcount", 0))

    async def interrupt_running(self, now: datetime) -> int:
        """Mark every run still ``running`` failed (its process is gone); return how many."""
        async with self.store.tx() as tx:
            result = await tx.session.execute(
                update(_R)
                .where(_R.status == RUNNING)
                .values(
                    status=FAILED,
                    finished_at=now,
                    error_code=INTERRUPTED,
                    error_message="the service stopped before the optimisation finished",
                )
            )
            return int(getattr(result, "rowcount", 0) or 0)

    async def page(self, *, limit: int, offset: int) -> tuple[list[BacktestRun], int]:
        """Return runs newest first (without results) and how many there are in all."""
        async with self.store.read() as s:
            q = (
                select(_R)
                .order_by(_R.created_at.desc(), _R.run_id.desc())
                .limit(limit)
                .offset(offset)
            )
            rows = (await s.scalars(q)).all()
            total = await s.scalar(select(func.count()).select_from(_R))
        return [_run(r) for r in rows], int(total or 0)

    async def get(self, run_id: str, *, with_result: bool = False) -> BacktestRun | None:
        """Return one run, with its result document when asked and done."""
        async with self.store.read() as s:
            q = select(_R).where(_R.run_id == run_id)
            if with_result:
                q = q.options(undefer(_R.result_json))
            row = await s.scalar(q)
        return None if row is None else _run(row, with_result=with_result)

    async def report(self, run_id: str) -> tuple[str, str | None] | None:
        """Return (status, HTML report or None) of a run, None when there is no such run."""
        async with self.store.read() as s:
            q = select(_R.status, _R.report_html).where(_R.run_id == run_id)
            found = (await s.execute(q)).first()
        return None if found is None else (found[0], found[1])
