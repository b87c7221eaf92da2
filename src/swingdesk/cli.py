"""The `swingdesk` command: every subcommand calls the same services as the API."""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from swingdesk import aio
from swingdesk.bootstrap import Desk, build_desk
from swingdesk.config import load_settings
from swingdesk.domain.errors import InputError, NotFoundError, SwingdeskError
from swingdesk.services.explain import explain_decision, explain_json
from swingdesk.services.pipeline import DecisionOutcome
from swingdesk.services.views import portfolio_view

app = typer.Typer(help="swingdesk: an LLM-assisted swing-trading desk.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit journal.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(audit_app, name="audit")
out = Console()
err = Console(stderr=True)
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
        return aio.run(main())
    except SwingdeskError as exc:
        err.print(f"[red]error[/red] [{exc.code}] {exc.message}", highlight=False)
        raise typer.Exit(2 if isinstance(exc, InputError | NotFoundError) else 1) from None


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
        _print_outcome(summary)
    if outcome.error_code is not None:
        raise typer.Exit(1)


def _checks_table(risk: dict[str, Any]) -> Table:
    """Render every risk check, passed ones too, with its value and limit."""
    table = Table(title="risk checks: " + ("APPROVED" if risk["approved"] else "DENIED"))
    for col in ("check", "result", "value", "limit", "detail"):
        table.add_column(col)
    for c in risk["checks"]:
        result = "pass" if c["passed"] else "[red]FAIL[/red]"
        table.add_row(c["code"], result, str(c["value"]), str(c["limit"]), c["message"])
    return table


def _print_outcome(s: dict[str, Any]) -> None:
    out.print(f"[bold]decision[/bold] {s['decision_id']}  {s['ticker']}  status={s['status']}")
    if s["signal"]:
        sig = s["signal"]
        out.print(
            f"[bold]signal[/bold]   {sig['action']} ({sig['confidence']:.2f}) {sig['rationale']}"
        )
    if s["risk"]:
        r = s["risk"]
        out.print(_checks_table(r))
        if r["approved"]:
            out.print(f"shares {r['shares']}  stop {r['stop_price']}")
    if s["order"]:
        o = s["order"]
        out.print(
            f"[bold]order[/bold]    {o['client_order_id']} {o['side']} {o['qty']} -> {o['status']}"
            f" filled {o['filled_qty']} @ {o['filled_avg_price']}"
        )
    if s["error"]:
        e = s["error"]
        err.print(f"[red]failed at {e['stage']}[/red] [{e['code']}] {e['message']}")


@app.command()
def explain(decision_id: str, as_json: JsonFlag = False) -> None:
    """Show the full provenance of one decision."""
    record = _run(lambda d: explain_decision(d.store, decision_id))
    if as_json:
        sys.stdout.write(explain_json(record) + "\n")
        return
    dec = record["decision"]
    out.rule(f"decision {dec['decision_id']} - {dec['ticker']} - {dec['status']}")
    if record["market_snapshot"]:
        snap = record["market_snapshot"]
        out.print("[bold]market snapshot[/bold]")
        for key in (
            "source",
            "as_of",
            "price",
            "prev_close",
            "day_change_pct",
            "atr_14",
            "sma_20",
            "sma_50",
            "adv_20",
            "volume",
            "vix",
            "next_earnings",
            "earnings_in_trading_days",
            "sector",
            "stale",
            "missing",
        ):
            out.print(f"  {key:<26} {snap.get(key)}", highlight=False)
    if record["strategy"]:
        st = record["strategy"]
        out.print(
            f"[bold]strategy[/bold] {st['model']} (prompt {st['prompt_hash'][:12]}, "
            f"cache hit: {st['cache_hit']}, {st['latency_ms']:.2f} ms)"
        )
        out.print(f"  input:  {st['prompt']}", highlight=False)
        out.print(f"  reply:  {st['raw_output']}", highlight=False)
        out.print(
            f"  => {st['action']} ({st['confidence']:.2f}) {st['rationale']}", highlight=False
        )
    if record["risk"]:
        out.print(_checks_table(record["risk"]))
    for o in record["orders"]:
        out.print(
            f"[bold]order[/bold] {o['client_order_id']} {o['side']} {o['qty']} {o['ticker']} "
            f"-> {o['status']} (broker id {o['broker_order_id']})",
            highlight=False,
        )
    for f in record["fills"]:
        out.print(f"[bold]fill[/bold]  {f['qty']} @ {f['price']} ({f['ts']})", highlight=False)
    out.print("[bold]audit[/bold]")
    for a in record["audit"]:
        out.print(f"  #{a['seq']} {a['ts']} {a['kind']}: {a['message']}", highlight=False)


@app.command()
def portfolio(as_json: JsonFlag = False) -> None:
    """Show equity, cash, buying power, water marks, day P&L and positions."""

    async def work(d: Desk) -> dict[str, Any]:
        return portfolio_view(await d.portfolio.current(d.clock.now()))

    view = _run(work)
    if as_json:
        _print_json(view)
        return
    for key in (
        "trading_state",
        "equity",
        "cash",
        "buying_power",
        "high_water_mark",
        "start_of_day_equity",
        "day_pnl",
        "drawdown_pct",
    ):
        out.print(f"{key:<20} {view[key]}", highlight=False)
    table = Table(title="positions")
    for col in ("ticker", "qty", "avg price", "last", "value", "P&L", "% equity", "sector", "stop"):
        table.add_column(col)
    for p in view["positions"]:
        table.add_row(
            p["ticker"],
            p["qty"],
            p["avg_price"],
            p["market_price"],
            p["market_value"],
            p["unrealized_pnl"],
            p["pct_of_equity"],
            str(p["sector"]),
            str(p["stop_price"]),
        )
    out.print(table)


ReasonOpt = Annotated[str, typer.Option("--reason", help="Why (kept in the audit log).")]


@app.command()
def halt(reason: ReasonOpt) -> None:
    """Stop all new orders (HALTED)."""
    ev = _run(lambda d: d.control.halt(reason, actor="cli"))
    out.print(f"trading state {ev.previous.value} -> {ev.current.value}: {ev.reason}")


@app.command()
def resume(reason: ReasonOpt) -> None:
    """Return to ACTIVE after a halt or reduction."""
    ev = _run(lambda d: d.control.resume(reason, actor="cli"))
    out.print(f"trading state {ev.previous.value} -> {ev.current.value}: {ev.reason}")


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
            out.print(f"{key:<26} {value}", highlight=False)
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
            out.print(f"{key:<14} {value}")


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
        watchlist = Watchlist(d.settings.data_dir / "watchlist.json", d.provider.universe)
        chosen = tickers or watchlist.get()
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
    table = Table(title=f"scan of {len(summary['tickers'])} tickers ({summary['duration_ms']} ms)")
    for col in ("ticker", "status", "signal", "risk", "order", "decision"):
        table.add_column(col)
    for r in summary["results"]:
        sig, risk, order = r.get("signal"), r.get("risk"), r.get("order")
        table.add_row(
            r["ticker"],
            r["status"],
            f"{sig['action']} {sig['confidence']:.2f}" if sig else "",
            ("approved" if risk["approved"] else "denied") if risk else "",
            f"{order['side']} {order['qty']} {order['status']}" if order else "",
            r.get("decision_id", ""),
        )
    out.print(table)


@app.command()
def backtest(
    data: Annotated[Path | None, typer.Option(help="Directory of TICKER.csv files.")] = None,
    simulated: Annotated[bool, typer.Option(help="Replay the simulated market instead.")] = False,
    tickers: Annotated[str, typer.Option(help="Comma-separated tickers, e.g. AAPL,MSFT.")] = "",
    universe: Annotated[str, typer.Option(help="'all': every ticker in the data.")] = "",
    start: Annotated[str, typer.Option(help="First session, YYYY-MM-DD.")] = "",
    end: Annotated[str, typer.Option(help="Last session, YYYY-MM-DD.")] = "",
    strategy: Annotated[str, typer.Option(help="rules, crossover or llm-replay.")] = "rules",
    engine: Annotated[str, typer.Option(help="auto, fast or pipeline.")] = "auto",
    initial_cash: Annotated[str, typer.Option(help="Starting cash, USD.")] = "100000",
    slippage_bps: Annotated[str, typer.Option(help="Fill slippage, basis points.")] = "5",
    commission: Annotated[str, typer.Option(help="Commission per order, USD.")] = "0",
    earnings_unknown: Annotated[
        str, typer.Option(help="No known earnings date: block (as live) or allow new longs.")
    ] = "block",
    risk_profile: Annotated[
        str, typer.Option(help="desk (every rule) or buying-power-only.")
    ] = "desk",
    seed: Annotated[int, typer.Option(help="Seed of the simulated market.")] = 42,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the result here.")] = None,
    report: Annotated[Path | None, typer.Option(help="Write an HTML report here.")] = None,
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
) -> None:
    """Replay history day by day through the desk's strategy, risk and execution code."""
    from swingdesk.adapters.clock import SystemClock
    from swingdesk.backtest.command import build_params, summary_lines, terminal_progress
    from swingdesk.backtest.report import render
    from swingdesk.backtest.runner import run_backtest
    from swingdesk.domain.errors import ConfigurationError

    try:
        params = build_params(
            data=data, simulated=simulated, tickers=tickers, universe=universe, start=start,
            end=end, strategy=strategy, engine=engine, initial_cash=initial_cash,
            slippage_bps=slippage_bps, commission=commission, earnings_unknown=earnings_unknown,
            risk_profile=risk_profile, seed=seed, today=SystemClock().now().date(),
        )  # fmt: skip
        with terminal_progress(err, enabled=not quiet) as progress:
            result = aio.run(run_backtest(params, progress=progress))
    except SwingdeskError as exc:
        err.print(f"[red]error[/red] [{exc.code}] {exc.message}", highlight=False)
        bad_input = isinstance(exc, InputError | NotFoundError | ConfigurationError)
        raise typer.Exit(2 if bad_input else 1) from None
    if json_out is not None:
        json_out.write_text(result.to_json())
    if report is not None:
        report.write_text(render(result), encoding="utf-8")
    for line in summary_lines(result):
        out.print(line, highlight=False, markup=False, soft_wrap=True)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply database migrations."""
    from swingdesk.config import redact_url
    from swingdesk.store import migrate

    settings = load_settings()
    url = settings.effective_database_url
    migrate.upgrade(url, revision)
    out.print(f"database {redact_url(url)} at revision {migrate.current_revision(url)}")


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute the audit hash chain; exit 1 if any entry was edited or deleted."""
    report = _run(lambda d: d.store.verify_audit())
    if report.ok:
        out.print(f"audit log intact: {report.entries} entries, hash chain verified")
        return
    for problem in report.problems:
        err.print(f"[red]TAMPERED[/red] {problem}")
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
    settings = load_settings(**overrides)
    run_server(create_app(settings), settings)


def main() -> None:
    """Run the command line."""
    app()
