"""A fake Alpaca paper trading server: real HTTP on 127.0.0.1, Alpaca's bodies and codes.

Implements account, positions, orders (submit, by client order id, list, get, cancel),
clock and calendar, with Alpaca's errors (403 40310000, 422 40010001, 429 with rate-limit
headers, 404 40410000, 5xx) and an order lifecycle: a market order is answered ``accepted``
and fills right after; an OTO entry's stop leg stays ``held`` until ``set_price`` crosses
it. Fault injection: per-request probabilities of 429, 500, 504 after accepting, a read
timeout after accepting, and a dropped connection.

Partial fills: ``partial_next`` makes the next market orders fill only in part (the order
stays ``partially_filled``, ``filled_avg_price`` over the filled part); ``fill_partial``
and ``fill_rest`` fill more later; ``end_rest`` cancels or expires the unfilled remainder
(a cancel we send, or a day order at the close). An OTO stop leg stays ``held`` while its
parent is only partly filled (Alpaca activates legs on the complete fill); what becomes of
it when the parent ends partly filled is ``leg_on_partial_end``: ``cancel`` (the leg is
canceled with its parent), ``resize`` (it becomes active for the filled qty) or ``keep``
(it becomes active for the original qty: more shares than held).
"""

from __future__ import annotations

import random
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from http.server import ThreadingHTTPServer
from typing import Any

from tests.fakes.fake_alpaca_wire import KEY as KEY
from tests.fakes.fake_alpaca_wire import SECRET as SECRET
from tests.fakes.fake_alpaca_wire import (
    account_body,
    calendar_body,
    clock_body,
    handler_for,
    position_body,
)

