"""The API's routes for a whole trading day: the decisions explorer, the trade journal,
manual actions (trade scope, audited), the watchlist with names, and the settings view."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from swingdesk.api.deps import DeskDep, ServicesDep, SettingsDep, Trade, require_read
from swingdesk.api.errors import ERROR_RESPONSES
from swingdesk.api.routes_read import Day, Limit, Offset, TickerFilter, TickerPath, _day, _ticker
from swingdesk.api.schemas import DecisionSummary
from swingdesk.api.schemas_desk import (
    DecisionsPage,
    JournalOut,
    ManualCancelRequest,
    ManualCloseRequest,
    ManualStopRequest,
    SettingsOut,
    TickerInfo,
)
from swingdesk.domain.enums import Action
from swingdesk.domain.exchange_time import ny_day_start
from swingdesk.services.decisions_view import DecisionFilter, analysts, decisions_page
from swingdesk.services.journal import journal_view
from swingdesk.services.manual import ManualDesk
from swingdesk.services.watchlist import named

desk_routes = APIRouter(
    prefix="/api", dependencies=[Depends(require_read)], responses=ERROR_RESPONSES
)
ACTOR = "api"


@desk_routes.get("/decisions", tags=["decisions"], response_model=DecisionsPage)
async def decisions(
    desk: DeskDep,
    limit: Limit = 50,
    offset: Offset = 0,
    ticker: TickerFilter = None,
    action: Annotated[Action | None, Query(description="only this signal action")] = None,
    approved: Annotated[
        bool | None, Query(description="true: approved by risk; false: denied")
    ] = None,
    code: Annotated[
        str | None,
        Query(pattern=r"^[A-Za-z_]{0,32}$", description="only decisions denied with this code"),
    ] = None,
    since: Day = None,
    until: Day = None,
    analyst: Annotated[
        str | None, Query(max_length=128, description="only signals of this model or rule set")
    ] = None,
    trigger: Annotated[
        str | None, Query(max_length=32, description="api, autopilot, manual, ...")
    ] = None,
) -> dict[str, Any]:
    """Return decisions newest first with their signal, verdict, denial codes and cost."""
    f = DecisionFilter(
        ticker=_ticker(ticker),
        action=action.value if action else None,
        approved=approved,
        code=code.upper() if code else None,
        since=_day(since, "since"),
        until=_day(until, "until"),
        analyst=analyst or None,
        trigger=trigger or None,
    )
    page = await decisions_page(desk.store.views, f, limit=limit, offset=offset)
    return {**page, "analysts": await analysts(desk.store.views)}


@desk_routes.get("/journal", tags=["journal"], response_model=JournalOut)
async def journal(
    services: ServicesDep,
    ticker: TickerFilter = None,
    since: Day = None,
    until: Day = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="trips to list")] = 200,
) -> dict[str, Any]:
    """Return closed round trips (P&L in $ and R, holding days, exit reason) with totals by
    ticker, sector and New York day."""
    desk = services.desk
    return await journal_view(
        desk.store.views,
        desk.execution.booker.sector_of,
        ticker=_ticker(ticker),
        since=_day(since, "since"),
        until=_day(until, "until"),
        limit=limit,
    )


def _manual(services: ServicesDep) -> ManualDesk:
    return ManualDesk(services.desk.pipeline, services.desk.store)


@desk_routes.post(
    "/manual/close", tags=["manual"], response_model=DecisionSummary, dependencies=Trade
)
async def manual_close(body: ManualCloseRequest, services: ServicesDep) -> dict[str, Any]:
    """Close a position (or ``qty`` shares of it) at market, through the closing risk checks.

    Allowed while HALTED (closing is the one manual action that is); a denial comes back as
    a rejected decision with its codes.
    """
    qty = None if body.qty is None else Decimal(body.qty)
    out = await _manual(services).close(body.ticker, qty=qty, reason=body.reason, actor=ACTOR)
    return out.summary()


@desk_routes.post(
    "/manual/stop", tags=["manual"], response_model=DecisionSummary, dependencies=Trade
)
async def manual_stop(body: ManualStopRequest, services: ServicesDep) -> dict[str, Any]:
    """Move a position's protective stop: tighter only unless ``allow_loosen``; never while
    HALTED."""
    out = await _manual(services).move_stop(
        body.ticker,
        stop_price=Decimal(body.stop_price),
        reason=body.reason,
        actor=ACTOR,
        allow_loosen=body.allow_loosen,
    )
    return out.summary()


@desk_routes.post(
    "/manual/cancel", tags=["manual"], response_model=DecisionSummary, dependencies=Trade
)
async def manual_cancel(body: ManualCancelRequest, services: ServicesDep) -> dict[str, Any]:
    """Cancel a working order of ours (not a protective stop); never while HALTED."""
    out = await _manual(services).cancel_order(
        body.client_order_id, reason=body.reason, actor=ACTOR
    )
    return out.summary()


@desk_routes.get("/tickers/{ticker}", tags=["market"], response_model=TickerInfo)
async def ticker_info(ticker: TickerPath, desk: DeskDep) -> dict[str, Any]:
    """Return a ticker's name and sector; UNKNOWN_TICKER (404) outside the market's universe."""
    return named(desk.provider, desk.pipeline.validate_ticker(ticker))


@desk_routes.get("/settings", tags=["ops"], response_model=SettingsOut)
async def settings_view(services: ServicesDep, settings: SettingsDep) -> dict[str, Any]:
    """Return the effective limits, analyst, model, budget and today's spend, market, broker,
    and the autopilot's schedule with each job's next run."""
    desk = services.desk
    now = desk.clock.now()
    jobs = []
    autopilot = services.autopilot
    for job in autopilot.jobs.values():
        started, due = job.last_started, autopilot.next_run(job)
        jobs.append(
            {
                "name": job.name,
                "interval_s": job.interval_s,
                "running": job.running,
                "runs": job.runs,
                "last_started": started.isoformat() if started else None,
                "next_run": due.isoformat() if due else None,
            }
        )
    budget = settings.llm_daily_budget_usd
    spent = await desk.store.llm_spend_since(ny_day_start(now))
    analyst = settings.strategy_provider.value if settings.strategy_provider else "rules"
    market = settings.market_provider.value if settings.market_provider else None
    return {
        "profile": settings.profile.value,
        "limits": desk.risk.limits.model_dump(mode="json"),
        "analyst": analyst,
        "model": settings.llm_model if analyst != "rules" else None,
        "daily_budget_usd": None if budget is None else str(budget),
        "spent_today_usd": str(spent),
        "market": market or desk.provider.source.value,
        "broker": settings.broker.value if settings.broker else type(desk.broker).__name__,
        "trading_state": (await desk.control.state()).value,
        "autopilot_enabled": "scan" in services.autopilot.jobs,
        "autopilot_running": services.autopilot.running,
        "jobs": jobs,
        "watchlist_size": len(await services.watchlist.current()),
        "now": now.isoformat(),
        "market_clock": "trades around the clock (simulated)"
        if desk.provider.source.value == "simulated"
        else "exchange sessions (New York)",
    }
