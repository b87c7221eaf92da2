"""A fake Alpaca paper trading server: real HTTP on 127.0.0.1, Alpaca's bodies and codes.

Implements account, positions, orders (submit, by client order id, list, get, cancel),
clock and calendar, with Alpaca's errors (403 40310000, 422 40010001, 429 with rate-limit
headers, 404 40410000, 5xx) and an order lifecycle: a market order is answered ``accepted``
and fills right after; an OTO entry's stop leg stays ``held`` until ``set_price`` crosses
it. Fault injection: per-request probabilities of 429, 500, 504 after accepting, a read
timeout after accepting, and a dropped connection.
"""

from __future__ import annotations

import json
import random
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

KEY, SECRET = "PKTESTKEY0000000000", "test-secret-0000000000000000000000000000"
OPEN = {"new", "accepted", "held", "partially_filled", "pending_new", "pending_cancel"}


@dataclass
class Faults:
    """Per-request fault probabilities (the rest succeed)."""

    rate_limit: float = 0.0
    server_error: float = 0.0
    gateway_timeout_after_accept: float = 0.0
    timeout_after_accept: float = 0.0
    drop: float = 0.0
    hang_s: float = 0.2
    seed: int = 7

    def total(self) -> float:
        """Return the probability that a request is faulted."""
        return (
            self.rate_limit
            + self.server_error
            + self.gateway_timeout_after_accept
            + self.timeout_after_accept
            + self.drop
        )


@dataclass
class FakeOrder:
    """One order in the fake's books."""

    id: str
    client_order_id: str
    symbol: str
    side: str
    qty: Decimal
    type: str
    time_in_force: str
    status: str
    created_at: datetime
    order_class: str = "simple"
    stop_price: Decimal | None = None
    filled_qty: Decimal = Decimal(0)
    filled_avg_price: Decimal | None = None
    legs: list[FakeOrder] = field(default_factory=list)
    parent: str | None = None

    def body(self) -> dict[str, Any]:
        """Render the order as Alpaca does."""
        ts = self.created_at.isoformat().replace("+00:00", "Z")
        return {
            "id": self.id,
            "client_order_id": self.client_order_id,
            "created_at": ts,
            "updated_at": ts,
            "submitted_at": ts,
            "filled_at": ts if self.status == "filled" else None,
            "expired_at": None,
            "canceled_at": None,
            "failed_at": None,
            "replaced_at": None,
            "replaced_by": None,
            "replaces": None,
            "asset_id": str(uuid.uuid5(uuid.NAMESPACE_DNS, self.symbol)),
            "symbol": self.symbol,
            "asset_class": "us_equity",
            "notional": None,
            "qty": str(self.qty),
            "filled_qty": str(self.filled_qty),
            "filled_avg_price": None
            if self.filled_avg_price is None
            else str(self.filled_avg_price),
            "order_class": self.order_class,
            "order_type": self.type,
            "type": self.type,
            "side": self.side,
            "time_in_force": self.time_in_force,
            "limit_price": None,
            "stop_price": None if self.stop_price is None else str(self.stop_price),
            "status": self.status,
            "extended_hours": False,
            "legs": [leg.body() for leg in self.legs] or None,
            "trail_percent": None,
            "trail_price": None,
            "hwm": None,
        }


