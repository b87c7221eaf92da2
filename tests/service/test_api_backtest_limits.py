"""Backtests from the API, bounded: dates within the data, stored runs kept or deleted."""

from __future__ import annotations

import threading
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from tests.fakes.api import ApiHarness, api_harness
from tests.fakes.backtest_data import write_market

from swingdesk.adapters.clock import ManualClock
from swingdesk.backtest.result import BacktestParams
from swingdesk.backtest.worker import Outcome
from swingdesk.store.backtests import BacktestRuns

#: Simulated data; the clock's today is 2026-11-24.
SMALL: dict[str, Any] = {"tickers": ["AAPL", "MSFT"], "start": "2024-01-02", "end": "2024-03-28"}
PARAMS: dict[str, Any] = {
    "tickers": ["AAPL"], "universe": None, "start": "2024-01-02", "end": "2024-03-28",
    "strategy": "rules", "initial_cash": "100000", "slippage_bps": "5", "commission": "0",
    "seed": 42, "data_source": "simulated",
}  # fmt: skip


class _Worker:
    """Ends every run at once with a failure, or holds it until released."""

    def __init__(self, *, hold: bool = False) -> None:
        self.started, self.release = threading.Event(), threading.Event()
        if not hold:
            self.release.set()

    def run(self, params: BacktestParams) -> Outcome:
        self.started.set()
        assert self.release.wait(timeout=60), "never released"
        return Outcome(error_code="NOT_RUN", error_message="a test worker")

    def terminate(self) -> None:
        self.release.set()


@pytest.fixture
async def h(tmp_path: Path, clock: ManualClock) -> AsyncIterator[ApiHarness]:
    async with api_harness(tmp_path, clock) as harness:
        harness.app.state.services.backtests.worker = _Worker()
        yield harness


async def _ids(h: ApiHarness) -> list[str]:
    return [r["run_id"] for r in (await h.read.get("/api/backtests")).json()["items"]]


