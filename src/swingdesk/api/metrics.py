"""Prometheus metrics on ``prometheus-client``, with the names the desk has always exposed.

Business totals (decisions, denials, orders, LLM usage) are read from the database at
scrape time, so they survive restarts and agree with `explain` (and every replica reports
the same totals); HTTP latency, analyst latency, reconciliation drift, live streams and the
replica's leadership are observed in process.

Where workers are processes, prometheus-client's multiprocess mode applies: with
``PROMETHEUS_MULTIPROC_DIR`` set (before the process starts), every process, the backtest
child included, writes its samples to files there, and a scrape aggregates them all.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from swingdesk.store import tables
from swingdesk.store.store import Store

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
HTTP_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
LLM_BUCKETS_MS = (1.0, 10.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0, 30000.0)
STATES = ("ACTIVE", "REDUCING", "HALTED")
# `*_created` timestamps per series: noise for these counters (they never reset by design).
disable_created_metrics()  # type: ignore[no-untyped-call]


def multiprocess_dir() -> str | None:
    """Return prometheus-client's multiprocess directory, None when not in that mode."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class _Labelled:
    """A labelled histogram with the desk's ``observe(value, labels)`` call."""

    def __init__(self, histogram: Histogram) -> None:
        self._h = histogram

    def observe(self, value: float, labels: tuple[tuple[str, str], ...] = ()) -> None:
        """Add one observation under ``labels`` (name/value pairs)."""
        self._h.labels(**dict(labels)).observe(value)


class Metrics:
    """The process's metrics: one registry per app (tests run several in one process)."""

    def __init__(self) -> None:
        mp_dir = multiprocess_dir()
        mp = mp_dir is not None
        if mp_dir is not None:
            os.makedirs(mp_dir, exist_ok=True)
        # In multiprocess mode samples go to files and a scrape reads them all; registering
        # them here as well would count this process twice.
        self.registry = CollectorRegistry(auto_describe=True)
        reg = None if mp else self.registry
        self.http = _Labelled(
            Histogram(
                "swingdesk_http_request_duration_seconds",
                "HTTP request latency by method, route template and status",
                ["method", "route", "status"],
                buckets=HTTP_BUCKETS_S,
                registry=reg,
            )
        )
        self.llm = _Labelled(
            Histogram(
                "swingdesk_llm_latency_ms",
                "analyst (LLM or rules) latency per signal, milliseconds",
                ["model"],
                buckets=LLM_BUCKETS_MS,
                registry=reg,
            )
        )
        self._drift = Gauge(
            "swingdesk_reconciliation_drift_pct",
            "last reconciliation's position drift, fraction of equity (NaN before the first)",
            registry=reg,
            multiprocess_mode="liveall",
        )
        self._drift.set(math.nan)
        self._clients = Gauge(
            "swingdesk_stream_clients",
            "connected SSE clients",
            registry=reg,
            multiprocess_mode="livesum",
        )
        self._refused = Counter(
            "swingdesk_stream_refused",
            "SSE streams refused by the per-caller or total cap (429)",
            registry=reg,
        )
        self.drift_pct: float | None = None
        self._sse_clients = 0
        self._sse_refused = 0

    @property
    def sse_clients(self) -> int:
        """Return the connected SSE clients."""
        return self._sse_clients

    @sse_clients.setter
    def sse_clients(self, value: int) -> None:
        self._sse_clients = value
        self._clients.set(value)

    @property
    def sse_refused(self) -> int:
        """Return the SSE streams refused so far."""
        return self._sse_refused

    @sse_refused.setter
    def sse_refused(self, value: int) -> None:
        if value > self._sse_refused:
            self._refused.inc(value - self._sse_refused)
        self._sse_refused = value

    def observe_bus(self, topic: str, payload: dict[str, Any]) -> None:
        """Feed one bus message: signal latency and reconciliation drift."""
        if topic == "signal_created":
            latency = payload.get("latency_ms")
            if isinstance(latency, int | float):
                self.llm.observe(float(latency), (("model", str(payload.get("model", ""))),))
        elif "drift_pct" in payload and "reconcil" in topic:
            try:
                self.drift_pct = float(payload["drift_pct"])
            except (TypeError, ValueError):
                return
            self._drift.set(self.drift_pct)

    async def render(
        self,
        store: Store,
        *,
        bus_seq: int,
        trading_state: str,
        replica: dict[str, Any] | None = None,
    ) -> str:
        """Return every metric, reading the business totals from the database."""
        families = await _business(store)
        families += _desk_families(bus_seq, trading_state, replica or {})
        scrape = CollectorRegistry(auto_describe=False)
        scrape.register(_Families(families))
        own = CollectorRegistry(auto_describe=False)
        if multiprocess_dir() is not None:
            MultiProcessCollector(own)  # type: ignore[no-untyped-call]
        else:
            own = self.registry
        return (generate_latest(scrape) + generate_latest(own)).decode()


