"""/docs: Swagger UI from same-origin files, under a CSP that allows exactly those."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tests.fakes.api import ApiHarness, api_harness

from swingdesk.adapters.clock import ManualClock


@pytest.fixture
async def h(tmp_path: Path, clock: ManualClock) -> AsyncIterator[ApiHarness]:
    async with api_harness(tmp_path, clock) as harness:
        yield harness


def _csp(header: str) -> dict[str, list[str]]:
    out = {}
    for directive in header.split(";"):
        name, *values = directive.split()
        out[name] = values
    return out


async def test_docs_when_loaded_then_only_same_origin_assets_that_are_served(
    h: ApiHarness,
) -> None:
    r = await h.anon.get("/docs")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    refs = re.findall(r'(?:src|href)="([^"]+)"', r.text)
    assert refs, "the page loads its assets"
    for ref in refs:
        assert ref.startswith("/"), ref
        assert not ref.startswith("//"), ref
        asset = await h.anon.get(ref)
        assert asset.status_code == 200, ref
        assert len(asset.content) > 0
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", r.text, flags=re.S)
    assert all(body.strip() == "" for body in scripts), "no inline script (the CSP forbids it)"
    init = (await h.anon.get("/docs/init.js")).text
    assert '"/openapi.json"' in init
    assert "SwaggerUIBundle(" in init
    bundle = await h.anon.get("/docs/assets/swagger-ui-bundle.js")
    assert "javascript" in bundle.headers["content-type"]
    css = await h.anon.get("/docs/assets/swagger-ui.css")
    assert css.headers["content-type"].startswith("text/css")


async def test_docs_when_loaded_then_its_csp_allows_its_assets_and_nothing_else(
    h: ApiHarness,
) -> None:
    for path in ("/docs", "/docs/init.js"):
        csp = _csp((await h.anon.get(path)).headers["content-security-policy"])
        assert csp["default-src"] == ["'none'"]
        assert csp["script-src"] == ["'self'"]  # same-origin files; no inline, no eval
        assert "'self'" in csp["style-src"]
        assert "'self'" in csp["img-src"]
        assert csp["img-src"] == ["'self'", "data:"]
        assert csp["connect-src"] == ["'self'"]  # the schema and "Try it out"
        assert csp["frame-ancestors"] == ["'none'"]
    # Everywhere else the desk's own policy is unchanged.
    api_csp = _csp((await h.read.get("/api/portfolio")).headers["content-security-policy"])
    assert api_csp["default-src"] == ["'self'"]
    assert "/redoc" not in h.app.openapi()["paths"]
    assert (await h.anon.get("/redoc")).status_code == 404
