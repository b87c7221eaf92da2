"""Helpers for API tests: an app over a real desk, in-process or on a loopback server."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from swingdesk.adapters.clock import ManualClock
from swingdesk.api.app import DASHBOARD_DIR, create_app
from swingdesk.bootstrap import Desk, build_desk
from swingdesk.config import async_url, load_settings
from swingdesk.store import migrate

TRADE_KEY = "trade-s7SUvQ6R4wP8J7OH9whLlwf7"
READ_KEY = "read-KiMS41wZjGLAKBsavKo-UsyN"


_TEMPLATE: list[Path] = []


def fresh_database(data_dir: Path) -> None:
    """Put a migrated, empty SQLite file in ``data_dir`` (migrations run once per session)."""
    if not _TEMPLATE:
        path = Path(tempfile.mkdtemp(prefix="swingdesk-tpl-")) / "swingdesk.db"
        migrate.upgrade(async_url(f"sqlite:///{path}"))
        _TEMPLATE.append(path)
    data_dir.mkdir(parents=True, exist_ok=True)
    target = data_dir / "swingdesk.db"
    if not target.exists():
        shutil.copyfile(_TEMPLATE[0], target)


@dataclass
class ApiHarness:
    """A running app with its desk and clients for each scope."""

    app: FastAPI
    desk: Desk
    trade: httpx.AsyncClient
    read: httpx.AsyncClient
    anon: httpx.AsyncClient


@asynccontextmanager
async def api_harness(
    tmp_path: Path,
    clock: ManualClock | None = None,
    *,
    dashboard_dir: Path | None = DASHBOARD_DIR,
    **overrides: Any,
) -> AsyncIterator[ApiHarness]:
    """Yield an app (lifespan running, autopilot off) and one client per scope."""
    settings = load_settings(
        data_dir=tmp_path, api_key=TRADE_KEY, read_api_key=READ_KEY, **overrides
    )
    fresh_database(tmp_path)
    desk = await build_desk(settings, clock=clock, migrate_db=False)
    app = create_app(settings, desk=desk, autopilot=False, dashboard_dir=dashboard_dir)
    transport = httpx.ASGITransport(app=app)
    try:
        async with app.router.lifespan_context(app):
            clients = [
                httpx.AsyncClient(transport=transport, base_url="http://test", headers=h)
                for h in ({"X-API-Key": TRADE_KEY}, {"X-API-Key": READ_KEY}, {})
            ]
            try:
                yield ApiHarness(app, desk, *clients)
            finally:
                for c in clients:
                    await c.aclose()
    finally:
        await desk.close()


@asynccontextmanager
async def loopback_server(app: FastAPI) -> AsyncIterator[str]:
    """Serve ``app`` with uvicorn on 127.0.0.1 (an ephemeral port); yield its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        for _ in range(500):
            if server.started:
                break
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        server.force_exit = True
        await asyncio.wait_for(task, timeout=10)
        sock.close()


@dataclass(frozen=True)
class SseEvent:
    """One parsed server-sent event."""

    id: int | None  # the outbox sequence part of the stream id
    event: str
    data: Any
    raw_id: str | None = None  # the stream id as sent: ``<seq>-<epoch>``


async def read_events(lines: AsyncIterator[str]) -> AsyncIterator[SseEvent]:
    """Parse SSE lines into events (comments and retry lines are skipped)."""
    ev_id: int | None = None
    raw: str | None = None
    name, data = "message", []
    async for line in lines:
        if line == "":
            if data:
                yield SseEvent(ev_id, name, json.loads("\n".join(data)), raw)
            ev_id, raw, name, data = None, None, "message", []
        elif line.startswith(":") or line.startswith("retry:"):
            continue
        elif line.startswith("id:"):
            raw = line[3:].strip()
            ev_id = int(raw.split("-", 1)[0])
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
