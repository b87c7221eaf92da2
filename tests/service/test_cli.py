"""The `swingdesk` command line, in-process, on a fresh SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from swingdesk.cli import app
from swingdesk.store import migrate


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SWINGDESK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str, str]:
        result = runner.invoke(app, list(args))
        return result.exit_code, result.stdout, result.stderr

    return invoke


def test_trigger_json_when_ticker_valid_then_prints_the_documented_object(run) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run("trigger", "AAPL", "--json")
    assert code == 0
    body = json.loads(out)
    assert set(body) >= {"decision_id", "ticker", "signal", "risk", "order"}
    assert set(body["signal"]) >= {"action", "confidence", "rationale"}
    if body["risk"] is not None:
        assert set(body["risk"]) >= {"approved", "violations", "shares", "stop_price"}
    if body["order"] is not None:
        assert set(body["order"]) == {
            "client_order_id",
            "side",
            "qty",
            "status",
            "filled_qty",
            "filled_avg_price",
        }
    code, out, _ = run("explain", body["decision_id"], "--json")
    assert code == 0
    record = json.loads(out)
    assert record["decision"]["decision_id"] == body["decision_id"]
    assert record["strategy"]["prompt"]
    assert record["strategy"]["raw_output"]
    assert next(a["kind"] for a in record["audit"]) == "decision.started"
    code, out, _ = run("explain", body["decision_id"])
    assert code == 0
    assert "market snapshot" in out


@pytest.mark.parametrize(
    ("ticker", "code_word"), [("AAPL!", "INVALID_TICKER"), ("ZZZZ", "UNKNOWN_TICKER")]
)
def test_trigger_when_ticker_bad_then_clear_error_and_exit_2(
    run, ticker: str, code_word: str
) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run("trigger", ticker, "--json")
    assert code == 2
    assert code_word in err
    assert "Traceback" not in out + err


def test_halt_status_resume_when_run_in_order_then_state_follows(run) -> None:  # type: ignore[no-untyped-def]
    assert run("halt", "--reason", "earnings week")[0] == 0
    code, out, _ = run("status", "--json")
    assert json.loads(out)["trading_state"] == "HALTED"
    code, _, err = run("halt", "--reason", "again")
    assert code == 1
    assert "CONFLICT" in err
    assert run("resume", "--reason", "done")[0] == 0
    assert json.loads(run("status", "--json")[1])["trading_state"] == "ACTIVE"


def test_portfolio_json_when_fresh_then_shows_starting_cash(run) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run("portfolio", "--json")
    assert code == 0
    view = json.loads(out)
    assert view["equity"] == "100000.00"
    assert view["cash"] == "100000.00"
    assert view["high_water_mark"] == "100000.00"
    assert view["positions"] == []


def test_audit_verify_when_untouched_then_intact_and_when_edited_then_exit_1(
    run,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    run("trigger", "MSFT", "--json")
    code, out, _ = run("audit", "verify")
    assert code == 0
    assert "intact" in out
    import sqlite3

    with sqlite3.connect(tmp_path / "swingdesk.db") as db:
        db.execute("UPDATE audit_log SET message = 'rewritten' WHERE seq = 1")
    code, _, err = run("audit", "verify")
    assert code == 1
    assert "entry 1" in err


def test_db_upgrade_when_run_twice_then_idempotent(run) -> None:  # type: ignore[no-untyped-def]
    assert run("db", "upgrade")[0] == 0
    code, out, _ = run("db", "upgrade")
    assert code == 0
    assert f"revision {migrate.head_revision()}" in out


def test_explain_when_decision_had_context_then_fundamentals_and_sentiment_printed(run) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run("trigger", "MSFT", "--json")
    assert code == 0
    did = json.loads(out)["decision_id"]
    code, out, _ = run("explain", did)
    assert code == 0
    assert "fundamentals as of" in out
    assert "market_cap_usd" in out
    assert "method vader-3.3.2+finance" in out
    record = json.loads(run("explain", did, "--json")[1])
    assert record["context"]["fundamentals"]["source"] == "simulated"
    assert record["context"]["sentiment"]["method"].startswith("vader-")
