"""``swingdesk strategy check``: does a strategy's ``signals`` peek at the future, and does
it settle within its declared warm-up?

Look-ahead: the signals are recomputed on the data truncated after each checked bar; every
value up to that bar must equal the one computed on the whole history (a strategy that
reads a later bar, ``shift(-1)`` or a whole-column statistic fails). Recursive (warm-up):
the signals are recomputed on the data with its first bars dropped; after the declared
``warmup_bars`` every value must equal the whole-history one (an indicator whose memory is
longer than declared, an EMA seeded from the first bar, fails). The first offending column
(indicator), ticker and date are reported. ``decide`` needs no check: it only sees a
snapshot built from the bars up to the decision.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from swingdesk.marketdata.indicators import (
    ADV_PERIOD,
    SMA_LONG,
    SMA_SHORT,
    decision_atr_values,
    rolling_mean_values,
)
from swingdesk.strategy.api import StrategyParams, SwingStrategy
from swingdesk.strategy.frames import signal_table

#: Truncation points per ticker for the look-ahead check.
CUTS = 24
#: Dropped-history starts per ticker for the recursive check.
STARTS = 4


@dataclass(frozen=True, slots=True)
class Finding:
    """The first value that changed: which check, ticker, column (indicator) and date."""

    check: str
    ticker: str
    column: str
    day: date
    full: object
    changed: object
    detail: str


@dataclass
class CheckReport:
    """What the checks found (nothing found: ``ok``)."""

    strategy: str
    tickers: list[str]
    vectorised: bool
    lookahead: Finding | None = None
    recursive: Finding | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Say whether neither check found anything."""
        return self.lookahead is None and self.recursive is None

    def lines(self) -> list[str]:
        """Return the report in plain words, one finding per line."""
        out = [f"strategy {self.strategy} on {', '.join(self.tickers)}"]
        if not self.vectorised:
            out.append("no signals(): decide() only sees snapshots of past bars; nothing to check")
        for name, f in (("look-ahead", self.lookahead), ("recursive", self.recursive)):
            if f is None:
                out.append(f"{name}: ok" if self.vectorised else f"{name}: n/a")
            else:
                out.append(
                    f"{name}: FAIL — column {f.column!r} of {f.ticker} on {f.day}: "
                    f"{f.full!r} with the whole history, {f.changed!r} {f.detail}"
                )
        return out + self.notes


def desk_frame(ohlcv: pd.DataFrame) -> pd.DataFrame:
    """Return ``ohlcv`` (open, high, low, close, volume) with the desk's indicators added."""
    high, low = ohlcv["high"].to_numpy(float), ohlcv["low"].to_numpy(float)
    close, volume = ohlcv["close"].to_numpy(float), ohlcv["volume"].to_numpy(float)
    return (
        ohlcv[["open", "high", "low", "close", "volume"]]
        .astype(float)
        .assign(
            atr_14=decision_atr_values(high, low, close),
            sma_20=rolling_mean_values(close, SMA_SHORT),
            sma_50=rolling_mean_values(close, SMA_LONG),
            adv_20=rolling_mean_values(volume, ADV_PERIOD),
        )
    )


def _first_difference(
    full: pd.DataFrame, part: pd.DataFrame, rows: slice
) -> tuple[int, str] | None:
    """Return (row, column) of the first value of ``part`` differing from ``full``."""
    a, b = full.iloc[rows], part.iloc[rows] if len(part) > 0 else part
    for column in full.columns:
        if column not in b.columns:
            return (0, str(column))
    hits: list[tuple[int, int, str]] = []
    # On one row, an indicator is named before the entry derived from it (the root cause).
    order = sorted(full.columns, key=lambda c: (c == "entry", list(full.columns).index(c)))
    for rank, column in enumerate(order):
        x, y = a[column].to_numpy(), b[column].to_numpy()
        if x.dtype.kind in "fc" or y.dtype.kind in "fc":
            same = np.isclose(x.astype(float), y.astype(float), rtol=1e-9, atol=1e-12,
                              equal_nan=True)  # fmt: skip
        else:
            same = x == y
        bad = np.flatnonzero(~np.asarray(same, dtype=bool))
        if bad.size:
            hits.append((int(bad[0]), rank, str(column)))
    if not hits:
        return None
    row, _, name = min(hits)
    return row, name


def check_strategy(
    spec: SwingStrategy, params: StrategyParams, data: dict[str, pd.DataFrame]
) -> CheckReport:
    """Run the look-ahead and recursive checks on every ticker's OHLCV in ``data``."""
    report = CheckReport(spec.name, sorted(data), spec.has_signals())
    if not report.vectorised:
        return report
    warmup = max(int(spec.warmup_bars), 0)
    for ticker in sorted(data):
        frame = desk_frame(data[ticker])
        n = len(frame)
        if n < warmup + 10:
            report.notes.append(f"{ticker}: {n} bars, too few for warm-up {warmup}; skipped")
            continue
        full = signal_table(spec, frame, params)
        if report.lookahead is None:
            report.lookahead = _lookahead(spec, params, ticker, frame, full, warmup)
        if report.recursive is None:
            report.recursive = _recursive(spec, params, ticker, frame, full, warmup)
    return report


def _lookahead(
    spec: SwingStrategy,
    params: StrategyParams,
    ticker: str,
    frame: pd.DataFrame,
    full: pd.DataFrame,
    warmup: int,
) -> Finding | None:
    n = len(frame)
    cuts = np.unique(np.linspace(min(warmup, n - 1), n - 2, CUTS).astype(int))
    worst: tuple[int, str, object] | None = None
    for cut in cuts.tolist():
        part = signal_table(spec, frame.iloc[: cut + 1], params)
        diff = _first_difference(full, part, slice(0, cut + 1))
        if diff is not None and (worst is None or diff[0] < worst[0]):
            row, column = diff
            worst = (row, column, part[column].iloc[row] if column in part else None)
    if worst is None:
        return None
    row, column, changed = worst
    return Finding(
        "look-ahead", ticker, column, frame.index[row].date(), full[column].iloc[row],
        changed, "when the data ends earlier: the signal reads bars after its date",
    )  # fmt: skip


def _recursive(
    spec: SwingStrategy,
    params: StrategyParams,
    ticker: str,
    frame: pd.DataFrame,
    full: pd.DataFrame,
    warmup: int,
) -> Finding | None:
    n = len(frame)
    room = n - warmup - 1
    starts = np.unique(np.linspace(1, max(room // 2, 1), STARTS).astype(int))
    for start in starts.tolist():
        part = signal_table(spec, frame.iloc[start:], params)
        part.index = frame.index[start:]
        settled = slice(warmup, None)
        diff = _first_difference(full.iloc[start:], part, settled)
        if diff is not None:
            row, column = diff
            at = start + warmup + row
            return Finding(
                "recursive", ticker, column, frame.index[at].date(), full[column].iloc[at],
                part[column].iloc[warmup + row],
                f"when the {start} oldest bars are dropped: it needs more than its declared "
                f"warm-up of {warmup} bars",
            )  # fmt: skip
    return None
