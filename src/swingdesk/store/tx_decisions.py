"""The unit of work's decision rows: a decision and each of its stages.

The rows are written with Core statements at once, in the order the stages add them (a
decision before its snapshot): no ORM objects to track, flush and sort.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import bindparam, insert, select, update

from swingdesk.domain.enums import Action, DecisionStatus
from swingdesk.domain.events import RiskApproved, RiskRejected, SignalCreated
from swingdesk.domain.market import MarketSnapshot
from swingdesk.store import tables
from swingdesk.store.tx_journal import JournalTx, core_table
from swingdesk.unit_of_work import DecisionStages

_INSERT_DECISION = insert(core_table(tables.DecisionRow))
_INSERT_SNAPSHOT = insert(core_table(tables.SnapshotRow))
_INSERT_SIGNAL = insert(core_table(tables.SignalRow))
_INSERT_VERDICT = insert(core_table(tables.RiskVerdictRow))
_INSERT_CHECKS = insert(core_table(tables.RiskCheckRow))
_DECISIONS = core_table(tables.DecisionRow)
#: Moves a decision from pending only (the SET columns come from the parameters).
_CONCLUDE = update(_DECISIONS).where(
    _DECISIONS.c.decision_id == bindparam("key"), _DECISIONS.c.status == bindparam("pending")
)


class DecisionWrites(JournalTx):
    """Writes and reads of a decision and its stages (snapshot, signal, verdict)."""

    async def add_decision(
        self, decision_id: UUID, ticker: str, trigger: str, now: datetime
    ) -> None:
        """Open a decision record."""
        await self.session.execute(
            _INSERT_DECISION,
            {
                "decision_id": str(decision_id),
                "ticker": ticker,
                "trigger": trigger,
                "status": DecisionStatus.PENDING.value,
                "failed_stage": None,
                "error_code": None,
                "error_message": None,
                "created_at": now,
                "updated_at": now,
            },
        )

    async def conclude_decision(
        self,
        decision_id: UUID,
        status: DecisionStatus,
        now: datetime,
        *,
        failed_stage: str | None = None,
        error_code: str | None = None,
        error_message: str | None = None,
    ) -> bool:
        """Record a pending decision's outcome; False if it already had one (kept as it is).

        A decision moves once, from pending to its outcome: a late error can never turn an
        ORDERED decision (an order the broker may hold) into a FAILED one.
        """
        if status is DecisionStatus.PENDING:
            raise ValueError("a decision cannot be concluded as pending")
        result = await self.session.execute(
            _CONCLUDE,
            {
                "key": str(decision_id),
                "pending": DecisionStatus.PENDING.value,
                "status": status.value,
                "updated_at": now,
                "failed_stage": failed_stage,
                "error_code": error_code,
                "error_message": error_message,
            },
        )
        if getattr(result, "rowcount", 1):
            return True
        if await self.decision_status(decision_id) is None:
            raise LookupError(f"decision {decision_id} is not stored")
        return False

    async def decision_stages(self, decision_id: UUID) -> DecisionStages:
        """Return which stages a decision has stored (to settle an interrupted one)."""
        decision_key = str(decision_id)
        action = await self.session.scalar(
            select(tables.SignalRow.action).where(tables.SignalRow.decision_id == decision_key)
        )
        approved = await self.session.scalar(
            select(tables.RiskVerdictRow.approved).where(
                tables.RiskVerdictRow.decision_id == decision_key
            )
        )
        order = await self.session.scalar(
            select(tables.OrderRow.client_order_id)
            .where(
                tables.OrderRow.decision_id == decision_key,
                tables.OrderRow.parent_client_order_id.is_(None),
            )
            .limit(1)
        )
        return DecisionStages(Action(action) if action else None, approved, order is not None)

    async def decision_status(self, decision_id: UUID) -> DecisionStatus | None:
        """Return a decision's status as this transaction sees it."""
        value = await self.session.scalar(
            select(tables.DecisionRow.status).where(
                tables.DecisionRow.decision_id == str(decision_id)
            )
        )
        return DecisionStatus(value) if value is not None else None

    async def add_snapshot(
        self, decision_id: UUID | None, snap: MarketSnapshot, now: datetime
    ) -> None:
        """Store the market snapshot a decision used."""
        await self.session.execute(
            _INSERT_SNAPSHOT,
            {
                "decision_id": str(decision_id) if decision_id else None,
                "ticker": snap.ticker,
                "price": snap.price,
                "source": snap.source.value,
                "as_of": snap.as_of,
                "taken_at": now,
                "payload": snap.model_dump(mode="json"),
            },
        )

    async def add_signal(self, sig: SignalCreated) -> None:
        """Store the analyst's signal."""
        await self.session.execute(
            _INSERT_SIGNAL,
            {
                "event_id": str(sig.event_id),
                "decision_id": str(sig.decision_id),
                "ticker": sig.ticker,
                "action": sig.action.value,
                "confidence": sig.confidence,
                "rationale": sig.rationale,
                "model": sig.model,
                "prompt_hash": sig.prompt_hash,
                "reason_code": sig.reason_code,
                "latency_ms": sig.latency_ms,
                "tokens_in": sig.tokens_in,
                "tokens_out": sig.tokens_out,
                "cost_usd": sig.cost_usd,
                "cache_hit": sig.cache_hit,
                "prompt": sig.prompt,
                "raw_output": sig.raw_output,
                "ts_event": sig.ts_event,
                "payload": sig.model_dump(mode="json", exclude={"prompt", "raw_output"}),
            },
        )

    async def add_verdict(self, verdict: RiskApproved | RiskRejected) -> None:
        """Store a risk verdict with every check it evaluated (the checks in one insert)."""
        event_id = str(verdict.event_id)
        await self.session.execute(
            _INSERT_VERDICT,
            {
                "event_id": event_id,
                "decision_id": str(verdict.decision_id),
                "ticker": verdict.ticker,
                "approved": isinstance(verdict, RiskApproved),
                "intent": verdict.intent.value if verdict.intent else None,
                "qty": verdict.qty,
                "stop_price": verdict.stop_price,
                "ts_event": verdict.ts_event,
                "payload": verdict.model_dump(mode="json", exclude={"checks", "violations"}),
            },
        )
        if verdict.checks:
            await self.session.execute(
                _INSERT_CHECKS,
                [
                    {
                        "verdict_id": event_id,
                        "position": i,
                        "code": c.code,
                        "passed": c.passed,
                        "value": None if c.value is None else str(c.value),
                        "limit": None if c.limit is None else str(c.limit),
                        "message": c.message,
                    }
                    for i, c in enumerate(verdict.checks)
                ],
            )
