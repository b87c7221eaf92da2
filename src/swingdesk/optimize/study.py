"""Optuna studies of an optimisation: storage, one study per walk-forward fold, the worker.

Any number of workers (processes here, or ``swingdesk optimize worker`` on other hosts)
share the fold studies through the storage. With RDB storage (PostgreSQL) each running
trial records a heartbeat; a trial whose worker died goes stale, is marked FAIL by the next
worker that asks for a trial, and is queued again with the same parameters
(``RetryHeartbeatStaleTrialCallback``). Only COMPLETE trials count towards a fold's target,
so a killed trial is neither lost nor counted twice.
"""

from __future__ import annotations

import functools
import os
import socket
import time
import warnings
from collections.abc import Callable
from typing import Any, Literal

import optuna
from optuna.storages import (
    BaseStorage,
    InMemoryStorage,
    JournalStorage,
    RDBStorage,
    RetryHeartbeatStaleTrialCallback,
    fail_stale_trials,
)
from optuna.storages.journal import JournalFileBackend
from optuna.trial import TrialState

from swingdesk.backtest.metrics import sharpe
from swingdesk.database_urls import async_url, sync_url
from swingdesk.domain.errors import InputError
from swingdesk.optimize.config import Fold, OptimizeConfig, folds
from swingdesk.optimize.evaluate import evaluator
from swingdesk.optimize.objectives import OBJECTIVES, daily_sharpe_moments, measure
from swingdesk.strategy.api import Param
from swingdesk.strategy.loader import load_spec

CONFIG_ATTR = "swingdesk_config"
HEARTBEAT_S = 10
#: Trials retried at most this many times after their worker died.
MAX_RETRY = 3
_DONE = (TrialState.COMPLETE,)

optuna.logging.set_verbosity(optuna.logging.WARNING)
# Heartbeats are marked experimental; their interface is pinned with the optuna version.
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)


def make_storage(url: str | None, *, heartbeat_s: int = HEARTBEAT_S) -> BaseStorage:
    """Return the storage ``url`` names: None in memory, journal:PATH, or an RDB URL."""
    if url is None:
        return InMemoryStorage()
    if url.startswith("journal:"):
        return JournalStorage(JournalFileBackend(url.removeprefix("journal:")))
    if not url.startswith(("postgresql://", "postgres://", "postgresql+", "sqlite:///")):
        raise InputError("--storage takes postgresql://user@host/db (or sqlite:///file)")
    with warnings.catch_warnings():  # heartbeats are "experimental" in optuna
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return RDBStorage(
            sync_url(async_url(url)),
            heartbeat_interval=heartbeat_s,
            grace_period=2 * heartbeat_s + 1,
            heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback(max_retry=MAX_RETRY),
        )


def fold_name(study: str, fold: int) -> str:
    """Return the name of one fold's study."""
    return f"{study}.fold{fold}"


def directions(config: OptimizeConfig) -> list[Literal["maximize", "minimize"]]:
    """Return each objective's direction, in order."""
    return [OBJECTIVES[o].direction for o in config.objectives]


def sampler(config: OptimizeConfig, fold: int) -> optuna.samplers.BaseSampler:
    """Return the fold's seeded TPE sampler (one worker: the same trials for the same seed)."""
    return optuna.samplers.TPESampler(seed=config.seed * 1000 + fold)


def create_studies(storage: BaseStorage, config: OptimizeConfig, n_sessions: int) -> list[Fold]:
    """Create (or join) every fold's study, with the configuration in its attributes."""
    plan = folds(n_sessions, config)
    for fold in plan:
        study = optuna.create_study(
            storage=storage, study_name=fold_name(config.study, fold.index),
            directions=directions(config), load_if_exists=True,
        )  # fmt: skip
        known = study.user_attrs.get(CONFIG_ATTR)
        if known is None:
            study.set_user_attr(CONFIG_ATTR, config.to_json())
        elif known != config.to_json():
            raise InputError(
                f"study {config.study!r} exists with another configuration; pick another --study"
            )
    return plan


def load_config(storage: BaseStorage, study: str) -> OptimizeConfig:
    """Return the configuration stored with ``study`` (for a worker joining it)."""
    try:
        found = optuna.load_study(study_name=fold_name(study, 0), storage=storage)
    except KeyError:
        raise InputError(f"no study {study!r} in this storage") from None
    return OptimizeConfig.from_json(str(found.user_attrs[CONFIG_ATTR]))


