"""Inline SVG line charts for the HTML report: no script, no external resource.

Each chart is a string of SVG with its series as polylines, a horizontal grid with value
labels and the first and last dates under the axis. Every label is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

WIDTH, HEIGHT = 900, 280
_LEFT, _RIGHT, _TOP, _BOTTOM = 80, 20, 16, 36


@dataclass(frozen=True, slots=True)
class Series:
    """One line: a legend label, a CSS colour and one value per x position."""

    label: str
    colour: str
    values: Sequence[float]


def _ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    if hi == lo:
        return [lo]
    step = (hi - lo) / (count - 1)
    return [lo + i * step for i in range(count)]


def line_chart(
    title: str,
    dates: Sequence[str],
    series: Sequence[Series],
    *,
    value_format: str = "{:,.0f}",
    floor_zero: bool = False,
) -> str:
    """Return an SVG chart of ``series`` over ``dates`` (all series as long as ``dates``)."""
    values = [v for s in series for v in s.values]
    if not dates or not values:
        return f'<p class="empty">{html.escape(title)}: no data</p>'
    lo, hi = min(values), max(values)
    if floor_zero:
        hi = max(hi, 0.0)
    if hi == lo:
        lo, hi = lo - 1, hi + 1
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM
    n = len(dates)

    def x(i: int) -> float:
        return _LEFT + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return _TOP + plot_h * (hi - v) / (hi - lo)

    parts = [
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{html.escape(title)}" class="chart">',
        f"<title>{html.escape(title)}</title>",
    ]
    for tick in _ticks(lo, hi):
        ty = y(tick)
        label = html.escape(value_format.format(tick))
        parts.append(
            f'<line x1="{_LEFT}" x2="{WIDTH - _RIGHT}" y1="{ty:.1f}" y2="{ty:.1f}" class="grid"/>'
            f'<text x="{_LEFT - 6}" y="{ty + 4:.1f}" text-anchor="end">{label}</text>'
        )
    base = HEIGHT - _BOTTOM + 18
    parts.append(f'<text x="{_LEFT}" y="{base}">{html.escape(dates[0])}</text>')
    parts.append(
        f'<text x="{WIDTH - _RIGHT}" y="{base}" text-anchor="end">{html.escape(dates[-1])}</text>'
    )
    for k, s in enumerate(series):
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(s.values))
        parts.append(
            f'<polyline fill="none" stroke="{html.escape(s.colour)}" stroke-width="1.5" '
            f'points="{points}"/>'
        )
        # The legend sits under the plot, between the dates, where no line can hide it.
        lx = WIDTH // 2 - 110 * len(series) + 220 * k
        parts.append(
            f'<rect x="{lx}" y="{base - 6}" width="12" height="3" '
            f'fill="{html.escape(s.colour)}"/>'
            f'<text x="{lx + 18}" y="{base}">{html.escape(s.label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def drawdowns(values: Sequence[float]) -> list[float]:
    """Return each point's fall from the running peak, as a negative fraction (0 at a peak)."""
    out: list[float] = []
    peak = float("-inf")
    for v in values:
        peak = max(peak, v)
        out.append(v / peak - 1 if peak > 0 else 0.0)
    return out
