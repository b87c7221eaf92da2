"""The API's read routes: portfolio, risk, orders, journal, signals and market data."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response

from swingdesk.api.deps import DeskDep, ServicesDep, Trade, require_read
from swingdesk.api.errors import ERROR_RESPONSES
from swingdesk.api.schemas import (
    TICKER_FILTER_PATTERN,
    TICKER_PATTERN,
    AuditPage,
    Deleted,
    EquityHistory,
    InsightsPage,
    MarketHistory,
    OrdersPage,
    Portfolio,
    Positions,
    RiskOut,
    SnapshotsPage,
)
from swingdesk.api.schemas_context import FundamentalsResponse, NewsOut
from swingdesk.domain.enums import OrderStatus
from swingdesk.domain.errors import InputError, SwingdeskError
from swingdesk.domain.exchange_time import ny_day_start
from swingdesk.domain.ticker import sanitize_ticker
from swingdesk.marketdata.movers import Movers, Quote
from swingdesk.services.context_views import fundamentals_view, news_view
from swingdesk.services.market_views import market_history
from swingdesk.services.views import (
    audit_page,
    equity_point,
    insights_page,
    orders_page,
    risk_view,
    snapshots_page,
)

log = logging.getLogger(__name__)
reads = APIRouter(prefix="/api", dependencies=[Depends(require_read)], responses=ERROR_RESPONSES)
Limit = Annotated[int, Query(ge=1, le=200, description="page size")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="items to skip")]
TickerFilter = Annotated[
    str | None, Query(pattern=TICKER_FILTER_PATTERN, description="only this ticker")
]
TickerPath = Annotated[str, Path(pattern=TICKER_PATTERN, examples=["AAPL"])]


def _ticker(raw: str | None) -> str | None:
    return sanitize_ticker(raw) if raw is not None and raw != "" else None


@reads.get("/portfolio", tags=["portfolio"], response_model=Portfolio)
async def portfolio(services: ServicesDep) -> Response:
    """Return equity, cash, buying power, water marks, day P&L and positions.

    Marks are at most one second old; fills, orders and state changes show at once.
    """
    snap = await services.portfolio.get()
    return Response(snap.body, media_type="application/json")


@reads.get("/positions", tags=["portfolio"], response_model=Positions)
async def positions(services: ServicesDep) -> dict[str, Any]:
    """Return the open positions with marks, P&L, weight and stop."""
    view = (await services.portfolio.get()).view
    return {"as_of": view["as_of"], "positions": view["positions"]}


@reads.get("/risk", tags=["portfolio"], response_model=RiskOut)
async def risk(services: ServicesDep) -> dict[str, Any]:
    """Return the limits, exposures per ticker and sector, drawdown, day P&L and state."""
    desk = services.desk
    snap = await services.portfolio.get()
    now = desk.clock.now()
    try:
        vix = await desk.provider.vix(now)
    except SwingdeskError as exc:  # the panel shows "unknown"; risk fails closed on its own
        log.warning("VIX unavailable for the risk view: %s", exc.code)
        vix = None
    denials = await desk.store.denials_since(ny_day_start(now))
    return risk_view(snap.state, desk.risk.limits, vix=vix, denials_today=denials)


@reads.get("/equity-history", tags=["portfolio"], response_model=EquityHistory)
async def equity_history(
    desk: DeskDep,
    limit: Annotated[int, Query(ge=1, le=5000, description="newest marks to return")] = 500,
) -> dict[str, Any]:
    """Return the account's stored equity marks, oldest first, for the equity curve."""
    rows = await desk.store.equity_history(limit=limit)
    return {"points": [equity_point(r) for r in rows]}


Day = Annotated[
    str | None,
    Query(
        pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
        json_schema_extra={"format": "date"},
        description="New York date (YYYY-MM-DD), inclusive",
    ),
]


def _day(raw: str | None, name: str) -> date | None:
    """Parse a date filter, kept where a day can still be added to it (not 9999-12-31)."""
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError as exc:
        raise InputError(f"{name}: not a date: {raw!r}", details={name: raw}) from exc
    return min(day, date.max - timedelta(days=2))


