"""Fixtures of the service tests."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["sql", "memory"])
def ledger_kind(request: pytest.FixtureRequest, db_url: str) -> str:
    """Return where the simulated broker keeps its books: its SQL tables in the test's
    database, or memory (once, on SQLite: the database then holds only our books)."""
    kind: str = request.param
    if kind == "memory" and not db_url.startswith("sqlite"):
        pytest.skip("the memory ledger runs once, beside SQLite")
    return kind
