"""Replay trading days through the live DecisionPipeline with simulated adapters.

Parity with live comes from swapping adapters, not from a second implementation: a
ManualClock, the CSV provider (which shows a daily bar only once its session has closed)
and the simulated broker on a temporary SQLite file. For each session D:

1. at D's open, orders approved after D-1's close are sent through the real ExecutionAgent;
   the broker's price source answers the session's open while a session is in progress,
   so they fill at D's open plus slippage;
2. at D's close, held protective stops are checked against D's (open, low) bar and the
   fills booked by the reconciler;
3. a minute after D's close, every ticker runs through the pipeline (seeing bars up to D);
   approved orders are queued for the next open instead of sent at once.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from swingdesk.adapters.clock import ManualClock
from swingdesk.adapters.csv_market import CsvMarket
from swingdesk.adapters.simulated_broker import SimulatedBroker
from swingdesk.backtest import metrics as m
from swingdesk.bootstrap import SectorLookup, build_desk
from swingdesk.config import Settings
from swingdesk.domain.enums import OrderSide, OrderStatus
from swingdesk.domain.errors import InputError
from swingdesk.domain.events import RiskApproved, RiskRejected
from swingdesk.domain.ids import client_order_id_for
from swingdesk.execution.agent import ExecutionAgent, ExecutionReport, order_request_for
from swingdesk.execution.retry import RetryPolicy
from swingdesk.marketdata.calendar import TradingCalendar, day_number
from swingdesk.services.pipeline import DecisionPipeline

_PRICE_Q = Decimal("0.0001")


@dataclass(frozen=True)
class BacktestParams:
    """What to replay and with which account."""

    data_dir: Path
    tickers: tuple[str, ...]
    start: date
    end: date
    initial_cash: Decimal = Decimal(100_000)
    slippage_bps: Decimal = Decimal(5)
    commission: Decimal = Decimal(0)


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
    open_positions: dict[str, Decimal] = field(default_factory=dict)

    def metrics(self) -> dict[str, Any]:
        """Return the performance figures of the run."""
        sessions = [d.day for d in self.days]
        equity = [d.equity for d in self.days]
        dd = m.max_drawdown(sessions, equity)
        pf = m.profit_factor(self.trades)
        return {
            "total_return": _r(m.total_return(equity)),
            "cagr": _r(m.cagr(equity)),
            "volatility": _r(m.volatility(equity)),
            "sharpe": _r(m.sharpe(equity)),
            "sortino": _r(m.sortino(equity)),
            "max_drawdown": _r(dd.depth),
            "max_drawdown_peak": None if dd.peak is None else dd.peak.isoformat(),
            "max_drawdown_trough": None if dd.trough is None else dd.trough.isoformat(),
            "trades": len(self.trades),
            "win_rate": _r(m.win_rate(self.trades)),
            "profit_factor": None if pf is None else _r(pf),
            "average_holding_days": _r(m.average_holding_days(self.trades, sessions)),
            "decisions": self.decisions,
            "approvals": self.approvals,
            "denials_by_code": dict(sorted(self.denials.items())),
            "rejected_orders_by_code": dict(sorted(self.rejected_orders.items())),
            "unsent_orders_at_end": self.unsent_orders,
            "final_equity": str(equity[-1]) if equity else None,
        }

    def to_json(self) -> str:
        """Return the result as deterministic JSON (sorted keys, Decimals as strings)."""
        p = self.params
        doc = {
            "params": {
                "tickers": list(p.tickers),
                "start": p.start.isoformat(),
                "end": p.end.isoformat(),
                "initial_cash": str(p.initial_cash),
                "slippage_bps": str(p.slippage_bps),
                "commission": str(p.commission),
            },
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
            "open_positions": {k: str(v) for k, v in sorted(self.open_positions.items())},
        }
        return json.dumps(doc, sort_keys=True, indent=2) + "\n"


def _r(x: float) -> float:
    return round(x, 6)


class SessionPriceCsvMarket(CsvMarket):
    """The CSV provider whose last price is the session's open while a session is running.

    With daily bars the open is the only price known during a session; after the close it
    is the close, as before. Snapshots use the bars themselves and still see closed ones only.
    """

    async def last_price(self, ticker: str, now: datetime) -> Decimal:
        """Return the running session's open, else the last close at or before ``now``."""
        cal: TradingCalendar = self._calendar
        if cal.is_open(now):
            bars, end = self.bars_until(ticker, now)
            today = day_number(cal.exchange_date(now))
            if end < bars.days.size and int(bars.days[end]) == today:
                return Decimal(repr(float(bars.open[end]))).quantize(_PRICE_Q)
        return await super().last_price(ticker, now)

    def bar(self, ticker: str, day: date) -> tuple[Decimal, Decimal] | None:
        """Return (open, low) of ``ticker`` on ``day``, None without a bar that day."""
        bars = self._bars[ticker]
        j = int(np.searchsorted(bars.days, day_number(day)))
        if j >= bars.days.size or int(bars.days[j]) != day_number(day):
            return None
        return Decimal(repr(float(bars.open[j]))), Decimal(repr(float(bars.low[j])))


