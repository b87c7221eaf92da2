"""Shared fixtures: databases (SQLite and PostgreSQL), the shared market data, a fake clock."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from swingdesk.adapters.clock import ManualClock
from swingdesk.config import async_url

IN_CI = bool(os.environ.get("CI"))
PG_DSN = os.environ.get("SWINGDESK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
SHARED_MARKET = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "market"
#: A Tuesday, mid-session in New York (15:00 UTC = 10:00 EST).
T0 = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def _missing(what: str) -> None:
    """Fail in CI, skip (loudly) on a developer machine."""
    if IN_CI:
        pytest.fail(f"{what} is required in CI but is not available", pytrace=False)
    pytest.skip(f"{what} not available (required in CI)")


@pytest.fixture(scope="session")
def pg_server() -> str:
    """Return the PostgreSQL DSN, failing in CI when the server is unreachable."""
    try:
        with psycopg.connect(PG_DSN, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.OperationalError as exc:
        _missing(f"PostgreSQL at {PG_DSN} ({exc})")
    return PG_DSN


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """Yield an async URL to a fresh, empty schema of its own; drop it afterwards."""
    schema = f"sd_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield async_url(f"{pg_server}?options=-csearch_path%3D{schema}")
    finally:
        with psycopg.connect(pg_server, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """Return an async URL to a fresh SQLite file."""
    return async_url(f"sqlite:///{tmp_path / 'swingdesk.db'}")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """Return a fresh database URL: each test using it runs on SQLite and on PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    url: str = request.getfixturevalue(name)
    return url


@pytest.fixture
def shared_market() -> Path:
    """Return ../shared/data/market, failing in CI when it is absent."""
    if not (SHARED_MARKET / "AAPL.csv").is_file():
        _missing(f"the shared market data at {SHARED_MARKET}")
    return SHARED_MARKET


@pytest.fixture
def clock() -> ManualClock:
    """Return a manual clock at a fixed mid-session instant."""
    return ManualClock(T0)


REDIS_URL = os.environ.get("SWINGDESK_TEST_REDIS", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session")
def redis_server() -> str:
    """Return the Redis URL, failing in CI when the server is unreachable."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=3).ping()
    except (redis.RedisError, OSError) as exc:
        _missing(f"Redis at {REDIS_URL} ({exc})")
    return REDIS_URL


@pytest.fixture
def redis_prefix(redis_server: str) -> Iterator[str]:
    """Yield a key prefix of this test's own (Redis is shared: never FLUSHALL); its keys
    are deleted afterwards."""
    import redis

    prefix = f"sdtest:{uuid.uuid4().hex[:12]}"
    try:
        yield prefix
    finally:
        client = redis.Redis.from_url(redis_server, socket_timeout=5)
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()
