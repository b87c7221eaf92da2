"""API keys, scopes, signed stream tokens, the start-up check and the trigger limits."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from decimal import Decimal
from enum import IntEnum

from pydantic import SecretStr

from swingdesk.api.key_strength import HOW_TO_GENERATE, key_weakness
from swingdesk.config import Profile, Settings
from swingdesk.domain.errors import ConfigurationError, SwingdeskError
from swingdesk.ports import Clock

log = logging.getLogger(__name__)
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class Scope(IntEnum):
    """What a caller may do; a higher scope includes the lower ones."""

    NONE = 0
    READ = 1
    TRADE = 2


class RateLimitedError(SwingdeskError):
    """Too many requests; retry after ``retry_after_s``."""

    code = "RATE_LIMITED"

    def __init__(self, message: str, *, retry_after_s: float, details: dict[str, object]) -> None:
        super().__init__(message, details=details)
        self.retry_after_s = retry_after_s


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value() if value else ""


def check_startup_security(settings: Settings) -> None:
    """Refuse to serve openly anywhere but loopback in the demo, and refuse weak keys."""
    trade, read = _secret(settings.api_key), _secret(settings.read_api_key)
    for name, key in (
        ("APP_API_KEY", trade),
        ("APP_READ_API_KEY", read),
        ("SWINGDESK_METRICS_API_KEY", _secret(settings.metrics_api_key)),
    ):
        why = key_weakness(key) if key else None
        if why is not None:
            raise ConfigurationError(f"{name} {why}; {HOW_TO_GENERATE}")
    if trade and read and hmac.compare_digest(trade, read):
        raise ConfigurationError("APP_READ_API_KEY must differ from APP_API_KEY")
    if trade:
        return
    if settings.profile is not Profile.DEMO or settings.host not in LOOPBACK:
        raise ConfigurationError(
            "refusing to start without APP_API_KEY outside the demo profile on 127.0.0.1"
        )
    if read:
        log.warning("APP_API_KEY is not set: trading endpoints are refused (403) to every key")
        return
    log.warning(
        "!!! APP_API_KEY is not set: the API is OPEN to anyone on this machine "
        "(demo profile on %s only) !!!",
        settings.host,
    )


class KeyRing:
    """Checks keys in constant time and issues short-lived signed stream tokens."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self._trade = _secret(settings.api_key).encode()
        self._read = _secret(settings.read_api_key).encode()
        self._metrics = _secret(settings.metrics_api_key).encode()
        self.clock = clock
        self.ttl_s = settings.stream_token_ttl_s
        self.open = not self._trade and not self._read
        # Derived from the trade key so that every replica sharing the key accepts the token.
        seed = self._trade or self._read or secrets.token_bytes(32)
        self._signer = hashlib.sha256(b"swingdesk-stream-token\0" + seed).digest()

    def scope_of(self, key: str | None) -> Scope:
        """Return the scope a presented key grants (NONE for a missing or wrong key)."""
        if self.open:
            return Scope.TRADE
        given = (key or "").encode()
        # Compare against both keys every time so the timing says nothing about which matched.
        is_trade = bool(self._trade) & hmac.compare_digest(given, self._trade)
        is_read = bool(self._read) & hmac.compare_digest(given, self._read)
        if is_trade:
            return Scope.TRADE
        return Scope.READ if is_read else Scope.NONE

    def metrics_allowed(self, key: str | None) -> bool:
        """Say whether /metrics may be served to this key (always, when no key is set)."""
        if not self._metrics:
            return True
        return hmac.compare_digest((key or "").encode(), self._metrics)

    def issue_stream_token(self, scope: Scope) -> tuple[str, int]:
        """Return a signed token for /api/stream and its expiry (Unix seconds)."""
        expires = int(self.clock.now().timestamp()) + self.ttl_s
        body = f"v1:{expires}:{int(scope)}:{secrets.token_hex(4)}".encode()
        sig = hmac.new(self._signer, body, hashlib.sha256).digest()
        return f"{_b64(body)}.{_b64(sig)}", expires

    def stream_token_scope(self, token: str) -> Scope:
        """Return the scope of a valid, unexpired stream token, NONE otherwise."""
        try:
            body_s, sig_s = token.split(".", 1)
            body, sig = _unb64(body_s), _unb64(sig_s)
        except ValueError:
            return Scope.NONE
        expected = hmac.new(self._signer, body, hashlib.sha256).digest()
        if not hmac.compare_digest(sig, expected):
            return Scope.NONE
        try:
            version, expires, scope, _nonce = body.decode().split(":")
            if version != "v1" or int(expires) < self.clock.now().timestamp():
                return Scope.NONE
            return Scope(int(scope))
        except ValueError:
            return Scope.NONE


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise ValueError("not base64") from exc


class TriggerLimiter:
    """A per-ticker cooldown and a global token bucket for decisions run through the API."""

    def __init__(self, clock: Clock, *, cooldown_s: Decimal, rate_per_min: int) -> None:
        self.clock = clock
        self.cooldown_s = float(cooldown_s)
        self.capacity = float(rate_per_min)
        self.refill_per_s = rate_per_min / 60.0
        self._tokens = self.capacity
        self._stamp = clock.now().timestamp()
        self._last: dict[str, float] = {}

    def _take(self, cost: float) -> None:
        now = self.clock.now().timestamp()
        self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.refill_per_s)
        self._stamp = now
        if self._tokens < cost:
            wait = (cost - self._tokens) / self.refill_per_s
            raise RateLimitedError(
                "too many decisions requested; slow down",
                retry_after_s=wait,
                details={"limit_per_min": int(self.capacity)},
            )
        self._tokens -= cost

    def check_trigger(self, ticker: str) -> None:
        """Admit one trigger of ``ticker`` or raise RateLimitedError (cooldown or global)."""
        now = self.clock.now().timestamp()
        last = self._last.get(ticker)
        if last is not None and now - last < self.cooldown_s:
            wait = self.cooldown_s - (now - last)
            raise RateLimitedError(
                f"{ticker} was triggered {now - last:.1f} s ago; cooldown is "
                f"{self.cooldown_s:g} s per ticker",
                retry_after_s=wait,
                details={"ticker": ticker, "cooldown_s": self.cooldown_s},
            )
        self._take(1.0)
        self._last[ticker] = now

    def check_scan(self, tickers: int) -> None:
        """Admit one scan, which costs one token (a scan is one request, however wide)."""
        self._take(1.0 if tickers else 0.0)
