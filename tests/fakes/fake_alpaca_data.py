"""A fake Alpaca market data server (``GET /v2/stocks/bars``, ``GET /v1beta1/news``): real
HTTP on 127.0.0.1.

Speaks the wire format alpaca-py's StockHistoricalDataClient parses: multi-symbol bars
``{"bars": {"AAPL": [{"t","o","h","l","c","v","n","vw"}...]}, "next_page_token": ...}``,
symbols in alphabetical order and bars ascending, a page holding at most
``min(limit, max_page)`` bars across all symbols (a small ``max_page`` exercises paging
whatever the client asks for). Keys are checked (401 otherwise). A symbol the fake does not
know is simply absent, as at Alpaca; one listed in ``invalid`` is refused with 422.

News: ``{"news": [{"id", "headline", "author", "created_at", "updated_at", "summary",
"content", "url", "images", "symbols", "source"}...], "next_page_token": ...}``, articles
naming any of ``symbols``, created in [start, end], newest first (``sort=asc`` oldest
first), at most ``min(limit, 50, news_max_page)`` per page (``limit`` above 50 is a 422,
as at Alpaca).

Fault injection: ``script`` holds replies served before the real answer, in order
(``rate_limit``, ``fail``); ``delay_s`` stalls every answer; ``ignore_end`` sends bars after
the requested ``end`` (a misbehaving server). Every request is counted and its query kept.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from tests.fakes.fake_alpaca import KEY, SECRET
from tests.fakes.loopback_http import LoopbackHandler

NY = ZoneInfo("America/New_York")
FEEDS = {"iex", "sip", "delayed_sip", "otc"}


def wire_bar(day: date, o: float, h: float, lo: float, c: float, v: float) -> dict[str, Any]:
    """Return one daily bar as Alpaca sends it (stamped at midnight New York, in UTC)."""
    t = datetime(day.year, day.month, day.day, tzinfo=NY).astimezone(UTC)
    return {
        "t": t.strftime("%Y-%m-%dT%H:%M:%SZ"), "o": o, "h": h, "l": lo, "c": c,
        "v": v, "n": int(v // 100), "vw": round((h + lo + c) / 3, 4),
    }  # fmt: skip


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass
class FakeAlpacaDataState:
    """The fake's script: bars per symbol, faults and a request log."""

    bars: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    news: list[dict[str, Any]] = field(default_factory=list)
    news_max_page: int = 50
    invalid: set[str] = field(default_factory=set)
    max_page: int = 10_000
    script: list[tuple[int, Any, dict[str, str]]] = field(default_factory=list)
    delay_s: float = 0.0
    ignore_end: bool = False
    requests: Counter[str] = field(default_factory=Counter)
    queries: list[dict[str, str]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def rate_limit(
        self, times: int = 1, *, reset_in_s: float = 2.0, retry_after: bool = False
    ) -> None:
        """Answer the next ``times`` requests with 429 and Alpaca's rate-limit headers."""
        for _ in range(times):
            headers = {
                "X-RateLimit-Limit": "200",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(int(time.time() + reset_in_s)),
            }
            if retry_after:
                headers["Retry-After"] = str(int(reset_in_s))
            self.script.append((429, {"code": 42910000, "message": "too many requests"}, headers))

    def fail(self, status: int, body: Any, times: int = 1) -> None:
        """Answer the next ``times`` requests with ``status`` and ``body`` (str = not JSON)."""
        self.script.extend([(status, body, {})] * times)

    def served(self, symbols: str) -> int:
        """Return how many bar requests asked for exactly ``symbols`` (comma-joined)."""
        with self.lock:
            return self.requests[symbols]

    def page(self, query: dict[str, str]) -> tuple[int, Any]:
        """Return the status and body for one bars request."""
        symbols = [s for s in query.get("symbols", "").split(",") if s]
        if not symbols:
            return 422, {"code": 42210000, "message": "symbols is required"}
        bad = [s for s in symbols if s in self.invalid]
        if bad:
            return 422, {"code": 42210000, "message": f"invalid symbol: {bad[0]}"}
        if query.get("timeframe") != "1Day":
            return 422, {"code": 42210000, "message": "only 1Day is scripted in this fake"}
        if query.get("feed", "sip") not in FEEDS:
            return 400, {"code": 40010001, "message": "invalid feed"}
        start = _moment(query.get("start", "1970-01-01"))
        end = _moment(query["end"]) if "end" in query and not self.ignore_end else None
        flat = [
            (sym, bar)
            for sym in sorted(set(symbols))
            for bar in self.bars.get(sym, [])
            if start <= _moment(bar["t"]) and (end is None or _moment(bar["t"]) <= end)
        ]
        size = min(int(query.get("limit") or 1000), self.max_page)
        token = query.get("page_token")
        offset = int(base64.b64decode(token).decode()) if token else 0
        chunk = flat[offset : offset + size]
        out: dict[str, list[dict[str, Any]]] = {}
        for sym, bar in chunk:
            out.setdefault(sym, []).append(bar)
        more = offset + size < len(flat)
        next_token = base64.b64encode(str(offset + size).encode()).decode() if more else None
        return 200, {"bars": out, "next_page_token": next_token}


def wire_article(
    article_id: int, symbols: list[str], created: datetime, headline: str, **kw: Any
) -> dict[str, Any]:
    """Return one news article as Alpaca sends it."""
    stamp = created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "id": article_id, "headline": headline, "author": kw.get("author", "Benzinga Staff"),
        "created_at": stamp, "updated_at": kw.get("updated_at", stamp),
        "summary": kw.get("summary", ""), "content": "", "url": kw.get("url", ""),
        "images": [], "symbols": symbols, "source": kw.get("source", "benzinga"),
    }  # fmt: skip


