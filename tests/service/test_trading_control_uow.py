"""Trading control and the outbox relay on the unit-of-work port, run over memory, SQLite
and PostgreSQL: the same changes, the same publications, and nothing published by a unit
that failed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from tests.conftest import T0
from tests.fakes.uow_backends import BACKENDS, Backend, open_backend

from swingdesk.adapters.clock import ManualClock
from swingdesk.adapters.memory_bus import InMemoryEventBus
from swingdesk.domain.enums import TradingState
from swingdesk.domain.events import TradingStateChanged
from swingdesk.execution.control import TradingControl
from swingdesk.ports import BusMessage
from swingdesk.services.relay import OutboxRelay


@pytest.fixture(params=BACKENDS)
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    async with open_backend(request.param, request) as opened:
        yield opened


def _control(backend: Backend, clock: ManualClock) -> TradingControl:
    return TradingControl(backend.store, InMemoryEventBus(), clock)


async def test_halt_when_run_on_each_unit_of_work_then_the_change_is_published_once(
    backend: Backend, clock: ManualClock
) -> None:
    event = await _control(backend, clock).halt("test", "operator")

    assert await backend.store.trading_state() is TradingState.HALTED
    assert backend.published() == [str(event.event_id)]


async def test_change_when_the_expected_state_differs_then_nothing_changes_or_is_published(
    backend: Backend, clock: ManualClock
) -> None:
    control = _control(backend, clock)

    moved = await control.change(
        TradingState.REDUCING, reason="test", actor="desk", expected=TradingState.HALTED
    )

    assert moved is None
    assert await control.state() is TradingState.ACTIVE
    assert backend.published() == []


async def test_tx_when_the_unit_fails_after_recording_then_nothing_is_kept_or_published(
    backend: Backend,
) -> None:
    event = TradingStateChanged(
        ts_event=T0,
        previous=TradingState.ACTIVE,
        current=TradingState.HALTED,
        reason="test",
        actor="test",
    )

    with pytest.raises(RuntimeError, match="boom"):
        async with backend.store.tx() as unit:
            await unit.lock_head()
            await unit.record_state_change(event)
            await unit.audit("trading_state.changed", "staged", now=T0)
            unit.record(event)
            raise RuntimeError("boom")

    assert await backend.store.trading_state() is TradingState.ACTIVE
    assert backend.published() == []


def _halt_event() -> TradingStateChanged:
    return TradingStateChanged(
        ts_event=T0,
        previous=TradingState.ACTIVE,
        current=TradingState.HALTED,
        reason="test",
        actor="test",
    )


class _SeesCommitted:
    """A publisher that reads the committed trading state when it is handed messages."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.seen: list[tuple[list[str], TradingState]] = []

    async def committed(self, messages: list[Any]) -> None:
        topics = [m.topic for m in messages]
        self.seen.append((topics, await self.backend.store.trading_state()))


async def test_tx_when_the_unit_commits_then_its_events_are_published_after_the_commit_only(
    backend: Backend,
) -> None:
    publisher = _SeesCommitted(backend)
    backend.store.publish_to(publisher)
    event = _halt_event()

    async with backend.store.tx() as unit:
        await unit.lock_head()
        await unit.record_state_change(event)
        await unit.audit("trading_state.changed", "staged", now=T0)
        unit.record(event)
        assert backend.published() == []  # recorded, not published while the unit is open
        assert publisher.seen == []

    assert backend.published() == [str(event.event_id)]
    # Handed over once, and by then the change was visible to any reader: committed first.
    assert publisher.seen == [(["trading_state_changed", "audit"], TradingState.HALTED)]


async def test_tx_when_the_commit_itself_fails_then_nothing_is_kept_or_published(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    publisher = _SeesCommitted(backend)
    backend.store.publish_to(publisher)
    event = _halt_event()
    backend.break_commits(monkeypatch)

    with pytest.raises(RuntimeError, match="commit failed"):
        async with backend.store.tx() as unit:
            await unit.lock_head()
            await unit.record_state_change(event)
            await unit.audit("trading_state.changed", "staged", now=T0)
            unit.record(event)
    monkeypatch.undo()

    assert await backend.store.trading_state() is TradingState.ACTIVE
    assert backend.published() == []
    assert publisher.seen == []
    head, _ = await backend.store.outbox_head()
    assert head == 0  # nothing reached the outbox either


class _RecordingBus:
    def __init__(self) -> None:
        self.messages: list[BusMessage] = []

    async def publish(self, message: BusMessage) -> None:
        self.messages.append(message)


async def test_catch_up_when_units_committed_then_each_message_is_relayed_once_in_order(
    backend: Backend, clock: ManualClock
) -> None:
    bus: Any = _RecordingBus()
    relay = OutboxRelay(backend.store, bus)
    await relay.start()
    control = _control(backend, clock)
    halted = await control.halt("test", "operator")
    resumed = await control.resume("test", "operator")

    assert await relay.catch_up() == 4
    assert await relay.catch_up() == 0
    topics = [m.topic for m in bus.messages]
    assert topics == ["trading_state_changed", "audit"] * 2
    assert [m.seq for m in bus.messages] == [1, 2, 3, 4]
    assert [bus.messages[0].payload["event_id"], bus.messages[2].payload["event_id"]] == [
        str(halted.event_id),
        str(resumed.event_id),
    ]
