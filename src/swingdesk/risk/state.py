"""Trading state: ACTIVE, REDUCING (closing orders only) or HALTED (nothing new)."""

from __future__ import annotations

from datetime import datetime
from typing import Final
from uuid import UUID

from swingdesk.domain.enums import TradingState
from swingdesk.domain.errors import ConflictError
from swingdesk.domain.events import TradingStateChanged

T = TradingState

#: Which state changes a person or the desk may make.
STATE_TRANSITIONS: Final[dict[TradingState, frozenset[TradingState]]] = {
    T.ACTIVE: frozenset({T.REDUCING, T.HALTED}),
    T.REDUCING: frozenset({T.ACTIVE, T.HALTED}),
    # Back to REDUCING too: a halt lifted by the desk itself restores what it interrupted.
    T.HALTED: frozenset({T.ACTIVE, T.REDUCING}),
}


def change_state(
    current: TradingState,
    target: TradingState,
    *,
    reason: str,
    actor: str,
    now: datetime,
    decision_id: UUID | None = None,
    cause: str | None = None,
) -> TradingStateChanged:
    """Return the audited event for a state change, refusing moves the table forbids."""
    reason = reason.strip()
    if not reason:
        raise ConflictError("a trading-state change needs a reason")
    if target not in STATE_TRANSITIONS[current]:
        raise ConflictError(
            f"trading state is already {current.value}"
            if current is target
            else f"cannot move trading state from {current.value} to {target.value}",
            details={"from": current.value, "to": target.value},
        )
    return TradingStateChanged(
        ts_event=now,
        decision_id=decision_id,
        previous=current,
        current=target,
        reason=reason,
        actor=actor,
        cause=cause,
    )
