"""Look-ahead flags of an LLM replay: before the cutoff, unknown cutoff, known models."""

from __future__ import annotations

from datetime import date

from swingdesk.backtest.contamination import (
    CONTAMINATED,
    CUTOFF_UNKNOWN,
    Cutoff,
    flag_decisions,
    resolve_cutoff,
)

DAYS = [date(2023, 10, 30), date(2023, 10, 31), date(2023, 11, 1)]


def test_flags_when_cutoff_inside_window_then_only_earlier_decisions_are_contaminated() -> None:
    c = flag_decisions(Cutoff("m", date(2023, 10, 31), "setting"), DAYS, ["AAA", "BBB"])
    assert c.decisions == 6
    assert [(f.day, f.ticker, f.flag) for f in c.flagged] == [
        (DAYS[0], "AAA", CONTAMINATED),
        (DAYS[0], "BBB", CONTAMINATED),
    ]
    assert (c.contaminated, c.unknown, c.status) == (2, 0, CONTAMINATED)
    doc = c.to_doc()
    assert doc["contaminated_share"] == round(2 / 6, 6)
    assert doc["knowledge_cutoff"] == "2023-10-31"


def test_flags_when_cutoff_unknown_then_every_decision_is_flagged_never_clean() -> None:
    c = flag_decisions(resolve_cutoff("my-local-model", None), DAYS, ["AAA"])
    assert c.status == CUTOFF_UNKNOWN
    assert c.unknown == c.decisions == 3
    assert {f.flag for f in c.flagged} == {CUTOFF_UNKNOWN}
    assert c.to_doc()["cutoff_unknown_share"] == 1.0


def test_flags_when_all_decisions_after_cutoff_then_clean() -> None:
    c = flag_decisions(Cutoff("m", date(2023, 1, 1), "setting"), DAYS, ["AAA"])
    assert (c.status, c.flagged) == ("clean", ())


def test_resolve_cutoff_when_setting_or_known_model_then_setting_wins_then_longest_prefix() -> None:
    assert resolve_cutoff("gpt-4o-mini", date(2020, 5, 1)) == Cutoff(
        "gpt-4o-mini", date(2020, 5, 1), "setting"
    )
    assert resolve_cutoff("gpt-4o-mini", None).day == date(2023, 10, 31)
    assert resolve_cutoff("gpt-4o-2024-08-06", None).source == "built-in"
    assert resolve_cutoff("claude-haiku-4-5", None).day == date(2025, 2, 28)
    assert resolve_cutoff("gpt-4output", None).source == "unknown"
