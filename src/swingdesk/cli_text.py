"""What the command line prints for people (the ``--json`` forms print data as it is).

Every value that comes from storage, a model, a broker or a data vendor goes through
``terminal.shown`` before it reaches a Rich markup string, and lines carrying such text are
printed with ``soft_wrap`` so that Rich never breaks one at a space and starts a new line with
whatever the text says next.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from swingdesk.terminal import shown

#: Continuation lines of a multi-line stored text start here, never at the margin.
BLOCK_INDENT = " " * 10
_SNAPSHOT_KEYS = (
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
)
_PORTFOLIO_KEYS = (
    "trading_state",
    "equity",
    "cash",
    "buying_power",
    "high_water_mark",
    "start_of_day_equity",
    "day_pnl",
    "drawdown_pct",
)


def say(console: Console, markup: str) -> None:
    """Print one line whose stored parts were passed through ``shown``."""
    console.print(markup, highlight=False, soft_wrap=True, emoji=False)


def checks_table(risk: dict[str, Any]) -> Table:
    """Render every risk check, passed ones too, with its value and limit."""
    table = Table(title="risk checks: " + ("APPROVED" if risk["approved"] else "DENIED"))
    for col in ("check", "result", "value", "limit", "detail"):
        table.add_column(col)
    for c in risk["checks"]:
        result = "pass" if c["passed"] else "[red]FAIL[/red]"
        cells = (shown(c["code"]), result, shown(c["value"]), shown(c["limit"]))
        table.add_row(*cells, shown(c["message"]))
    return table


def print_outcome(out: Console, err: Console, s: dict[str, Any]) -> None:
    """Print one decision's outcome, as `swingdesk trigger` shows it."""
    say(
        out,
        f"[bold]decision[/bold] {shown(s['decision_id'])}  {shown(s['ticker'])}  "
        f"status={shown(s['status'])}",
    )
    if s["signal"]:
        sig = s["signal"]
        say(
            out,
            f"[bold]signal[/bold]   {shown(sig['action'])} ({sig['confidence']:.2f}) "
            f"{shown(sig['rationale'])}",
        )
    if s["risk"]:
        r = s["risk"]
        out.print(checks_table(r))
        if r["approved"]:
            say(out, f"shares {shown(r['shares'])}  stop {shown(r['stop_price'])}")
    if s["order"]:
        o = s["order"]
        say(
            out,
            f"[bold]order[/bold]    {shown(o['client_order_id'])} {shown(o['side'])} "
            f"{shown(o['qty'])} -> {shown(o['status'])} filled {shown(o['filled_qty'])} "
            f"@ {shown(o['filled_avg_price'])}",
        )
    if s["error"]:
        e = s["error"]
        say(
            err,
            f"[red]failed at {shown(e['stage'])}[/red] [{shown(e['code'])}] {shown(e['message'])}",
        )


def print_explain(out: Console, record: dict[str, Any]) -> None:
    """Print a decision's provenance, as `swingdesk explain` shows it."""
    dec = record["decision"]
    out.rule(
        f"decision {shown(dec['decision_id'])} - {shown(dec['ticker'])} - {shown(dec['status'])}"
    )
    if dec.get("error_code"):
        say(
            out,
            f"[red]failed at {shown(dec['failed_stage'])}[/red] "
            f"[{shown(dec['error_code'])}] {shown(dec['error_message'])}",
        )
    if record["market_snapshot"]:
        snap = record["market_snapshot"]
        out.print("[bold]market snapshot[/bold]")
        for key in _SNAPSHOT_KEYS:
            say(out, f"  {key:<26} {shown(snap.get(key))}")
    if record.get("context"):
        print_context(out, record["context"])
    if record["strategy"]:
        st = record["strategy"]
        say(
            out,
            f"[bold]strategy[/bold] {shown(st['model'])} "
            f"(prompt {shown(str(st['prompt_hash'])[:12])}, cache hit: {shown(st['cache_hit'])}, "
            f"{st['latency_ms']:.2f} ms)",
        )
        say(out, f"  input:  {shown(st['prompt'], indent=BLOCK_INDENT)}")
        say(out, f"  reply:  {shown(st['raw_output'], indent=BLOCK_INDENT)}")
        for v in st.get("views") or []:
            print_view(out, v)
        say(
            out,
            f"  => {shown(st['action'])} ({st['confidence']:.2f}) "
            f"{shown(st['rationale'], indent=BLOCK_INDENT)}",
        )
    if record["risk"]:
        out.print(checks_table(record["risk"]))
    for o in record["orders"]:
        say(
            out,
            f"[bold]order[/bold] {shown(o['client_order_id'])} {shown(o['side'])} "
            f"{shown(o['qty'])} {shown(o['ticker'])} -> {shown(o['status'])} "
            f"(broker id {shown(o['broker_order_id'])})",
        )
        if o.get("message"):
            say(out, f"      [{shown(o['error_code'])}] {shown(o['message'])}")
    for f in record["fills"]:
        say(out, f"[bold]fill[/bold]  {shown(f['qty'])} @ {shown(f['price'])} ({shown(f['ts'])})")
    out.print("[bold]audit[/bold]")
    for a in record["audit"]:
        say(out, f"  #{shown(a['seq'])} {shown(a['ts'])} {shown(a['kind'])}: {shown(a['message'])}")


