"""AlpacaMarket against the fake Alpaca data server on 127.0.0.1, the fake checked by alpaca-py."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest
from alpaca.common.exceptions import APIError
from alpaca.data.enums import DataFeed
from alpaca.data.historical import StockHistoricalDataClient
from alpaca.data.requests import StockBarsRequest
from alpaca.data.timeframe import TimeFrame
from pydantic import SecretStr
from tests.fakes.fake_alpaca import KEY, SECRET
from tests.fakes.fake_alpaca_data import FakeAlpacaData, wire_bar

from swingdesk.adapters import yahoo_market
from swingdesk.adapters.alpaca_data import AlpacaMarket
from swingdesk.bootstrap import _market_provider
from swingdesk.config import Settings
from swingdesk.domain.calendar import TradingCalendar
from swingdesk.domain.errors import (
    ConfigurationError,
    RejectedError,
    TemporaryError,
    UnknownTickerError,
)
from swingdesk.marketdata.agent import MarketDataAgent
from swingdesk.ports import TickerProfile
from swingdesk.ttl_cache import TtlCache

CAL = TradingCalendar()
SESSIONS = CAL.sessions_between(date(2024, 6, 3), date(2024, 11, 29))
TODAY = date(2024, 11, 26)
EVENING = datetime(2024, 11, 26, 22, 0, tzinfo=UTC)  # after Tuesday's close
PAGE = 25


def _bars(base: float) -> list[dict[str, Any]]:
    return [
        wire_bar(d, base + i - 0.5, base + i + 1, base + i - 1, base + i, 1_000_000.0 + i)
        for i, d in enumerate(SESSIONS)
    ]


def _pages(*symbols: str, fake: FakeAlpacaData, until: date = TODAY) -> int:
    """Return how many pages the fake needs for ``symbols`` up to ``until``."""
    n = sum(1 for s in symbols for b in fake.state.bars.get(s, []) if b["t"][:10] <= str(until))
    return max(1, math.ceil(n / PAGE))


class Sleeps:
    """Record backoff waits instead of sleeping."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def fake() -> Iterator[FakeAlpacaData]:
    with FakeAlpacaData() as server:
        server.state.max_page = PAGE
        server.state.bars["AAPL"] = _bars(100.0)
        server.state.bars["MSFT"] = _bars(300.0)
        yield server


def _market(fake: FakeAlpacaData, sleeps: Sleeps | None = None, **kw: Any) -> AlpacaMarket:
    return AlpacaMarket(
        SecretStr(kw.pop("key", KEY)),
        SecretStr(SECRET),
        base_url=fake.url,
        cache=TtlCache(60),
        calendar=CAL,
        sleep=sleeps or Sleeps(),
        **kw,
    )


# --- the fake, checked with Alpaca's own SDK ------------------------------------------


def test_sdk_when_fetching_two_symbols_across_pages_then_bars_equal_served(
    fake: FakeAlpacaData,
) -> None:
    client = StockHistoricalDataClient(KEY, SECRET, url_override=fake.url)
    request = StockBarsRequest(
        symbol_or_symbols=["AAPL", "MSFT"],
        timeframe=TimeFrame.Day,
        start=datetime(2024, 6, 1, tzinfo=UTC),
        feed=DataFeed.IEX,
    )
    barset = client.get_stock_bars(request)
    for symbol in ("AAPL", "MSFT"):
        got = barset.data[symbol]  # type: ignore[union-attr]
        served = fake.state.bars[symbol]
        assert len(got) == len(served) == len(SESSIONS)
        assert [(b.open, b.high, b.low, b.close, b.volume) for b in got] == [
            (s["o"], s["h"], s["l"], s["c"], s["v"]) for s in served
        ]
        assert got[-1].timestamp == datetime.fromisoformat(served[-1]["t"])
    assert fake.state.served("AAPL,MSFT") == math.ceil(2 * len(SESSIONS) / PAGE)
    assert fake.state.queries[0]["feed"] == "iex"


def test_sdk_when_keys_wrong_then_api_error_with_401(fake: FakeAlpacaData) -> None:
    client = StockHistoricalDataClient("wrong", SECRET, url_override=fake.url)
    request = StockBarsRequest(symbol_or_symbols="AAPL", timeframe=TimeFrame.Day)
    with pytest.raises(APIError) as info:
        client.get_stock_bars(request)
    assert info.value.status_code == 401


# --- our adapter against the same fake --------------------------------------------------


async def test_daily_bars_when_history_spans_pages_then_all_pages_joined(
    fake: FakeAlpacaData,
) -> None:
    bars = await _market(fake).daily_bars("AAPL", EVENING, 500)
    expected = [b for b in fake.state.bars["AAPL"] if b["t"][:10] <= str(TODAY)]
    assert len(bars) == len(expected)
    assert bars["close"].tolist() == [b["c"] for b in expected]
    assert bars["volume"].tolist() == [b["v"] for b in expected]
    assert bars.index[-1] == pd.Timestamp(TODAY)
    assert fake.state.served("AAPL") == _pages("AAPL", fake=fake) > 1


