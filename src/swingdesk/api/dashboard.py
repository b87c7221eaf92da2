"""The built dashboard: its files at their own paths, and nothing else.

A catch-all mount at ``/`` would answer every path the API's routes did not fully match,
including an API path called with the wrong method (a 404 for GET on a POST route, a 405
with ``Allow: GET, HEAD`` for OPTIONS), and would serve any file in the directory, build
stamps and other dotfiles included. So each top-level file gets a route of its own, each
top-level directory a mount, dotfiles are never served, and every other path falls through
to the router's own 404 or 405.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI, HTTPException
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope


class BuiltFiles(StaticFiles):
    """Static files that never serve a dotfile (or anything under a dot-directory)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        """Serve ``path`` unless one of its parts is hidden."""
        if any(part.startswith(".") for part in Path(path).parts):
            raise HTTPException(404, "not found")
        return await super().get_response(path, scope)


def mount_dashboard(app: FastAPI, directory: Path) -> None:
    """Serve the dashboard's built files from ``directory`` (index.html also at ``/``)."""
    for entry in sorted(directory.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            app.mount(f"/{entry.name}", BuiltFiles(directory=entry), name=f"web-{entry.name}")
        elif entry.is_file():
            paths = [f"/{entry.name}"] + (["/"] if entry.name == "index.html" else [])
            for path in paths:
                app.add_api_route(
                    path,
                    _file_endpoint(entry),
                    methods=["GET", "HEAD"],
                    include_in_schema=False,
                )


def _file_endpoint(path: Path) -> Callable[[], Awaitable[FileResponse]]:
    async def serve_file() -> FileResponse:
        return FileResponse(path)

    return serve_file
