"""Write the simulated market's history as a CSV data directory, for ``--simulated``.

The engines read CSV directories only, so ``--simulated`` runs on the simulated market's
daily history written in the CSV provider's exact format: ``TICKER.csv`` (from the
simulated epoch, 2019-01-02, to the last session up to ``end``), ``vix.csv``,
``sectors.csv`` and ``earnings.csv`` (every report from the epoch to a quarter past
``end``, so the next report is always known), and its context: ``news.csv`` (every headline
published up to ``end``'s close, as the demo shows them) and ``fundamentals.csv`` (one row a
ticker and report, the figures at the report's close; the live simulated market moves its
market cap and ratios daily, the files at each report). The market is drawn with a fixed horizon
(at least the universe's anchor date) so the same seed gives the same prices whatever the
window: the output is a pure function of (seed, end).
"""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from swingdesk.adapters.csv_context import FIGURES
from swingdesk.adapters.simulated_market import EPOCH, SimulatedMarket
from swingdesk.adapters.simulated_news import SimulatedContext
from swingdesk.adapters.simulated_universe import ANCHOR_DATE
from swingdesk.domain.calendar import TradingCalendar
from swingdesk.domain.errors import InputError

_NY = ZoneInfo("America/New_York")
_EARNINGS_AHEAD = timedelta(days=100)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


async def write_simulated_market(target: Path, *, seed: int, end: date) -> Path:
    """Write the simulated history up to ``end`` into ``target``; return ``target``."""
    if end < EPOCH:
        raise InputError(f"the simulated market starts on {EPOCH}; --end {end} is before it")
    horizon = max(end, ANCHOR_DATE) + _EARNINGS_AHEAD + timedelta(days=30)
    calendar = TradingCalendar(start=date(2018, 1, 1))
    market = SimulatedMarket(seed, calendar=calendar, today=horizon)
    sessions = calendar.sessions_between(EPOCH, end)
    if not sessions:
        raise InputError(f"no simulated session between {EPOCH} and {end}")
    _write_bars(market, calendar.session_close(sessions[-1]), len(sessions) + 1, target)
    await _write_market_files(market, calendar, sessions, end, target)
    _write_context(market, calendar, calendar.session_close(sessions[-1]), target)
    return target


def _write_context(
    market: SimulatedMarket, calendar: TradingCalendar, close: datetime, target: Path
) -> None:
    """Write news.csv (every headline up to ``close``) and fundamentals.csv (per report)."""
    ctx = SimulatedContext(market.daily())
    daily = market.daily()
    with (
        (target / "news.csv").open("w", newline="") as news_file,
        (target / "fundamentals.csv").open("w", newline="") as fund_file,
    ):
        news = csv.writer(news_file)
        news.writerow(["symbol", "published_at", "title", "publisher", "url", "summary"])
        funds = csv.writer(fund_file)
        funds.writerow(["symbol", "as_of", *FIGURES])
        for k, tk in enumerate(daily.tickers):
            for at, title, summary, publisher in ctx.rows_between(k, 0, close.timestamp()):
                stamp = datetime.fromtimestamp(at, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                news.writerow([tk.ticker, stamp, title, publisher, "", summary])
            for day in daily.earnings[k].tolist():
                report = date.fromordinal(int(day) + _EPOCH_ORDINAL)
                if report > close.date():
                    break
                f = ctx.fundamentals(k, calendar.session_close(report).timestamp())
                if f is not None:
                    values = f.model_dump(mode="json")
                    funds.writerow(
                        [
                            tk.ticker,
                            f.as_of.isoformat(),
                            *("" if values[c] is None else values[c] for c in FIGURES),
                        ]
                    )


def _write_bars(market: SimulatedMarket, close: datetime, count: int, target: Path) -> None:
    """Write every ticker's daily bars up to the session closing at ``close``."""
    target.mkdir(parents=True, exist_ok=True)
    for ticker in market.universe():
        # At the close itself the last bar is the finished session, not an after-hours drift.
        frame = market.bars(ticker, close, count)
        lines = ["date,open,high,low,close,volume"]
        dates = np.datetime_as_string(frame.index.to_numpy("datetime64[D]"))
        columns = [frame[c].to_numpy() for c in ("open", "high", "low", "close", "volume")]
        for day, o, h, lo, c, v in zip(dates, *columns, strict=True):
            lines.append(f"{day},{o:.4f},{h:.4f},{lo:.4f},{c:.4f},{int(v)}")
        (target / f"{ticker}.csv").write_text("\n".join(lines) + "\n")


async def _write_market_files(
    market: SimulatedMarket,
    calendar: TradingCalendar,
    sessions: list[date],
    end: date,
    target: Path,
) -> None:
    vix = ["date,open,high,low,close"]
    for day in sessions:
        level = await market.vix(calendar.session_close(day))
        if level is not None:
            vix.append(f"{day},{level},{level},{level},{level}")
    (target / "vix.csv").write_text("\n".join(vix) + "\n")
    sectors = ["symbol,name,sector"]
    earnings = ["symbol,date"]
    for ticker in market.universe():
        profile = market.profile(ticker)
        sectors.append(f'{ticker},"{profile.name}",{profile.sector}')
        day = EPOCH
        while day <= end + _EARNINGS_AHEAD:
            noon = datetime.combine(day, time(12), tzinfo=_NY)
            report = await market.next_earnings(ticker, noon)
            if report is None:
                break
            earnings.append(f"{ticker},{report}")
            day = report + timedelta(days=1)
    (target / "sectors.csv").write_text("\n".join(sectors) + "\n")
    (target / "earnings.csv").write_text("\n".join(earnings) + "\n")
