"""DESIGN.md's conventions, checked on the source tree so they cannot erode silently."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from swingdesk.config import Settings

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "swingdesk"
ADAPTERS = SRC / "adapters"
VENDOR_SDKS = {
    "openai", "anthropic", "yfinance", "alpaca", "curl_cffi", "requests", "vaderSentiment",
}  # fmt: skip
CLOCK_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("date", "today"), ("time", "time")}


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "migrations" not in p.parts)


def _outside_adapters() -> list[Path]:
    return [p for p in _modules() if ADAPTERS not in p.parents]


def test_source_when_scanned_then_no_clock_reads_outside_adapters() -> None:
    offenders = []
    for path in _outside_adapters():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and (node.func.value.id, node.func.attr) in CLOCK_CALLS
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == [], "time must come from the injected Clock"


def test_source_when_scanned_then_vendor_sdks_are_imported_only_in_adapters() -> None:
    offenders = []
    for path in _outside_adapters():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [
                f"{path.relative_to(ROOT)}:{node.lineno} {n}"
                for n in names
                if n.split(".")[0] in VENDOR_SDKS
            ]
    assert offenders == []


def _env_name(name: str) -> str:
    alias = Settings.model_fields[name].validation_alias
    choices = getattr(alias, "choices", None)
    return str(choices[0]) if choices else f"SWINGDESK_{name.upper()}"


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_readme_when_a_setting_exists_then_its_variable_is_documented(field: str) -> None:
    readme = (ROOT / "README.md").read_text()
    assert f"`{_env_name(field)}`" in readme


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_settings_when_declared_then_every_field_has_a_description(field: str) -> None:
    assert Settings.model_fields[field].description
