"""`swingdesk db upgrade` run by several processes at once (pods' init containers) on a fresh
database: every one succeeds and the schema is migrated to head exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, pool, text

from swingdesk.config import async_url, sync_url
from swingdesk.store import migrate

ROOT = Path(__file__).resolve().parents[2]
CHILD = ROOT / "tests" / "fakes" / "migrate_child.py"
#: Processes racing per round; without a lock two of them already failed 4 times in 5.
PROCESSES = 4
#: Fresh databases raced per test: enough that the unlocked race fails every run.
ROUNDS = 3


@pytest.fixture
def children() -> Iterator[list[subprocess.Popen[str]]]:
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}"}
    procs = [
        subprocess.Popen(
            [sys.executable, str(CHILD)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
            cwd=ROOT,
        )
        for _ in range(PROCESSES)
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "READY"
        yield procs
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


def race(procs: list[subprocess.Popen[str]], url: str) -> list[str]:
    """Start `db upgrade` on ``url`` in every child at once; return each one's answer."""
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write(url + "\n")
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.flush()
    answers = []
    for proc in procs:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        while line and not line.startswith("RESULT "):
            line = proc.stdout.readline()
        answers.append(line.removeprefix("RESULT ").strip() or "FAIL child died")
    return answers


def version_rows(url: str) -> list[str]:
    engine = create_engine(sync_url(url), poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    finally:
        engine.dispose()


def assert_all_migrated_once(procs: list[subprocess.Popen[str]], url: str) -> None:
    answers = race(procs, url)
    assert answers == ["OK"] * PROCESSES, answers
    assert version_rows(url) == [migrate.head_revision()]


@pytest.mark.postgres
def test_db_upgrade_when_processes_race_on_a_fresh_postgres_schema_then_all_succeed_once(
    pg_server: str, children: list[subprocess.Popen[str]]
) -> None:
    schemas = [f"sd_test_{uuid.uuid4().hex[:12]}" for _ in range(ROUNDS)]
    with psycopg.connect(pg_server, autocommit=True) as conn:
        for schema in schemas:
            conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        for schema in schemas:
            url = async_url(f"{pg_server}?options=-csearch_path%3D{schema}")
            assert_all_migrated_once(children, url)
    finally:
        with psycopg.connect(pg_server, autocommit=True) as conn:
            for schema in schemas:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def test_db_upgrade_when_processes_race_on_a_fresh_sqlite_file_then_all_succeed_once(
    tmp_path: Path, children: list[subprocess.Popen[str]]
) -> None:
    for n in range(ROUNDS):
        url = async_url(f"sqlite:///{tmp_path / f'round{n}' / 'swingdesk.db'}")
        assert_all_migrated_once(children, url)
