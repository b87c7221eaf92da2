"""Identifiers: full UUIDs everywhere; the client order id is derived from the decision."""

from __future__ import annotations

from uuid import UUID

from swingdesk.domain.enums import Intent

_PREFIX = {Intent.BUY_TO_OPEN: "sd-o", Intent.SELL_TO_CLOSE: "sd-c"}


def client_order_id_for(decision_id: UUID, intent: Intent) -> str:
    """Derive the client order id (idempotency key) from the decision: at most one order
    per decision and intent, so re-submitting an approved decision cannot duplicate it."""
    return f"{_PREFIX[intent]}-{decision_id.hex}"  # 37 chars, within Alpaca's 48
