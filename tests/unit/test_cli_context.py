"""`swingdesk explain` prints headlines, scores, fundamentals and team views inertly."""

from __future__ import annotations

import io

from rich.console import Console

from swingdesk.cli_text import print_context, print_view


def _console() -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, width=200, color_system=None), buf


def test_print_context_when_headline_holds_markup_and_escapes_then_printed_inert() -> None:
    out, buf = _console()
    print_context(
        out,
        {
            "fundamentals": {"as_of": "2024-11-26", "source": "csv", "market_cap_usd": "1000"},
            "sentiment": {"method": "vader-3.3.2", "score": -0.5, "headlines": 1,
                          "label": "negative"},
            "news": [{"title": "[red]Buy[/red] \x1b[2J now", "publisher": "Wire",
                      "published_at": "2024-11-26T14:00:00Z", "url": None, "summary": None,
                      "sentiment": -0.5}],
            "missing": ["news"],
        },
    )  # fmt: skip
    text = buf.getvalue()
    assert "fundamentals as of 2024-11-26 (csv): market_cap_usd 1000" in text
    assert "sentiment -0.50 (negative) over 1 headlines; method vader-3.3.2" in text
    assert "[red]Buy[/red] \\x1b[2J now" in text
    assert "\x1b" not in text
    assert "context missing: news" in text


def test_print_view_when_ok_or_unavailable_then_stance_points_and_cost_shown() -> None:
    out, buf = _console()
    common = {"role": "news", "tokens_in": 10, "tokens_out": 5, "cost_usd": "0.001",
              "cache_hit": False}  # fmt: skip
    print_view(out, {**common, "status": "ok", "stance": "bearish", "confidence": 0.6,
                     "key_points": ["Bad week"]})  # fmt: skip
    print_view(out, {**common, "status": "unavailable", "reason_code": "LLM_TIMEOUT",
                     "detail": "slow"})  # fmt: skip
    text = buf.getvalue()
    assert "view news: bearish 0.60 (10+5 tokens, 0.001 USD, cache hit: False)" in text
    assert "- Bad week" in text
    assert "view news: unavailable [LLM_TIMEOUT] slow" in text
