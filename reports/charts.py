"""Charts drawn on the server as SVG: one module for the pages and the PDF reports.

A chart is plain SVG markup: the page puts it inline (each bar and point a link to the list behind it, its value in a
tooltip), WeasyPrint lays the same markup into the PDF. No script, no library in the browser, the same picture in both.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

# Colours told apart by readers with the common colour-vision deficiencies (a blue/orange-led qualitative palette).
PALETTE = ("#2f6db5", "#e8833a", "#3aa57a", "#c9473d", "#8a63b8", "#8c6d4f", "#d66fb0", "#7f7f7f", "#b5b53a", "#3ab0c9")
FONT = "'WenQuanYi Micro Hei', 'Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', sans-serif"

Number = Decimal | int | float


@dataclass
class Series:
    """One named row of values, one per label; `links` (same length, or empty) are where each value's bar or point leads."""

    name: str
    values: Sequence[Number | None]
    links: Sequence[str | None] = field(default_factory=tuple)

    def link(self, i: int) -> str | None:
        return self.links[i] if i < len(self.links) else None


def format_value(value: Number | None, kind: str) -> str:
    """A value as the chart's labels show it: money ¥1,234.50, a count 1,234, a percent 12.5%."""
    if value is None:
        return "–"
    if kind == "money":
        v = Decimal(str(value)) if not isinstance(value, Decimal) else value
        return f"{'-' if v < 0 else ''}¥{abs(v):,.2f}"
    if kind == "percent":
        return f"{float(value):.1f}%"
    return f"{int(value):,}"


