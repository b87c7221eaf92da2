"""One backtest in a child process, away from the service's event loop.

A backtest is CPU-bound for seconds (all 505 tickers of the shared data over five years:
about 9 s end to end). In a thread it would
hold the GIL against the API and the stream; in a spawned process it shares nothing with
them, its memory is returned when it ends, and stopping the service can end it at once.
The child sends back one message: the result (JSON document, HTML report, summary) or a
stable error code. Nothing is written to the database by the child.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from swingdesk.backtest.result import BacktestParams
from swingdesk.domain.errors import SwingdeskError

log = logging.getLogger(__name__)
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Outcome:
    """What a backtest process produced: a result, or an error with a stable code."""

    summary: dict[str, Any] | None = None
    result_json: str | None = None
    report_html: str | None = None
    error_code: str | None = None
    error_message: str | None = None

    @property
    def ok(self) -> bool:
        """Say whether the run produced a result."""
        return self.error_code is None


def summarize(doc: dict[str, Any]) -> dict[str, Any]:
    """Return the headline figures of a result document, the benchmark's beside them."""
    mine = doc["metrics"]
    bench = (doc.get("benchmark") or {}).get("metrics") or {}
    return {
        "total_return": mine["total_return"],
        "cagr": mine["cagr"],
        "sharpe": mine["sharpe"],
        "max_drawdown": mine["max_drawdown"],
        "trades": mine["trades"],
        "final_equity": mine["final_equity"],
        "benchmark_total_return": bench.get("total_return"),
        "benchmark_cagr": bench.get("cagr"),
        "benchmark_sharpe": bench.get("sharpe"),
        "benchmark_max_drawdown": bench.get("max_drawdown"),
        "tickers": len(doc["params"]["tickers"]),
        "skipped": len(doc["skipped"]),
    }


def run_here(params: BacktestParams) -> Outcome:
    """Run the backtest in this process; return its outcome (errors become codes)."""
    from swingdesk import event_loop
    from swingdesk.backtest.report import render
    from swingdesk.backtest.runner import run_backtest

    try:
        result = event_loop.run(run_backtest(params))
        return Outcome(
            summary=summarize(result.to_doc()),
            result_json=result.to_json(),
            report_html=render(result),
        )
    except SwingdeskError as exc:
        return Outcome(error_code=exc.code, error_message=exc.message)
    except Exception as exc:  # reported on the run, not lost with the process
        log.exception("backtest failed")
        return Outcome(error_code="INTERNAL", error_message=f"{type(exc).__name__}: {exc}")


def die_with_parent(parent_pid: int) -> None:
    """Ask Linux to end this process when the service dies (a killed service leaves no orphan)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # pragma: no cover - no prctl: the child just runs out
        return
    if os.getppid() != parent_pid:  # the parent died before the request took effect
        os._exit(1)


def count_run(outcome: Outcome, seconds: float) -> None:
    """Count a run in prometheus-client's multiprocess files (when that mode is on): the
    service's /metrics aggregates what its child processes recorded."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    from prometheus_client import Counter, Histogram

    Counter(
        "swingdesk_backtest_runs",
        "backtests run by child processes, by outcome",
        ["outcome"],
        registry=None,
    ).labels("ok" if outcome.ok else outcome.error_code or "error").inc()
    Histogram(
        "swingdesk_backtest_seconds",
        "wall time of one backtest in its child process, seconds",
        buckets=(1, 5, 15, 30, 60, 120, 300, 600),
        registry=None,
    ).observe(seconds)


def _child(conn: Connection, params: BacktestParams, parent_pid: int) -> None:
    """Entry point of the child process."""
    die_with_parent(parent_pid)
    try:
        started = time.monotonic()
        outcome = run_here(params)
        count_run(outcome, time.monotonic() - started)
        conn.send(outcome)
    finally:
        conn.close()


class ChildProcess:
    """Runs one job at a time in a spawned process and waits for its ``Outcome``.

    The child is ``target(conn, job, parent_pid)``; what it sends before its ``Outcome``
    (progress) goes to ``on_message``. ``terminate`` ends it from another thread; a child
    that ends without an outcome is a ``WORKER_EXITED`` error, never a hang.
    """

    def __init__(self, name: str, what: str) -> None:
        self.name = name
        #: What runs, as an error message names it ("backtest", "optimisation").
        self.what = what
        self._lock = threading.Lock()
        self._proc: BaseProcess | None = None

    def run_child(
        self,
        target: Callable[[Connection, Any, int], None],
        job: object,
        on_message: Callable[[Any], None] | None = None,
    ) -> Outcome:
        """Run ``job`` in a new process and wait for its outcome (blocking: use a thread)."""
        # spawn, not fork: the service has threads (database drivers, uvicorn) that a fork
        # would copy in whatever state they are in.
        ctx = multiprocessing.get_context("spawn")
        receive, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=target, args=(send, job, os.getpid()), name=self.name)
        proc.daemon = True  # ended with the service
        with self._lock:
            self._proc = proc
            proc.start()
        send.close()
        try:
            while not isinstance(message := receive.recv(), Outcome):
                if on_message is not None:
                    on_message(message)
            return message
        except EOFError:
            proc.join(timeout=5)
            return Outcome(
                error_code="WORKER_EXITED",
                error_message=f"the {self.what} process ended without a result "
                f"(exit {proc.exitcode})",
            )
        finally:
            receive.close()
            proc.join(timeout=5)
            with self._lock:
                self._proc = None

    def terminate(self) -> None:
        """End the running process, if any."""
        with self._lock:
            proc = self._proc
        if proc is not None and proc.is_alive():
            proc.terminate()


class ProcessWorker(ChildProcess):
    """Runs one backtest at a time in a spawned process; ``terminate`` ends it."""

    def __init__(self) -> None:
        super().__init__("swingdesk-backtest", "backtest")

    def run(self, params: BacktestParams) -> Outcome:
        """Run ``params`` in a new process and wait for its outcome (blocking: use a thread)."""
        return self.run_child(_child, params)
