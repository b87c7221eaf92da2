"""One optimisation in a child process, as ``backtest_worker`` runs one backtest.

The child runs the CLI's walk-forward optimisation (``optimize.run.optimize``, one worker
process, its fold studies in a journal file of its own) and sends back messages on a pipe:
``Progress`` while trials complete (with the best value of the first objective so far), then
one ``Outcome`` (the report document with the trials of every fold, the HTML report and a
summary) or a stable error code. Nothing is written to the database by the child.
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from swingdesk.backtest.worker import ChildProcess, Outcome, die_with_parent
from swingdesk.domain.errors import SwingdeskError
from swingdesk.optimize.config import OptimizeConfig

log = logging.getLogger(__name__)
#: Progress messages are sent at most this often (seconds), and after the last trial.
PROGRESS_EVERY_S = 0.5
#: Parameter importance needs at least this many completed trials in a fold.
IMPORTANCE_MIN_TRIALS = 8


@dataclass(frozen=True)
class OptimizeJob:
    """What the child runs: the configuration, and the simulated market's seed when there is
    no CSV directory (``config.data_dir`` is then replaced by the simulated market's files)."""

    config: OptimizeConfig
    sim_seed: int | None = None


@dataclass(frozen=True)
class Progress:
    """Trials completed so far of all the folds, and the best first objective yet."""

    done: int
    total: int
    best: float | None


def _best_now(storage: Any, config: OptimizeConfig) -> float | None:
    import optuna
    from optuna.trial import TrialState

    from swingdesk.optimize import study as st

    sign = 1.0 if st.directions(config)[0] == "maximize" else -1.0
    best: float | None = None
    for fold in range(config.folds if config.walk_forward else 1):
        try:
            s = optuna.load_study(study_name=st.fold_name(config.study, fold), storage=storage)
        except KeyError:
            continue
        for t in s.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
            v = float(t.values[0])
            if best is None or sign * v > sign * best:
                best = v
    return best


def _fold_trials(storage: Any, config: OptimizeConfig, fold: int) -> dict[str, Any]:
    """Return a fold's completed trials (values by objective, in order) and its importance."""
    import optuna
    from optuna.trial import TrialState

    from swingdesk.optimize import study as st

    s = optuna.load_study(study_name=st.fold_name(config.study, fold), storage=storage)
    done = s.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    trials = [
        {"trial": t.number, "params": dict(t.params),
         "values": dict(zip(config.objectives, (round(float(v), 6) for v in t.values),
                            strict=True))}
        for t in done
    ]  # fmt: skip
    importance: dict[str, float] = {}
    if len(done) >= IMPORTANCE_MIN_TRIALS and len(done[0].params) >= 2:
        # The default evaluator ranks what makes the target low: a maximised one is negated.
        sign = -1.0 if st.directions(config)[0] == "maximize" else 1.0
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                found = optuna.importance.get_param_importances(
                    s, target=lambda t: sign * float(t.values[0])
                )
            importance = {k: round(float(v), 6) for k, v in found.items()}
        except (RuntimeError, ValueError, ZeroDivisionError):  # a flat study has none
            importance = {}
    return {"trials": trials, "importance": importance}


def _mean_importance(folds: list[dict[str, Any]]) -> dict[str, float]:
    names = sorted({k for f in folds for k in f["importance"]})
    with_any = [f for f in folds if f["importance"]]
    if not with_any:
        return {}
    mean = {n: sum(f["importance"].get(n, 0.0) for f in with_any) / len(with_any) for n in names}
    return dict(sorted(((k, round(v, 6)) for k, v in mean.items()), key=lambda kv: -kv[1]))


def summarize(doc: dict[str, Any]) -> dict[str, Any]:
    """Return the headline figures of a finished optimisation."""
    oos = doc.get("out_of_sample") or {}
    metrics = oos.get("metrics") or {}
    return {
        "trials": doc["trials"],
        "folds": len(doc["folds"]),
        "oos_total_return": metrics.get("total_return"),
        "oos_sharpe": doc["overfitting"]["out_of_sample_sharpe"],
        "oos_max_drawdown": metrics.get("max_drawdown"),
        "deflated_sharpe_min": doc["overfitting"]["deflated_sharpe_min"],
        "sharpe_decay": doc["overfitting"]["sharpe_decay"],
        "recommended_params": doc["recommended_params"],
    }


def run_here(job: OptimizeJob, progress: Callable[[Progress], None] | None = None) -> Outcome:
    """Run the optimisation in this process; return its outcome (errors become codes)."""
    from swingdesk import event_loop
    from swingdesk.backtest.simulated_data import write_simulated_market
    from swingdesk.optimize import study as st
    from swingdesk.optimize.report import render
    from swingdesk.optimize.run import Launch, optimize

    try:
        with tempfile.TemporaryDirectory(prefix="swingdesk-optapi-") as tmp:
            config = job.config
            if job.sim_seed is not None:
                target = Path(tmp) / "simulated"
                event_loop.run(write_simulated_market(target, seed=job.sim_seed, end=config.end))
                config = replace(config, data_dir=target)
            url = f"journal:{Path(tmp) / 'study.log'}"
            reader = st.make_storage(url)
            last = [0.0]

            def step(done: int, total: int) -> None:
                now = time.monotonic()
                if progress is None or (now - last[0] < PROGRESS_EVERY_S and done < total):
                    return
                last[0] = now
                progress(Progress(done, total, _best_now(reader, config)))

            doc = optimize(config, Launch(storage=url, workers=1), progress=step)
            doc["shared_storage"] = False
            for fold in doc["folds"]:
                extra = _fold_trials(reader, config, fold["index"])
                fold["trials"] = extra["trials"]
                fold["param_importance"] = fold["param_importance"] or extra["importance"]
            doc["param_importance"] = _mean_importance(
                [{"importance": f["param_importance"]} for f in doc["folds"]]
            )
            doc["config"]["data_dir"] = "simulated" if job.sim_seed is not None else "csv"
        return Outcome(summary=summarize(doc), result_json=json.dumps(doc), report_html=render(doc))
    except SwingdeskError as exc:
        return Outcome(error_code=exc.code, error_message=exc.message)
    except Exception as exc:  # reported on the run, not lost with the process
        log.exception("optimisation failed")
        return Outcome(error_code="INTERNAL", error_message=f"{type(exc).__name__}: {exc}")


def _child(conn: Connection, job: OptimizeJob, parent_pid: int) -> None:
    """Entry point of the child process."""
    die_with_parent(parent_pid)
    try:
        conn.send(run_here(job, conn.send))
    finally:
        conn.close()


class OptimizeProcessWorker(ChildProcess):
    """Runs one optimisation at a time in a spawned process; ``terminate`` ends it."""

    def __init__(self) -> None:
        super().__init__("swingdesk-optimize", "optimisation")

    def run(self, job: OptimizeJob, on_progress: Callable[[Progress], None]) -> Outcome:
        """Run ``job`` in a new process, passing on its progress (blocking: use a thread)."""
        return self.run_child(_child, job, on_progress)
