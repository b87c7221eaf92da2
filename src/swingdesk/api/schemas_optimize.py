"""Request and response models of the optimisation endpoints (OpenAPI contract)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, model_validator

from swingdesk.api.schemas import ErrorDetail, Ticker, _Out
from swingdesk.api.schemas_backtest import (
    TICKERS_OR_UNIVERSE,
    Bps,
    Cash,
    Commission,
    Day,
    Seed,
    _json_integer,
)

#: The most tickers one optimisation may list.
MAX_OPT_TICKERS = 100
#: The most trials per walk-forward fold.
MAX_TRIALS = 500
#: A JSON integer (never a string or true/false).
Count = Annotated[int, BeforeValidator(_json_integer)]
Objective = Literal["sharpe", "sortino", "cagr", "max_drawdown", "profit_factor"]


class OptimizationRequest(BaseModel):
    """Tune a strategy's declared parameters walk-forward on the service's market data.

    Give exactly one of ``tickers`` and ``universe``. Only out-of-sample figures are the result.
    """

    model_config = ConfigDict(extra="forbid", json_schema_extra=TICKERS_OR_UNIVERSE)
    strategy: str = Field(
        default="rules",
        pattern=r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$",
        description="an installed strategy's name: 'rules', 'crossover' or an entry point "
        "of the swingdesk.strategies group (UNKNOWN_STRATEGY otherwise)",
    )
    tickers: list[Ticker] | None = Field(
        default=None, min_length=1, max_length=MAX_OPT_TICKERS, examples=[["AAPL", "MSFT"]]
    )
    universe: Literal["all"] | None = Field(
        default=None, description="'all': every ticker of the data instead of ``tickers``"
    )
    start: Day = Field(description="first session, YYYY-MM-DD", examples=["2022-01-03"])
    end: Day = Field(description="last session, YYYY-MM-DD, after start", examples=["2024-12-31"])
    objectives: list[Objective] = Field(
        default=["sharpe"],
        min_length=1,
        max_length=5,
        json_schema_extra={"uniqueItems": True},
        description="one objective, or several for a Pareto front (each at most once)",
    )
    trials: Count = Field(default=50, ge=1, le=MAX_TRIALS, description="trials per fold")
    folds: Count = Field(default=4, ge=1, le=10, description="walk-forward folds")
    is_ratio: Count = Field(
        default=3, ge=1, le=10, description="in-sample length in out-of-sample blocks"
    )
    mode: Literal["rolling", "anchored"] = "rolling"
    walk_forward: StrictBool = Field(
        default=True, description="false: one in-sample study over the whole range"
    )
    seed: Seed = Field(default=0, description="the sampler's seed (same seed, same trials)")
    initial_cash: Cash = Field(
        default=Decimal(100_000), gt=0, lt=Decimal(10) ** 12, allow_inf_nan=False
    )
    slippage_bps: Bps = Field(default=Decimal(5), ge=0, le=1000, allow_inf_nan=False)
    commission: Commission = Field(
        default=Decimal(0), ge=0, le=Decimal(10) ** 6, allow_inf_nan=False
    )

    @model_validator(mode="after")
    def _one_universe_ordered_dates_distinct_objectives(self) -> OptimizationRequest:
        if (self.tickers is None) == (self.universe is None):
            raise ValueError("give exactly one of tickers and universe 'all'")
        if self.end <= self.start:
            raise ValueError(f"end {self.end} is not after start {self.start}")
        if len(set(self.objectives)) != len(self.objectives):
            raise ValueError("an objective is named twice")
        return self


class OptimizationProgress(_Out):
    """Trials completed of all the folds, and the best first objective so far (in sample)."""

    done: int
    total: int
    best: float | None


class OptimizationSummary(_Out):
    """The headline out-of-sample figures of a finished optimisation."""

    trials: int
    folds: int
    oos_total_return: float | None
    oos_sharpe: float | None
    oos_max_drawdown: float | None
    deflated_sharpe_min: float
    sharpe_decay: float | None
    recommended_params: dict[str, Any]


class OptimizationRunParams(_Out):
    """What a run was asked to do."""

    strategy: str
    tickers: list[str] | None
    universe: Literal["all"] | None
    start: str
    end: str
    objectives: list[str]
    trials: int
    folds: int
    is_ratio: int
    mode: str
    walk_forward: bool
    seed: int
    initial_cash: str
    slippage_bps: str
    commission: str
    data_source: Literal["csv", "simulated"]


class OptimizationRunOut(_Out):
    """One run: its state, parameters, progress and, when done, its summary (or its error)."""

    run_id: str
    status: Literal["running", "done", "failed"]
    created_at: str
    finished_at: str | None
    params: OptimizationRunParams
    progress: OptimizationProgress | None
    summary: OptimizationSummary | None
    error: ErrorDetail | None
    report_url: str | None = Field(description="the HTML report, once done")


class OptimizationRunDetail(OptimizationRunOut):
    """One run with its report document once done: folds (trials, Pareto front, parameter
    importance), the stitched out-of-sample equity and the overfitting figures."""

    result: dict[str, Any] | None


class OptimizationRunsPage(_Out):
    items: list[OptimizationRunOut]
    total: int
    limit: int
    offset: int
    next_offset: int | None
