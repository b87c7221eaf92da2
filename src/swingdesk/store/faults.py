"""Database faults: which errors mean "the database is unavailable", and one log line each way.

The store is the adapter for the database, so this is where driver errors are classified
(DESIGN.md, convention 8): the engine's hooks (``store/engine.py``) turn an unavailable
database into ``DatabaseUnavailableError``, which the API answers with 503 and a decision
records without a traceback. During an outage every request fails the same way, so the
outage is logged once when it starts and once when the database answers again.
"""

from __future__ import annotations

import logging
import sqlite3
import time

from sqlalchemy import exc as sa_exc

from swingdesk.domain.errors import DatabaseUnavailableError

log = logging.getLogger(__name__)
#: SQLSTATEs of a server that cannot serve us now: connection exceptions (class 08), shutting
#: down or starting up, too many connections, and a statement ended by statement_timeout.
UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300", "57014"})
#: SQLite's words for a lock still held after the busy timeout, or a file it cannot open.
SQLITE_UNAVAILABLE = ("database is locked", "database table is locked", "unable to open")


def is_database_unavailable(exc: BaseException, *, disconnect: bool = False) -> bool:
    """Say whether ``exc`` means the database cannot be reached or did not answer in time."""
    if disconnect or isinstance(exc, sa_exc.TimeoutError):  # pool checkout timed out
        return True
    current: BaseException | None = exc
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:
            return True
        current = exc.orig
    for _ in range(8):  # the driver's own chain of causes, bounded
        if current is None:
            return False
        if _driver_says_unavailable(current):
            return True
        current = current.__cause__
    return False


def _driver_says_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, sqlite3.OperationalError):
        return str(exc).lower().startswith(SQLITE_UNAVAILABLE)
    if isinstance(exc, sqlite3.Error):
        return False
    if isinstance(exc, OSError | TimeoutError):  # refused, reset, unreachable, timed out
        return True
    # psycopg and asyncpg both name the server's SQLSTATE ``sqlstate``; a client-side
    # connection failure (refused, lost, timed out) is an OperationalError without one.
    sqlstate = getattr(exc, "sqlstate", None)
    if isinstance(sqlstate, str):
        return sqlstate.startswith("08") or sqlstate in UNAVAILABLE_SQLSTATES
    name = type(exc).__name__
    return name in ("OperationalError", "InterfaceError", "ConnectionTimeout") or (
        name.startswith(("Connection", "CannotConnect", "TooManyConnections"))
    )


class DatabaseHealth:
    """Remembers whether the database is down, so that an outage is logged once each way."""

    def __init__(self, *, retry_after_s: float = 5.0) -> None:
        self.retry_after_s = retry_after_s
        self.down_since: float | None = None
        self.failures = 0

    def failed(self, exc: BaseException) -> DatabaseUnavailableError:
        """Record one failure caused by ``exc``; return the error to raise in its place."""
        self.failures += 1
        if self.down_since is None:
            self.down_since = time.monotonic()
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            log.warning(
                "database unavailable (%s: %s); answering 503 DATABASE_UNAVAILABLE until it "
                "answers again",
                type(exc).__name__,
                reason[:200],
            )
        return DatabaseUnavailableError(retry_after_s=self.retry_after_s)

    def succeeded(self) -> None:
        """Record that a statement succeeded (logs the recovery after an outage)."""
        if self.down_since is None:
            return
        down_s, failures = time.monotonic() - self.down_since, self.failures
        self.down_since, self.failures = None, 0
        log.warning(
            "database available again after %.1f s (%d operations failed meanwhile)",
            down_s,
            failures,
        )
