"""``swingdesk optimize``: walk-forward optimisation on Optuna, and ``optimize worker``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from swingdesk.domain.errors import InputError, SwingdeskError

OptProgress = Callable[[int, int], None]

optimize_app = typer.Typer(
    help="Tune a strategy's declared parameters (walk-forward, on Optuna).",
    invoke_without_command=True,
)
out = Console(emoji=False, highlight=False, soft_wrap=True)
err = Console(stderr=True, emoji=False)

StorageOpt = Annotated[
    str | None,
    typer.Option(help="Optuna storage shared by workers, e.g. postgresql://user@host/db."),
]
HeartbeatOpt = Annotated[
    int, typer.Option(help="Seconds between a trial's heartbeats (RDB storage).")
]
StrategyOpt = Annotated[str, typer.Option(help="Name, package.module:Class or file.py:Class.")]
ObjectiveOpt = Annotated[
    list[str] | None,
    typer.Option(help="sharpe, sortino, cagr, max_drawdown, profit_factor; repeat: Pareto."),
]
NoWalkForwardOpt = Annotated[
    bool, typer.Option(help="Optimise over the whole range (in-sample only).")
]
WriteParamsOpt = Annotated[
    Path | None, typer.Option(help="Write the recommended parameters here (live desk).")
]


def _fail(exc: SwingdeskError) -> None:
    err.print(f"error: {exc}", markup=False)
    raise typer.Exit(2)


def _day(flag: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{flag} must be a date YYYY-MM-DD, got {text!r}") from None


@optimize_app.callback()
def optimize(
    ctx: typer.Context,
    strategy: StrategyOpt = "rules",
    data: Annotated[Path | None, typer.Option(help="Directory of TICKER.csv files.")] = None,
    tickers: Annotated[str, typer.Option(help="Comma-separated tickers; empty: all.")] = "",
    start: Annotated[str, typer.Option(help="First session, YYYY-MM-DD.")] = "",
    end: Annotated[str, typer.Option(help="Last session, YYYY-MM-DD.")] = "",
    objective: ObjectiveOpt = None,
    trials: Annotated[int, typer.Option(help="Trials per walk-forward fold.")] = 50,
    folds: Annotated[int, typer.Option(help="Walk-forward folds (out-of-sample blocks).")] = 4,
    is_ratio: Annotated[int, typer.Option(help="In-sample length / out-of-sample length.")] = 3,
    mode: Annotated[str, typer.Option(help="rolling or anchored in-sample windows.")] = "rolling",
    no_walk_forward: NoWalkForwardOpt = False,
    seed: Annotated[int, typer.Option(help="Sampler seed (one worker: same result).")] = 0,
    param: Annotated[list[str] | None, typer.Option(help="NAME=VALUE held fixed.")] = None,
    risk_profile: Annotated[str, typer.Option(help="desk or buying-power-only.")] = "desk",
    initial_cash: Annotated[str, typer.Option(help="Starting cash, USD.")] = "100000",
    study: Annotated[str, typer.Option(help="Study name (workers join it by name).")] = "",
    storage: StorageOpt = None,
    workers: Annotated[int, typer.Option(help="Worker processes on this machine.")] = 1,
    heartbeat_s: HeartbeatOpt = 10,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the report here.")] = None,
    report: Annotated[Path | None, typer.Option(help="Write an HTML report here.")] = None,
    write_params: WriteParamsOpt = None,
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
) -> None:
    """Optimise a strategy walk-forward; report only out-of-sample figures."""
    if ctx.invoked_subcommand is not None:
        return
    from swingdesk.cli_strategy import parse_overrides
    from swingdesk.optimize.config import OptimizeConfig
    from swingdesk.optimize.run import Launch
    from swingdesk.optimize.run import optimize as run

    try:
        if data is None:
            raise InputError("--data DIR is required (a directory of TICKER.csv files)")
        ref = _absolute(strategy)
        config = OptimizeConfig(
            study=study or f"swingdesk-{ref.rsplit(':', 1)[-1].lower()}-{seed}",
            strategy=ref, data_dir=data.resolve(),
            tickers=tuple(t.strip().upper() for t in tickers.split(",") if t.strip()),
            start=_day("--start", start), end=_day("--end", end),
            objectives=tuple(objective or ["sharpe"]), trials=trials, seed=seed, folds=folds,
            is_ratio=is_ratio, mode=mode, walk_forward=not no_walk_forward,
            fixed=dict(parse_overrides(param or [])), risk_profile=risk_profile,
            initial_cash=Decimal(initial_cash),
        )  # fmt: skip
        launch = Launch(storage=storage, workers=workers, heartbeat_s=heartbeat_s)
        with _progress(enabled=not quiet) as progress:
            doc = run(config, launch, progress=progress)
    except SwingdeskError as exc:
        _fail(exc)
        return
    _write_outputs(doc, config.strategy, json_out=json_out, report=report, params=write_params)
    for line in summary(doc):
        out.print(line, markup=False)


def _write_outputs(
    doc: dict[str, Any],
    strategy: str,
    *,
    json_out: Path | None,
    report: Path | None,
    params: Path | None,
) -> None:
    """Write the files asked for: the report as JSON, as HTML, the recommended parameters."""
    from swingdesk.optimize.report import render
    from swingdesk.strategy.loader import write_params_file

    if json_out is not None:
        json_out.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    if report is not None:
        report.write_text(render(doc), encoding="utf-8")
    if params is not None:
        write_params_file(params, strategy, doc["recommended_params"])


def summary(doc: dict[str, object]) -> list[str]:
    """Return the lines the command prints."""
    lines = [f"study {doc['study']}: {doc['trials']} trials"]
    oos = doc.get("out_of_sample")
    if isinstance(oos, dict):
        for k, v in oos["metrics"].items():
            lines.append(f"out-of-sample {k:<20} {v}")
    of = doc["overfitting"]
    assert isinstance(of, dict)
    lines.append(f"lowest deflated Sharpe      {of['deflated_sharpe_min']}")
    lines += [f"warning: {w}" for w in of["warnings"]]
    lines.append(f"recommended params: {json.dumps(doc['recommended_params'], sort_keys=True)}")
    return lines


def _absolute(ref: str) -> str:
    """Make a file reference absolute, so worker processes find it from anywhere."""
    where, sep, cls = ref.rpartition(":")
    if sep and where.endswith(".py"):
        return f"{Path(where).resolve()}:{cls}"
    return ref


@contextmanager
def _progress(*, enabled: bool) -> Iterator[OptProgress | None]:
    """Yield a callback drawing a progress bar of completed trials on a TTY, else None."""
    if not enabled or not err.is_terminal:
        yield None
        return
    columns = (TextColumn("optimize"), BarColumn(), MofNCompleteColumn(), TextColumn("trials"),
               TimeRemainingColumn())  # fmt: skip
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task("optimize", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


@optimize_app.command("worker")
def worker(
    study: Annotated[str, typer.Option(help="The study to join.")],
    storage: StorageOpt = None,
    heartbeat_s: HeartbeatOpt = 10,
) -> None:
    """Join a study in shared storage and run its trials until every fold is done."""
    from swingdesk.optimize.study import make_storage, work

    try:
        if storage is None:
            raise InputError("--storage is required: the study's shared database")
        work(make_storage(storage, heartbeat_s=heartbeat_s), study)
    except SwingdeskError as exc:
        _fail(exc)
        return
    out.print(f"study {study}: no trial left to run", markup=False)
