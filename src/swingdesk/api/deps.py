"""FastAPI dependencies: the desk and the API-key check."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request

from swingdesk.bootstrap import Desk
from swingdesk.config import Settings


def get_desk(request: Request) -> Desk:
    """Return the desk the app started."""
    desk: Desk = request.app.state.desk
    return desk


def get_settings(request: Request) -> Settings:
    """Return the app's settings."""
    settings: Settings = request.app.state.settings
    return settings


def require_key(
    settings: Annotated[Settings, Depends(get_settings)],
    x_api_key: Annotated[str | None, Header()] = None,
) -> None:
    """Check X-API-Key in constant time when a key is configured."""
    expected = settings.api_key.get_secret_value() if settings.api_key else ""
    if not expected:
        return
    if x_api_key is None or not secrets.compare_digest(x_api_key.encode(), expected.encode()):
        raise HTTPException(401, "missing or wrong X-API-Key")


DeskDep = Annotated[Desk, Depends(get_desk)]