async def test_daily_bars_when_requested_then_query_and_headers_follow_the_contract(
    fake: FakeAlpacaData,
) -> None:
    await _market(fake).daily_bars("AAPL", EVENING, 60)
    query, headers = fake.state.queries[0], fake.state.headers[0]
    assert query["symbols"] == "AAPL"
    assert (query["timeframe"], query["feed"], query["adjustment"]) == ("1Day", "iex", "split")
    assert query["end"] == "2024-11-27T04:59:59Z"  # the last second of Nov 26 in New York
    assert "page_token" not in query
    assert "page_token" in fake.state.queries[1]
    assert headers["APCA-API-KEY-ID"] == KEY
    assert headers["APCA-API-SECRET-KEY"] == SECRET


async def test_daily_bars_when_server_sends_bars_after_now_then_none_returned(
    fake: FakeAlpacaData,
) -> None:
    fake.state.ignore_end = True  # a misbehaving server: bars through Nov 29
    now = datetime(2024, 11, 1, 21, 30, tzinfo=UTC)
    bars = await _market(fake).daily_bars("MSFT", now, 60)
    assert bars.index.max() == pd.Timestamp(date(2024, 11, 1))
    assert len(bars) == 60


async def test_daily_bars_batch_when_many_symbols_then_one_paged_call_and_cached(
    fake: FakeAlpacaData,
) -> None:
    market = _market(fake)
    result = await market.daily_bars_batch(["AAPL", "MSFT", "NOPE"], EVENING, 60)
    assert isinstance(result["NOPE"], UnknownTickerError)
    aapl, msft = result["AAPL"], result["MSFT"]
    assert isinstance(aapl, pd.DataFrame)
    assert isinstance(msft, pd.DataFrame)
    assert len(aapl) == len(msft) == 60
    assert msft["close"].iloc[-1] - aapl["close"].iloc[-1] == 200.0
    assert fake.state.served("AAPL,MSFT,NOPE") == _pages("AAPL", "MSFT", fake=fake)
    single = await market.daily_bars("MSFT", EVENING, 60)
    pd.testing.assert_frame_equal(single, msft)
    assert fake.state.served("MSFT") == 0  # answered from the batch's cache entries


async def test_prefetch_when_one_symbol_unknown_then_only_that_one_reported(
    fake: FakeAlpacaData,
) -> None:
    failed = await _market(fake).prefetch(["AAPL", "GHOST"], EVENING)
    assert list(failed) == ["GHOST"]


async def test_daily_bars_when_ten_concurrent_snapshots_then_one_fetch(
    fake: FakeAlpacaData,
) -> None:
    agent = MarketDataAgent(_market(fake), CAL)
    snaps = await asyncio.gather(*(agent.snapshot("MSFT", EVENING) for _ in range(10)))
    assert len({s.price for s in snaps}) == 1
    assert fake.state.served("MSFT") == _pages("MSFT", fake=fake)  # one paged fetch


async def test_daily_bars_when_rate_limited_once_then_waits_as_told_and_succeeds(
    fake: FakeAlpacaData,
) -> None:
    fake.state.rate_limit(1, reset_in_s=2, retry_after=True)
    sleeps = Sleeps()
    market = _market(fake, sleeps)
    bars = await market.daily_bars("AAPL", EVENING, 60)
    assert len(bars) == 60
    assert sleeps.waits == [2.0]
    assert market.rate_limited == 1


async def test_daily_bars_when_rate_limit_persists_then_temporary_error_with_reset(
    fake: FakeAlpacaData,
) -> None:
    fake.state.rate_limit(5, reset_in_s=3)
    sleeps = Sleeps()
    market = _market(fake, sleeps, max_attempts=3)
    with pytest.raises(TemporaryError, match="rate limit") as info:
        await market.daily_bars("AAPL", EVENING, 60)
    assert market.rate_limited == 3
    assert len(sleeps.waits) == 2
    assert all(1.0 < w <= 3.0 for w in sleeps.waits)  # from X-RateLimit-Reset
    assert info.value.retry_after_s is not None
    assert info.value.retry_after_s <= 3.0


async def test_daily_bars_when_keys_wrong_then_configuration_error_without_secret(
    fake: FakeAlpacaData,
) -> None:
    with pytest.raises(ConfigurationError, match="ALPACA_API_KEY") as info:
        await _market(fake, key="PKWRONG").daily_bars("AAPL", EVENING, 60)
    assert info.value.details["http_status"] == 401
    assert SECRET not in str(info.value)


