"""The dashboard's typed client is generated from the API's schema; they must not drift."""

from __future__ import annotations

import json
from pathlib import Path

from swingdesk.api.app import create_app
from swingdesk.config import Settings

WEB = Path(__file__).resolve().parents[2] / "web"


def test_web_openapi_when_compared_with_the_app_then_identical() -> None:
    committed = json.loads((WEB / "openapi.json").read_text())
    current = create_app(Settings()).openapi()
    assert committed == json.loads(json.dumps(current)), (
        "web/openapi.json is stale: run `cd web && npm run gen:api` and commit the result"
    )
    types = (WEB / "src" / "api" / "schema.d.ts").read_text()
    missing = [path for path in current["paths"] if f'"{path}": {{' not in types]
    assert missing == [], "web/src/api/schema.d.ts is stale: run `cd web && npm run gen:api`"
