"""Headlines from Alpaca's News API (``GET /v1beta1/news``): a thin async httpx client.

The same reasons as ``alpaca_data`` for not using alpaca-py's ``NewsClient`` (synchronous,
no timeout, fixed 429 sleeps); the SDK still judges the wire contract, since the fake
server the tests use is checked with that very client. One request shape serves every use:
``symbols=A,B&start&end&limit&sort=desc&include_content=false``, following
``next_page_token`` until enough articles came (50 per page at most, Alpaca's cap), a page
token repeated or ``MAX_PAGES``. Articles are Benzinga's, with ``created_at`` as the
publication time; nothing published after the requested ``end`` leaves this adapter.

Each ticker's latest headlines go through a ``TtlCache`` keyed by the minute (60 s by
default, single-flight), so a scan of many decisions in one minute asks once per ticker.
Errors map as for bars: 429 backs off (``Retry-After`` / ``X-RateLimit-Reset``, else
exponential) and ends as TemporaryError, 401/403 are ConfigurationError, 5xx, timeouts and
bodies that are not the documented JSON are TemporaryError; the snapshot then lists "news"
as missing. Alpaca has no fundamentals: they come from the optional ``fundamentals`` source
(Yahoo, with ``SWINGDESK_ALPACA_DATA_CONTEXT=yahoo``), else they are missing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import SecretStr

from swingdesk.adapters.alpaca_http import data_error, retry_after_s
from swingdesk.domain.clock import ensure_utc
from swingdesk.domain.context import Fundamentals, Headline
from swingdesk.domain.errors import ConfigurationError, TemporaryError
from swingdesk.endpoints import DATA_URL, check_data_url
from swingdesk.ports import MarketContextSource
from swingdesk.ttl_cache import TtlCache

log = logging.getLogger(__name__)

NEWS_PATH = "/v1beta1/news"
PAGE_LIMIT = 50  # Alpaca's largest news page
MAX_PAGES = 100

#: Shared by every AlpacaNews in the process (single-flight across tasks and threads).
CACHE: TtlCache[Any] = TtlCache(60.0)


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def headline_of(article: Any) -> Headline | None:
    """Return one wire article as a Headline, None when it has no title or no valid time."""
    if not isinstance(article, dict):
        return None
    try:
        created = datetime.fromisoformat(str(article["created_at"]).replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return None
    if created.tzinfo is None:
        return None
    return Headline.of(
        str(article.get("headline") or ""),
        created.astimezone(UTC),
        publisher=str(article.get("source") or "") or None,
        url=str(article.get("url") or "") or None,
        summary=str(article.get("summary") or "") or None,
    )


class AlpacaNews:
    """Alpaca's News API behind the ``MarketContextSource`` port."""

    waits_on_io = True

    def __init__(
        self,
        api_key: SecretStr | None,
        secret_key: SecretStr | None,
        *,
        base_url: str = DATA_URL,
        connect_timeout_s: float = 5.0,
        read_timeout_s: float = 10.0,
        lookback_days: float = 14.0,
        cache: TtlCache[Any] | None = None,
        max_attempts: int = 4,
        backoff_s: float = 1.0,
        max_backoff_s: float = 30.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        fundamentals: MarketContextSource | None = None,
    ) -> None:
        key = api_key.get_secret_value() if api_key else ""
        secret = secret_key.get_secret_value() if secret_key else ""
        if not key or not secret:
            raise ConfigurationError(
                "Alpaca news needs ALPACA_API_KEY and ALPACA_SECRET_KEY (any Alpaca account)"
            )
        self.base_url = check_data_url(base_url)
        self._headers = {"APCA-API-KEY-ID": key, "APCA-API-SECRET-KEY": secret}
        self._timeout = httpx.Timeout(read_timeout_s, connect=connect_timeout_s)
        self.lookback = timedelta(days=lookback_days)
        self.cache = cache if cache is not None else CACHE
        self.max_attempts = max_attempts
        self.backoff_s, self.max_backoff_s = backoff_s, max_backoff_s
        self._sleep = sleep
        self.fundamentals_source = fundamentals
        self.rate_limited = 0

    @classmethod
    def from_settings(
        cls, settings: Any, *, fundamentals: MarketContextSource | None = None
    ) -> AlpacaNews:
        """Build the client from Settings (keys, data URL, timeouts, news lookback)."""
        return cls(
            settings.alpaca_api_key,
            settings.alpaca_secret_key,
            base_url=settings.alpaca_data_url,
            connect_timeout_s=settings.alpaca_connect_timeout_s,
            read_timeout_s=settings.alpaca_read_timeout_s,
            lookback_days=settings.news_lookback_days,
            fundamentals=fundamentals,
        )

    async def _get(self, client: httpx.AsyncClient, params: dict[str, str], what: str) -> Any:
        """Fetch one page, backing off on 429; return its JSON body."""
        for attempt in range(1, self.max_attempts + 1):
            try:
                resp = await client.get(NEWS_PATH, params=params)
            except httpx.TimeoutException as exc:
                raise TemporaryError(f"Alpaca news timed out: {type(exc).__name__}") from exc
            except httpx.TransportError as exc:
                raise TemporaryError(f"cannot reach Alpaca news: {exc!r}") from exc
            if resp.status_code == 429:
                self.rate_limited += 1
                hint = retry_after_s(resp)
                wait = self.backoff_s * 2 ** (attempt - 1) if hint is None else hint
                wait = min(wait, self.max_backoff_s)
                log.warning("Alpaca news rate limit on %s, backing off %.1fs", what, wait)
                if attempt == self.max_attempts:
                    raise TemporaryError(
                        f"Alpaca news rate limit on {what} after {attempt} attempts",
                        retry_after_s=wait,
                    )
                await self._sleep(wait)
                continue
            if resp.status_code >= 300:
                raise data_error(resp, f"news of {what}")
            try:
                body = resp.json()
            except ValueError as exc:
                raise TemporaryError(f"Alpaca sent a non-JSON news reply for {what}") from exc
            if not isinstance(body, dict) or not isinstance(body.get("news") or [], list):
                raise TemporaryError(f"Alpaca sent an unexpected news body for {what}")
            return body
        raise AssertionError("unreachable")

    async def fetch(
        self, symbols: Sequence[str], start: datetime, end: datetime, limit: int
    ) -> list[tuple[tuple[str, ...], Headline]]:
        """Return up to ``limit`` articles about ``symbols`` created in [start, end], newest
        first, each with the symbols it names; every page followed."""
        what = ",".join(symbols)
        params = {
            "symbols": what, "start": _rfc3339(start), "end": _rfc3339(end),
            "sort": "desc", "include_content": "false",
        }  # fmt: skip
        out: list[tuple[tuple[str, ...], Headline]] = []
        seen: set[str] = set()
        async with httpx.AsyncClient(
            base_url=self.base_url, headers=self._headers, timeout=self._timeout,
            follow_redirects=False,
        ) as client:  # fmt: skip
            for _ in range(MAX_PAGES):
                params["limit"] = str(min(PAGE_LIMIT, limit - len(out)))
                page = await self._get(client, params, what)
                for article in page.get("news") or []:
                    headline = headline_of(article)
                    if headline is None or headline.published_at > end:
                        continue  # whatever the server sent, nothing after ``end``
                    names = article.get("symbols") or []
                    out.append((tuple(str(s) for s in names if isinstance(s, str)), headline))
                token = page.get("next_page_token")
                if not token or len(out) >= limit:
                    break
                if not isinstance(token, str) or token in seen:
                    raise TemporaryError(f"Alpaca repeated news page token {token!r} for {what}")
                seen.add(token)
                params["page_token"] = token
        return out[:limit]

    async def news(self, ticker: str, now: datetime, limit: int) -> list[Headline]:
        """Return the newest ``limit`` headlines about ``ticker`` at or before ``now``."""
        now = ensure_utc(now)
        if limit < 1:
            return []
        key = ("alpaca-news", self.base_url, ticker, int(now.timestamp()) // 60, limit)

        async def load() -> list[Headline]:
            rows = await self.fetch([ticker], now - self.lookback, now, limit)
            return [h for _, h in rows]

        items: list[Headline] = await self.cache.get(key, load)
        return [h for h in items if h.published_at <= now]

    async def fundamentals(self, ticker: str, now: datetime) -> Fundamentals | None:
        """Return the fundamentals source's answer; None without one (Alpaca has none)."""
        if self.fundamentals_source is None:
            return None
        return await self.fundamentals_source.fundamentals(ticker, now)
