"""A fake Yahoo Finance on 127.0.0.1 that the real yfinance library talks to.

Endpoints: ``fc.yahoo.com`` (cookie), ``/v1/test/getcrumb``, ``/v8/finance/chart/{sym}``,
``/v10/finance/quoteSummary/{sym}``, ``/v7/finance/quote``, fundamentals-timeseries (empty),
``POST finance.yahoo.com/xhr/ncp`` (``Ticker.news``) and ``guce.yahoo.com/consent`` (no
consent form, so yfinance falls back cleanly).

Payloads have the shapes Yahoo sends (recorded from its answers, values ours): the news
stream's ``{"id", "content": {"title", "summary", "pubDate", "provider": {"displayName"},
"canonicalUrl": {"url"}, ...}}`` items, with an ad among them as Yahoo mixes in, and the
quoteSummary modules ``Ticker.info`` asks for (``financialData``, ``defaultKeyStatistics``,
``summaryDetail``, ...) with raw numbers (``formatted=false``); ``debtToEquity`` is a
percentage and the v7 quote's ``dividendYield`` is in percent, as at Yahoo.

``RewritingSession`` is a curl_cffi session (the kind yfinance 1.x accepts) that sends every
``https://<host>/<path>`` to ``http://127.0.0.1:<port>/<host>/<path>``.
"""

from __future__ import annotations

import json
import math
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo

from curl_cffi import requests as curl_requests

NY = ZoneInfo("America/New_York")


@dataclass
class FakeSymbol:
    """What the fake knows about one symbol."""

    bars: list[tuple[date, float, float, float, float, float]]  # date, o, h, l, c, v
    name: str = "Fake Corp"
    sector: str | None = "Industrials"
    earnings: list[date] = field(default_factory=list)
    market_cap: float | None = 1e12
    calendar_error: bool = False
    #: quoteSummary fields by module, e.g. {"financialData": {"revenueGrowth": 0.06}}.
    modules: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: v7 quote fields (``quoteResponse.result[0]``).
    quote: dict[str, Any] = field(default_factory=dict)
    #: The news stream, in Yahoo's shape (see ``yahoo_article``); None answers 500.
    news: list[dict[str, Any]] | None = field(default_factory=list)


@dataclass
class FakeYahooState:
    """The fake's script: symbols, forced failures and a request log."""

    symbols: dict[str, FakeSymbol] = field(default_factory=dict)
    rate_limited: int = 0  # answer this many data requests with 429 first
    requests: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def hit(self, kind: str) -> bool:
        """Count a request; say whether it must be rate limited."""
        with self.lock:
            self.requests[kind] += 1
            if self.rate_limited > 0:
                self.rate_limited -= 1
                return True
            return False


def _ts(day: date) -> int:
    return int(datetime.combine(day, time(9, 30), NY).timestamp())


def _num(x: float) -> float | None:
    return None if math.isnan(x) else x


def chart_json(sym: str, info: FakeSymbol) -> dict[str, Any]:
    """Return Yahoo's v8 chart answer for a symbol's daily bars."""
    bars = info.bars
    last = bars[-1] if bars else None
    meta = {
        "currency": "USD", "symbol": sym, "exchangeName": "NMS", "fullExchangeName": "NasdaqGS",
        "instrumentType": "EQUITY" if not sym.startswith("^") else "INDEX",
        "firstTradeDate": _ts(bars[0][0]) if bars else 0,
        "regularMarketTime": _ts(last[0]) + 23400 if last else 0,
        "hasPrePostMarketData": True, "gmtoffset": -18000, "timezone": "EST",
        "exchangeTimezoneName": "America/New_York",
        "regularMarketPrice": _num(last[4]) if last else None,
        "chartPreviousClose": _num(bars[0][4]) if bars else None, "priceHint": 2,
        "dataGranularity": "1d", "range": "",
        "validRanges": ["1d", "5d", "1mo", "3mo", "6mo", "1y", "2y", "5y", "10y", "ytd", "max"],
    }  # fmt: skip
    if not bars:
        return {"chart": {"result": [{"meta": meta, "indicators": {"quote": [{}]}}], "error": None}}
    quote = {
        k: [_num(b[i]) for b in bars]
        for i, k in ((1, "open"), (2, "high"), (3, "low"), (4, "close"), (5, "volume"))
    }
    return {
        "chart": {
            "result": [
                {
                    "meta": meta,
                    "timestamp": [_ts(b[0]) for b in bars],
                    "indicators": {"quote": [quote], "adjclose": [{"adjclose": quote["close"]}]},
                }
            ],
            "error": None,
        }
    }


