"""Caps on live streams: per caller (key or token) and in total.

A stream holds a connection, a queue and a share of every published frame for as long as
the client stays; without a cap one token could open thousands. A stream is admitted under
a lease that the response gives back when it ends, however it ends (client gone, server
stopping, an error), so the counts cannot leak.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any

from fastapi.responses import StreamingResponse
from starlette.types import Receive, Send
from starlette.types import Scope as AsgiScope

from swingdesk.api.metrics import Metrics
from swingdesk.api.security import RateLimitedError

#: Seconds a refused client is asked to wait (EventSource retries every 3 s by itself).
RETRY_AFTER_S = 5.0


class TooManyStreamsError(RateLimitedError):
    """The caller, or the service, has as many live streams open as it may."""

    code = "TOO_MANY_STREAMS"


def caller_identity(*, key_scope: str | None, token: str | None, client: str) -> str:
    """Return who a stream is counted against: a key's scope, a token, or the client address."""
    if key_scope is not None:
        return f"key:{key_scope}"
    if token is not None:
        return "token:" + hashlib.sha256(token.encode()).hexdigest()[:16]
    return f"client:{client}"


class StreamLease:
    """One admitted stream; ``release`` gives its place back (once)."""

    def __init__(self, admission: StreamAdmission, identity: str) -> None:
        self._admission = admission
        self.identity = identity
        self._held = True

    def release(self) -> None:
        """Give the stream's place back (idempotent)."""
        if self._held:
            self._held = False
            self._admission._release(self.identity)


class StreamAdmission:
    """Counts open streams per caller and in total, and refuses past either cap."""

    def __init__(self, *, per_caller: int, total: int, metrics: Metrics) -> None:
        self.per_caller = per_caller
        self.total = total
        self.metrics = metrics
        self._open: Counter[str] = Counter()

    @property
    def open(self) -> int:
        """Return how many streams are open."""
        return sum(self._open.values())

    def admit(self, identity: str) -> StreamLease:
        """Admit one more stream for ``identity`` or raise TooManyStreamsError (429)."""
        if self._open[identity] >= self.per_caller:
            self._refuse(
                f"this key or token already has {self.per_caller} live streams open",
                {"limit_per_caller": self.per_caller},
            )
        if self.open >= self.total:
            self._refuse(
                f"the service already has {self.total} live streams open",
                {"limit_total": self.total},
            )
        self._open[identity] += 1
        return StreamLease(self, identity)

    def _refuse(self, message: str, details: dict[str, object]) -> None:
        self.metrics.sse_refused += 1
        raise TooManyStreamsError(message, retry_after_s=RETRY_AFTER_S, details=details)

    def _release(self, identity: str) -> None:
        self._open[identity] -= 1
        if self._open[identity] <= 0:
            del self._open[identity]


class LeasedStreamingResponse(StreamingResponse):
    """A streaming response that releases its stream lease when it ends, however it ends."""

    def __init__(self, *args: Any, lease: StreamLease, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lease = lease

    async def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        """Stream, then give the lease back."""
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.lease.release()
