"""Server-side SVG charts: no JavaScript, no chart library, nothing fetched.

Each chart is an inline ``<svg role="img">`` named by its ``<title>`` and ``<desc>``
(``aria-labelledby``); every number is also drawn as text, and the pages put the same
numbers in a data table beside the chart. Colours come from classes in dashboard.css;
where colour tells series apart, a legend names them and breached segments are hatched.
All text is escaped here (labels may come from incident data).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

ROW = 30
BAR = 20
FONT_WIDTH = 7.2  # rough width of one character of chart text, for layout only


@dataclass(frozen=True)
class Bar:
    label: str
    value: float


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    css: str
    hatched: bool = False


def _num(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _open(chart_id: str, title: str, desc: str, width: int, height: int, css: str) -> list[str]:
    ident = escape(chart_id)
    return [
        f'<svg class="chart {escape(css)}" role="img" aria-labelledby="{ident}-title {ident}-desc" '
        f'viewBox="0 0 {width} {height}" preserveAspectRatio="xMinYMin meet" focusable="false">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(desc)}</desc>',
    ]


def _empty(chart_id: str, title: str, desc: str, width: int) -> Markup:
    parts = _open(chart_id, title, desc, width, 40, "chart-empty")
    parts.append('<text x="0" y="24" class="chart-note">Nothing to show yet.</text></svg>')
    return Markup("".join(parts))


def bar_chart(chart_id: str, title: str, desc: str, bars: Sequence[Bar], *, width: int = 320) -> Markup:
    """Horizontal bars, each with its label above it and its value after it: narrow enough
    to sit beside a table at a laptop's width and still be read at full size."""
    if not bars:
        return _empty(chart_id, title, desc, width)
    value_room = 44
    plot = width - value_room
    top = max((b.value for b in bars), default=0) or 1
    row = 42
    height = len(bars) * row
    parts = _open(chart_id, title, desc, width, height, "chart-bars")
    for index, bar in enumerate(bars):
        y = index * row
        length = max(0.0, plot * bar.value / top)
        if bar.value > 0:
            length = max(length, 2.0)
        parts.append(
            f'<text x="0" y="{y + 14}" class="chart-label">{escape(bar.label)}</text>'
            f'<rect x="0" y="{y + 19}" width="{length:.1f}" height="16" class="chart-bar"/>'
            f'<text x="{length + 6:.1f}" y="{y + 32}" class="chart-value">{escape(_num(bar.value))}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def stacked_bar_chart(
    chart_id: str,
    title: str,
    desc: str,
    rows: Sequence[tuple[str, dict[str, int]]],
    series: Sequence[Series],
    *,
    width: int = 560,
) -> Markup:
    """One full-width bar per row split into its series' shares; counts written inside
    segments wide enough to hold them; a legend names the series."""
    if not rows:
        return _empty(chart_id, title, desc, width)
    label_width = min(240, int(max(len(label) for label, _ in rows) * FONT_WIDTH) + 12)
    plot = width - label_width - 8
    legend: list[tuple[float, float, Series]] = []
    x, y = 0.0, 6.0
    for item in series:
        needed = 19 + len(item.label) * FONT_WIDTH + 18
        if x > 0 and x + needed > width:
            x, y = 0.0, y + 20
        legend.append((x, y, item))
        x += needed
    legend_height = int(y) + 24
    height = legend_height + len(rows) * ROW + 4
    parts = _open(chart_id, title, desc, width, height, "chart-stacked")
    hatch = f"{escape(chart_id)}-hatch"
    parts.append(
        f'<defs><pattern id="{hatch}" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" class="chart-hatch-bg"/>'
        '<line x1="0" y1="0" x2="0" y2="6" class="chart-hatch-line"/></pattern></defs>'
    )
    for x, y, item in legend:
        fill = f' fill="url(#{hatch})"' if item.hatched else ""
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.0f}" width="14" height="14" class="{escape(item.css)}"{fill}/>'
            f'<text x="{x + 19:.1f}" y="{y + 12:.0f}" class="chart-legend">{escape(item.label)}</text>'
        )
    for index, (label, values) in enumerate(rows):
        y = legend_height + index * ROW
        middle = y + BAR / 2 + 4
        parts.append(
            f'<text x="{label_width - 8}" y="{middle:.1f}" text-anchor="end" class="chart-label">'
            f"{escape(label)}</text>"
        )
        total = sum(values.get(s.key, 0) for s in series)
        if total == 0:
            parts.append(f'<text x="{label_width}" y="{middle:.1f}" class="chart-note">none yet</text>')
            continue
        x = float(label_width)
        for item in series:
            value = values.get(item.key, 0)
            if value <= 0:
                continue
            length = plot * value / total
            fill = f' fill="url(#{hatch})"' if item.hatched else ""
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{length:.1f}" height="{BAR}" '
                f'class="{escape(item.css)}"{fill}><title>{escape(label)}: {escape(item.label)} '
                f"{value}</title></rect>"
            )
            if length >= len(str(value)) * FONT_WIDTH + 6:
                parts.append(
                    f'<text x="{x + length / 2:.1f}" y="{middle:.1f}" text-anchor="middle" '
                    f'class="chart-segment-value {escape(item.css)}-text">{value}</text>'
                )
            x += length
    parts.append("</svg>")
    return Markup("".join(parts))


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^n at or above ``value`` (at least 1)."""
    if value <= 1:
        return 1
    power = float(10 ** math.floor(math.log10(value)))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def column_chart(
    chart_id: str,
    title: str,
    desc: str,
    columns: Sequence[Bar],
    *,
    width: int = 620,
    height: int = 230,
) -> Markup:
    """Vertical columns (a trend over months) with a value above each column and a
    labelled y axis with gridlines."""
    if not columns:
        return _empty(chart_id, title, desc, width)
    left, right, top_pad, bottom = 40, 8, 18, 40
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    top = nice_ceiling(max(c.value for c in columns))
    parts = _open(chart_id, title, desc, width, height, "chart-columns")
    for tick in range(5):
        value = top * tick / 4
        y = top_pad + plot_h - plot_h * tick / 4
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" class="chart-grid"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="chart-axis">{_num(value)}</text>'
        )
    slot = plot_w / len(columns)
    column_w = min(36.0, slot * 0.6)
    for index, column in enumerate(columns):
        centre = left + slot * index + slot / 2
        h = plot_h * column.value / top
        y = top_pad + plot_h - h
        parts.append(
            f'<rect x="{centre - column_w / 2:.1f}" y="{y:.1f}" width="{column_w:.1f}" '
            f'height="{h:.1f}" class="chart-bar"/>'
            f'<text x="{centre:.1f}" y="{y - 4:.1f}" text-anchor="middle" class="chart-value">'
            f"{escape(_num(column.value))}</text>"
        )
        first, _, second = column.label.partition(" ")
        parts.append(
            f'<text x="{centre:.1f}" y="{top_pad + plot_h + 16}" text-anchor="middle" '
            f'class="chart-axis">{escape(first)}</text>'
        )
        if second:
            parts.append(
                f'<text x="{centre:.1f}" y="{top_pad + plot_h + 30}" text-anchor="middle" '
                f'class="chart-axis">{escape(second)}</text>'
            )
    parts.append(
        f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{width - right}" y2="{top_pad + plot_h}" '
        'class="chart-baseline"/>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))
