"""Request and response models of the trading-day views: decisions explorer, trade journal,
manual actions, watchlist names and the settings view."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from swingdesk.api.schemas import Ticker

Money = str
#: A price as a decimal string (never a float): up to 7 digits and 4 decimals.
PRICE_PATTERN = r"^[0-9]{1,7}(\.[0-9]{1,4})?$"
CLIENT_ORDER_ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,48}$"


def _whole(value: object) -> object:
    """Take 26233.0 as the integer JSON Schema says it is; strings stay refused."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Shares = Annotated[int, Field(ge=1, le=100_000_000), BeforeValidator(_whole)]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _In(BaseModel):
    # Strict: a manual action takes exactly what the schema says (no "1" for 1, no 0 for false).
    model_config = ConfigDict(extra="forbid", strict=True)
    reason: str = Field(
        min_length=1,
        max_length=500,
        description="why (required; recorded in the audit journal)",
        examples=["taking profits before earnings"],
    )


# --- manual actions -----------------------------------------------------------------------


class ManualCloseRequest(_In):
    """Close a position at market, or ``qty`` whole shares of it."""

    ticker: Ticker
    qty: Shares | None = Field(default=None, description="shares to close; omit for all")


class ManualStopRequest(_In):
    """Move a position's protective stop; tighter only unless ``allow_loosen``."""

    ticker: Ticker
    stop_price: str = Field(pattern=PRICE_PATTERN, examples=["182.50"])
    allow_loosen: bool = Field(
        default=False, description="allow a stop below the current one (off by default)"
    )


class ManualCancelRequest(_In):
    """Cancel a working order of ours (protective stops move or close with their position)."""

    client_order_id: str = Field(pattern=CLIENT_ORDER_ID_PATTERN)


# --- decisions explorer -------------------------------------------------------------------


class DecisionRow(_Out):
    decision_id: str
    ticker: str
    trigger: str
    status: str
    created_at: str
    action: str | None
    confidence: float | None
    analyst: str | None = Field(description="the model or rule set that signed the signal")
    rationale: str | None
    reason_code: str | None
    cost_usd: Money | None
    approved: bool | None = Field(description="the risk verdict; null when risk never saw it")
    denial_codes: list[str]
    error_code: str | None
    manual: bool = Field(description="a person's manual action")


class DecisionsPage(_Out):
    items: list[DecisionRow]
    limit: int
    offset: int
    next_offset: int | None
    analysts: list[str] = Field(description="every analyst that has signed a decision")


# --- trade journal ------------------------------------------------------------------------


class TripOut(_Out):
    ticker: str
    sector: str | None
    qty: str
    entry_price: Money
    exit_price: Money
    opened_at: str
    closed_at: str
    holding_days: str
    pnl: Money
    r_multiple: str | None = Field(description="P&L in multiples of the risk to the initial stop")
    exit_reason: str = Field(description="stop, trend_exit, manual, partial or other")
    entry_decision_id: str | None
    exit_decision_id: str | None
    exit_client_order_id: str


class Tally(_Out):
    trades: int
    wins: int
    losses: int
    win_rate_pct: str | None
    pnl: Money
    avg_r: str | None
    total_r: str


class TickerTally(Tally):
    ticker: str


class SectorTally(Tally):
    sector: str


class DayPnl(_Out):
    date: str = Field(description="New York session date of the exits")
    pnl: Money
    trades: int


class JournalOut(_Out):
    trips: list[TripOut] = Field(description="closing orders, newest first")
    count: int
    totals: Tally
    by_ticker: list[TickerTally]
    by_sector: list[SectorTally]
    daily: list[DayPnl]


# --- watchlist and tickers ---------------------------------------------------------------


class TickerInfo(_Out):
    ticker: str
    name: str
    sector: str | None


# --- settings -----------------------------------------------------------------------------


class JobOut(_Out):
    name: str
    interval_s: float
    running: bool
    runs: int
    last_started: str | None
    next_run: str | None = Field(description="when the job runs next (estimated)")


class SettingsOut(_Out):
    """What the desk runs with, for the settings view (no secret)."""

    profile: str
    limits: dict[str, Any]
    analyst: str
    model: str | None
    daily_budget_usd: Money | None
    spent_today_usd: Money
    market: str
    broker: str
    trading_state: str
    autopilot_enabled: bool
    autopilot_running: bool
    jobs: list[JobOut]
    watchlist_size: int
    now: str = Field(description="the desk's clock")
    market_clock: str = Field(description="the market source's own clock (simulated or real)")
