"""Backtests from the API: start (trade key), list, read, report; errors, limits, restarts."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from tests.fakes.api import ApiHarness, api_harness
from tests.fakes.backtest_data import write_market

from swingdesk.adapters.clock import ManualClock
from swingdesk.api.routes_runs import REPORT_CSP
from swingdesk.backtest.result import BacktestParams
from swingdesk.backtest.worker import Outcome, run_here
from swingdesk.store.backtests import BacktestRuns

#: Two simulated tickers over one quarter: a few seconds, process start-up included.
SMALL: dict[str, Any] = {
    "tickers": ["AAPL", "MSFT"],
    "start": "2024-01-02",
    "end": "2024-03-28",
    "strategy": "rules",
    "initial_cash": "50000",
}

#: Stored parameters of a run made up by a test.
PARAMS: dict[str, Any] = {
    "tickers": ["AAPL"], "universe": None, "start": "2024-01-02", "end": "2024-03-28",
    "strategy": "rules", "initial_cash": "100000", "slippage_bps": "5", "commission": "0",
    "seed": 42, "data_source": "simulated",
}  # fmt: skip


@pytest.fixture
async def h(tmp_path: Path, clock: ManualClock) -> AsyncIterator[ApiHarness]:
    async with api_harness(tmp_path, clock) as harness:
        yield harness


async def _finished(h: ApiHarness, run_id: str, timeout_s: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        body: dict[str, Any] = (await h.read.get(f"/api/backtests/{run_id}")).json()
        if body["status"] != "running":
            return body
        await asyncio.sleep(0.1)
    raise AssertionError(f"backtest {run_id} still running after {timeout_s} s")


async def test_post_backtest_when_valid_then_202_running_and_later_done_with_report(
    h: ApiHarness,
) -> None:
    r = await h.trade.post("/api/backtests", json=SMALL)
    assert r.status_code == 202, r.text
    started = r.json()
    assert started["status"] == "running"
    assert started["report_url"] is None
    assert started["params"] == {
        "tickers": ["AAPL", "MSFT"], "universe": None, "start": "2024-01-02",
        "end": "2024-03-28", "strategy": "rules", "initial_cash": "50000",
        "slippage_bps": "5", "commission": "0", "seed": 42, "data_source": "simulated",
    }  # fmt: skip
    run_id = started["run_id"]

    done = await _finished(h, run_id)
    assert done["status"] == "done", done["error"]
    assert done["error"] is None
    summary, result = done["summary"], done["result"]
    assert summary["total_return"] == result["metrics"]["total_return"]
    assert summary["sharpe"] == result["metrics"]["sharpe"]
    assert summary["trades"] == len(result["trades"])
    assert summary["benchmark_total_return"] == result["benchmark"]["metrics"]["total_return"]
    assert summary["tickers"] == 2
    assert result["params"]["tickers"] == ["AAPL", "MSFT"]
    assert result["params"]["initial_cash"] == "50000"
    assert result["data_source"] == "simulated"
    assert done["report_url"] == f"/api/backtests/{run_id}/report"

    listed = (await h.read.get("/api/backtests")).json()
    assert listed["total"] == 1
    assert listed["items"][0]["run_id"] == run_id
    assert listed["items"][0]["summary"] == summary
    assert "result" not in listed["items"][0]

    report = await h.read.get(done["report_url"])
    assert report.status_code == 200
    assert report.headers["content-type"] == "text/html; charset=utf-8"
    assert report.headers.get_list("content-security-policy") == [REPORT_CSP]
    assert report.headers.get_list("x-content-type-options") == ["nosniff"]
    assert "<script" not in report.text.lower()
    cell = f'data-key="total_return" data-value="{summary["total_return"]}"'
    assert cell in report.text


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/backtests"), ("GET", "/api/backtests/x"), ("GET", "/api/backtests/x/report")],
)
async def test_backtest_reads_when_no_key_then_401(h: ApiHarness, method: str, path: str) -> None:
    r = await h.anon.request(method, path)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "UNAUTHORIZED"


async def test_post_backtest_when_read_key_then_403_and_without_key_401(h: ApiHarness) -> None:
    forbidden = await h.read.post("/api/backtests", json=SMALL)
    assert forbidden.status_code == 403
    assert forbidden.json()["error"]["code"] == "FORBIDDEN"
    assert (await h.anon.post("/api/backtests", json=SMALL)).status_code == 401
    assert (await h.read.get("/api/backtests")).json()["total"] == 0


async def test_post_backtest_when_a_ticker_is_unknown_then_404_and_nothing_stored(
    h: ApiHarness,
) -> None:
    r = await h.trade.post("/api/backtests", json={**SMALL, "tickers": ["ZZZZ"]})
    assert r.status_code == 404, r.text
    assert r.json()["error"]["code"] == "UNKNOWN_TICKER"
    assert (await h.read.get("/api/backtests")).json()["total"] == 0


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"initial_cash": "1e5"}, "INVALID_INPUT"),  # the schema's decimal form only
        ({"initial_cash": " 5"}, "INVALID_INPUT"),
        ({"initial_cash": True}, "INVALID_INPUT"),
        ({"seed": "7"}, "INVALID_INPUT"),
        ({"start": 1_700_000_000}, "INVALID_INPUT"),  # seconds are not a date in JSON
    ],
)
async def test_post_backtest_when_a_value_is_outside_the_schema_then_422(
    h: ApiHarness, change: dict[str, Any], code: str
) -> None:
    r = await h.trade.post("/api/backtests", json={**SMALL, **change})
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == code


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"tickers": ["AAPL!"]}, "INVALID_TICKER"),
        ({"tickers": []}, "INVALID_INPUT"),
        ({"tickers": "AAPL"}, "INVALID_INPUT"),
        ({"tickers": None}, "INVALID_INPUT"),  # neither tickers nor universe
        ({"universe": "all"}, "INVALID_INPUT"),  # both
        ({"tickers": None, "universe": "some"}, "INVALID_INPUT"),
        ({"start": "2024-13-01"}, "INVALID_INPUT"),
        ({"end": "2023-12-29"}, "INVALID_INPUT"),  # before start
        ({"start": None}, "INVALID_INPUT"),
        ({"strategy": "llm-replay"}, "INVALID_INPUT"),
        ({"initial_cash": "0"}, "INVALID_INPUT"),
        ({"initial_cash": "-5"}, "INVALID_INPUT"),
        ({"initial_cash": "NaN"}, "INVALID_INPUT"),
        ({"initial_cash": "lots"}, "INVALID_INPUT"),
        ({"slippage_bps": -1}, "INVALID_INPUT"),
        ({"commission": "Infinity"}, "INVALID_INPUT"),
        ({"seed": -1}, "INVALID_INPUT"),
        ({"engine": "pipeline"}, "INVALID_INPUT"),  # unknown field
    ],
)
async def test_post_backtest_when_input_is_bad_then_422_with_stable_code_and_nothing_stored(
    h: ApiHarness, change: dict[str, Any], code: str
) -> None:
    body = {k: v for k, v in {**SMALL, **change}.items() if v is not None}
    r = await h.trade.post("/api/backtests", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == code
    assert (await h.read.get("/api/backtests")).json()["total"] == 0


async def test_post_backtest_when_body_is_not_json_then_422(h: ApiHarness) -> None:
    r = await h.trade.post(
        "/api/backtests", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "INVALID_INPUT"


async def test_post_backtest_when_one_is_running_then_409_and_report_not_ready(
    h: ApiHarness,
) -> None:
    first = (await h.trade.post("/api/backtests", json=SMALL)).json()
    second = await h.trade.post("/api/backtests", json=SMALL)
    assert second.status_code == 409
    error = second.json()["error"]
    assert error["code"] == "BACKTEST_RUNNING"
    assert error["details"] == {"running": first["run_id"]}
    report = await h.read.get(f"/api/backtests/{first['run_id']}/report")
    assert report.status_code == 409
    assert report.json()["error"]["code"] == "REPORT_NOT_READY"
    assert (await _finished(h, first["run_id"]))["status"] == "done"
    # Once it has ended, the next one starts.
    third = await h.trade.post("/api/backtests", json=SMALL)
    assert third.status_code == 202
    await _finished(h, third.json()["run_id"])


async def test_get_backtest_when_unknown_then_404_and_not_a_run_id_422(h: ApiHarness) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    for path in (f"/api/backtests/{missing}", f"/api/backtests/{missing}/report"):
        r = await h.read.get(path)
        assert r.status_code == 404
        assert r.json()["error"]["code"] == "NOT_FOUND"
    for path in ("/api/backtests/nope", "/api/backtests/nope/report"):
        r = await h.read.get(path)  # run ids are UUIDs, as the schema says
        assert r.status_code == 422
        assert r.json()["error"]["code"] == "INVALID_INPUT"


async def test_backtest_when_it_fails_after_starting_then_failed_with_code_and_no_report(
    tmp_path: Path, clock: ManualClock
) -> None:
    # Inside the data, but no ticker has 51 bars by the end: accepted, then failed with why.
    data = write_market(tmp_path / "market")
    async with api_harness(tmp_path / "desk", clock, market_provider="csv", csv_dir=data) as h:
        body = {"tickers": ["UPCO"], "start": "2024-01-16", "end": "2024-01-31"}
        r = await h.trade.post("/api/backtests", json=body)
        assert r.status_code == 202, r.text
        failed = await _finished(h, r.json()["run_id"])
        assert failed["status"] == "failed"
        assert failed["error"]["code"] == "INVALID_INPUT"
        assert "no ticker left to backtest" in failed["error"]["message"]
        assert failed["summary"] is None
        assert failed["result"] is None
        assert failed["report_url"] is None
        report = await h.read.get(f"/api/backtests/{failed['run_id']}/report")
        assert report.json()["error"]["code"] == "REPORT_NOT_READY"


class _HeldWorker:
    """A worker that runs the real backtest in this process, but only once released."""

    def __init__(self) -> None:
        self.started, self.release = threading.Event(), threading.Event()
        self.thread: int | None = None

    def run(self, params: BacktestParams) -> Outcome:
        self.thread = threading.get_ident()
        self.started.set()
        assert self.release.wait(timeout=120), "never released"
        return run_here(params)

    def terminate(self) -> None:
        self.release.set()


async def test_health_when_a_backtest_runs_then_answers_while_it_runs(h: ApiHarness) -> None:
    # The run blocks until released: had the service run it on its event loop, no request
    # could be answered until then, and this test would hang instead of pass.
    worker = _HeldWorker()
    h.app.state.services.backtests.worker = worker
    run_id = (await h.trade.post("/api/backtests", json=SMALL)).json()["run_id"]
    await asyncio.to_thread(worker.started.wait, 60)
    for _ in range(5):
        assert (await h.anon.get("/health")).status_code == 200
        running = (await h.read.get(f"/api/backtests/{run_id}")).json()
        assert running["status"] == "running"
    assert worker.thread != threading.get_ident()  # off the event loop's thread
    worker.release.set()
    done = await _finished(h, run_id)
    assert done["status"] == "done"
    assert done["summary"]["tickers"] == 2


async def test_backtest_when_the_service_stops_midway_then_failed_interrupted_after_restart(
    tmp_path: Path, clock: ManualClock
) -> None:
    body = {**SMALL, "tickers": None, "universe": "all", "start": "2021-01-04"}
    async with api_harness(tmp_path, clock) as h:
        run_id = (await h.trade.post("/api/backtests", json=body)).json()["run_id"]
        await asyncio.sleep(0.5)
    async with api_harness(tmp_path, clock) as h:
        run = (await h.read.get(f"/api/backtests/{run_id}")).json()
        assert run["status"] == "failed"
        assert run["error"]["code"] == "INTERRUPTED"
        assert run["finished_at"] is not None


async def test_backtest_when_a_process_died_with_a_run_in_flight_then_failed_at_next_start(
    tmp_path: Path, clock: ManualClock
) -> None:
    async with api_harness(tmp_path, clock) as h:
        # What a killed process leaves behind: a row still "running", nothing else.
        await BacktestRuns(h.desk.store).add("crashed-run", PARAMS, clock.now())
    clock.advance(300)
    async with api_harness(tmp_path, clock) as h:
        listed = (await h.read.get("/api/backtests")).json()["items"]
        assert [(r["run_id"], r["status"]) for r in listed] == [("crashed-run", "failed")]
        assert listed[0]["error"]["code"] == "INTERRUPTED"
        # A new run can start: the interrupted one no longer counts as running.
        started = await h.trade.post("/api/backtests", json=SMALL)
        assert started.status_code == 202
        await _finished(h, started.json()["run_id"])


async def test_backtest_when_market_is_csv_then_runs_on_its_directory_and_refuses_a_seed(
    tmp_path: Path, clock: ManualClock
) -> None:
    data = write_market(tmp_path / "market")
    async with api_harness(tmp_path / "desk", clock, market_provider="csv", csv_dir=data) as h:
        body = {"universe": "all", "start": "2024-03-15", "end": "2024-05-31"}
        seeded = await h.trade.post("/api/backtests", json={**body, "seed": 7})
        assert seeded.status_code == 422
        assert seeded.json()["error"]["code"] == "INVALID_INPUT"
        unknown = await h.trade.post("/api/backtests", json={**body, "universe": None,
                                                            "tickers": ["AAPL"]})  # fmt: skip
        assert unknown.json()["error"]["code"] in ("INVALID_INPUT", "UNKNOWN_TICKER")
        r = await h.trade.post("/api/backtests", json=body)
        assert r.status_code == 202, r.text
        assert r.json()["params"]["data_source"] == "csv"
        assert r.json()["params"]["seed"] is None
        done = await _finished(h, r.json()["run_id"])
        assert done["status"] == "done", done["error"]
        assert done["result"]["data_source"] == "csv"
        assert sorted(done["result"]["params"]["tickers"]) == ["DOWN", "FLAT", "UPCO"]


async def test_list_backtests_when_several_then_newest_first_and_paged(
    tmp_path: Path, clock: ManualClock
) -> None:
    async with api_harness(tmp_path, clock) as h:
        runs = BacktestRuns(h.desk.store)
        ids = [f"00000000-0000-4000-8000-00000000000{i}" for i in range(3)]
        for run_id in ids:
            await runs.add(run_id, PARAMS, clock.now())
            await runs.fail(run_id, code="X", message="m", now=clock.now())
            clock.advance(1)
        page = (await h.read.get("/api/backtests", params={"limit": 2})).json()
        assert [r["run_id"] for r in page["items"]] == [ids[2], ids[1]]
        assert (page["total"], page["next_offset"]) == (3, 2)
        rest = (await h.read.get("/api/backtests", params={"limit": 2, "offset": 2})).json()
        assert [r["run_id"] for r in rest["items"]] == [ids[0]]
        assert rest["next_offset"] is None
        assert (await h.read.get("/api/backtests?limit=0")).status_code == 422
        detail = json.loads((await h.read.get(f"/api/backtests/{ids[0]}")).text)
        assert detail["result"] is None
        assert detail["error"] == {"code": "X", "message": "m", "details": None}
