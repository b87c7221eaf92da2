"""Running coroutines from synchronous entry points, on uvloop where it is installed."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` to completion on a new event loop (uvloop when available, as uvicorn does)."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is not built for Windows
        return asyncio.run(main)
    return uvloop.run(main)
