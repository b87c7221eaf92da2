"""Trailing stops and partial closes against the fake Alpaca: the fake's ``trailing_stop`` checked
with alpaca-py's own client and models, then our adapter and execution desk on top of it
(over the unit-of-work backends: memory, SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from decimal import Decimal

import pytest
from alpaca.common.exceptions import APIError
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from alpaca.trading.models import Order
from alpaca.trading.requests import MarketOrderRequest, TrailingStopOrderRequest
from tests.fakes.alpaca_desk import BackendDesk, approve, backend_desk
from tests.fakes.fake_alpaca import KEY, OPEN, SECRET, FakeAlpaca, FakeOrder
from tests.fakes.uow_backends import BACKENDS, open_backend

from swingdesk.adapters.clock import SystemClock
from swingdesk.domain.enums import Intent
from swingdesk.domain.enums import OrderStatus as Status
from swingdesk.domain.trailing import TrailSpec


@pytest.fixture
def fake() -> Iterator[FakeAlpaca]:
    with FakeAlpaca(cash=Decimal(1_000_000)) as server:
        yield server


@pytest.fixture
def sdk(fake: FakeAlpaca) -> TradingClient:
    client = TradingClient(KEY, SECRET, paper=True, url_override=fake.url)
    client._retry = 0
    return client


@pytest.fixture(params=BACKENDS)
async def desk(request: pytest.FixtureRequest, fake: FakeAlpaca) -> AsyncIterator[BackendDesk]:
    async with open_backend(request.param, request) as backend:
        d = backend_desk(backend.store, fake.url, SystemClock())
        assert await d.sync.startup() is not None
        yield d
        await d.broker.close()


def _buy(sdk: TradingClient, qty: int = 10) -> None:
    sdk.submit_order(
        MarketOrderRequest(
            symbol="AAPL", qty=qty, side=OrderSide.BUY, time_in_force=TimeInForce.DAY
        )
    )


def _stops(fake: FakeAlpaca) -> list[FakeOrder]:
    with fake.lock:
        kinds = ("stop", "trailing_stop")
        return [o for o in fake.orders.values() if o.type in kinds and o.status in OPEN]


@pytest.mark.parametrize(
    ("trail", "stop_after_rise"),
    [({"trail_percent": 5}, "114"), ({"trail_price": 3}, "117")],
    ids=["percent", "price"],
)
def test_sdk_when_trailing_stop_submitted_then_follows_high_and_fills_on_the_drop(
    sdk: TradingClient, fake: FakeAlpaca, trail: dict[str, float], stop_after_rise: str
) -> None:
    fake.set_price("AAPL", Decimal(100))
    _buy(sdk)
    req = TrailingStopOrderRequest(
        symbol="AAPL", qty=10, side=OrderSide.SELL, time_in_force=TimeInForce.GTC, **trail
    )
    placed = sdk.submit_order(req)
    assert isinstance(placed, Order)
    assert placed.type is OrderType.TRAILING_STOP
    assert Decimal(str(placed.hwm)) == Decimal(100)
    fake.set_price("AAPL", Decimal(120))
    seen = sdk.get_order_by_id(placed.id)
    assert isinstance(seen, Order)
    assert seen.status is OrderStatus.NEW
    assert Decimal(str(seen.hwm)) == Decimal(120)
    assert Decimal(str(seen.stop_price)) == Decimal(stop_after_rise)
    fake.set_price("AAPL", Decimal(119))  # below the high, above the stop: the mark stays
    fake.set_price("AAPL", Decimal(110))
    done = sdk.get_order_by_id(placed.id)
    assert isinstance(done, Order)
    assert done.status is OrderStatus.FILLED
    assert Decimal(str(done.filled_qty)) == Decimal(10)
    assert Decimal(str(done.filled_avg_price)) == Decimal(110)


def test_sdk_when_trailing_stop_without_trail_then_422(sdk: TradingClient) -> None:
    _buy(sdk)
    body = {"symbol": "AAPL", "qty": "10", "side": "sell", "type": "trailing_stop",
            "time_in_force": "gtc"}  # fmt: skip
    with pytest.raises(APIError) as err:
        sdk.post("/orders", body)
    assert err.value.status_code == 422


async def test_entry_when_trailing_configured_then_alpaca_holds_one_trailing_stop(
    desk: BackendDesk, fake: FakeAlpaca
) -> None:
    desk.agent.stops.trail = TrailSpec(pct=Decimal("0.05"))
    fake.set_price("AAPL", Decimal(100))
    a = await approve(desk.store, "AAPL", SystemClock().now(), qty=10, stop=Decimal(90))
    report = await desk.agent.execute(a, sector=None)
    assert report.status is Status.FILLED
    [stop] = _stops(fake)  # the OTO leg (fixed, Alpaca's only kind) swapped for a trail
    assert (stop.type, stop.qty, stop.trail_percent, stop.hwm) == (
        "trailing_stop", Decimal(10), Decimal(5), Decimal(100),
    )  # fmt: skip
    assert stop.stop_price == Decimal(95)
    [at_broker] = [o for o in await desk.broker.list_orders() if o.type.value == "trailing_stop"]
    assert (at_broker.trail_pct, at_broker.hwm) == (Decimal("0.05"), Decimal(100))
    await desk.sync.run_once()  # a reconciliation pass keeps it: no churn, no duplicate
    assert [o.id for o in _stops(fake)] == [stop.id]
    fake.set_price("AAPL", Decimal(130))
    fake.set_price("AAPL", Decimal("123.40"))
    await desk.sync.run_once()
    assert await desk.store.positions() == []
    assert fake.positions.get("AAPL", (Decimal(0), None))[0] == Decimal(0)


@pytest.mark.parametrize("trailing", [False, True], ids=["fixed", "trailing"])
async def test_partial_close_when_alpaca_then_stop_resized_to_the_remainder(
    desk: BackendDesk, fake: FakeAlpaca, trailing: bool
) -> None:
    if trailing:
        desk.agent.stops.trail = TrailSpec(price=Decimal(4))
    fake.set_price("AAPL", Decimal(100))
    a = await approve(desk.store, "AAPL", SystemClock().now(), qty=10, stop=Decimal(90))
    await desk.agent.execute(a, sector=None)
    fake.set_price("AAPL", Decimal(110))
    c = await approve(desk.store, "AAPL", SystemClock().now(), qty=4, intent=Intent.SELL_TO_CLOSE)
    report = await desk.agent.execute(c, sector=None)
    assert (report.status, report.filled_qty) == (Status.FILLED, Decimal(4))
    [stop] = _stops(fake)
    assert stop.qty == Decimal(6)
    assert stop.stop_price == (Decimal(106) if trailing else Decimal(90))
    assert stop.type == ("trailing_stop" if trailing else "stop")
    [position] = await desk.store.positions()
    assert (position.qty, position.avg_price) == (Decimal(6), Decimal(100))
    assert fake.positions["AAPL"][0] == Decimal(6)
    await desk.sync.run_once()
    assert [o.id for o in _stops(fake)] == [stop.id]
