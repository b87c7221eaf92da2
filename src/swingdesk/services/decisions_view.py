"""The decisions explorer: every decision with its signal, verdict and denial codes, filtered
and paged in the database (``unit_of_work.ReadViews``)."""

from __future__ import annotations

from typing import Any

from swingdesk.unit_of_work import DecisionFilter, DecisionLine, ReadViews

__all__ = ["DecisionFilter", "analysts", "decisions_page"]


def _item(line: DecisionLine) -> dict[str, Any]:
    return {
        "decision_id": line.decision_id,
        "ticker": line.ticker,
        "trigger": line.trigger,
        "status": line.status,
        "created_at": line.created_at.isoformat(),
        "action": line.action,
        "confidence": line.confidence,
        "analyst": line.analyst,
        "rationale": line.rationale,
        "reason_code": line.reason_code,
        "cost_usd": None if line.cost_usd is None else str(line.cost_usd),
        "approved": line.approved,
        "denial_codes": list(line.denial_codes),
        "error_code": line.error_code,
        "manual": line.trigger == "manual",
    }


async def decisions_page(
    reads: ReadViews, f: DecisionFilter, *, limit: int, offset: int
) -> dict[str, Any]:
    """Return decisions newest first, one page, with the offset of the next."""
    lines = await reads.decisions(f, offset=offset, limit=limit + 1)
    return {
        "items": [_item(line) for line in lines[:limit]],
        "limit": limit,
        "offset": offset,
        "next_offset": offset + limit if len(lines) > limit else None,
    }


async def analysts(reads: ReadViews) -> list[str]:
    """Return the analysts (models) that have signed a decision, for the explorer's filter."""
    return await reads.analysts()
