"""The `swingdesk` command: every subcommand calls the same services as the API."""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console

from swingdesk import event_loop
from swingdesk.bootstrap import Desk, build_desk, wall_clock
from swingdesk.cli_optimize import optimize_app
from swingdesk.cli_strategy import strategy_app
from swingdesk.cli_text import print_explain, print_outcome, print_portfolio, say, scan_table
from swingdesk.config import load_settings
from swingdesk.domain.errors import InputError, NotFoundError, SwingdeskError
from swingdesk.services.explain import explain_decision, explain_json
from swingdesk.services.pipeline import DecisionOutcome
from swingdesk.services.views import portfolio_view
from swingdesk.terminal import printable, shown

app = typer.Typer(help="swingdesk: an LLM-assisted swing-trading desk.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit journal.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(audit_app, name="audit")
app.add_typer(strategy_app, name="strategy")
app.add_typer(optimize_app, name="optimize")
# No emoji codes: ":warning:" in a stored rationale is printed as written, not as a glyph.
out = Console(emoji=False)
err = Console(stderr=True, emoji=False)
T = TypeVar("T")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def _run(work: Callable[[Desk], Awaitable[T]]) -> T:
    """Build the desk, run ``work`` on it, and turn known errors into clean exits."""

    async def main() -> T:
        desk = await build_desk(load_settings())
        try:
            return await work(desk)
        finally:
            await desk.close()

    try:
        return event_loop.run(main())
    except SwingdeskError as exc:
        _fail(exc)


def _fail(exc: SwingdeskError, *, bad_input: tuple[type[SwingdeskError], ...] = ()) -> NoReturn:
    """Print ``error [CODE] message`` on stderr and exit: 2 for bad input, else 1."""
    # The message may quote a broker, a model or the user: controls and markup shown as text.
    say(err, f"[red]error[/red] [{exc.code}] {shown(exc.message)}")
    bad = isinstance(exc, (InputError, NotFoundError, *bad_input))
    raise typer.Exit(2 if bad else 1) from None


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, default=str) + "\n")


@app.command()
def trigger(ticker: str, as_json: JsonFlag = False) -> None:
    """Run one decision for TICKER through the whole pipeline."""
    outcome: DecisionOutcome = _run(lambda d: d.pipeline.run(ticker, trigger="cli"))
    summary = outcome.summary()
    if as_json:
        _print_json(summary)
    else:
        print_outcome(out, err, summary)
    if outcome.error_code is not None:
        raise typer.Exit(1)


@app.command()
def explain(decision_id: str, as_json: JsonFlag = False) -> None:
    """Show the full provenance of one decision."""
    record = _run(lambda d: explain_decision(d.store, decision_id))
    if as_json:
        sys.stdout.write(explain_json(record) + "\n")
        return
    print_explain(out, record)


@app.command()
def portfolio(as_json: JsonFlag = False) -> None:
    """Show equity, cash, buying power, water marks, day P&L and positions."""

    async def work(d: Desk) -> dict[str, Any]:
        return portfolio_view(await d.portfolio.current(d.clock.now()))

    view = _run(work)
    if as_json:
        _print_json(view)
        return
    print_portfolio(out, view)


ReasonOpt = Annotated[str, typer.Option("--reason", help="Why (kept in the audit log).")]


@app.command()
def halt(reason: ReasonOpt) -> None:
    """Stop all new orders (HALTED)."""
    ev = _run(lambda d: d.control.halt(reason, actor="cli"))
    say(out, f"trading state {ev.previous.value} -> {ev.current.value}: {shown(ev.reason)}")


@app.command()
def resume(reason: ReasonOpt) -> None:
    """Return to ACTIVE after a halt or reduction."""
    ev = _run(lambda d: d.control.resume(reason, actor="cli"))
    say(out, f"trading state {ev.previous.value} -> {ev.current.value}: {shown(ev.reason)}")


@app.command()
def reconcile(
    as_json: JsonFlag = False,
    accept_drift: Annotated[
        bool,
        typer.Option("--accept-drift", help="Adopt the broker's books even above the drift limit."),
    ] = False,
) -> None:
    """Reconcile our books with the broker's now (drift above the limit halts trading)."""

    async def work(d: Desk) -> dict[str, Any]:
        assert d.sync is not None
        report = await d.sync.run_once(accept_drift=accept_drift, actor="cli")
        return report.summary()

    summary = _run(work)
    if as_json:
        _print_json(summary)
    else:
        for key, value in summary.items():
            say(out, f"{key:<26} {shown(value)}")
    if summary["halted"]:
        raise typer.Exit(1)


@app.command()
def status(as_json: JsonFlag = False) -> None:
    """Show the trading state and the last change of it."""

    async def work(d: Desk) -> dict[str, Any]:
        state = await d.control.state()
        return {
            "trading_state": state.value,
            "profile": d.settings.profile.value,
            "market": d.provider.source.value,
            "broker": d.broker.name,
        }

    info = _run(work)
    if as_json:
        _print_json(info)
    else:
        for key, value in info.items():
            say(out, f"{key:<14} {shown(value)}")


