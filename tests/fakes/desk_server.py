"""Run `swingdesk serve` in a child process on a free loopback port, as a user would.

The browser tests talk to a real server (the built dashboard, the API, the SSE stream, the
autopilot) with the demo profile: simulated market, rules analyst, simulated broker, a fresh
SQLite file in a temporary data dir, and API keys configured so the key entry is exercised.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import httpx

ROOT = Path(__file__).resolve().parents[2]
SWINGDESK = Path(sys.executable).with_name("swingdesk")
#: Distinctive, non-placeholder keys (>= 16 characters, trade and read differ).
TRADE_KEY = "e2e-trade-key-5c1f9a7d3b"
READ_KEY = "e2e-read-key-8b2e6d4f1a"


def free_port() -> int:
    """Return a port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class DeskServer:
    """A `swingdesk serve` child process; use as a context manager."""

    data_dir: Path
    log_path: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    start_timeout_s: float = 60.0
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Return the base URL the server listens on."""
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """Return the child's environment: the demo desk with keys, nothing inherited."""
        inherited = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("SWINGDESK_", "APP_", "OPENAI_", "ANTHROPIC_", "ALPACA_"))
        }
        return {
            **inherited,
            "SWINGDESK_PROFILE": "demo",
            "SWINGDESK_MARKET_PROVIDER": "simulated",
            "SWINGDESK_STRATEGY_PROVIDER": "rules",
            "SWINGDESK_BROKER": "simulated",
            "SWINGDESK_DATA_DIR": str(self.data_dir),
            "SWINGDESK_HOST": "127.0.0.1",
            "SWINGDESK_API_KEY": TRADE_KEY,
            "SWINGDESK_READ_API_KEY": READ_KEY,
            # The tests trigger the same tickers repeatedly; the API cooldown is tested elsewhere.
            "SWINGDESK_TRIGGER_COOLDOWN_S": "0",
            "SWINGDESK_LOG_LEVEL": "INFO",
            **self.extra_env,
        }

    def start(self) -> None:
        """Start the child and wait until /ready answers 200 (or fail with its log)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        # A restart keeps its port, so a connected browser can find the server again.
        self.port = self.port or free_port()
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [str(SWINGDESK), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                cwd=ROOT,
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"swingdesk serve exited early:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/ready", timeout=2.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(
            f"swingdesk serve not ready in {self.start_timeout_s} s:\n{self.log_tail()}"
        )

    def stop(self, grace_s: float = 15.0) -> None:
        """Stop the child: SIGINT (uvicorn's graceful stop), then SIGKILL after ``grace_s``."""
        proc = self.process
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)

    def log_tail(self, lines: int = 40) -> str:
        """Return the end of the server's log."""
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def __enter__(self) -> DeskServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
