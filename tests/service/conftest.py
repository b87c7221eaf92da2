"""Fixtures of the service tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from tests.fakes.uow_backends import BACKENDS
from tests.service.harness import Harness, build_backend_harness

from swingdesk.adapters.clock import ManualClock

#: Builds a desk on the test's backend (keyword arguments as ``build_backend_harness``).
DeskFactory = Callable[..., Awaitable[Harness]]


@pytest.fixture(params=["sql", "memory"])
def ledger_kind(request: pytest.FixtureRequest) -> str:
    """Return where the simulated broker keeps its books: its SQL tables in the test's
    database, or memory (once, beside SQLite: the database then holds only our books; the
    pairing with PostgreSQL is deselected below, not run)."""
    kind: str = request.param
    return kind


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the memory ledger beside PostgreSQL: it runs once, beside SQLite."""
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        params = callspec.params if callspec is not None else {}
        pair = (params.get("ledger_kind"), params.get("db_url"))
        (drop if pair == ("memory", "postgres") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(params=BACKENDS)
def backend_kind(request: pytest.FixtureRequest) -> str:
    """Return the unit-of-work backend the test runs on: memory, sqlite or postgres."""
    kind: str = request.param
    return kind


@pytest.fixture
async def make_desk(
    backend_kind: str, request: pytest.FixtureRequest, clock: ManualClock
) -> AsyncIterator[DeskFactory]:
    """Yield a factory of desks on the test's backend (one fresh database per test, shared
    by the desks it builds); they are closed afterwards."""
    url = None
    if backend_kind != "memory":
        url = request.getfixturevalue("sqlite_url" if backend_kind == "sqlite" else "pg_url")
    built: list[Harness] = []

    async def make(**kwargs: Any) -> Harness:
        h = await build_backend_harness(backend_kind, url, clock, **kwargs)
        built.append(h)
        return h

    yield make
    for h in built:
        await h.store.close()