@app.command()
def scan(
    tickers: Annotated[
        list[str] | None, typer.Argument(help="Tickers to decide (default: the watchlist).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Run one scan: a decision for each ticker, a few at a time."""
    from swingdesk.services.scan import scan as run_scan
    from swingdesk.services.watchlist import Watchlist

    async def work(d: Desk) -> dict[str, Any]:
        from swingdesk.store.job_state import JobState

        shared = JobState(d.store, None) if d.store.engine.dialect.name == "postgresql" else None
        watchlist = Watchlist(d.settings.data_dir / "watchlist.json", d.provider.universe, shared)
        chosen = tickers or await watchlist.current()
        report = await run_scan(
            d.pipeline,
            list(chosen),
            clock=d.clock,
            concurrency=d.settings.scan_concurrency,
            trigger="cli-scan",
        )
        return report.summary()

    summary = _run(work)
    if as_json:
        _print_json(summary)
        return
    out.print(scan_table(summary))


# The backtest command's options whose declarations would not fit on one line.
BacktestStrategyOpt = Annotated[
    str, typer.Option(help="rules, crossover, llm-replay, package.module:Class or file.py:Class.")
]
ParamOpt = Annotated[
    list[str] | None, typer.Option(help="Strategy parameter NAME=VALUE (repeatable).")
]
EarningsUnknownOpt = Annotated[
    str, typer.Option(help="No known earnings date: block (as live) or allow new longs.")
]
RiskProfileOpt = Annotated[str, typer.Option(help="desk (every rule) or buying-power-only.")]
TrailPctOpt = Annotated[
    str, typer.Option(help="Trailing stop this fraction below the high, e.g. 0.05.")
]
TrailPriceOpt = Annotated[str, typer.Option(help="Trailing stop this many USD below the high.")]
CloseFractionOpt = Annotated[
    str, typer.Option(help="Exit signals close this fraction of the position, e.g. 0.5.")
]


@app.command()
def backtest(
    data: Annotated[Path | None, typer.Option(help="Directory of TICKER.csv files.")] = None,
    simulated: Annotated[bool, typer.Option(help="Replay the simulated market instead.")] = False,
    tickers: Annotated[str, typer.Option(help="Comma-separated tickers, e.g. AAPL,MSFT.")] = "",
    universe: Annotated[str, typer.Option(help="'all': every ticker in the data.")] = "",
    start: Annotated[str, typer.Option(help="First session, YYYY-MM-DD.")] = "",
    end: Annotated[str, typer.Option(help="Last session, YYYY-MM-DD.")] = "",
    strategy: BacktestStrategyOpt = "rules",
    param: ParamOpt = None,
    engine: Annotated[str, typer.Option(help="auto, fast or pipeline.")] = "auto",
    initial_cash: Annotated[str, typer.Option(help="Starting cash, USD.")] = "100000",
    slippage_bps: Annotated[str, typer.Option(help="Fill slippage, basis points.")] = "5",
    commission: Annotated[str, typer.Option(help="Commission per order, USD.")] = "0",
    earnings_unknown: EarningsUnknownOpt = "block",
    risk_profile: RiskProfileOpt = "desk",
    seed: Annotated[int, typer.Option(help="Seed of the simulated market.")] = 42,
    trail_pct: TrailPctOpt = "",
    trail_price: TrailPriceOpt = "",
    close_fraction: CloseFractionOpt = "",
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the result here.")] = None,
    report: Annotated[Path | None, typer.Option(help="Write an HTML report here.")] = None,
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
) -> None:
    """Replay history day by day through the desk's strategy, risk and execution code."""
    from swingdesk.backtest.command import build_params, summary_lines, terminal_progress
    from swingdesk.backtest.report import render
    from swingdesk.backtest.runner import run_backtest
    from swingdesk.cli_strategy import parse_overrides
    from swingdesk.domain.errors import ConfigurationError

    try:
        params = build_params(
            data=data, simulated=simulated, tickers=tickers, universe=universe, start=start,
            end=end, strategy=strategy, engine=engine, initial_cash=initial_cash,
            slippage_bps=slippage_bps, commission=commission, earnings_unknown=earnings_unknown,
            risk_profile=risk_profile, seed=seed, today=wall_clock().now().date(),
            trail_pct=trail_pct, trail_price=trail_price, close_fraction=close_fraction,
            strategy_params=tuple(sorted(parse_overrides(param or []).items())),
        )  # fmt: skip
        with terminal_progress(err, enabled=not quiet) as progress:
            result = event_loop.run(run_backtest(params, progress=progress))
    except SwingdeskError as exc:
        # A backtest's configuration is its command line: a bad one is bad input here.
        _fail(exc, bad_input=(ConfigurationError,))
    if json_out is not None:
        json_out.write_text(result.to_json())
    if report is not None:
        report.write_text(render(result), encoding="utf-8")
    for line in summary_lines(result):
        # Tickers and skip reasons come from the user's files: controls shown, not obeyed.
        out.print(printable(line), highlight=False, markup=False, soft_wrap=True)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply database migrations."""
    from swingdesk.config import redact_url
    from swingdesk.store import migrate

    try:
        url = load_settings().effective_database_url
        migrate.upgrade(url, revision)
    except SwingdeskError as exc:
        _fail(exc)
    say(out, f"database {shown(redact_url(url))} at revision {migrate.current_revision(url)}")


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute the audit hash chain; exit 1 if any entry was edited or deleted."""
    report = _run(lambda d: d.store.verify_audit())
    if report.ok:
        out.print(f"audit log intact: {report.entries} entries, hash chain verified")
        return
    for problem in report.problems:
        say(err, f"[red]TAMPERED[/red] {shown(problem)}")
    raise typer.Exit(1)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Run the API service (and everything behind it) in one process."""
    from swingdesk.api.app import create_app
    from swingdesk.api.server import serve as run_server

    overrides: dict[str, Any] = {}
    if host:
        overrides["host"] = host
    if port:
        overrides["port"] = port
    try:
        settings = load_settings(**overrides)
        run_server(create_app(settings), settings)
    except SwingdeskError as exc:
        _fail(exc)


def main() -> None:
    """Run the command line."""
    app()
