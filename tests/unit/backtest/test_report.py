"""The HTML report: self-contained, every section present, text escaped, figures = JSON."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser

from swingdesk.backtest.benchmark import Benchmark, Entry
from swingdesk.backtest.contamination import Cutoff, flag_decisions
from swingdesk.backtest.metrics import Trade
from swingdesk.backtest.report import render
from swingdesk.backtest.result import BacktestParams, BacktestResult, DayRecord, Fill

DAYS = [date(2023, 12, 28), date(2023, 12, 29), date(2024, 1, 2), date(2024, 1, 3)]
EQUITY = [Decimal(v) for v in ("100000", "101000", "99990", "102000")]
EVIL = '<script>alert("x")</script>'


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.tags: list[str] = []
        self.values: dict[str, str] = {}
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append(tag)
        if tag == "section" and a.get("id"):
            self.ids.append(str(a["id"]))
        if "data-key" in a:
            self.values[str(a["data-key"])] = str(a.get("data-value"))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _result(*, llm: bool) -> BacktestResult:
    params = BacktestParams(
        None, ("AAA", "B&B"), DAYS[0], DAYS[-1], strategy="llm-replay" if llm else "rules"
    )
    r = BacktestResult(params)
    r.days = [DayRecord(d, e, e - 500, Decimal(500)) for d, e in zip(DAYS, EQUITY, strict=True)]
    r.fills = [Fill(DAYS[1], "AAA", "buy", Decimal(10), Decimal(50), "market")]
    r.trades = [
        Trade("AAA", DAYS[1], DAYS[3], Decimal(10), Decimal(50), Decimal(60), Decimal(100), "stop")
    ]
    r.decisions, r.approvals = 8, 1
    r.denials = Counter({"VIX_GATE": 3, "EARNINGS_BLACKOUT": 1})
    r.skipped = {"LATE": EVIL}
    r.engine_used, r.data_source = "pipeline", "csv"
    bench = tuple(Decimal(v) for v in ("99000", "98000", "99500", "101000"))
    entries = {"AAA": Entry(DAYS[0], Decimal(10), Decimal(5000))}
    r.benchmark = Benchmark(Decimal(100000), tuple(DAYS), bench, entries, ())
    if llm:
        r.contamination = flag_decisions(Cutoff("gpt-4o-mini", DAYS[2], "setting"), DAYS, ["AAA"])
    return r


def test_report_when_rendered_then_self_contained_with_every_section() -> None:
    page = render(_result(llm=False))
    parsed = _Collect()
    parsed.feed(page)
    assert parsed.ids == [
        "parameters", "metrics", "equity", "drawdown", "monthly", "trades", "open_positions",
        "denials", "rejections", "skipped",
    ]  # fmt: skip
    assert "http://" not in page
    assert "https://" not in page
    assert not {"script", "link", "img", "iframe"} & set(parsed.tags)
    assert parsed.tags.count("svg") == 2
    assert parsed.tags.count("polyline") == 4
    # Text is escaped: the hostile reason shows as text, never as a tag.
    assert EVIL in "".join(parsed.text)
    assert "B&amp;B" in page


def test_report_when_rendered_then_figures_equal_the_json() -> None:
    result = _result(llm=False)
    doc = json.loads(result.to_json())
    parsed = _Collect()
    parsed.feed(render(result))
    for key in ("total_return", "sharpe", "max_drawdown", "turnover", "exposure_average"):
        assert float(parsed.values[key]) == doc["metrics"][key]
    assert (
        float(parsed.values["benchmark.total_return"])
        == (doc["benchmark"]["metrics"]["total_return"])
    )
    assert parsed.values["VIX_GATE"] == "3"
    assert parsed.values["EARNINGS_BLACKOUT"] == "1"
    # Monthly returns compound from the daily equity: Dec 101000/100000, Jan 102000/101000.
    assert float(parsed.values["2023-12"]) == round(0.01, 6)
    assert float(parsed.values["2024-01"]) == round(102000 / 101000 - 1, 6)
    assert float(parsed.values["2024"]) == round(102000 / 101000 - 1, 6)


def test_report_when_llm_replay_then_contamination_section_matches_json() -> None:
    result = _result(llm=True)
    page = render(result)
    parsed = _Collect()
    parsed.feed(page)
    assert parsed.ids[-1] == "contamination"
    c = json.loads(result.to_json())["contamination"]
    assert parsed.values["contaminated_count"] == str(c["contaminated_count"]) == "2"
    assert parsed.values["status"] == "contaminated"
    assert "not evidence of forecasting skill" in page
