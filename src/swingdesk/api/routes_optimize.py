"""The optimisation routes: start (trade key), list, read one with progress, its HTML report."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response

from swingdesk.api.deps import ServicesDep, Trade, require_read
from swingdesk.api.errors import ERROR_RESPONSES
from swingdesk.api.routes_backtest import REPORT_CSP
from swingdesk.api.schemas import UUID_PATTERN, ErrorResponse
from swingdesk.api.schemas_optimize import (
    OptimizationRequest,
    OptimizationRunDetail,
    OptimizationRunOut,
    OptimizationRunsPage,
)
from swingdesk.backtest.jobs import ReportNotReadyError
from swingdesk.domain.errors import NotFoundError
from swingdesk.optimize.jobs import OptimizationService, OptimizeSpec
from swingdesk.store.backtests import DONE, BacktestRun

optimizations = APIRouter(
    prefix="/api/optimizations",
    tags=["optimizations"],
    dependencies=[Depends(require_read)],
    responses=ERROR_RESPONSES,
)
RunId = Annotated[str, Path(pattern=UUID_PATTERN, json_schema_extra={"format": "uuid"})]


def run_out(run: BacktestRun, service: OptimizationService) -> dict[str, Any]:
    """Return a run as the API shows it (without the result document)."""
    error = None
    if run.error_code is not None:
        error = {"code": run.error_code, "message": run.error_message or "", "details": None}
    return {
        "run_id": run.run_id,
        "status": run.status,
        "created_at": run.created_at.isoformat(),
        "finished_at": None if run.finished_at is None else run.finished_at.isoformat(),
        "params": run.params,
        "progress": service.progress_of(run),
        "summary": run.summary,
        "error": error,
        "report_url": f"/api/optimizations/{run.run_id}/report" if run.status == DONE else None,
    }


def _not_found(run_id: str) -> NotFoundError:
    return NotFoundError(f"no optimisation run {run_id!r}")


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
    runs, total = await service.runs.page(limit=limit, offset=offset)
    return {
        "items": [run_out(r, service) for r in runs],
        "total": total,
        "limit": limit,
        "offset": offset,
        "next_offset": offset + limit if offset + limit < total else None,
    }


@optimizations.get("/{run_id}", response_model=OptimizationRunDetail)
async def get_optimization(run_id: RunId, services: ServicesDep) -> Response:
    """Return one run with its progress and, once done, its report document."""
    service = services.optimizations
    run = await service.runs.get(run_id, with_result=True)
    if run is None:
        raise _not_found(run_id)
    head = json.dumps(run_out(run, service))
    # The stored document is spliced in as it is: no parse and re-encode of a large JSON.
    body = f'{head[:-1]}, "result": {run.result_json or "null"}}}'
    return Response(body, media_type="application/json")


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
    if found is None:
        raise _not_found(run_id)
    status, html = found
    if status != DONE or html is None:
        raise ReportNotReadyError(f"optimisation {run_id} is {status}: it has no report")
    return Response(
        html,
        media_type="text/html; charset=utf-8",
        headers={"Content-Security-Policy": REPORT_CSP, "X-Content-Type-Options": "nosniff"},
    )
