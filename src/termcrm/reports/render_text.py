"""A report in the terminal: rich tables and plotext charts (``termcrm report NAME``).

Headless (rich and plotext only, no textual). Values are formatted by their column's
kind in the interface language: money with two decimals (the currency is said once, in
the line under the title, as ``fmt_money`` in every cell would not leave room for the
figures), percentages with one decimal and ``%``, dates as the language writes them, a
month as ``2026-11``; nothing (``None``) as an empty cell. A table too wide for the
terminal is shown in pieces, each with the first column. User text is printed as
``Text``, never as markup.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from babel import numbers as babel_numbers

from termcrm import i18n
from termcrm.i18n import _, fmt_date, fmt_money, fmt_number
from termcrm.reports.model import Chart, Report, Table
from termcrm.services.funnel_charts import period_text

if TYPE_CHECKING:
    from rich.console import Console

NUMERIC = ("int", "money", "number", "pct")
LABEL_WIDTH = 20  # a chart's category labels are cut to this many characters


def _decimal(value: Any, pattern: str) -> str:
    return babel_numbers.format_decimal(
        value, format=pattern, locale=i18n.BABEL_LOCALES[i18n.current()]
    )


def cell_text(value: Any, kind: str, currency: str | None = None) -> str:
    """A value as a person reads it, by its column's kind (money with ``currency`` when
    given, as ``fmt_money`` writes it)."""
    if value is None:
        return ""
    number = isinstance(value, int | float | Decimal) and not isinstance(value, bool)
    if kind == "money" and number:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
        return fmt_money(amount, currency) if currency else _decimal(amount, "#,##0.00")
    if kind == "pct" and number:
        return _decimal(value, "#,##0.0") + "%"
    if kind == "int" and number:
        return fmt_number(value)
    if kind == "number" and number:
        return _decimal(value, "#,##0.##")
    if kind == "date" and isinstance(value, date):
        return fmt_date(value)
    if kind == "month" and isinstance(value, date):
        return f"{value:%Y-%m}"
    return str(value)


def heading_line(report: Report) -> str:
    """What a report covers, in one line: its period, whose data, its currency."""
    parts = [
        _("period {period}").format(period=period_text(*report.period)),
        report.scope,
    ]
    if report.currency:
        parts.append(_("amounts in {currency}").format(currency=report.currency))
    return "; ".join(parts)


def table_cells(table: Table, currency: str | None = None) -> list[list[str]]:
    """The rows (and the totals row last) of a table as text."""
    body = list(table.rows) + ([table.total] if table.total is not None else [])
    return [
        [cell_text(v, c.kind, currency) for v, c in zip(row, table.columns, strict=True)]
        for row in body
    ]


# -- charts --------------------------------------------------------------------------------------


def chart_text(report: Report, chart: Chart, width: int) -> str | None:
    """A chart drawn with plotext as plain text (no colours), or None when the table has
    nothing to draw. A pie is drawn as horizontal bars of each slice's share in %."""
    import plotext as plt

    from termcrm.reports.charts import chart_data, draw_chart

    data = chart_data(report, chart)
    if data is None:
        return None
    plt.clear_figure()
    draw_chart(plt, data, width)
    plt.plotsize(width, data.height())
    text: str = plt.uncolorize(str(plt.build()))
    plt.clear_figure()
    return text.rstrip()


# -- the terminal ---------------------------------------------------------------------------------


def _cell_width(text: str) -> int:
    from rich.cells import cell_len

    return max((cell_len(line) for line in text.splitlines()), default=0)


def content_widths(table: Table, cells: list[list[str]], width: int) -> list[int]:
    """How wide each column's content is drawn: figures and dates never wrap, a heading
    wraps at its spaces, a text column takes at most a third of the width (its text
    folds)."""
    out = []
    for i, column in enumerate(table.columns):
        body = max((_cell_width(row[i]) for row in cells), default=0)
        heading = column.heading()
        word = max((_cell_width(w) for w in heading.split()), default=0)
        need = max(body, word, min(_cell_width(heading), max(body, 10)))
        if column.kind not in (*NUMERIC, "date", "month"):
            need = min(need, max(12, word, width // 3))
        out.append(need)
    return out


def chunk_widths(widths: list[int], width: int) -> list[list[int]]:
    """Columns of these content widths split into groups that fit ``width`` (a column
    takes its content and 3 more: padding and the rule), the first column (the rows'
    names) in each group."""
    chunks: list[list[int]] = [[0]]
    used = widths[0] + 3 if widths else 0
    for i in range(1, len(widths)):
        if len(chunks[-1]) > 1 and used + widths[i] + 3 > width:
            chunks.append([0])
            used = widths[0] + 3
        chunks[-1].append(i)
        used += widths[i] + 3
    return chunks


def column_chunks(table: Table, cells: list[list[str]], width: int) -> list[list[int]]:
    """The columns of a table split into groups that fit ``width``, the first column in
    each group."""
    return chunk_widths(content_widths(table, cells, width), width)


def _rich_tables(table: Table, currency: str | None, width: int) -> list[Any]:
    """The table as one rich table, or several side by side pieces when it is too wide."""
    from rich import box
    from rich.table import Table as RichTable
    from rich.text import Text

    cells = table_cells(table, currency)
    widths = content_widths(table, cells, width)
    if not cells and widths:  # room for "(nothing)"
        widths[0] = max(widths[0], _cell_width(_("(nothing)")))
    chunks = chunk_widths(widths, width)
    out = []
    for part, indexes in enumerate(chunks):
        title = _(table.title)
        if part:
            title = _("{title} (continued)").format(title=title)
        rich = RichTable(
            title=Text(title),
            title_justify="left",
            title_style="bold",
            header_style="bold",
            box=box.SIMPLE_HEAD,
            show_edge=False,
        )
        for i in indexes:
            column = table.columns[i]
            rich.add_column(
                Text(column.heading()),
                justify="right" if column.kind in NUMERIC else "left",
                overflow="fold",
                width=widths[i],
            )
        for n, row in enumerate(cells):
            is_total = table.total is not None and n == len(cells) - 1
            rich.add_row(
                *[Text(row[i]) for i in indexes],
                style="bold" if is_total else None,
                end_section=table.total is not None and n == len(cells) - 2,
            )
        if not cells:
            rich.add_row(Text(_("(nothing)"), style="dim"), *[""] * (len(indexes) - 1))
        out.append(rich)
    return out


def print_report(report: Report, console: Console, *, charts: bool = True) -> None:
    """The report's heading, every table (each chart of a table right after it), its notes."""
    from rich.text import Text

    width = max(40, min(console.width, 160))
    console.print(Text(_(report.title), style="bold underline"))
    console.print(Text(heading_line(report), style="dim"), soft_wrap=True)
    for table in report.tables:
        console.print()
        for n, piece in enumerate(_rich_tables(table, None, width)):
            if n:
                console.print()
            console.print(piece)
        if not charts:
            continue
        for chart in report.charts:
            if chart.table != table.key:
                continue
            drawn = chart_text(report, chart, width)
            if drawn:
                console.print()
                console.print(Text(drawn), soft_wrap=True)
    if report.notes:
        console.print()
    for note in report.notes:
        console.print(Text(f"* {note}", style="italic"), soft_wrap=True)
