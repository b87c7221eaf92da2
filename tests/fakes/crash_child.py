"""A desk process to be killed: executes approvals against a fake Alpaca, and can freeze at a
named point (after the order is stored, after the broker accepted, before the fill is booked)
so that the test can SIGKILL it exactly there.

Usage: python crash_child.py DB_URL FAKE_URL APPROVALS_JSON POINT   (POINT: none, after_store,
after_accept, before_fill)
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from tests.fakes.alpaca_desk import build_alpaca_desk

from swingdesk.adapters.clock import SystemClock
from swingdesk.domain.events import RiskApproved


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def freeze(point: str) -> None:
    say(f"POINT {point}")
    await asyncio.sleep(3600)  # the parent kills us here


async def main(db_url: str, url: str, approvals: Path, point: str) -> None:
    desk = await build_alpaca_desk(db_url, url, SystemClock(), migrate_db=False)
    submit, book = desk.broker.submit_order, desk.agent.booker.book

    async def submit_hook(request: Any) -> Any:
        if point == "after_store":
            await freeze(point)
        order = await submit(request)
        if point == "after_accept":
            await freeze(point)
        return order

    async def book_hook(order: Any, **kw: Any) -> Any:
        if point == "before_fill":
            await freeze(point)
        return await book(order, **kw)

    desk.broker.submit_order = submit_hook  # type: ignore[method-assign]
    desk.agent.booker.book = book_hook  # type: ignore[method-assign]
    raws = json.loads(approvals.read_text())  # noqa: ASYNC240 (once, at start-up)
    for i, raw in enumerate(raws):
        await desk.agent.execute(RiskApproved.model_validate(raw), sector=None)
        say(f"DONE {i}")
    await desk.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], Path(sys.argv[3]), sys.argv[4]))
