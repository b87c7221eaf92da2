"""The fake Alpaca server, checked with Alpaca's own SDK so it cannot drift from the contract."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from alpaca.common.exceptions import APIError
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import OrderClass, OrderSide, OrderStatus, QueryOrderStatus, TimeInForce
from alpaca.trading.requests import (
    GetCalendarRequest,
    GetOrdersRequest,
    MarketOrderRequest,
    StopLossRequest,
    StopOrderRequest,
)
from tests.fakes.fake_alpaca import KEY, SECRET, FakeAlpaca


@pytest.fixture
def fake() -> Iterator[FakeAlpaca]:
    with FakeAlpaca(cash=Decimal(10_000)) as server:
        yield server


@pytest.fixture
def sdk(fake: FakeAlpaca) -> TradingClient:
    client = TradingClient(KEY, SECRET, paper=True, url_override=fake.url)
    # Our own policy retries; the SDK's 429 loop would only slow these checks down.
    client._retry = 0
    return client


def oto(coid: str, qty: int = 10) -> MarketOrderRequest:
    return MarketOrderRequest(
        symbol="AAPL",
        qty=qty,
        side=OrderSide.BUY,
        time_in_force=TimeInForce.DAY,
        client_order_id=coid,
        order_class=OrderClass.OTO,
        stop_loss=StopLossRequest(stop_price=95),
    )


def test_sdk_when_reading_account_positions_clock_calendar_then_models_validate(
    sdk: TradingClient,
) -> None:
    account = sdk.get_account()
    assert account.cash == "10000"  # type: ignore[union-attr]
    assert sdk.get_all_positions() == []
    clock = sdk.get_clock()
    assert clock.is_open is True  # type: ignore[union-attr]
    days = sdk.get_calendar(GetCalendarRequest(start=date(2026, 11, 23), end=date(2026, 11, 27)))
    assert len(days) == 5  # type: ignore[arg-type]


def test_sdk_when_submitting_an_oto_order_then_leg_is_held_and_lookup_by_client_id_works(
    sdk: TradingClient, fake: FakeAlpaca
) -> None:
    order = sdk.submit_order(oto("sd-o-contract-1"))
    assert order.status is OrderStatus.ACCEPTED  # type: ignore[union-attr]
    assert order.legs is not None  # type: ignore[union-attr]
    assert order.legs[0].status is OrderStatus.HELD  # type: ignore[union-attr]
    found = sdk.get_order_by_client_id("sd-o-contract-1")
    assert found.status is OrderStatus.FILLED  # type: ignore[union-attr]
    assert found.filled_avg_price == "100"  # type: ignore[union-attr]
    positions = sdk.get_all_positions()
    assert [(p.symbol, p.qty) for p in positions] == [("AAPL", "10")]  # type: ignore[union-attr]
    open_orders = sdk.get_orders(GetOrdersRequest(status=QueryOrderStatus.OPEN, nested=True))
    assert len(open_orders) == 1  # the filled parent, listed for its held stop leg
    fake.set_price("AAPL", Decimal(94))
    assert sdk.get_all_positions() == []


def test_sdk_when_errors_happen_then_status_codes_and_bodies_are_alpacas(
    sdk: TradingClient, fake: FakeAlpaca
) -> None:
    sdk.submit_order(oto("sd-o-dup"))
    with pytest.raises(APIError) as dup:
        sdk.submit_order(oto("sd-o-dup"))
    assert dup.value.status_code == 422
    assert dup.value.code == 40010001
    with pytest.raises(APIError) as poor:
        sdk.submit_order(oto("sd-o-big", qty=1_000))
    assert poor.value.status_code == 403
    assert poor.value.code == 40310000
    with pytest.raises(APIError) as missing:
        sdk.get_order_by_client_id("nope")
    assert missing.value.status_code == 404
    fake.forced.append((429, {"code": 42910000, "message": "rate limit exceeded"}, {}))
    with pytest.raises(APIError) as limited:
        sdk.get_account()
    assert limited.value.status_code == 429


def test_sdk_when_cancelling_the_held_stop_then_it_is_canceled(sdk: TradingClient) -> None:
    order = sdk.submit_order(oto("sd-o-cancel"))
    leg = order.legs[0]  # type: ignore[union-attr,index]
    sdk.cancel_order_by_id(leg.id)
    assert sdk.get_order_by_id(leg.id).status is OrderStatus.CANCELED  # type: ignore[union-attr]


@pytest.mark.parametrize(("policy", "leg_after"), [("cancel", "canceled"), ("resize", "new")])
def test_sdk_when_partly_filled_then_canceled_then_bodies_validate_and_leg_follows_policy(
    sdk: TradingClient, fake: FakeAlpaca, policy: str, leg_after: str
) -> None:
    fake.leg_on_partial_end = policy
    fake.partial_next.append((Decimal(4), Decimal("100.5")))
    order = sdk.submit_order(oto("sd-o-part"))
    found = sdk.get_order_by_client_id("sd-o-part")
    assert found.status is OrderStatus.PARTIALLY_FILLED  # type: ignore[union-attr]
    assert (found.qty, found.filled_qty) == ("10", "4")  # type: ignore[union-attr]
    assert found.filled_avg_price == "100.5"  # type: ignore[union-attr]
    assert found.legs[0].status is OrderStatus.HELD  # type: ignore[union-attr,index]
    fake.set_price("AAPL", Decimal(90))  # a held leg is not armed by a partial fill
    assert [(p.symbol, p.qty) for p in sdk.get_all_positions()] == [("AAPL", "4")]  # type: ignore[union-attr]
    sdk.cancel_order_by_id(order.id)  # type: ignore[union-attr]
    ended = sdk.get_order_by_client_id("sd-o-part")
    assert ended.status is OrderStatus.CANCELED  # type: ignore[union-attr]
    leg = ended.legs[0]  # type: ignore[union-attr,index]
    assert leg.status.value == leg_after
    assert leg.qty == ("4" if policy == "resize" else "10")


def test_sdk_when_submitting_a_standalone_stop_then_it_is_working(sdk: TradingClient) -> None:
    sdk.submit_order(
        MarketOrderRequest(symbol="AAPL", qty=5, side=OrderSide.BUY, time_in_force=TimeInForce.DAY)
    )
    stop = sdk.submit_order(
        StopOrderRequest(
            symbol="AAPL", qty=5, side=OrderSide.SELL, time_in_force=TimeInForce.GTC, stop_price=90
        )
    )
    assert stop.status is OrderStatus.NEW  # type: ignore[union-attr]
    assert stop.stop_price == "90"  # type: ignore[union-attr]
