"""A report as an xlsx worksheet with native charts, for ``termcrm report NAME --format
xlsx`` and the nightly workbook alike.

A sheet holds the report's title, what it covers and its notes, then each table under
its title: a bold header, typed cells (money ``#,##0.00``, a percentage as a fraction
with a percentage format, dates as dates, a month as ``yyyy-mm``), the totals row in
bold. Each chart of a table is a native openpyxl chart (bar, line, pie) placed to the
right of its table, its series and categories referring to the table's cells (the totals
row left out). Text is never written as a formula.
"""

from __future__ import annotations

import os
import tempfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from termcrm.exchange.cells import column_letter, needs_text_guard
from termcrm.exchange.errors import FileRefused
from termcrm.exchange.sinks import HEADER_FILL, display_width, sheet_title, xlsx_text
from termcrm.i18n import _
from termcrm.reports.model import Chart, Report, Table
from termcrm.reports.render_text import cell_text, heading_line

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

FORMATS = {
    "money": "#,##0.00",
    "pct": "0.0%",
    "int": "#,##0",
    "number": "#,##0.00",
    "date": "yyyy-mm-dd",
    "month": "yyyy-mm",
}
CHART_ROWS = 16  # the rows a chart covers (7.5 cm at the default row height), and a gap
CHART_WIDTH_CM = 16.0
CHART_HEIGHT_CM = 7.5
MIN_WIDTH, MAX_WIDTH = 8, 60


def new_workbook(title: str) -> Workbook:
    """An empty workbook (its default sheet removed)."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.creator = "termcrm"
    wb.properties.title = title
    return wb


def text_cell(cell: Any, value: str) -> None:
    """Text as text: XML-illegal characters dropped, never read as a formula."""
    cell.value = xlsx_text(value)
    if needs_text_guard(value) or (isinstance(cell.value, str) and cell.value.startswith("#")):
        cell.data_type = "s"
        cell.quotePrefix = True


def put(cell: Any, value: Any, kind: str) -> None:
    """A value typed by its column's kind."""
    if value is None:
        return
    if isinstance(value, str):
        text_cell(cell, value)
        return
    if isinstance(value, datetime):
        value = value.replace(tzinfo=None)
    if kind == "pct" and isinstance(value, int | float | Decimal):
        cell.value = round(float(value) / 100.0, 8)
    else:
        cell.value = value
    fmt = FORMATS.get(kind)
    if fmt is not None and isinstance(value, int | float | Decimal | date):
        cell.number_format = fmt


def add_report_sheet(wb: Workbook, report: Report, name: str | None = None) -> Worksheet:
    """The report on a new sheet called ``name`` (default: the report's name)."""
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    ws = wb.create_sheet(sheet_title(name or report.name))
    text_cell(ws.cell(1, 1), _(report.title))
    ws.cell(1, 1).font = Font(bold=True, size=14)
    text_cell(ws.cell(2, 1), heading_line(report))
    ws.cell(2, 1).font = Font(italic=True, color="595959")
    row = 3
    for note in report.notes:
        text_cell(ws.cell(row, 1), note)
        ws.cell(row, 1).font = Font(italic=True)
        row += 1
    row += 1
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor=HEADER_FILL)
    header_border = Border(bottom=Side(style="thin", color="8EA9DB"))
    total_border = Border(top=Side(style="thin", color="8EA9DB"))
    widths: dict[int, int] = {}
    first_header: int | None = None
    for table in report.tables:
        title_row, header = row, row + 1
        text_cell(ws.cell(title_row, 1), _(table.title))
        ws.cell(title_row, 1).font = Font(bold=True, size=12)
        for j, column in enumerate(table.columns, start=1):
            cell = ws.cell(header, j)
            text_cell(cell, column.heading())
            cell.font, cell.fill, cell.border = bold, header_fill, header_border
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            widths[j] = max(widths.get(j, 0), min(display_width(column.heading()), 24) + 2)
        body = [*table.rows, *([table.total] if table.total is not None else [])]
        for i, values in enumerate(body):
            r = header + 1 + i
            is_total = table.total is not None and i == len(body) - 1
            for j, (value, column) in enumerate(zip(values, table.columns, strict=True), 1):
                cell = ws.cell(r, j)
                put(cell, value, column.kind)
                if is_total:
                    cell.font, cell.border = bold, total_border
                shown = cell_text(value, column.kind, None)
                widths[j] = max(widths.get(j, 0), display_width(shown) + 2)
        if first_header is None:
            first_header = header
        last = header + len(table.rows)  # the last data row (the totals row left out)
        charts = [c for c in report.charts if c.table == table.key]
        placed = 0
        for chart in charts:
            drawn = native_chart(ws, table, chart, header, last)
            if drawn is None:
                continue
            anchor_row = title_row + placed * CHART_ROWS
            ws.add_chart(drawn, f"{column_letter(len(table.columns) + 1)}{anchor_row}")
            placed += 1
        row = max(header + len(body), title_row + placed * CHART_ROWS) + 2
    for j, width in widths.items():
        ws.column_dimensions[column_letter(j - 1)].width = max(MIN_WIDTH, min(MAX_WIDTH, width))
    if first_header is not None:
        ws.freeze_panes = f"A{first_header + 1}"
    return ws


