"""The optimisation routes: start (trade key), list, read one with progress, its HTML report,
delete (trade key)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response

from swingdesk.api import routes_runs as runs
from swingdesk.api.deps import ServicesDep, Trade, require_read
from swingdesk.api.errors import ERROR_RESPONSES
from swingdesk.api.schemas import UUID_PATTERN, ErrorResponse
from swingdesk.api.schemas_optimize import (
    OptimizationRequest,
    OptimizationRunDetail,
    OptimizationRunOut,
    OptimizationRunsPage,
)
from swingdesk.optimize.jobs import OptimizationService, OptimizeSpec
from swingdesk.store.backtests import BacktestRun

PREFIX = "/api/optimizations"
optimizations = APIRouter(
    prefix=PREFIX,
    tags=["optimizations"],
    dependencies=[Depends(require_read)],
    responses=ERROR_RESPONSES,
)
RunId = Annotated[str, Path(pattern=UUID_PATTERN, json_schema_extra={"format": "uuid"})]


def run_out(run: BacktestRun, service: OptimizationService) -> dict[str, Any]:
    """Return a run as the API shows it (without the result document), with its progress."""
    return runs.run_out(run, PREFIX, progress=service.progress_of(run))


@optimizations.post(
    "",
    status_code=202,
    response_model=OptimizationRunOut,
    dependencies=Trade,
    responses={
        409: {
            "model": ErrorResponse,
            "description": "an optimisation is already running (OPTIMIZATION_RUNNING)",
        }
    },
)
async def start_optimization(body: OptimizationRequest, services: ServicesDep) -> dict[str, Any]:
    """Start a walk-forward optimisation on the service's data (CSV directory or simulated).

    Everything is checked before the 202 (UNKNOWN_STRATEGY, UNKNOWN_TICKER,
    DATE_OUT_OF_RANGE, too few sessions for the folds, OPTIMIZATION_TOO_LARGE). One runs at a
    time, in a separate process; poll ``GET /api/optimizations/{run_id}`` for its progress.
    """
    spec = OptimizeSpec(
        strategy=body.strategy,
        tickers=tuple(body.tickers) if body.tickers is not None else None,
        universe_all=body.universe == "all",
        start=body.start,
        end=body.end,
        objectives=tuple(body.objectives),
        trials=body.trials,
        folds=body.folds,
        is_ratio=body.is_ratio,
        mode=body.mode,
        walk_forward=body.walk_forward,
        seed=body.seed,
        initial_cash=body.initial_cash,
        slippage_bps=body.slippage_bps,
        commission=body.commission,
    )
    service = services.optimizations
    return run_out(await service.start(spec), service)


@optimizations.get("", response_model=OptimizationRunsPage)
async def list_optimizations(
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=200, description="page size")] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="items to skip")] = 0,
) -> dict[str, Any]:
    """Return optimisation runs, newest first, with status, progress and summary (or error)."""
    service = services.optimizations
    found, total = await service.runs.page(limit=limit, offset=offset)
    return runs.runs_page([run_out(r, service) for r in found], total, limit, offset)


@optimizations.get("/{run_id}", response_model=OptimizationRunDetail)
async def get_optimization(run_id: RunId, services: ServicesDep) -> Response:
    """Return one run with its progress and, once done, its report document."""
    service = services.optimizations
    run = await service.runs.get(run_id, with_result=True)
    if run is None:
        raise runs.not_found("optimisation", run_id)
    return runs.with_result(run_out(run, service), run)


@optimizations.delete(
    "/{run_id}",
    status_code=204,
    response_class=Response,
    dependencies=Trade,
    responses={
        204: {"description": "deleted, with its result and report"},
        409: {
            "model": ErrorResponse,
            "description": "the run is still running (OPTIMIZATION_RUNNING)",
        },
    },
)
async def delete_optimization(run_id: RunId, services: ServicesDep) -> Response:
    """Delete a finished run with its result document and report (trade key)."""
    if not await services.optimizations.delete(run_id):
        raise runs.not_found("optimisation", run_id)
    return Response(status_code=204)


@optimizations.get(
    "/{run_id}/report",
    response_class=Response,
    responses={
        200: {"content": {"text/html": {"schema": {"type": "string"}}}},
        409: {
            "model": ErrorResponse,
            "description": "the run has not finished, or failed (REPORT_NOT_READY)",
        },
    },
)
async def optimization_report(run_id: RunId, services: ServicesDep) -> Response:
    """Return the run's self-contained HTML report (inline styles and SVG, no script)."""
    found = await services.optimizations.runs.report(run_id)
    return runs.report_response(found, "optimisation", run_id)
