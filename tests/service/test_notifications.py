"""Notifications: which committed events are sent, each once, and the daily summary."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from swingdesk.adapters.clock import ManualClock
from swingdesk.domain.enums import Action, OrderSide, TradingState
from swingdesk.domain.events import FillEvent, SignalCreated, TradingStateChanged
from swingdesk.services.notifications import Notifications
from swingdesk.store import migrate
from swingdesk.store.job_state import JobState, LeaseLostError
from swingdesk.store.store import Store

ALL = frozenset({"fill", "stop", "trading_state", "drift", "budget", "daily_summary"})


class FakeNotifier:
    """Records what would have been sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def notify(self, subject: str, body: str) -> None:
        self.sent.append((subject, body))


@dataclass
class FakeOrder:
    type: str


async def _store(url: str) -> Store:
    migrate.upgrade(url)
    return Store.from_url(url)


def _fill(clock: ManualClock, coid: str) -> FillEvent:
    return FillEvent(
        ts_event=clock.now(),
        decision_id=uuid4(),
        fill_id=f"f-{coid}",
        client_order_id=coid,
        ticker="AAPL",
        side=OrderSide.SELL if "stop" in coid else OrderSide.BUY,
        qty=Decimal(10),
        price=Decimal("190.5"),
    )


def _budget_signal(clock: ManualClock) -> SignalCreated:
    return SignalCreated(
        ts_event=clock.now(),
        decision_id=uuid4(),
        ticker="AAPL",
        action=Action.HOLD,
        confidence=0.0,
        rationale="budget",
        model="gpt-4o-mini",
        reason_code="LLM_BUDGET",
    )


async def test_notifications_when_events_commit_then_each_kind_is_sent_once(
    sqlite_url: str, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = await _store(sqlite_url)
    notifier = FakeNotifier()
    orders = {"sd-o-1": FakeOrder("market"), "sd-stop-1": FakeOrder("stop")}

    async def order(coid: str) -> Any:
        return orders.get(coid)

    monkeypatch.setattr(store, "order", order)
    notes = Notifications(store, notifier, JobState(store, None), clock, events=ALL)
    try:
        async with store.tx() as tx:  # history: not notified
            tx.record(_fill(clock, "sd-o-1"))
        assert await notes.run_once() == 0
        async with store.tx() as tx:
            tx.record(_fill(clock, "sd-o-1"), _fill(clock, "sd-stop-1"))
            tx.record(
                TradingStateChanged(
                    ts_event=clock.now(),
                    previous=TradingState.ACTIVE,
                    current=TradingState.HALTED,
                    reason="drift 7% of equity",
                    actor="reconciler",
                    cause="RECONCILE_DRIFT",
                )
            )
            tx.record(_budget_signal(clock), _budget_signal(clock))
            await tx.audit(
                "reconcile.drift",
                "positions drift 7% of equity: HALTED",
                now=clock.now(),
                payload={"drift_pct": "0.07"},
            )
        assert await notes.run_once() == 5
        assert await notes.run_once() == 0  # the cursor moved: nothing twice
        subjects = [s for s, _ in notifier.sent]
        assert subjects == [
            "[swingdesk] Fill: AAPL",
            "[swingdesk] Protective stop filled: AAPL",
            "[swingdesk] Trading state HALTED",
            "[swingdesk] Analyst budget exhausted",
            "[swingdesk] Reconciliation drift: trading HALTED",
        ]
        assert "BUY 10 AAPL @ 190.5" in notifier.sent[0][1]
        assert "RECONCILE_DRIFT" in notifier.sent[2][1]
    finally:
        await store.close()


async def test_notifications_when_a_kind_is_switched_off_then_it_is_not_sent(
    sqlite_url: str, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = await _store(sqlite_url)
    notifier = FakeNotifier()

    async def order(coid: str) -> Any:
        return FakeOrder("market")

    monkeypatch.setattr(store, "order", order)
    notes = Notifications(
        store, notifier, JobState(store, None), clock, events=frozenset({"trading_state"})
    )
    try:
        await notes.run_once()
        async with store.tx() as tx:
            tx.record(_fill(clock, "sd-o-2"))
        assert await notes.run_once() == 0
        assert notifier.sent == []
    finally:
        await store.close()


async def test_daily_summary_when_a_session_closes_then_sent_once_after_the_close(
    sqlite_url: str, clock: ManualClock
) -> None:
    store = await _store(sqlite_url)
    notifier = FakeNotifier()
    notes = Notifications(store, notifier, JobState(store, None), clock, events=ALL)
    try:
        assert await notes.daily_summary() is False  # first run: from the next close on
        clock.advance(6.5 * 3600)  # T0 is 10:00 New York: past the 16:00 close
        assert await notes.daily_summary() is True
        assert await notes.daily_summary() is False
        subject, body = notifier.sent[0]
        assert subject == "[swingdesk] Daily summary 2026-11-24"
        assert "decisions:" in body
    finally:
        await store.close()


@pytest.mark.postgres
async def test_job_state_when_the_writer_holds_no_lease_then_the_write_is_refused(
    pg_url: str, clock: ManualClock
) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    from swingdesk.store.leadership import Leadership

    store = await _store(pg_url)
    engine = create_async_engine(pg_url)
    stale = Leadership(engine, replica_id="old", ttl_s=3, renew_s=0.5, margin_s=1)
    stale.token = 7  # a token this replica believes it holds, never granted
    try:
        with pytest.raises(LeaseLostError):
            await JobState(store, stale).put("notify.cursor", "5", clock.now())
        assert await JobState(store, stale).get("notify.cursor") is None
    finally:
        await engine.dispose()
        await store.close()
