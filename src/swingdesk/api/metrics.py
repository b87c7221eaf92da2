"""Prometheus text exposition (format 0.0.4), written by hand: counters, gauges, histograms.

Business totals (decisions, denials, orders, LLM usage) are read from the database at
scrape time, so they survive restarts and agree with `explain`; HTTP latency, LLM latency
and reconciliation drift are observed in process.
"""

from __future__ import annotations

import contextlib
import math
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select

from swingdesk.store import tables as t
from swingdesk.store.store import Store

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
HTTP_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
LLM_BUCKETS_MS = (1.0, 10.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0, 30000.0)

Labels = tuple[tuple[str, str], ...]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(labels: Labels, extra: str = "") -> str:
    parts = [f'{k}="{_escape(v)}"' for k, v in labels]
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}" if parts else ""


def _num(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


class Histogram:
    """A cumulative-bucket histogram keyed by label values."""

    def __init__(self, name: str, help_text: str, buckets: Sequence[float]) -> None:
        self.name, self.help, self.buckets = name, help_text, tuple(buckets)
        self._series: dict[Labels, list[float]] = {}

    def observe(self, value: float, labels: Labels = ()) -> None:
        """Add one observation."""
        series = self._series.get(labels)
        if series is None:
            # per-bucket counts, then sum and count
            series = self._series[labels] = [0.0] * (len(self.buckets) + 2)
        i = bisect_left(self.buckets, value)
        if i < len(self.buckets):
            series[i] += 1
        series[-2] += value
        series[-1] += 1

    def render(self) -> list[str]:
        """Return the exposition lines."""
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} histogram"]
        for labels, s in sorted(self._series.items()):
            running = 0.0
            for bound, count in zip(self.buckets, s, strict=False):
                running += count
                le = f'le="{_num(bound)}"'
                lines.append(f"{self.name}_bucket{_labels(labels, le)} {_num(running)}")
            inf = _labels(labels, 'le="+Inf"')
            lines.append(f"{self.name}_bucket{inf} {_num(s[-1])}")
            lines.append(f"{self.name}_sum{_labels(labels)} {_num(s[-2])}")
            lines.append(f"{self.name}_count{_labels(labels)} {_num(s[-1])}")
        return lines


def family(
    name: str, kind: str, help_text: str, samples: Iterable[tuple[Labels, float]]
) -> list[str]:
    """Return one metric family (counter or gauge) in exposition format."""
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
    lines += [f"{name}{_labels(labels)} {_num(value)}" for labels, value in samples]
    return lines


class Metrics:
    """The process's in-memory metrics."""

    def __init__(self) -> None:
        self.http = Histogram(
            "swingdesk_http_request_duration_seconds",
            "HTTP request latency by method, route template and status",
            HTTP_BUCKETS_S,
        )
        self.llm = Histogram(
            "swingdesk_llm_latency_ms",
            "analyst (LLM or rules) latency per signal, milliseconds",
            LLM_BUCKETS_MS,
        )
        self.drift_pct: float | None = None
        self.sse_clients = 0
        self.sse_refused = 0

    def observe_bus(self, topic: str, payload: dict[str, Any]) -> None:
        """Feed one bus message: signal latency and reconciliation drift."""
        if topic == "signal_created":
            latency = payload.get("latency_ms")
            if isinstance(latency, int | float):
                self.llm.observe(float(latency), (("model", str(payload.get("model", ""))),))
        elif "drift_pct" in payload and "reconcil" in topic:
            with contextlib.suppress(TypeError, ValueError):
                self.drift_pct = float(payload["drift_pct"])

    async def render(self, store: Store, *, bus_seq: int, trading_state: str) -> str:
        """Return every metric, reading the business totals from the database."""
        async with store.read() as s:
            decisions = (
                await s.execute(
                    select(t.DecisionRow.status, func.count()).group_by(t.DecisionRow.status)
                )
            ).all()
            denials = (
                await s.execute(
                    select(t.RiskCheckRow.code, func.count())
                    .where(t.RiskCheckRow.passed.is_(False))
                    .group_by(t.RiskCheckRow.code)
                )
            ).all()
            orders = (
                await s.execute(select(t.OrderRow.status, func.count()).group_by(t.OrderRow.status))
            ).all()
            llm = (
                await s.execute(
                    select(
                        t.SignalRow.model,
                        func.count(),
                        func.sum(t.SignalRow.tokens_in),
                        func.sum(t.SignalRow.tokens_out),
                        func.sum(t.SignalRow.latency_ms),
                    ).group_by(t.SignalRow.model)
                )
            ).all()
            costs = (await s.execute(select(t.SignalRow.model, t.SignalRow.cost_usd))).all()
        cost_by_model: dict[str, float] = {}
        for model, cost in costs:
            cost_by_model[model] = cost_by_model.get(model, 0.0) + float(cost or 0)
        lines: list[str] = []
        lines += family(
            "swingdesk_decisions_total",
            "counter",
            "decisions by final status",
            [((("status", str(st)),), float(n)) for st, n in decisions],
        )
        lines += family(
            "swingdesk_risk_denials_total",
            "counter",
            "failed risk checks by code",
            [((("code", str(c)),), float(n)) for c, n in denials],
        )
        lines += family(
            "swingdesk_orders",
            "gauge",
            "orders by current status",
            [((("status", str(st)),), float(n)) for st, n in orders],
        )
        lines += family(
            "swingdesk_llm_requests_total",
            "counter",
            "analyst calls by model",
            [((("model", str(m)),), float(n)) for m, n, *_ in llm],
        )
        lines += family(
            "swingdesk_llm_tokens_total",
            "counter",
            "analyst tokens by model and direction",
            [((("model", str(m)), ("direction", "in")), float(ti or 0)) for m, _, ti, _, _ in llm]
            + [
                ((("model", str(m)), ("direction", "out")), float(to or 0))
                for m, _, _, to, _ in llm
            ],
        )
        lines += family(
            "swingdesk_llm_cost_usd_total",
            "counter",
            "analyst cost by model, USD",
            [((("model", m),), c) for m, c in sorted(cost_by_model.items())],
        )
        lines += self.llm.render()
        lines += family(
            "swingdesk_reconciliation_drift_pct",
            "gauge",
            "last reconciliation's position drift, fraction of equity (NaN before the first)",
            [((), self.drift_pct if self.drift_pct is not None else math.nan)],
        )
        lines += family(
            "swingdesk_trading_state",
            "gauge",
            "1 for the current trading state",
            [
                ((("state", st),), 1.0 if st == trading_state else 0.0)
                for st in ("ACTIVE", "REDUCING", "HALTED")
            ],
        )
        lines += family(
            "swingdesk_stream_clients", "gauge", "connected SSE clients", [((), self.sse_clients)]
        )
        lines += family(
            "swingdesk_stream_refused_total",
            "counter",
            "SSE streams refused by the per-caller or total cap (429)",
            [((), self.sse_refused)],
        )
        lines += family(
            "swingdesk_bus_messages_total", "counter", "messages published", [((), bus_seq)]
        )
        lines += self.http.render()
        return "\n".join(lines) + "\n"