def rid(name: str) -> str:
    """Return the run id a test names ``name`` (run ids are UUIDs)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, name))


async def _finished_runs(runs: BacktestRuns, clock: ManualClock, names: list[str]) -> None:
    for name in names:
        await runs.add(rid(name), PARAMS, clock.now())
        await runs.fail(rid(name), code="X", message="m", now=clock.now())
        clock.advance(1)


@pytest.mark.parametrize(
    "change",
    [
        {"end": "9999-12-31"},
        {"start": "2019-01-02", "end": "2250-12-31"},
        {"start": "2015-01-02", "end": "2015-06-30"},  # before the simulated market begins
        {"start": "2026-12-01", "end": "2027-01-15"},  # more than a month past today
    ],
)
async def test_post_backtest_when_simulated_dates_out_of_bounds_then_422_and_nothing_stored(
    h: ApiHarness, change: dict[str, Any]
) -> None:
    r = await h.trade.post("/api/backtests", json={**SMALL, **change})
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "DATE_OUT_OF_RANGE"
    assert error["details"] == {"earliest": "2019-01-02", "latest": "2026-12-25", "max_years": 10}
    assert await _ids(h) == []


async def test_post_backtest_when_csv_dates_beyond_the_data_then_422_naming_its_sessions(
    tmp_path: Path, clock: ManualClock
) -> None:
    data = write_market(tmp_path / "market")  # 2024-01-02 .. 2024-05-31
    async with api_harness(tmp_path / "desk", clock, market_provider="csv", csv_dir=data) as h:
        for start, end in [
            ("2023-12-01", "2024-03-28"),
            ("2024-03-01", "2024-06-28"),
            ("2024-03-01", "9999-12-31"),
        ]:
            body = {"universe": "all", "start": start, "end": end}
            r = await h.trade.post("/api/backtests", json=body)
            assert r.status_code == 422, r.text
            error = r.json()["error"]
            assert error["code"] == "DATE_OUT_OF_RANGE"
            assert error["details"] == {"earliest": "2024-01-02", "latest": "2024-05-31"}
        assert await _ids(h) == []


async def test_post_backtest_when_more_runs_than_kept_then_the_oldest_finished_are_deleted(
    tmp_path: Path, clock: ManualClock
) -> None:
    async with api_harness(tmp_path, clock, backtest_retention_runs=3) as h:
        h.app.state.services.backtests.worker = _Worker()
        runs = BacktestRuns(h.desk.store)
        await runs.add(rid("stuck"), PARAMS, clock.now())  # running (not this service's): kept
        clock.advance(1)
        await _finished_runs(runs, clock, ["run-0", "run-1", "run-2", "run-3"])
        r = await h.trade.post("/api/backtests", json=SMALL)
        assert r.status_code == 202
        await h.app.state.services.backtests.wait()
        # The newest three are kept; of the older ones, every finished run is deleted.
        assert await _ids(h) == [r.json()["run_id"], rid("run-3"), rid("run-2"), rid("stuck")]


async def test_post_backtest_when_finished_runs_are_older_than_kept_then_deleted(
    tmp_path: Path, clock: ManualClock
) -> None:
    async with api_harness(tmp_path, clock, backtest_retention_days=7) as h:
        h.app.state.services.backtests.worker = _Worker()
        runs = BacktestRuns(h.desk.store)
        await _finished_runs(runs, clock, ["old"])
        clock.advance(7 * 86_400)
        await _finished_runs(runs, clock, ["recent"])
        r = await h.trade.post("/api/backtests", json=SMALL)
        await h.app.state.services.backtests.wait()
        assert await _ids(h) == [r.json()["run_id"], rid("recent")]


async def test_delete_backtest_when_finished_then_204_and_gone_with_its_report(
    h: ApiHarness, clock: ManualClock
) -> None:
    await _finished_runs(BacktestRuns(h.desk.store), clock, ["a", "b"])
    r = await h.trade.delete(f"/api/backtests/{rid('a')}")
    assert r.status_code == 204
    assert r.content == b""
    for path in (f"/api/backtests/{rid('a')}", f"/api/backtests/{rid('a')}/report"):
        gone = await h.read.get(path)
        assert gone.status_code == 404
        assert gone.json()["error"]["code"] == "NOT_FOUND"
    assert await _ids(h) == [rid("b")]


async def test_delete_backtest_when_unknown_then_404_with_the_error_shape(h: ApiHarness) -> None:
    r = await h.trade.delete(f"/api/backtests/{rid('nope')}")
    assert r.status_code == 404
    assert r.json() == {
        "error": {"code": "NOT_FOUND", "message": f"no backtest run {rid('nope')!r}"}
    }
    assert (await h.trade.delete("/api/backtests/nope")).status_code == 422  # not a run id


async def test_delete_backtest_when_running_then_409_and_kept(h: ApiHarness) -> None:
    worker = _Worker(hold=True)
    h.app.state.services.backtests.worker = worker
    run_id = (await h.trade.post("/api/backtests", json=SMALL)).json()["run_id"]
    r = await h.trade.delete(f"/api/backtests/{run_id}")
    assert r.status_code == 409
    error = r.json()["error"]
    assert error["code"] == "BACKTEST_RUNNING"
    assert error["details"] == {"running": run_id}
    worker.release.set()
    await h.app.state.services.backtests.wait()
    assert (await h.trade.delete(f"/api/backtests/{run_id}")).status_code == 204


async def test_delete_backtest_when_read_key_then_403_and_without_key_401(
    h: ApiHarness, clock: ManualClock
) -> None:
    await _finished_runs(BacktestRuns(h.desk.store), clock, ["a"])
    forbidden = await h.read.delete(f"/api/backtests/{rid('a')}")
    assert forbidden.status_code == 403
    assert forbidden.json()["error"]["code"] == "FORBIDDEN"
    assert (await h.anon.delete(f"/api/backtests/{rid('a')}")).status_code == 401
    assert await _ids(h) == [rid("a")]