def yahoo_article(
    title: str,
    published: datetime,
    *,
    publisher: str = "Reuters",
    url: str | None = "https://finance.yahoo.com/news/story.html",
    summary: str = "",
    symbols: tuple[str, ...] = ("AAPL",),
) -> dict[str, Any]:
    """Return one item of Yahoo's news stream, in the shape ``Ticker.news`` returns."""
    uid = f"{abs(hash((title, published))) % 10**12:012d}-0000-0000-0000-000000000000"
    stamp = published.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "id": uid,
        "content": {
            "id": uid, "contentType": "STORY", "title": title, "description": "",
            "summary": summary, "pubDate": stamp, "displayTime": stamp, "isHosted": True,
            "bypassModal": False, "previewUrl": None,
            "thumbnail": {"originalUrl": "https://s.yimg.com/x.jpg", "originalWidth": 1200,
                          "originalHeight": 800, "caption": "", "resolutions": []},
            "provider": {"displayName": publisher, "url": "https://www.reuters.com/",
                         "sourceId": "reuters.com"},
            "canonicalUrl": None if url is None else
            {"url": url, "site": "finance", "region": "US", "lang": "en-US"},
            "clickThroughUrl": None if url is None else
            {"url": url, "site": "finance", "region": "US", "lang": "en-US"},
            "metadata": {"editorsPick": False},
            "finance": {"premiumFinance": {"isPremiumNews": False, "isPremiumFreeNews": False},
                        "stockTickers": [{"symbol": s} for s in symbols]},
            "storyline": None,
        },
    }  # fmt: skip


#: An ad as Yahoo mixes them into the stream (yfinance drops items with a non-empty "ad").
AD_ITEM: dict[str, Any] = {"id": "ad-1", "ad": [{"id": "ad-1"}], "content": {"title": "Buy!"}}


def summary_json(sym: str, info: FakeSymbol, modules: list[str]) -> dict[str, Any]:
    """Return Yahoo's v10 quoteSummary answer with the modules asked for."""
    result: dict[str, Any] = {}
    if "assetProfile" in modules:
        result["assetProfile"] = {"sector": info.sector, "industry": "Things", "maxAge": 86400}
    if "quoteType" in modules:
        result["quoteType"] = {"symbol": sym, "longName": info.name, "quoteType": "EQUITY"}
    if "summaryDetail" in modules:
        result["summaryDetail"] = {"marketCap": info.market_cap}
    for name in modules:
        if name in info.modules:
            result[name] = {**result.get(name, {}), **info.modules[name]}
    if "calendarEvents" in modules:
        stamps = [int(datetime.combine(d, time(12), UTC).timestamp()) for d in info.earnings]
        result["calendarEvents"] = {"earnings": {"earningsDate": stamps}}
    return {"quoteSummary": {"result": [result], "error": None}}


