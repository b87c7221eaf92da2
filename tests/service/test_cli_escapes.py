"""Text the CLI prints from storage (a model's rationale, prompt and reply, a vendor's sector,
a reason, an error) cannot drive the terminal, fake a log line or inject Rich markup; the
``--json`` forms still carry it verbatim."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from tests.service.harness import build_harness
from typer.testing import CliRunner

from swingdesk.adapters.clock import ManualClock
from swingdesk.cli import app
from swingdesk.config import async_url
from swingdesk.domain.enums import Action
from swingdesk.domain.events import SignalCreated
from swingdesk.services.pipeline import DecisionOutcome
from swingdesk.services.scan import ScanReport

FAKE_LOG = "INFO 2026-11-24 15:00:01 swingdesk.execution order placed AAPL BUY 5000 @ market"
#: A model reply that tries everything: clear the screen, colour, return to the margin and
#: overwrite, ring, back up, a CSI in its C1 form, reorder text, and Rich markup.
HOSTILE = (
    "\x1b[2J\x1b[31mbuy now\x1b[0m\rOVERWRITTEN\x07\x08\x9b31m "
    "[bold red]URGENT[/bold red] [link=https://evil.example]click[/link] "
    "\u202eevil\u202c \u2066iso\u2069 :warning: line\u2028separator\n" + FAKE_LOG + "\nend"
)
#: Raw characters that must never reach the terminal.
RAW_CONTROLS = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
LOG_LINE = re.compile(r"^(INFO|WARNING|ERROR|DEBUG|CRITICAL)\b")


def assert_inert(text: str) -> None:
    """No raw control character, no line at the margin that looks like a log line, and the
    hostile text still visible as text (escapes and markup shown, not obeyed)."""
    assert not RAW_CONTROLS.search(text), repr(text)
    assert not [line for line in text.splitlines() if LOG_LINE.match(line)], text
    assert "\\x1b[2J" in text
    assert "[bold red]URGENT[/bold red]" in text
    assert "\\u202e" in text
    assert ":warning:" in text


class HostileAnalyst:
    """An analyst whose every free-text field is HOSTILE."""

    name = "hostile-model"

    async def evaluate(
        self, decision_id: UUID, snapshot: Any, portfolio: Any, feasible: Any, now: Any
    ) -> SignalCreated:
        """Return a BUY whose rationale, prompt and reply are all hostile."""
        return SignalCreated(
            decision_id=decision_id,
            ts_event=now,
            ticker=snapshot.ticker,
            action=Action.BUY,
            confidence=0.8,
            rationale=HOSTILE,
            model=self.name,
            prompt="system: be terse\n" + HOSTILE,
            raw_output='{"action": "BUY", "rationale": "' + HOSTILE + '"}',
            feasible_actions=tuple(feasible),
        )


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("SWINGDESK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str, str]:
        result = runner.invoke(app, list(args))
        return result.exit_code, result.stdout, result.stderr

    return invoke


@pytest.fixture
async def hostile_decision(tmp_path: Path, clock: ManualClock) -> str:
    """Store, through the real pipeline, a decision made by the hostile analyst."""
    h = await build_harness(async_url(f"sqlite:///{tmp_path / 'swingdesk.db'}"), clock)
    h.market.overrides["AAPL"] = {"sector": "Information Technology\x1b]0;pwned\x07"}
    h.pipeline.strategy.strategy = HostileAnalyst()  # type: ignore[assignment]
    try:
        out = await h.pipeline.run("AAPL")
    finally:
        await h.store.close()
    assert out.signal is not None
    assert out.signal.rationale == HOSTILE
    return str(out.decision_id)


def test_explain_when_the_model_wrote_escapes_markup_and_log_lines_then_all_shown_inert(
    cli: Any, hostile_decision: str
) -> None:
    code, out, _ = cli("explain", hostile_decision)
    assert code == 0
    assert_inert(out)
    assert "pwned" in out  # the vendor's sector, its OSC sequence made visible
    assert "\\x1b]0;pwned\\x07" in out


def test_explain_json_when_the_model_wrote_escapes_then_carried_verbatim(
    cli: Any, hostile_decision: str
) -> None:
    code, out, _ = cli("explain", hostile_decision, "--json")
    assert code == 0
    record = json.loads(out)
    assert record["strategy"]["rationale"] == HOSTILE
    assert record["strategy"]["prompt"].endswith(HOSTILE)
    assert "\x1b" not in out  # JSON escapes controls itself (\u001b)


def hostile_summary(decision_id: str = "d-1") -> dict[str, Any]:
    return {
        "decision_id": decision_id,
        "ticker": "AAPL",
        "status": "failed",
        "signal": {"action": "BUY", "confidence": 0.8, "rationale": HOSTILE, "reason_code": None},
        "risk": {
            "approved": False,
            "violations": [],
            "shares": None,
            "stop_price": None,
            "checks": [
                {"code": "VIX_GATE", "passed": False, "value": "40", "limit": "35",
                 "message": HOSTILE},
            ],
        },
        "order": {"client_order_id": "c-1", "side": "buy", "qty": "5", "status": HOSTILE,
                  "filled_qty": "0", "filled_avg_price": None},
        "error": {"stage": "execution", "code": "REJECTED", "message": HOSTILE},
    }  # fmt: skip


def test_trigger_when_the_outcome_carries_hostile_text_then_shown_inert(
    cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(DecisionOutcome, "summary", lambda self: hostile_summary())
    _, out, err = cli("trigger", "AAPL")
    assert_inert(out)
    assert_inert(err)


def test_scan_when_results_carry_hostile_text_then_shown_inert(
    cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    signal = {"action": HOSTILE, "confidence": 0.5}
    row = {"ticker": "AAPL", "status": HOSTILE, "decision_id": HOSTILE, "signal": signal}
    row |= {"risk": None, "order": None}
    summary = {"tickers": ["AAPL"], "duration_ms": 1.0, "results": [row]}
    monkeypatch.setattr(ScanReport, "summary", lambda self: summary)
    code, out, _ = cli("scan", "AAPL")
    assert code == 0
    assert not RAW_CONTROLS.search(out), out
    assert not [line for line in out.splitlines() if LOG_LINE.match(line)], out
    assert "URGENT" in out


def test_portfolio_when_the_broker_reports_hostile_text_then_shown_inert(
    cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    position = {"ticker": "AAPL", "qty": "5", "avg_price": "1", "market_price": "1",
                "market_value": "5", "unrealized_pnl": "0", "pct_of_equity": None,
                "sector": HOSTILE, "stop_price": None}  # fmt: skip
    view = dict.fromkeys(
        ("equity", "cash", "buying_power", "high_water_mark", "start_of_day_equity", "day_pnl"),
        "1",
    )
    view |= {"trading_state": HOSTILE, "drawdown_pct": "0", "positions": [position]}
    monkeypatch.setattr("swingdesk.cli.portfolio_view", lambda state: view)
    code, out, _ = cli("portfolio")
    assert code == 0
    assert_inert(out)


def test_halt_when_the_reason_carries_hostile_text_then_echoed_inert(cli: Any) -> None:
    code, out, _ = cli("halt", "--reason", HOSTILE)
    assert code == 0
    assert_inert(out)


def test_error_line_when_the_message_quotes_markup_then_printed_as_text(cli: Any) -> None:
    code, _, err = cli("explain", "[bold red]URGENT[/bold red]")
    assert code == 2
    assert "error [INVALID_INPUT]" in err
    assert "[bold red]URGENT[/bold red]" in err


def test_backtest_when_a_summary_line_carries_controls_then_shown_inert(
    cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def fake_run(params: Any, *, progress: Any) -> Any:
        return object()

    monkeypatch.setattr("swingdesk.backtest.command.build_params", lambda **_: None)
    monkeypatch.setattr("swingdesk.backtest.runner.run_backtest", fake_run)
    monkeypatch.setattr(
        "swingdesk.backtest.command.summary_lines", lambda result: [f"skipped AAPL: {HOSTILE}"]
    )
    code, out, _ = cli("backtest", "--simulated", "--quiet")
    assert code == 0
    assert_inert(out)
