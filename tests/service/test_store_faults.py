"""Which database errors mean "unavailable" (503), and which are bugs or bad data (not)."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest
from sqlalchemy import exc as sa_exc

from swingdesk.store.faults import DatabaseHealth, is_database_unavailable


class CannotConnectNowError(Exception):
    """Named like asyncpg's error for a server starting up or shutting down."""


def _wrapped(
    orig: BaseException, cls: type[sa_exc.DBAPIError] = sa_exc.OperationalError
) -> Exception:
    return cls("SELECT 1", {}, orig)


def _with_sqlstate(sqlstate: str) -> psycopg.Error:
    err = psycopg.errors.lookup(sqlstate)("server says no")
    return err


@pytest.mark.parametrize(
    "error",
    [
        _wrapped(sqlite3.OperationalError("database is locked")),
        _wrapped(sqlite3.OperationalError("unable to open database file")),
        _wrapped(psycopg.OperationalError("connection failed: Connection refused")),
        _wrapped(psycopg.errors.ConnectionTimeout("connection timeout expired")),
        _wrapped(psycopg.InterfaceError("the connection is closed"), sa_exc.InterfaceError),
        _wrapped(_with_sqlstate("57P01")),  # admin shutdown
        _wrapped(_with_sqlstate("57014")),  # statement timeout
        _wrapped(_with_sqlstate("53300")),  # too many connections
        _wrapped(_with_sqlstate("08006")),  # connection failure
        _wrapped(CannotConnectNowError("starting up")),
        _wrapped(ConnectionResetError("reset by peer")),
        sa_exc.TimeoutError("QueuePool limit of size 10 overflow 10 reached"),
    ],
    ids=repr,
)
def test_classify_when_the_database_cannot_answer_then_unavailable(error: Exception) -> None:
    assert is_database_unavailable(error)


@pytest.mark.parametrize(
    "error",
    [
        _wrapped(sqlite3.OperationalError("no such table: orders")),
        _wrapped(sqlite3.IntegrityError("UNIQUE constraint failed"), sa_exc.IntegrityError),
        _wrapped(sqlite3.InterfaceError("Error binding parameter 1"), sa_exc.InterfaceError),
        _wrapped(_with_sqlstate("23505"), sa_exc.IntegrityError),  # unique violation
        _wrapped(_with_sqlstate("42P01"), sa_exc.ProgrammingError),  # undefined table
        ValueError("a bug"),
    ],
    ids=repr,
)
def test_classify_when_the_error_is_a_bug_or_bad_data_then_not_unavailable(
    error: Exception,
) -> None:
    assert not is_database_unavailable(error)


def test_health_when_an_outage_fails_many_operations_then_one_line_each_way(
    caplog: pytest.LogCaptureFixture,
) -> None:
    health = DatabaseHealth(retry_after_s=7)
    with caplog.at_level("INFO"):
        for _ in range(50):
            raised = health.failed(psycopg.OperationalError("connection refused"))
            assert raised.code == "DATABASE_UNAVAILABLE"
            assert raised.retry_after_s == 7
        for _ in range(50):
            health.succeeded()
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2
    assert lines[0].startswith("database unavailable (OperationalError: connection refused)")
    assert lines[1].startswith("database available again after")
    assert "(50 operations failed meanwhile)" in lines[1]
