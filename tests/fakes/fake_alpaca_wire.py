"""The fake Alpaca's wire: Alpaca's response bodies and the HTTP handler (auth, faults)."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.loopback_http import LoopbackHandler

if TYPE_CHECKING:
    from tests.fakes.fake_alpaca import FakeAlpaca

KEY, SECRET = "PKTESTKEY0000000000", "test-secret-0000000000000000000000000000"


def account_body(cash: Decimal, equity: Decimal) -> dict[str, Any]:
    return {
        "id": "11111111-2222-3333-4444-555555555555",
        "account_number": "PA0FAKE0000",
        "status": "ACTIVE",
        "crypto_status": "ACTIVE",
        "currency": "USD",
        "buying_power": str(cash),
        "cash": str(cash),
        "portfolio_value": str(equity),
        "equity": str(equity),
        "last_equity": str(equity),
        "pattern_day_trader": False,
        "trading_blocked": False,
        "transfers_blocked": False,
        "account_blocked": False,
        "created_at": "2024-01-02T15:00:00Z",
        "trade_suspended_by_user": False,
        "multiplier": "1",
        "shorting_enabled": False,
        "daytrade_count": 0,
    }


def position_body(symbol: str, qty: Decimal, avg: Decimal, price: Decimal) -> dict[str, Any]:
    return {
        "asset_id": str(uuid.uuid5(uuid.NAMESPACE_DNS, symbol)),
        "symbol": symbol,
        "exchange": "NASDAQ",
        "asset_class": "us_equity",
        "asset_marginable": True,
        "avg_entry_price": str(avg),
        "qty": str(qty),
        "qty_available": str(qty),
        "side": "long" if qty > 0 else "short",
        "market_value": str(qty * price),
        "cost_basis": str(qty * avg),
        "unrealized_pl": str(qty * (price - avg)),
        "current_price": str(price),
        "lastday_price": str(price),
        "change_today": "0",
    }


def clock_body(is_open: bool) -> dict[str, Any]:
    now = datetime.now(UTC).replace(microsecond=0)
    return {
        "timestamp": now.isoformat(),
        "is_open": is_open,
        "next_open": (now + timedelta(hours=16)).isoformat(),
        "next_close": (now + timedelta(hours=6)).isoformat(),
    }


def calendar_body(start: str | None, end: str | None) -> list[dict[str, str]]:
    day = datetime.fromisoformat(start or "2026-11-23").date()
    last = datetime.fromisoformat(end or start or "2026-11-27").date()
    out = []
    while day <= last:
        if day.weekday() < 5:
            out.append(
                {
                    "date": day.isoformat(),
                    "open": "09:30",
                    "close": "16:00",
                    "session_open": "0400",
                    "session_close": "2000",
                    "settlement_date": (day + timedelta(days=1)).isoformat(),
                }
            )
        day += timedelta(days=1)
    return out


def handler_for(fake: FakeAlpaca) -> type[BaseHTTPRequestHandler]:
    class Handler(LoopbackHandler):
        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            with fake.lock:
                fake.requests += 1
                if (
                    self.headers.get("APCA-API-KEY-ID") != KEY
                    or self.headers.get("APCA-API-SECRET-KEY") != SECRET
                ):
                    return self._reply(403, {"message": "forbidden."})
                if fake.forced:
                    status, body, headers = fake.forced.pop(0)
                    return self._reply(status, body, headers)
                fault = fake.pick_fault()
                if fault == "drop":
                    self.close_connection = True
                    return None
                if fault == "rate_limit":
                    reset = str(int(time.time()) + 1)
                    return self._reply(
                        429,
                        {"code": 42910000, "message": "rate limit exceeded"},
                        {
                            "X-Ratelimit-Limit": "200",
                            "X-Ratelimit-Remaining": "0",
                            "X-Ratelimit-Reset": reset,
                        },
                    )
                if fault == "server_error":
                    return self._reply(500, {"code": 50010000, "message": "internal server error"})
                body = json.loads(raw) if raw else None
                status, reply = fake.route(method, parts.path, query, body)
            if fault == "gateway_timeout_after_accept":
                return self._reply(504, "<html><body>504 Gateway Time-out</body></html>")
            if fault == "timeout_after_accept":
                time.sleep(fake.faults.hang_s)
                self.close_connection = True
                return None
            return self._reply(status, reply)

        def _reply(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            if isinstance(body, str):
                data, ctype = body.encode(), "text/html"
            else:
                data = b"" if body is None else json.dumps(body).encode()
                ctype = "application/json"
            self.send_response(status)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            # Headers and body in one write: two small writes meet delayed ACKs (40 ms).
            self._headers_buffer.append(b"\r\n" + data)
            try:
                self.flush_headers()
            except OSError:
                self.close_connection = True  # the client gave up (its read timeout)

        def do_GET(self) -> None:  # noqa: N802 (http.server names)
            """Serve a GET."""
            self._serve("GET")

        def do_POST(self) -> None:  # noqa: N802 (http.server names)
            """Serve a POST."""
            self._serve("POST")

        def do_DELETE(self) -> None:  # noqa: N802 (http.server names)
            """Serve a DELETE."""
            self._serve("DELETE")

    return Handler
