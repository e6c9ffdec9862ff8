"""Bar charts as server-rendered SVG a person reads at a glance: no script, a <title> and <desc> for screen readers,
labelled axes, and each bar's own <title> (its label and value, shown on hover). Every text is escaped here.

Bars are proportional: a bar's height is its value over the axis's top, which is the largest value rounded up to a
round number (1, 2 or 5 times a power of ten), so the eye can compare bars and read them off the axis.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

LEFT, RIGHT, TOP, BOTTOM = 56, 16, 20, 58  # margins around the plot: room for the axes' numbers and labels
VALUES_SHOWN_UP_TO = 14  # bars that carry their value above them; more would crowd the chart


def axis_top(largest: float) -> float:
    """The axis's top: the largest value rounded up to 1, 2 or 5 times a power of ten (1 when there is nothing)."""
    if largest <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(largest))
    for step in (1, 2, 5, 10):
        if largest <= step * power:
            return float(step * power)
    return float(10 * power)  # not reached: 10 times the power always holds the largest


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    bars: Sequence[tuple[str, float]],
    x_label: str,
    y_label: str,
    width: int = 720,
    height: int = 280,
    label_every: int = 1,
    value_text: Callable[[float], str] = _number,
) -> Markup:
    """An SVG bar chart (one bar per (label, value)), ready to place in a page."""
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM
    top = axis_top(max((v for _, v in bars), default=0))
    band = plot_w / max(len(bars), 1)
    bar_w = max(band * 0.72, 1.0)
    base = TOP + plot_h
    e = escape
    busiest = max(bars, key=lambda bar: bar[1], default=None)
    summary = description
    if busiest is not None and busiest[1] > 0:
        summary += f" Highest: {busiest[0]}, {value_text(busiest[1])}."
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{e(chart_id)}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{e(chart_id)}-title {e(chart_id)}-desc" preserveAspectRatio="xMinYMin meet">',
        f'<title id="{e(chart_id)}-title">{e(title)}</title>',
        f'<desc id="{e(chart_id)}-desc">{e(summary)}</desc>',
    ]
    # Gridlines and the y axis's numbers: the middle one only when it is a whole number (no "2.5 contacts").
    for fraction in (0.0, 0.5, 1.0) if (top / 2).is_integer() else (0.0, 1.0):
        y = base - fraction * plot_h
        parts.append(f'<line class="grid" x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + plot_w}" y2="{y:.1f}"/>')
        parts.append(
            f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{e(value_text(top * fraction))}</text>"
        )
    for index, (label, value) in enumerate(bars):
        h = plot_h * value / top
        x = LEFT + index * band + (band - bar_w) / 2
        centre = x + bar_w / 2
        parts.append(
            f'<rect class="bar" x="{x:.2f}" y="{base - h:.2f}" width="{bar_w:.2f}" height="{h:.2f}" '
            f'data-value="{e(_number(value))}"><title>{e(label)}: {e(value_text(value))}</title></rect>'
        )
        if len(bars) <= VALUES_SHOWN_UP_TO and value > 0:
            parts.append(
                f'<text class="value" x="{centre:.1f}" y="{base - h - 4:.1f}" text-anchor="middle">'
                f"{e(value_text(value))}</text>"
            )
        if index % max(label_every, 1) == 0:
            parts.append(f'<text class="label" x="{centre:.1f}" y="{base + 16}" text-anchor="middle">{e(label)}</text>')
    parts += [
        f'<line class="axis" x1="{LEFT}" y1="{base}" x2="{LEFT + plot_w}" y2="{base}"/>',
        f'<line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{base}"/>',
        f'<text class="axis-label" x="{LEFT + plot_w / 2:.1f}" y="{height - 8}" text-anchor="middle">'
        f"{e(x_label)}</text>",
        f'<text class="axis-label" transform="translate(14 {TOP + plot_h / 2:.1f}) rotate(-90)" '
        f'text-anchor="middle">{e(y_label)}</text>',
        "</svg>",
    ]
    return Markup("".join(parts))
