"""The decision pipeline: market data -> strategy -> risk -> execution, one decision_id.

Each stage's output is committed (with its audit entry) before the next stage runs and
published after the commit. A stage that fails leaves nothing of itself behind: its
transaction rolls back and the decision is marked failed at that stage, with the error.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from swingdesk import log_context
from swingdesk.domain.enums import Action, DecisionStatus, TradingState
from swingdesk.domain.errors import SwingdeskError, UnknownTickerError
from swingdesk.domain.events import Event, RiskApproved, RiskRejected, SignalCreated
from swingdesk.domain.market import MarketSnapshot
from swingdesk.domain.portfolio import PortfolioState
from swingdesk.domain.ticker import sanitize_ticker
from swingdesk.execution.agent import ExecutionAgent, ExecutionReport
from swingdesk.execution.control import TradingControl
from swingdesk.ports import Clock, EventBus, MarketDataService
from swingdesk.risk.manager import RiskManager, assess_account
from swingdesk.services.portfolio import PortfolioService
from swingdesk.strategy.agent import StrategyAgent
from swingdesk.unit_of_work import (
    Lease,
    PipelineStore,
    PipelineUnitOfWork,
    ProcessBook,
    SerialBook,
)

log = logging.getLogger(__name__)


@dataclass
class DecisionOutcome:
    """Everything one decision produced, for the CLI, the API and tests."""

    decision_id: UUID
    ticker: str
    status: DecisionStatus
    snapshot: MarketSnapshot | None = None
    signal: SignalCreated | None = None
    verdict: RiskApproved | RiskRejected | None = None
    execution: ExecutionReport | None = None
    failed_stage: str | None = None
    started: bool = False
    error_code: str | None = None
    error_message: str | None = None
    events: list[Event] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Return the outcome as the JSON object `swingdesk trigger --json` prints."""
        sig, v, ex = self.signal, self.verdict, self.execution
        return {
            "decision_id": str(self.decision_id),
            "ticker": self.ticker,
            "status": self.status.value,
            "signal": None
            if sig is None
            else {
                "action": sig.action.value,
                "confidence": sig.confidence,
                "rationale": sig.rationale,
                "reason_code": sig.reason_code,
            },
            "risk": None
            if v is None
            else {
                "approved": isinstance(v, RiskApproved),
                "violations": [
                    {
                        "code": c.code,
                        "value": _str_or_none(c.value),
                        "limit": _str_or_none(c.limit),
                        "message": c.message,
                    }
                    for c in v.violations
                ],
                "checks": [
                    {
                        "code": c.code,
                        "passed": c.passed,
                        "value": _str_or_none(c.value),
                        "limit": _str_or_none(c.limit),
                        "message": c.message,
                    }
                    for c in v.checks
                ],
                "shares": _str_or_none(v.qty),
                "stop_price": _str_or_none(v.stop_price),
            },
            "order": None
            if ex is None
            else {
                "client_order_id": ex.request.client_order_id,
                "side": ex.request.side.value,
                "qty": str(ex.request.qty),
                "status": ex.status.value,
                "filled_qty": str(ex.filled_qty),
                "filled_avg_price": _str_or_none(ex.filled_avg_price),
            },
            "error": None
            if self.error_code is None
            else {
                "stage": self.failed_stage,
                "code": self.error_code,
                "message": self.error_message,
            },
        }


def _str_or_none(value: object) -> str | None:
    return None if value is None else str(value)