def news_page(st: FakeAlpacaDataState, query: dict[str, str]) -> tuple[int, Any]:
    """Return the status and body for one news request."""
    limit = int(query.get("limit") or 10)
    if not 1 <= limit <= 50:
        return 422, {"code": 42210000, "message": "limit must be between 1 and 50"}
    wanted = {s for s in query.get("symbols", "").split(",") if s}
    start = _moment(query["start"]) if query.get("start") else None
    end = _moment(query["end"]) if query.get("end") else None
    rows = [
        a
        for a in st.news
        if (not wanted or wanted & set(a["symbols"]))
        and (start is None or _moment(a["created_at"]) >= start)
        and (end is None or _moment(a["created_at"]) <= end)
    ]
    rows.sort(key=lambda a: (_moment(a["created_at"]), a["id"]), reverse=query.get("sort") != "asc")
    size = min(limit, st.news_max_page)
    token = query.get("page_token")
    offset = int(base64.b64decode(token).decode()) if token else 0
    more = offset + size < len(rows)
    next_token = base64.b64encode(str(offset + size).encode()).decode() if more else None
    return 200, {"news": rows[offset : offset + size], "next_page_token": next_token}


class FakeAlpacaData:
    """Run the fake on an ephemeral loopback port (use as a context manager)."""

    def __init__(self, state: FakeAlpacaDataState | None = None) -> None:
        self.state = state or FakeAlpacaDataState()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.state))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        # A short poll keeps shutdown (each test's teardown) from waiting the default 0.5 s.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> FakeAlpacaData:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler(st: FakeAlpacaDataState) -> type[BaseHTTPRequestHandler]:
    class Handler(LoopbackHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server names)
            """Serve a GET."""
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            with st.lock:
                st.queries.append(query)
                st.headers.append(dict(self.headers.items()))
                if parts.path == "/v2/stocks/bars":
                    st.requests[query.get("symbols", "")] += 1
                elif parts.path == "/v1beta1/news":
                    st.requests["news:" + query.get("symbols", "")] += 1
                if (
                    self.headers.get("APCA-API-KEY-ID") != KEY
                    or self.headers.get("APCA-API-SECRET-KEY") != SECRET
                ):
                    reply: tuple[int, Any, dict[str, str]] = (
                        401, {"code": 40110000, "message": "invalid credentials"}, {}
                    )  # fmt: skip
                elif st.script:
                    reply = st.script.pop(0)
                elif parts.path == "/v2/stocks/bars":
                    status, body = st.page(query)
                    reply = (status, body, {})
                elif parts.path == "/v1beta1/news":
                    status, body = news_page(st, query)
                    reply = (status, body, {})
                else:
                    reply = (404, "404 page not found", {})
            if st.delay_s:
                time.sleep(st.delay_s)
            self._reply(*reply)

        def _reply(self, status: int, body: Any, headers: dict[str, str]) -> None:
            if isinstance(body, str):
                data, ctype = body.encode(), "text/plain; charset=utf-8"
            else:
                data, ctype = json.dumps(body).encode(), "application/json; charset=UTF-8"
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self._headers_buffer.append(b"\r\n" + data)
            try:
                self.flush_headers()
            except OSError:
                self.close_connection = True  # the client gave up (its read timeout)

    return Handler
