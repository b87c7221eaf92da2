"""Manual actions through risk and execution; the decisions explorer and the trade journal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from tests.service.harness import SECTORS, Harness, build_harness

from swingdesk.adapters.clock import ManualClock
from swingdesk.domain.enums import Action, DecisionStatus, OrderStatus
from swingdesk.services.decisions_view import DecisionFilter, decisions_page
from swingdesk.services.explain import explain_decision
from swingdesk.services.journal import journal_view
from swingdesk.services.manual import ManualDesk


@pytest.fixture
async def desk(db_url: str, clock: ManualClock) -> AsyncIterator[Harness]:
    h = await build_harness(db_url, clock)
    yield h
    await h.store.close()


async def _buy(desk: Harness, ticker: str = "AAPL") -> None:
    desk.strategy.script.append((Action.BUY, 0.9))
    out = await desk.pipeline.run(ticker, trigger="api")
    assert out.status is DecisionStatus.ORDERED, out.summary()
    desk.clock.advance(60)  # past the cooldown


def _manual(desk: Harness) -> ManualDesk:
    return ManualDesk(desk.pipeline, desk.store)


async def _held(desk: Harness, ticker: str) -> Decimal:
    return next((p.qty for p in await desk.store.positions() if p.ticker == ticker), Decimal(0))


async def test_close_when_part_of_a_position_then_sold_rest_protected_and_journaled(
    desk: Harness,
) -> None:
    await _buy(desk)
    before = await _held(desk, "AAPL")
    desk.market.overrides["AAPL"] = {"price": Decimal(110)}
    out = await _manual(desk).close("AAPL", qty=Decimal(20), reason="trim", actor="t")
    assert out.status is DecisionStatus.ORDERED, out.summary()
    assert await _held(desk, "AAPL") == before - 20
    stops = await desk.store.open_stop_orders("AAPL")
    assert sum(s.qty for s in stops) == before - 20
    record = await explain_decision(desk.store, str(out.decision_id))
    assert record["decision"]["trigger"] == "manual"
    assert record["strategy"]["model"] == "manual"
    assert any(a["kind"] == "manual.close" for a in record["audit"])
    journal = await journal_view(desk.store.views, SECTORS.get)
    [trip] = journal["trips"]
    assert (trip["exit_reason"], trip["qty"], trip["pnl"]) == ("partial", "20", "200.00")
    assert trip["r_multiple"] is not None
    assert Decimal(trip["r_multiple"]) > 0
    assert journal["by_sector"][0]["sector"] == "Information Technology"


async def test_close_when_halted_then_still_closes_all(desk: Harness) -> None:
    await _buy(desk)
    await desk.control.halt("test", actor="t")
    out = await _manual(desk).close("AAPL", qty=None, reason="flat", actor="t")
    assert out.status is DecisionStatus.ORDERED, out.summary()
    assert await _held(desk, "AAPL") == 0
    journal = await journal_view(desk.store.views, SECTORS.get)
    assert journal["trips"][0]["exit_reason"] == "manual"
    assert journal["totals"]["trades"] == 1


async def test_close_when_no_position_then_denied_with_no_position(desk: Harness) -> None:
    out = await _manual(desk).close("MSFT", qty=None, reason="x", actor="t")
    assert out.status is DecisionStatus.REJECTED
    assert out.verdict is not None
    assert [c.code for c in out.verdict.violations] == ["NO_POSITION"]


async def test_move_stop_when_looser_or_halted_then_denied_with_code(desk: Harness) -> None:
    await _buy(desk)
    [pos] = await desk.store.positions()
    assert pos.stop_price is not None
    manual = _manual(desk)
    looser = await manual.move_stop("AAPL", stop_price=pos.stop_price - 1, reason="r", actor="t")
    assert looser.verdict is not None
    assert [c.code for c in looser.verdict.violations] == ["STOP_NOT_TIGHTER"]
    await desk.control.halt("test", actor="t")
    halted = await manual.move_stop("AAPL", stop_price=pos.stop_price + 1, reason="r", actor="t")
    assert halted.verdict is not None
    assert [c.code for c in halted.verdict.violations] == ["HALTED"]


async def test_move_stop_when_tighter_then_one_stop_at_the_new_price(desk: Harness) -> None:
    await _buy(desk)
    [pos] = await desk.store.positions()
    assert pos.stop_price is not None
    new = pos.stop_price + 2
    out = await _manual(desk).move_stop("AAPL", stop_price=new, reason="r", actor="t")
    assert out.status is DecisionStatus.ORDERED, out.summary()
    [stop] = await desk.store.open_stop_orders("AAPL")
    assert (stop.stop_price, stop.qty) == (new, pos.qty)
    [after] = await desk.store.positions()
    assert after.stop_price == new


async def test_cancel_when_a_protective_stop_then_denied_and_stop_kept(desk: Harness) -> None:
    await _buy(desk)
    [stop] = await desk.store.open_stop_orders("AAPL")
    out = await _manual(desk).cancel_order(stop.client_order_id, reason="r", actor="t")
    assert out.verdict is not None
    assert [c.code for c in out.verdict.violations] == ["PROTECTIVE_STOP"]
    row = await desk.store.order(stop.client_order_id)
    assert row is not None
    assert OrderStatus(row.status) is not OrderStatus.CANCELED


async def test_decisions_when_filtered_then_narrowed_and_paged(desk: Harness) -> None:
    await _buy(desk, "AAPL")
    await _buy(desk, "MSFT")
    await desk.control.halt("test", actor="t")
    await _manual(desk).move_stop("XOM", stop_price=Decimal(1), reason="r", actor="t")
    everything = await decisions_page(desk.store.views, DecisionFilter(), limit=2, offset=0)
    assert len(everything["items"]) == 2
    assert everything["next_offset"] == 2
    denied = await decisions_page(
        desk.store.views, DecisionFilter(approved=False, code="HALTED"), limit=50, offset=0
    )
    [row] = denied["items"]
    assert (row["ticker"], row["manual"], row["analyst"]) == ("XOM", True, "manual")
    assert row["denial_codes"] == ["HALTED", "NO_POSITION"]
    msft = await decisions_page(
        desk.store.views, DecisionFilter(ticker="MSFT", action="BUY"), limit=50, offset=0
    )
    assert [r["ticker"] for r in msft["items"]] == ["MSFT"]


async def test_orders_page_when_filtered_by_new_york_day_then_only_that_days_orders(
    desk: Harness,
) -> None:
    from swingdesk.services.views import orders_page

    desk.clock.set(datetime(2026, 11, 25, 2, 0, tzinfo=UTC))  # 21:00 on the 24th in New York
    await _buy(desk, "AAPL")
    desk.clock.set(datetime(2026, 11, 25, 15, 0, tzinfo=UTC))  # 10:00 on the 25th
    await _buy(desk, "MSFT")

    async def tickers(since: date | None, until: date | None) -> list[str]:
        page = await orders_page(
            desk.store.views, limit=50, offset=0, status=None, ticker=None, since=since, until=until
        )
        return sorted({o["ticker"] for o in page["items"]})

    day24, day25 = date(2026, 11, 24), date(2026, 11, 25)
    assert await tickers(day24, day24) == ["AAPL"]
    assert await tickers(day25, day25) == ["MSFT"]
    assert await tickers(day24, None) == ["AAPL", "MSFT"]
    assert await tickers(None, date(2026, 11, 23)) == []
