"""Where the Alpaca keys may be sent: Alpaca's own hosts for each API, or a loopback server.

Every request to Alpaca carries the key and secret in its headers, so a base URL is a place
the keys go. A typo or a copied URL must not send them to someone else's host: each API
accepts only Alpaca's hosts for it (https, default port, no path), or a test server on this
machine (http or https to 127.0.0.1, ::1 or localhost, any port). The settings and the
adapters check with the same function, so the two can never disagree.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import SplitResult, urlsplit

from pydantic import AfterValidator

from swingdesk.domain.errors import ConfigurationError

PAPER_URL = "https://paper-api.alpaca.markets"
DATA_URL = "https://data.alpaca.markets"
#: Alpaca's market data sandbox (broker partners' keys).
DATA_SANDBOX_URL = "https://data.sandbox.alpaca.markets"
#: Live trading (https://api.alpaca.markets) is deliberately absent: paper only.
TRADING_URLS = (PAPER_URL,)
DATA_URLS = (DATA_URL, DATA_SANDBOX_URL)
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


def alpaca_url(base_url: str, allowed: tuple[str, ...]) -> str | None:
    """Return ``base_url`` normalised if it is one of ``allowed`` or loopback, else None."""
    try:
        parts = urlsplit(base_url.strip())
        port = parts.port  # raises on a port that is not a number
    except ValueError:
        return None
    if parts.username is not None or parts.password is not None or parts.query or parts.fragment:
        return None
    if parts.hostname in LOOPBACK_HOSTS and parts.scheme in ("http", "https"):
        return base_url.strip().rstrip("/")
    if parts.scheme != "https" or port is not None or parts.path not in ("", "/"):
        return None
    canonical = f"https://{parts.hostname}"
    return canonical if canonical in allowed else None


def check_trading_url(base_url: str) -> str:
    """Return the trading base URL if it is Alpaca's paper endpoint or loopback; else refuse."""
    url = alpaca_url(base_url, TRADING_URLS)
    if url is None:
        raise ConfigurationError(
            f"refusing Alpaca endpoint {_shown(base_url)}: swingdesk trades on paper only "
            f"({PAPER_URL}) or against a loopback test server"
        )
    return url


def check_data_url(base_url: str) -> str:
    """Return the market data base URL if it is an Alpaca data host or loopback; else refuse."""
    url = alpaca_url(base_url, DATA_URLS)
    if url is None:
        raise ConfigurationError(
            f"refusing Alpaca data URL {_shown(base_url)}: the Alpaca keys are sent only to "
            f"Alpaca's market data hosts ({', '.join(DATA_URLS)}) or to a loopback test "
            "server (http or https to 127.0.0.1, ::1 or localhost); "
            "fix or unset SWINGDESK_ALPACA_DATA_URL"
        )
    return url


def data_url_setting(value: str) -> str:
    """Validate the data URL setting, as the ValueError pydantic reports with the field name."""
    try:
        check_data_url(value)
    except ConfigurationError as exc:
        raise ValueError(exc.message) from None
    return value


#: The type of the data URL setting: validated on load, with the field's name in the error.
AlpacaDataUrl = Annotated[str, AfterValidator(data_url_setting)]


def _shown(base_url: str) -> str:
    """Return the URL as safe to print: scheme, host and port, never a user or password."""
    try:
        parts: SplitResult = urlsplit(base_url.strip())
        host = parts.hostname or ""
        netloc = f"[{host}]" if ":" in host else host
        if parts.port is not None:
            netloc += f":{parts.port}"
    except ValueError:
        return "(unparseable URL)"
    return repr(f"{parts.scheme}://{netloc}" if parts.scheme else base_url.strip()[:80])
