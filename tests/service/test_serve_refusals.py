"""`swingdesk serve` refusing to start says why in one clean line, like every other command:
``error [CODE] message`` on stderr, no traceback, and the same exit code."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from tests.fakes.desk_server import ROOT, SWINGDESK, free_port

from swingdesk.api.server import StartupGuard
from swingdesk.domain.errors import ConfigurationError

#: Exit code of the other commands for a configuration error (cli._run).
CONFIGURATION_EXIT = 1

REFUSALS = {
    # load_settings refuses the value
    "bad setting": ({"SWINGDESK_PORT": "not-a-port"}, "SWINGDESK_PORT"),
    # the API's start-up security check refuses the key
    "placeholder key": ({"APP_API_KEY": "changeme"}, "APP_API_KEY"),
    # the desk is built inside the server's start-up (lifespan): the analyst has no key
    "missing provider key": (
        {"SWINGDESK_STRATEGY_PROVIDER": "anthropic"},
        "strategy provider anthropic needs ANTHROPIC_API_KEY",
    ),
    # the market provider is built there too
    "market provider without keys": (
        {"SWINGDESK_MARKET_PROVIDER": "alpaca"},
        "ALPACA_API_KEY and ALPACA_SECRET_KEY",
    ),
}


def env(data_dir: Path, extra: dict[str, str]) -> dict[str, str]:
    inherited = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SWINGDESK_", "APP_", "OPENAI_", "ANTHROPIC_", "ALPACA_", "DATABASE_"))
    }
    return {
        **inherited,
        "SWINGDESK_DATA_DIR": str(data_dir),
        "SWINGDESK_HOST": "127.0.0.1",
        "SWINGDESK_PORT": str(free_port()),
        **extra,
    }


@pytest.fixture(scope="module")
def refusals(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, str]]:
    """Start every refused `serve` at once (each takes seconds to import); return code, stderr."""
    procs = {}
    for name, (extra, _) in REFUSALS.items():
        data_dir = tmp_path_factory.mktemp("serve")
        procs[name] = subprocess.Popen(
            [str(SWINGDESK), "serve"],
            env=env(data_dir, extra),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
    results = {}
    for name, proc in procs.items():
        try:
            _, stderr = proc.communicate(timeout=60)
        finally:
            proc.kill()
        results[name] = (proc.returncode, stderr)
    return results


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_serve_when_start_is_refused_then_one_clean_error_line_and_the_command_exit_code(
    refusals: dict[str, tuple[int, str]], case: str
) -> None:
    code, stderr = refusals[case]
    assert "Traceback" not in stderr, stderr
    assert "╭" not in stderr, stderr  # no Rich traceback box either
    assert code == CONFIGURATION_EXIT, stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error [")]
    assert len(errors) == 1, stderr
    assert errors[0].startswith("error [CONFIGURATION] ")
    assert REFUSALS[case][1] in stderr


async def lifespan_startup(guard: StartupGuard) -> list[dict[str, Any]]:
    """Drive the ASGI lifespan start-up through ``guard``; return what the app sent back."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "lifespan.startup"}

    async def send(message: Any) -> None:
        sent.append(dict(message))

    with contextlib.suppress(BaseException):
        await guard({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)
    return sent


def failing_app(error: BaseException) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        raise error
        yield

    return Starlette(lifespan=lifespan)


async def test_startup_guard_when_a_known_error_stops_start_up_then_kept_and_not_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    refusal = ConfigurationError("strategy provider anthropic needs ANTHROPIC_API_KEY")
    guard = StartupGuard(failing_app(refusal))
    sent = await lifespan_startup(guard)
    assert guard.error is refusal
    assert [m["type"] for m in sent] == ["lifespan.startup.failed"]
    assert sent[0]["message"] == ""
    assert "Traceback" not in caplog.text


async def test_startup_guard_when_a_bug_stops_start_up_then_its_traceback_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    guard = StartupGuard(failing_app(RuntimeError("a bug")))
    await lifespan_startup(guard)
    assert guard.error is None
    assert "Traceback" in caplog.text
    assert "RuntimeError: a bug" in caplog.text