@pytest.mark.parametrize("symbol", ["NOPE", "BAD"])
async def test_daily_bars_when_symbol_unknown_then_unknown_ticker(
    fake: FakeAlpacaData, symbol: str
) -> None:
    fake.state.invalid.add("BAD")  # 422 invalid symbol; NOPE is simply absent, as at Alpaca
    with pytest.raises(UnknownTickerError, match=symbol):
        await _market(fake).daily_bars(symbol, EVENING, 60)


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (500, "<html><body>500 Internal Server Error</body></html>", TemporaryError),
        (502, {"message": "bad gateway"}, TemporaryError),
        (503, {"code": 50310000, "message": "service unavailable"}, TemporaryError),
        (200, "definitely not json", TemporaryError),
        (200, ["a", "list"], TemporaryError),
        (200, {"bars": {"AAPL": [{"t": "not a time", "c": "x"}]}}, TemporaryError),
        (403, {"message": "forbidden."}, ConfigurationError),
        (404, "404 page not found", UnknownTickerError),
        (400, ["not", "a", "dict"], RejectedError),
    ],
)
async def test_daily_bars_when_error_body_is_odd_then_classified_without_crash(
    fake: FakeAlpacaData, status: int, body: Any, error: type[Exception]
) -> None:
    fake.state.fail(status, body)
    with pytest.raises(error):
        await _market(fake).daily_bars("AAPL", EVENING, 60)


async def test_daily_bars_when_server_stalls_then_read_timeout_is_temporary(
    fake: FakeAlpacaData,
) -> None:
    fake.state.delay_s = 0.5
    with pytest.raises(TemporaryError, match="timed out"):
        await _market(fake, read_timeout_s=0.1).daily_bars("AAPL", EVENING, 60)


async def test_snapshot_when_no_context_then_vix_and_earnings_missing_and_sector_from_table(
    fake: FakeAlpacaData,
) -> None:
    market = _market(fake)
    assert await market.vix(EVENING) is None
    with pytest.raises(TemporaryError, match="earnings"):
        await market.next_earnings("AAPL", EVENING)
    snap = await MarketDataAgent(market, CAL).snapshot("AAPL", EVENING)
    assert {"vix", "next_earnings"} <= set(snap.missing)  # risk fails closed (MARKET_DATA)
    assert snap.sector == "Information Technology"
    assert snap.price == Decimal(100 + SESSIONS.index(TODAY)).quantize(Decimal("0.0001"))
    assert not snap.stale


class _Context:
    """A stand-in for the Yahoo provider as VIX, earnings and profile source."""

    async def vix(self, now: datetime) -> Decimal | None:
        return Decimal("18.25")

    async def next_earnings(self, ticker: str, now: datetime) -> date | None:
        return date(2025, 1, 30)

    def profile(self, ticker: str) -> TickerProfile:
        return TickerProfile(ticker, "Ghost Corp", "Utilities")


async def test_vix_and_earnings_when_context_given_then_taken_from_it(
    fake: FakeAlpacaData,
) -> None:
    market = _market(fake, context=_Context())
    assert await market.vix(EVENING) == Decimal("18.25")
    assert await market.next_earnings("AAPL", EVENING) == date(2025, 1, 30)
    assert market.profile("ZZZZ") == TickerProfile("ZZZZ", "Ghost Corp", "Utilities")
    assert market.profile("AAPL").sector == "Information Technology"  # the table wins


async def test_profile_when_ticker_outside_table_and_no_context_then_no_sector(
    fake: FakeAlpacaData,
) -> None:
    assert _market(fake).profile("ZZZZ") == TickerProfile("ZZZZ", "ZZZZ", "")


def test_constructor_when_remote_url_is_plain_http_then_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="refusing Alpaca data URL"):
        AlpacaMarket(SecretStr(KEY), SecretStr(SECRET), base_url="http://data.example.com")


# --- bootstrap --------------------------------------------------------------------------


def test_market_provider_when_alpaca_without_keys_then_configuration_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("ALPACA_API_KEY", "ALPACA_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"SWINGDESK_{name}", raising=False)
    with pytest.raises(ConfigurationError, match="ALPACA_API_KEY and ALPACA_SECRET_KEY"):
        _market_provider(Settings(market_provider="alpaca"))


def test_market_provider_when_alpaca_with_keys_then_configured_provider() -> None:
    settings = Settings(
        market_provider="alpaca",
        alpaca_api_key=SecretStr(KEY),
        alpaca_secret_key=SecretStr(SECRET),
        alpaca_data_feed="sip",
    )
    provider = _market_provider(settings)
    assert isinstance(provider, AlpacaMarket)
    assert (provider.feed, provider.base_url, provider.context) == (
        "sip", "https://data.alpaca.markets", None
    )  # fmt: skip


def test_market_provider_when_alpaca_with_yahoo_context_then_yahoo_behind_it() -> None:
    settings = Settings(
        market_provider="alpaca",
        alpaca_api_key=SecretStr(KEY),
        alpaca_secret_key=SecretStr(SECRET),
        alpaca_data_context="yahoo",
    )
    provider = _market_provider(settings)
    assert isinstance(provider, AlpacaMarket)
    assert isinstance(provider.context, yahoo_market.YahooMarket)
