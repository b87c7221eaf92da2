"""Alpaca paper trading behind the Broker port: a thin async httpx client.

Why not alpaca-py's TradingClient: it is synchronous (requests), so every call would need a
thread; it retries 429s itself with fixed sleeps, which would stack on our policy; and its
timeouts are not settable per client. We keep alpaca-py for what it is best at: its pydantic
models validate every response body, so a reply Alpaca's own SDK would refuse is refused here.

The endpoint is hard-wired to paper trading. The only other accepted base URL is a loopback
address (the test servers); the live endpoint cannot be reached by any configuration.
This adapter never retries: the ExecutionAgent's RetryPolicy does, once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import httpx
from alpaca.trading.models import Calendar, Clock, Position, TradeAccount
from pydantic import SecretStr

from swingdesk.adapters.alpaca_http import error_body, retry_after_s
from swingdesk.adapters.alpaca_wire import (
    parse_model,
    read_order,
    readable_order,
    to_decimal,
)
from swingdesk.domain.enums import OrderSide, OrderType
from swingdesk.domain.errors import (
    ConfigurationError,
    DuplicateOrderError,
    InsufficientFundsError,
    RejectedError,
    TemporaryError,
)
from swingdesk.domain.events import OrderRequest
from swingdesk.endpoints import PAPER_URL, check_trading_url
from swingdesk.ports import BrokerAccount, BrokerOrder, BrokerPosition

log = logging.getLogger(__name__)
#: Alpaca's largest page of orders, and how many pages one listing reads at most.
_PAGE = 500
_MAX_PAGES = 100


class MarketClosedError(RejectedError):
    """The broker refused the order because the market is closed."""

    code = "MARKET_CLOSED"


@dataclass(frozen=True, slots=True)
class MarketClock:
    """Alpaca's market clock."""

    timestamp: datetime
    is_open: bool
    next_open: datetime
    next_close: datetime


@dataclass(frozen=True, slots=True)
class SessionDay:
    """One trading day from Alpaca's calendar (New York local times)."""

    date: date
    open: datetime
    close: datetime


def check_endpoint(base_url: str) -> str:
    """Return ``base_url`` if it is Alpaca's paper endpoint or a loopback test server."""
    return check_trading_url(base_url)


