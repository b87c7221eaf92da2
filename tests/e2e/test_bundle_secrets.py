"""No secret is ever built into the dashboard's files.

The seed baked its API key into the JavaScript. Here the dashboard is built with every secret
setting (and the usual front-end env prefixes) set to distinctive values in the build's
environment, and every output file is searched for those values and for key-shaped strings.
A negative control plants a key in a copy of the output to prove the search finds one.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from pydantic import SecretStr
from tests.fakes.desk_server import ROOT

from swingdesk.config import Settings

IN_CI = bool(os.environ.get("CI"))
WEB = ROOT / "web"
VITE = WEB / "node_modules" / ".bin" / "vite"
SERVED = ROOT / "src" / "swingdesk" / "web"
#: Shapes of real credentials: OpenAI/Anthropic keys, Alpaca key ids, a literal X-API-Key value.
KEY_SHAPES = {
    "openai/anthropic key": re.compile(rb"(?<![A-Za-z0-9])sk-(?:ant-|proj-)?[A-Za-z0-9_-]{16,}"),
    "alpaca key id": re.compile(rb"(?<![A-Za-z0-9])[PA]K[A-Z0-9]{18}(?![A-Za-z0-9])"),
    "literal X-API-Key": re.compile(rb"""X-API-Key["']?\s*[:=,]\s*["'][^"']{8,}["']"""),
}
#: Prefixes bundlers expose to the browser when code reads them (Vite, CRA, and ours).
FRONTEND_PREFIXES = ("VITE_", "REACT_APP_", "SWINGDESK_WEB_PUBLIC_")


def _missing(what: str) -> None:
    if IN_CI:
        pytest.fail(f"{what} is required in CI but is missing", pytrace=False)
    pytest.skip(f"{what} is missing (required in CI)")


def _secret_env_names() -> list[str]:
    """Return every environment variable a secret setting is read from."""
    names: list[str] = []
    for name, info in Settings.model_fields.items():
        if info.annotation not in (SecretStr, SecretStr | None):
            continue
        choices = getattr(info.validation_alias, "choices", None)
        names += [str(c) for c in choices] if choices else [f"SWINGDESK_{name.upper()}"]
    return names


def find_secrets(directory: Path, secrets: dict[str, str]) -> list[str]:
    """Return "file: what" for every secret value or key-shaped string under ``directory``."""
    found = []
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        data = path.read_bytes()
        rel = path.relative_to(directory)
        found += [f"{rel}: {name}" for name, value in secrets.items() if value.encode() in data]
        found += [f"{rel}: {shape}" for shape, rx in KEY_SHAPES.items() if rx.search(data)]
    return found


@pytest.fixture(scope="module")
def planted() -> dict[str, str]:
    """Return distinctive values for every secret variable and front-end-exposed name."""
    names = _secret_env_names()
    names += [f"{prefix}{n}" for prefix in FRONTEND_PREFIXES for n in ("API_KEY", "READ_API_KEY")]
    return {name: f"planted-{name.lower()}-{uuid.uuid4().hex}" for name in names}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory, planted: dict[str, str]) -> Path:
    """Build the dashboard into a temporary directory with the planted secrets in its env."""
    if not VITE.is_file() or shutil.which("node") is None:
        _missing(f"the dashboard's build tools ({VITE}; run `make dashboard`)")
    out = tmp_path_factory.mktemp("bundle")
    subprocess.run(
        [str(VITE), "build", "--outDir", str(out), "--emptyOutDir", "--logLevel", "warn"],
        cwd=WEB,
        env={**os.environ, **planted},
        check=True,
        timeout=240,
    )
    assert (out / "index.html").is_file()
    return out


def test_secret_settings_when_listed_then_they_cover_the_api_and_vendor_keys(
    planted: dict[str, str],
) -> None:
    for name in ("APP_API_KEY", "SWINGDESK_API_KEY", "APP_READ_API_KEY", "OPENAI_API_KEY"):
        assert name in planted


def test_bundle_when_built_with_secrets_in_the_env_then_no_file_contains_one(
    bundle: Path, planted: dict[str, str]
) -> None:
    files = [p for p in bundle.rglob("*") if p.is_file()]
    assert any(p.suffix == ".js" for p in files), "the build produced no JavaScript"
    assert find_secrets(bundle, planted) == []


def test_secret_search_when_a_key_is_planted_then_it_is_found(
    bundle: Path, planted: dict[str, str], tmp_path: Path
) -> None:
    copy = shutil.copytree(bundle, tmp_path / "copy")
    script = next(copy.rglob("*.js"))
    key = planted["APP_API_KEY"]
    script.write_text(script.read_text() + f'\nconst k="{key}";\n')
    (copy / "leak.txt").write_text("sk-proj-" + "a1B2" * 8)

    found = find_secrets(copy, planted)
    assert f"{script.relative_to(copy)}: APP_API_KEY" in found
    assert "leak.txt: openai/anthropic key" in found


def test_served_dashboard_when_present_then_it_holds_no_configured_or_key_shaped_secret() -> None:
    if not (SERVED / "index.html").is_file():
        _missing(f"the built dashboard ({SERVED}/index.html; run `make dashboard`)")
    configured = {
        name: os.environ[name]
        for name in _secret_env_names()
        if len(os.environ.get(name, "")) >= 8  # a short value would match by accident
    }
    assert find_secrets(SERVED, configured) == []
