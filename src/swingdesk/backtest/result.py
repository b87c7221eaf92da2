"""What a backtest is asked to do and what it produced: parameters, daily records, fills,
round-trip trades, metrics and the deterministic JSON document.

Both engines (``replay``: the live DecisionPipeline day by day; ``engine``: the same pure
strategy, risk and fill code driven from vectorised data) fill the same ``BacktestResult``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from swingdesk.backtest import metrics as m
from swingdesk.backtest.benchmark import Benchmark
from swingdesk.backtest.contamination import Contamination
from swingdesk.domain.enums import OrderSide

#: Called after each session with (sessions done, sessions in total).
Progress = Callable[[int, int], None]

STRATEGIES = ("rules", "crossover", "llm-replay")
ENGINES = ("auto", "fast", "pipeline")
EARNINGS_UNKNOWN = ("block", "allow")
RISK_PROFILES = ("desk", "buying-power-only")


@dataclass(frozen=True)
class BacktestParams:
    """What to replay and with which account."""

    data_dir: Path | None
    tickers: tuple[str, ...]
    start: date
    end: date
    initial_cash: Decimal = Decimal(100_000)
    slippage_bps: Decimal = Decimal(5)
    commission: Decimal = Decimal(0)
    #: "rules" (the desk's rule analyst), "crossover" (SMA-20/50) or "llm-replay".
    strategy: str = "rules"
    #: "auto" picks the fast engine for rule strategies and the pipeline replay otherwise.
    engine: str = "auto"
    #: Replay the simulated market instead of ``data_dir``.
    simulated: bool = False
    #: Every ticker of the data instead of ``tickers``.
    universe_all: bool = False
    #: With no known next earnings date: "block" new longs (as live) or "allow" them.
    earnings_unknown: str = "block"
    #: "desk" (every risk rule as configured) or "buying-power-only" (other gates off).
    risk_profile: str = "desk"
    #: Seed of the simulated market (``simulated`` only).
    sim_seed: int = 42
    #: At the open, send the closes before the entries (their proceeds can pay for them);
    #: False sends everything in approval order, the ticker order of the evening before.
    exits_first: bool = True
    #: Protect with a trailing stop (``domain.trailing``) this fraction, or this many USD,
    #: below the high-water mark instead of the fixed 2 x ATR stop; None: fixed stops.
    trail_pct: Decimal | None = None
    trail_price: Decimal | None = None
    #: Scale out: every exit signal closes this fraction of the position (whole shares, as
    #: risk sizes it); None: an exit closes the whole position.
    close_fraction: Decimal | None = None
    #: Overrides of the strategy's declared parameters, as (name, value) pairs.
    strategy_params: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class DayRecord:
    """The account after one session's decisions, marked at that session's close."""

    day: date
    equity: Decimal
    cash: Decimal
    exposure: Decimal


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution at the broker."""

    day: date
    ticker: str
    side: str
    qty: Decimal
    price: Decimal
    kind: str  # "market" or "stop"


@dataclass(frozen=True, slots=True)
class OpenPosition:
    """A position still held after the last session, marked at that session's close."""

    shares: Decimal
    entry_date: date
    entry_price: Decimal
    mark: Decimal
    #: Paid on the entry; the exit's is not (the position is still open).
    commission: Decimal

    @property
    def market_value(self) -> Decimal:
        """Return the shares at the mark."""
        return self.shares * self.mark

    @property
    def unrealized_pnl(self) -> Decimal:
        """Return the gain at the mark, after the entry's commission."""
        return (self.mark - self.entry_price) * self.shares - self.commission

    def to_doc(self) -> dict[str, str]:
        """Return the position as the JSON shows it."""
        return {
            "shares": str(self.shares),
            "entry_date": self.entry_date.isoformat(),
            "entry_price": str(self.entry_price),
            "mark": str(self.mark),
            "market_value": str(self.market_value),
            "unrealized_pnl": str(self.unrealized_pnl),
        }


