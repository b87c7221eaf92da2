"""Settling interrupted decisions on the unit-of-work port, over memory, SQLite and
PostgreSQL: the same decisions settled, with the same outcome."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from uuid import uuid4

import pytest
from tests.conftest import T0
from tests.fakes.uow_backends import BACKENDS, Backend, open_backend

from swingdesk.adapters.clock import ManualClock
from swingdesk.domain.enums import DecisionStatus
from swingdesk.execution.interrupted import settle_interrupted


@pytest.fixture(params=BACKENDS)
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    async with open_backend(request.param, request) as opened:
        yield opened


async def test_settle_interrupted_when_decisions_are_left_pending_then_only_old_ones_settle(
    backend: Backend,
) -> None:
    store = backend.store
    stuck, concluded, young = uuid4(), uuid4(), uuid4()
    async with store.tx() as unit:
        await unit.add_decision(stuck, "AAPL", "test", T0)
        await unit.add_decision(concluded, "MSFT", "test", T0)
        await unit.add_decision(young, "NVDA", "test", T0 + timedelta(minutes=9))
    async with store.tx() as unit:
        assert await unit.conclude_decision(concluded, DecisionStatus.HOLD, T0)

    clock = ManualClock(T0 + timedelta(minutes=10))
    settled = await settle_interrupted(store, clock, older_than=timedelta(minutes=5))

    assert settled == 1
    assert await store.pending_decisions(before=clock.now()) == [young]
    async with store.tx() as unit:
        assert await unit.decision_status(stuck) is DecisionStatus.FAILED
        assert await unit.decision_status(concluded) is DecisionStatus.HOLD
        # A decision settles once: a second conclusion is refused.
        assert not await unit.conclude_decision(stuck, DecisionStatus.FAILED, clock.now())
