"""Awaiting several provider calls: concurrently when they wait on the network, else in turn."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any


async def settle_all(*calls: Awaitable[Any], concurrently: bool) -> list[Any]:
    """Return each call's result, or the exception it raised, in order (``asyncio.gather``
    with ``return_exceptions=True``).

    ``concurrently`` runs them as tasks, for calls that wait on I/O; otherwise they are
    awaited one after the other: calls into memory return at once, and a task apiece would
    only add event-loop work (a fifth of a replayed decision's).
    """
    if concurrently:
        return await asyncio.gather(*calls, return_exceptions=True)
    results: list[Any] = []
    for call in calls:
        try:
            results.append(await call)
        except Exception as exc:  # returned in its place, as gather does
            results.append(exc)
    return results