class AlpacaPaperBroker:
    """Implements the Broker port against Alpaca's paper trading REST API."""

    name = "alpaca"

    def __init__(
        self,
        api_key: SecretStr | None,
        secret_key: SecretStr | None,
        *,
        connect_timeout_s: float = 5.0,
        read_timeout_s: float = 10.0,
        base_url: str = PAPER_URL,
    ) -> None:
        if api_key is None or secret_key is None:
            raise ConfigurationError("ALPACA_API_KEY and ALPACA_SECRET_KEY must both be set")
        self._client = httpx.AsyncClient(
            base_url=check_endpoint(base_url),
            headers={
                "APCA-API-KEY-ID": api_key.get_secret_value(),
                "APCA-API-SECRET-KEY": secret_key.get_secret_value(),
            },
            timeout=httpx.Timeout(read_timeout_s, connect=connect_timeout_s),
            follow_redirects=False,
        )

    @classmethod
    def from_settings(cls, settings: Any) -> AlpacaPaperBroker:
        """Build the adapter from Settings: keys and timeouts only, never an endpoint."""
        return cls(
            settings.alpaca_api_key,
            settings.alpaca_secret_key,
            connect_timeout_s=settings.alpaca_connect_timeout_s,
            read_timeout_s=settings.alpaca_read_timeout_s,
        )

    @property
    def base_url(self) -> str:
        """Return the endpoint this client talks to."""
        return str(self._client.base_url).rstrip("/")

    async def close(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    async def _request(
        self, method: str, path: str, *, params: dict[str, Any] | None = None, body: Any = None
    ) -> httpx.Response:
        try:
            resp = await self._client.request(method, path, params=params, json=body)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # Nothing reached Alpaca: the outcome is known (not done).
            raise TemporaryError(f"cannot reach Alpaca: {type(exc).__name__}") from exc
        except httpx.TransportError as exc:
            # Sent, but no complete answer (read timeout, dropped connection): may have happened.
            raise TemporaryError(
                f"no answer from Alpaca: {type(exc).__name__}", outcome_unknown=True
            ) from exc
        if resp.status_code >= 300:
            raise _error(resp, method)
        return resp

    async def _json(self, method: str, path: str, **kw: Any) -> Any:
        resp = await self._request(method, path, **kw)
        try:
            return resp.json()
        except ValueError as exc:
            raise TemporaryError(
                f"Alpaca sent a non-JSON {resp.status_code} reply", outcome_unknown=True
            ) from exc

    async def get_account(self) -> BrokerAccount:
        """Return cash, buying power and equity."""
        acct = parse_model(TradeAccount, await self._json("GET", "/v2/account"))
        return BrokerAccount(
            cash=to_decimal(acct.cash),
            buying_power=to_decimal(acct.buying_power),
            equity=to_decimal(acct.equity),
            currency=acct.currency or "USD",
        )

    async def get_positions(self) -> list[BrokerPosition]:
        """Return every open position."""
        out = []
        for raw in await self._json("GET", "/v2/positions"):
            p = parse_model(Position, raw)
            qty, price = to_decimal(p.qty), to_decimal(p.current_price)
            value = to_decimal(p.market_value) if p.market_value is not None else qty * price
            out.append(
                BrokerPosition(
                    ticker=p.symbol,
                    qty=qty,
                    avg_entry_price=to_decimal(p.avg_entry_price),
                    market_value=value,
                    current_price=price,
                )
            )
        return out

    async def submit_order(self, request: OrderRequest) -> BrokerOrder:
        """Submit an order keyed by its client order id: a market order (an entry carries
        its protective stop as an OTO leg) or a standalone stop."""
        body: dict[str, Any] = {
            "symbol": request.ticker,
            "qty": str(request.qty),
            "side": request.side.value,
            "type": request.type.value,
            "time_in_force": request.time_in_force.value,
            "client_order_id": request.client_order_id,
        }
        if request.type is OrderType.STOP:
            # A standalone protective stop (a replacement for a leg that no longer fits).
            body["stop_price"] = str(request.stop_price)
        elif request.type is OrderType.TRAILING_STOP:
            # Alpaca trails by a percent (5 means 5%) or a price; it sets the stop itself.
            if request.trail_pct is not None:
                body["trail_percent"] = f"{(request.trail_pct * 100).normalize():f}"
            else:
                body["trail_price"] = str(request.trail_price)
        elif request.side is OrderSide.BUY and request.stop_price is not None:
            body["order_class"] = "oto"
            body["stop_loss"] = {"stop_price": str(request.stop_price)}
        return read_order(await self._json("POST", "/v2/orders", body=body))

    async def get_order_by_client_id(self, client_order_id: str) -> BrokerOrder | None:
        """Return the order with this client order id, None when Alpaca has none."""
        try:
            raw = await self._json(
                "GET",
                "/v2/orders:by_client_order_id",
                params={"client_order_id": client_order_id, "nested": "true"},
            )
        except _NotFoundError:
            return None
        return read_order(raw)

    async def list_orders(self, *, open_only: bool = True) -> list[BrokerOrder]:
        """Return orders, legs nested under their parent, open ones only by default.

        One order in a shape alpaca-py's model refuses (someone else's crypto or options
        order, a field Alpaca added) must not hide all the others: it is read leniently,
        and left out (logged) only when even its id cannot be read.
        """
        params = {
            "status": "open" if open_only else "all",
            "nested": "true",
            "limit": str(_PAGE),
            "direction": "asc",
        }
        found: dict[str, BrokerOrder] = {}
        for _ in range(_MAX_PAGES):
            page = await self._json("GET", "/v2/orders", params=params)
            if not isinstance(page, list):
                raise TemporaryError("Alpaca sent an order list that is not a list")
            before = len(found)
            for order in (readable_order(raw) for raw in page):
                if order is not None:
                    found.setdefault(order.broker_order_id, order)
            if len(page) < _PAGE or len(found) == before:
                break
            # Alpaca pages by submission time; ``after`` is exclusive, so step back 1 µs
            # and drop the repeats rather than miss orders submitted in the same instant.
            newest = max(o.submitted_at for o in found.values())
            params["after"] = (newest - timedelta(microseconds=1)).isoformat()
        return list(found.values())

    async def cancel_order(self, broker_order_id: str) -> None:
        """Ask Alpaca to cancel an order."""
        try:
            await self._request("DELETE", f"/v2/orders/{broker_order_id}")
        except _NotFoundError as exc:
            raise RejectedError(f"order {broker_order_id} not found at Alpaca") from exc

    async def get_clock(self) -> MarketClock:
        """Return whether the market is open and its next open and close."""
        c = parse_model(Clock, await self._json("GET", "/v2/clock"))
        return MarketClock(c.timestamp, c.is_open, c.next_open, c.next_close)

    async def get_calendar(self, start: date, end: date) -> list[SessionDay]:
        """Return the trading days between ``start`` and ``end``."""
        raw = await self._json(
            "GET", "/v2/calendar", params={"start": start.isoformat(), "end": end.isoformat()}
        )
        days = [parse_model(Calendar, d) for d in raw]
        return [SessionDay(d.date, d.open, d.close) for d in days]


class _NotFoundError(RejectedError):
    code = "NOT_FOUND"


def _error(resp: httpx.Response, method: str) -> Exception:
    """Translate a trading API error reply into our errors (see ``error_body``)."""
    status = resp.status_code
    code, message = error_body(resp)
    details = {"http_status": status, "alpaca_code": code}
    text = message.lower()
    if status == 429:
        return TemporaryError(
            f"Alpaca rate limit: {message}", retry_after_s=retry_after_s(resp), details=details
        )
    if status >= 500:
        # A POST that failed server-side may still have placed the order: look it up.
        return TemporaryError(
            f"Alpaca {status}: {message}", outcome_unknown=method == "POST", details=details
        )
    if status == 404:
        return _NotFoundError(message, details=details)
    if status == 401 or (status == 403 and code is None):
        return ConfigurationError(f"Alpaca refused the credentials: {message}", details=details)
    if "market" in text and "closed" in text:
        return MarketClosedError(message, details=details)
    if status == 403 and "buying power" in text:
        return InsufficientFundsError(message, details=details)
    if status == 422 and "client_order_id" in text and "unique" in text:
        return DuplicateOrderError(message, details=details)
    return RejectedError(f"Alpaca {status}: {message}", details=details)

    return None
