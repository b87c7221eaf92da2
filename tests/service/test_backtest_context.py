"""Backtests read news and fundamentals only as known on the decision date.

The pipeline replay decides a minute after each session's close. Headlines are written
around that minute (30 s before it and 60 s after it) and fundamentals rows dated every
session and the next day; a spy on the provider and on the market-data stage proves no
decision ever sees one dated after it, and that it does see the latest one before it. With
the default rules analyst, the context files change nothing in the result.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.fakes.backtest_data import sessions, write_market

from swingdesk.adapters.csv_market import CsvMarket
from swingdesk.backtest.runner import BacktestParams, run_backtest
from swingdesk.domain.calendar import TradingCalendar
from swingdesk.domain.context import Fundamentals, Headline
from swingdesk.domain.exchange_time import ny_date
from swingdesk.domain.market import MarketSnapshot
from swingdesk.marketdata.agent import MarketDataAgent

CAL = TradingCalendar(start=date(2023, 1, 1))
TICKERS = ("UPCO", "FLAT", "DOWN")


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_context(root: Path) -> Path:
    """Add news.csv (two headlines a session, either side of the decision minute) and
    fundamentals.csv (a row every session, and one dated the day after)."""
    news = ["symbol,published_at,title,publisher,url"]
    figures = ["symbol,as_of,market_cap_usd,trailing_pe"]
    for i, day in enumerate(sessions()):
        decision = CAL.session_close(day) + timedelta(minutes=1)
        for t in TICKERS:
            before, after = decision - timedelta(seconds=30), decision + timedelta(seconds=60)
            news.append(f"{t},{_stamp(before)},{t} before {day},Wire,https://news.test/{i}")
            news.append(f"{t},{_stamp(after)},{t} after {day},Wire,")
            figures.append(f"{t},{day},{1_000_000_000 + i},{10 + i}")
    (root / "news.csv").write_text("\n".join(news) + "\n")
    (root / "fundamentals.csv").write_text("\n".join(figures) + "\n")
    return root


def _params(root: Path) -> BacktestParams:
    days = sessions()
    return BacktestParams(root, TICKERS, days[60], days[-1], engine="pipeline")


async def test_backtest_when_deciding_then_no_headline_or_fundamentals_row_after_it_is_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_context(write_market(tmp_path / "market"))
    served: list[tuple[datetime, list[Headline] | None, Fundamentals | None]] = []
    snapshots: list[tuple[datetime, MarketSnapshot]] = []
    news, fundamentals, snapshot = CsvMarket.news, CsvMarket.fundamentals, MarketDataAgent.snapshot

    async def spy_news(self: CsvMarket, ticker: str, now: datetime, limit: int) -> Any:
        items = await news(self, ticker, now, limit)
        served.append((now, items, None))
        return items

    async def spy_fundamentals(self: CsvMarket, ticker: str, now: datetime) -> Any:
        row = await fundamentals(self, ticker, now)
        served.append((now, None, row))
        return row

    async def spy_snapshot(self: MarketDataAgent, ticker: str, now: datetime) -> MarketSnapshot:
        snap = await snapshot(self, ticker, now)
        snapshots.append((now, snap))
        return snap

    monkeypatch.setattr(CsvMarket, "news", spy_news)
    monkeypatch.setattr(CsvMarket, "fundamentals", spy_fundamentals)
    monkeypatch.setattr(MarketDataAgent, "snapshot", spy_snapshot)
    await run_backtest(_params(root))

    assert len(snapshots) >= 3 * 45
    for now, items, row in served:
        assert all(h.published_at <= now for h in items or [])
        assert row is None or row.as_of <= ny_date(now)
    days = sessions()
    for now, snap in snapshots:
        day = ny_date(now)
        prev = days[days.index(day) - 1]
        # 30 s before the decision: seen; 60 s after it: seen the next evening.
        assert [h.title for h in snap.news][:2] == [
            f"{snap.ticker} before {day}",
            f"{snap.ticker} after {prev}",
        ]
        assert all(h.published_at <= now for h in snap.news)
        assert f"{snap.ticker} after {day}" not in [h.title for h in snap.news]
        assert snap.fundamentals is not None
        assert snap.fundamentals.as_of == day
        assert snap.sentiment is not None
        assert not {"news", "fundamentals", "sentiment"} & set(snap.missing)


async def test_backtest_when_context_files_added_then_rule_results_byte_identical(
    tmp_path: Path,
) -> None:
    plain = write_market(tmp_path / "plain")
    rich = write_context(write_market(tmp_path / "rich"))
    for engine in ("pipeline", "fast"):
        a = await run_backtest(replace(_params(plain), engine=engine))
        b = await run_backtest(replace(_params(rich), engine=engine))
        doc_a = a.to_json().replace(str(plain), "DATA")
        doc_b = b.to_json().replace(str(rich), "DATA")
        assert doc_a == doc_b
