"""Several real `swingdesk serve` replicas on one PostgreSQL schema and one Redis prefix.

Each replica is a ``DeskServer`` child process (the demo desk: simulated market, rules
analyst, simulated broker whose books are in the shared database), started at the same
time, as a rolling deployment's pods would. Helpers read the shared database directly.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import psycopg
from tests.fakes.desk_server import READ_KEY, DeskServer

READ = {"X-API-Key": READ_KEY}


def schema_of(pg_url: str) -> str:
    """Return the schema a ``pg_url`` fixture URL points at."""
    return unquote(pg_url).rsplit("search_path=", 1)[1]


@dataclass
class Cluster:
    """N replicas; use as a context manager (all started at once, all stopped)."""

    root: Path
    database_url: str
    pg_dsn: str
    redis_url: str | None
    redis_prefix: str
    size: int = 3
    extra_env: dict[str, str] = field(default_factory=dict)
    replicas: list[DeskServer] = field(default_factory=list)

    def __post_init__(self) -> None:
        for i in range(self.size):
            env = {
                "DATABASE_URL": self.database_url,
                "SWINGDESK_REPLICA_ID": f"r{i}",
                "SWINGDESK_REDIS_PREFIX": self.redis_prefix,
                "SWINGDESK_LEADER_LEASE_TTL_S": "6",
                "SWINGDESK_LEADER_RENEW_S": "1",
                "SWINGDESK_TRIGGER_RATE_PER_MIN": "100000",
                "SWINGDESK_STREAM_MAX_CLIENTS_TOTAL": "2000",
                "SWINGDESK_STREAM_MAX_CLIENTS_PER_KEY": "2000",
                **({"SWINGDESK_REDIS_URL": self.redis_url} if self.redis_url else {}),
                **self.extra_env,
            }
            self.replicas.append(
                DeskServer(
                    data_dir=self.root / f"r{i}",
                    log_path=self.root / f"r{i}.log",
                    extra_env=env,
                    start_timeout_s=90,
                )
            )

    def start(self) -> None:
        """Start every replica at the same moment; fail with the logs if one does not."""
        errors: list[BaseException] = []

        def run(server: DeskServer) -> None:
            try:
                server.start()
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(s,)) for s in self.replicas]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            self.stop()
            raise errors[0]

    def stop(self) -> None:
        """Stop every replica still running."""
        for server in self.replicas:
            with contextlib.suppress(Exception):
                server.stop(grace_s=20)

    def __enter__(self) -> Cluster:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def config(self, i: int) -> dict[str, Any]:
        """Return replica ``i``'s GET /api/config."""
        r = httpx.get(f"{self.replicas[i].url}/api/config", headers=READ, timeout=10)
        r.raise_for_status()
        data: dict[str, Any] = r.json()
        return data

    def alive(self) -> list[int]:
        """Return the indexes of the replicas whose process runs."""
        return [i for i, s in enumerate(self.replicas) if s.process and s.process.poll() is None]

    def leaders(self) -> list[int]:
        """Return the replicas that say they lead (alive ones only)."""
        return [i for i in self.alive() if self.config(i)["leadership"]["leader"]]

    def wait_leader(self, timeout_s: float = 20) -> int:
        """Return the one leader once there is exactly one."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = self.leaders()
            if len(found) == 1:
                return found[0]
            time.sleep(0.1)
        raise AssertionError(f"no single leader within {timeout_s} s: {self.leaders()}")

    @contextlib.contextmanager
    def db(self) -> Iterator[psycopg.Connection[Any]]:
        """Open a connection to the shared schema."""
        with psycopg.connect(
            self.pg_dsn, options=f"-csearch_path={schema_of(self.database_url)}", autocommit=True
        ) as conn:
            yield conn

    def scalar(self, sql: str) -> Any:
        """Return the first column of the first row of ``sql``."""
        with self.db() as conn:
            row = conn.execute(sql).fetchone()
            return row[0] if row else None
