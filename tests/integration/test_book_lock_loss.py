"""Issue 17 B: the PostgreSQL book lock lives on a connection; when that connection dies the
server releases the lock while this process is still inside its critical section. The
loss must be detected before the broker hears of an order, and a decision that did place
its order must never be rewritten as failed because the unlock then fails.

A TCP proxy in front of PostgreSQL drops every connection at the chosen moment; a second
book lock on a direct connection stands for another process.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from sqlalchemy import select
from tests.fakes.thread_proxy import ThreadedProxy
from tests.service.harness import Harness, build_harness

from swingdesk.adapters.clock import ManualClock
from swingdesk.domain.enums import Action, DecisionStatus
from swingdesk.domain.portfolio import PortfolioState
from swingdesk.store import tables as t
from swingdesk.store.book_lock import BookLock
from swingdesk.store.store import Store

pytestmark = pytest.mark.postgres


@pytest.fixture
def proxy() -> Iterator[ThreadedProxy]:
    p = ThreadedProxy("127.0.0.1", 5432)
    yield p
    p.close()


@pytest.fixture
async def desk(pg_url: str, proxy: ThreadedProxy, clock: ManualClock) -> AsyncIterator[Harness]:
    h = await build_harness(proxy.url_for(pg_url), clock)
    yield h
    await h.store.close()


async def other_process_takes_the_book(pg_url: str) -> bool:
    """Try the book lock as another process would; say whether it got it at once."""
    store = Store.from_url(pg_url)
    lock = BookLock(store.engine)
    try:
        async with asyncio.timeout(5):
            async with lock.hold():
                return True
    except TimeoutError:
        return False
    finally:
        await lock.close()
        await store.close()


async def test_decision_when_the_lock_connection_drops_inside_the_critical_section_then_no_order(
    desk: Harness, proxy: ThreadedProxy, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk.strategy.script.append((Action.BUY, 0.9))
    current = desk.portfolio.current
    other_got_it: list[bool] = []

    async def drop_then_read(now: Any, **kw: Any) -> PortfolioState:
        # Inside the critical section: every connection drops, the server lets the lock go,
        # and another process takes the book before this one goes on.
        if desk.pipeline.book_lock._local.locked() and not other_got_it:
            proxy.drop()
            other_got_it.append(await other_process_takes_the_book(pg_url))
        return await current(now, **kw)

    monkeypatch.setattr(desk.portfolio, "current", drop_then_read)
    out = await desk.pipeline.run("AAPL")

    assert other_got_it == [True]  # the danger was real: the book was not ours any more
    assert out.status is DecisionStatus.FAILED
    assert (out.failed_stage, out.error_code) == ("execution", "BOOK_LOCK_LOST")
    assert await desk.broker.list_orders(open_only=False) == []
    async with desk.store.read() as s:
        assert (await s.scalars(select(t.OrderRow))).all() == []
    assert (await desk.store.verify_audit()).ok
    # The lock reconnects: the next decision trades normally.
    desk.strategy.script.append((Action.BUY, 0.9))
    monkeypatch.setattr(desk.portfolio, "current", current)
    again = await desk.pipeline.run("MSFT")
    assert again.status is DecisionStatus.ORDERED


async def test_decision_when_the_lock_is_lost_after_its_order_was_placed_then_it_stays_ordered(
    desk: Harness, proxy: ThreadedProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk.strategy.script.append((Action.BUY, 0.9))
    submit = desk.broker.submit_order

    async def submit_then_drop(request: Any) -> Any:
        placed = await submit(request)
        proxy.drop()  # the unlock at the end of the critical section will fail
        return placed

    monkeypatch.setattr(desk.broker, "submit_order", submit_then_drop)
    out = await desk.pipeline.run("AAPL")

    assert len(await desk.broker.list_orders(open_only=False)) == 1
    assert out.status is DecisionStatus.ORDERED
    row = await desk.store.decision(str(out.decision_id))
    assert row is not None
    assert (row.status, row.failed_stage) == ("ordered", None)
    assert (await desk.store.verify_audit()).ok
