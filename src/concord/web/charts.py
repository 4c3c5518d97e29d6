"""Charts drawn on the server as inline SVG markup: no script, no style attribute (the Content
Security Policy forbids both; SVG presentation attributes are not styles). Every chart is an
``img`` with a ``<title>`` and a ``<desc>`` saying what it shows, and the page beside it gives
the same figures as a table. Every text is escaped here; the result is marked safe."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

#: Colours: figures, the target line, below target, the trajectory, the frame.
INK = "#1f4e79"
TARGET = "#b00020"
BELOW = "#9a3412"
TRAJECTORY = "#6b7280"
FRAME = "#9ca3af"
TEXT = "#111827"


@dataclass(frozen=True, slots=True)
class Panel:
    """One state's small multiple: its shares by year and where its trajectory starts."""

    state: str
    name: str
    shares: Mapping[int, float]
    baseline: tuple[float, float] | None = None  #: (fractional year, share) the line starts at


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def year_fraction(day: date) -> float:
    """``day`` as a year with its fraction, e.g. 2014-07-02 as about 2014.5."""
    return day.year + (day.timetuple().tm_yday - 1) / 366


def spending_multiples(
    panels: Sequence[Panel],
    *,
    target: float,
    due: date,
    title: str,
    description: str,
    chart_id: str = "spending-chart",
    columns: int = 6,
) -> SafeString:
    """Small multiples, one panel per state: its share of GDP per reported year (points joined
    by a line), the target as a dashed red line, and the trajectory expected from its baseline to
    the target at the due date as a dotted grey line. A panel's latest figure is written under
    its code, in dark orange when below the target."""
    width, height, gap = 150, 96, 10
    left, right, top, bottom = 26, 8, 18, 16
    years = sorted({y for p in panels for y in p.shares})
    first = min([*years, due.year]) if years else due.year - 1
    last = max([*years, due.year])
    first = min(first, *(math.floor(p.baseline[0]) for p in panels if p.baseline))
    peak = max([target * 1.5, *(v for p in panels for v in p.shares.values())])
    ceiling = math.ceil(peak * 2) / 2  # to the half point above

    def x(year: float) -> float:
        span = max(last + 1 - first, 1)
        return left + (year - first) / span * (width - left - right)

    def y(share: float) -> float:
        return top + (1 - share / ceiling) * (height - top - bottom)

    rows = max(1, math.ceil(len(panels) / columns))
    total_w, total_h = columns * (width + gap), rows * (height + gap)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{escape(chart_id)}" class="chart" '
        f'role="img" viewBox="0 0 {total_w} {total_h}" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>',
    ]
    for i, panel in enumerate(panels):
        ox, oy = (i % columns) * (width + gap), (i // columns) * (height + gap)
        points = sorted(panel.shares.items())
        latest = points[-1][1] if points else None
        below = latest is not None and latest < target
        out.append(
            f'<g transform="translate({ox},{oy})" data-state="{escape(panel.state)}">'
            f'<rect x="0.5" y="0.5" width="{width - 1}" height="{height - 1}" fill="#ffffff" '
            f'stroke="{FRAME}"/>'
            f'<text x="4" y="12" font-size="10" font-weight="700" fill="{TEXT}">'
            f"{escape(panel.state)}</text>"
        )
        if latest is not None:
            out.append(
                f'<text x="{width - 4}" y="12" font-size="10" text-anchor="end" '
                f'fill="{BELOW if below else TEXT}">{escape(_fmt(latest))} %</text>'
            )
        ty = y(target)
        out.append(
            f'<line x1="{left}" y1="{ty:.1f}" x2="{width - right}" y2="{ty:.1f}" '
            f'stroke="{TARGET}" stroke-dasharray="4 3" stroke-width="1"/>'
            f'<text x="{left - 3}" y="{ty + 3:.1f}" font-size="8" text-anchor="end" '
            f'fill="{TARGET}">{escape(_fmt(target))}</text>'
        )
        if panel.baseline is not None:
            bx, by = panel.baseline
            out.append(
                f'<line x1="{x(bx):.1f}" y1="{y(by):.1f}" x2="{x(year_fraction(due)):.1f}" '
                f'y2="{ty:.1f}" stroke="{TRAJECTORY}" stroke-dasharray="1 2" stroke-width="1"/>'
            )
        if points:
            path = " ".join(f"{x(yr + 0.5):.1f},{y(v):.1f}" for yr, v in points)
            out.append(f'<polyline points="{path}" fill="none" stroke="{INK}" stroke-width="1.5"/>')
            out += [
                f'<circle cx="{x(yr + 0.5):.1f}" cy="{y(v):.1f}" r="2" fill="{INK}"/>'
                for yr, v in points
            ]
        out.append(
            f'<text x="{left}" y="{height - 4}" font-size="8" fill="{TEXT}">{first}</text>'
            f'<text x="{width - right}" y="{height - 4}" font-size="8" text-anchor="end" '
            f'fill="{TEXT}">{last}</text></g>'
        )
    out.append("</svg>")
    return mark_safe("".join(out))  # every value above is escaped or a number


def status_bars(
    counts: Sequence[tuple[str, str, int]],
    *,
    title: str,
    description: str,
    chart_id: str = "status-chart",
) -> SafeString:
    """Horizontal bars, one per status: ``(key, label, count)``; the key names the bar's CSS-free
    class so that each status keeps its colour."""
    colours = {"delivered": "#166534", "due": "#1e40af", "off_track": "#92400e", "late": "#9a1c1c"}
    label_w, bar_w, row_h = 110, 300, 22
    most = max([c for _k, _l, c in counts] + [1])
    height = row_h * len(counts) + 4
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{escape(chart_id)}" class="chart bars" '
        f'role="img" viewBox="0 0 {label_w + bar_w + 40} {height}" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>',
    ]
    for i, (key, label, count) in enumerate(counts):
        top = i * row_h + 2
        w = bar_w * count / most
        out.append(
            f'<text x="{label_w - 6}" y="{top + 14}" font-size="12" text-anchor="end" '
            f'fill="{TEXT}">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{top + 2}" width="{w:.1f}" height="{row_h - 6}" '
            f'fill="{colours.get(key, INK)}" data-status="{escape(key)}"/>'
            f'<text x="{label_w + w + 4:.1f}" y="{top + 14}" font-size="12" '
            f'fill="{TEXT}">{count}</text>'
        )
    out.append("</svg>")
    return mark_safe("".join(out))  # every value above is escaped or a number
