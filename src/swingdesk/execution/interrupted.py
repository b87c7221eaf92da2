"""Settling decisions a crash left pending, from the stages they stored.

Each stage of a decision commits on its own, and the stage that decides the outcome records
it in the same commit (HOLD with the signal, REJECTED with the verdict, ORDERED with the
order). A process killed between two stages leaves the decision ``pending``; reconciliation
settles it from what it stored, audited ``decision.recovered``:

- an order was stored: ORDERED (the order itself is reconciled with the broker);
- a denial was stored: REJECTED; an approval but no order: FAILED at execution (nothing
  was sent: an order is always stored before the broker hears of it);
- a HOLD signal: HOLD; another signal: FAILED at risk;
- only the snapshot: FAILED at strategy.

Failures carry code ``INTERRUPTED``. Only decisions pending for longer than any decision
takes are settled, so another process's decision in flight is never touched; and a
decision settled here can no longer place its order (the order's commit checks).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from swingdesk.domain.enums import Action, DecisionStatus
from swingdesk.ports import Clock
from swingdesk.unit_of_work import DecisionStages, DecisionStore

INTERRUPTED = "INTERRUPTED"


@dataclass(frozen=True, slots=True)
class Settlement:
    """The outcome an interrupted decision is given."""

    status: DecisionStatus
    failed_stage: str | None
    message: str


def settle(stages: DecisionStages) -> Settlement:
    """Return the outcome an interrupted decision's stored stages imply."""
    if stages.has_order:
        return Settlement(DecisionStatus.ORDERED, None, "its order was stored")
    if stages.verdict_approved is False:
        return Settlement(DecisionStatus.REJECTED, None, "risk had denied it")
    if stages.verdict_approved:
        return Settlement(
            DecisionStatus.FAILED, "execution", "approved, but stopped before the order was stored"
        )
    if stages.signal_action is Action.HOLD:
        return Settlement(DecisionStatus.HOLD, None, "the analyst had said HOLD")
    if stages.signal_action is not None:
        return Settlement(DecisionStatus.FAILED, "risk", "stopped before risk decided")
    return Settlement(DecisionStatus.FAILED, "strategy", "stopped before the analyst answered")


async def settle_interrupted(store: DecisionStore, clock: Clock, *, older_than: timedelta) -> int:
    """Settle every decision pending for longer than ``older_than``; return how many."""
    now = clock.now()
    settled = 0
    for decision_id in await store.pending_decisions(before=now - older_than):
        async with store.tx() as tx:
            outcome = settle(await tx.decision_stages(decision_id))
            failed = outcome.status is DecisionStatus.FAILED
            if not await tx.conclude_decision(
                decision_id,
                outcome.status,
                now,
                failed_stage=outcome.failed_stage,
                error_code=INTERRUPTED if failed else None,
                error_message=f"interrupted: {outcome.message}" if failed else None,
            ):
                continue  # concluded meanwhile by its own process
            await tx.audit(
                "decision.recovered",
                f"interrupted decision settled as {outcome.status.value}: {outcome.message}",
                now=now,
                decision_id=decision_id,
                actor="reconciler",
                payload={
                    "status": outcome.status.value,
                    "failed_stage": outcome.failed_stage,
                    "reason": outcome.message,
                },
            )
            settled += 1
    return settled
