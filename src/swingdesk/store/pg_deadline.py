"""A client-side deadline on every wait for PostgreSQL.

``statement_timeout`` is enforced by the server, so it cannot end a wait for a server that
never got the statement: in a silent network partition (or behind a stalled proxy) the socket
stays open and the TCP stack keeps it alive for many minutes. So every wait on a connection
(a query, a commit, a rollback, the pool's ping) gets a deadline of its own, a little longer
than the server's statement timeout; when it passes, the socket is shut down, psycopg fails
the operation at once with a connection error, and SQLAlchemy discards the connection as
disconnected. Shutting the socket down (rather than closing it, or cancelling the task) keeps
the file descriptor psycopg is polling valid and skips psycopg's cancel request, which would
itself wait on the unreachable server.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg


class DeadlineConnection(psycopg.AsyncConnection[Any]):
    """A psycopg async connection whose every wait ends after ``deadline_s`` at the latest."""

    deadline_s: float | None = None

    async def wait(self, *args: Any, **kwargs: Any) -> Any:
        """Wait for the server as psycopg does, but give up (and drop the link) at the deadline."""
        deadline = self.deadline_s
        if deadline is None:
            return await super().wait(*args, **kwargs)
        fired = False

        def sever() -> None:
            nonlocal fired
            fired = True
            with contextlib.suppress(psycopg.Error):  # already closed: nothing to wake
                _shut_down(self.pgconn.socket)

        timer = asyncio.get_running_loop().call_later(deadline, sever)
        try:
            return await super().wait(*args, **kwargs)
        except psycopg.Error as exc:
            if fired:
                raise psycopg.OperationalError(
                    f"no answer from the database within {deadline:g} s"
                ) from exc
            raise
        finally:
            timer.cancel()


def _shut_down(fd: int) -> None:
    """Shut a socket down for both directions without closing the caller's descriptor."""
    try:
        sock = socket.socket(fileno=os.dup(fd))
    except OSError:
        return  # already closed: nothing to wake
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


def deadline_connector(deadline_s: float) -> Callable[..., Awaitable[DeadlineConnection]]:
    """Return a connect function (SQLAlchemy's ``async_creator_fn``) with this deadline."""

    async def connect(*args: Any, **kwargs: Any) -> DeadlineConnection:
        conn = await DeadlineConnection.connect(*args, **kwargs)
        conn.deadline_s = deadline_s
        return conn

    return connect