def native_chart(ws: Worksheet, table: Table, chart: Chart, header: int, last: int) -> Any:
    """An openpyxl chart of ``chart``, its references on the table's cells: the header
    row ``header`` (series titles) and the data rows below it to ``last``; None when the
    table has no rows."""
    from openpyxl.chart import BarChart, LineChart, PieChart, Reference
    from openpyxl.chart.data_source import AxDataSource, NumRef, StrRef
    from openpyxl.chart.label import DataLabelList
    from openpyxl.chart.series_factory import SeriesFactory

    if last <= header or not chart.series:
        return None
    drawn: Any
    if chart.kind == "pie":
        drawn = PieChart()
        keys: tuple[str, ...] = chart.series[:1]
        drawn.dataLabels = DataLabelList()
        drawn.dataLabels.showPercent = True
    elif chart.kind == "line":
        drawn = LineChart()
        keys = chart.series
    else:
        drawn = BarChart()
        drawn.type = "col"
        drawn.grouping = "stacked" if chart.stacked else "clustered"
        if chart.stacked:
            drawn.overlap = 100
        keys = chart.series
    drawn.title = _(chart.title)
    drawn.width, drawn.height = CHART_WIDTH_CM, CHART_HEIGHT_CM
    cat_index = table.column(chart.category)
    cat_ref = Reference(ws, min_col=cat_index + 1, min_row=header + 1, max_row=last)
    numeric_cat = table.columns[cat_index].kind not in ("text",)
    for key in keys:
        col = table.column(key) + 1
        values = Reference(ws, min_col=col, min_row=header, max_row=last)
        series = SeriesFactory(values, title_from_data=True)
        series.cat = (
            AxDataSource(numRef=NumRef(f=str(cat_ref)))
            if numeric_cat
            else AxDataSource(strRef=StrRef(f=str(cat_ref)))
        )
        drawn.series.append(series)
    if chart.kind != "pie":
        drawn.x_axis.delete = False
        drawn.y_axis.delete = False
        if len(keys) == 1:
            drawn.legend = None
    return drawn


def report_workbook(report: Report) -> Workbook:
    wb = new_workbook(_(report.title))
    add_report_sheet(wb, report)
    return wb


def save_workbook(wb: Workbook, path: Path) -> None:
    """Save under a temporary name in the target's folder, then rename it over the target:
    a reader never sees half a file, and a failure leaves no file behind (and the old
    file, if there was one, as it was). The file is readable by its owner only."""
    path = Path(path)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as exc:
        raise FileRefused(
            _("{path} cannot be written: {error}").format(path=path, error=exc.strerror)
        ) from exc
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as stream:
            wb.save(stream)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise FileRefused(
            _("{path} cannot be written: {error}").format(path=path, error=exc.strerror or exc)
        ) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
