"""The import-linter contracts in pyproject.toml: kept by the source, broken by a planted edge.

The second test copies the package to a temporary tree, plants one forbidden import per
contract and runs ``lint-imports`` on the copy, so it proves each contract really fails on
the kind of back-edge it exists to stop (a contract that can never fail guards nothing).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

#: module to plant -> its import, and the contract it breaks (by name, as printed).
PLANTS = {
    "swingdesk.risk.planted_layers": ("import swingdesk.strategy.agent", "Layers"),
    "swingdesk.services.planted_adapter": (
        "import swingdesk.adapters.clock",
        "Adapters are imported only where a desk is wired",
    ),
    "swingdesk.marketdata.planted_store": (
        "import swingdesk.store.audit",
        "The store is imported only by the wiring",
    ),
    "swingdesk.adapters.planted_upward": (
        "import swingdesk.services.scan",
        "Adapters and the store depend only on ports",
    ),
    "swingdesk.domain.planted_io": ("import sqlalchemy", "do no I/O"),
    # Appended to an existing module of the strategy API: a strategy reaching execution.
    "swingdesk.strategy.check": (
        "import swingdesk.execution.retry",
        "The strategy API cannot reach risk, execution or a broker",
    ),
}


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    assert LINT_IMPORTS.exists(), f"lint-imports is not installed beside {sys.executable}"
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(root / "pyproject.toml")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_lint_imports_when_run_on_the_source_then_every_contract_is_kept() -> None:
    done = _lint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_lint_imports_when_a_back_edge_is_planted_then_each_contract_fails(
    tmp_path: Path,
) -> None:
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(
        ROOT / "src" / "swingdesk",
        tmp_path / "src" / "swingdesk",
        ignore=shutil.ignore_patterns("web", "__pycache__", "migrations"),
    )
    for module, (statement, _) in PLANTS.items():
        path = tmp_path / "src" / Path(*module.split(".")).with_suffix(".py")
        text = path.read_text() if path.exists() else '"""A planted back-edge."""\n'
        path.write_text(f"{text}\n{statement}\n")

    done = _lint(tmp_path)

    assert done.returncode != 0
    broken = done.stdout.split("Broken contracts", 1)[-1]
    for module, (statement, contract) in PLANTS.items():
        assert module in broken, f"{statement} in {module} did not break {contract!r}"
    # Each contract is reported broken once per contract, and every planted one is there.
    assert f"{len(PLANTS)} broken" in done.stdout
