"""A failure at any stage leaves that stage's rows out entirely and marks the decision failed,
on every unit-of-work backend (memory, SQLite, PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest
from tests.service.conftest import DeskFactory
from tests.service.harness import Harness

from swingdesk.domain.enums import Action, DecisionStatus
from swingdesk.domain.errors import TemporaryError


@pytest.fixture
async def desk(make_desk: DeskFactory) -> Harness:
    h = await make_desk()
    h.strategy.script.append((Action.BUY, 0.8))
    return h


async def rows(desk: Harness, what: str) -> int:
    return await desk.books.count(what)


async def assert_failed_at(desk: Harness, out: Any, stage: str) -> None:
    assert out.status is DecisionStatus.FAILED
    assert out.failed_stage == stage
    row = await desk.books.decision(str(out.decision_id))
    assert row is not None
    assert row.status == "failed"
    assert row.failed_stage == stage
    assert await desk.books.journal_intact()


def crash_after(monkeypatch: pytest.MonkeyPatch, desk: Harness, method: str) -> None:
    """Make a unit-of-work method do its writes and then crash, as a dying process would
    mid-stage (on SQL the writes are flushed to the database first)."""
    unit_type = desk.books.unit_type
    original = getattr(unit_type, method)

    async def writes_then_crashes(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        if hasattr(result, "__await__"):
            await result
        await desk.books.written(self)
        raise RuntimeError(f"injected crash in {method}")

    monkeypatch.setattr(unit_type, method, writes_then_crashes)


async def test_run_when_market_data_fails_then_failed_with_no_snapshot(desk: Harness) -> None:
    desk.market.fail = TemporaryError("provider unreachable")
    out = await desk.pipeline.run("AAPL")
    await assert_failed_at(desk, out, "market_data")
    assert out.error_code == "TEMPORARY"
    assert await rows(desk, "snapshots") == 0


async def test_run_when_snapshot_write_crashes_then_no_snapshot_row(
    desk: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    crash_after(monkeypatch, desk, "add_snapshot")
    out = await desk.pipeline.run("AAPL")
    await assert_failed_at(desk, out, "market_data")
    assert await rows(desk, "snapshots") == 0


async def test_run_when_broker_account_is_unavailable_then_fails_closed_before_strategy(
    desk: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def down() -> None:
        raise TemporaryError("broker unreachable")

    monkeypatch.setattr(desk.broker, "get_account", down)
    out = await desk.pipeline.run("AAPL")
    await assert_failed_at(desk, out, "portfolio")
    assert await rows(desk, "signals") == 0
    assert await rows(desk, "orders") == 0


async def test_run_when_signal_write_crashes_then_no_signal_row(
    desk: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    crash_after(monkeypatch, desk, "add_signal")
    out = await desk.pipeline.run("AAPL")
    await assert_failed_at(desk, out, "strategy")
    assert await rows(desk, "signals") == 0
    assert await rows(desk, "snapshots") == 1


async def test_run_when_verdict_write_crashes_then_no_verdict_or_check_rows(
    desk: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    crash_after(monkeypatch, desk, "add_verdict")
    out = await desk.pipeline.run("AAPL")
    await assert_failed_at(desk, out, "risk")
    assert await rows(desk, "verdicts") == 0
    assert await rows(desk, "risk_checks") == 0
    assert await rows(desk, "orders") == 0


async def test_run_when_risk_raises_then_failed_at_risk(
    desk: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*_: Any, **__: Any) -> None:
        raise ValueError("injected")

    monkeypatch.setattr(desk.risk, "evaluate_signal", boom)
    out = await desk.pipeline.run("AAPL")
    await assert_failed_at(desk, out, "risk")
    assert await rows(desk, "verdicts") == 0


async def test_run_when_order_write_crashes_then_broker_is_never_called(
    desk: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    crash_after(monkeypatch, desk, "add_order")
    out = await desk.pipeline.run("AAPL")
    await assert_failed_at(desk, out, "execution")
    assert await rows(desk, "orders") == 0
    assert await desk.broker.list_orders(open_only=False) == []


async def test_run_when_fill_booking_crashes_then_decision_stays_ordered_and_nothing_half_booked(
    desk: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    crash_after(monkeypatch, desk, "add_fill")
    out = await desk.pipeline.run("AAPL")
    # The order reached the broker: the decision's outcome is ORDERED and stays so (a FAILED
    # decision could invite a retry, a second order); the error is journaled beside it.
    assert out.status is DecisionStatus.ORDERED
    assert (out.failed_stage, out.error_code) == ("execution", "INTERNAL")
    row = await desk.books.decision(str(out.decision_id))
    assert row is not None
    assert (row.status, row.error_code) == ("ordered", None)
    kinds = [a.kind for a in await desk.books.journal(limit=50)]
    assert "decision.error_after_outcome" in kinds
    assert "decision.failed" not in kinds
    assert await desk.books.journal_intact()
    # The order was stored before the broker call; the broker filled it; the booking of the
    # fill rolled back whole: no fill row, no position, and the order still says "new" so
    # that reconciliation (not a resubmission) settles it.
    order = next(iter(await desk.books.orders()), None)
    assert order is not None
    assert order.status == "new"
    assert await rows(desk, "fills") == 0
    assert await desk.store.positions() == []
    assert len(await desk.broker.list_orders(open_only=False)) == 1
