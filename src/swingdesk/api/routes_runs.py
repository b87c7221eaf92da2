"""What the backtest and optimisation routes share: a run as the API shows it, a page of runs,
one run with its stored result spliced in, and its HTML report."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Response

from swingdesk.backtest.jobs import ReportNotReadyError
from swingdesk.domain.errors import NotFoundError
from swingdesk.store.backtests import DONE, BacktestRun

#: The report is inline styles and inline SVG: nothing else may load or run.
REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


def run_out(run: BacktestRun, prefix: str, **extra: Any) -> dict[str, Any]:
    """Return a run as the API shows it under ``prefix`` (without the result document);
    ``extra`` adds what one kind of run shows beside it (an optimisation's progress)."""
    error = None
    if run.error_code is not None:
        error = {"code": run.error_code, "message": run.error_message or "", "details": None}
    return {
        "run_id": run.run_id,
        "status": run.status,
        "created_at": run.created_at.isoformat(),
        "finished_at": None if run.finished_at is None else run.finished_at.isoformat(),
        "params": run.params,
        **extra,
        "summary": run.summary,
        "error": error,
        "report_url": f"{prefix}/{run.run_id}/report" if run.status == DONE else None,
    }


def runs_page(items: list[dict[str, Any]], total: int, limit: int, offset: int) -> dict[str, Any]:
    """Return one page of runs with what the next page needs."""
    return {
        "items": items,
        "total": total,
        "limit": limit,
        "offset": offset,
        "next_offset": offset + limit if offset + limit < total else None,
    }


def not_found(what: str, run_id: str) -> NotFoundError:
    """Return the 404 for a run that does not exist."""
    return NotFoundError(f"no {what} run {run_id!r}")


def with_result(head: dict[str, Any], run: BacktestRun) -> Response:
    """Return ``head`` with the run's stored result document under ``result``."""
    text = json.dumps(head)
    # The stored document is spliced in as it is: no parse and re-encode of a large JSON.
    return Response(
        f'{text[:-1]}, "result": {run.result_json or "null"}}}', media_type="application/json"
    )


def report_response(found: tuple[str, str | None] | None, what: str, run_id: str) -> Response:
    """Return a run's self-contained HTML report; 404 without the run, 409 before it is done."""
    if found is None:
        raise not_found(what, run_id)
    status, html = found
    if status != DONE or html is None:
        raise ReportNotReadyError(f"{what} {run_id} is {status}: it has no report")
    return Response(
        html,
        media_type="text/html; charset=utf-8",
        headers={"Content-Security-Policy": REPORT_CSP, "X-Content-Type-Options": "nosniff"},
    )
