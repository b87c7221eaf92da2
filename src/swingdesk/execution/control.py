"""Trading-state control: halt, resume, and the automatic move to REDUCING."""

from __future__ import annotations

from uuid import UUID

from swingdesk.domain.enums import TradingState
from swingdesk.domain.events import TradingStateChanged
from swingdesk.ports import Clock, EventBus
from swingdesk.risk.state import change_state
from swingdesk.unit_of_work import TradingStateStore


class TradingControl:
    """Every change of trading state goes through here and is audited."""

    def __init__(self, store: TradingStateStore, bus: EventBus, clock: Clock) -> None:
        self.store = store
        self.bus = bus
        self.clock = clock

    async def state(self) -> TradingState:
        """Return the current trading state."""
        return await self.store.trading_state()

    async def change(
        self,
        target: TradingState,
        *,
        reason: str,
        actor: str,
        decision_id: UUID | None = None,
        cause: str | None = None,
        expected: TradingState | None = None,
    ) -> TradingStateChanged | None:
        """Move to ``target``; raise ConflictError when the move is not allowed.

        A compare-and-set: the state is read under the journal's lock, so two concurrent
        changes are serialised and the second sees the first. With ``expected``, the change
        happens only from that state (None is returned, nothing recorded, otherwise).
        """
        now = self.clock.now()
        async with self.store.tx() as tx:
            await tx.lock_head()
            current = await tx.trading_state()
            if expected is not None and current is not expected:
                return None
            event = change_state(
                current,
                target,
                reason=reason,
                actor=actor,
                now=now,
                decision_id=decision_id,
                cause=cause,
            )
            await tx.record_state_change(event)
            await tx.audit(
                "trading_state.changed",
                f"{current.value} -> {target.value} by {actor}: {event.reason}",
                now=now,
                decision_id=decision_id,
                actor=actor,
                payload=event.model_dump(mode="json"),
            )
            tx.record(event)
        return event

    async def halt(self, reason: str, actor: str) -> TradingStateChanged:
        """Stop all new orders."""
        event = await self.change(TradingState.HALTED, reason=reason, actor=actor)
        assert event is not None  # no ``expected``: a change or a ConflictError
        return event

    async def resume(self, reason: str, actor: str) -> TradingStateChanged:
        """Return to ACTIVE after a halt or a reduction."""
        event = await self.change(TradingState.ACTIVE, reason=reason, actor=actor)
        assert event is not None
        return event
