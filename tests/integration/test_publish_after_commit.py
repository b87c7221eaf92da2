"""Events leave a unit of work only after its commit: a failed one publishes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import uuid4

import pytest
from tests.conftest import T0

from swingdesk.domain.enums import TradingState
from swingdesk.domain.events import TradingStateChanged
from swingdesk.store import migrate
from swingdesk.store.store import OutboxMessage, Store


class _Recorder:
    def __init__(self) -> None:
        self.batches: list[list[OutboxMessage]] = []

    async def committed(self, messages: list[OutboxMessage]) -> None:
        self.batches.append(messages)


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[Store]:
    migrate.upgrade(db_url)
    s = Store.from_url(db_url)
    yield s
    await s.close()


def _halted() -> TradingStateChanged:
    return TradingStateChanged(
        decision_id=None,
        ts_event=T0,
        previous=TradingState.ACTIVE,
        current=TradingState.HALTED,
        reason="test",
        actor="test",
    )


async def test_tx_when_the_commit_fails_then_nothing_is_published(store: Store) -> None:
    recorder = _Recorder()
    store.publish_to(recorder)
    decision_id = uuid4()
    async with store.tx() as tx:
        await tx.add_decision(decision_id, "AAPL", "test", T0)

    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        async with store.tx() as tx:
            tx.record(_halted())
            await tx.audit("test.event", "recorded before the failure", now=T0)
            # The same primary key again: the database refuses it at the commit's flush.
            await tx.add_decision(decision_id, "AAPL", "test", T0)

    assert recorder.batches == []
    assert await store.outbox_after(0) == []


async def test_tx_when_the_commit_succeeds_then_its_events_are_published_once(
    store: Store,
) -> None:
    recorder = _Recorder()
    store.publish_to(recorder)

    async with store.tx() as tx:
        tx.record(_halted())
        await tx.audit("test.event", "committed", now=T0)

    assert len(recorder.batches) == 1
    assert recorder.batches[0] == await store.outbox_after(0)
    assert recorder.batches[0] != []
