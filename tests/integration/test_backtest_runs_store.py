"""Backtest runs in the store, on SQLite and PostgreSQL: lifecycle, atomic result, restarts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, inspect
from tests.conftest import T0

from swingdesk.config import sync_url
from swingdesk.store import migrate
from swingdesk.store.backtests import FAILED, INTERRUPTED, BacktestRuns, Retention
from swingdesk.store.store import Store

PARAMS = {"tickers": ["AAPL"], "start": "2024-01-02", "end": "2024-03-28"}
REPORT = "<!DOCTYPE html><html><body>" + "é" * 200_000 + "</body></html>"


@pytest.fixture
async def runs(db_url: str) -> AsyncIterator[BacktestRuns]:
    migrate.upgrade(db_url)
    store = Store.from_url(db_url)
    yield BacktestRuns(store)
    await store.close()


async def test_run_when_finished_then_summary_result_and_report_stored_together(
    runs: BacktestRuns,
) -> None:
    run = await runs.add("r1", PARAMS, T0)
    assert (run.status, run.params, run.summary) == ("running", PARAMS, None)
    assert await runs.report("r1") == ("running", None)
    done_at = T0 + timedelta(seconds=20)
    ok = await runs.finish(
        "r1", summary={"total_return": 0.1}, result_json='{"a": 1}\n', report_html=REPORT,
        now=done_at,
    )  # fmt: skip
    assert ok
    got = await runs.get("r1", with_result=True)
    assert got is not None
    assert (got.status, got.summary, got.result_json) == (
        "done",
        {"total_return": 0.1},
        '{"a": 1}\n',
    )
    assert got.finished_at == done_at
    assert await runs.report("r1") == ("done", REPORT)
    light = await runs.get("r1")
    assert light is not None
    assert light.result_json is None
    # A finished run cannot be failed or finished again.
    assert not await runs.fail("r1", code="X", message="late", now=done_at)
    assert not await runs.finish("r1", summary={}, result_json="{}", report_html="", now=done_at)
    assert (await runs.report("r1")) == ("done", REPORT)


async def test_run_when_failed_then_code_kept_and_nothing_else_written(runs: BacktestRuns) -> None:
    await runs.add("r1", PARAMS, T0)
    assert await runs.fail("r1", code="INVALID_INPUT", message="no ticker left", now=T0)
    got = await runs.get("r1", with_result=True)
    assert got is not None
    assert (got.status, got.error_code, got.error_message) == (
        FAILED, "INVALID_INPUT", "no ticker left",
    )  # fmt: skip
    assert (got.summary, got.result_json) == (None, None)
    assert not await runs.finish("r1", summary={}, result_json="{}", report_html="x", now=T0)
    assert await runs.report("r1") == ("failed", None)


async def test_interrupt_running_when_runs_were_left_running_then_only_those_fail(
    runs: BacktestRuns,
) -> None:
    await runs.add("done", PARAMS, T0)
    await runs.finish("done", summary={}, result_json="{}", report_html="x", now=T0)
    await runs.add("left-1", PARAMS, T0 + timedelta(seconds=1))
    await runs.add("left-2", PARAMS, T0 + timedelta(seconds=2))
    assert await runs.interrupt_running(T0 + timedelta(hours=1)) == 2
    page, total = await runs.page(limit=10, offset=0)
    assert total == 3
    assert [(r.run_id, r.status, r.error_code) for r in page] == [
        ("left-2", "failed", INTERRUPTED),
        ("left-1", "failed", INTERRUPTED),
        ("done", "done", None),
    ]
    assert await runs.interrupt_running(T0 + timedelta(hours=2)) == 0
    assert await runs.get("nope") is None
    assert await runs.report("nope") is None


def test_migration_0003_when_downgraded_and_upgraded_then_table_goes_and_comes_back(
    db_url: str,
) -> None:
    migrate.upgrade(db_url)
    engine = create_engine(sync_url(db_url))
    try:
        assert "backtest_runs" in inspect(engine).get_table_names()
        from alembic import command

        command.downgrade(migrate.alembic_config(db_url), "0002")
        assert "backtest_runs" not in inspect(engine).get_table_names()
        assert migrate.current_revision(db_url) == "0002"
        migrate.upgrade(db_url)
        assert "backtest_runs" in inspect(engine).get_table_names()
        assert migrate.current_revision(db_url) == migrate.head_revision()
    finally:
        engine.dispose()


async def test_add_when_retention_given_then_older_finished_runs_deleted_and_running_kept(
    runs: BacktestRuns,
) -> None:
    at = T0
    await runs.add("stuck", PARAMS, at)  # still running: never deleted
    for name in ("a", "b", "c", "d"):
        at += timedelta(days=1)
        await runs.add(name, PARAMS, at)
        await runs.fail(name, code="X", message="m", now=at)
    at += timedelta(days=1)
    await runs.add("new", PARAMS, at, retention=Retention(runs=3))
    items, total = await runs.page(limit=10, offset=0)
    assert [r.run_id for r in items] == ["new", "d", "c", "stuck"]
    assert total == 4
    # By age: "c" is older than two days, "d" is not.
    at += timedelta(hours=12)
    await runs.add("newer", PARAMS, at, retention=Retention(runs=10, days=2))
    assert [r.run_id for r in (await runs.page(limit=10, offset=0))[0]] == [
        "newer", "new", "d", "stuck"
    ]  # fmt: skip


async def test_delete_when_finished_then_gone_and_when_running_then_kept(
    runs: BacktestRuns,
) -> None:
    await runs.add("done", PARAMS, T0)
    await runs.fail("done", code="X", message="m", now=T0)
    await runs.add("busy", PARAMS, T0)
    assert await runs.delete("done") == FAILED
    assert await runs.get("done") is None
    assert await runs.delete("busy") == "running"
    assert await runs.get("busy") is not None
    assert await runs.delete("nope") is None