class FakeAlpaca:
    """The fake's state and its HTTP server; use as a context manager."""

    def __init__(self, *, cash: Decimal = Decimal(100_000), faults: Faults | None = None) -> None:
        self.cash = cash
        self.prices: dict[str, Decimal] = {}
        self.default_price = Decimal(100)
        self.positions: dict[str, tuple[Decimal, Decimal]] = {}  # symbol -> (qty, avg)
        self.orders: dict[str, FakeOrder] = {}
        self.by_client_id: dict[str, FakeOrder] = {}
        self.created: list[str] = []  # client order ids, in creation order (duplicates show)
        self.faults = faults or Faults()
        self.auto_fill = True
        self.market_open = True
        self.reject_when_closed = False
        self.forced: list[tuple[int, Any, dict[str, str]]] = []  # next replies, verbatim
        self.requests = 0
        self.faulted: dict[str, int] = {}
        self.lock = threading.RLock()
        self._rng = random.Random(self.faults.seed)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        """Return the base URL (http://127.0.0.1:port)."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeAlpaca:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- the market -------------------------------------------------------------------
    def price(self, symbol: str) -> Decimal:
        """Return the symbol's current price."""
        return self.prices.get(symbol, self.default_price)

    def set_price(self, symbol: str, price: Decimal) -> None:
        """Move the price; held stops at or above it trigger and fill at it."""
        with self.lock:
            self.prices[symbol] = price
            for o in list(self.orders.values()):
                if (
                    o.symbol == symbol
                    and o.type == "stop"
                    and o.status == "held"
                    and o.stop_price is not None
                    and price <= o.stop_price
                ):
                    self._fill(o, price)

    def fill_all(self) -> None:
        """Fill every accepted market order (when ``auto_fill`` is off)."""
        with self.lock:
            for o in list(self.orders.values()):
                if o.status == "accepted" and o.type == "market":
                    self._fill(o, self.price(o.symbol))

    def set_position(self, symbol: str, qty: Decimal, avg: Decimal | None = None) -> None:
        """Change a position behind the client's back (drift tests)."""
        with self.lock:
            if qty == 0:
                self.positions.pop(symbol, None)
            else:
                self.positions[symbol] = (qty, avg or self.price(symbol))

    def parent_orders(self) -> list[FakeOrder]:
        """Return every top-level order."""
        with self.lock:
            return [o for o in self.orders.values() if o.parent is None]

    # --- the books --------------------------------------------------------------------
    def _fill(self, o: FakeOrder, price: Decimal) -> None:
        qty, avg = self.positions.get(o.symbol, (Decimal(0), Decimal(0)))
        if o.side == "buy":
            self.cash -= o.qty * price
            new_qty = qty + o.qty
            self.positions[o.symbol] = (new_qty, (qty * avg + o.qty * price) / new_qty)
        else:
            self.cash += o.qty * price
            left = qty - o.qty
            if left == 0:
                self.positions.pop(o.symbol, None)
            else:
                self.positions[o.symbol] = (left, avg)
        o.status, o.filled_qty, o.filled_avg_price = "filled", o.qty, price

    def _reserved(self, symbol: str) -> Decimal:
        return sum(
            (
                o.qty - o.filled_qty
                for o in self.orders.values()
                if o.symbol == symbol and o.side == "sell" and o.status in OPEN
            ),
            Decimal(0),
        )

    def _submit(self, body: dict[str, Any]) -> tuple[int, Any]:
        coid = str(body.get("client_order_id") or uuid.uuid4())
        if coid in self.by_client_id:
            return 422, {"code": 40010001, "message": "client_order_id must be unique"}
        if self.reject_when_closed and not self.market_open:
            return 403, {"code": 40310000, "message": "market is closed"}
        try:
            qty = Decimal(f"{Decimal(str(body['qty'])).normalize():f}")
            side, symbol = body["side"], body["symbol"]
        except (KeyError, ArithmeticError):
            return 422, {"code": 40010001, "message": "qty, side and symbol are required"}
        if qty <= 0 or side not in ("buy", "sell"):
            return 422, {"code": 40010001, "message": "invalid qty or side"}
        price = self.price(symbol)
        if side == "buy" and qty * price > self.cash:
            return 403, {"code": 40310000, "message": "insufficient buying power"}
        if side == "sell":
            held = self.positions.get(symbol, (Decimal(0), Decimal(0)))[0]
            available = held - self._reserved(symbol)
            if qty > available:
                return 403, {
                    "code": 40310000,
                    "message": f"insufficient qty available for order "
                    f"(requested: {qty}, available: {available})",
                }
        now = datetime.now(UTC)
        order = FakeOrder(
            id=str(uuid.uuid4()),
            client_order_id=coid,
            symbol=symbol,
            side=side,
            qty=qty,
            type=body.get("type", "market"),
            time_in_force=body.get("time_in_force", "day"),
            status="accepted",
            created_at=now,
            order_class=body.get("order_class") or "simple",
        )
        stop = (body.get("stop_loss") or {}).get("stop_price")
        if order.order_class in ("oto", "bracket") and stop is not None:
            leg = FakeOrder(
                id=str(uuid.uuid4()),
                client_order_id=str(uuid.uuid4()),
                symbol=symbol,
                side="sell",
                qty=qty,
                type="stop",
                time_in_force=order.time_in_force,
                status="held",
                created_at=now,
                order_class=order.order_class,
                stop_price=Decimal(str(stop)),
                parent=order.id,
            )
            order.legs.append(leg)
            self.orders[leg.id] = leg
            self.by_client_id[leg.client_order_id] = leg
        self.orders[order.id] = order
        self.by_client_id[coid] = order
        self.created.append(coid)
        reply = order.body()
        if self.auto_fill and order.type == "market":
            self._fill(order, price)
        return 200, reply

    def _list(self, status: str) -> list[dict[str, Any]]:
        out = []
        for o in sorted(self.parent_orders(), key=lambda o: o.created_at, reverse=True):
            working = any(x.status in OPEN for x in [o, *o.legs])
            if status == "all" or (status == "open") == working:
                out.append(o.body())
        return out

    def route(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        """Answer one request (no faults here)."""
        if method == "GET" and path == "/v2/account":
            value = sum((q * self.price(s) for s, (q, _) in self.positions.items()), Decimal(0))
            return 200, _account(self.cash, self.cash + value)
        if method == "GET" and path == "/v2/positions":
            return 200, [
                _position(s, q, a, self.price(s)) for s, (q, a) in sorted(self.positions.items())
            ]
        if method == "POST" and path == "/v2/orders":
            return self._submit(body or {})
        if method == "GET" and path == "/v2/orders":
            return 200, self._list(query.get("status", "open"))[: int(query.get("limit", 50))]
        if method == "GET" and path == "/v2/orders:by_client_order_id":
            found = self.by_client_id.get(query.get("client_order_id", ""))
            if found is None:
                return 404, {"code": 40410000, "message": "order not found"}
            return 200, found.body()
        if path.startswith("/v2/orders/"):
            found = self.orders.get(path.rsplit("/", 1)[1])
            if found is None:
                return 404, {"code": 40410000, "message": "order not found"}
            if method == "GET":
                return 200, found.body()
            if method == "DELETE":
                if found.status not in OPEN:
                    return 422, {"code": 42210000, "message": "order is not cancelable"}
                found.status = "canceled"
                return 204, None
        if method == "GET" and path == "/v2/clock":
            return 200, _clock(self.market_open)
        if method == "GET" and path == "/v2/calendar":
            return 200, _calendar(query.get("start"), query.get("end"))
        return 404, {"code": 40410000, "message": f"endpoint not found: {method} {path}"}

    def pick_fault(self) -> str | None:
        """Draw this request's fault, if any."""
        f, r = self.faults, self._rng.random()
        for name, p in (
            ("rate_limit", f.rate_limit),
            ("server_error", f.server_error),
            ("gateway_timeout_after_accept", f.gateway_timeout_after_accept),
            ("timeout_after_accept", f.timeout_after_accept),
            ("drop", f.drop),
        ):
            if r < p:
                self.faulted[name] = self.faulted.get(name, 0) + 1
                return name
            r -= p
        return None


def _account(cash: Decimal, equity: Decimal) -> dict[str, Any]:
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


def _position(symbol: str, qty: Decimal, avg: Decimal, price: Decimal) -> dict[str, Any]:
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


def _clock(is_open: bool) -> dict[str, Any]:
    now = datetime.now(UTC).replace(microsecond=0)
    return {
        "timestamp": now.isoformat(),
        "is_open": is_open,
        "next_open": (now + timedelta(hours=16)).isoformat(),
        "next_close": (now + timedelta(hours=6)).isoformat(),
    }


def _calendar(start: str | None, end: str | None) -> list[dict[str, str]]:
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


def _handler(fake: FakeAlpaca) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            """Send small replies at once (no Nagle delay)."""
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format: str, *args: Any) -> None:
            """Stay quiet."""

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

        def do_GET(self) -> None:
            """Serve a GET."""
            self._serve("GET")

        def do_POST(self) -> None:
            """Serve a POST."""
            self._serve("POST")

        def do_DELETE(self) -> None:
            """Serve a DELETE."""
            self._serve("DELETE")

    return Handler
