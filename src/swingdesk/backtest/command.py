"""The ``swingdesk backtest`` command's plumbing: options to parameters, progress, summary.

Kept out of ``cli.py`` so the command there stays a thin shell around these functions.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from swingdesk.backtest.result import BacktestParams, BacktestResult
from swingdesk.backtest.result import Progress as ProgressCallback
from swingdesk.backtest.runner import check_params
from swingdesk.backtest.window import check_window
from swingdesk.domain.errors import InputError
from swingdesk.domain.ticker import sanitize_ticker


def _day(flag: str, text: str) -> date:
    if not text:
        raise InputError(f"{flag} is required (YYYY-MM-DD)")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{flag} must be a date YYYY-MM-DD, got {text!r}") from None


def _number(flag: str, text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InputError(f"{flag} must be a number, got {text!r}") from None
    if not value.is_finite():
        raise InputError(f"{flag} must be a finite number, got {text!r}")
    return value


def build_params(
    *,
    data: Path | None,
    simulated: bool,
    tickers: str,
    universe: str,
    start: str,
    end: str,
    strategy: str,
    engine: str,
    initial_cash: str,
    slippage_bps: str,
    commission: str,
    earnings_unknown: str,
    risk_profile: str,
    seed: int,
    today: date,
    trail_pct: str = "",
    trail_price: str = "",
    close_fraction: str = "",
    strategy_params: tuple[tuple[str, str], ...] = (),
) -> BacktestParams:
    """Return the parameters the options describe; raise InputError naming a bad option.

    ``today`` bounds a simulated window (see ``backtest.window``), as the API's clock does.
    """
    if universe not in ("", "all"):
        raise InputError(f"--universe takes only 'all', got {universe!r}")
    names = tuple(dict.fromkeys(sanitize_ticker(t) for t in tickers.split(",") if t.strip()))
    params = BacktestParams(
        data_dir=data,
        tickers=names,
        start=_day("--start", start),
        end=_day("--end", end),
        initial_cash=_number("--initial-cash", initial_cash),
        slippage_bps=_number("--slippage-bps", slippage_bps),
        commission=_number("--commission", commission),
        strategy=strategy,
        engine=engine,
        simulated=simulated,
        universe_all=universe == "all",
        earnings_unknown=earnings_unknown,
        risk_profile=risk_profile,
        sim_seed=seed,
        trail_pct=_number("--trail-pct", trail_pct) if trail_pct else None,
        trail_price=_number("--trail-price", trail_price) if trail_price else None,
        close_fraction=_number("--close-fraction", close_fraction) if close_fraction else None,
        strategy_params=strategy_params,
    )
    check_params(params)
    check_window(params, today=today)
    return params


@contextmanager
def terminal_progress(console: Console, *, enabled: bool) -> Iterator[ProgressCallback | None]:
    """Yield a callback drawing a progress bar on ``console``, or None when disabled."""
    if not enabled or not console.is_terminal:
        yield None
        return
    columns = (
        TextColumn("backtest"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("sessions"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("backtest", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def summary_lines(result: BacktestResult) -> list[str]:
    """Return the lines the command prints: skipped tickers, figures, benchmark, flags."""
    lines = [f"skipped {t}: {why}" for t, why in sorted(result.skipped.items())]
    for key, value in result.metrics().items():
        lines.append(f"{key:<26} {value}")
    doc = result.to_doc()
    if doc["benchmark"] is not None:
        bench = doc["benchmark"]["metrics"]
        lines.append(
            f"{'benchmark (buy & hold)':<26} total_return {bench['total_return']} "
            f"cagr {bench['cagr']} sharpe {bench['sharpe']} max_drawdown {bench['max_drawdown']}"
        )
    c = result.contamination
    if c is not None:
        cutoff = c.cutoff.day.isoformat() if c.cutoff.day else "unknown"
        lines.append(
            f"{'contamination':<26} {c.status}: cutoff {cutoff} ({c.cutoff.source}), "
            f"{c.contaminated} of {c.decisions} decisions before it, {c.unknown} unjudged"
        )
    return lines
