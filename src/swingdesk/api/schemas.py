"""Request and response models: the API's documented contract (OpenAPI)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from swingdesk.api.schemas_context import MarketContextOut

Money = str  # decimal strings: money never passes through a float
#: The tickers the desk accepts (domain/ticker.py): 1-5 letters in either case, optionally a
#: share class, spaces around allowed (trimmed). In the schema so that clients know it; a
#: mismatch is answered INVALID_TICKER.
TICKER_PATTERN = r"^ *[A-Za-z]{1,5}(\.[A-Za-z])? *$"
#: A ticker filter: a ticker, or empty for none.
TICKER_FILTER_PATTERN = r"^( *[A-Za-z]{1,5}(\.[A-Za-z])? *)?$"
#: A UUID in its canonical hyphenated form (decision and backtest run ids).
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
Ticker = Annotated[str, Field(min_length=1, pattern=TICKER_PATTERN, examples=["AAPL"])]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- requests ------------------------------------------------------------------------


class TriggerRequest(BaseModel):
    """Run one decision."""

    model_config = ConfigDict(extra="forbid")
    ticker: Ticker


class ReasonRequest(BaseModel):
    """A trading-state change and why."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500, examples=["FOMC day"])


class ScanRequest(BaseModel):
    """Scan these tickers now (default: the watchlist)."""

    model_config = ConfigDict(extra="forbid")
    tickers: list[Ticker] | None = Field(default=None, max_length=100, examples=[["AAPL", "MSFT"]])


class WatchlistRequest(BaseModel):
    """The autopilot's new watchlist."""

    model_config = ConfigDict(extra="forbid")
    tickers: list[Ticker] = Field(max_length=100, examples=[["AAPL", "MSFT", "NVDA"]])


# --- errors and ops --------------------------------------------------------------------


class ErrorDetail(_Out):
    code: str = Field(examples=["INVALID_TICKER"])
    message: str
    details: Any | None = None


class ErrorResponse(_Out):
    """Every failing response."""

    error: ErrorDetail


class Health(_Out):
    status: str
    version: str


class Readiness(_Out):
    status: str
    checks: dict[str, str]


class StreamToken(_Out):
    token: str
    expires_at: int = Field(description="Unix seconds")
    ttl_s: int
    usage: str


# --- decisions -------------------------------------------------------------------------


class CheckOut(_Out):
    code: str
    passed: bool
    value: str | None
    limit: str | None
    message: str


class SignalSummary(_Out):
    action: str
    confidence: float
    rationale: str
    reason_code: str | None


class RiskSummary(_Out):
    approved: bool
    violations: list[dict[str, Any]]
    checks: list[CheckOut]
    shares: str | None
    stop_price: str | None


class OrderSummary(_Out):
    client_order_id: str
    side: str
    qty: str
    status: str
    filled_qty: str
    filled_avg_price: str | None


class StageError(_Out):
    stage: str | None
    code: str
    message: str | None


class DecisionSummary(_Out):
    """What one decision did."""

    decision_id: str
    ticker: str
    status: str
    signal: SignalSummary | None
    risk: RiskSummary | None
    order: OrderSummary | None
    error: StageError | None


class DecisionRecord(_Out):
    """The full provenance of one decision (see `swingdesk explain`)."""

    decision: dict[str, Any]
    market_snapshot: dict[str, Any] | None
    context: MarketContextOut | None = Field(
        default=None, description="fundamentals, headlines with scores and the aggregate"
    )
    strategy: dict[str, Any] | None
    risk: dict[str, Any] | None
    orders: list[dict[str, Any]]
    fills: list[dict[str, Any]]
    audit: list[dict[str, Any]]


class ScanResult(_Out):
    """One scan's decisions, in watchlist order."""

    trigger: str
    started_at: str
    finished_at: str
    duration_ms: float
    concurrency: int
    tickers: list[str]
    counts: dict[str, int]
    results: list[dict[str, Any]]


class WatchlistItem(_Out):
    ticker: str
    name: str
    sector: str | None


class Watchlist(_Out):
    tickers: list[str] = Field(description="in scan order")
    items: list[WatchlistItem] = Field(description="the same tickers with names and sectors")


