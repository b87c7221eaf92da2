"""The fields an order is first stored with, one definition for every implementation of the
port (the SQLAlchemy store's rows and the in-memory store's records are built from them)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from swingdesk.domain.enums import Intent, OrderStatus
from swingdesk.domain.events import OrderRequest
from swingdesk.unit_of_work.records import ReportedOrder


def new_order_fields(req: OrderRequest) -> dict[str, Any]:
    """Return an order of ours as stored before the broker hears of it: NEW, nothing filled."""
    return {
        "client_order_id": req.client_order_id,
        "decision_id": str(req.decision_id),
        "parent_client_order_id": None,
        "notional": None,
        "ticker": req.ticker,
        "side": req.side.value,
        "intent": req.intent.value,
        "qty": req.qty,
        "type": req.type.value,
        "time_in_force": req.time_in_force.value,
        "stop_price": req.stop_price,
        "reference_price": req.reference_price,
        "status": OrderStatus.NEW.value,
        "filled_qty": Decimal(0),
        "filled_avg_price": None,
        "broker_order_id": None,
        "external": False,
        "created_at": req.ts_event,
        "updated_at": req.ts_event,
    }


def reported_order_fields(
    order: ReportedOrder,
    *,
    decision_id: str | None,
    intent: Intent,
    external: bool,
    now: datetime,
    parent_client_order_id: str | None,
) -> dict[str, Any]:
    """Return an order we learnt of from the broker (a stop leg, or an external order) as
    stored: an external one with the broker's fills, one of ours with none booked yet."""
    return {
        "client_order_id": order.client_order_id,
        "decision_id": decision_id,
        "parent_client_order_id": parent_client_order_id,
        "notional": order.notional,
        "ticker": order.ticker,
        "side": order.side.value,
        "intent": intent.value,
        "qty": order.qty,
        "type": order.type.value,
        "time_in_force": order.time_in_force.value,
        "stop_price": order.stop_price,
        "reference_price": None,
        "status": order.status.value,
        "filled_qty": order.filled_qty if external else Decimal(0),
        "filled_avg_price": order.filled_avg_price if external else None,
        "broker_order_id": order.broker_order_id,
        "external": external,
        "created_at": now,
        "updated_at": now,
    }
