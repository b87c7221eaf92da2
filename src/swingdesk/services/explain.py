"""The provenance of one decision: what it saw, what it was told, what it did."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from sqlalchemy import select

from swingdesk.domain.errors import InputError, NotFoundError
from swingdesk.services.context_views import context_record
from swingdesk.store import tables as t
from swingdesk.store.audit import audit_payload
from swingdesk.store.store import Store


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _money(value: Any) -> str | None:
    return None if value is None else str(value)


async def explain_decision(store: Store, decision_id: str) -> dict[str, Any]:
    """Return the full record of a decision; NotFoundError when there is none."""
    try:
        did = str(UUID(decision_id.strip()))
    except ValueError as exc:
        raise InputError(f"not a decision id: {decision_id!r} (expected a UUID)") from exc
    async with store.read() as s:
        decision = await s.get(t.DecisionRow, did)
        if decision is None:
            raise NotFoundError(f"no decision {did}", details={"decision_id": did})
        snap = await s.scalar(select(t.SnapshotRow).where(t.SnapshotRow.decision_id == did))
        signal = await s.scalar(select(t.SignalRow).where(t.SignalRow.decision_id == did))
        verdict = await s.scalar(
            select(t.RiskVerdictRow).where(t.RiskVerdictRow.decision_id == did)
        )
        checks = []
        if verdict is not None:
            checks = list(
                (
                    await s.scalars(
                        select(t.RiskCheckRow)
                        .where(t.RiskCheckRow.verdict_id == verdict.event_id)
                        .order_by(t.RiskCheckRow.position)
                    )
                ).all()
            )
        orders = list(
            (
                await s.scalars(
                    select(t.OrderRow)
                    .where(t.OrderRow.decision_id == did)
                    .order_by(t.OrderRow.created_at)
                )
            ).all()
        )
        order_ids = [o.client_order_id for o in orders]
        statuses = (
            list(
                (
                    await s.scalars(
                        select(t.OrderEventRow)
                        .where(t.OrderEventRow.client_order_id.in_(order_ids))
                        .order_by(t.OrderEventRow.ts_event)
                    )
                ).all()
            )
            if order_ids
            else []
        )
        fills = (
            list(
                (
                    await s.scalars(
                        select(t.FillRow)
                        .where(t.FillRow.client_order_id.in_(order_ids))
                        .order_by(t.FillRow.ts_event)
                    )
                ).all()
            )
            if order_ids
            else []
        )
        audits = list(
            (
                await s.scalars(
                    select(t.AuditRow).where(t.AuditRow.decision_id == did).order_by(t.AuditRow.seq)
                )
            ).all()
        )
    return {
        "decision": {
            "decision_id": did,
            "ticker": decision.ticker,
            "trigger": decision.trigger,
            "status": decision.status,
            "failed_stage": decision.failed_stage,
            "error_code": decision.error_code,
            "error_message": decision.error_message,
            "created_at": _iso(decision.created_at),
            "updated_at": _iso(decision.updated_at),
        },
        "market_snapshot": snap.payload if snap else None,
        "context": context_record(snap.payload) if snap else None,
        "strategy": None
        if signal is None
        else {
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
        },
        "risk": None
        if verdict is None
        else {
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
        },
        "orders": [
            {
                "client_order_id": o.client_order_id,
                "broker_order_id": o.broker_order_id,
                "ticker": o.ticker,
                "side": o.side,
                "intent": o.intent,
                "qty": _money(o.qty),
                "type": o.type,
                "time_in_force": o.time_in_force,
                "stop_price": _money(o.stop_price),
                "status": o.status,
                "filled_qty": _money(o.filled_qty),
                "filled_avg_price": _money(o.filled_avg_price),
                "error_code": o.error_code,
                "message": o.message,
                "created_at": _iso(o.created_at),
                "status_history": [
                    {"status": e.status, "ts": _iso(e.ts_event)}
                    for e in statuses
                    if e.client_order_id == o.client_order_id
                ],
            }
            for o in orders
        ],
        "fills": [
            {
                "fill_id": f.fill_id,
                "client_order_id": f.client_order_id,
                "side": f.side,
                "qty": _money(f.qty),
                "price": _money(f.price),
                "commission": _money(f.commission),
                "ts": _iso(f.ts_event),
            }
            for f in fills
        ],
        "audit": [audit_payload(a) for a in audits],
    }


def explain_json(record: dict[str, Any]) -> str:
    """Render an explain record as indented JSON."""
    return json.dumps(record, indent=2, default=str)
