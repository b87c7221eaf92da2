"""Request and response models of the backtest endpoints (OpenAPI contract)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from swingdesk.api.schemas import ErrorDetail, Money, _Out

#: The most tickers one request may list (the shared S&P 500 set has 505).
MAX_TICKERS = 600


class BacktestRequest(BaseModel):
    """Replay ``start``..``end`` on the service's market data (CSV directory or simulated)."""

    model_config = ConfigDict(extra="forbid")
    tickers: list[str] | None = Field(
        default=None, min_length=1, max_length=MAX_TICKERS, examples=[["AAPL", "MSFT", "JPM"]]
    )
    universe: Literal["all"] | None = Field(
        default=None, description="'all': every ticker of the data instead of ``tickers``"
    )
    start: date = Field(description="first session, YYYY-MM-DD", examples=["2023-01-03"])
    end: date = Field(description="last session, YYYY-MM-DD", examples=["2024-12-31"])
    strategy: Literal["rules", "crossover"] = Field(
        default="rules", description="the desk's rule analyst, or the SMA-20/50 crossover"
    )
    initial_cash: Decimal = Field(
        default=Decimal(100_000), gt=0, le=Decimal(10) ** 12, allow_inf_nan=False,
        description="starting cash, USD",
    )  # fmt: skip
    slippage_bps: Decimal = Field(
        default=Decimal(5), ge=0, le=1000, allow_inf_nan=False, description="basis points"
    )
    commission: Decimal = Field(
        default=Decimal(0), ge=0, le=Decimal(10) ** 6, allow_inf_nan=False,
        description="USD per order",
    )  # fmt: skip
    seed: int | None = Field(
        default=None, ge=0, le=2**31 - 1,
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
