"""The decision pipeline end to end with fakes, on every unit-of-work backend (memory, SQLite,
PostgreSQL); what needs SQL (the explain view, two processes on one database) on SQL only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from tests.service.conftest import DeskFactory
from tests.service.harness import Harness, build_harness

from swingdesk.adapters.clock import ManualClock
from swingdesk.domain.enums import Action, DecisionStatus, OrderStatus, TradingState
from swingdesk.domain.errors import ConflictError, InvalidTickerError, UnknownTickerError
from swingdesk.services.explain import explain_decision
from swingdesk.services.portfolio import session_date
from swingdesk.store.store import Store


@pytest.fixture
async def desk(make_desk: DeskFactory) -> Harness:
    return await make_desk()


@pytest.fixture
async def sql_desk(db_url: str, clock: ManualClock) -> AsyncIterator[Harness]:
    h = await build_harness(db_url, clock)
    yield h
    await h.store.close()


async def test_trigger_when_buy_is_approved_then_order_fill_and_position_are_booked(
    desk: Harness,
) -> None:
    desk.strategy.script.append((Action.BUY, 0.8))
    out = await desk.pipeline.run(" aapl ", trigger="test")
    s = out.summary()
    assert s["status"] == "ordered"
    # equity 100,000: risk 1,000 / (2 x 2.5) = 200 shares, capped at 5,000 / 100 = 50.
    assert s["risk"]["approved"] is True
    assert s["risk"]["shares"] == "50"
    assert s["risk"]["stop_price"] == "95.00"
    assert s["order"]["status"] == "filled"
    assert s["order"]["filled_qty"] == "50"
    positions = await desk.store.positions()
    assert [(p.ticker, p.qty, p.stop_price) for p in positions] == [
        ("AAPL", Decimal(50), Decimal(95))
    ]
    account = await desk.broker.get_account()
    assert account.cash == Decimal(95_000)


# SQL only: the explanation reads the decision record and read views the memory store lacks.
async def test_explain_when_decision_ordered_then_every_stage_is_shown(sql_desk: Harness) -> None:
    desk = sql_desk
    assert isinstance(desk.store, Store)
    desk.strategy.script.append((Action.BUY, 0.8))
    out = await desk.pipeline.run("AAPL")
    rec = await explain_decision(desk.store, str(out.decision_id))
    assert rec["market_snapshot"]["price"] == "100"
    assert rec["strategy"]["prompt"] == "snapshot of AAPL"
    assert rec["strategy"]["raw_output"] == '{"action": "BUY"}'
    codes = [c["code"] for c in rec["risk"]["checks"]]
    assert codes[:3] == ["HALTED", "LOW_CONFIDENCE", "COOLDOWN"]
    assert "SECTOR_CONCENTRATION" in codes
    assert all(c["passed"] for c in rec["risk"]["checks"])
    assert all(c["limit"] is not None for c in rec["risk"]["checks"])
    assert rec["orders"][0]["status"] == "filled"
    assert [h["status"] for h in rec["orders"][0]["status_history"]] == ["filled"]
    assert rec["fills"][0]["qty"] == "50"
    kinds = [a["kind"] for a in rec["audit"]]
    assert kinds == [
        "decision.started",
        "market.snapshot",
        "signal.created",
        "risk.approved",
        "order.created",
        "order.filled",
        "order.fill",
        "order.stop_leg",  # the entry's protective stop (OTO leg), held until triggered
        "order.held",
    ]
    assert (await desk.store.verify_audit()).ok


async def test_trigger_when_signal_is_hold_then_no_verdict_and_no_order(desk: Harness) -> None:
    out = await desk.pipeline.run("MSFT")
    assert out.status is DecisionStatus.HOLD
    assert out.verdict is None
    assert out.execution is None
    assert await desk.books.count("verdicts") == 0
    assert await desk.books.count("orders") == 0


async def test_trigger_when_every_gate_fails_then_all_violations_are_reported(
    desk: Harness,
) -> None:
    desk.market.overrides["AAPL"] = {
        "adv_20": Decimal(1_000_000),
        "vix": Decimal(40),
        "earnings_in_trading_days": 1,
    }
    desk.strategy.script.append((Action.BUY, 0.3))
    out = await desk.pipeline.run("AAPL")
    codes = {v["code"] for v in out.summary()["risk"]["violations"]}
    assert codes == {"LOW_CONFIDENCE", "ADV_LIQUIDITY", "VIX_GATE", "EARNINGS_BLACKOUT"}
    assert out.status is DecisionStatus.REJECTED
    assert await desk.books.count("orders") == 0


async def test_trigger_when_sell_after_buy_then_whole_position_is_closed(desk: Harness) -> None:
    desk.strategy.script += [(Action.BUY, 0.8), (Action.SELL, 0.8)]
    await desk.pipeline.run("AAPL")
    desk.clock.advance(11)
    desk.market.overrides["AAPL"] = {"price": Decimal(104)}
    out = await desk.pipeline.run("AAPL")
    assert out.summary()["order"]["qty"] == "50"
    assert await desk.store.positions() == []
    assert await desk.broker.get_positions() == []
    assert (await desk.broker.get_account()).cash == Decimal(100_200)


async def test_trigger_when_sell_within_cooldown_then_denied_cooldown(desk: Harness) -> None:
    desk.strategy.script += [(Action.BUY, 0.8), (Action.SELL, 0.8)]
    await desk.pipeline.run("AAPL")
    desk.clock.advance(3)
    out = await desk.pipeline.run("AAPL")
    assert [v["code"] for v in out.summary()["risk"]["violations"]] == ["COOLDOWN"]


async def test_trigger_when_halted_then_denied_halted_until_resumed(desk: Harness) -> None:
    await desk.control.halt("manual test halt", actor="test")
    desk.strategy.script += [(Action.BUY, 0.9), (Action.BUY, 0.9)]
    out = await desk.pipeline.run("AAPL")
    # Nothing is feasible while HALTED: the analyst is not even asked (its BUY stays queued).
    assert out.status is DecisionStatus.HOLD
    assert out.signal is not None
    assert out.signal.reason_code == "HALTED"
    assert out.signal.action is Action.HOLD
    assert len(desk.strategy.script) == 2
    with pytest.raises(ConflictError):
        await desk.control.halt("again", actor="test")
    await desk.control.resume("all clear", actor="test")
    assert await desk.control.state() is TradingState.ACTIVE


async def test_execute_when_same_approval_is_resubmitted_then_one_order_only(
    desk: Harness,
) -> None:
    desk.strategy.script.append((Action.BUY, 0.8))
    out = await desk.pipeline.run("AAPL")
    assert out.verdict is not None
    from swingdesk.domain.events import RiskApproved

    assert isinstance(out.verdict, RiskApproved)
    again = await desk.execution.execute(out.verdict, sector="Information Technology")
    assert again.resubmitted
    assert again.status is OrderStatus.FILLED
    assert len(await desk.broker.list_orders(open_only=False)) == 1
    assert await desk.books.count("orders") == 2  # the entry and its protective stop leg
    assert await desk.books.count("fills") == 1
    assert (await desk.store.positions())[0].qty == Decimal(50)


async def test_execute_when_broker_times_out_after_accepting_then_no_duplicate(
    desk: Harness,
) -> None:
    from swingdesk.domain.errors import TemporaryError

    real_submit = desk.broker.submit_order

    async def accept_then_time_out(request):  # type: ignore[no-untyped-def]
        await real_submit(request)
        raise TemporaryError("read timeout", outcome_unknown=True)

    desk.broker.submit_order = accept_then_time_out  # type: ignore[method-assign]
    desk.strategy.script.append((Action.BUY, 0.8))
    out = await desk.pipeline.run("AAPL")
    assert out.summary()["order"]["status"] == "filled"
    assert len(await desk.broker.list_orders(open_only=False)) == 1
    assert (await desk.store.positions())[0].qty == Decimal(50)


async def test_trigger_when_drawdown_reaches_limit_then_desk_reduces_and_buy_is_denied(
    desk: Harness,
) -> None:
    # A high-water mark of 112,000 against equity 100,000 is a 10.7% drawdown.
    async with desk.store.tx() as tx:
        await tx.add_account_snapshot(
            now=desk.clock.now(),
            session_date=session_date(desk.clock.now()),
            cash=Decimal(112_000),
            equity=Decimal(112_000),
            buying_power=Decimal(112_000),
            high_water_mark=Decimal(112_000),
            start_of_day_equity=Decimal(100_000),
        )
    desk.strategy.script.append((Action.BUY, 0.9))
    out = await desk.pipeline.run("AAPL")
    assert await desk.control.state() is TradingState.REDUCING
    assert out.status is DecisionStatus.HOLD  # BUY is infeasible while REDUCING
    change = next(iter(await desk.books.state_changes()), None)
    assert change is not None
    assert "MAX_DRAWDOWN" in change.reason
    assert change.actor == "risk"


async def test_trigger_when_day_loss_reaches_limit_then_desk_reduces(desk: Harness) -> None:
    async with desk.store.tx() as tx:
        await tx.add_account_snapshot(
            now=desk.clock.now(),
            session_date=session_date(desk.clock.now()),
            cash=Decimal(103_500),
            equity=Decimal(103_500),
            buying_power=Decimal(103_500),
            high_water_mark=Decimal(103_500),
            start_of_day_equity=Decimal(103_500),
        )
    out = await desk.pipeline.run("AAPL")
    assert out.status is DecisionStatus.HOLD
    change = next(iter(await desk.books.state_changes()), None)
    assert change is not None
    assert "DAILY_LOSS" in change.reason


async def test_portfolio_when_equity_rises_then_high_water_mark_follows(desk: Harness) -> None:
    desk.strategy.script.append((Action.BUY, 0.8))
    await desk.pipeline.run("AAPL")
    desk.market.overrides["AAPL"] = {"price": Decimal(120)}
    p = await desk.portfolio.current(desk.clock.now())
    assert p.equity == Decimal(101_000)
    assert p.high_water_mark == Decimal(101_000)
    assert p.start_of_day_equity == Decimal(100_000)
    desk.market.overrides["AAPL"] = {"price": Decimal(80)}
    p = await desk.portfolio.current(desk.clock.now())
    assert p.high_water_mark == Decimal(101_000)
    assert p.drawdown_pct == Decimal(2000) / Decimal(101_000)


async def test_trigger_when_ticker_is_invalid_or_unknown_then_error_and_nothing_stored(
    desk: Harness,
) -> None:
    with pytest.raises(InvalidTickerError):
        await desk.pipeline.run("AAPL; DROP TABLE")
    with pytest.raises(UnknownTickerError):
        await desk.pipeline.run("ZZZZ")
    assert await desk.books.count("decisions") == 0
    assert await desk.books.count("journal") == 0


async def test_trigger_when_two_buys_race_for_one_sector_slot_then_only_one_is_approved(
    make_desk: DeskFactory,
) -> None:
    import asyncio

    from swingdesk.risk.limits import RiskLimits

    # Each entry is 5% of equity; the sector cap of 6% has room for one of them only.
    h = await make_desk(limits=RiskLimits(max_sector_pct=Decimal("0.06")))
    h.strategy.script += [(Action.BUY, 0.8), (Action.BUY, 0.8)]
    a, b = await asyncio.gather(h.pipeline.run("AAPL"), h.pipeline.run("MSFT"))
    statuses = sorted([a.status.value, b.status.value])
    assert statuses == ["ordered", "rejected"]
    denied = a if a.status is DecisionStatus.REJECTED else b
    assert [v["code"] for v in denied.summary()["risk"]["violations"]] == ["SECTOR_CONCENTRATION"]


# SQL only: two processes share one book only through a database and its lock.
async def test_trigger_when_two_processes_race_for_one_sector_slot_then_only_one_is_approved(
    db_url: str, clock: ManualClock
) -> None:
    import asyncio

    from swingdesk.risk.limits import RiskLimits

    # Two desks on one database stand for `swingdesk serve` and a `swingdesk trigger` beside
    # it: separate engines and process locks, one book. Only the database lock serialises them.
    limits = RiskLimits(max_sector_pct=Decimal("0.06"))
    first = await build_harness(db_url, clock, limits)
    second = await build_harness(db_url, clock, limits)
    try:
        assert first.pipeline.book_lock.scope in {"postgres", "sqlite-file"}
        first.strategy.script.append((Action.BUY, 0.8))
        second.strategy.script.append((Action.BUY, 0.8))
        a, b = await asyncio.gather(first.pipeline.run("AAPL"), second.pipeline.run("MSFT"))
        assert sorted([a.status.value, b.status.value]) == ["ordered", "rejected"]
        denied = a if a.status is DecisionStatus.REJECTED else b
        assert [v["code"] for v in denied.summary()["risk"]["violations"]] == [
            "SECTOR_CONCENTRATION"
        ]
    finally:
        await first.store.close()
        await second.store.close()
