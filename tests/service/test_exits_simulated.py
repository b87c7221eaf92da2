"""Partial closes and trailing protective stops through the ExecutionAgent and the simulated
broker: the stop is resized to the remainder, never duplicated; a trailing stop follows its
high-water mark by the rule of ``domain.trailing``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from tests.fakes.alpaca_desk import approve
from tests.service.harness import Harness, ScriptedStrategy, build_harness

from swingdesk.adapters.clock import ManualClock
from swingdesk.domain.enums import Action, Intent, OrderStatus
from swingdesk.domain.events import SignalCreated
from swingdesk.domain.trailing import TrailSpec
from swingdesk.execution.sync import SyncWorker
from swingdesk.services.explain import explain_decision
from swingdesk.store import tables as t
from swingdesk.strategy.agent import StrategyAgent

FIVE_PCT = TrailSpec(pct=Decimal("0.05"))


@pytest.fixture
async def desk(db_url: str, clock: ManualClock, ledger_kind: str) -> AsyncIterator[Harness]:
    h = await build_harness(db_url, clock, ledger=ledger_kind)
    yield h
    await h.store.close()


async def orders(desk: Harness) -> list[t.OrderRow]:
    async with desk.store.read() as s:
        q = select(t.OrderRow).order_by(t.OrderRow.created_at, t.OrderRow.client_order_id)
        return list((await s.scalars(q)).all())


async def working_stops(desk: Harness) -> list[t.OrderRow]:
    return [r for r in await desk.store.open_orders() if r.side == "sell"]


async def enter(desk: Harness, qty: int = 10) -> None:
    a = await approve(desk.store, "AAPL", desk.clock.now(), qty=qty, stop=Decimal(95))
    report = await desk.execution.execute(a, sector=None)
    assert report.status is OrderStatus.FILLED
    desk.clock.advance(60)


async def close(desk: Harness, qty: int) -> OrderStatus:
    c = await approve(desk.store, "AAPL", desk.clock.now(), qty=qty, intent=Intent.SELL_TO_CLOSE)
    report = await desk.execution.execute(c, sector=None)
    desk.clock.advance(60)
    return report.status


async def test_partial_close_when_four_of_ten_sold_then_one_stop_for_six_at_the_same_price(
    desk: Harness,
) -> None:
    await enter(desk)
    desk.market.overrides["AAPL"] = {"price": Decimal(110)}
    assert await close(desk, 4) is OrderStatus.FILLED
    [stop] = await working_stops(desk)
    assert (stop.type, stop.qty, stop.stop_price) == ("stop", Decimal(6), Decimal(95))
    assert stop.client_order_id.startswith("sd-p-")
    [position] = await desk.store.positions()
    assert (position.qty, position.avg_price) == (Decimal(6), Decimal(100))  # avg unchanged
    [broker_position] = await desk.broker.get_positions()
    assert broker_position.qty == Decimal(6)
    # realised on the closed part only: 4 x (110 - 100) on top of the cash left after the buy
    assert (await desk.broker.get_account()).cash == Decimal(100_000) - 1000 + 440
    kinds = [a.kind for a in await desk.store.audit_entries()]
    assert "protection.resized" in kinds
    # A reconciliation pass finds everything in order: no correction, no second stop.
    sync = SyncWorker(desk.broker, desk.store, desk.bus, desk.clock, desk.control, desk.execution)
    report = await sync.run_once()
    assert report.corrections == 0
    assert [s.client_order_id for s in await working_stops(desk)] == [stop.client_order_id]


async def test_partial_close_when_rest_closed_later_then_no_stop_left(desk: Harness) -> None:
    await enter(desk)
    assert await close(desk, 4) is OrderStatus.FILLED
    assert await close(desk, 6) is OrderStatus.FILLED
    assert await working_stops(desk) == []
    assert await desk.store.positions() == []
    assert await desk.broker.get_positions() == []


async def test_partial_close_when_remainder_stop_triggers_then_only_remainder_sold(
    desk: Harness,
) -> None:
    await enter(desk)
    assert await close(desk, 4) is OrderStatus.FILLED
    desk.market.overrides["AAPL"] = {"price": Decimal(94)}
    [filled] = await desk.broker.process_stops(desk.clock.now())
    assert (filled.filled_qty, filled.filled_avg_price) == (Decimal(6), Decimal(94))
    assert await desk.broker.get_positions() == []


async def test_entry_when_trailing_configured_then_leg_swapped_for_trailing_stop(
    desk: Harness,
) -> None:
    desk.execution.stops.trail = FIVE_PCT
    await enter(desk)
    rows = {(r.type, r.status) for r in await orders(desk)}
    assert ("stop", "canceled") in rows  # the OTO leg, fixed by Alpaca's rules
    [trail] = await working_stops(desk)
    assert (trail.type, trail.qty, trail.stop_price) == ("trailing_stop", Decimal(10), Decimal(95))
    [at_broker] = [o for o in await desk.broker.list_orders() if o.type.value == "trailing_stop"]
    assert (at_broker.trail_pct, at_broker.hwm) == (Decimal("0.05"), Decimal(100))
    sync = SyncWorker(desk.broker, desk.store, desk.bus, desk.clock, desk.control, desk.execution)
    await sync.run_once()
    assert [s.client_order_id for s in await working_stops(desk)] == [trail.client_order_id]


async def test_trailing_stop_when_price_rises_then_falls_then_fills_below_the_high(
    desk: Harness,
) -> None:
    desk.execution.stops.trail = FIVE_PCT
    await enter(desk)
    desk.market.overrides["AAPL"] = {"price": Decimal(120)}
    assert await desk.broker.process_stops(desk.clock.now()) == []  # hwm 120, stop 114
    desk.market.overrides["AAPL"] = {"price": Decimal("114.50")}
    assert await desk.broker.process_stops(desk.clock.now()) == []
    desk.market.overrides["AAPL"] = {"price": Decimal(114)}
    [filled] = await desk.broker.process_stops(desk.clock.now())
    assert (filled.filled_qty, filled.filled_avg_price) == (Decimal(10), Decimal(114))
    assert (filled.hwm, filled.stop_price) == (Decimal(120), Decimal(114))


@pytest.mark.parametrize(
    ("second", "fill"),
    [
        ((Decimal(106), Decimal(104), Decimal(107)), Decimal("104.50")),  # low reaches 104.50
        ((Decimal(100), Decimal(98), Decimal(101)), Decimal(100)),  # gap below: the open
        ((Decimal(115), Decimal(109), Decimal(116)), Decimal("109.25")),  # open lifts the mark
    ],
    ids=["low-crosses", "gap-down-at-open", "gap-up-raises-mark"],
)
async def test_trailing_stop_when_daily_bars_then_mark_from_earlier_highs_and_open(
    desk: Harness, second: tuple[Decimal, Decimal, Decimal], fill: Decimal
) -> None:
    desk.execution.stops.trail = FIVE_PCT
    await enter(desk)
    first = (Decimal(100), Decimal(99), Decimal(110))  # stop 95: not hit; high 110 -> 104.50
    assert await desk.broker.process_stops(desk.clock.now(), {"AAPL": first}) == []
    [filled] = await desk.broker.process_stops(desk.clock.now(), {"AAPL": second})
    assert filled.filled_avg_price == fill


async def test_partial_close_when_trailing_then_remainder_trails_from_the_current_price(
    desk: Harness,
) -> None:
    desk.execution.stops.trail = TrailSpec(price=Decimal(3))
    await enter(desk)
    desk.market.overrides["AAPL"] = {"price": Decimal(108)}
    assert await close(desk, 5) is OrderStatus.FILLED
    [stop] = await working_stops(desk)
    assert (stop.type, stop.qty, stop.stop_price) == ("trailing_stop", Decimal(5), Decimal(105))
    [position] = await desk.broker.get_positions()
    assert position.qty == Decimal(5)


class HalfOut(ScriptedStrategy):
    """The scripted analyst whose SELLs close half of the position."""

    async def evaluate(self, *args: Any, **kwargs: Any) -> SignalCreated:
        """Return the next scripted signal; a SELL closes half."""
        signal = await super().evaluate(*args, **kwargs)
        if signal.action is not Action.SELL:
            return signal
        return signal.model_copy(update={"close_fraction": Decimal("0.5")})


async def test_pipeline_when_strategy_closes_half_then_explain_shows_fraction_size_and_stops(
    desk: Harness,
) -> None:
    desk.execution.stops.trail = FIVE_PCT
    desk.pipeline.strategy = StrategyAgent(HalfOut(script=[(Action.BUY, 0.8), (Action.SELL, 0.8)]))
    entry = await desk.pipeline.run("AAPL")
    desk.clock.advance(11)
    desk.market.overrides["AAPL"] = {"price": Decimal(104)}
    out = await desk.pipeline.run("AAPL")
    assert out.summary()["order"]["qty"] == "25"  # half of the 50 bought
    [position] = await desk.store.positions()
    assert position.qty == Decimal(25)
    record = await explain_decision(desk.store, str(out.decision_id))
    assert record["strategy"]["close_fraction"] == "0.5"
    [size] = [c for c in record["risk"]["checks"] if c["code"] == "CLOSE_SIZE"]
    assert (size["passed"], size["value"]) == (True, "25")
    assert [(o["qty"], o["intent"]) for o in record["orders"]] == [("25", "SELL_TO_CLOSE")]
    # The entry's record shows its protection: the OTO leg, the trailing stop that replaced
    # it, and the trailing stop resized to the remaining 25 (trailing from 104).
    opened = await explain_decision(desk.store, str(entry.decision_id))
    stops = [(o["type"], o["qty"], o["status"]) for o in opened["orders"] if o["side"] == "sell"]
    assert stops == [
        ("stop", "50", "canceled"),
        ("trailing_stop", "50", "canceled"),
        ("trailing_stop", "25", "accepted"),
    ]
    assert Decimal(opened["orders"][-1]["stop_price"]) == Decimal("98.80")