from swingdesk.domain.trailing import TrailSpec

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
    trail_percent: Decimal | None = None
    trail_price: Decimal | None = None
    hwm: Decimal | None = None

    def trail(self, price: Decimal) -> None:
        """Follow the price as Alpaca's trailing stop does: mark up, stop from the mark."""
        if self.hwm is None:
            return
        self.hwm = max(self.hwm, price)
        pct = None if self.trail_percent is None else self.trail_percent / 100
        self.stop_price = TrailSpec(pct, self.trail_price).level(self.hwm)

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
            "trail_percent": None if self.trail_percent is None else str(self.trail_percent),
            "trail_price": None if self.trail_price is None else str(self.trail_price),
            "hwm": None if self.hwm is None else str(self.hwm),
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
        #: The next market orders fill only partly: one (qty, price) per order, in turn.
        self.partial_next: list[tuple[Decimal, Decimal]] = []
        #: What a held stop leg becomes when its parent ends partly filled (see the module).
        self.leg_on_partial_end = "cancel"
        self.market_open = True
        self.reject_when_closed = False
        #: List an open leg whose parent has ended as an order of its own, not nested under
        #: the parent (how a leg can appear once its entry is no longer open).
        self.legs_top_level = False
        #: Refuse new sell stops with 403 (a replacement the broker rejects).
        self.reject_stops = False
        self.forced: list[tuple[int, Any, dict[str, str]]] = []  # next replies, verbatim
        self.requests = 0
        self.faulted: dict[str, int] = {}
        self.lock = threading.RLock()
        self._rng = random.Random(self.faults.seed)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(self))
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
        """Move the price; trailing stops follow it; stops at or above it fill at it."""
        with self.lock:
            self.prices[symbol] = price
            for o in list(self.orders.values()):
                if o.symbol == symbol and o.type == "trailing_stop" and o.status in OPEN:
                    o.trail(price)
                if (
                    o.symbol == symbol
                    and o.type in ("stop", "trailing_stop")
                    and o.status in ("held", "new", "accepted")
                    and o.stop_price is not None
                    and price <= o.stop_price
                    and self._active(o)
                ):
                    self._fill(o, price)

    def _active(self, o: FakeOrder) -> bool:
        """A held leg is armed only once its parent has filled completely."""
        parent = self.orders.get(o.parent) if o.parent else None
        return o.status != "held" or parent is None or parent.status == "filled"

    def fill_all(self) -> None:
        """Fill every accepted market order (when ``auto_fill`` is off)."""
        with self.lock:
            for o in list(self.orders.values()):
                if o.status == "accepted" and o.type == "market":
                    self._fill(o, self.price(o.symbol))

    def order(self, client_order_id: str) -> FakeOrder:
        """Return one order by its client order id."""
        with self.lock:
            return self.by_client_id[client_order_id]

    def fill_partial(self, client_order_id: str, qty: Decimal, price: Decimal) -> None:
        """Fill ``qty`` more shares of a working order at ``price``."""
        with self.lock:
            o = self.by_client_id[client_order_id]
            if o.status not in OPEN or qty <= 0 or o.filled_qty + qty > o.qty:
                raise ValueError(f"cannot fill {qty} of {o.client_order_id} ({o.status})")
            self._execute(o, qty, price)

    def fill_rest(self, client_order_id: str, price: Decimal) -> None:
        """Fill the unfilled remainder of a working order at ``price``."""
        with self.lock:
            o = self.by_client_id[client_order_id]
            self.fill_partial(client_order_id, o.qty - o.filled_qty, price)

    def end_rest(self, client_order_id: str, status: str = "canceled") -> None:
        """End a working order with its remainder unfilled (``canceled`` or ``expired``)."""
        with self.lock:
            self._end(self.by_client_id[client_order_id], status)

    def _end(self, o: FakeOrder, status: str) -> None:
        o.status = status
        for leg in o.legs:
            if leg.status != "held":
                continue
            if o.filled_qty == 0 or self.leg_on_partial_end == "cancel":
                leg.status = "canceled"
            else:
                leg.status = "new"
                if self.leg_on_partial_end == "resize":
                    leg.qty = o.filled_qty

    def close_session(self) -> list[str]:
        """The market closes: every working day order expires (an OTO leg has its parent's
        time in force); good-till-canceled orders stay. Return the expired client ids."""
        with self.lock:
            expired = []
            for o in self.orders.values():
                if o.status in OPEN and o.time_in_force == "day":
                    o.status = "expired"
                    expired.append(o.client_order_id)
            return expired

    def cancel_by_broker(self, client_order_id: str) -> None:
        """The broker cancels a working order on its own (a corporate action, a review)."""
        with self.lock:
            self.by_client_id[client_order_id].status = "canceled"

    def setposition_body(self, symbol: str, qty: Decimal, avg: Decimal | None = None) -> None:
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
        self._execute(o, o.qty - o.filled_qty, price)

    def _execute(self, o: FakeOrder, n: Decimal, price: Decimal) -> None:
        """Trade ``n`` shares of ``o`` at ``price``: position, cash, filled qty and avg."""
        qty, avg = self.positions.get(o.symbol, (Decimal(0), Decimal(0)))
        if o.side == "buy":
            self.cash -= n * price
            new_qty = qty + n
            self.positions[o.symbol] = (new_qty, (qty * avg + n * price) / new_qty)
        else:
            self.cash += n * price
            left = qty - n
            if left == 0:
                self.positions.pop(o.symbol, None)
            else:
                self.positions[o.symbol] = (left, avg)
        value = o.filled_qty * (o.filled_avg_price or Decimal(0)) + n * price
        o.filled_qty += n
        o.filled_avg_price = value / o.filled_qty
        o.status = "filled" if o.filled_qty == o.qty else "partially_filled"

    def _reserved(self, symbol: str) -> Decimal:
        """Shares working sells hold back (a leg waiting for its parent's fill holds none)."""
        return sum(
            (
                o.qty - o.filled_qty
                for o in self.orders.values()
                if o.symbol == symbol and o.side == "sell" and o.status in OPEN and self._active(o)
            ),
            Decimal(0),
        )

    def _trailing(
        self, order: FakeOrder, body: dict[str, Any], price: Decimal
    ) -> tuple[int, Any] | None:
        """Arm a trailing stop from the current price; a 422 unless exactly one trail."""
        percent, trail = body.get("trail_percent"), body.get("trail_price")
        if (percent is None) == (trail is None) or body.get("stop_price") is not None:
            return 422, {
                "code": 40010001,
                "message": "trailing_stop needs exactly one of trail_percent, trail_price",
            }
        if self.reject_stops:
            return 403, {"code": 40310000, "message": "stop orders are not accepted now"}
        order.trail_percent = None if percent is None else Decimal(str(percent))
        order.trail_price = None if trail is None else Decimal(str(trail))
        if (order.trail_percent is not None and not 0 < order.trail_percent < 100) or (
            order.trail_price is not None and order.trail_price <= 0
        ):
            return 422, {"code": 40010001, "message": "invalid trail"}
        order.hwm = price
        order.trail(price)
        order.status = "new"
        return None

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
        if order.type == "stop":
            if self.reject_stops:
                return 403, {"code": 40310000, "message": "stop orders are not accepted now"}
            if body.get("stop_price") is None:
                return 422, {"code": 40010001, "message": "stop_price is required"}
            order.stop_price = Decimal(f"{Decimal(str(body['stop_price'])).normalize():f}")
            order.status = "new"
        if order.type == "trailing_stop":
            refused = self._trailing(order, body, price)
            if refused is not None:
                return refused
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
        if order.type == "market" and self.partial_next:
            part_qty, part_price = self.partial_next.pop(0)
            self._execute(order, part_qty, part_price)
        elif self.auto_fill and order.type == "market":
            self._fill(order, price)
        return 200, reply

    def _list(
        self, status: str, *, direction: str = "desc", after: str | None = None
    ) -> list[dict[str, Any]]:
        out = []
        since = datetime.fromisoformat(after.replace("Z", "+00:00")) if after else None
        ordered = sorted(self.parent_orders(), key=lambda o: o.created_at)
        for o in ordered if direction == "asc" else reversed(ordered):
            if since is not None and o.created_at <= since:
                continue
            working = any(x.status in OPEN for x in [o, *o.legs])
            if self.legs_top_level and status == "open" and o.status not in OPEN:
                out += [leg.body() for leg in o.legs if leg.status in OPEN]
                continue
            if status == "all" or (status == "open") == working:
                out.append(o.body())
        return out

    def route(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        """Answer one request (no faults here)."""
        if method == "GET" and path == "/v2/account":
            value = sum((q * self.price(s) for s, (q, _) in self.positions.items()), Decimal(0))
            return 200, account_body(self.cash, self.cash + value)
        if method == "GET" and path == "/v2/positions":
            return 200, [
                position_body(s, q, a, self.price(s))
                for s, (q, a) in sorted(self.positions.items())
            ]
        if method == "POST" and path == "/v2/orders":
            return self._submit(body or {})
        if method == "GET" and path == "/v2/orders":
            listed = self._list(
                query.get("status", "open"),
                direction=query.get("direction", "desc"),
                after=query.get("after"),
            )
            return 200, listed[: int(query.get("limit", 50))]
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
                self._end(found, "canceled")
                return 204, None
        if method == "GET" and path == "/v2/clock":
            return 200, clock_body(self.market_open)
        if method == "GET" and path == "/v2/calendar":
            return 200, calendar_body(query.get("start"), query.get("end"))
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
