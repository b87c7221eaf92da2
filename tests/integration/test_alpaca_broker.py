"""AlpacaPaperBroker against the fake Alpaca on loopback: wire format, errors, paper only."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from pydantic import SecretStr, ValidationError
from tests.fakes.alpaca_desk import alpaca_broker
from tests.fakes.fake_alpaca import FakeAlpaca, FakeOrder, Faults

from swingdesk.adapters.alpaca_broker import (
    PAPER_URL,
    AlpacaPaperBroker,
    MarketClosedError,
    check_endpoint,
)
from swingdesk.config import BrokerProvider, Settings
from swingdesk.domain.enums import Intent, OrderSide, OrderStatus, OrderType
from swingdesk.domain.errors import (
    ConfigurationError,
    DuplicateOrderError,
    InsufficientFundsError,
    RejectedError,
    TemporaryError,
)
from swingdesk.domain.events import OrderRequest


@pytest.fixture
def fake() -> Iterator[FakeAlpaca]:
    with FakeAlpaca(cash=Decimal(10_000)) as server:
        yield server


@pytest.fixture
async def broker(fake: FakeAlpaca) -> AsyncIterator[AlpacaPaperBroker]:
    b = alpaca_broker(fake.url, read_timeout_s=0.3)
    yield b
    await b.close()


def request(coid: str = "sd-o-1", qty: int = 10, side: OrderSide = OrderSide.BUY) -> OrderRequest:
    buy = side is OrderSide.BUY
    return OrderRequest(
        decision_id=uuid4(),
        ts_event=datetime(2026, 11, 24, 15, tzinfo=UTC),
        client_order_id=coid,
        ticker="AAPL",
        side=side,
        intent=Intent.BUY_TO_OPEN if buy else Intent.SELL_TO_CLOSE,
        qty=Decimal(qty),
        stop_price=Decimal("95.00") if buy else None,
        reference_price=Decimal(100),
        risk_event_id=uuid4(),
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://api.alpaca.markets",
        "https://api.alpaca.markets/",
        "http://paper-api.alpaca.markets",
        "https://paper-api.alpaca.markets.evil.example",
        "http://10.0.0.1:8080",
    ],
)
def test_endpoint_when_not_paper_or_loopback_then_refused(url: str) -> None:
    with pytest.raises(ConfigurationError):
        check_endpoint(url)


def test_settings_when_alpaca_is_chosen_then_no_setting_can_change_the_endpoint() -> None:
    live = "https://api.alpaca.markets"
    # The data URL cannot even be set to the live host (it accepts Alpaca's data hosts only).
    every_url = {
        f: live
        for f in Settings.model_fields
        if f.endswith("url") and "database" not in f and f != "alpaca_data_url"
    }
    with pytest.raises(ValidationError, match="alpaca_data_url"):
        Settings(alpaca_data_url=live)
    settings = Settings(
        broker=BrokerProvider.ALPACA,
        market_provider="yahoo",
        alpaca_api_key=SecretStr("k"),
        alpaca_secret_key=SecretStr("s"),
        **every_url,
    )
    broker = AlpacaPaperBroker.from_settings(settings)
    assert broker.base_url == PAPER_URL
    with pytest.raises(ConfigurationError):
        AlpacaPaperBroker(SecretStr("k"), SecretStr("s"), base_url="https://api.alpaca.markets")
    with pytest.raises(ConfigurationError):
        AlpacaPaperBroker(None, SecretStr("s"))


async def test_submit_when_entry_has_a_stop_then_oto_with_held_leg(
    broker: AlpacaPaperBroker, fake: FakeAlpaca
) -> None:
    order = await broker.submit_order(request())
    assert order.status is OrderStatus.ACCEPTED
    assert len(order.legs) == 1
    leg = order.legs[0]
    assert (leg.type, leg.side, leg.status, leg.stop_price) == (
        OrderType.STOP,
        OrderSide.SELL,
        OrderStatus.HELD,
        Decimal("95.00"),
    )
    found = await broker.get_order_by_client_id("sd-o-1")
    assert found is not None
    assert (found.status, found.filled_qty, found.filled_avg_price) == (
        OrderStatus.FILLED,
        Decimal(10),
        Decimal(100),
    )
    [pos] = await broker.get_positions()
    assert (pos.ticker, pos.qty, pos.market_value) == ("AAPL", Decimal(10), Decimal(1000))
    account = await broker.get_account()
    assert (account.cash, account.equity) == (Decimal(9000), Decimal(10_000))
    assert [o.client_order_id for o in await broker.list_orders()] == ["sd-o-1"]
    await broker.cancel_order(leg.broker_order_id)
    assert await broker.list_orders() == []


async def test_clock_and_calendar_when_read_then_parsed(broker: AlpacaPaperBroker) -> None:
    clock = await broker.get_clock()
    assert clock.is_open
    days = await broker.get_calendar(date(2026, 11, 23), date(2026, 11, 29))
    assert days[0].date.isoformat() == "2026-11-23"
    assert len(days) == 5


async def test_lookup_when_order_unknown_then_none(broker: AlpacaPaperBroker) -> None:
    assert await broker.get_order_by_client_id("sd-o-missing") is None


@pytest.mark.parametrize(
    ("status", "body", "error", "unknown"),
    [
        (
            403,
            {"code": 40310000, "message": "insufficient buying power"},
            InsufficientFundsError,
            None,
        ),
        (403, {"code": 40310000, "message": "insufficient qty available"}, RejectedError, None),
        (
            422,
            {"code": 40010001, "message": "client_order_id must be unique"},
            DuplicateOrderError,
            None,
        ),
        (422, {"code": 40010001, "message": "invalid order type"}, RejectedError, None),
        (403, {"message": "forbidden."}, ConfigurationError, None),
        (401, "Unauthorized", ConfigurationError, None),
        (403, {"code": 40310000, "message": "market is closed"}, MarketClosedError, None),
        (500, {"code": 50010000, "message": "internal"}, TemporaryError, True),
        (502, "<html>Bad Gateway</html>", TemporaryError, True),
        (503, {"message": "unavailable, no code"}, TemporaryError, True),
        (400, "not json at all", RejectedError, None),
    ],
)
async def test_submit_when_alpaca_answers_an_error_then_it_is_classified(
    broker: AlpacaPaperBroker,
    fake: FakeAlpaca,
    status: int,
    body: object,
    error: type[Exception],
    unknown: bool | None,
) -> None:
    fake.forced.append((status, body, {}))
    with pytest.raises(error) as caught:
        await broker.submit_order(request())
    if unknown is not None:
        assert isinstance(caught.value, TemporaryError)
        assert caught.value.outcome_unknown is unknown


async def test_call_when_rate_limited_then_reset_header_becomes_retry_after(
    broker: AlpacaPaperBroker, fake: FakeAlpaca
) -> None:
    reset = str(int(datetime.now(UTC).timestamp()) + 30)
    fake.forced.append(
        (429, {"code": 42910000, "message": "rate limit"}, {"X-Ratelimit-Reset": reset})
    )
    with pytest.raises(TemporaryError) as caught:
        await broker.get_account()
    assert caught.value.retry_after_s is not None
    assert 25 < caught.value.retry_after_s <= 30
    assert caught.value.outcome_unknown is False
    fake.forced.append((429, {"code": 42910000, "message": "rate limit"}, {"Retry-After": "7"}))
    with pytest.raises(TemporaryError) as again:
        await broker.get_account()
    assert again.value.retry_after_s == 7


async def test_submit_when_connection_dropped_or_read_times_out_after_accept_then_unknown(
    fake: FakeAlpaca, broker: AlpacaPaperBroker
) -> None:
    fake.faults = Faults(timeout_after_accept=1.0, hang_s=0.6)
    with pytest.raises(TemporaryError) as timed_out:
        await broker.submit_order(request("sd-o-t"))
    assert timed_out.value.outcome_unknown
    fake.faults = Faults(drop=1.0)
    with pytest.raises(TemporaryError) as dropped:
        await broker.submit_order(request("sd-o-d"))
    assert dropped.value.outcome_unknown
    fake.faults = Faults()
    assert fake.created == ["sd-o-t"]  # accepted before the timeout; the drop never was


async def test_call_when_server_is_down_then_temporary_with_known_outcome() -> None:
    with FakeAlpaca() as gone:
        url = gone.url
    b = alpaca_broker(url)
    with pytest.raises(TemporaryError) as caught:
        await b.submit_order(request())
    assert caught.value.outcome_unknown is False
    await b.close()


async def test_get_positions_when_body_is_malformed_then_temporary_not_a_crash(
    broker: AlpacaPaperBroker, fake: FakeAlpaca
) -> None:
    fake.forced.append((200, [{"symbol": "AAPL"}], {}))
    with pytest.raises(TemporaryError):
        await broker.get_positions()
    fake.forced.append((200, "<html>ok?</html>", {}))
    with pytest.raises(TemporaryError):
        await broker.get_account()


async def test_list_orders_when_more_open_than_a_page_then_every_one_is_returned(
    broker: AlpacaPaperBroker, fake: FakeAlpaca
) -> None:
    """Alpaca answers at most 500 orders a request: the adapter pages by submission time."""
    now = datetime.now(UTC)
    for i in range(1_200):
        order = FakeOrder(
            id=str(uuid4()),
            client_order_id=f"page-{i}",
            symbol="AAPL",
            side="buy",
            qty=Decimal(1),
            type="limit",
            time_in_force="gtc",
            status="new",
            created_at=now + timedelta(microseconds=i // 3),  # several share an instant
        )
        fake.orders[order.id] = order
        fake.by_client_id[order.client_order_id] = order
    listed = await broker.list_orders()
    assert sorted(o.client_order_id for o in listed) == sorted(f"page-{i}" for i in range(1_200))
