"""/docs: Swagger UI from files shipped in the wheel, under a CSP that lets it run.

FastAPI's default page loads Swagger UI from a CDN and starts it with an inline script;
the desk's CSP (``default-src 'self'``) blocks both, so the page stayed blank. Here the
assets come from the ``fastapi-offline`` package (served same-origin, no network at run
time), the start-up code is a same-origin script too, and the docs routes get a CSP of
their own that allows exactly that: scripts and styles from this origin (Swagger UI sets
inline styles), its icons as data: URLs, requests to this origin (the schema, "Try it out").
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles

ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
_INIT = """window.ui = SwaggerUIBundle({
  url: "%(openapi)s",
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
"""
_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>%(title)s - API docs</title>
<link rel="icon" type="image/png" href="/docs/assets/favicon.png">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
"""


def install_docs(app: FastAPI) -> None:
    """Serve Swagger UI at /docs from local files (the app is built with docs_url=None)."""
    headers = {"Content-Security-Policy": DOCS_CSP}
    page = _PAGE % {"title": app.title}
    init = _INIT % {"openapi": app.openapi_url or "/openapi.json"}

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse(page, headers=headers)

    @app.get("/docs/init.js", include_in_schema=False)
    async def docs_init() -> Response:
        return Response(init, media_type="text/javascript", headers=headers)

    # A CSP governs documents only: the assets get the desk's own headers like any file.
    app.mount("/docs/assets", StaticFiles(directory=ASSETS), name="docs-assets")