class DecisionPipeline:
    """Runs one decision for one ticker through every stage."""

    def __init__(
        self,
        *,
        market: MarketDataService,
        strategy: StrategyAgent,
        risk: RiskManager,
        execution: ExecutionAgent,
        portfolio: PortfolioService,
        control: TradingControl,
        store: PipelineStore,
        bus: EventBus,
        clock: Clock,
        book_lock: SerialBook | None = None,
    ) -> None:
        self.market = market
        self.strategy = strategy
        self.risk = risk
        self.execution = execution
        self.portfolio = portfolio
        self.control = control
        self.store = store
        self.bus = bus
        self.clock = clock
        #: Serialises risk and execution; across processes when built on the database.
        self.book_lock = book_lock or ProcessBook()

    def validate_ticker(self, raw: str) -> str:
        """Return the clean ticker or raise InvalidTickerError / UnknownTickerError."""
        ticker = sanitize_ticker(raw)
        if ticker not in self.market.universe():
            raise UnknownTickerError(
                f"unknown ticker {ticker!r}: not in the "
                f"{self.market.source.value} market's universe",
                details={"ticker": ticker},
            )
        return ticker

    async def run(self, raw_ticker: str, *, trigger: str = "cli") -> DecisionOutcome:
        """Run one decision; bad input raises before anything is stored."""
        ticker = self.validate_ticker(raw_ticker)
        outcome = DecisionOutcome(uuid4(), ticker, DecisionStatus.PENDING)
        with log_context.decision(outcome.decision_id):  # every log line names it
            try:
                await self._decide(outcome, self.clock.now(), trigger)
            except Exception as exc:
                await self._fail(outcome, outcome.failed_stage or "unknown", exc, trigger)
        return outcome

    async def _start(
        self, tx: PipelineUnitOfWork, decision_id: UUID, ticker: str, trigger: str, now: datetime
    ) -> None:
        await tx.add_decision(decision_id, ticker, trigger, now)
        await tx.audit(
            "decision.started",
            f"decision for {ticker} ({trigger})",
            now=now,
            decision_id=decision_id,
            actor=trigger,
            payload={"ticker": ticker},
        )

    async def _decide(self, out: DecisionOutcome, now: datetime, trigger: str) -> None:
        decision_id, ticker = out.decision_id, out.ticker

        out.failed_stage = "market_data"
        snap = await self.market.snapshot(ticker, now)
        # The decision row is born with its snapshot: one transaction instead of two.
        async with self.store.tx() as tx:
            await self._start(tx, decision_id, ticker, trigger, now)
            await tx.add_snapshot(decision_id, snap, now)
            await tx.audit(
                "market.snapshot",
                f"{ticker} {snap.price} ({snap.source.value}); "
                f"ATR-14 {snap.atr_14}, VIX {snap.vix}",
                now=now,
                decision_id=decision_id,
                actor="market_data",
                payload=_snapshot_payload(snap),
            )
        out.snapshot = snap
        out.started = True

        out.failed_stage = "portfolio"
        portfolio = await self._assessed(await self.portfolio.recent(now), decision_id)

        out.failed_stage = "strategy"
        signal = await self.strategy.evaluate_context(decision_id, snap, portfolio, now)
        hold = signal.action is Action.HOLD
        async with self.store.tx() as tx:
            await tx.add_signal(signal)
            await tx.audit(
                "signal.created",
                f"{signal.action.value} {ticker} at {signal.confidence:.2f} confidence: "
                f"{signal.rationale}",
                now=signal.ts_event,
                decision_id=decision_id,
                actor=signal.model,
                payload=_signal_payload(signal),
            )
            if hold:
                await tx.conclude_decision(decision_id, DecisionStatus.HOLD, now)
            tx.record(signal)
        out.signal = signal
        if hold:
            out.status, out.failed_stage = DecisionStatus.HOLD, None
            return

        # Risk and execution run one decision at a time on a fresh portfolio, so that two
        # concurrent approvals can never both fit under a limit that only one of them fits.
        async with self.book_lock.hold() as lease:
            try:
                await self._risk_and_execute(out, snap, signal, now, lease)
            finally:
                # A denial leaves the account as risk just read it: that read may serve the
                # analyst's next options (up to ``reuse_s`` old). Anything else may have moved it.
                if not isinstance(out.verdict, RiskRejected):
                    self.portfolio.invalidate()

    async def _assessed(self, portfolio: PortfolioState, decision_id: UUID) -> PortfolioState:
        """Move the desk to REDUCING when the account breaches a limit; return what risk sees."""
        reason = assess_account(portfolio, self.risk.limits)
        if reason is None:
            return portfolio
        # Only from ACTIVE: a concurrent decision may have moved the desk already.
        await self.control.change(
            TradingState.REDUCING,
            reason=reason,
            actor="risk",
            decision_id=decision_id,
            expected=TradingState.ACTIVE,
        )
        self.portfolio.invalidate()
        return portfolio.model_copy(update={"trading_state": TradingState.REDUCING})

    async def _risk_and_execute(
        self,
        out: DecisionOutcome,
        snap: MarketSnapshot,
        signal: SignalCreated,
        now: datetime,
        lease: Lease,
    ) -> None:
        decision_id, ticker = out.decision_id, out.ticker
        out.failed_stage = "portfolio"
        portfolio = await self._assessed(await self.portfolio.current(now), decision_id)
        out.failed_stage = "risk"
        verdict = self.risk.evaluate_signal(signal, portfolio, snap, now)
        approved = isinstance(verdict, RiskApproved)
        async with self.store.tx() as tx:
            await tx.add_verdict(verdict)
            codes = ", ".join(c.code for c in verdict.violations)
            await tx.audit(
                "risk.approved" if approved else "risk.rejected",
                f"approved {verdict.intent.value if verdict.intent else ''} {verdict.qty} {ticker}"
                if approved
                else f"denied {ticker}: {codes}",
                now=now,
                decision_id=decision_id,
                actor="risk",
                payload={"violations": [c.as_dict(json=True) for c in verdict.violations]},
            )
            if not approved:
                await tx.conclude_decision(decision_id, DecisionStatus.REJECTED, now)
            tx.record(verdict)
        out.verdict = verdict
        if not isinstance(verdict, RiskApproved):
            out.status, out.failed_stage = DecisionStatus.REJECTED, None
            return

        out.failed_stage = "execution"
        # The order is stored, and the decision concluded ORDERED, in one unit of work; the
        # lease is checked before that and again just before the broker hears of the order.
        out.execution = await self.execution.execute(
            verdict, sector=snap.sector, before_send=lease.verify
        )
        out.status, out.failed_stage = DecisionStatus.ORDERED, None

    async def _fail(self, out: DecisionOutcome, stage: str, exc: Exception, trigger: str) -> None:
        code = exc.code if isinstance(exc, SwingdeskError) else "INTERNAL"
        message = exc.message if isinstance(exc, SwingdeskError) else f"{type(exc).__name__}: {exc}"
        if not isinstance(exc, SwingdeskError):
            log.exception("decision %s failed at %s", out.decision_id, stage)
        now = self.clock.now()
        async with self.store.tx() as tx:
            if not out.started:
                await self._start(tx, out.decision_id, out.ticker, trigger, now)
            failed = await tx.conclude_decision(
                out.decision_id,
                DecisionStatus.FAILED,
                now,
                failed_stage=stage,
                error_code=code,
                error_message=message,
            )
            # A decision that already reached its outcome (an order was placed) keeps it:
            # the error is journaled beside it, never written over it.
            await tx.audit(
                "decision.failed" if failed else "decision.error_after_outcome",
                f"decision failed at {stage}: {code}: {message}"
                if failed
                else f"error after the decision's outcome, at {stage}: {code}: {message}",
                now=now,
                decision_id=out.decision_id,
                actor="pipeline",
                payload={"stage": stage, "code": code, "message": message},
            )
            stored = await tx.decision_status(out.decision_id)
        out.status, out.failed_stage = stored or DecisionStatus.FAILED, stage
        out.error_code, out.error_message = code, message


def _snapshot_payload(snap: MarketSnapshot) -> dict[str, Any]:
    """Return what the journal keeps of a decision's snapshot (the table holds the rest)."""
    return {
        "price": str(snap.price),
        "source": snap.source.value,
        "missing": list(snap.missing),
        "stale": snap.stale,
    }


def _signal_payload(signal: SignalCreated) -> dict[str, Any]:
    """Return what the journal keeps of the analyst's signal besides its message."""
    return {
        "action": signal.action.value,
        "confidence": signal.confidence,
        "reason_code": signal.reason_code,
    }
