"""Server-rendered SVG line charts: no JavaScript, no network, readable without colour.

Each chart carries a <title> and <desc> (what a screen reader announces) and the
page shows the same numbers in a table beside it, so the figures never depend on
seeing the picture. Pure: series in, markup out.
"""

import datetime
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import mark_safe

WIDTH, HEIGHT = 620, 220
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 14, 42
# Distinguishable for the common colour blindnesses (Okabe–Ito); dashes tell them apart in print.
PALETTE = ["#0072B2", "#009E73", "#D55E00", "#CC79A7", "#E69F00", "#56B4E9"]
DASHES = ["", "6 3", "2 3", "8 3 2 3", "4 4", "1 2"]


@dataclass(frozen=True)
class Series:
    label: str
    values: list[int]


def _nice_ceiling(value: float) -> int:
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return int(step * magnitude)
    return int(10 * magnitude)


def line_chart(chart_id: str, title: str, description: str, days: list[datetime.date], series: list[Series]) -> str:
    """An accessible SVG line chart of daily values (one line per series, legend below)."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top_value = _nice_ceiling(max((max(s.values, default=0) for s in series), default=0))
    n = len(days)

    def x(i):
        return LEFT + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v):
        return TOP + plot_h - plot_h * v / top_value

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    for k in range(5):
        value = top_value * k / 4
        yy = y(value)
        parts.append(
            f'<line x1="{LEFT}" y1="{yy:.1f}" x2="{WIDTH - RIGHT}" y2="{yy:.1f}" stroke="#ddd" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{yy + 4:.1f}" text-anchor="end" font-size="11" fill="#555">'
            f"{_short(value)}</text>"
        )
    for i in _label_positions(n):
        parts.append(
            f'<text x="{x(i):.1f}" y="{TOP + plot_h + 16}" text-anchor="middle" font-size="11" fill="#555">'
            f"{days[i]:%d/%m}</text>"
        )
    for k, s in enumerate(series):
        colour, dash = PALETTE[k % len(PALETTE)], DASHES[k % len(DASHES)]
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(s.values))
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        if n == 1:
            parts.append(f'<circle cx="{x(0):.1f}" cy="{y(s.values[0]):.1f}" r="3" fill="{colour}"/>')
        else:
            parts.append(
                f'<polyline fill="none" stroke="{colour}" stroke-width="2"{dash_attr} points="{points}">'
                f"<title>{escape(s.label)}: {sum(s.values)}</title></polyline>"
            )
        lx = LEFT + k * (plot_w / max(len(series), 1))
        ly = HEIGHT - 8
        parts.append(
            f'<line x1="{lx:.1f}" y1="{ly - 4}" x2="{lx + 22:.1f}" y2="{ly - 4}" stroke="{colour}" '
            f'stroke-width="2"{dash_attr}/>'
            f'<text x="{lx + 27:.1f}" y="{ly}" font-size="11" fill="#333">{escape(s.label)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308  (every label above is escaped)


def _label_positions(n: int) -> list[int]:
    if n <= 0:
        return []
    step = max(1, round(n / 8))
    positions = list(range(0, n, step))
    if positions[-1] != n - 1 and n - 1 - positions[-1] >= step / 2:
        positions.append(n - 1)
    return positions


def _short(value: float) -> str:
    if value >= 1000:
        return f"{value / 1000:.1f}".replace(".", ",").removesuffix(",0") + " mil"
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}".replace(".", ",")
