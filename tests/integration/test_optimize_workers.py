"""Optuna RDB storage on the local PostgreSQL: two worker processes share one study, and a
killed worker's trial is marked failed and run again, nothing counted twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
from optuna.storages import RetryHeartbeatStaleTrialCallback
from optuna.trial import TrialState
from tests.fakes.backtest_data import sessions, write_market

import swingdesk
from swingdesk.optimize import study as st
from swingdesk.optimize.config import OptimizeConfig
from swingdesk.optimize.evaluate import evaluator

pytestmark = pytest.mark.postgres

SLOW = '''
import time
from typing import ClassVar

import pandas as pd

from swingdesk.strategy.builtin_rules import RulesSwing


class SlowRules(RulesSwing):
    """The rule analyst, with signals slow enough to kill a worker in the middle of a trial."""

    name: ClassVar[str] = "slow-rules-v1"

    def signals(self, frame: pd.DataFrame, params) -> pd.DataFrame:
        time.sleep(SECONDS)
        return super().signals(frame, params)
'''


def _slow_rules(tmp_path: Path, seconds: float) -> str:
    """Write the slowed rule analyst; return its reference for the study."""
    path = tmp_path / "slow.py"
    path.write_text(SLOW.replace("SECONDS", repr(seconds)))
    return f"{path}:SlowRules"


def _env() -> dict[str, str]:
    src = str(Path(swingdesk.__file__).resolve().parents[1])
    return os.environ | {"PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}


def _worker(url: str, study: str, heartbeat_s: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", "from swingdesk.cli import main; main()", "optimize", "worker",
         "--study", study, "--storage", url, "--heartbeat-s", str(heartbeat_s)],
        env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip


def _setup(url: str, root: Path, strategy: str, trials: int) -> tuple[OptimizeConfig, int]:
    days = sessions()
    config = OptimizeConfig(
        "pg-study", strategy, root, ("UPCO", "FLAT", "DOWN"), days[0], days[-1],
        trials=trials, folds=2, is_ratio=1,
    )  # fmt: skip
    plan = st.create_studies(st.make_storage(url), config, len(evaluator(config).sessions))
    return config, len(plan)


def _trials(url: str, study: str, fold: int) -> list[optuna.trial.FrozenTrial]:
    storage = st.make_storage(url)
    return optuna.load_study(study_name=st.fold_name(study, fold), storage=storage).get_trials()


def test_workers_when_two_processes_share_a_study_then_every_fold_done_once(
    tmp_path: Path, pg_url: str
) -> None:
    root = write_market(tmp_path / "m")
    # Trials slow enough that the second worker is up before the first has run them all (on a
    # loaded machine a process takes seconds to start, and the rules alone take milliseconds).
    config, n_folds = _setup(pg_url, root, _slow_rules(tmp_path, 0.5), trials=6)
    procs = [_worker(pg_url, config.study, 10) for _ in range(2)]
    outputs = [p.communicate(timeout=240)[0].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    workers: set[str] = set()
    for fold in range(n_folds):
        trials = _trials(pg_url, config.study, fold)
        complete = [t for t in trials if t.state is TrialState.COMPLETE]
        # The target is reached; a race between the two can add at most one more.
        assert 6 <= len(complete) <= 7
        assert len({t.number for t in trials}) == len(trials)
        workers |= {str(t.user_attrs["worker"]) for t in complete}
    assert len(workers) == 2, workers  # both processes ran trials


def test_worker_when_killed_mid_trial_then_trial_failed_and_retried_with_same_params(
    tmp_path: Path, pg_url: str
) -> None:
    root = write_market(tmp_path / "m")
    config, n_folds = _setup(pg_url, root, _slow_rules(tmp_path, 1.0), trials=2)
    victim = _worker(pg_url, config.study, 2)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        # Wait until a trial is running *and* has drawn its parameters: a worker killed between
        # creating the trial and suggesting its values leaves nothing to retry with.
        if any(
            t.state is TrialState.RUNNING and t.params for t in _trials(pg_url, config.study, 0)
        ):
            break
        time.sleep(0.2)
    else:
        victim.kill()
        pytest.fail(f"the worker never started a trial: {victim.communicate()[0].decode()}")
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)
    killed = next(
        t for t in _trials(pg_url, config.study, 0) if t.state is TrialState.RUNNING and t.params
    )

    st.work(st.make_storage(pg_url, heartbeat_s=2), config.study, poll_s=0.5)

    trials = _trials(pg_url, config.study, 0)
    failed = [t for t in trials if t.state is TrialState.FAIL]
    assert [t.number for t in failed] == [killed.number]
    retried = [
        t for t in trials
        if RetryHeartbeatStaleTrialCallback.retried_trial_number(t) == killed.number
    ]  # fmt: skip
    assert len(retried) == 1
    assert retried[0].state is TrialState.COMPLETE
    assert retried[0].params == killed.params
    for fold in range(n_folds):
        complete = [t for t in _trials(pg_url, config.study, fold)
                    if t.state is TrialState.COMPLETE]  # fmt: skip
        assert len(complete) == 2  # the failed trial is not counted, its retry is, once
