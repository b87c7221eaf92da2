"""The fast engine: the pipeline replay's decisions, verdicts and fills, without its database.

It runs the same day as ``replay`` does (orders sent at the open, closes first, or kept
until their ticker's next bar; stops on the session's bar; decisions a minute after the
close) and calls the same code at every step that matters: ``make_snapshot`` for the
snapshot, the strategy's own ``decide`` and the real ``StrategyAgent`` for the signal,
``assess_account`` and the real ``RiskManager`` on a ``PortfolioState`` equal to what
``PortfolioService`` would build (high-water mark and start-of-day equity in simulated
time, queued entries shown by ``risk.pending``), and the simulated broker's own fill and
stop prices. What it skips is only what cannot change an outcome: the database round
trips, and the decisions of tickers that are not held and whose indicators rule a BUY out
(``data.candidate``), which are HOLDs, counted as such, the held tickers the rule analyst
surely keeps (``Series.surely_holds``: trend intact, price above the stop), HOLDs as well,
the BUYs surely denied at the market stage whatever the account (``screen``), counted under
their market codes, and the tickers whose order waits for their next bar (as in ``replay``).
Tests prove both engines give identical results, and that the fast engine's are the same
with the screen and without it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import numpy as np
import numpy.typing as npt

from swingdesk.adapters.simulated_broker import market_fill_price
from swingdesk.backtest.data import Series, build_series
from swingdesk.backtest.exits import strategy_agent, trail_of
from swingdesk.backtest.fast_market import FastPosition, stop_fill
from swingdesk.backtest.fast_market import LoadedMarket as LoadedMarket
from swingdesk.backtest.fast_market import load_market as load_market
from swingdesk.backtest.replay import NEXT_OPEN_STALE_S, at_the_open
from swingdesk.backtest.result import (
    BacktestParams,
    BacktestResult,
    DayRecord,
    Fill,
    Progress,
    TradeBook,
)
from swingdesk.backtest.screen import MarketScreen, market_codes
from swingdesk.backtest.setup import data_dir, risk_limits_for, settings_for, strategy_for
from swingdesk.domain.calendar import TradingCalendar, day_number
from swingdesk.domain.enums import Action, Intent, OrderSide, TradingState
from swingdesk.domain.errors import InputError, UnknownTickerError
from swingdesk.domain.events import RiskApproved
from swingdesk.domain.market import MarketSnapshot
from swingdesk.domain.portfolio import (
    PortfolioState,
    PositionState,
    advance_water_marks,
    equity_of,
)
from swingdesk.domain.ticker import sanitize_ticker
from swingdesk.execution.agent import STALE_SIGNAL
from swingdesk.marketdata.snapshot import VIX_Q, dec, make_snapshot
from swingdesk.risk.manager import RiskManager, assess_account
from swingdesk.risk.pending import PendingEntry, with_pending_entries
from swingdesk.risk.stages import stopping_codes
from swingdesk.strategy.agent import ApiStrategy, RulesStrategy

_INSUFFICIENT = "INSUFFICIENT_BUYING_POWER"
_ZERO = Decimal(0)


async def run_fast_backtest(
    params: BacktestParams, *, progress: Progress | None = None
) -> BacktestResult:
    """Backtest ``params`` with the fast engine; the result equals the pipeline replay's."""
    strategy_for(params)  # refuse an unknown strategy before loading anything
    return await run_on_market(load_market(params), params, progress=progress)


async def run_on_market(
    market: LoadedMarket,
    params: BacktestParams,
    *,
    progress: Progress | None = None,
    screen: bool = True,
) -> BacktestResult:
    """Backtest ``params`` over an already loaded market.

    ``screen=False`` decides every candidate in full, the market screen's reference.
    """
    strategy = strategy_for(params)
    if strategy.uses_context:
        # Its screens and snapshots are price-only; the pipeline engine reads the context.
        raise InputError("the fast engine cannot run a rule that reads news or fundamentals")
    universe = set(market.provider.universe())
    tickers = tuple(sanitize_ticker(t) for t in params.tickers)
    for t in tickers:
        if t not in universe:
            raise UnknownTickerError(
                f"unknown ticker {t!r}: not in the csv market's universe", details={"ticker": t}
            )
    limits = risk_limits_for(params, settings_for(params, data_dir(params)).risk_limits())
    days = np.array([day_number(d) for d in market.sessions], dtype=np.int64)
    series = build_series(market.provider, tickers, days, strategy, market.indicators)
    if not isinstance(strategy, RulesStrategy) and strategy.spec.has_signals():
        from swingdesk.backtest.parity import check_parity, require_parity

        report = check_parity(strategy, series, market.sessions, market.calendar)
        require_parity(report, strategy.name)
    run = _Run(market, params, strategy, RiskManager(limits), series)
    if screen:
        run.screen = MarketScreen.build(
            series, market.provider, run.agent_calendar, limits, market.sessions
        )
    for done, day in enumerate(market.sessions, start=1):
        await run.session(done - 1, day)
        if progress is not None:
            progress(done, len(market.sessions))
    return run.finish()