def search_space(config: OptimizeConfig) -> list[Param]:
    """Return the declared parameters to search (optimisable and not fixed)."""
    spec = load_spec(config.strategy)
    return [p for p in spec.parameters if p.optimize and p.name not in config.fixed]


def suggest(trial: optuna.Trial, space: list[Param]) -> dict[str, Any]:
    """Return the trial's parameter values drawn from the declared ranges."""
    out: dict[str, Any] = {}
    for p in space:
        if p.kind == "float":
            assert p.low is not None
            assert p.high is not None
            out[p.name] = trial.suggest_float(p.name, p.low, p.high, step=p.step, log=p.log)
        elif p.kind == "int":
            assert p.low is not None
            assert p.high is not None
            step = int(p.step or 1)
            out[p.name] = trial.suggest_int(p.name, int(p.low), int(p.high), step=step, log=p.log)
        elif p.kind == "bool":
            out[p.name] = trial.suggest_categorical(p.name, [True, False])
        else:
            out[p.name] = trial.suggest_categorical(p.name, list(p.choices))
    return out


def count(study: optuna.Study, *states: TrialState) -> int:
    """Return how many of the study's trials are in ``states``."""
    return len(study.get_trials(deepcopy=False, states=states))


def work(
    storage: BaseStorage,
    study: str,
    *,
    progress: Callable[[], None] | None = None,
    poll_s: float = 1.0,
) -> None:
    """Run trials of every fold of ``study`` until each has its target of COMPLETE trials."""
    config = load_config(storage, study)
    ev = evaluator(config)
    space = search_space(config)
    plan = folds(len(ev.sessions), config)
    studies = [
        optuna.load_study(study_name=fold_name(study, f.index), storage=storage,
                          sampler=sampler(config, f.index))
        for f in plan
    ]  # fmt: skip

    def objective(trial: optuna.Trial, fold: Fold) -> tuple[float, ...]:
        run = ev.run(fold.is_, suggest(trial, space))
        values = measure(config.objectives, run.days, run.equity, run.trades)
        # What the report needs of the in-sample run, so the winner is not run again.
        sr, skew, kurt, n = daily_sharpe_moments(run.equity)
        trial.set_user_attr("sharpe_daily", sr)
        trial.set_user_attr("moments", [skew, kurt, n])
        trial.set_user_attr("sharpe", sharpe(run.equity))
        trial.set_user_attr("window", [run.days[0].isoformat(), run.days[-1].isoformat()])
        trial.set_user_attr("values", values)
        trial.set_user_attr("worker", f"{socket.gethostname()}:{os.getpid()}")
        return tuple(values[o] for o in config.objectives)

    while True:
        # The earliest fold that still needs a trial; one whose last trials run elsewhere
        # is left to them (their worker may die: it is looked at again on the next pass).
        todo, unfinished = None, False
        for fold, fold_study in zip(plan, studies, strict=True):
            with warnings.catch_warnings():  # heartbeats are "experimental" in optuna
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                fail_stale_trials(fold_study)  # a dead worker's trial: FAIL, queued again
            done = count(fold_study, *_DONE)
            if done >= config.trials:
                continue
            unfinished = True
            _give_up_when_failing(fold_study, fold, config)
            busy = count(fold_study, TrialState.RUNNING)
            if done + busy < config.trials or count(fold_study, TrialState.WAITING):
                todo = (fold, fold_study)
                break
        if not unfinished:
            return
        if todo is None:
            time.sleep(poll_s)
            continue
        fold, fold_study = todo
        fold_study.optimize(
            functools.partial(objective, fold=fold), n_trials=1, catch=(InputError, ValueError)
        )
        if progress is not None:
            progress()


def _give_up_when_failing(study: optuna.Study, fold: Fold, config: OptimizeConfig) -> None:
    if count(study, TrialState.FAIL) >= max(10, config.trials):
        last = study.get_trials(deepcopy=False, states=(TrialState.FAIL,))[-1]
        raise InputError(
            f"fold {fold.index}: trials keep failing "
            f"({last.system_attrs.get('fail_reason', 'see the log')})"
        )
