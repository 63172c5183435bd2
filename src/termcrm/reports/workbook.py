"""A report as an xlsx worksheet with native charts, for ``termcrm report NAME --format
xlsx`` and the nightly workbook alike.

A sheet holds the report's title, what it covers and its notes, then each table under
its title: a bold header, typed cells (money ``#,##0.00``, a percentage as a fraction
with a percentage format, dates as dates, a month as ``yyyy-mm``), the totals row in
bold. Each chart of a table is a native openpyxl chart (bar, line, pie) placed to the
right of its table, its series and categories referring to the table's cells (the totals
row left out). Text is never written as a formula.

The workbook is openpyxl's write-only one: rows stream to a temporary file in order, so
a sheet's layout (where each table, its charts and the frozen header go, the column
widths) is worked out before its first row, and a row's cells are reused styled cells,
one per column, their style looked up once. Column widths are fitted on the header, the
first ``FIT_ROWS`` rows and the totals row of each table. A write-only workbook is saved
once; ``discard`` drops the temporary files of one that will not be.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from termcrm.exchange.cells import column_letter, needs_text_guard
from termcrm.exchange.output_file import OutputFile, refused
from termcrm.exchange.sinks import HEADER_FILL, display_width, sheet_title, xlsx_text
from termcrm.i18n import _
from termcrm.reports.model import Chart, Report, Table
from termcrm.reports.render_text import cell_text, heading_line

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

FORMATS = {
    "money": "#,##0.00",
    "pct": "0.0%",
    "int": "#,##0",
    "number": "#,##0.00",
    "date": "yyyy-mm-dd",
    "month": "yyyy-mm",
}
NUMBER_KINDS = frozenset({"money", "pct", "int", "number"})
DATE_KINDS = frozenset({"date", "month"})
CHART_ROWS = 16  # the rows a chart covers (7.5 cm at the default row height), and a gap
CHART_WIDTH_CM = 16.0
CHART_HEIGHT_CM = 7.5
MIN_WIDTH, MAX_WIDTH = 8, 60
FIT_ROWS = 200  # the rows of a table its columns' widths are fitted on

Convert = Callable[[Any], Any]  # a value to what a write-only row holds (a value or a cell)


def new_workbook(title: str) -> Workbook:
    """An empty write-only workbook."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    wb.properties.creator = "termcrm"
    wb.properties.title = title
    return wb


def guarded(value: str) -> tuple[str, bool]:
    """Text as a cell holds it, and whether it must be marked as text (it would be read
    as a formula or an error value)."""
    shown = xlsx_text(value)
    return shown, needs_text_guard(value) or needs_text_guard(shown) or shown.startswith("#")


def text_cell(cell: Any, value: str) -> None:
    """Text as text: XML-illegal characters dropped, never read as a formula."""
    cell.value, guard = guarded(value)
    if guard:
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


def styled_cell(ws: WriteOnlyWorksheet, value: Any = None, kind: str = "text", **style: Any) -> Any:
    """A write-only cell holding ``value`` typed by ``kind``, with ``style`` (font, fill,
    border, alignment, number_format, hyperlink) set on it."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws)
    put(cell, value, kind)
    for key, setting in style.items():
        setattr(cell, key, setting)
    return cell


def converter(ws: WriteOnlyWorksheet, kind: str) -> Convert:
    """What a body row of a column of ``kind`` holds for a value: the value itself, or
    one of the column's reusable cells (a write-only row is written when appended, so
    the next row may give the same cell a new value)."""
    from openpyxl.cell import WriteOnlyCell

    fmt = FORMATS.get(kind)
    text = WriteOnlyCell(ws)
    text.quotePrefix = True
    typed = WriteOnlyCell(ws)
    if fmt is not None:
        typed.number_format = fmt
    numbers, dates, pct = kind in NUMBER_KINDS, kind in DATE_KINDS, kind == "pct"

    def convert(value: Any) -> Any:
        t = type(value)
        if value is None:
            return None
        if t is str:
            shown, guard = guarded(value)
            if not guard:
                return shown
            text.value = shown
            text.data_type = "s"
            return text
        if numbers and (t is int or t is float or t is Decimal):
            typed.value = round(float(value) / 100.0, 8) if pct else value
            return typed
        if dates and (t is date or t is datetime):
            typed.value = value.replace(tzinfo=None) if t is datetime else value
            return typed
        if fmt is None and (t is int or t is float or t is Decimal):
            return value
        return styled_cell(ws, value, kind)  # anything else, as put() types it

    return convert


def fitted_widths(report: Report) -> dict[int, int]:
    """Each column's width (1-based), fitted on its headings and the first ``FIT_ROWS``
    rows and the totals row of each table."""
    widths: dict[int, int] = {}
    for table in report.tables:
        sample = [*table.rows[:FIT_ROWS], *([table.total] if table.total is not None else [])]
        for j, column in enumerate(table.columns, start=1):
            width = min(display_width(column.heading()), 24) + 2
            for values in sample:
                width = max(width, display_width(cell_text(values[j - 1], column.kind, None)) + 2)
            widths[j] = max(widths.get(j, 0), width)
    return {j: max(MIN_WIDTH, min(MAX_WIDTH, w)) for j, w in widths.items()}


def first_header_row(report: Report) -> int:
    """The row of the first table's header: under the title, the heading line, the
    notes, a blank row and the table's title."""
    return 3 + len(report.notes) + 2