class _Handler(BaseHTTPRequestHandler):
    state: FakeYahooState

    def log_message(self, format: str, *args: object) -> None:  # silence the test output
        pass

    def _send(self, status: int, body: object, ctype: str = "application/json") -> None:
        raw = (json.dumps(body) if ctype == "application/json" else str(body)).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(raw)))
        if self.path.startswith("/fc.yahoo.com"):
            self.send_header("Set-Cookie", "A3=d=fake; Domain=127.0.0.1; Path=/")
        self.end_headers()
        self.wfile.write(raw)

    def do_POST(self) -> None:
        parts = urlsplit(self.path)
        host, _, path = unquote(parts.path).lstrip("/").partition("/")
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}") if length else {}
        if host == "finance.yahoo.com" and path == "xhr/ncp":
            symbols = body.get("serviceConfig", {}).get("s") or [""]
            sym = symbols[0]
            if self.state.hit(f"news:{sym}"):
                return self._send(429, "Too Many Requests", "text/plain")
            info = self.state.symbols.get(sym)
            if info is not None and info.news is None:
                return self._send(500, "<html>Will be right back</html>", "text/html")
            count = int(body.get("serviceConfig", {}).get("snippetCount") or 10)
            stream = [] if info is None else (info.news or [])[:count]
            return self._send(200, {"data": {"tickerStream": {"stream": stream}}})
        self._send(404, "<html>no</html>", "text/html")

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        host, _, path = unquote(parts.path).lstrip("/").partition("/")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        st = self.state
        if host == "fc.yahoo.com":
            return self._send(404, "<html>cookie set</html>", "text/html")
        if path == "v1/test/getcrumb":
            return self._send(200, "fakecrumb", "text/plain")
        if path.startswith("v8/finance/chart/"):
            sym = path.rsplit("/", 1)[1]
            if st.hit(f"chart:{sym}:{query.get('range', 'dates')}"):
                return self._send(429, "Too Many Requests", "text/plain")
            info = st.symbols.get(sym)
            if info is None:
                err = {"code": "Not Found", "description": "No data found, symbol may be delisted"}
                return self._send(404, {"chart": {"result": None, "error": err}})
            return self._send(200, chart_json(sym, info))
        if path.startswith("v10/finance/quoteSummary/"):
            sym = path.rsplit("/", 1)[1]
            if st.hit("summary:" + sym):
                return self._send(429, "Too Many Requests", "text/plain")
            info = st.symbols.get(sym)
            modules = query.get("modules", "").split(",")
            if info is None or (info.calendar_error and "calendarEvents" in modules):
                err = {"code": "Not Found", "description": "Quote not found for symbol"}
                return self._send(404, {"quoteSummary": {"result": None, "error": err}})
            return self._send(200, summary_json(sym, info, modules))
        if path.startswith("v7/finance/quote"):
            info = st.symbols.get(query.get("symbols", ""))
            result = [{"symbol": query["symbols"], **info.quote}] if info and info.quote else []
            return self._send(200, {"quoteResponse": {"result": result, "error": None}})
        if "fundamentals-timeseries" in path:
            return self._send(200, {"timeseries": {"result": [], "error": None}})
        return self._send(404, "<html>not here</html>", "text/html")


class FakeYahoo:
    """Run the fake on an ephemeral loopback port (use as a context manager)."""

    def __init__(self, state: FakeYahooState | None = None) -> None:
        self.state = state or FakeYahooState()
        handler = type("Handler", (_Handler,), {"state": self.state})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FakeYahoo:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def session(self) -> RewritingSession:
        """Return a yfinance-compatible session that talks to this fake."""
        return RewritingSession(self.port)


class RewritingSession(curl_requests.Session):  # type: ignore[misc]
    """A curl_cffi session that sends every request to the fake instead of Yahoo."""

    def __init__(self, port: int) -> None:
        super().__init__()
        self._port = port

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        """Rewrite https://host/path to http://127.0.0.1:port/host/path, then send."""
        parts = urlsplit(url)
        local = f"http://127.0.0.1:{self._port}/{parts.netloc}{parts.path}"
        if parts.query:
            local += "?" + parts.query
        kwargs.pop("impersonate", None)
        return super().request(method, local, *args, **kwargs)