class _Families(Collector):
    """Yields families computed before the scrape (the database read is async)."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self._families = list(families)

    def collect(self) -> Iterator[Metric]:
        """Return the families."""
        return iter(self._families)


def _counter(name: str, doc: str, labels: list[str], rows: Iterable[tuple[Any, ...]]) -> Metric:
    family = CounterMetricFamily(name, doc, labels=labels)
    for *values, n in rows:
        family.add_metric([str(v) for v in values], float(n or 0))
    return family


def _gauge(name: str, doc: str, labels: list[str], rows: Iterable[tuple[Any, ...]]) -> Metric:
    family = GaugeMetricFamily(name, doc, labels=labels)
    for *values, n in rows:
        family.add_metric([str(v) for v in values], float(n))
    return family


async def _business(store: Store) -> list[Metric]:
    """Read the totals every replica agrees on from the database."""
    async with store.read() as s:
        decisions = (
            await s.execute(
                select(tables.DecisionRow.status, func.count()).group_by(tables.DecisionRow.status)
            )
        ).all()
        denials = (
            await s.execute(
                select(tables.RiskCheckRow.code, func.count())
                .where(tables.RiskCheckRow.passed.is_(False))
                .group_by(tables.RiskCheckRow.code)
            )
        ).all()
        orders = (
            await s.execute(
                select(tables.OrderRow.status, func.count()).group_by(tables.OrderRow.status)
            )
        ).all()
        llm = (
            await s.execute(
                select(
                    tables.SignalRow.model,
                    func.count(),
                    func.sum(tables.SignalRow.tokens_in),
                    func.sum(tables.SignalRow.tokens_out),
                ).group_by(tables.SignalRow.model)
            )
        ).all()
        costs = (await s.execute(select(tables.SignalRow.model, tables.SignalRow.cost_usd))).all()
    cost_by_model: dict[str, float] = {}
    for model, cost in costs:
        cost_by_model[model] = cost_by_model.get(model, 0.0) + float(cost or 0)
    tokens = [(m, "in", ti) for m, _, ti, _ in llm] + [(m, "out", to) for m, _, _, to in llm]
    return [
        _counter("swingdesk_decisions", "decisions by final status", ["status"], decisions),
        _counter("swingdesk_risk_denials", "failed risk checks by code", ["code"], denials),
        _gauge("swingdesk_orders", "orders by current status", ["status"], orders),
        _counter(
            "swingdesk_llm_requests", "analyst calls by model", ["model"], [r[:2] for r in llm]
        ),
        _counter(
            "swingdesk_llm_tokens",
            "analyst tokens by model and direction",
            ["model", "direction"],
            tokens,
        ),
        _counter(
            "swingdesk_llm_cost_usd",
            "analyst cost by model, USD",
            ["model"],
            sorted(cost_by_model.items()),
        ),
    ]


def _desk_families(bus_seq: int, state: str, replica: dict[str, Any]) -> list[Metric]:
    families = [
        _gauge(
            "swingdesk_trading_state",
            "1 for the current trading state",
            ["state"],
            [(st, 1.0 if st == state else 0.0) for st in STATES],
        ),
        _counter("swingdesk_bus_messages", "messages published", [], [(bus_seq,)]),
    ]
    if replica:
        name = str(replica.get("replica", ""))
        families += [
            _gauge(
                "swingdesk_leader",
                "1 while this replica holds the leader lease",
                ["replica"],
                [(name, 1.0 if replica.get("leader") else 0.0)],
            ),
            _counter(
                "swingdesk_leader_changes",
                "times this replica became or stopped being the leader",
                ["replica"],
                [(name, replica.get("changes", 0))],
            ),
        ]
        if "bus_up" in replica:
            families.append(
                _gauge(
                    "swingdesk_bus_up",
                    "1 while the shared bus (Redis) carries messages",
                    [],
                    [(1.0 if replica["bus_up"] else 0.0,)],
                )
            )
    return families
