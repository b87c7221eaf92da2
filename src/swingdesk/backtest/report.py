"""The HTML report of a backtest: one self-contained file, rendered from the JSON document.

Everything shown comes from ``BacktestResult.to_doc()`` (the same numbers as ``--json``);
every figure cell carries its raw JSON value in ``data-value`` so a reader or a test can
check the two agree. No script, font, stylesheet or image is fetched: styles are inline
and the charts are inline SVG drawn in Python (``charts``). All text is escaped.
"""

from __future__ import annotations

import html
from datetime import date
from decimal import Decimal
from typing import Any

from swingdesk.backtest import charts
from swingdesk.backtest.metrics import monthly_returns, yearly_from_monthly
from swingdesk.backtest.result import BacktestResult

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_PERCENT = {
    "total_return", "cagr", "volatility", "max_drawdown", "win_rate", "exposure_average",
    "exposure_max",
}  # fmt: skip
_SHARED = (
    "total_return", "cagr", "volatility", "sharpe", "sortino", "max_drawdown",
    "max_drawdown_peak", "max_drawdown_trough", "final_equity",
)  # fmt: skip
_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#1b1f24;
max-width:1100px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #d0d7de}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
td,th{border:1px solid #d0d7de;padding:3px 8px;text-align:right}
th{background:#f6f8fa}td.l,th.l{text-align:left}
.pos{color:#1a7f37}.neg{color:#cf222e}.warn{background:#fff8c5;padding:8px;border:1px solid #d4a72c}
svg.chart{width:100%;height:auto;font-size:11px;fill:#57606a}svg .grid{stroke:#eaeef2}
.empty{color:#57606a}
"""


def _e(value: object) -> str:
    return html.escape(str(value))


def _fmt(key: str, value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.2%}" if key in _PERCENT else f"{value:,.2f}"
    return str(value)


def _cell(key: str, value: Any) -> str:
    raw = "" if value is None else str(value)
    shown = _fmt(key.removeprefix("benchmark."), value)
    return f'<td data-key="{_e(key)}" data-value="{_e(raw)}">{_e(shown)}</td>'


def _table(head: list[str], rows: list[str], *, css: str = "") -> str:
    cols = "".join(f"<th>{_e(h)}</th>" for h in head)
    return (
        f'<table class="{css}"><thead><tr>{cols}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )


def _section(key: str, title: str, body: str) -> str:
    return f'<section id="{key}"><h2>{_e(title)}</h2>{body}</section>'


def _parameters(doc: dict[str, Any]) -> str:
    items = dict(doc["params"])
    items["tickers"] = ", ".join(items["tickers"])
    items |= {"data_source": doc["data_source"], "engine_used": doc["engine_used"]}
    rows = [
        f'<tr><th class="l">{_e(k)}</th><td class="l">{_e(v)}</td></tr>' for k, v in items.items()
    ]
    return _table(["parameter", "value"], rows)


def _metrics(doc: dict[str, Any]) -> str:
    mine = doc["metrics"]
    bench = (doc.get("benchmark") or {}).get("metrics", {})
    rows = []
    for key, value in mine.items():
        if isinstance(value, dict):
            continue  # denials and rejections have their own section
        other = _cell(f"benchmark.{key}", bench[key]) if key in _SHARED and bench else "<td></td>"
        rows.append(f'<tr><th class="l">{_e(key)}</th>{_cell(key, value)}{other}</tr>')
    return _table(["figure", "strategy", "buy & hold"], rows)


def _charts(doc: dict[str, Any]) -> tuple[str, str]:
    dates = [d["date"] for d in doc["days"]]
    equity = [float(d["equity"]) for d in doc["days"]]
    lines = [charts.Series("strategy", "#0969da", equity)]
    bench_days = (doc.get("benchmark") or {}).get("days", [])
    if len(bench_days) == len(dates):
        lines.append(
            charts.Series("buy & hold", "#9a6700", [float(d["equity"]) for d in bench_days])
        )
    curve = charts.line_chart("Equity (USD)", dates, lines)
    falls = [charts.Series(s.label, s.colour, charts.drawdowns(s.values)) for s in lines]
    dd = charts.line_chart("Drawdown", dates, falls, value_format="{:.1%}", floor_zero=True)
    return curve, dd


def _monthly(doc: dict[str, Any]) -> str:
    days = [date.fromisoformat(d["date"]) for d in doc["days"]]
    equity = [Decimal(d["equity"]) for d in doc["days"]]
    if not days:
        return '<p class="empty">no sessions</p>'
    monthly = monthly_returns(days, equity, Decimal(doc["params"]["initial_cash"]))
    yearly = yearly_from_monthly(monthly)
    rows = []
    for year in sorted(yearly):
        cells = []
        for month in range(1, 13):
            r = monthly.get((year, month))
            cells.append("<td></td>" if r is None else _signed(f"{year}-{month:02d}", r))
        rows.append(f"<tr><th>{year}</th>{''.join(cells)}{_signed(str(year), yearly[year])}</tr>")
    return _table(["year", *_MONTHS, "year"], rows, css="monthly")


def _signed(key: str, r: float) -> str:
    css = "pos" if r > 0 else "neg" if r < 0 else ""
    return f'<td class="{css}" data-key="{_e(key)}" data-value="{r:.6f}">{r:.2%}</td>'


def _trades(doc: dict[str, Any]) -> str:
    if not doc["trades"]:
        return '<p class="empty">no round trip closed</p>'
    keys = ("ticker", "entry_date", "exit_date", "shares", "entry_price", "exit_price", "pnl",
            "exit_reason")  # fmt: skip
    rows = [
        "<tr>" + "".join(f'<td class="l">{_e(t[k])}</td>' for k in keys) + "</tr>"
        for t in doc["trades"]
    ]
    return _table(list(keys), rows, css="trades")


_OPEN = ("shares", "entry_date", "entry_price", "mark", "market_value", "unrealized_pnl")


def _open_positions(doc: dict[str, Any]) -> str:
    held = doc["open_positions"]
    if not held:
        return '<p class="empty">no position open at the end</p>'
    rows = []
    for ticker, pos in held.items():
        cells = "".join(_raw(f"open.{ticker}.{k}", pos[k]) for k in _OPEN)
        rows.append(f'<tr><td class="l">{_e(ticker)}</td>{cells}</tr>')
    note = (
        "<p>Marked at the last session's close; unrealised P&amp;L is after the entry's "
        "commission. Their value is in the final equity and the figures above.</p>"
    )
    return note + _table(["ticker", *_OPEN], rows, css="open")


def _raw(key: str, value: str) -> str:
    """Return a cell showing a JSON string value as it is (no rounding)."""
    return f'<td data-key="{_e(key)}" data-value="{_e(value)}">{_e(value)}</td>'


def _counts(title: str, counts: dict[str, int]) -> str:
    if not counts:
        return f'<p class="empty">no {_e(title)}</p>'
    rows = [f'<tr><td class="l">{_e(k)}</td>{_cell(k, v)}</tr>' for k, v in counts.items()]
    return _table(["code", "count"], rows)


def _skipped(doc: dict[str, Any]) -> str:
    if not doc["skipped"]:
        return '<p class="empty">every requested ticker was backtested</p>'
    rows = [
        f'<tr><td class="l">{_e(t)}</td><td class="l">{_e(why)}</td></tr>'
        for t, why in doc["skipped"].items()
    ]
    return _table(["ticker", "reason"], rows)


def _contamination(c: dict[str, Any]) -> str:
    keys = ("status", "model", "knowledge_cutoff", "cutoff_source", "decisions",
            "contaminated_count", "contaminated_share", "cutoff_unknown_count",
            "cutoff_unknown_share")  # fmt: skip
    rows = [f'<tr><th class="l">{_e(k)}</th>{_cell(k, c[k])}</tr>' for k in keys]
    flagged = c["flagged"]
    span = ""
    if flagged:
        span = (
            f"<p>Flagged decisions run from {_e(flagged[0]['date'])} to "
            f"{_e(flagged[-1]['date'])}; the JSON lists each one.</p>"
        )
    warn = ""
    if c["status"] != "clean":
        warn = (
            '<p class="warn">The model may have seen what happened after these decisions '
            "(they are dated before its knowledge cutoff, or the cutoff is unknown): their "
            "results are not evidence of forecasting skill.</p>"
        )
    return warn + _table(["", "value"], rows) + span


def render(result: BacktestResult) -> str:
    """Return the report as one HTML document."""
    doc = result.to_doc()
    p = doc["params"]
    title = f"swingdesk backtest {p['strategy']} {p['start']}..{p['end']}"
    curve, dd = _charts(doc)
    metrics = doc["metrics"]
    sections = [
        _section("parameters", "Parameters", _parameters(doc)),
        _section("metrics", "Figures", _metrics(doc)),
        _section("equity", "Equity vs buy & hold", curve),
        _section("drawdown", "Drawdown", dd),
        _section("monthly", "Monthly returns", _monthly(doc)),
        _section("trades", "Trades", _trades(doc)),
        _section("open_positions", "Open positions at the end", _open_positions(doc)),
        _section(
            "denials",
            "Denials by risk code (first failing stage)",
            _counts("denials", metrics["denials_by_code"]),
        ),
        _section(
            "rejections",
            "Orders rejected by the broker",
            _counts("rejections", metrics["rejected_orders_by_code"]),
        ),
        _section("skipped", "Skipped tickers", _skipped(doc)),
    ]
    if doc["contamination"] is not None:
        sections.append(
            _section(
                "contamination", "Look-ahead contamination", _contamination(doc["contamination"])
            )
        )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head>"
        f"<body><h1>{_e(title)}</h1>{''.join(sections)}</body></html>\n"
    )
