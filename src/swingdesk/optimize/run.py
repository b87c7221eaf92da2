"""Run an optimisation: create the fold studies, run the workers, then test out of sample.

For each fold the best in-sample trial (with several objectives: the Pareto front's best on
the first) is run on the fold's out-of-sample block; only those out-of-sample figures are
the result, stitched into one equity curve by chaining the blocks' daily returns.
"""

from __future__ import annotations

import multiprocessing
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from swingdesk.domain.errors import InputError
from swingdesk.optimize import study as st
from swingdesk.optimize.config import Fold, OptimizeConfig
from swingdesk.optimize.evaluate import WindowRun, evaluator, session_count
from swingdesk.optimize.report import FoldOutcome, build_report

#: Called with (COMPLETE trials so far, trials in total).
OptProgress = Callable[[int, int], None]


@dataclass(frozen=True)
class Launch:
    """Where the trials run: storage URL (None: in memory), local worker processes."""

    storage: str | None = None
    workers: int = 1
    heartbeat_s: int = st.HEARTBEAT_S


#: How often a local worker with nothing to start looks again (seconds): the last trials of a
#: study run in the other processes, and this one should end as soon as they do.
LOCAL_POLL_S = 0.1


def _worker_main(storage_url: str, study: str, heartbeat_s: int) -> None:
    st.work(st.make_storage(storage_url, heartbeat_s=heartbeat_s), study, poll_s=LOCAL_POLL_S)


def optimize(
    config: OptimizeConfig, launch: Launch, *, progress: OptProgress | None = None
) -> dict[str, Any]:
    """Run the whole optimisation and return its report document."""
    config.check()
    if launch.workers < 1:
        raise InputError("--workers must be at least 1")
    with tempfile.TemporaryDirectory(prefix="swingdesk-study-") as tmp:
        url = launch.storage
        if url is None and launch.workers > 1:
            url = f"journal:{Path(tmp) / 'study.log'}"  # processes share a journal file
        storage = st.make_storage(url, heartbeat_s=launch.heartbeat_s)
        plan = st.create_studies(storage, config, session_count(config))
        total = config.trials * len(plan)
        if launch.workers == 1:
            done = [0]

            def step() -> None:
                done[0] += 1
                if progress is not None:
                    progress(min(done[0], total), total)

            st.work(storage, config.study, progress=step)
        else:
            assert url is not None
            _run_processes(storage, url, config, plan, launch, total, progress)
        ev = evaluator(config)  # this process's: loaded by st.work, or before the fork
        outcomes = [_outcome(storage, config, fold, ev.run) for fold in plan]
    return build_report(config, outcomes, launch.workers, launch.storage is not None)


def _run_processes(
    storage: optuna.storages.BaseStorage,
    url: str,
    config: OptimizeConfig,
    plan: list[Fold],
    launch: Launch,
    total: int,
    progress: OptProgress | None,
) -> None:
    # Forked workers start at once with the modules already imported (spawn re-imports
    # pandas, numpy and optuna in each); the parent's database connections are dropped first
    # so no child inherits a socket.
    fork = "fork" in multiprocessing.get_all_start_methods()
    ctx: Any = multiprocessing.get_context("fork" if fork else "spawn")
    if fork:
        # Loaded once here, the market is the children's from their first moment (shared
        # copy-on-write) instead of loaded again in each, and the out-of-sample runs after
        # them reuse it, as one process does.
        evaluator(config)
    if isinstance(storage, optuna.storages.RDBStorage):
        storage.engine.dispose()
    procs = [
        ctx.Process(target=_worker_main, args=(url, config.study, launch.heartbeat_s))
        for _ in range(launch.workers)
    ]
    for p in procs:
        p.start()
    try:
        while any(p.is_alive() for p in procs):
            for p in procs:
                p.join(timeout=0.5)
            if progress is not None:
                progress(_complete(storage, config, plan), total)
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()
    if _complete(storage, config, plan) < total:
        raise InputError("the worker processes stopped before every trial completed")


def _complete(
    storage: optuna.storages.BaseStorage, config: OptimizeConfig, plan: list[Fold]
) -> int:
    return sum(
        st.count(optuna.load_study(study_name=st.fold_name(config.study, f.index),
                                   storage=storage), TrialState.COMPLETE)
        for f in plan
    )  # fmt: skip


def _best(study: optuna.Study, config: OptimizeConfig) -> tuple[FrozenTrial, list[FrozenTrial]]:
    """Return the chosen trial and the Pareto front (one objective: just the best trial)."""
    if len(config.objectives) == 1:
        return study.best_trial, [study.best_trial]
    front = sorted(study.best_trials, key=lambda t: t.number)
    sign = 1 if st.directions(config)[0] == "maximize" else -1
    return max(front, key=lambda t: (sign * t.values[0], -t.number)), front


def _outcome(
    storage: optuna.storages.BaseStorage,
    config: OptimizeConfig,
    fold: Fold,
    run: Callable[[tuple[int, int], dict[str, Any]], WindowRun],
) -> FoldOutcome:
    study = optuna.load_study(study_name=st.fold_name(config.study, fold.index), storage=storage)
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if not complete:
        raise InputError(f"fold {fold.index} has no completed trial")
    best, front = _best(study, config)
    oos_run = run(fold.oos, dict(best.params)) if fold.oos is not None else None
    try:
        importance = (
            optuna.importance.get_param_importances(study)
            if len(config.objectives) == 1 and len(complete) >= 10
            else {}
        )
    except (RuntimeError, ValueError):  # a flat or one-parameter study has no importance
        importance = {}
    return FoldOutcome(
        fold=fold,
        best=best,
        front=front,
        trials=complete,
        failed=len(study.get_trials(deepcopy=False, states=(TrialState.FAIL,))),
        oos_run=oos_run,
        importance={k: float(v) for k, v in importance.items()},
    )
