"""Database URLs: the async driver swingdesk uses, Alembic's sync twin, and redaction."""

from __future__ import annotations


def async_url(url: str) -> str:
    """Map a plain database URL to the async driver swingdesk uses."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
    return url


def sync_url(url: str) -> str:
    """Map an async database URL to its synchronous twin (for Alembic)."""
    return url.replace("sqlite+aiosqlite://", "sqlite://", 1)


def redact_url(url: str) -> str:
    """Hide the password in a database URL."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in creds else url