def _tick_label(value: float, kind: str) -> str:
    if kind == "money":
        # Axis labels stay short: ¥1.25万 in Chinese, ¥12.5k in English, rather than ¥12,500.00.
        size, sign = abs(value), "-" if value < 0 else ""
        if (get_language() or "").startswith("zh"):
            for unit, name in ((100_000_000, "亿"), (10_000, "万")):
                if size >= unit:
                    return f"{sign}¥{size / unit:g}{name}"
        else:
            for unit, name in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "k")):
                if size >= unit:
                    return f"{sign}¥{size / unit:g}{name}"
        return f"{sign}¥{size:g}"
    if kind == "percent":
        return f"{value:g}%"
    return f"{value:g}"


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round axis ticks that cover [low, high] (0 included), about `count` of them: steps of 1, 2, 2.5 or 5 × 10ⁿ."""
    low, high = min(low, 0.0), max(high, 0.0)
    if high == low:
        high = low + 1
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(low / step) * step
    ticks, value = [], start
    while value < high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < high:
        ticks.append(round(value, 10))
    return ticks


def _svg_open(width: int, height: int, title: str) -> list[str]:
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" font-family="{FONT}" font-size="11">']
    if title:
        parts.append(f"<title>{escape(title)}</title>")
    return parts


def _legend(series: Sequence[Series], x: float, y: float) -> list[str]:
    parts, cx = [], x
    for i, s in enumerate(series):
        parts.append(f'<rect x="{cx:.1f}" y="{y - 9:.1f}" width="10" height="10" fill="{PALETTE[i % len(PALETTE)]}"/>')
        parts.append(f'<text x="{cx + 14:.1f}" y="{y:.1f}">{escape(s.name)}</text>')
        cx += 24 + 12 * len(s.name)
    return parts


def _wrap_link(inner: str, href: str | None) -> str:
    return f'<a href="{escape(href)}">{inner}</a>' if href else inner


def _axes(ticks: list[float], *, left: float, top: float, plot_w: float, plot_h: float, kind: str, y_of) -> list[str]:
    parts = []
    for t in ticks:
        y = y_of(t)
        parts.append(f'<line x1="{left:.1f}" x2="{left + plot_w:.1f}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="{"#888" if t == 0 else "#e3e3e3"}" stroke-width="1"/>')
        parts.append(f'<text x="{left - 6:.1f}" y="{y + 4:.1f}" text-anchor="end" fill="#555">{escape(_tick_label(t, kind))}</text>')
    return parts


def _frame(labels: Sequence[str], series: Sequence[Series], width: int, height: int, legend: bool):
    top = 28 if legend and len(series) > 1 else 12
    left, right, bottom = 64, 12, 42
    return left, top, width - left - right, height - top - bottom


def _label_text(label: str, x: float, y: float, crowded: bool) -> str:
    if crowded:
        return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="end" fill="#333" '
                f'transform="rotate(-35 {x:.1f} {y:.1f})">{escape(label)}</text>')
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle" fill="#333">{escape(label)}</text>'


def bar_chart(*, labels: Sequence[str], series: Sequence[Series], stacked: bool = False, value_format: str = "money",
              width: int = 640, height: int = 260, title: str = "") -> SafeString:
    """Bars per label: grouped side by side, or stacked (positives up, negatives down). Each bar links where its
    series says and carries its value in a tooltip; value_format is "money", "count" or "percent"."""
    n = len(labels)
    parts = _svg_open(width, height, title)
    if n == 0 or not series:
        parts.append(f'<text x="{width / 2:.1f}" y="{height / 2:.1f}" text-anchor="middle" fill="#777">{escape(_("No data"))}</text></svg>')
        return mark_safe("".join(parts))
    values = [[float(v) if v is not None else 0.0 for v in s.values] for s in series]
    if stacked:
        highs = [sum(max(v[i], 0) for v in values) for i in range(n)]
        lows = [sum(min(v[i], 0) for v in values) for i in range(n)]
    else:
        highs = [max(v[i] for v in values) for i in range(n)]
        lows = [min(v[i] for v in values) for i in range(n)]
    ticks = nice_ticks(min(lows), max(highs))
    left, top, plot_w, plot_h = _frame(labels, series, width, height, True)
    span = ticks[-1] - ticks[0]

    def y_of(v: float) -> float:
        return top + plot_h * (ticks[-1] - v) / span

    parts += _axes(ticks, left=left, top=top, plot_w=plot_w, plot_h=plot_h, kind=value_format, y_of=y_of)
    slot = plot_w / n
    groups = 1 if stacked else len(series)
    bar_w = max(2.0, min(48.0, slot * 0.7 / groups))
    crowded = n > 8 or max(len(label) for label in labels) * 11 > slot
    for i, label in enumerate(labels):
        x0 = left + slot * i + (slot - bar_w * groups) / 2
        up = down = 0.0
        for j, s in enumerate(series):
            v = values[j][i]
            # A zero in a stack has no height but sits on its neighbour's edge: unlinked and deaf to the pointer, so
            # that it never catches the clicks meant for the bar below it.
            flat = stacked and v == 0
            deaf = ' pointer-events="none"' if flat else ""
            if stacked:
                base = up if v >= 0 else down
                y1, y2 = y_of(base + v), y_of(base)
                if v >= 0:
                    up += v
                else:
                    down += v
                x = x0
            else:
                y1, y2 = y_of(max(v, 0)), y_of(min(v, 0))
                x = x0 + bar_w * j
            tip = f"{label} · {s.name}: {format_value(s.values[i], value_format)}" if len(series) > 1 else \
                f"{label}: {format_value(s.values[i], value_format)}"
            rect = (f'<rect class="chart-bar" x="{x:.1f}" y="{min(y1, y2):.1f}" width="{bar_w:.1f}" height="{abs(y2 - y1):.1f}" '
                    f'fill="{PALETTE[j % len(PALETTE)]}"{deaf}><title>{escape(tip)}</title></rect>')
            parts.append(rect if flat else _wrap_link(rect, s.link(i)))
        parts.append(_label_text(label, left + slot * (i + 0.5), top + plot_h + 16, crowded))
    if len(series) > 1:
        parts += _legend(series, left, 14)
    parts.append("</svg>")
    return mark_safe("".join(parts))


def line_chart(*, labels: Sequence[str], series: Sequence[Series], value_format: str = "money", width: int = 640,
               height: int = 260, title: str = "") -> SafeString:
    """Lines over the labels (periods, months), a dot per value linking where its series says, gaps where a value is None."""
    n = len(labels)
    parts = _svg_open(width, height, title)
    known = [float(v) for s in series for v in s.values if v is not None]
    if n == 0 or not known:
        parts.append(f'<text x="{width / 2:.1f}" y="{height / 2:.1f}" text-anchor="middle" fill="#777">{escape(_("No data"))}</text></svg>')
        return mark_safe("".join(parts))
    ticks = nice_ticks(min(known), max(known))
    left, top, plot_w, plot_h = _frame(labels, series, width, height, True)
    span = ticks[-1] - ticks[0]

    def y_of(v: float) -> float:
        return top + plot_h * (ticks[-1] - v) / span

    parts += _axes(ticks, left=left, top=top, plot_w=plot_w, plot_h=plot_h, kind=value_format, y_of=y_of)
    slot = plot_w / n
    crowded = n > 12 or max(len(label) for label in labels) * 11 > slot
    for i, label in enumerate(labels):
        parts.append(_label_text(label, left + slot * (i + 0.5), top + plot_h + 16, crowded))
    for j, s in enumerate(series):
        colour = PALETTE[j % len(PALETTE)]
        path, pen_down = [], False
        for i, v in enumerate(s.values):
            if v is None:
                pen_down = False
                continue
            x, y = left + slot * (i + 0.5), y_of(float(v))
            path.append(f"{'L' if pen_down else 'M'}{x:.1f},{y:.1f}")
            pen_down = True
        if path:
            parts.append(f'<path d="{" ".join(path)}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for i, v in enumerate(s.values):
            if v is None:
                continue
            x, y = left + slot * (i + 0.5), y_of(float(v))
            tip = f"{labels[i]} · {s.name}: {format_value(v, value_format)}"
            dot = (f'<circle class="chart-point" cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}">'
                   f"<title>{escape(tip)}</title></circle>")
            parts.append(_wrap_link(dot, s.link(i)))
    if len(series) > 1:
        parts += _legend(series, left, 14)
    parts.append("</svg>")
    return mark_safe("".join(parts))
