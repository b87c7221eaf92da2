"""Log redaction: query-string secrets and configured secret values never reach a log.

A log-record factory (not a handler filter) does the work, so every record is cleaned when
it is created, whichever logger or handler (uvicorn's access log, pytest's capture) sees it.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from typing import Any

MASK = "***"
#: key=value pairs in URLs and messages whose value is a secret.
_QUERY_SECRET = re.compile(
    r"(?i)\b(api_key|apikey|token|access_token|key|secret|password)=([^&\s\"']+)"
)
_HEADER_SECRET = re.compile(r"(?i)\b(x-api-key|authorization)(\"?\s*[:=]\s*\"?)([^\s\"',]+)")
_lock = threading.Lock()
_secrets: set[str] = set()
#: Every registered secret in any URL encoding (see _encoded_pattern); None when none.
_encoded: re.Pattern[str] | None = None
_installed = False


def _encoded_pattern(value: str) -> str:
    """Return a regex matching ``value`` with any of its characters percent-encoded (either
    hex case) and, as in a form or query string, a space written as ``+``."""
    parts = []
    for char in value:
        forms = [re.escape(char)]
        forms.append(
            "".join(f"%(?i:{b:02x})" for b in char.encode())  # %2f and %2F alike
        )
        if char == " ":
            forms.append(r"\+")
        parts.append(f"(?:{'|'.join(forms)})")
    return "".join(parts)


def redact(text: str) -> str:
    """Mask query-string secrets and every registered secret value in ``text``."""
    text = _QUERY_SECRET.sub(lambda m: f"{m.group(1)}={MASK}", text)
    text = _HEADER_SECRET.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
    for value in _secrets:
        if value in text:
            text = text.replace(value, MASK)
    # A key sent under a parameter we do not know reaches the access log as the client
    # encoded it; the regex is only worth running when something could be encoded.
    if _encoded is not None and ("%" in text or "+" in text):
        text = _encoded.sub(MASK, text)
    return text


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if value is None or isinstance(value, int | float | bytes):
        return value
    # URLs and other objects render through str(); keep the object unless it leaks.
    text = str(value)
    clean = redact(text)
    return value if clean == text else clean


def _redact_record(record: logging.LogRecord) -> None:
    if isinstance(record.msg, str):
        record.msg = redact(record.msg)
    if isinstance(record.args, tuple):
        record.args = tuple(_clean(a) for a in record.args)
    elif isinstance(record.args, dict):
        record.args = {k: _clean(v) for k, v in record.args.items()}


def install_redaction(secret_values: Iterable[str] = ()) -> None:
    """Register secret values (short ones ignored) and install the redacting record factory."""
    global _installed, _encoded
    with _lock:
        _secrets.update(v for v in secret_values if v and len(v) >= 8)
        if _secrets:
            # Longest first, so a secret that contains another is masked whole.
            ordered = sorted(_secrets, key=len, reverse=True)
            _encoded = re.compile("|".join(_encoded_pattern(v) for v in ordered))
        if _installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            _redact_record(record)
            return record

        logging.setLogRecordFactory(factory)
        _installed = True