class _Run:
    """The account and order queue of one fast run, advanced one session at a time."""

    def __init__(
        self,
        market: LoadedMarket,
        params: BacktestParams,
        strategy: ApiStrategy,
        risk: RiskManager,
        series: list[Series],
    ) -> None:
        self.provider = market.provider
        self.calendar = market.calendar
        # The market-data stage's own calendar, as bootstrap builds it.
        self.agent_calendar = TradingCalendar()
        self.params = params
        self.strategy = strategy
        self.agent = strategy_agent(strategy, params)
        self.trail = trail_of(params)
        self.risk = risk
        self.series = series
        self.index = {s.ticker: i for i, s in enumerate(series)}
        self.candidates = np.array([s.candidate for s in series], dtype=np.bool_).reshape(
            len(series), -1
        )
        self.slippage = params.slippage_bps / Decimal(10_000)
        self.commission = params.commission
        self.result = BacktestResult(params)
        self.book = TradeBook(params.commission)
        self.cash = params.initial_cash
        self.positions: dict[str, FastPosition] = {}
        self.queue: list[tuple[RiskApproved, str | None]] = []
        self.last_order_at: dict[str, datetime] = {}
        self.hwm: Decimal | None = None
        self.sod: tuple[date, Decimal] | None = None
        self.state = TradingState.ACTIVE
        self.stale_after = timedelta(seconds=NEXT_OPEN_STALE_S)
        # Per ticker: (the exchange date asked, the next report the provider answered).
        self.next_report: dict[str, tuple[date, date]] = {}
        self.screen: MarketScreen | None = None
        #: Each held ticker's last close, as of the latest evening (open positions at the end).
        self.marks: dict[str, Decimal] = {}

    async def session(self, d: int, day: date) -> None:
        """Run session ``day`` (index ``d``): open, close, evening decisions, day record."""
        if self.queue:
            await self._send_queued(day, self.calendar.session_open(day))
        self._process_stops(day)
        await self._evening(d, day, self.calendar.session_close(day) + timedelta(minutes=1))

    # --- the open and the close -------------------------------------------------------

    async def _send_queued(self, day: date, now: datetime) -> None:
        queued = at_the_open(self.queue, exits_first=self.params.exits_first)
        self.queue = []
        for approval, sector in queued:
            ticker = approval.ticker
            if self.provider.bar(ticker, day) is None:
                self.queue.append((approval, sector))  # waits for the ticker's next bar
                continue
            self.last_order_at[ticker] = now  # the order row is stored before anything else
            if now - approval.ts_event > self.stale_after:
                self.result.rejected_orders[STALE_SIGNAL] += 1
                continue
            price = await self.provider.last_price(ticker, now)
            qty = approval.qty
            if approval.intent is Intent.SELL_TO_CLOSE:
                fill = market_fill_price(price, OrderSide.SELL, self.slippage)
                self.cash += qty * fill - self.commission
                pos = self.positions[ticker]
                if qty >= pos.qty:
                    del self.positions[ticker]  # its stop is canceled first
                else:
                    # A partial close: the stop is replaced for the rest (same fixed price;
                    # a trailing one restarts from the price at that moment, the open).
                    pos.qty -= qty
                    pos.hwm = price if self.trail is not None else None
            else:
                fill = market_fill_price(price, OrderSide.BUY, self.slippage)
                cost = qty * fill + self.commission
                if cost > self.cash:
                    self.result.rejected_orders[_INSUFFICIENT] += 1
                    continue
                self.cash -= cost
                # With trailing stops the entry's leg is swapped for a trailing stop at once,
                # marked at the price of that moment (the open).
                hwm = price if self.trail is not None else None
                self.positions[ticker] = FastPosition(qty, fill, approval.stop_price, sector, hwm)
            record = Fill(day, ticker, approval.side.value, qty, fill, "market")
            self.result.fills.append(record)
            self.book.add(record, "signal")

    def _process_stops(self, day: date) -> None:
        for ticker in sorted(self.positions):
            pos = self.positions[ticker]
            if pos.stop is None and pos.hwm is None:
                continue
            fill = stop_fill(self.provider, self.trail, self.slippage, ticker, day, pos)
            if fill is None:
                continue
            self.cash += pos.qty * fill - self.commission
            del self.positions[ticker]
            record = Fill(day, ticker, OrderSide.SELL.value, pos.qty, fill, "stop")
            self.result.fills.append(record)
            self.book.add(record, "stop")

    # --- the evening ------------------------------------------------------------------

    async def _portfolio(self, day: date, now: datetime) -> tuple[PortfolioState, Decimal]:
        """Return the account as ``PortfolioService.current`` builds it, and its exposure."""
        positions = []
        for ticker in sorted(self.positions):
            pos = self.positions[ticker]
            mark = await self.provider.last_price(ticker, now)
            positions.append(
                PositionState(
                    ticker=ticker,
                    qty=pos.qty,
                    avg_price=pos.avg_price,
                    market_price=mark,
                    sector=pos.sector or self.provider.profile(ticker).sector,
                    stop_price=pos.stop,
                )
            )
        self.marks = {p.ticker: p.market_price for p in positions}
        exposure = sum((p.qty * p.market_price for p in positions), _ZERO)
        equity = equity_of(self.cash, positions)
        todays = self.sod[1] if self.sod is not None and self.sod[0] == day else None
        self.hwm, sod = advance_water_marks(equity, self.hwm, todays)
        self.sod = (day, sod)
        portfolio = PortfolioState(
            cash=self.cash,
            buying_power=max(self.cash, _ZERO),
            high_water_mark=self.hwm,
            start_of_day_equity=self.sod[1],
            positions=tuple(positions),
            trading_state=self.state,
            last_order_at=dict(self.last_order_at),
            as_of=now,
        )
        return portfolio, exposure

    async def _evening(self, d: int, day: date, now: datetime) -> None:
        result = self.result
        base, exposure = await self._portfolio(day, now)
        if assess_account(base, self.risk.limits) is not None:
            self.state = TradingState.REDUCING
            base = base.model_copy(update={"trading_state": self.state})
        vix = await self.provider.vix(now)
        today = self.calendar.exchange_date(now)
        active = self.state is TradingState.ACTIVE
        # Entries still waiting for their ticker's bar are pending as much as tonight's are
        # (the pipeline's risk sees the whole queue).
        pending = [
            PendingEntry(a.ticker, a.qty, a.reference_price, sector)
            for a, sector in self.queue
            if a.intent is Intent.BUY_TO_OPEN
        ]
        portfolio = with_pending_entries(base, pending)
        # Every ticker is decided; one not held can only BUY, and only on a candidate day,
        # so the others are HOLDs, counted without being built.
        result.decisions += len(self.series)
        chosen = {self.index[t] for t in self.positions}
        # A ticker whose order still waits has had no bar since that order was approved: a
        # new decision would read the same figures, so there is none until the order is out.
        waiting = {self.index[a.ticker] for a, _ in self.queue}
        if active:
            picks = self.candidates[:, d]
            if self.screen is not None:
                picks = self._screen_out(picks, d, dec(vix, VIX_Q), chosen | waiting)
            chosen.update(np.flatnonzero(picks).tolist())
        for i in sorted(chosen - waiting):
            s = self.series[i]
            end = int(s.ends[d])
            held = self.positions.get(s.ticker)
            if held is not None and s.surely_holds(end, held.stop):
                continue  # the rule's HOLD, known without building it
            snap = await self._snapshot(s, end, vix, today, now)
            if self._holds(snap, portfolio.position(s.ticker)):
                continue
            signal = await self.agent.evaluate_context(uuid4(), snap, portfolio, now)
            if signal.action is Action.HOLD:
                continue
            verdict = self.risk.evaluate_signal(signal, portfolio, snap, now)
            if not isinstance(verdict, RiskApproved):
                result.denials.update(stopping_codes(c.code for c in verdict.violations))
                continue
            result.approvals += 1
            self.queue.append((verdict, snap.sector))
            if verdict.intent is Intent.BUY_TO_OPEN:
                pending.append(
                    PendingEntry(verdict.ticker, verdict.qty, verdict.reference_price, snap.sector)
                )
                portfolio = with_pending_entries(base, pending)
        result.days.append(DayRecord(day, self.cash + exposure, self.cash, exposure))

    def _holds(self, snap: MarketSnapshot, position: PositionState | None) -> bool:
        """Say whether the strategy HOLDs (a failing one is left to the agent, as live)."""
        try:
            return self.strategy.decision(snap, position).action is Action.HOLD
        except Exception:  # untrusted code: the agent makes it a STRATEGY_ERROR HOLD
            return False

    def _screen_out(
        self, picks: npt.NDArray[np.bool_], d: int, vix: Decimal | None, exempt: set[int]
    ) -> npt.NDArray[np.bool_]:
        """Count the candidates surely denied at the market stage; return the others.

        An ``exempt`` ticker is never screened: a held one (holding it, the analyst decides
        an exit), or one whose order waits for its next bar (it is not decided at all).
        """
        assert self.screen is not None
        assert self.state is TradingState.ACTIVE  # the desk stage passes (see screen)
        stopped, fails = self.screen.stopped(d, vix)
        keep = np.array([i not in exempt for i in stopped.tolist()], dtype=np.bool_)
        if stopped.size == 0 or not keep.any():
            return picks
        stopped, fails = stopped[keep], fails[keep]
        self.result.denials.update(market_codes(fails))
        picks = picks.copy()
        picks[stopped] = False
        return picks

    async def _next_earnings(self, ticker: str, today: date, now: datetime) -> object:
        """Return the provider's next report on or after ``today``, or what it raised.

        A report the provider named on an earlier day is still the next one on any day up to
        and including it (none can come between), so it is asked again only after it passed.
        """
        known = self.next_report.get(ticker)
        if known is not None and known[0] <= today <= known[1]:
            return known[1]
        try:
            earnings = await self.provider.next_earnings(ticker, now)
        except Exception as exc:  # the agent gathers with return_exceptions=True
            # Dropping the traceback breaks the frame <-> exception cycle the collector
            # would otherwise have to find, thousands of times per run.
            return exc.with_traceback(None)
        if type(earnings) is date:
            self.next_report[ticker] = (today, earnings)
        return earnings

    async def _snapshot(
        self, s: Series, end: int, vix: object, today: date, now: datetime
    ) -> MarketSnapshot:
        earnings = await self._next_earnings(s.ticker, today, now)
        return make_snapshot(
            s.ticker,
            s.profile,
            s.figures(end),
            vix=vix,
            earnings=earnings,
            last_bar=s.last_bar(end),
            live=False,
            now=now,
            calendar=self.agent_calendar,
            source=self.provider.source,
            trusted=True,
        )

    def finish(self) -> BacktestResult:
        """Return the result once every session has run."""
        result = self.result
        result.trades = self.book.closed
        result.unsent_orders = len(self.queue)
        result.open_positions = {
            t: self.book.open_position(t, p.qty, self.marks[t])
            for t, p in sorted(self.positions.items())
        }
        return result