@dataclass
class BacktestResult:
    """Everything a backtest produced."""

    params: BacktestParams
    days: list[DayRecord] = field(default_factory=list)
    fills: list[Fill] = field(default_factory=list)
    trades: list[m.Trade] = field(default_factory=list)
    decisions: int = 0
    approvals: int = 0
    denials: Counter[str] = field(default_factory=Counter)
    rejected_orders: Counter[str] = field(default_factory=Counter)
    unsent_orders: int = 0
    #: Positions held at the end, by ticker.
    open_positions: dict[str, OpenPosition] = field(default_factory=dict)
    # Filled by the runner, around the engines:
    #: Tickers left out, with the reason (too little history, a file that fails validation).
    skipped: dict[str, str] = field(default_factory=dict)
    #: Equal-weight buy-and-hold of the backtested tickers over the same sessions.
    benchmark: Benchmark | None = None
    #: llm-replay only: decisions the model may have answered from memory.
    contamination: Contamination | None = None
    #: "csv" or "simulated".
    data_source: str = "csv"
    #: "fast" or "pipeline": the engine that ran.
    engine_used: str = ""

    def curve(self) -> tuple[list[date], list[Decimal]]:
        """Return the series the return figures use: the initial cash, then each close.

        The benchmark's convention (``Benchmark.curve``): n sessions are n periods from the
        cash before the first open, so both CAGRs annualise the same span (252 / n).
        """
        if not self.days:
            return [], []
        first = self.days[0].day
        return [first, *(d.day for d in self.days)], [
            self.params.initial_cash,
            *(d.equity for d in self.days),
        ]

    def metrics(self) -> dict[str, Any]:
        """Return the performance figures of the run."""
        sessions = [d.day for d in self.days]
        equity = [d.equity for d in self.days]
        pf = m.profit_factor(self.trades)
        notional = sum((f.qty * f.price for f in self.fills), Decimal(0))
        exposure = m.exposure([d.exposure for d in self.days], equity)
        return {
            **return_metrics(*self.curve()),
            "trades": len(self.trades),
            "win_rate": _r(m.win_rate(self.trades)),
            "profit_factor": None if pf is None else _r(pf),
            "average_holding_days": _r(m.average_holding_days(self.trades, sessions)),
            "turnover": _r(m.turnover(notional, equity)),
            "exposure_average": _r(exposure.average),
            "exposure_max": _r(exposure.maximum),
            "decisions": self.decisions,
            "approvals": self.approvals,
            "denials_by_code": dict(sorted(self.denials.items())),
            "rejected_orders_by_code": dict(sorted(self.rejected_orders.items())),
            "unsent_orders_at_end": self.unsent_orders,
            "final_equity": str(equity[-1]) if equity else None,
        }

    def to_doc(self) -> dict[str, Any]:
        """Return the result as a JSON-ready dict (Decimals as strings)."""
        return {
            "params": params_doc(self.params),
            "data_source": self.data_source,
            "engine_used": self.engine_used,
            "skipped": dict(sorted(self.skipped.items())),
            "metrics": self.metrics(),
            "days": [
                {
                    "date": d.day.isoformat(),
                    "equity": str(d.equity),
                    "cash": str(d.cash),
                    "exposure": str(d.exposure),
                }
                for d in self.days
            ],
            "fills": [
                {
                    "date": f.day.isoformat(),
                    "ticker": f.ticker,
                    "side": f.side,
                    "qty": str(f.qty),
                    "price": str(f.price),
                    "kind": f.kind,
                }
                for f in self.fills
            ],
            "trades": [
                {
                    "ticker": t.ticker,
                    "entry_date": t.entry_date.isoformat(),
                    "exit_date": t.exit_date.isoformat(),
                    "shares": str(t.shares),
                    "entry_price": str(t.entry_price),
                    "exit_price": str(t.exit_price),
                    "pnl": str(t.pnl),
                    "exit_reason": t.exit_reason,
                }
                for t in self.trades
            ],
            "open_positions": {k: v.to_doc() for k, v in sorted(self.open_positions.items())},
            "benchmark": None if self.benchmark is None else benchmark_doc(self.benchmark),
            "contamination": None if self.contamination is None else self.contamination.to_doc(),
        }

    def to_json(self) -> str:
        """Return the result as deterministic JSON (sorted keys, Decimals as strings)."""
        return json.dumps(self.to_doc(), sort_keys=True, indent=2) + "\n"


