"""Manual actions: a person closes (all or part of) a position, moves its stop, or cancels
a working order.

Each action is a decision of its own (trigger ``manual``) with a signal from the analyst
``manual`` (the person's reason as rationale), a risk verdict with every check that applies,
and an audit entry naming who did it and why; so ``explain`` shows it like any other
decision. Nothing here bypasses HALTED except a close: taking risk off is the one thing a
halted desk must still allow. A close runs the decision pipeline itself (book lock, order
stored before it is sent, fills booked), with a manual analyst and a risk desk that sizes
the close; the stop move and the cancel use the execution desk's public operations.

A person asks for a number of shares, not a fraction, so ``ManualCloseRisk`` sizes the close
to exactly that many; the execution desk sees the close sells less than the books hold and
resizes the protective stop to the rest before the sale is sent, as for a strategy's
``close_fraction``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol
from uuid import UUID, uuid4

from swingdesk.domain.enums import (
    Action,
    DecisionStatus,
    Intent,
    OrderSide,
    TradingState,
)
from swingdesk.domain.errors import NotFoundError
from swingdesk.domain.events import RiskApproved, RiskCheck, RiskRejected, SignalCreated
from swingdesk.domain.market import MarketSnapshot
from swingdesk.domain.portfolio import PortfolioState, PositionState
from swingdesk.risk.codes import RiskCode
from swingdesk.risk.manager import RiskManager
from swingdesk.services.manual_checks import (
    CLOSE_QTY,
    MANUAL,
    cancel_checks,
    check,
    halted_check,
    stop_checks,
)
from swingdesk.services.pipeline import DecisionOutcome, DecisionPipeline
from swingdesk.strategy.agent import StrategyAgent

_ALL_ACTIONS = (Action.BUY, Action.SELL, Action.HOLD)


class ManualStrategy:
    """The analyst of a manual action: the person, whose reason is the rationale."""

    name = MANUAL

    def __init__(self, action: Action, rationale: str, reason_code: str) -> None:
        self.action, self.rationale, self.reason_code = action, rationale, reason_code

    async def evaluate(
        self,
        decision_id: UUID,
        snapshot: MarketSnapshot,
        portfolio: PortfolioState,
        feasible: Sequence[Action],
        now: datetime,
    ) -> SignalCreated:
        """Return the person's signal, whatever the market says."""
        return manual_signal(
            decision_id, snapshot.ticker, now, self.action, self.rationale, self.reason_code
        )


class ManualAnalyst(StrategyAgent):
    """Asks the person, even while HALTED (the risk desk decides what may pass)."""

    def __init__(self, strategy: ManualStrategy) -> None:
        super().__init__(strategy)
        self.manual = strategy

    async def evaluate_context(
        self,
        decision_id: UUID,
        snapshot: MarketSnapshot,
        portfolio: PortfolioState,
        now: datetime,
    ) -> SignalCreated:
        """Return the person's signal."""
        return await self.manual.evaluate(decision_id, snapshot, portfolio, _ALL_ACTIONS, now)


class ManualCloseRisk(RiskManager):
    """The closing rules, with HALTED waived for a close and the size cut to ``qty``."""

    def __init__(self, risk: RiskManager, qty: Decimal | None) -> None:
        super().__init__(risk.limits)
        self.qty = qty

    def evaluate_signal(
        self,
        signal: SignalCreated,
        portfolio: PortfolioState,
        market: MarketSnapshot,
        now: datetime,
    ) -> RiskApproved | RiskRejected:
        """Evaluate the closing rules as if the desk were reducing, then size the close."""
        state = portfolio.trading_state
        seen = portfolio
        if state is TradingState.HALTED:
            seen = portfolio.model_copy(update={"trading_state": TradingState.REDUCING})
        verdict = super().evaluate_signal(signal, seen, market, now)
        checks = tuple(
            halted_check(state, closing=True) if c.code == RiskCode.HALTED.value else c
            for c in verdict.checks
        )
        held = portfolio.position(signal.ticker)
        if self.qty is not None and held is not None:
            fits = self.qty <= held.qty
            checks += (
                check(
                    CLOSE_QTY,
                    fits,
                    self.qty,
                    held.qty,
                    "part of the position" if fits else "more shares than the position holds",
                ),
            )
        if isinstance(verdict, RiskApproved) and all(c.passed for c in checks):
            qty = verdict.qty if self.qty is None else min(self.qty, verdict.qty)
            return verdict.model_copy(
                update={"checks": checks, "qty": qty, "notional": qty * verdict.reference_price}
            )
        return RiskRejected(
            decision_id=signal.decision_id,
            ts_event=now,
            ticker=signal.ticker,
            signal_event_id=signal.event_id,
            action=signal.action,
            checks=checks,
            intent=Intent.SELL_TO_CLOSE,
            qty=self.qty if self.qty is not None else (held.qty if held else None),
        )


