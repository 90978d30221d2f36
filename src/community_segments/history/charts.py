"""Server-rendered SVG charts of a segment's size: a sparkline and a small line chart.

Plain SVG built from numbers (no script, no library); each chart carries a text
alternative (``role="img"`` with an ``aria-label``), and the detail page adds a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from markupsafe import Markup, escape


def _points(values: Sequence[int], width: float, height: float, pad: float) -> str:
    low, high = min(values), max(values)
    span = (high - low) or 1
    step = (width - 2 * pad) / max(len(values) - 1, 1)
    return " ".join(f"{pad + i * step:.1f},{height - pad - (v - low) / span * (height - 2 * pad):.1f}"
                    for i, v in enumerate(values))


def sparkline(counts: Sequence[int], label: str, width: int = 96, height: int = 24) -> Markup:
    """A tiny trend line of recent counts (oldest first)."""
    if len(counts) < 2:
        return Markup("")
    return Markup(
        f'<svg class="cs-sparkline" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(label)}"><title>{escape(label)}</title>'
        f'<polyline fill="none" stroke="currentColor" stroke-width="1.5" '
        f'points="{_points(counts, width, height, 2)}"/></svg>')


def size_chart(points: Sequence[tuple[datetime, int]], label: str, width: int = 640,
               height: int = 180) -> Markup:
    """Size over time: a line over the refreshes, with the first/last time and min/max count."""
    if len(points) < 2:
        return Markup("")
    counts = [count for _, count in points]
    left, bottom = 56, 22
    line = _points(counts, width - left, height - bottom, 6)
    shifted = " ".join(f"{float(x) + left:.1f},{y}" for x, y in (p.split(",") for p in line.split()))
    first, last = points[0][0].strftime("%Y-%m-%d %H:%M"), points[-1][0].strftime("%Y-%m-%d %H:%M")
    return Markup(
        f'<svg class="cs-size-chart" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}">'
        f'<title>{escape(label)}</title>'
        f'<line x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" stroke="#999"/>'
        f'<line x1="{left}" y1="0" x2="{left}" y2="{height - bottom}" stroke="#999"/>'
        f'<text x="{left - 4}" y="12" text-anchor="end" font-size="11">{max(counts):,}</text>'
        f'<text x="{left - 4}" y="{height - bottom}" text-anchor="end" font-size="11">{min(counts):,}</text>'
        f'<text x="{left}" y="{height - 6}" font-size="11">{first}</text>'
        f'<text x="{width}" y="{height - 6}" text-anchor="end" font-size="11">{last}</text>'
        f'<polyline fill="none" stroke="currentColor" stroke-width="2" points="{shifted}"/></svg>')
