"""`swingdesk serve` as a process: a stop signal ends it promptly even with streams open."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import httpx
from tests.fakes.desk_server import READ_KEY, DeskServer


def test_serve_when_stopped_with_a_stream_open_then_stream_ends_and_process_exits(
    tmp_path: Path,
) -> None:
    server = DeskServer(tmp_path / "data", tmp_path / "serve.log")
    server.start()
    try:
        proc = server.process
        assert proc is not None
        received: list[bytes] = []
        ended = threading.Event()

        def listen() -> None:
            url = f"{server.url}/api/stream"
            with httpx.stream("GET", url, headers={"X-API-Key": READ_KEY}, timeout=30) as r:
                assert r.status_code == 200
                for chunk in r.iter_bytes():
                    received.append(chunk)
            ended.set()

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        deadline = time.monotonic() + 10
        while not received and time.monotonic() < deadline:
            time.sleep(0.05)
        assert received, "the stream sent nothing"
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        # Before the fix uvicorn waited for the stream to finish, i.e. for ever.
        # uvicorn re-raises the signal once it has shut down cleanly.
        assert proc.wait(timeout=8) in {0, -signal.SIGTERM}, server.log_tail()
        assert "Application shutdown complete" in server.log_tail()
        assert ended.wait(timeout=2)
        assert time.monotonic() - started < 8
    finally:
        server.stop()
