"""A commitment's dashboard as a PDF: the title and the day it stands on, the status of every
bound state in a table, and a chart drawn with reportlab's graphics — for spending, each state's
share of GDP over the years against the target line; for the other kinds, how many states are in
each status.

Plain values in, bytes out; no Django. Labels are in English (the dashboard's CSV is too).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, Line, String
from reportlab.lib import colors
from reportlab.lib.units import cm
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle

from concord.formats import pdf_out

#: The statuses in the order every dashboard shows them, with their English labels.
STATUS_LABELS = {
    "delivered": "delivered",
    "due": "due",
    "off_track": "off track",
    "late": "late",
}
#: The lines of the spending chart cycle through these (the target is drawn in red, dashed).
PALETTE = (
    "#1f4e79",
    "#2e7d32",
    "#6a1b9a",
    "#ef6c00",
    "#00838f",
    "#5d4037",
    "#c2185b",
    "#455a64",
)
TARGET_COLOUR = "#b00020"


@dataclass(frozen=True, slots=True)
class StateRow:
    state: str  #: ISO 3166 alpha-3
    name: str
    status: str  #: delivered, due, off_track or late
    figure: float | None = None
    expected: float | None = None


@dataclass(frozen=True, slots=True)
class DashboardSheet:
    """What the PDF of a commitment's dashboard prints."""

    title: str
    kind: str  #: spending, standard or capability
    on: str  #: the day the statuses hold on, e.g. "2026-05-04"
    due: str
    target: float | None
    rows: tuple[StateRow, ...]
    #: spending: state -> year -> share of GDP in per cent (reports that count)
    series: Mapping[str, Mapping[int, float]] = field(default_factory=dict)
    marking: str = ""
    reference: str = ""


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def status_table(sheet: DashboardSheet) -> Table:
    spending = sheet.kind == "spending"
    head = ["State", "Name", "Status"] + (["Latest %", "Expected %"] if spending else [])
    data: list[list[str]] = [head]
    for row in sheet.rows:
        line = [row.state, pdf_out.printable(row.name), STATUS_LABELS.get(row.status, row.status)]
        if spending:
            line += [_number(row.figure), _number(row.expected)]
        data.append(line)
    table = Table(data, repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), pdf_out.BOLD, 9),
                ("FONT", (0, 1), (-1, -1), pdf_out.FONT, 9),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f2f2f2")]),
                ("ALIGN", (3, 1), (-1, -1), "RIGHT"),
            ]
        )
    )
    return table


def spending_chart(
    sheet: DashboardSheet, width: float = 16 * cm, height: float = 9 * cm
) -> Drawing:
    """Each state's share of GDP per year as a line, and the target as a dashed red line."""
    drawing = Drawing(width, height)
    series = {s: dict(by_year) for s, by_year in sorted(sheet.series.items()) if by_year}
    years = sorted({y for by_year in series.values() for y in by_year})
    if not years:
        drawing.add(String(10, height / 2, "No figures reported yet.", fontName=pdf_out.FONT))
        return drawing
    plot = LinePlot()
    plot.x, plot.y = 1.4 * cm, 1.0 * cm
    plot.width, plot.height = width - 2 * cm, height - 1.8 * cm
    plot.data = [sorted(by_year.items()) for by_year in series.values()]
    low, high = years[0], max(years[-1], years[0] + 1)
    top = max([sheet.target or 0.0] + [v for b in series.values() for v in b.values()]) * 1.1
    plot.xValueAxis.valueMin, plot.xValueAxis.valueMax = low, high
    plot.xValueAxis.valueSteps = years
    plot.xValueAxis.labelTextFormat = "%d"
    plot.yValueAxis.valueMin, plot.yValueAxis.valueMax = 0, max(top, 0.5)
    plot.yValueAxis.labelTextFormat = "%.1f %%"
    for axis in (plot.xValueAxis, plot.yValueAxis):
        axis.labels.fontName = pdf_out.FONT
        axis.labels.fontSize = 7
    for i in range(len(plot.data)):
        plot.lines[i].strokeColor = colors.HexColor(PALETTE[i % len(PALETTE)])
        plot.lines[i].strokeWidth = 0.8
    drawing.add(plot)
    if sheet.target is not None:
        y = plot.y + plot.height * sheet.target / plot.yValueAxis.valueMax
        drawing.add(
            Line(
                plot.x,
                y,
                plot.x + plot.width,
                y,
                strokeColor=colors.HexColor(TARGET_COLOUR),
                strokeDashArray=[4, 3],
                strokeWidth=1.2,
            )
        )
        drawing.add(
            String(
                plot.x + plot.width - 2 * cm,
                y + 3,
                f"target {sheet.target:g} %",
                fontName=pdf_out.BOLD,
                fontSize=8,
                fillColor=colors.HexColor(TARGET_COLOUR),
            )
        )
    return drawing


def status_chart(sheet: DashboardSheet, width: float = 16 * cm, height: float = 5 * cm) -> Drawing:
    """How many bound states are in each status, as horizontal bars."""
    counts = {key: 0 for key in STATUS_LABELS}
    for row in sheet.rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    drawing = Drawing(width, height)
    chart = HorizontalBarChart()
    chart.x, chart.y = 2.4 * cm, 0.6 * cm
    chart.width, chart.height = width - 3.2 * cm, height - 1 * cm
    chart.data = [[counts[key] for key in counts]]
    chart.categoryAxis.categoryNames = [STATUS_LABELS.get(k, k) for k in counts]
    chart.categoryAxis.labels.fontName = pdf_out.FONT
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = max(1, len(sheet.rows))
    chart.valueAxis.labels.fontName = pdf_out.FONT
    chart.bars[0].fillColor = colors.HexColor(PALETTE[0])
    drawing.add(chart)
    return drawing


def dashboard_pdf(sheet: DashboardSheet, *, compress: bool = True) -> bytes:
    """The dashboard as a PDF document (``compress=False`` leaves the streams readable)."""
    style = pdf_out.styles()
    markup = pdf_out.markup
    particulars = [f"Status on {sheet.on}", f"Due {sheet.due}", f"Kind: {sheet.kind}"]
    if sheet.target is not None:
        particulars.append(
            f"Target: {sheet.target:g} % of GDP"
            if sheet.kind == "spending"
            else f"Target: {sheet.target:g}"
        )
    flowables: list[Flowable] = [Paragraph(markup(sheet.title), style["title"])]
    flowables += [Paragraph(markup(line), style["particulars"]) for line in particulars]
    flowables.append(Spacer(1, 0.4 * cm))
    if sheet.kind == "spending":
        flowables.append(Paragraph("Share of GDP over the years", style["heading"]))
        flowables.append(spending_chart(sheet))
    flowables.append(Paragraph("States by status", style["heading"]))
    flowables.append(status_chart(sheet))
    flowables.append(Paragraph("Status per state", style["heading"]))
    flowables.append(status_table(sheet))
    return pdf_out.build(
        flowables,
        title=sheet.title,
        marking=sheet.marking,
        reference=sheet.reference or sheet.title,
        compress=compress,
    )
