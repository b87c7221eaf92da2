"""The backtest routes: start (trade key), list, read one, its HTML report, delete (trade)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response

from swingdesk.api import routes_runs as runs
from swingdesk.api.deps import ServicesDep, Trade, require_read
from swingdesk.api.errors import ERROR_RESPONSES
from swingdesk.api.schemas import UUID_PATTERN, ErrorResponse
from swingdesk.api.schemas_backtest import (
    BacktestRequest,
    BacktestRunDetail,
    BacktestRunOut,
    BacktestRunsPage,
)
from swingdesk.backtest.jobs import BacktestSpec
from swingdesk.store.backtests import BacktestRun

PREFIX = "/api/backtests"
backtests = APIRouter(
    prefix=PREFIX,
    tags=["backtests"],
    dependencies=[Depends(require_read)],
    responses=ERROR_RESPONSES,
)
RunId = Annotated[str, Path(pattern=UUID_PATTERN, json_schema_extra={"format": "uuid"})]


def run_out(run: BacktestRun) -> dict[str, Any]:
    """Return a run as the API shows it (without the result document)."""
    return runs.run_out(run, PREFIX)


@backtests.post(
    "",
    status_code=202,
    response_model=BacktestRunOut,
    dependencies=Trade,
    responses={
        409: {
            "model": ErrorResponse,
            "description": "a backtest is already running (BACKTEST_RUNNING)",
        }
    },
)
async def start_backtest(body: BacktestRequest, services: ServicesDep) -> dict[str, Any]:
    """Start a backtest on the service's data (CSV directory, else the simulated market).

    One runs at a time, in a separate process; poll ``GET /api/backtests/{run_id}``.
    """
    spec = BacktestSpec(
        tickers=tuple(body.tickers) if body.tickers is not None else None,
        universe_all=body.universe == "all",
        start=body.start,
        end=body.end,
        strategy=body.strategy,
        initial_cash=body.initial_cash,
        slippage_bps=body.slippage_bps,
        commission=body.commission,
        seed=body.seed,
    )
    return run_out(await services.backtests.start(spec))


@backtests.get("", response_model=BacktestRunsPage)
async def list_backtests(
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=200, description="page size")] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="items to skip")] = 0,
) -> dict[str, Any]:
    """Return backtest runs, newest first, with status, parameters and summary (or error)."""
    found, total = await services.backtests.runs.page(limit=limit, offset=offset)
    return runs.runs_page([run_out(r) for r in found], total, limit, offset)


@backtests.get("/{run_id}", response_model=BacktestRunDetail)
async def get_backtest(run_id: RunId, services: ServicesDep) -> Response:
    """Return one run and, once done, its full result document (as ``--json`` writes it)."""
    run = await services.backtests.runs.get(run_id, with_result=True)
    if run is None:
        raise runs.not_found("backtest", run_id)
    return runs.with_result(run_out(run), run)


@backtests.delete(
    "/{run_id}",
    status_code=204,
    response_class=Response,
    dependencies=Trade,
    responses={
        204: {"description": "deleted, with its result and report"},
        409: {"model": ErrorResponse, "description": "the run is still running (BACKTEST_RUNNING)"},
    },
)
async def delete_backtest(run_id: RunId, services: ServicesDep) -> Response:
    """Delete a finished run with its result document and report (trade key)."""
    if not await services.backtests.delete(run_id):
        raise runs.not_found("backtest", run_id)
    return Response(status_code=204)


@backtests.get(
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
async def backtest_report(run_id: RunId, services: ServicesDep) -> Response:
    """Return the run's self-contained HTML report (inline styles and SVG, no script)."""
    found = await services.backtests.runs.report(run_id)
    return runs.report_response(found, "backtest", run_id)
