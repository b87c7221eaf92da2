"""Structured logs: every record carries the replica, and the request and decision it is
about; ``json_log_config`` renders them as one JSON object per line.

The ids live in context variables, so they follow a request or a decision through every
``await`` (and every task it starts) without being passed around. A record factory, not a
handler filter, attaches them, so every logger and handler sees them (uvicorn's access log
included); the secret redaction (``api/redaction.py``) works the same way, so JSON lines are
masked exactly as text lines are.
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
decision_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "decision_id", default=None
)
_replica = {"id": ""}
_installed = {"done": False}
_CLEAN_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
FIELDS = ("replica", "request_id", "decision_id")


def new_request_id(offered: str | None) -> str:
    """Return the caller's X-Request-ID when it is a plain short token, else a new one."""
    if offered and _CLEAN_ID.fullmatch(offered):
        return offered
    return uuid.uuid4().hex[:16]


@contextmanager
def decision(value: object) -> Iterator[None]:
    """Tag the records logged inside the block with a decision id."""
    token = decision_id.set(str(value))
    try:
        yield
    finally:
        decision_id.reset(token)


def install(replica: str) -> None:
    """Attach replica, request and decision ids to every record from now on."""
    _replica["id"] = replica
    if _installed["done"]:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.replica = _replica["id"]
        record.request_id = request_id.get()
        record.decision_id = decision_id.get()
        return record

    logging.setLogRecordFactory(factory)
    _installed["done"] = True


def json_log_config(level: str) -> dict[str, Any]:
    """Return a logging dictConfig that writes JSON lines (root and uvicorn's loggers)."""
    formatter = {
        "()": "pythonjsonlogger.json.JsonFormatter",
        "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s "
        + " ".join(f"%({f})s" for f in FIELDS),
        "rename_fields": {"asctime": "ts", "levelname": "level", "name": "logger"},
    }
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": formatter},
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": level.upper()},
        "loggers": {
            name: {"handlers": ["default"], "level": level.upper(), "propagate": False}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }
