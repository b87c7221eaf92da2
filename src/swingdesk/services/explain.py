"""The provenance of one decision: what it saw, what it was told, what it did."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from swingdesk.domain.errors import InputError, NotFoundError
from swingdesk.services.context_views import context_record
from swingdesk.unit_of_work import DecisionArchive


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _money(value: Any) -> str | None:
    return None if value is None else str(value)


async def explain_decision(store: DecisionArchive, decision_id: str) -> dict[str, Any]:
    """Return the full record of a decision; NotFoundError when there is none."""
    try:
        canonical = str(UUID(decision_id.strip()))
    except ValueError as exc:
        raise InputError(f"not a decision id: {decision_id!r} (expected a UUID)") from exc
    rows = await store.decision_record(canonical)
    if rows is None:
        raise NotFoundError(f"no decision {canonical}", details={"decision_id": canonical})
    snap = rows.snapshot
    return {
        "decision": _decision_view(rows.decision),
        "market_snapshot": snap.payload if snap else None,
        "context": context_record(snap.payload) if snap else None,
        "strategy": None if rows.signal is None else _strategy_view(rows.signal),
        "risk": None if rows.verdict is None else _risk_view(rows.verdict, rows.checks),
        "orders": [_order_view(o, rows.statuses) for o in rows.orders],
        "fills": [_fill_view(f) for f in rows.fills],
        "audit": rows.audit,
    }


def _decision_view(decision: Any) -> dict[str, Any]:
    return {
        "decision_id": decision.decision_id,
        "ticker": decision.ticker,
        "trigger": decision.trigger,
        "status": decision.status,
        "failed_stage": decision.failed_stage,
        "error_code": decision.error_code,
        "error_message": decision.error_message,
        "created_at": _iso(decision.created_at),
        "updated_at": _iso(decision.updated_at),
    }


def _strategy_view(signal: Any) -> dict[str, Any]:
    return {
        "event_id": signal.event_id,
        "action": signal.action,
        "confidence": signal.confidence,
        "rationale": signal.rationale,
        "reason_code": signal.reason_code,
        "model": signal.model,
        "prompt_hash": signal.prompt_hash,
        "cache_hit": signal.cache_hit,
        "latency_ms": signal.latency_ms,
        "tokens_in": signal.tokens_in,
        "tokens_out": signal.tokens_out,
        "cost_usd": _money(signal.cost_usd),
        "feasible_actions": signal.payload.get("feasible_actions"),
        # A partial close: the fraction of the position the exit asked to sell.
        "close_fraction": signal.payload.get("close_fraction"),
        "views": signal.payload.get("views") or [],
        "prompt": signal.prompt,
        "raw_output": signal.raw_output,
        "ts_event": _iso(signal.ts_event),
    }


def _risk_view(verdict: Any, checks: Sequence[Any]) -> dict[str, Any]:
    return {
        "event_id": verdict.event_id,
        "approved": verdict.approved,
        "intent": verdict.intent,
        "qty": _money(verdict.qty),
        "stop_price": _money(verdict.stop_price),
        "reference_price": verdict.payload.get("reference_price"),
        "risk_dollars": verdict.payload.get("risk_dollars"),
        "checks": [
            {
                "code": c.code,
                "passed": c.passed,
                "value": c.value,
                "limit": c.limit,
                "message": c.message,
            }
            for c in checks
        ],
        "ts_event": _iso(verdict.ts_event),
    }


def _order_view(order: Any, statuses: Sequence[Any]) -> dict[str, Any]:
    return {
        "client_order_id": order.client_order_id,
        "broker_order_id": order.broker_order_id,
        "ticker": order.ticker,
        "side": order.side,
        "intent": order.intent,
        "qty": _money(order.qty),
        "type": order.type,
        "time_in_force": order.time_in_force,
        "stop_price": _money(order.stop_price),
        "status": order.status,
        "filled_qty": _money(order.filled_qty),
        "filled_avg_price": _money(order.filled_avg_price),
        "error_code": order.error_code,
        "message": order.message,
        "created_at": _iso(order.created_at),
        "status_history": [
            {"status": e.status, "ts": _iso(e.ts_event)}
            for e in statuses
            if e.client_order_id == order.client_order_id
        ],
    }


def _fill_view(fill: Any) -> dict[str, Any]:
    return {
        "fill_id": fill.fill_id,
        "client_order_id": fill.client_order_id,
        "side": fill.side,
        "qty": _money(fill.qty),
        "price": _money(fill.price),
        "commission": _money(fill.commission),
        "ts": _iso(fill.ts_event),
    }


def explain_json(record: dict[str, Any]) -> str:
    """Render an explain record as indented JSON."""
    return json.dumps(record, indent=2, default=str)
