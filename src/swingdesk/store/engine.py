"""Engine creation: one place that knows the quirks of SQLite and PostgreSQL.

Every wait for the database is bounded (``DatabaseTimeouts``), and an unavailable database
(refused, lost, timed out, locked past the busy timeout, pool exhausted) surfaces as
``DatabaseUnavailableError`` from here, whichever code touched it (``store/faults.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.engine import Connection, ExceptionContext, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry

from swingdesk.store import sqlite_driver
from swingdesk.store.faults import DatabaseHealth, is_database_unavailable

#: Execution option that marks a transaction as a writer.
WRITE = "swingdesk_write"
#: The client waits this much longer than the server's statement timeout, so that normally
#: the server cancels the statement (and the connection survives) before the client gives up.
CLIENT_GRACE_S = 1.0


@dataclass(frozen=True)
class DatabaseTimeouts:
    """How long the store waits for the database before calling it unavailable, seconds."""

    connect_s: int = 5
    statement_s: float = 10.0
    pool_s: float = 5.0

    @property
    def client_deadline_s(self) -> float:
        """Return the longest one wait on a PostgreSQL connection may last, seconds."""
        return self.statement_s + CLIENT_GRACE_S


def make_engine(
    url: str,
    *,
    echo: bool = False,
    timeouts: DatabaseTimeouts | None = None,
    health: DatabaseHealth | None = None,
) -> AsyncEngine:
    """Create the async engine for ``url`` with safe settings for each database."""
    timeouts = timeouts or DatabaseTimeouts()
    health = health or DatabaseHealth()
    if url.startswith("sqlite"):
        pool: dict[str, Any] = {}
        if SQLiteDialect_aiosqlite.get_pool_class(make_url(url)) is AsyncAdaptedQueuePool:
            pool = {"poolclass": _bounded_pool(health), "pool_timeout": timeouts.pool_s}
        engine = create_async_engine(
            url,
            echo=echo,
            connect_args={
                "timeout": timeouts.statement_s,
                "async_creator_fn": sqlite_driver.connect,
            },
            **pool,
        )
        _sqlite_setup(engine, busy_timeout_ms=int(timeouts.statement_s * 1000))
    else:
        engine = create_async_engine(
            url,
            echo=echo,
            pool_pre_ping=True,
            pool_size=10,
            max_overflow=10,
            poolclass=_bounded_pool(health),
            pool_timeout=timeouts.pool_s,
            connect_args=_postgres_connect_args(url, timeouts),
        )
    _translate_unavailability(engine, health)
    return engine


def _postgres_connect_args(url: str, timeouts: DatabaseTimeouts) -> dict[str, Any]:
    from swingdesk.store.pg_deadline import deadline_connector

    # The URL may carry options of its own (a search_path): keep them, add the timeout.
    given = make_url(url).query.get("options")
    own = f"-c statement_timeout={int(timeouts.statement_s * 1000)}"
    options = f"{given} {own}" if isinstance(given, str) and given else own
    return {
        "connect_timeout": timeouts.connect_s,
        "options": options,
        "async_creator_fn": deadline_connector(timeouts.client_deadline_s),
    }


def _bounded_pool(health: DatabaseHealth) -> type[AsyncAdaptedQueuePool]:
    class BoundedQueuePool(AsyncAdaptedQueuePool):
        """The async queue pool; a checkout that waits past pool_timeout is an outage."""

        # Log where SQLAlchemy's own pool logs, not under swingdesk's (INFO) namespace.
        _sqla_logger_namespace = "sqlalchemy.pool.impl.AsyncAdaptedQueuePool"

        def _do_get(self) -> ConnectionPoolEntry:
            try:
                return super()._do_get()
            except exc.TimeoutError as timeout:
                raise health.failed(timeout) from timeout

    return BoundedQueuePool


def _translate_unavailability(engine: AsyncEngine, health: DatabaseHealth) -> None:
    @event.listens_for(engine.sync_engine, "handle_error")
    def _on_error(ctx: ExceptionContext) -> BaseException | None:
        if ctx.is_pre_ping:
            return None  # the pool replaces a connection that failed its ping by itself
        if is_database_unavailable(ctx.original_exception, disconnect=ctx.is_disconnect):
            return health.failed(ctx.original_exception)
        return None

    @event.listens_for(engine.sync_engine, "after_cursor_execute")
    def _on_success(*_: Any) -> None:
        health.succeeded()


def _sqlite_setup(engine: AsyncEngine, *, busy_timeout_ms: int) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control from the driver so writers can BEGIN IMMEDIATE: two
        # deferred writers would otherwise deadlock on lock upgrade instead of waiting.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(WRITE, False)
        sql = "BEGIN IMMEDIATE" if immediate else "BEGIN"
        driver = conn.connection.driver_connection
        if isinstance(driver, sqlite_driver.PrefetchConnection) and driver.hold_begin(sql):
            return  # it runs just before the transaction's first statement (sqlite_driver)
        conn.exec_driver_sql(sql)
