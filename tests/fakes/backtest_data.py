"""A tiny deterministic CSV market for backtest tests: three tickers, ~100 sessions."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from swingdesk.domain.calendar import TradingCalendar

START, END = date(2024, 1, 2), date(2024, 5, 31)
CRASH_AT = 85  # session index where UPCO gaps down through its stop


def sessions() -> list[date]:
    """Return the data set's sessions."""
    return TradingCalendar(start=date(2023, 1, 1)).sessions_between(START, END)


def write_market(root: Path) -> Path:
    """Write UPCO (uptrend then a gap down), FLAT (sideways) and DOWN (downtrend) CSVs."""
    days = sessions()
    rows: dict[str, list[str]] = {"UPCO": [], "FLAT": [], "DOWN": []}
    for i, d in enumerate(days):
        wiggle = 0.4 if i % 2 else -0.4
        up = 100 + 0.3 * i + wiggle
        if i >= CRASH_AT:
            up = 100 + 0.3 * CRASH_AT - 25 - 0.3 * (i - CRASH_AT)
        prices = {"UPCO": up, "FLAT": 50 + wiggle, "DOWN": 200 - 0.5 * i + wiggle}
        for t, close in prices.items():
            o = close - 0.2
            rows[t].append(f"{d},{o:.2f},{close + 1:.2f},{close - 1:.2f},{close:.2f},5000000")
    root.mkdir(parents=True, exist_ok=True)
    for t, lines in rows.items():
        (root / f"{t}.csv").write_text("date,open,high,low,close,volume\n" + "\n".join(lines))
    (root / "vix.csv").write_text(
        "date,open,high,low,close\n" + "\n".join(f"{d},15,16,14,15" for d in days)
    )
    (root / "sectors.csv").write_text(
        "symbol,name,sector\nUPCO,Up Co,Technology\nFLAT,Flat Co,Utilities\nDOWN,Down Co,Energy\n"
    )
    (root / "earnings.csv").write_text(
        "symbol,date\n" + "".join(f"{t},2023-06-01\n{t},2024-12-02\n" for t in rows)
    )
    return root