def print_context(out: Console, ctx: dict[str, Any]) -> None:
    """Print the fundamentals, the headlines with their scores and the aggregate sentiment."""
    f = ctx.get("fundamentals")
    if f:
        figures = ", ".join(f"{k} {shown(v)}" for k, v in f.items() if k not in ("as_of", "source"))
        say(out, f"[bold]fundamentals[/bold] as of {shown(f['as_of'])} ({shown(f['source'])}): "
                 f"{figures}")  # fmt: skip
    s = ctx.get("sentiment")
    if s:
        score = "none" if s["score"] is None else f"{s['score']:+.2f}"
        say(out, f"[bold]sentiment[/bold] {score} ({shown(s['label'])}) over "
                 f"{shown(s['headlines'])} headlines; method {shown(s['method'])}")  # fmt: skip
    for h in ctx.get("news") or []:
        score = "  n/a" if h["sentiment"] is None else f"{h['sentiment']:+.2f}"
        say(out, f"  {score} {shown(h['published_at'])} {shown(h['publisher'])}: "
                 f"{shown(h['title'])} {shown(h['url'] or '')}")  # fmt: skip
    if ctx.get("missing"):
        say(out, f"  context missing: {shown(', '.join(ctx['missing']))}")


def print_view(out: Console, v: dict[str, Any]) -> None:
    """Print one analyst-team view with what its call cost."""
    cost = f"{shown(v['tokens_in'])}+{shown(v['tokens_out'])} tokens, {shown(v['cost_usd'])} USD"
    if v["status"] != "ok":
        say(out, f"  view {shown(v['role'])}: unavailable [{shown(v['reason_code'])}] "
                 f"{shown(v['detail'])} ({cost})")  # fmt: skip
        return
    say(out, f"  view {shown(v['role'])}: {shown(v['stance'])} {v['confidence']:.2f} "
             f"({cost}, cache hit: {shown(v['cache_hit'])})")  # fmt: skip
    for point in v["key_points"]:
        say(out, f"      - {shown(point)}")


def print_portfolio(out: Console, view: dict[str, Any]) -> None:
    """Print the account figures and a table of positions."""
    for key in _PORTFOLIO_KEYS:
        say(out, f"{key:<20} {shown(view[key])}")
    table = Table(title="positions")
    for col in ("ticker", "qty", "avg price", "last", "value", "P&L", "% equity", "sector", "stop"):
        table.add_column(col)
    for p in view["positions"]:
        pct = p["pct_of_equity"]
        keys = ("ticker", "qty", "avg_price", "market_price", "market_value", "unrealized_pnl")
        cells = [shown(p[k]) for k in keys]
        table.add_row(
            *cells, "" if pct is None else shown(pct), shown(p["sector"]), shown(p["stop_price"])
        )
    out.print(table)


def scan_table(summary: dict[str, Any]) -> Table:
    """Render one scan's results, a row per ticker."""
    table = Table(title=f"scan of {len(summary['tickers'])} tickers ({summary['duration_ms']} ms)")
    for col in ("ticker", "status", "signal", "risk", "order", "decision"):
        table.add_column(col)
    for r in summary["results"]:
        sig, risk, order = r.get("signal"), r.get("risk"), r.get("order")
        table.add_row(
            shown(r["ticker"]),
            shown(r["status"]),
            f"{shown(sig['action'])} {sig['confidence']:.2f}" if sig else "",
            ("approved" if risk["approved"] else "denied") if risk else "",
            f"{shown(order['side'])} {shown(order['qty'])} {shown(order['status'])}"
            if order
            else "",
            shown(r.get("decision_id", "")),
        )
    return table
