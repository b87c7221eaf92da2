"""``swingdesk strategy``: list installed strategies, write a new one, check one for look-ahead."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from swingdesk.domain.errors import InputError, SwingdeskError

if TYPE_CHECKING:
    from pandas import DataFrame

strategy_app = typer.Typer(help="Strategies written with the strategy API.", no_args_is_help=True)
out = Console(emoji=False, highlight=False, soft_wrap=True)
err = Console(stderr=True, emoji=False)

StrategyOpt = Annotated[
    str, typer.Option(help="A registered name, package.module:Class or path/file.py:Class.")
]


def _fail(exc: SwingdeskError) -> None:
    err.print(f"error: {exc}", markup=False)
    raise typer.Exit(2)


def parse_overrides(pairs: list[str]) -> dict[str, str]:
    """Return ``NAME=VALUE`` pairs as a dict; raise InputError on a malformed one."""
    values: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise InputError(f"--param takes NAME=VALUE, got {pair!r}")
        values[name.strip()] = value.strip()
    return values


@strategy_app.command("list")
def list_strategies(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show the installed strategies with their parameters."""
    from swingdesk.strategy.loader import installed

    infos = installed()
    if as_json:
        doc = [
            {
                "key": i.key, "source": i.source, "name": i.name, "summary": i.summary,
                "vectorised": i.vectorised,
                "parameters": [
                    {"name": p.name, "kind": p.kind, "default": p.default, "low": p.low,
                     "high": p.high, "optimize": p.optimize, "help": p.help}
                    for p in i.parameters
                ],
            }
            for i in infos
        ]  # fmt: skip
        out.print(json.dumps(doc, indent=2), markup=False)
        return
    for i in infos:
        fast = "signals()" if i.vectorised else "decide() only"
        out.print(f"{i.key}  ({i.source}; model {i.name}; {fast})", markup=False)
        out.print(f"  {i.summary}", markup=False)
        for p in i.parameters:
            mark = "*" if p.optimize else " "
            out.print(f"   {mark} {p.describe()}", markup=False)
    out.print("(* = searched by swingdesk optimize; the LLM analysts are chosen with "
              "SWINGDESK_STRATEGY_PROVIDER)", markup=False)  # fmt: skip


@strategy_app.command("new")
def new_strategy(
    name: str,
    directory: Annotated[Path, typer.Option("--dir", help="Where to write the files.")] = Path(),
) -> None:
    """Write a documented strategy template NAME.py and its test test_NAME.py."""
    from swingdesk.strategy.template import write_template

    try:
        source, test = write_template(name, directory)
    except SwingdeskError as exc:
        _fail(exc)
        return
    out.print(f"wrote {source} and {test}", markup=False)


@strategy_app.command("check")
def check(
    strategy: StrategyOpt = "rules",
    data: Annotated[Path | None, typer.Option(help="Directory of TICKER.csv files.")] = None,
    tickers: Annotated[str, typer.Option(help="Comma-separated tickers (default: 5).")] = "",
    param: Annotated[list[str] | None, typer.Option(help="NAME=VALUE override.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Check a strategy's signals for look-ahead and for a warm-up longer than declared."""
    from dataclasses import asdict

    from swingdesk.strategy.check import check_strategy
    from swingdesk.strategy.loader import build_strategy

    try:
        if data is None:
            raise InputError("--data DIR is required (a directory of TICKER.csv files)")
        runner = build_strategy(strategy, parse_overrides(param or []))
        frames = load_ohlcv(data, [t for t in tickers.split(",") if t.strip()])
        report = check_strategy(runner.spec, runner.values, frames)
    except SwingdeskError as exc:
        _fail(exc)
        return
    if as_json:
        doc = {
            "strategy": report.strategy, "tickers": report.tickers, "ok": report.ok,
            "lookahead": asdict(report.lookahead) if report.lookahead else None,
            "recursive": asdict(report.recursive) if report.recursive else None,
        }  # fmt: skip
        out.print(json.dumps(doc, default=str, indent=2), markup=False)
    else:
        for line in report.lines():
            out.print(line, markup=False)
    if not report.ok:
        raise typer.Exit(1)


def load_ohlcv(data: Path, tickers: list[str], default_count: int = 5) -> dict[str, DataFrame]:
    """Return each ticker's OHLCV frame read from ``data``/TICKER.csv."""
    import pandas as pd

    if not tickers:
        tickers = sorted(p.stem for p in data.glob("*.csv") if p.stem.isupper())[:default_count]
    if not tickers:
        raise InputError(f"no TICKER.csv file in {data}")
    frames: dict[str, DataFrame] = {}
    for t in tickers:
        path = data / f"{t.strip().upper()}.csv"
        if not path.is_file():
            raise InputError(f"no file {path}")
        frames[t.strip().upper()] = pd.read_csv(path, parse_dates=["date"], index_col="date")
    return frames