def params_doc(p: BacktestParams) -> dict[str, Any]:
    """Return the parameters as they go into the JSON (no local paths: they vary per run)."""
    return {
        "tickers": list(p.tickers),
        "start": p.start.isoformat(),
        "end": p.end.isoformat(),
        "initial_cash": str(p.initial_cash),
        "slippage_bps": str(p.slippage_bps),
        "commission": str(p.commission),
        "strategy": p.strategy,
        "engine": p.engine,
        "universe": "all" if p.universe_all else "list",
        "simulated": p.simulated,
        "sim_seed": p.sim_seed if p.simulated else None,
        "earnings_unknown": p.earnings_unknown,
        "risk_profile": p.risk_profile,
        "exits_first": p.exits_first,
        # Only when set, so that the documents of runs without them stay byte-identical.
        **{
            k: str(v)
            for k, v in (
                ("trail_pct", p.trail_pct),
                ("trail_price", p.trail_price),
                ("close_fraction", p.close_fraction),
            )
            if v is not None
        },
    } | ({"strategy_params": dict(p.strategy_params)} if p.strategy_params else {})


def return_metrics(sessions: Sequence[date], equity: Sequence[Decimal]) -> dict[str, Any]:
    """Return the figures shared by the strategy and its benchmark."""
    dd = m.max_drawdown(sessions, equity)
    return {
        "total_return": _r(m.total_return(equity)),
        "cagr": _r(m.cagr(equity)),
        "volatility": _r(m.volatility(equity)),
        "sharpe": _r(m.sharpe(equity)),
        "sortino": _r(m.sortino(equity)),
        "max_drawdown": _r(dd.depth),
        "max_drawdown_peak": None if dd.peak is None else dd.peak.isoformat(),
        "max_drawdown_trough": None if dd.trough is None else dd.trough.isoformat(),
    }


def benchmark_doc(b: Benchmark) -> dict[str, Any]:
    """Return the benchmark's JSON section: its figures, per-day equity and purchases."""
    return {
        "method": "equal-weight buy and hold of the backtested tickers",
        "metrics": {
            **return_metrics(*b.curve()),
            "final_equity": str(b.equity[-1]) if b.equity else None,
        },
        "days": [
            {"date": d.isoformat(), "equity": str(e)}
            for d, e in zip(b.sessions, b.equity, strict=True)
        ],
        "entries": {
            t: {"date": e.day.isoformat(), "price": str(e.price), "shares": str(e.shares)}
            for t, e in sorted(b.entries.items())
        },
        "never_bought": list(b.never_bought),
    }


def _r(x: float) -> float:
    return round(x, 6)


class TradeBook:
    """Pairs sells with earlier buys (first in, first out) into round trips."""

    def __init__(self, commission: Decimal) -> None:
        self.commission = commission
        self.lots: dict[str, list[tuple[date, Decimal, Decimal]]] = {}
        self.closed: list[m.Trade] = []

    def open_position(self, ticker: str, shares: Decimal, mark: Decimal) -> OpenPosition:
        """Return the open lots of ``ticker`` (``shares`` in all) as a position at ``mark``."""
        lots = self.lots[ticker]
        cost = sum((qty * price for _, qty, price in lots), Decimal(0))
        entry = cost / shares if len(lots) > 1 else lots[0][2]  # one lot: its price exactly
        return OpenPosition(shares, lots[0][0], entry, mark, self.commission * len(lots))

    def add(self, fill: Fill, reason: str) -> None:
        """Open a lot on a buy; close lots on a sell."""
        if fill.side == OrderSide.BUY.value:
            self.lots.setdefault(fill.ticker, []).append((fill.day, fill.qty, fill.price))
            return
        left = fill.qty
        lots = self.lots.get(fill.ticker, [])
        while left > 0 and lots:
            entry_day, qty, price = lots[0]
            take = min(qty, left)
            pnl = (fill.price - price) * take - 2 * self.commission
            self.closed.append(
                m.Trade(fill.ticker, entry_day, fill.day, take, price, fill.price, pnl, reason)
            )
            left -= take
            if take == qty:
                lots.pop(0)
            else:
                lots[0] = (entry_day, qty - take, price)