@reads.get("/orders", tags=["portfolio"], response_model=OrdersPage)
async def orders(
    desk: DeskDep,
    limit: Limit = 50,
    offset: Offset = 0,
    status: Annotated[OrderStatus | None, Query(description="only this status")] = None,
    ticker: TickerFilter = None,
    since: Day = None,
    until: Day = None,
) -> dict[str, Any]:
    """Return stored orders, newest first; ``since``/``until`` are New York days, inclusive."""
    return await orders_page(
        desk.store.views,
        limit=limit,
        offset=offset,
        status=status.value if status else None,
        ticker=_ticker(ticker),
        since=_day(since, "since"),
        until=_day(until, "until"),
    )


@reads.get("/logs", tags=["journal"], response_model=AuditPage)
async def logs(
    desk: DeskDep,
    limit: Limit = 20,
    before_seq: Annotated[
        int | None, Query(ge=1, le=2**62, description="entries older than this one")
    ] = None,
) -> dict[str, Any]:
    """Return the audit journal, newest first (``next_before_seq`` pages back)."""
    return await audit_page(desk.store.views, limit=limit, before_seq=before_seq)


@reads.get("/insights", tags=["journal"], response_model=InsightsPage)
async def insights(
    desk: DeskDep, limit: Limit = 20, offset: Offset = 0, ticker: TickerFilter = None
) -> dict[str, Any]:
    """Return the analyst's signals, newest first."""
    return await insights_page(desk.store.views, limit=limit, offset=offset, ticker=_ticker(ticker))


@reads.get("/market-data", tags=["market"], response_model=SnapshotsPage)
async def market_data(
    desk: DeskDep, limit: Limit = 20, offset: Offset = 0, ticker: TickerFilter = None
) -> dict[str, Any]:
    """Return stored market snapshots, newest first."""
    return await snapshots_page(
        desk.store.views, limit=limit, offset=offset, ticker=_ticker(ticker)
    )


@reads.delete("/market-data", tags=["market"], response_model=Deleted, dependencies=Trade)
async def delete_market_data(desk: DeskDep) -> dict[str, int]:
    """Delete stored snapshots that no decision refers to (decisions keep theirs)."""
    return {"deleted": await desk.store.delete_snapshots()}


@reads.get("/quote/{ticker}", tags=["market"], response_model=Quote)
async def quote(ticker: TickerPath, services: ServicesDep) -> Quote:
    """Return price, day change, 52-week range, volume and market cap of a ticker."""
    desk = services.desk
    clean = desk.pipeline.validate_ticker(ticker)
    return await services.movers.quote(clean, desk.clock.now())


@reads.get("/movers", tags=["market"], response_model=Movers)
async def movers(
    services: ServicesDep, n: Annotated[int, Query(ge=1, le=50, description="per list")] = 5
) -> Movers:
    """Return the day's top gainers, losers and most traded tickers of the universe."""
    return await services.movers.top_movers(n, services.desk.clock.now())


@reads.get("/market-history/{ticker}", tags=["market"], response_model=MarketHistory)
async def history(
    ticker: TickerPath,
    desk: DeskDep,
    days: Annotated[int, Query(ge=1, le=1000, description="daily bars to return")] = 120,
) -> dict[str, Any]:
    """Return daily OHLCV with SMA-20 and SMA-50 for charts."""
    clean = desk.pipeline.validate_ticker(ticker)
    return await market_history(desk.provider, clean, desk.clock.now(), days)


@reads.get("/news/{ticker}", tags=["market"], response_model=NewsOut)
async def news(ticker: TickerPath, desk: DeskDep) -> dict[str, Any]:
    """Return the latest headlines with sentiment scores and their aggregate, newest first.

    The same headlines a decision taken now would see (at most SWINGDESK_NEWS_MAX_HEADLINES,
    none older than SWINGDESK_NEWS_LOOKBACK_DAYS); a source that cannot answer is named in
    ``missing``.
    """
    clean = desk.pipeline.validate_ticker(ticker)
    now = desk.clock.now()
    return news_view(clean, now, await desk.market.context(clean, now))


@reads.get("/fundamentals/{ticker}", tags=["market"], response_model=FundamentalsResponse)
async def fundamentals(ticker: TickerPath, desk: DeskDep) -> dict[str, Any]:
    """Return market cap, P/E, P/B, margins, growth, debt/equity, yield, beta, short interest."""
    clean = desk.pipeline.validate_ticker(ticker)
    now = desk.clock.now()
    return fundamentals_view(clean, now, await desk.market.context(clean, now))