class NextOpenExecution(ExecutionAgent):
    """An ExecutionAgent that holds approvals until the next session's open."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue: list[tuple[RiskApproved, str | None]] = []

    async def execute(self, approval: RiskApproved, *, sector: str | None) -> ExecutionReport:
        """Queue the approval; `send_queued` places it at the next open."""
        self.queue.append((approval, sector))
        coid = client_order_id_for(approval.decision_id, approval.intent)
        request = order_request_for(approval, coid, self.clock.now())
        return ExecutionReport(request, OrderStatus.NEW, Decimal(0), None)

    async def send_queued(self) -> list[ExecutionReport]:
        """Place every queued approval now, in approval order."""
        queued, self.queue = self.queue, []
        reports = []
        for approval, sector in queued:
            reports.append(await super().execute(approval, sector=sector))
        return reports


def _settings(params: BacktestParams, workdir: Path) -> Settings:
    return Settings(
        profile="backtest",
        market_provider="csv",
        strategy_provider="rules",
        broker="simulated",
        csv_dir=params.data_dir,
        data_dir=workdir,
        database_url=f"sqlite:///{workdir / 'backtest.db'}",
        sim_initial_cash_usd=params.initial_cash,
        sim_slippage_bps=params.slippage_bps,
        sim_commission_usd=params.commission,
    )


async def run_backtest(params: BacktestParams) -> BacktestResult:
    """Replay ``params.start``..``params.end`` through the pipeline; return the record."""
    if params.end < params.start:
        raise InputError(f"--end {params.end} is before --start {params.start}")
    calendar = TradingCalendar(start=min(params.start, date(2010, 1, 1)))
    sessions = calendar.sessions_between(params.start, params.end)
    if not sessions:
        raise InputError(f"no trading session between {params.start} and {params.end}")
    provider = SessionPriceCsvMarket(params.data_dir, calendar=calendar)
    with tempfile.TemporaryDirectory(prefix="swingdesk-backtest-") as tmp:
        clock = ManualClock(calendar.session_open(sessions[0]) - timedelta(hours=1))
        desk = await build_desk(_settings(params, Path(tmp)), clock=clock, provider=provider)
        try:
            return await _replay(desk_parts(desk), params, provider, clock, calendar, sessions)
        finally:
            await desk.close()


@dataclass
class _Parts:
    pipeline: DecisionPipeline
    execution: NextOpenExecution
    broker: SimulatedBroker
    sync: Any


def desk_parts(desk: Any) -> _Parts:
    """Return the desk's pipeline rebuilt with a next-open ExecutionAgent."""
    if not isinstance(desk.broker, SimulatedBroker):
        raise InputError("a backtest needs the simulated broker")
    execution = NextOpenExecution(
        desk.broker,
        desk.store,
        desk.bus,
        desk.clock,
        retry=RetryPolicy(attempts=1),
        # The approval waits overnight (or a weekend) for the open by design.
        stale_after_s=7 * 86_400.0,
        sector_of=SectorLookup(desk.provider),
    )
    p = desk.pipeline
    pipeline = DecisionPipeline(
        market=p.market, strategy=p.strategy, risk=p.risk, execution=execution,
        portfolio=p.portfolio, control=p.control, store=p.store, bus=p.bus, clock=p.clock,
    )  # fmt: skip
    return _Parts(pipeline, execution, desk.broker, desk.sync)


async def _replay(
    parts: _Parts,
    params: BacktestParams,
    provider: SessionPriceCsvMarket,
    clock: ManualClock,
    calendar: TradingCalendar,
    sessions: list[date],
) -> BacktestResult:
    result = BacktestResult(params)
    tickers = [parts.pipeline.validate_ticker(t) for t in params.tickers]
    book = _TradeBook(params.commission)
    for day in sessions:
        clock.set(calendar.session_open(day))
        for report in await parts.execution.send_queued():
            if report.status is OrderStatus.FILLED and report.filled_avg_price is not None:
                fill = Fill(day, report.request.ticker, report.request.side.value,
                            report.filled_qty, report.filled_avg_price, "market")  # fmt: skip
                result.fills.append(fill)
                book.add(fill, "signal")
            else:
                result.rejected_orders[report.error_code or report.status.value] += 1
        clock.set(calendar.session_close(day))
        bars = {t: b for t in tickers if (b := provider.bar(t, day)) is not None}
        for order in await parts.broker.process_stops(clock.now(), bars=bars):
            assert order.filled_avg_price is not None
            fill = Fill(day, order.ticker, OrderSide.SELL.value, order.filled_qty,
                        order.filled_avg_price, "stop")  # fmt: skip
            result.fills.append(fill)
            book.add(fill, "stop")
        if parts.sync is not None:
            await parts.sync.run_once()
        clock.set(calendar.session_close(day) + timedelta(minutes=1))
        for ticker in tickers:
            outcome = await parts.pipeline.run(ticker, trigger="backtest")
            result.decisions += 1
            if isinstance(outcome.verdict, RiskApproved):
                result.approvals += 1
            elif isinstance(outcome.verdict, RiskRejected):
                for check in outcome.verdict.violations:
                    result.denials[check.code] += 1
        account = await parts.broker.get_account()
        positions = await parts.broker.get_positions()
        exposure = sum((p.market_value for p in positions), Decimal(0))
        result.days.append(DayRecord(day, account.equity, account.cash, exposure))
    result.trades = book.closed
    result.unsent_orders = len(parts.execution.queue)
    result.open_positions = {p.ticker: p.qty for p in await parts.broker.get_positions()}
    return result


class _TradeBook:
    """Pairs sells with earlier buys (first in, first out) into round trips."""

    def __init__(self, commission: Decimal) -> None:
        self.commission = commission
        self.lots: dict[str, list[tuple[date, Decimal, Decimal]]] = {}
        self.closed: list[m.Trade] = []

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
