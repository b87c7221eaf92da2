"""Optimisations from the API: start (trade key), checks before the 202, one at a time,
progress while running, the result document and the HTML report."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from tests.fakes.api import ApiHarness, api_harness
from tests.fakes.backtest_data import write_market

from swingdesk.adapters.clock import ManualClock
from swingdesk.api.routes_runs import REPORT_CSP
from swingdesk.backtest.worker import Outcome
from swingdesk.optimize.worker import OptimizeJob, Progress

#: Two simulated tickers over two years, two folds of three trials: seconds, not minutes.
SMALL: dict[str, Any] = {
    "strategy": "rules",
    "tickers": ["AAPL", "MSFT"],
    "start": "2022-01-03",
    "end": "2023-12-29",
    "objectives": ["sharpe", "max_drawdown"],
    "trials": 4,
    "folds": 2,
    "is_ratio": 2,
    "seed": 3,
}


@pytest.fixture
async def h(tmp_path: Path, clock: ManualClock) -> AsyncIterator[ApiHarness]:
    async with api_harness(tmp_path, clock) as harness:
        yield harness


async def _finished(h: ApiHarness, run_id: str, timeout_s: float = 180) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        body: dict[str, Any] = (await h.read.get(f"/api/optimizations/{run_id}")).json()
        if body["status"] != "running":
            return body
        await asyncio.sleep(0.2)
    raise AssertionError(f"optimisation {run_id} still running after {timeout_s} s")


async def test_post_optimization_when_valid_then_202_and_later_done_with_folds_and_report(
    h: ApiHarness,
) -> None:
    r = await h.trade.post("/api/optimizations", json=SMALL)
    assert r.status_code == 202, r.text
    started = r.json()
    assert started["status"] == "running"
    assert started["report_url"] is None
    assert started["params"]["objectives"] == ["sharpe", "max_drawdown"]
    assert started["params"]["data_source"] == "simulated"
    run_id = started["run_id"]

    done = await _finished(h, run_id)
    assert done["status"] == "done", done["error"]
    assert done["progress"] == {"done": 8, "total": 8, "best": None}
    result = done["result"]
    assert [len(f["trials"]) for f in result["folds"]] == [4, 4]
    assert all(f["pareto_front"] for f in result["folds"])  # two objectives: a front
    assert set(result["folds"][0]["trials"][0]["values"]) == {"sharpe", "max_drawdown"}
    days = result["out_of_sample"]["days"]
    assert days[0]["date"] >= result["folds"][0]["out_of_sample"][0]
    assert done["summary"]["oos_sharpe"] == result["overfitting"]["out_of_sample_sharpe"]
    assert done["summary"]["recommended_params"] == result["recommended_params"]
    assert done["report_url"] == f"/api/optimizations/{run_id}/report"

    listed = (await h.read.get("/api/optimizations")).json()
    assert [i["run_id"] for i in listed["items"]] == [run_id]
    assert "result" not in listed["items"][0]
    report = await h.read.get(done["report_url"])
    assert report.status_code == 200
    assert report.headers["content-type"].startswith("text/html")
    assert report.headers["content-security-policy"] == REPORT_CSP
    assert "walk-forward out-of-sample equity" in report.text


async def test_post_optimization_when_read_key_then_403_and_without_key_401(
    h: ApiHarness,
) -> None:
    forbidden = await h.read.post("/api/optimizations", json=SMALL)
    assert forbidden.status_code == 403
    assert forbidden.json()["error"]["code"] == "FORBIDDEN"
    assert (await h.anon.post("/api/optimizations", json=SMALL)).status_code == 401
    assert (await h.anon.get("/api/optimizations")).status_code == 401
    assert (await h.read.get("/api/optimizations")).json()["total"] == 0


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"strategy": "nosuch"}, 422, "UNKNOWN_STRATEGY"),
        ({"strategy": "os:system"}, 422, "INVALID_INPUT"),  # a name, never a path
        ({"tickers": ["ZZZZ"]}, 404, "UNKNOWN_TICKER"),
        ({"tickers": ["AAPL!"]}, 422, "INVALID_TICKER"),
        ({"tickers": None}, 422, "INVALID_INPUT"),  # neither tickers nor universe
        ({"trials": 501}, 422, "INVALID_INPUT"),
        ({"trials": 0}, 422, "INVALID_INPUT"),
        ({"folds": 11}, 422, "INVALID_INPUT"),
        ({"objectives": []}, 422, "INVALID_INPUT"),
        ({"objectives": ["sharpe", "sharpe"]}, 422, "INVALID_INPUT"),
        ({"objectives": ["luck"]}, 422, "INVALID_INPUT"),
        ({"mode": "sideways"}, 422, "INVALID_INPUT"),
        ({"end": "2022-01-03"}, 422, "INVALID_INPUT"),  # not after start
        ({"start": "2001-01-02"}, 422, "DATE_OUT_OF_RANGE"),
        ({"start": "2023-09-01", "folds": 4}, 422, "INVALID_INPUT"),  # too few sessions
        (
            {"tickers": None, "universe": "all", "trials": 500, "folds": 10},
            422,
            "OPTIMIZATION_TOO_LARGE",
        ),
        ({"workers": 8}, 422, "INVALID_INPUT"),  # unknown field
    ],
)
async def test_post_optimization_when_input_is_bad_then_error_code_before_202_and_nothing_stored(
    h: ApiHarness, change: dict[str, Any], status: int, code: str
) -> None:
    body = {k: v for k, v in {**SMALL, **change}.items() if v is not None}
    r = await h.trade.post("/api/optimizations", json=body)
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code
    assert (await h.read.get("/api/optimizations")).json()["total"] == 0


class _HeldWorker:
    """A worker that reports some progress, then waits to be released and fails."""

    def __init__(self) -> None:
        self.started, self.release = threading.Event(), threading.Event()

    def run(self, job: OptimizeJob, on_progress: Callable[[Progress], None]) -> Outcome:
        on_progress(Progress(3, job.config.trials * job.config.folds, 0.75))
        self.started.set()
        assert self.release.wait(timeout=60), "never released"
        return Outcome(error_code="INVALID_INPUT", error_message="no ticker left to optimise on")

    def terminate(self) -> None:
        self.release.set()


async def test_post_optimization_when_one_is_running_then_409_with_progress_readable(
    h: ApiHarness,
) -> None:
    worker = _HeldWorker()
    h.app.state.services.optimizations.worker = worker
    first = (await h.trade.post("/api/optimizations", json=SMALL)).json()
    assert await asyncio.to_thread(worker.started.wait, 30)
    second = await h.trade.post("/api/optimizations", json=SMALL)
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "OPTIMIZATION_RUNNING"
    assert second.json()["error"]["details"] == {"running": first["run_id"]}
    running = (await h.read.get(f"/api/optimizations/{first['run_id']}")).json()
    assert running["progress"] == {"done": 3, "total": 8, "best": 0.75}
    report = await h.read.get(f"/api/optimizations/{first['run_id']}/report")
    assert report.status_code == 409
    assert report.json()["error"]["code"] == "REPORT_NOT_READY"

    worker.release.set()
    failed = await _finished(h, first["run_id"])
    assert failed["status"] == "failed"
    assert failed["error"]["code"] == "INVALID_INPUT"
    assert failed["result"] is None
    assert failed["progress"] is None


async def test_delete_optimization_when_running_then_409_and_once_ended_deleted(
    h: ApiHarness,
) -> None:
    worker = _HeldWorker()
    h.app.state.services.optimizations.worker = worker
    run_id = (await h.trade.post("/api/optimizations", json=SMALL)).json()["run_id"]
    assert await asyncio.to_thread(worker.started.wait, 30)
    running = await h.trade.delete(f"/api/optimizations/{run_id}")
    assert running.status_code == 409
    assert running.json()["error"]["code"] == "OPTIMIZATION_RUNNING"
    assert (await h.read.delete(f"/api/optimizations/{run_id}")).status_code == 403
    worker.release.set()
    assert (await _finished(h, run_id))["status"] == "failed"
    assert (await h.trade.delete(f"/api/optimizations/{run_id}")).status_code == 204
    gone = await h.read.get(f"/api/optimizations/{run_id}")
    assert gone.status_code == 404
    again = await h.trade.delete(f"/api/optimizations/{run_id}")
    assert (again.status_code, again.json()["error"]["code"]) == (404, "NOT_FOUND")


async def test_get_optimization_when_unknown_then_404_and_not_a_run_id_422(h: ApiHarness) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    for path in (f"/api/optimizations/{missing}", f"/api/optimizations/{missing}/report"):
        r = await h.read.get(path)
        assert r.status_code == 404
        assert r.json()["error"]["code"] == "NOT_FOUND"
    r = await h.read.get("/api/optimizations/nope")
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "INVALID_INPUT"


async def test_optimization_when_the_service_stops_midway_then_failed_interrupted_after_restart(
    tmp_path: Path, clock: ManualClock
) -> None:
    async with api_harness(tmp_path, clock) as h:
        started = await h.trade.post("/api/optimizations", json={**SMALL, "trials": 200})
        assert started.status_code == 202, started.text
        await asyncio.sleep(0.5)
    async with api_harness(tmp_path, clock) as h:
        run = (await h.read.get(f"/api/optimizations/{started.json()['run_id']}")).json()
        assert run["status"] == "failed"
        assert run["error"]["code"] == "INTERRUPTED"
        assert run["finished_at"] is not None


async def test_optimization_when_market_is_csv_and_no_walk_forward_then_in_sample_with_a_warning(
    tmp_path: Path, clock: ManualClock
) -> None:
    data = write_market(tmp_path / "market")
    async with api_harness(tmp_path / "desk", clock, market_provider="csv", csv_dir=data) as h:
        body = {"universe": "all", "start": "2024-03-15", "end": "2024-05-31",
                "objectives": ["sharpe"], "trials": 3, "walk_forward": False}  # fmt: skip
        r = await h.trade.post("/api/optimizations", json=body)
        assert r.status_code == 202, r.text
        assert r.json()["params"]["data_source"] == "csv"
        assert r.json()["params"]["folds"] == 1
        done = await _finished(h, r.json()["run_id"])
        assert done["status"] == "done", done["error"]
        result = done["result"]
        assert result["config"]["data_dir"] == "csv"  # the service's path is not shown
        assert [len(f["trials"]) for f in result["folds"]] == [3]
        assert "out_of_sample" not in result
        assert any("No out-of-sample test" in w for w in result["overfitting"]["warnings"])
