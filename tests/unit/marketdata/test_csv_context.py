"""CsvMarket's news.csv and fundamentals.csv: documented format, validated, no look-ahead."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from tests.fakes.context import WordScorer

from swingdesk.adapters.csv_market import CsvDataError, CsvMarket
from swingdesk.domain.calendar import TradingCalendar
from swingdesk.marketdata.agent import MarketDataAgent

HEADER = "date,open,high,low,close,volume\n"
ROWS = "2024-11-25,10,11,9,10.5,1000\n2024-11-26,10.5,11.5,10,11,2000\n"
TUE_MORNING = datetime(2024, 11, 26, 15, 0, tzinfo=UTC)  # 10:00 New York
TUE_EVENING = datetime(2024, 11, 26, 22, 0, tzinfo=UTC)  # 17:00 New York
NEWS = (
    "symbol,published_at,title,publisher,url,summary\n"
    "AAA,2024-11-26T14:30:00Z,Morning good news,Wire,https://news.test/a,first\n"
    "AAA,2024-11-26T16:30:00-05:00,Bad close news,Wire,javascript:alert(1),\n"
    "AAA,2024-11-25,Dated only,Daily,,\n"
    "AAA,2024-11-25T09:00:00,Naive is New York,Wire,,\n"
    "AAA,2024-11-27T08:00:00Z,Tomorrow's news,Wire,,\n"
    "bbb,2024-11-20T12:00:00Z,Other ticker,Wire,,\n"
)
FUNDAMENTALS = (
    "symbol,as_of,market_cap_usd,trailing_pe,profit_margin_pct,debt_to_equity\n"
    "AAA,2024-08-01,1000000000,15.5,0.12,0.8\n"
    "AAA,2024-11-26,1200000000,,0.13,\n"
    "AAA,2024-11-27,9999999999,99,0.99,9\n"
)


def _dir(tmp_path: Path, **files: str) -> Path:
    root = tmp_path / "data"
    root.mkdir()
    (root / "AAA.csv").write_text(HEADER + ROWS)
    (root / "BBB.csv").write_text(HEADER + ROWS)
    for name, text in files.items():
        (root / f"{name}.csv").write_text(text)
    return root


async def test_news_when_asked_at_times_then_only_what_was_published_by_then(
    tmp_path: Path,
) -> None:
    market = CsvMarket(_dir(tmp_path, news=NEWS))
    morning = [h.title for h in await market.news("AAA", TUE_MORNING, 10)]
    assert morning == ["Morning good news", "Dated only", "Naive is New York"]
    evening = await market.news("AAA", TUE_EVENING, 10)
    assert [h.title for h in evening][:2] == ["Bad close news", "Morning good news"]
    assert "Tomorrow's news" not in [h.title for h in evening]
    assert evening[1].url == "https://news.test/a"
    assert evening[0].url is None  # a javascript: link is never kept
    assert [h.title for h in await market.news("AAA", TUE_EVENING, 1)] == ["Bad close news"]
    assert [h.title for h in await market.news("BBB", TUE_EVENING, 5)] == ["Other ticker"]


async def test_news_when_only_a_date_then_first_seen_the_next_day(tmp_path: Path) -> None:
    market = CsvMarket(_dir(tmp_path, news=NEWS))
    monday_evening = datetime(2024, 11, 25, 22, 0, tzinfo=UTC)
    titles = [h.title for h in await market.news("AAA", monday_evening, 10)]
    assert titles == ["Naive is New York"]


async def test_fundamentals_when_asked_then_newest_row_dated_on_or_before_today(
    tmp_path: Path,
) -> None:
    market = CsvMarket(_dir(tmp_path, fundamentals=FUNDAMENTALS))
    before = await market.fundamentals("AAA", datetime(2024, 11, 25, 22, tzinfo=UTC))
    assert before is not None
    assert before.market_cap_usd == Decimal(1_000_000_000)
    assert before.trailing_pe == Decimal("15.5")
    today = await market.fundamentals("AAA", TUE_MORNING)
    assert today is not None
    assert (today.market_cap_usd, today.trailing_pe) == (Decimal(1_200_000_000), None)
    assert (today.source, str(today.as_of)) == ("csv", "2024-11-26")
    assert await market.fundamentals("BBB", TUE_EVENING) is None
    assert await market.fundamentals("AAA", datetime(2024, 1, 2, tzinfo=UTC)) is None


async def test_snapshot_when_no_context_files_then_news_and_fundamentals_missing(
    tmp_path: Path,
) -> None:
    market = CsvMarket(_dir(tmp_path))
    assert await market.news("AAA", TUE_EVENING, 5) is None
    agent = MarketDataAgent(market, TradingCalendar(), context=market, scorer=WordScorer())
    snap = await agent.snapshot("AAA", TUE_EVENING)
    assert {"news", "fundamentals", "sentiment"} <= set(snap.missing)


async def test_snapshot_when_context_files_then_scored_headlines_and_figures(
    tmp_path: Path,
) -> None:
    market = CsvMarket(_dir(tmp_path, news=NEWS, fundamentals=FUNDAMENTALS))
    agent = MarketDataAgent(market, TradingCalendar(), context=market, scorer=WordScorer())
    snap = await agent.snapshot("AAA", TUE_EVENING)
    assert snap.news[1].sentiment == 0.5
    assert snap.fundamentals is not None
    assert snap.sentiment is not None
    assert not {"news", "fundamentals", "sentiment"} & set(snap.missing)


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        ("news", "symbol,title\nAAA,x\n", "news.csv:1: missing columns: published_at"),
        ("news", "symbol,published_at,title\nAAA,yesterday,x\n", "news.csv:2: published_at"),
        ("news", "symbol,published_at,title\nAAA,2024-11-25,\n", "news.csv:2: symbol or title"),
        ("fundamentals", "symbol,as_of,beta\nAAA,2024-13-01,1\n", "fundamentals.csv:2: as_of"),
        (
            "fundamentals",
            "symbol,as_of,market_cap_usd\nAAA,2024-01-02,-5\n",
            "fundamentals.csv:2: market_cap_usd",
        ),
        ("fundamentals", "symbol,as_of,beta\nAAA,2024-01-02,abc\n", "fundamentals.csv:2: beta"),
        (
            "fundamentals",
            "symbol,as_of\nAAA,2024-01-02\nAAA,2024-01-02\n",
            "AAA has two rows as of 2024-01-02",
        ),
    ],
)
def test_load_when_a_context_file_is_bad_then_nothing_is_loaded_and_the_line_named(
    tmp_path: Path, name: str, text: str, problem: str
) -> None:
    with pytest.raises(CsvDataError) as caught:
        CsvMarket(_dir(tmp_path, **{name: text}))
    assert problem in str(caught.value)
