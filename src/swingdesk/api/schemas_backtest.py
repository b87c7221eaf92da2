"""Request and response models of the backtest endpoints (OpenAPI contract)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, model_validator

from swingdesk.api.schemas import ErrorDetail, Money, Ticker, _Out

#: The most tickers one request may list (the shared S&P 500 set has 505).
MAX_TICKERS = 600


def _decimal_text(pattern: str) -> Callable[[object], object]:
    compiled = re.compile(pattern)

    def check(value: object) -> object:
        # Exactly what the schema says: a JSON number, or a string of this form (no
        # exponent, sign or spaces), never true/false.
        if isinstance(value, bool) or (isinstance(value, str) and not compiled.fullmatch(value)):
            raise ValueError(f"expected a number or a decimal string matching {pattern}")
        return value

    return check


def _amount_schema(pattern: str, number: dict[str, Any], description: str) -> WithJsonSchema:
    """Return the JSON Schema of a decimal field: a bounded number, or a string of a form."""
    return WithJsonSchema(
        {
            "anyOf": [{"type": "number", **number}, {"type": "string", "pattern": pattern}],
            "description": description,
        }
    )


def _date_text(value: object) -> object:
    # JSON has no dates: a YYYY-MM-DD string (format "date"), not a number of seconds.
    if isinstance(value, date) or (isinstance(value, str) and _DATE.fullmatch(value)):
        return value
    raise ValueError("expected a date as YYYY-MM-DD")


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CASH = r"^[1-9][0-9]{0,11}(\.[0-9]{1,8})?$"
_BPS = r"^[0-9]{1,3}(\.[0-9]{1,4})?$"
_COMMISSION = r"^[0-9]{1,6}(\.[0-9]{1,8})?$"
#: Starting cash: 0 < USD < 10^12 (as a string: 1 to 999999999999.99999999).
Cash = Annotated[
    Decimal,
    BeforeValidator(_decimal_text(_CASH)),
    _amount_schema(
        _CASH, {"exclusiveMinimum": 0, "exclusiveMaximum": 10**12}, "starting cash, USD"
    ),
]
#: Slippage: 0 to 1000 basis points (as a string: up to 999.9999).
Bps = Annotated[
    Decimal,
    BeforeValidator(_decimal_text(_BPS)),
    _amount_schema(_BPS, {"minimum": 0, "maximum": 1000}, "slippage, basis points"),
]
#: Commission: 0 to 10^6 USD per order (as a string: up to 999999.99999999).
Commission = Annotated[
    Decimal,
    BeforeValidator(_decimal_text(_COMMISSION)),
    _amount_schema(_COMMISSION, {"minimum": 0, "maximum": 10**6}, "commission, USD per order"),
]
Day = Annotated[date, BeforeValidator(_date_text)]


def _json_integer(value: object) -> object:
    # A JSON integer, which may be written 7.0; never a string or true/false.
    if isinstance(value, bool | str):
        raise ValueError("expected an integer")
    return value


Seed = Annotated[int, Field(ge=0, le=2**31 - 1), BeforeValidator(_json_integer)]


def _absent(name: str) -> dict[str, Any]:
    """JSON Schema for "property ``name`` is missing or null" (both mean "not given")."""
    return {"anyOf": [{"not": {"required": [name]}}, {"properties": {name: {"type": "null"}}}]}


#: Exactly one of ``tickers`` and ``universe`` (the model validator's rule, in the schema).
TICKERS_OR_UNIVERSE: dict[str, Any] = {
    "oneOf": [
        {
            "required": ["tickers"],
            "properties": {"tickers": {"type": "array"}},
            "allOf": [_absent("universe")],
        },
        {
            "required": ["universe"],
            "properties": {"universe": {"const": "all"}},
            "allOf": [_absent("tickers")],
        },
    ]
}


class BacktestRequest(BaseModel):
    """Replay ``start``..``end`` on the service's market data (CSV directory or simulated).

    Give exactly one of ``tickers`` and ``universe``.
    """

    model_config = ConfigDict(extra="forbid", json_schema_extra=TICKERS_OR_UNIVERSE)
    tickers: list[Ticker] | None = Field(
        default=None, min_length=1, max_length=MAX_TICKERS, examples=[["AAPL", "MSFT", "JPM"]]
    )
    universe: Literal["all"] | None = Field(
        default=None, description="'all': every ticker of the data instead of ``tickers``"
    )
    start: Day = Field(description="first session, YYYY-MM-DD", examples=["2023-01-03"])
    end: Day = Field(
        description="last session, YYYY-MM-DD, not before start",
        examples=["2024-12-31"],
    )
    strategy: Literal["rules", "crossover"] = Field(
        default="rules", description="the desk's rule analyst, or the SMA-20/50 crossover"
    )
    initial_cash: Cash = Field(
        default=Decimal(100_000), gt=0, lt=Decimal(10) ** 12, allow_inf_nan=False
    )
    slippage_bps: Bps = Field(default=Decimal(5), ge=0, le=1000, allow_inf_nan=False)
    commission: Commission = Field(
        default=Decimal(0), ge=0, le=Decimal(10) ** 6, allow_inf_nan=False
    )
    seed: Seed | None = Field(
        default=None,
        description="seed of the simulated market (simulated data only; default: the service's)",
    )  # fmt: skip

    @model_validator(mode="after")
    def _one_universe_and_ordered_dates(self) -> BacktestRequest:
        if (self.tickers is None) == (self.universe is None):
            raise ValueError("give exactly one of tickers and universe 'all'")
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class BacktestSummary(_Out):
    """The headline figures of a finished run and of its buy-and-hold benchmark."""

    total_return: float | None
    cagr: float | None
    sharpe: float | None
    max_drawdown: float | None
    trades: int
    final_equity: Money | None
    benchmark_total_return: float | None
    benchmark_cagr: float | None
    benchmark_sharpe: float | None
    benchmark_max_drawdown: float | None
    tickers: int = Field(description="tickers backtested")
    skipped: int = Field(description="tickers left out (too little history, bad data)")


class BacktestRunParams(_Out):
    """What a run was asked to do."""

    tickers: list[str] | None
    universe: Literal["all"] | None
    start: str
    end: str
    strategy: str
    initial_cash: Money
    slippage_bps: str
    commission: Money
    seed: int | None
    data_source: Literal["csv", "simulated"]


class BacktestRunOut(_Out):
    """One run: its state, parameters and, when done, its summary (or its error)."""

    run_id: str
    status: Literal["running", "done", "failed"]
    created_at: str
    finished_at: str | None
    params: BacktestRunParams
    summary: BacktestSummary | None
    error: ErrorDetail | None
    report_url: str | None = Field(description="the HTML report, once done")


class BacktestRunDetail(BacktestRunOut):
    """One run with its full result document (the ``--json`` output) once done."""

    result: dict[str, Any] | None


class BacktestRunsPage(_Out):
    items: list[BacktestRunOut]
    total: int
    limit: int
    offset: int
    next_offset: int | None
