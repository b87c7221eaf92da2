"""Helpers shared by the benchmarks: percentiles, machine facts, JSON output."""

from __future__ import annotations

import json
import platform
import statistics
import sys
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).with_name("results")


def percentile(sorted_values: list[float], q: float) -> float:
    """Return the q-quantile (0..1) of already sorted values, nearest-rank."""
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


def summary(samples: list[float]) -> dict[str, float]:
    """Return median, p90, p99 and mean of samples."""
    s = sorted(samples)
    return {
        "median": statistics.median(s),
        "p90": percentile(s, 0.90),
        "p99": percentile(s, 0.99),
        "mean": statistics.fmean(s),
    }


def machine() -> dict[str, Any]:
    """Describe where the benchmark ran."""
    import os

    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
    }


def write(name: str, data: dict[str, Any], out: Path | None = None) -> Path:
    """Write the results as JSON and return the path."""
    path = out or RESULTS / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"benchmark": name, **data, "machine": machine()}, indent=2) + "\n")
    return path