class TradingStateOut(_Out):
    event_id: str
    decision_id: str | None = None
    ts_event: str
    kind: str
    previous: str
    current: str
    reason: str
    actor: str
    cause: str | None = Field(
        default=None, description="a stable code when the desk changed the state itself"
    )


# --- portfolio and risk ---------------------------------------------------------------


class PositionOut(_Out):
    ticker: str
    qty: str
    avg_price: Money
    market_price: Money
    market_value: Money
    unrealized_pnl: Money
    pct_of_equity: str | None
    sector: str | None
    stop_price: Money | None


class Portfolio(_Out):
    as_of: str
    trading_state: str
    equity: Money
    cash: Money
    buying_power: Money
    high_water_mark: Money
    start_of_day_equity: Money
    day_pnl: Money
    drawdown_pct: str
    positions: list[PositionOut]


class Positions(_Out):
    as_of: str
    positions: list[PositionOut]


class Exposure(_Out):
    market_value: Money
    pct_of_equity: str | None
    limit_pct: str
    ticker: str | None = None
    sector: str | None = None


class RiskOut(_Out):
    as_of: str
    trading_state: str
    equity: Money
    drawdown_pct: str
    max_drawdown_pct: str
    day_pnl: Money
    day_loss_pct: str
    max_daily_loss_pct: str
    limits: dict[str, Any]
    tickers: list[Exposure]
    sectors: list[Exposure]
    largest_position_pct: str | None = Field(
        description="the largest position as % of equity (null without positions)"
    )
    vix: str | None = Field(description="the latest VIX the market data knows (null if unknown)")
    max_vix: str
    denials_today: dict[str, int] = Field(
        description="today's risk denials (New York session day) by code, each counted under "
        "the failed checks of its first failing stage: desk, market, trade"
    )


class EquityPoint(_Out):
    ts: str
    equity: Money
    cash: Money
    high_water_mark: Money


class EquityHistory(_Out):
    points: list[EquityPoint] = Field(description="account marks, oldest first")


# --- pages -----------------------------------------------------------------------------


class OrderOut(_Out):
    client_order_id: str
    broker_order_id: str | None
    decision_id: str | None
    ticker: str
    side: str
    intent: str
    qty: str
    type: str
    time_in_force: str
    stop_price: Money | None
    status: str
    filled_qty: str
    filled_avg_price: Money | None
    external: bool
    error_code: str | None
    message: str | None
    created_at: str
    updated_at: str


class OrdersPage(_Out):
    items: list[OrderOut]
    limit: int
    offset: int
    next_offset: int | None


class AuditEntry(_Out):
    seq: int
    entry_id: str
    ts: str
    kind: str
    decision_id: str | None
    actor: str
    message: str
    payload: Any


class AuditPage(_Out):
    items: list[AuditEntry]
    limit: int
    next_before_seq: int | None


class Insight(_Out):
    event_id: str
    decision_id: str
    ticker: str
    action: str
    confidence: float
    rationale: str
    reason_code: str | None
    model: str
    latency_ms: float
    tokens_in: int
    tokens_out: int
    cost_usd: Money
    cache_hit: bool
    ts_event: str


class InsightsPage(_Out):
    items: list[Insight]
    limit: int
    offset: int
    next_offset: int | None


class SnapshotOut(_Out):
    snapshot_id: int
    decision_id: str | None
    ticker: str
    price: Money | None
    source: str
    as_of: str
    taken_at: str
    snapshot: dict[str, Any]


class SnapshotsPage(_Out):
    items: list[SnapshotOut]
    limit: int
    offset: int
    next_offset: int | None


class Deleted(_Out):
    deleted: int


class Bar(_Out):
    date: str
    open: float | None
    high: float | None
    low: float | None
    close: float | None
    volume: float | None
    sma_20: float | None
    sma_50: float | None


class MarketHistory(_Out):
    ticker: str
    source: str
    as_of: str
    bars: list[Bar]


class ConfigOut(_Out):
    """The effective settings, secrets removed."""

    model_config = ConfigDict(extra="allow")
    profile: str
    autopilot: dict[str, Any]
