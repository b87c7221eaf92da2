"""Alembic, driven from code: `swingdesk db upgrade` and start-up both call this.

Migrations run under a lock, because two processes starting on a fresh database (two pods'
init containers, or `serve` beside `db upgrade`) would otherwise both see an empty schema and
both create the same tables; all but one would fail. The lock is the database's own:

- PostgreSQL: a session-level advisory lock on a dedicated connection, keyed by the schema
  (separate schemas are separate databases, as in tests); the server releases it if the
  process dies, so a crash mid-migration cannot leave it held.
- SQLite file: an exclusive ``flock`` on ``<database>.migratelock`` beside the file; the
  kernel releases it when the process dies.
- anything else (in-memory SQLite): nothing else can see the database, so no lock.

Whoever waited finds the schema at head when it gets the lock and does nothing.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, make_url, pool, text

from swingdesk.config import sync_url

MIGRATIONS = Path(__file__).with_name("migrations")
# coalesce: with a search_path naming no existing schema, current_schema() is NULL, and
# pg_advisory_lock(NULL) would return at once without locking anything.
_PG_KEY = "hashtext(coalesce(current_schema(), '') || :name)"
_PG_NAME = {"name": ":swingdesk.migrate"}


def alembic_config(url: str) -> Config:
    """Return an Alembic config for ``url`` (async or sync form)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", sync_url(url).replace("%", "%%"))
    return cfg


def current_revision(url: str) -> str | None:
    """Return the revision the database is at, None for an empty database."""
    engine = create_engine(sync_url(url), poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str | None:
    """Return the newest revision shipped with this version of swingdesk."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database to ``revision`` under the migration lock, creating its folder."""
    sync = sync_url(url)
    if sync.startswith("sqlite:///") and ":memory:" not in sync:
        Path(sync.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    # The usual case (already at head) costs no lock: a restart never waits on a migrating pod.
    if revision == "head" and current_revision(url) == head_revision():
        return
    with migration_lock(url):
        command.upgrade(alembic_config(url), revision)


@contextlib.contextmanager
def migration_lock(url: str) -> Iterator[None]:
    """Hold the database's migration lock (across processes) for the duration of the block."""
    sync = make_url(sync_url(url))
    if sync.get_backend_name() == "postgresql":
        with _pg_lock(sync_url(url)):
            yield
        return
    lock_file = _sqlite_lock_file(sync.database) if sync.get_backend_name() == "sqlite" else None
    if lock_file is None:
        yield
        return
    with _flock(lock_file):
        yield


@contextlib.contextmanager
def _pg_lock(url: str) -> Iterator[None]:
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(text(f"SELECT pg_advisory_lock({_PG_KEY})"), _PG_NAME)
            conn.commit()  # a session lock outlives the transaction; none stays open meanwhile
            try:
                yield
            finally:
                conn.execute(text(f"SELECT pg_advisory_unlock({_PG_KEY})"), _PG_NAME)
                conn.commit()
    finally:
        engine.dispose()


def _sqlite_lock_file(database: str | None) -> Path | None:
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    return Path(database).with_name(Path(database).name + ".migratelock")


@contextlib.contextmanager
def _flock(path: Path) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        # Blocking is right here: migrations run before the event loop serves anything.
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
