"""Find strategies: built-ins, the ``swingdesk.strategies`` entry points, dotted paths, files.

A reference is a registered name (``rules``), ``package.module:Class`` or
``path/to/file.py:Class``. ``build_strategy`` turns one, with parameter overrides, into the
``Strategy`` the desk and both backtest engines run.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import sys
from collections.abc import Mapping
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from swingdesk.domain.errors import InputError
from swingdesk.strategy.agent import ApiStrategy, RulesStrategy
from swingdesk.strategy.api import StrategyInfo, SwingStrategy, resolve_params

ENTRY_POINT_GROUP = "swingdesk.strategies"

#: Always available, whether or not the package's entry points are installed.
BUILTINS: dict[str, str] = {
    "rules": "swingdesk.strategy.builtin_rules:RulesSwing",
    "crossover": "swingdesk.strategy.crossover:CrossoverSwing",
}


def registered() -> dict[str, str]:
    """Return every registered name with its ``module:Class`` target."""
    names = dict(BUILTINS)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        names.setdefault(ep.name, ep.value)
    return names


def load_spec(ref: str) -> type[SwingStrategy]:
    """Return the strategy class ``ref`` names; raise InputError saying why it cannot."""
    ref = ref.strip()
    target = registered().get(ref, ref)
    if ":" not in target:
        raise InputError(
            f"unknown strategy {ref!r}: use one of {', '.join(sorted(registered()))}, "
            "package.module:Class or path/to/file.py:Class"
        )
    where, _, attr = target.rpartition(":")
    try:
        if where.endswith(".py") or "/" in where or "\\" in where:
            module = _load_file(Path(where))
        else:
            module = importlib.import_module(where)
    except InputError:
        raise
    # Importing user code can fail in any way; the user needs the reason, not a traceback.
    except Exception as exc:
        raise InputError(f"cannot import strategy {ref!r}: {type(exc).__name__}: {exc}") from exc
    cls = getattr(module, attr, None)
    if not (isinstance(cls, type) and issubclass(cls, SwingStrategy)):
        raise InputError(f"{target} is not a SwingStrategy subclass")
    return cls


def _load_file(path: Path) -> Any:
    if not path.is_file():
        raise InputError(f"strategy file {path} does not exist")
    resolved = path.resolve()
    digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:12]
    name = f"swingdesk_user_strategy_{resolved.stem}_{digest}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, resolved)
    if spec is None or spec.loader is None:
        raise InputError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look the module up by name
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def build_strategy(ref: str, overrides: Mapping[str, Any] | None = None) -> ApiStrategy:
    """Return the runnable strategy for ``ref`` with ``overrides`` applied to its defaults."""
    cls = load_spec(ref)
    try:
        values = resolve_params(cls, overrides)
        # The built-ins keep their own fast runners (same decisions, fewer conversions).
        from swingdesk.strategy.builtin_rules import RulesSwing, rule_params
        from swingdesk.strategy.crossover import CrossoverParams, CrossoverStrategy, CrossoverSwing

        if cls is RulesSwing:
            return RulesStrategy(rule_params(values))
        if cls is CrossoverSwing:
            return CrossoverStrategy(CrossoverParams(**dict(values)))
        return ApiStrategy(cls(), values)
    except (ValueError, TypeError) as exc:
        raise InputError(f"strategy {ref!r}: {exc}") from exc


def read_params_file(path: Path) -> tuple[str | None, dict[str, Any]]:
    """Return (strategy reference or None, parameter overrides) from a params file."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read strategy params file {path}: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("params", {}), dict):
        raise InputError(f"{path}: expected {{'strategy': ..., 'params': {{...}}}}")
    strategy = doc.get("strategy")
    return (str(strategy) if strategy is not None else None), dict(doc.get("params", {}))


def write_params_file(path: Path, ref: str, params: Mapping[str, Any]) -> None:
    """Write the params file the live desk reads (``SWINGDESK_STRATEGY_PARAMS_FILE``)."""
    doc = {"strategy": ref, "params": dict(params)}
    path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def installed() -> list[StrategyInfo]:
    """Return what ``strategy list`` shows: every registered strategy that loads."""
    out = []
    for key, target in sorted(registered().items()):
        try:
            cls = load_spec(key)
        except InputError as exc:
            out.append(StrategyInfo(key, target, "?", f"cannot load: {exc}"))
            continue
        summary = " ".join((cls.__doc__ or "").strip().split("\n\n")[0].split())
        out.append(StrategyInfo(key, target, cls.name, summary, cls.parameters, cls.has_signals()))
    return out
