"""Structured logs: JSON lines with replica, request and decision ids, secrets masked."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

from pythonjsonlogger.json import JsonFormatter
from tests.fakes.api import api_harness

from swingdesk import log_context
from swingdesk.adapters.clock import ManualClock
from swingdesk.api.redaction import install_redaction


async def test_logs_when_json_then_each_line_names_replica_request_and_decision(
    tmp_path: Path, clock: ManualClock
) -> None:
    secret = "notify-token-Zq81hV3mR2xLp0"
    install_redaction([secret])
    log_context.install("replica-7")
    spec = dict(log_context.json_log_config("INFO")["formatters"]["json"])
    assert spec.pop("()") == "pythonjsonlogger.json.JsonFormatter"
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter(**spec))
    logger = logging.getLogger("swingdesk.test_json")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        with log_context.decision("d-123"):
            log_context.request_id.set("req-1")
            logger.warning("sending to json://hook/%s", secret)
        async with api_harness(tmp_path, clock) as h:
            r = await h.trade.post(
                "/api/trigger", json={"ticker": "AAPL"}, headers={"X-Request-ID": "abc-42"}
            )
            assert r.headers["x-request-id"] == "abc-42"
            r = await h.trade.get("/api/portfolio", headers={"X-Request-ID": "bad id!"})
            assert r.headers["x-request-id"] != "bad id!"
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    assert lines[0]["replica"] == "replica-7"
    assert lines[0]["decision_id"] == "d-123"
    assert lines[0]["request_id"] == "req-1"
    assert lines[0]["level"] == "WARNING"
    assert secret not in buffer.getvalue()
    assert "***" in lines[0]["message"]