def manual_signal(
    decision_id: UUID,
    ticker: str,
    now: datetime,
    action: Action,
    rationale: str,
    reason_code: str,
) -> SignalCreated:
    """Return the signal that records a person's manual action."""
    return SignalCreated(
        ts_event=now,
        decision_id=decision_id,
        ticker=ticker,
        action=action,
        confidence=1.0,
        rationale=rationale,
        model=MANUAL,
        reason_code=reason_code,
    )


class OrderRecord(Protocol):
    """What a manual cancel reads of one of our stored orders."""

    client_order_id: str
    broker_order_id: str | None
    ticker: str
    side: str
    intent: str
    type: str
    status: str
    external: bool
    qty: Decimal
    filled_qty: Decimal
    reference_price: Decimal | None
    stop_price: Decimal | None


class OrderLookup(Protocol):
    """Where a manual cancel finds the order it names."""

    async def order(self, client_order_id: str) -> OrderRecord | None:
        """Return one of our orders by its client order id, None when there is none."""
        ...


class ManualDesk:
    """Runs manual actions through the same risk checks, execution and audit as decisions."""

    def __init__(self, pipeline: DecisionPipeline, orders: OrderLookup) -> None:
        self.pipeline = pipeline
        self.orders = orders

    async def close(
        self, raw_ticker: str, *, qty: Decimal | None, reason: str, actor: str
    ) -> DecisionOutcome:
        """Close a position, or ``qty`` shares of it, at market; audited with the reason."""
        p = self.pipeline
        ticker = p.validate_ticker(raw_ticker)
        what = "close" if qty is None else f"close {qty} shares"
        strategy = ManualStrategy(Action.SELL, f"Manual {what} by {actor}: {reason}", "MANUAL")
        runner = DecisionPipeline(
            market=p.market,
            strategy=ManualAnalyst(strategy),
            risk=ManualCloseRisk(p.risk, qty),
            execution=p.execution,
            portfolio=p.portfolio,
            control=p.control,
            store=p.store,
            bus=p.bus,
            clock=p.clock,
            book_lock=p.book_lock,
        )
        outcome = await runner.run(ticker, trigger=MANUAL)
        if outcome.status is DecisionStatus.ORDERED and qty is not None:
            # The desk resized the stop before the sale; ensure it once more in case the
            # broker changed anything meanwhile (it places nothing when one is working).
            async with p.book_lock.hold():
                await p.execution.stops.ensure(ticker)
            p.portfolio.invalidate()
        await self._audit(outcome.decision_id, "manual.close", actor, reason, outcome, qty=qty)
        return outcome

    async def move_stop(
        self,
        raw_ticker: str,
        *,
        stop_price: Decimal,
        reason: str,
        actor: str,
        allow_loosen: bool = False,
    ) -> DecisionOutcome:
        """Move a position's protective stop (tighter only, unless ``allow_loosen``)."""
        p = self.pipeline
        ticker = p.validate_ticker(raw_ticker)
        decision_id, now = uuid4(), p.clock.now()
        out = DecisionOutcome(decision_id, ticker, DecisionStatus.PENDING)
        async with p.book_lock.hold():
            portfolio = await p.portfolio.current(now)
            position = portfolio.position(ticker)
            checks = stop_checks(
                portfolio.trading_state, position, stop_price, allow_loosen=allow_loosen
            )
            rationale = f"Manual stop move to {stop_price} by {actor}: {reason}"
            signal = manual_signal(decision_id, ticker, now, Action.HOLD, rationale, "MANUAL_STOP")
            verdict = _verdict(signal, checks, position, stop_price, now)
            await self._record(out, signal, verdict, now)
            if isinstance(verdict, RiskApproved):
                ex = p.execution
                await ex.record_stop_price(ticker, stop_price)
                await ex.cancel_stops(ticker)  # an entry's leg keeps its price otherwise
                await ex.stops.ensure(ticker)
            p.portfolio.invalidate()
        await self._audit(decision_id, "manual.stop", actor, reason, out, stop_price=stop_price)
        return out

    async def cancel_order(
        self, client_order_id: str, *, reason: str, actor: str
    ) -> DecisionOutcome:
        """Cancel a working order of ours (not a protective stop); audited with the reason."""
        p = self.pipeline
        row = await self.orders.order(client_order_id)
        if row is None:
            raise NotFoundError(
                f"no order {client_order_id}", details={"client_order_id": client_order_id}
            )
        decision_id, now = uuid4(), p.clock.now()
        out = DecisionOutcome(decision_id, row.ticker, DecisionStatus.PENDING)
        async with p.book_lock.hold():
            state = (await p.portfolio.current(now)).trading_state
            checks = cancel_checks(
                state, status=row.status, external=row.external, order_type=row.type
            )
            rationale = f"Manual cancel of {client_order_id} by {actor}: {reason}"
            signal = manual_signal(
                decision_id, row.ticker, now, Action.HOLD, rationale, "MANUAL_CANCEL"
            )
            remaining = max(row.qty - row.filled_qty, Decimal(0))
            reference = row.reference_price or row.stop_price or Decimal(1)
            verdict: RiskApproved | RiskRejected
            if all(c.passed for c in checks) and remaining > 0:
                verdict = RiskApproved(
                    decision_id=decision_id,
                    ts_event=now,
                    ticker=row.ticker,
                    signal_event_id=signal.event_id,
                    action=Action.HOLD,
                    checks=checks,
                    intent=Intent(row.intent),
                    side=OrderSide(row.side),
                    qty=remaining,
                    reference_price=reference,
                    notional=remaining * reference,
                )
            else:
                verdict = _rejected(signal, checks, now)
            await self._record(out, signal, verdict, now)
            if isinstance(verdict, RiskApproved):
                await p.execution.cancel(row.client_order_id, row.broker_order_id)
                if row.side == OrderSide.SELL.value:
                    await p.execution.stops.ensure(row.ticker)  # its shares need a stop again
            p.portfolio.invalidate()
        await self._audit(
            decision_id, "manual.cancel", actor, reason, out, client_order_id=client_order_id
        )
        return out

    async def _record(
        self,
        out: DecisionOutcome,
        signal: SignalCreated,
        verdict: RiskApproved | RiskRejected,
        now: datetime,
    ) -> None:
        """Store the decision, its signal and its verdict in one commit, and publish them."""
        approved = isinstance(verdict, RiskApproved)
        async with self.pipeline.store.tx() as tx:
            await tx.add_decision(out.decision_id, out.ticker, MANUAL, now)
            await tx.add_signal(signal)
            await tx.add_verdict(verdict)
            status = DecisionStatus.ORDERED if approved else DecisionStatus.REJECTED
            await tx.conclude_decision(out.decision_id, status, now)
            tx.record(signal)
            tx.record(verdict)
        out.signal, out.verdict = signal, verdict
        out.status = DecisionStatus.ORDERED if approved else DecisionStatus.REJECTED

    async def _audit(
        self,
        decision_id: UUID,
        kind: str,
        actor: str,
        reason: str,
        out: DecisionOutcome,
        **facts: Any,
    ) -> None:
        """Journal who did what, why, and how it ended."""
        codes = [c.code for c in out.verdict.violations] if out.verdict else []
        payload = {
            "reason": reason,
            "status": out.status.value,
            "denied": codes,
            **{k: None if v is None else str(v) for k, v in facts.items()},
        }
        p = self.pipeline
        async with p.store.tx() as tx:
            await tx.audit(
                kind,
                f"{kind} {out.ticker} by {actor}: {out.status.value}"
                + (f" ({', '.join(codes)})" if codes else "")
                + f"; reason: {reason}",
                now=p.clock.now(),
                decision_id=decision_id,
                actor=actor,
                payload=payload,
            )


def _rejected(signal: SignalCreated, checks: tuple[RiskCheck, ...], now: datetime) -> RiskRejected:
    return RiskRejected(
        decision_id=signal.decision_id,
        ts_event=now,
        ticker=signal.ticker,
        signal_event_id=signal.event_id,
        action=signal.action,
        checks=checks,
    )


def _verdict(
    signal: SignalCreated,
    checks: tuple[RiskCheck, ...],
    position: PositionState | None,
    stop_price: Decimal,
    now: datetime,
) -> RiskApproved | RiskRejected:
    if position is None or not all(c.passed for c in checks):
        return _rejected(signal, checks, now)
    price = position.market_price
    return RiskApproved(
        decision_id=signal.decision_id,
        ts_event=now,
        ticker=signal.ticker,
        signal_event_id=signal.event_id,
        action=signal.action,
        checks=checks,
        intent=Intent.SELL_TO_CLOSE,
        side=OrderSide.SELL,
        qty=position.qty,
        reference_price=price,
        stop_price=stop_price,
        notional=position.qty * price,
    )
