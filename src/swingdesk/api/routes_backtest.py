"""The backtest routes: start (trade key), list, read one, its HTML report, delete (trade)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response

from swingdesk.api.deps import ServicesDep, Trade, require_read
from swingdesk.api.errors import ERROR_RESPONSES
from swingdesk.api.schemas import UUID_PATTERN, ErrorResponse
from swingdesk.api.schemas_backtest import (
    BacktestRequest,
    BacktestRunDetail,
    BacktestRunOut,
    BacktestRunsPage,
)
from swingdesk.backtest.jobs import BacktestSpec, ReportNotReadyError
from swingdesk.domain.errors import NotFoundError
from swingdesk.store.backtests import DONE, BacktestRun

backtests = APIRouter(
    prefix="/api/backtests",
    tags=["backtests"],
    dependencies=[Depends(require_read)],
    responses=ERROR_RESPONSES,
)
RunId = Annotated[str, Path(pattern=UUID_PATTERN, json_schema_extra={"format": "uuid"})]
#: The report is inline styles and inline SVG: nothing else may load or run.
REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


def run_out(run: BacktestRun) -> dict[str, Any]:
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
        "summary": run.summary,
        "error": error,
        "report_url": f"/api/backtests/{run.run_id}/report" if run.status == DONE else None,
    }


def _not_found(run_id: str) -> NotFoundError:
    return NotFoundError(f"no backtest run {run_id!r}")


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
    runs, total = await services.backtests.runs.page(limit=limit, offset=offset)
    return {
        "items": [run_out(r) for r in runs],
        "total": total,
        "limit": limit,
        "offset": offset,
        "next_offset": offset + limit if offset + limit < total else None,
    }


@backtests.get("/{run_id}", response_model=BacktestRunDetail)
async def get_backtest(run_id: RunId, services: ServicesDep) -> Response:
    """Return one run and, once done, its full result document (as ``--json`` writes it)."""
    run = await services.backtests.runs.get(run_id, with_result=True)
    if run is None:
        raise _not_found(run_id)
    head = json.dumps(run_out(run))
    # The stored document is spliced in as it is: no parse and re-encode of a large JSON.
    body = f'{head[:-1]}, "result": {run.result_json or "null"}}}'
    return Response(body, media_type="application/json")


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
        raise _not_found(run_id)
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
    if found is None:
        raise _not_found(run_id)
    status, html = found
    if status != DONE or html is None:
        raise ReportNotReadyError(f"backtest {run_id} is {status}: it has no report")
    return Response(
        html,
        media_type="text/html; charset=utf-8",
        headers={"Content-Security-Policy": REPORT_CSP, "X-Content-Type-Options": "nosniff"},
    )
