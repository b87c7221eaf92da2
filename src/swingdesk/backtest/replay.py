"""The reference engine: replay trading days through the live DecisionPipeline.

Parity with live comes from swapping adapters, not from a second implementation: a
ManualClock, the CSV provider (which shows a daily bar only once its session has closed)
and the simulated broker, on the replay desk (``bootstrap.replay``: wired as a live desk,
with our books and the broker's in memory). For each session D:

1. at D's open, orders approved after D-1's close are sent through the real ExecutionAgent,
   the closes first (``at_the_open``); the broker's price source answers the session's open
   while a session is in progress, so they fill at D's open plus slippage. An order whose
   ticker has no bar on D (a halt, a missing row) is not sent: it waits for the ticker's
   next bar, and fills at that open (or is refused as stale once its approval is older
   than ``NEXT_OPEN_STALE_S``);
2. at D's close, held protective stops are checked against D's (open, low) bar and the
   fills booked by the reconciler;
3. a minute after D's close, every ticker runs through the pipeline (seeing bars up to D),
   but for one whose order still waits (it has had no bar since the approval, so a new
   decision would read the same figures); approved orders are queued for the next open
   instead of sent at once. Risk sees the queued entries as if filled at their reference
   price (``risk.pending``), so two approvals of one evening cannot jointly spend the same
   cash or fill the same sector.

It is exact and slower (every stage of the live pipeline, its events and books, for every
ticker-day); ``engine`` is the fast one and a test proves both agree.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from swingdesk.adapters.clock import ManualClock
from swingdesk.adapters.csv_market import Bars, CsvMarket
from swingdesk.adapters.simulated_broker import SimulatedBroker
from swingdesk.backtest.exits import strategy_agent, trail_of
from swingdesk.backtest.result import (
    BacktestParams,
    BacktestResult,
    DayRecord,
    Fill,
    Progress,
    TradeBook,
)
from swingdesk.backtest.setup import data_dir, risk_limits_for, settings_for, strategy_for
from swingdesk.bootstrap import SectorLookup
from swingdesk.bootstrap.replay import ReplayDesk, build_replay_desk
from swingdesk.domain.calendar import TradingCalendar, day_number
from swingdesk.domain.enums import DecisionStatus, Intent, OrderSide, OrderStatus
from swingdesk.domain.errors import InputError
from swingdesk.domain.events import RiskApproved, RiskRejected
from swingdesk.domain.ids import client_order_id_for
from swingdesk.domain.portfolio import PortfolioState, equity_of
from swingdesk.execution.agent import (
    ExecutionAgent,
    ExecutionReport,
    Guard,
    no_guard,
    order_request_for,
)
from swingdesk.execution.retry import RetryPolicy
from swingdesk.execution.sync import SyncWorker
from swingdesk.risk.manager import RiskManager
from swingdesk.risk.pending import PendingEntry, with_pending_entries
from swingdesk.risk.stages import stopping_codes
from swingdesk.services.pipeline import DecisionPipeline
from swingdesk.services.portfolio import PortfolioService

_PRICE_Q = Decimal("0.0001")
#: An approval waits overnight (or a long weekend) for the open by design; older is stale.
NEXT_OPEN_STALE_S = 7 * 86_400.0


class SessionPriceCsvMarket(CsvMarket):
    """The CSV provider whose last price is the session's open while a session is running.

    With daily bars the open is the only price known during a session; after the close it
    is the close, as before. Snapshots use the bars themselves and still see closed ones only.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The prices of one instant (the replay's clock stands still while it asks): the
        # broker values every position on every read of its book.
        self._prices_at: datetime | None = None
        self._prices: dict[str, Decimal] = {}

    async def last_price(self, ticker: str, now: datetime) -> Decimal:
        """Return the running session's open, else the last close at or before ``now``."""
        if now != self._prices_at:
            self._prices_at, self._prices = now, {}
        price = self._prices.get(ticker)
        if price is None:
            price = self._prices[ticker] = await self._session_price(ticker, now)
        return price

    async def _session_price(self, ticker: str, now: datetime) -> Decimal:
        cal: TradingCalendar = self._calendar
        if cal.is_open(now):
            bars, end = self.bars_until(ticker, now)
            today = day_number(cal.exchange_date(now))
            if end < bars.days.size and int(bars.days[end]) == today:
                return Decimal(repr(float(bars.open[end]))).quantize(_PRICE_Q)
        return await super().last_price(ticker, now)

    def bar(self, ticker: str, day: date) -> tuple[Decimal, Decimal] | None:
        """Return (open, low) of ``ticker`` on ``day``, None without a bar that day."""
        found = self._on(ticker, day)
        if found is None:
            return None
        bars, j = found
        return _price(bars.open[j]), _price(bars.low[j])

    def bar_with_high(self, ticker: str, day: date) -> tuple[Decimal, Decimal, Decimal] | None:
        """Return (open, low, high) of ``ticker`` on ``day`` (a trailing stop needs the high)."""
        found = self._on(ticker, day)
        if found is None:
            return None
        bars, j = found
        return _price(bars.open[j]), _price(bars.low[j]), _price(bars.high[j])

    def _on(self, ticker: str, day: date) -> tuple[Bars, int] | None:
        """Return the ticker's history and the index of its bar on ``day`` (None: no bar)."""
        bars = self._bars[ticker]
        j = int(np.searchsorted(bars.days, day_number(day)))
        if j >= bars.days.size or int(bars.days[j]) != day_number(day):
            return None
        return bars, j


def _price(value: np.float64) -> Decimal:
    """Return a bar's price exactly as written in its file (the shortest repr of the float)."""
    return Decimal(repr(float(value)))


Queued = tuple[RiskApproved, str | None]


def at_the_open(queue: list[Queued], *, exits_first: bool) -> list[Queued]:
    """Return the queued approvals in the order they are sent at the open.

    Closes first, so that their proceeds are in the account when the entries are paid for
    (in ticker order an entry could be refused for cash a later sale was about to free);
    each kind in approval order. ``exits_first=False`` keeps the approval order.
    """
    if not exits_first:
        return list(queue)
    return sorted(queue, key=lambda q: q[0].intent is not Intent.SELL_TO_CLOSE)


class NextOpenExecution(ExecutionAgent):
    """An ExecutionAgent that holds approvals until the next session's open."""

    def __init__(self, *args: Any, exits_first: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue: list[Queued] = []
        self.exits_first = exits_first

    async def execute(
        self, approval: RiskApproved, *, sector: str | None, before_send: Guard = no_guard
    ) -> ExecutionReport:
        """Queue the approval (its decision is ORDERED now); `send_queued` places it at the
        next open."""
        async with self.store.tx() as tx:
            await tx.conclude_decision(
                approval.decision_id, DecisionStatus.ORDERED, approval.ts_event
            )
        self.queue.append((approval, sector))
        client_order_id = client_order_id_for(approval.decision_id, approval.intent)
        request = order_request_for(approval, client_order_id, self.clock.now())
        return ExecutionReport(request, OrderStatus.NEW, Decimal(0), None)

    def pending_entries(self) -> list[PendingEntry]:
        """Return the queued entries, in approval order, as risk must see them."""
        return [
            PendingEntry(a.ticker, a.qty, a.reference_price, sector)
            for a, sector in self.queue
            if a.intent is Intent.BUY_TO_OPEN
        ]

    async def send_queued(self, has_bar: Callable[[str], bool]) -> list[ExecutionReport]:
        """Place every queued approval whose ticker ``has_bar`` today; keep the others."""
        queued, self.queue = at_the_open(self.queue, exits_first=self.exits_first), []
        reports = []
        for approval, sector in queued:
            if not has_bar(approval.ticker):
                self.queue.append((approval, sector))  # waits for the ticker's next bar
                continue
            reports.append(await super().execute(approval, sector=sector))
        return reports


class PendingAwarePortfolio(PortfolioService):
    """The portfolio service that shows queued entries as if filled (``risk.pending``)."""

    def __init__(self, inner: PortfolioService, execution: NextOpenExecution) -> None:
        super().__init__(
            inner.broker,
            inner.store,
            inner.sector_of,
            reuse_s=inner.reuse_s,
            retry=inner.retry,
            read_book=inner.read_book,
        )
        self.execution = execution

    async def current(
        self, now: datetime, *, record: bool = True, mark: bool = False
    ) -> PortfolioState:
        """Return the broker's portfolio with the queued entries booked at their reference."""
        base = await super().current(now, record=record, mark=mark)
        self._last = with_pending_entries(base, self.execution.pending_entries())
        return self._last


@dataclass
class _Parts:
    pipeline: DecisionPipeline
    execution: NextOpenExecution
    broker: SimulatedBroker
    sync: SyncWorker


def desk_parts(desk: ReplayDesk, params: BacktestParams) -> _Parts:
    """Return the desk's pipeline rebuilt for the run: next-open execution, the run's
    strategy and risk limits, and a portfolio that shows queued entries."""
    execution = NextOpenExecution(
        desk.broker,
        desk.store,
        desk.bus,
        desk.clock,
        retry=RetryPolicy(attempts=1),
        stale_after_s=NEXT_OPEN_STALE_S,
        sector_of=SectorLookup(desk.provider),
        exits_first=params.exits_first,
        trail=trail_of(params),
    )
    p = desk.pipeline
    pipeline = DecisionPipeline(
        market=p.market,
        # llm-replay keeps the desk's LLM analyst (replay-only cache, see backtest/llm_replay).
        strategy=strategy_agent(
            p.strategy.strategy if params.strategy == "llm-replay" else strategy_for(params),
            params,
        ),
        risk=RiskManager(risk_limits_for(params, p.risk.limits)),
        execution=execution,
        portfolio=PendingAwarePortfolio(p.portfolio, execution),
        control=p.control,
        store=p.store,
        bus=p.bus,
        clock=p.clock,
    )
    return _Parts(pipeline, execution, desk.broker, desk.sync)


def _has_bar(provider: SessionPriceCsvMarket, day: date, ticker: str) -> bool:
    return provider.bar(ticker, day) is not None


async def _replay(
    parts: _Parts,
    params: BacktestParams,
    provider: SessionPriceCsvMarket,
    clock: ManualClock,
    calendar: TradingCalendar,
    sessions: list[date],
    progress: Progress | None,
) -> BacktestResult:
    result = BacktestResult(params)
    tickers = [parts.pipeline.validate_ticker(t) for t in params.tickers]
    book = TradeBook(params.commission)
    for done, day in enumerate(sessions, start=1):
        clock.set(calendar.session_open(day))
        has_bar = partial(_has_bar, provider, day)
        for report in await parts.execution.send_queued(has_bar):
            if report.status is OrderStatus.FILLED and report.filled_avg_price is not None:
                fill = Fill(day, report.request.ticker, report.request.side.value,
                            report.filled_qty, report.filled_avg_price, "market")  # fmt: skip
                result.fills.append(fill)
                book.add(fill, "signal")
            else:
                result.rejected_orders[report.error_code or report.status.value] += 1
        clock.set(calendar.session_close(day))
        bars = {t: b for t in tickers if (b := provider.bar_with_high(t, day)) is not None}
        stopped = await parts.broker.process_stops(clock.now(), bars=bars)
        for order in sorted(stopped, key=lambda o: o.ticker):
            assert order.filled_avg_price is not None
            fill = Fill(day, order.ticker, OrderSide.SELL.value, order.filled_qty,
                        order.filled_avg_price, "stop")  # fmt: skip
            result.fills.append(fill)
            book.add(fill, "stop")
        await parts.sync.run_once()
        clock.set(calendar.session_close(day) + timedelta(minutes=1))
        waiting = {approval.ticker for approval, _ in parts.execution.queue}
        for ticker in tickers:
            result.decisions += 1
            if ticker in waiting:
                continue  # no bar since its order was approved: nothing new to decide
            outcome = await parts.pipeline.run(ticker, trigger="backtest")
            if isinstance(outcome.verdict, RiskApproved):
                result.approvals += 1
            elif isinstance(outcome.verdict, RiskRejected):
                result.denials.update(stopping_codes(c.code for c in outcome.verdict.violations))
        account = await parts.broker.get_account()
        positions = await parts.broker.get_positions()
        exposure = sum((p.market_value for p in positions), Decimal(0))
        equity = equity_of(account.cash, positions)
        result.days.append(DayRecord(day, equity, account.cash, exposure))
        if progress is not None:
            progress(done, len(sessions))
    result.trades = book.closed
    result.unsent_orders = len(parts.execution.queue)
    result.open_positions = {
        p.ticker: book.open_position(p.ticker, p.qty, p.current_price)
        for p in await parts.broker.get_positions()
    }
    return result


async def run_pipeline_backtest(
    params: BacktestParams, *, progress: Progress | None = None
) -> BacktestResult:
    """Replay ``params.start``..``params.end`` through the pipeline; return the record."""
    if params.end < params.start:
        raise InputError(f"--end {params.end} is before --start {params.start}")
    calendar = TradingCalendar(start=min(params.start, date(2010, 1, 1)))
    sessions = calendar.sessions_between(params.start, params.end)
    if not sessions:
        raise InputError(f"no trading session between {params.start} and {params.end}")
    if params.strategy != "llm-replay":
        strategy_for(params)  # refuse an unknown strategy before building anything
    provider = SessionPriceCsvMarket(data_dir(params), calendar=calendar)
    with tempfile.TemporaryDirectory(prefix="swingdesk-backtest-") as tmp:
        clock = ManualClock(calendar.session_open(sessions[0]) - timedelta(hours=1))
        desk = await build_replay_desk(
            settings_for(params, Path(tmp)), clock=clock, provider=provider
        )
        try:
            parts = desk_parts(desk, params)
            return await _replay(parts, params, provider, clock, calendar, sessions, progress)
        finally:
            await desk.close()
