"""AlpacaNews against the fake Alpaca data server, the fake checked by alpaca-py's NewsClient."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from alpaca.common.exceptions import APIError
from alpaca.data.historical.news import NewsClient
from alpaca.data.requests import NewsRequest
from pydantic import SecretStr
from tests.fakes.context import FakeContext
from tests.fakes.fake_alpaca import KEY, SECRET
from tests.fakes.fake_alpaca_data import FakeAlpacaData, wire_article

from swingdesk.adapters.alpaca_news import AlpacaNews
from swingdesk.domain.context import Fundamentals
from swingdesk.domain.errors import ConfigurationError, TemporaryError
from swingdesk.ttl_cache import TtlCache

NOW = datetime(2024, 11, 26, 22, 0, tzinfo=UTC)


class Sleeps:
    """Record backoff waits instead of sleeping."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def _articles() -> list[dict[str, Any]]:
    out = []
    for i in range(60):  # one an hour, back from two hours after NOW
        created = NOW + timedelta(hours=2) - timedelta(hours=i)
        symbols = ["AAPL"] if i % 3 else ["AAPL", "MSFT"]
        if i % 5 == 4:
            symbols = ["MSFT"]
        out.append(
            wire_article(
                1000 + i,
                symbols,
                created,
                f"Story {i}",
                summary=f"sum {i}",
                url=f"https://news.test/{i}",
            )
        )
    return out


@pytest.fixture
def fake() -> Iterator[FakeAlpacaData]:
    with FakeAlpacaData() as server:
        server.state.news = _articles()
        server.state.news_max_page = 7
        yield server


def _news(fake: FakeAlpacaData, sleeps: Sleeps | None = None, **kw: Any) -> AlpacaNews:
    return AlpacaNews(
        SecretStr(kw.pop("key", KEY)),
        SecretStr(SECRET),
        base_url=fake.url,
        cache=TtlCache(60),
        sleep=sleeps or Sleeps(),
        **kw,
    )


def _served(fake: FakeAlpacaData, symbols: set[str], start: datetime, end: datetime) -> list[int]:
    rows = [
        a
        for a in fake.state.news
        if symbols & set(a["symbols"])
        and start <= datetime.fromisoformat(a["created_at"].replace("Z", "+00:00")) <= end
    ]
    rows.sort(key=lambda a: a["created_at"], reverse=True)
    return [a["id"] for a in rows]


# --- the fake, checked with Alpaca's own SDK ------------------------------------------


def test_sdk_when_fetching_news_across_pages_then_articles_equal_served(
    fake: FakeAlpacaData,
) -> None:
    client = NewsClient(KEY, SECRET, url_override=fake.url)
    start, end = NOW - timedelta(days=1), NOW
    newsset = client.get_news(NewsRequest(symbols="AAPL,MSFT", start=start, end=end, limit=40))
    got = newsset.data["news"]  # type: ignore[union-attr]
    expected = _served(fake, {"AAPL", "MSFT"}, start, end)[:40]
    assert [a.id for a in got] == expected
    assert len(expected) == 25  # NOW - 24 h .. NOW, one an hour
    assert got[0].created_at == NOW
    assert got[0].url == "https://news.test/2"
    assert fake.state.requests["news:AAPL,MSFT"] == 4  # pages of 7
    assert all("page_token" in q for q in fake.state.queries[1:])


def test_sdk_when_keys_wrong_then_api_error_with_401(fake: FakeAlpacaData) -> None:
    client = NewsClient("wrong", SECRET, url_override=fake.url)
    with pytest.raises(APIError) as info:
        client.get_news(NewsRequest(symbols="AAPL"))
    assert info.value.status_code == 401


# --- our client against the same fake ---------------------------------------------------


