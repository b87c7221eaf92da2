"""The in-memory store without history (what a replay runs on) keeps what the desk reads back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

from tests.service.harness import snapshot

from swingdesk.domain.enums import Action, DecisionStatus
from swingdesk.domain.events import SignalCreated
from swingdesk.store.memory import MemoryStore
from swingdesk.unit_of_work import DecisionStages

NOW = datetime(2024, 3, 5, 15, 0, tzinfo=UTC)


def _signal(decision_id: UUID, cost: Decimal) -> SignalCreated:
    return SignalCreated(
        decision_id=decision_id,
        ts_event=NOW,
        ticker="AAPL",
        action=Action.BUY,
        confidence=0.8,
        rationale="test",
        model="m",
        cost_usd=cost,
    )


async def _decide(store: MemoryStore, *, conclude: bool, cost: Decimal) -> UUID:
    decision_id = uuid4()
    async with store.tx() as tx:
        await tx.add_decision(decision_id, "AAPL", "test", NOW)
        await tx.add_snapshot(decision_id, snapshot("AAPL", NOW), NOW)
        await tx.audit("decision.started", "started", now=NOW, decision_id=decision_id)
    async with store.tx() as tx:
        signal = _signal(decision_id, cost)
        await tx.add_signal(signal)
        tx.record(signal)
        if conclude:
            await tx.conclude_decision(decision_id, DecisionStatus.HOLD, NOW)
    return decision_id


async def test_memory_store_when_no_history_then_only_what_the_desk_reads_back_is_kept() -> None:
    kept, slim = MemoryStore(), MemoryStore(history=False)
    for store in (kept, slim):
        await _decide(store, conclude=True, cost=Decimal("0.25"))
        pending = await _decide(store, conclude=False, cost=Decimal("0.50"))
        # What the desk reads back is the same with or without history.
        async with store.tx() as tx:
            stages = await tx.decision_stages(pending)
        assert stages == DecisionStages(Action.BUY, None, False)
        assert await store.pending_decisions(before=NOW + timedelta(seconds=1)) == [pending]
        assert await store.llm_spend_since(NOW) == Decimal("0.75")
        assert await store.llm_spend_since(NOW + timedelta(seconds=1)) == Decimal(0)
        assert len(store.decisions) == 2
    # With history: every snapshot, signal, journal entry and outbox message is kept.
    assert (len(kept.stages.snapshots), len(kept.stages.signals)) == (2, 2)
    assert len(kept.journal) == 2
    assert (await kept.outbox_head())[0] == 4
    # Without: no snapshot, no journal, no outbox, and only the pending decision's signal.
    assert (len(slim.stages.snapshots), list(slim.stages.signals)) == (0, [pending])
    assert slim.journal == []
    assert (await slim.outbox_head())[0] == 0
    assert slim.published == []
