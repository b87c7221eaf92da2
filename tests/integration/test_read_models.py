"""The read port on SQLite and PostgreSQL: the API's read views' filters, New York day
ranges, ordering and paging, as ``store.views`` (``unit_of_work.ReadViews``) answers them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from swingdesk.domain.enums import Intent
from swingdesk.store import migrate
from swingdesk.store import tables as t
from swingdesk.store.store import Store
from swingdesk.unit_of_work import DecisionFilter, OrderFilter, ReadViews

#: 21:00 on Tuesday the 24th in New York; the next three are on Wednesday the 25th.
LATE_24 = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
MORNING_25 = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
LAST_MINUTE_25 = datetime(2026, 11, 26, 4, 59, tzinfo=UTC)
MIDNIGHT_26 = datetime(2026, 11, 26, 5, 0, tzinfo=UTC)
DAY24, DAY25, DAY26 = date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 26)


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[Store]:
    migrate.upgrade(db_url)
    s = Store.from_url(db_url)
    yield s
    await s.close()


def _decision(ticker: str, at: datetime, trigger: str = "api") -> t.DecisionRow:
    return t.DecisionRow(
        decision_id=str(uuid4()),
        ticker=ticker,
        trigger=trigger,
        status="ORDERED",
        created_at=at,
        updated_at=at,
    )


def _signal(d: t.DecisionRow, action: str, model: str) -> t.SignalRow:
    return t.SignalRow(
        event_id=str(uuid4()),
        decision_id=d.decision_id,
        ticker=d.ticker,
        action=action,
        confidence=0.5,
        rationale="r",
        model=model,
        prompt_hash="h",
        latency_ms=1.0,
        tokens_in=1,
        tokens_out=1,
        cost_usd=Decimal("0.0012"),
        cache_hit=False,
        prompt="p",
        raw_output="o",
        ts_event=d.created_at,
        payload={},
    )


def _verdict(d: t.DecisionRow, checks: list[tuple[int, str, bool]]) -> list[object]:
    v = t.RiskVerdictRow(
        event_id=str(uuid4()),
        decision_id=d.decision_id,
        ticker=d.ticker,
        approved=all(passed for _, _, passed in checks),
        ts_event=d.created_at,
        payload={},
    )
    rows: list[object] = [v]
    for position, code, passed in checks:
        rows.append(
            t.RiskCheckRow(
                verdict_id=v.event_id, position=position, code=code, passed=passed, message="m"
            )
        )
    return rows


def _order(
    coid: str, ticker: str, at: datetime, *, status: str = "filled", **kw: object
) -> t.OrderRow:
    values: dict[str, object] = {
        "client_order_id": coid,
        "ticker": ticker,
        "side": "buy",
        "intent": Intent.BUY_TO_OPEN.value,
        "qty": Decimal(10),
        "type": "market",
        "time_in_force": "day",
        "stop_price": Decimal(95),
        "status": status,
        "filled_qty": Decimal(10),
        "external": False,
        "created_at": at,
        "updated_at": at,
    }
    values.update(kw)
    return t.OrderRow(**values)


def _fill(o: t.OrderRow, at: datetime) -> t.FillRow:
    return t.FillRow(
        fill_id=f"f-{o.client_order_id}",
        event_id=str(uuid4()),
        client_order_id=o.client_order_id,
        decision_id=o.decision_id,
        ticker=o.ticker,
        side=o.side,
        qty=Decimal(10),
        price=Decimal(100),
        commission=Decimal(0),
        ts_event=at,
    )


async def _add(store: Store, *rows: object) -> None:
    async with store.tx() as tx:
        for row in rows:  # parents first: the foreign keys hold
            tx.session.add(row)
            await tx.session.flush()


async def test_orders_when_filtered_by_new_york_days_then_the_days_orders_newest_first(
    store: Store,
) -> None:
    await _add(
        store,
        _order("b-late24", "AAPL", LATE_24),
        _order("a-morning25", "MSFT", MORNING_25, status="canceled"),
        _order("c-morning25", "AAPL", MORNING_25),
        _order("d-last25", "AAPL", LAST_MINUTE_25),
        _order("e-midnight26", "AAPL", MIDNIGHT_26),
    )
    views: ReadViews = store.views

    async def ids(f: OrderFilter, offset: int = 0, limit: int = 50) -> list[str]:
        return [o.client_order_id for o in await views.orders(f, offset=offset, limit=limit)]

    assert await ids(OrderFilter(since=DAY25, until=DAY25)) == [
        "d-last25",
        "a-morning25",  # the same instant: by client order id
        "c-morning25",
    ]
    assert await ids(OrderFilter(until=DAY24)) == ["b-late24"]
    assert await ids(OrderFilter(since=DAY26)) == ["e-midnight26"]
    assert await ids(OrderFilter(status="canceled")) == ["a-morning25"]
    assert await ids(OrderFilter(ticker="AAPL", since=DAY25), offset=1, limit=2) == [
        "d-last25",
        "c-morning25",
    ]
    [order] = await views.orders(OrderFilter(ticker="MSFT"), offset=0, limit=1)
    assert (order.qty, order.stop_price, order.created_at) == (
        Decimal(10),
        Decimal(95),
        MORNING_25,
    )


async def test_decisions_when_filtered_then_joined_with_denial_codes_in_check_order(
    store: Store,
) -> None:
    denied = _decision("XOM", LATE_24, trigger="manual")
    bought = _decision("MSFT", MORNING_25)
    bare = _decision("AAPL", MIDNIGHT_26, trigger="autopilot")
    checks = [(2, "NO_POSITION", False), (0, "HALTED", False), (1, "MAX_VIX", True)]
    await _add(
        store,
        denied,
        bought,
        bare,
        _signal(denied, "SELL", "manual"),
        _signal(bought, "BUY", "rules-v1"),
        *_verdict(denied, checks),
        *_verdict(bought, [(0, "HALTED", True)]),
    )
    views = store.views

    async def tickers(f: DecisionFilter, offset: int = 0, limit: int = 50) -> list[str]:
        return [d.ticker for d in await views.decisions(f, offset=offset, limit=limit)]

    lines = await views.decisions(DecisionFilter(), offset=0, limit=50)
    assert [d.ticker for d in lines] == ["AAPL", "MSFT", "XOM"]
    aapl, msft, xom = lines
    assert (aapl.action, aapl.analyst, aapl.cost_usd, aapl.approved) == (None, None, None, None)
    assert aapl.denial_codes == ()
    assert (msft.action, msft.cost_usd, msft.approved, msft.denial_codes) == (
        "BUY",
        Decimal("0.0012"),
        True,
        (),
    )
    assert (xom.approved, xom.denial_codes) == (False, ("HALTED", "NO_POSITION"))
    assert await tickers(DecisionFilter(code="HALTED")) == ["XOM"]
    assert await tickers(DecisionFilter(approved=True)) == ["MSFT"]
    assert await tickers(DecisionFilter(action="SELL", analyst="manual")) == ["XOM"]
    assert await tickers(DecisionFilter(trigger="autopilot")) == ["AAPL"]
    assert await tickers(DecisionFilter(since=DAY25, until=DAY25)) == ["MSFT"]
    assert await tickers(DecisionFilter(until=DAY24)) == ["XOM"]
    assert await tickers(DecisionFilter(), offset=1, limit=1) == ["MSFT"]
    assert await views.analysts() == ["manual", "rules-v1"]


async def test_journal_fills_when_read_then_ours_oldest_first_with_the_entrys_stop_only(
    store: Store,
) -> None:
    d = _decision("AAPL", LATE_24, trigger="autopilot")
    entry = _order("entry", "AAPL", LATE_24, decision_id=d.decision_id)
    close = _order("close", "AAPL", MORNING_25, side="sell", intent=Intent.SELL_TO_CLOSE.value)
    theirs = _order("theirs", "AAPL", LATE_24, external=True)
    await _add(
        store,
        d,
        entry,
        close,
        theirs,
        _fill(close, MORNING_25),
        _fill(entry, LATE_24),
        _fill(theirs, LATE_24 + timedelta(minutes=1)),
    )
    fills = await store.views.journal_fills(limit=100)
    assert [(f.client_order_id, f.stop_price, f.trigger) for f in fills] == [
        ("entry", Decimal(95), "autopilot"),
        ("close", None, None),
    ]
    assert (fills[0].order_type, fills[0].ts, fills[0].decision_id) == (
        "market",
        LATE_24,
        d.decision_id,
    )
    assert [f.client_order_id for f in await store.views.journal_fills(limit=1)] == ["entry"]


async def test_signals_snapshots_and_audit_when_listed_then_newest_first(store: Store) -> None:
    a, m = _decision("AAPL", LATE_24), _decision("MSFT", MORNING_25)
    snaps = [
        t.SnapshotRow(
            ticker=ticker,
            price=Decimal(100),
            source="sim",
            as_of=at,
            taken_at=at,
            payload={"n": n},
        )
        for n, (ticker, at) in enumerate(
            [("AAPL", LATE_24), ("MSFT", MORNING_25), ("AAPL", MORNING_25)]
        )
    ]
    await _add(store, a, m, _signal(a, "BUY", "x"), _signal(m, "HOLD", "x"), *snaps)
    async with store.tx() as tx:
        for n in range(3):
            await tx.audit("test.entry", f"entry {n}", now=LATE_24, payload={"n": n})
    views = store.views
    signals = await views.signals(ticker=None, offset=0, limit=50)
    assert [s.ticker for s in signals] == ["MSFT", "AAPL"]
    assert [s.ticker for s in await views.signals(ticker="AAPL", offset=0, limit=50)] == ["AAPL"]
    listed = await views.snapshots(ticker=None, offset=0, limit=50)
    assert [s.payload["n"] for s in listed] == [2, 1, 0]  # same instant: the newest id first
    aapl = await views.snapshots(ticker="AAPL", offset=1, limit=5)
    assert [(s.ticker, s.price, s.payload) for s in aapl] == [("AAPL", Decimal(100), {"n": 0})]
    audit = await views.audit(limit=2, before_seq=None)
    assert [e["message"] for e in audit] == ["entry 2", "entry 1"]
    seq = audit[-1]["seq"]
    assert isinstance(seq, int)
    older = await views.audit(limit=5, before_seq=seq)
    assert [(e["message"], e["payload"]) for e in older] == [("entry 0", {"n": 0})]