async def test_fetch_when_pages_needed_then_follows_tokens_and_matches_the_sdk(
    fake: FakeAlpacaData,
) -> None:
    start, end = NOW - timedelta(days=1), NOW
    rows = await _news(fake).fetch(["AAPL", "MSFT"], start, end, 40)
    sdk = NewsClient(KEY, SECRET, url_override=fake.url).get_news(
        NewsRequest(symbols="AAPL,MSFT", start=start, end=end, limit=40)
    )
    titles = [h.title for _, h in rows]
    assert titles == [a.headline for a in sdk.data["news"]]  # type: ignore[union-attr]
    assert rows[0][1].url == "https://news.test/2"
    assert rows[0][1].publisher == "benzinga"
    assert rows[0][1].summary == "sum 2"
    assert rows[0][0] == ("AAPL",)


async def test_fetch_when_requested_then_query_follows_the_contract(fake: FakeAlpacaData) -> None:
    await _news(fake).fetch(["AAPL"], NOW - timedelta(days=3), NOW, 5)
    q = fake.state.queries[0]
    assert q["symbols"] == "AAPL"
    assert (q["start"], q["end"]) == ("2024-11-23T22:00:00Z", "2024-11-26T22:00:00Z")
    assert (q["sort"], q["limit"], q["include_content"]) == ("desc", "5", "false")
    assert fake.state.headers[0]["APCA-API-KEY-ID"] == KEY


async def test_news_when_asked_at_a_time_then_newest_first_and_nothing_after_it(
    fake: FakeAlpacaData,
) -> None:
    items = await _news(fake).news("MSFT", NOW, 5)
    assert [h.title for h in items] == ["Story 3", "Story 4", "Story 6", "Story 9", "Story 12"]
    assert all(h.published_at <= NOW for h in items)


async def test_news_when_server_ignores_end_then_later_articles_are_dropped(
    fake: FakeAlpacaData,
) -> None:
    sent = [wire_article(1, ["AAPL"], NOW + timedelta(hours=1), "Late"),
            wire_article(2, ["AAPL"], NOW - timedelta(hours=1), "On time")]  # fmt: skip
    fake.state.news = sent
    fake.state.script.append((200, {"news": sent, "next_page_token": None}, {}))
    rows = await _news(fake).fetch(["AAPL"], NOW - timedelta(days=1), NOW, 5)
    assert [h.title for _, h in rows] == ["On time"]
    fake.state.script.append((200, {"news": sent, "next_page_token": None}, {}))
    assert [h.title for h in await _news(fake).news("AAPL", NOW, 5)] == ["On time"]


async def test_news_when_ten_concurrent_then_one_request(fake: FakeAlpacaData) -> None:
    import asyncio

    client = _news(fake)
    results = await asyncio.gather(*(client.news("AAPL", NOW, 5) for _ in range(10)))
    assert len({tuple(h.title for h in r) for r in results}) == 1
    assert fake.state.requests["news:AAPL"] == 1


async def test_news_when_rate_limited_then_waits_as_told_and_succeeds(
    fake: FakeAlpacaData,
) -> None:
    fake.state.rate_limit(2, reset_in_s=3, retry_after=True)
    sleeps = Sleeps()
    items = await _news(fake, sleeps).news("AAPL", NOW, 3)
    assert len(items) == 3
    assert sleeps.waits == [3.0, 3.0]


@pytest.mark.parametrize(
    ("status", "body"), [(500, {"message": "internal"}), (502, "<html>bad gateway</html>")]
)
async def test_news_when_server_fails_then_temporary_error(
    fake: FakeAlpacaData, status: int, body: Any
) -> None:
    fake.state.fail(status, body)
    with pytest.raises(TemporaryError):
        await _news(fake).news("AAPL", NOW, 3)


async def test_news_when_keys_refused_then_configuration_error(fake: FakeAlpacaData) -> None:
    with pytest.raises(ConfigurationError):
        await _news(fake, key="wrong").news("AAPL", NOW, 3)


async def test_fundamentals_when_a_context_source_is_given_then_its_answer(
    fake: FakeAlpacaData,
) -> None:
    figures = Fundamentals(as_of=date(2024, 11, 26), source="yahoo", beta=Decimal("1.2"))
    ctx = FakeContext(figures={"AAPL": [figures]})
    assert await _news(fake, fundamentals=ctx).fundamentals("AAPL", NOW) == figures
    assert await _news(fake).fundamentals("AAPL", NOW) is None