class Rows:
    """A write-only sheet's rows, appended in order and counted."""

    def __init__(self, ws: WriteOnlyWorksheet) -> None:
        self.ws = ws
        self.next = 1  # the number the next row appended gets

    def add(self, row: list[Any]) -> None:
        self.ws.append(row)
        self.next += 1

    def skip_to(self, row: int) -> None:
        """Blank rows up to ``row`` (the next row appended is ``row``)."""
        while self.next < row:
            self.add([])


def add_report_sheet(wb: Workbook, report: Report, name: str | None = None) -> Any:
    """The report on a new sheet called ``name`` (default: the report's name); a sheet
    that fails half-written is taken out of the workbook again."""
    ws = wb.create_sheet(sheet_title(name or report.name))
    try:
        write_report_rows(ws, report)
    except BaseException:
        discard_sheet(wb, ws)
        raise
    return ws


def write_report_rows(ws: WriteOnlyWorksheet, report: Report) -> None:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    for j, width in fitted_widths(report).items():
        ws.column_dimensions[column_letter(j - 1)].width = width
    if report.tables:
        ws.freeze_panes = f"A{first_header_row(report) + 1}"
    out = Rows(ws)
    out.add([styled_cell(ws, _(report.title), font=Font(bold=True, size=14))])
    out.add([styled_cell(ws, heading_line(report), font=Font(italic=True, color="595959"))])
    italic = Font(italic=True)
    for note in report.notes:
        out.add([styled_cell(ws, note, font=italic)])
    row = out.next + 1
    bold = Font(bold=True)
    table_font = Font(bold=True, size=12)
    header_style = {
        "font": bold,
        "fill": PatternFill("solid", fgColor=HEADER_FILL),
        "border": Border(bottom=Side(style="thin", color="8EA9DB")),
        "alignment": Alignment(wrap_text=True, vertical="center"),
    }
    total_border = Border(top=Side(style="thin", color="8EA9DB"))
    for table in report.tables:
        out.skip_to(row)
        title_row, header = row, row + 1
        last = header + len(table.rows)  # the last data row (the totals row left out)
        placed = 0
        for chart in (c for c in report.charts if c.table == table.key):
            drawn = native_chart(ws, table, chart, header, last)
            if drawn is None:
                continue
            anchor_row = title_row + placed * CHART_ROWS
            ws.add_chart(drawn, f"{column_letter(len(table.columns) + 1)}{anchor_row}")
            placed += 1
        out.add([styled_cell(ws, _(table.title), font=table_font)])
        out.add([styled_cell(ws, c.heading(), **header_style) for c in table.columns])
        converts = [converter(ws, column.kind) for column in table.columns]
        append = ws.append
        for values in table.rows:
            append([convert(v) for convert, v in zip(converts, values, strict=True)])
        out.next += len(table.rows)
        if table.total is not None:
            out.add(
                [
                    styled_cell(ws, value, column.kind, font=bold, border=total_border)
                    for value, column in zip(table.total, table.columns, strict=True)
                ]
            )
        row = max(out.next - 1, title_row + placed * CHART_ROWS) + 2


def native_chart(ws: WriteOnlyWorksheet, table: Table, chart: Chart, header: int, last: int) -> Any:
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


def save_workbook(wb: Workbook, path: Path, *, mode: int | None = None) -> None:
    """Save under a temporary name in the target's folder, then rename it over the target:
    a reader never sees half a file, and a failure leaves no file behind (and the old
    file, if there was one, as it was). The file is readable by its owner only, unless
    ``mode`` says otherwise."""
    try:
        output = OutputFile(Path(path), mode=mode)
    except BaseException:
        discard(wb)
        raise
    try:
        wb.save(output.stream)
    except OSError as exc:
        output.discard()
        discard(wb)
        raise refused(Path(path), exc) from exc
    except BaseException:
        output.discard()
        discard(wb)
        raise
    output.commit()


def drop_rows(ws: Any) -> None:
    """Remove the temporary file a write-only sheet keeps its rows in until saved."""
    writer = ws._writer
    if writer is None:
        return
    if not ws.closed:
        with contextlib.suppress(Exception):  # a sheet broken half-way: its file goes anyway
            ws.close()
    with contextlib.suppress(OSError, ValueError):  # already removed by a save
        writer.cleanup()


def discard_sheet(wb: Workbook, ws: Any) -> None:
    """A sheet out of the workbook, its rows' temporary file removed."""
    drop_rows(ws)
    wb.remove(ws)


def discard(wb: Workbook) -> None:
    """The temporary files of a workbook that will not be saved (or failed to be)."""
    for ws in wb.worksheets:
        drop_rows(ws)
