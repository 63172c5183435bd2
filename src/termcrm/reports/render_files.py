"""A report as a file: CSV, JSON, Markdown or xlsx (``termcrm report NAME --format ...``).

- CSV: the values as they are (money ``1234.50``, a percentage ``12.5``, ISO dates,
  nothing as an empty cell), the column headings as the header row, text that a
  spreadsheet would read as a formula prefixed with ``'``. One table per file when
  written to a folder (``REPORT-TABLE.csv``); otherwise every table one after another,
  each under a line holding its title and followed by a blank line.
- JSON: ``{report, title, period, scope, currency, notes, tables, charts}``; money as
  strings (``"1234.50"``: exact, as every termcrm JSON writes money), percentages and
  other numbers as numbers, dates as ISO strings.
- Markdown: a heading, what the report covers (its currency), a pipe table per table
  (values as the terminal shows them) and its charts drawn as text.
- xlsx: see :mod:`termcrm.reports.workbook`.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from termcrm.exchange.cells import guard_csv
from termcrm.i18n import _
from termcrm.reports.model import Report, Table
from termcrm.reports.render_text import NUMERIC, chart_text, heading_line, table_cells
from termcrm.services.funnel_charts import period_text

FILE_FORMATS = ("csv", "json", "md", "xlsx")


# -- CSV ------------------------------------------------------------------------------------------


def csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return guard_csv(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(round(value, 6))
    return str(value)


def table_csv(table: Table) -> list[list[str]]:
    """The header row (column headings), the rows and the totals row of a table."""
    body = [*table.rows, *([table.total] if table.total is not None else [])]
    return [[c.heading() for c in table.columns], *[[csv_value(v) for v in r] for r in body]]


def _csv_text(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def to_csv(report: Report) -> str:
    """Every table one after another: its title on a line of its own, the table, a blank line."""
    parts = [_csv_text([[guard_csv(_(t.title))], *table_csv(t)]) for t in report.tables]
    return "\n".join(parts)


def csv_files(report: Report, folder: Path, *, mode: int | None = None) -> list[Path]:
    """One CSV file per table in ``folder``: ``REPORT-TABLE.csv`` (UTF-8 with a BOM, so a
    spreadsheet reads it as UTF-8)."""
    written = []
    for table in report.tables:
        path = Path(folder) / f"{report.name}-{table.key}.csv"
        _write_text(path, _csv_text(table_csv(table)), bom=True, mode=mode)
        written.append(path)
    return written


# -- JSON -----------------------------------------------------------------------------------------


def json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def as_data(report: Report) -> dict[str, Any]:
    """The report as JSON-ready data."""

    def row(table: Table, values: tuple[Any, ...]) -> dict[str, Any]:
        return {c.key: json_value(v) for c, v in zip(table.columns, values, strict=True)}

    return {
        "report": report.name,
        "title": _(report.title),
        "period": {
            "first": report.period[0].isoformat(),
            "last": report.period[1].isoformat(),
            "text": period_text(*report.period),
        },
        "scope": report.scope,
        "currency": report.currency,
        "notes": list(report.notes),
        "tables": {
            t.key: {
                "title": _(t.title),
                "columns": [
                    {"key": c.key, "title": c.heading(), "kind": c.kind} for c in t.columns
                ],
                "rows": [row(t, r) for r in t.rows],
                "total": row(t, t.total) if t.total is not None else None,
            }
            for t in report.tables
        },
        "charts": [
            {
                "kind": c.kind,
                "title": _(c.title),
                "table": c.table,
                "category": c.category,
                "series": list(c.series),
                "stacked": c.stacked,
            }
            for c in report.charts
        ],
    }


def to_json(report: Report) -> str:
    return json.dumps(as_data(report), ensure_ascii=False, indent=2) + "\n"


# -- Markdown -------------------------------------------------------------------------------------


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def table_markdown(table: Table, currency: str | None = None) -> str:
    head = [_md_cell(c.heading()) for c in table.columns]
    rule = ["---:" if c.kind in NUMERIC else "---" for c in table.columns]
    lines = ["| " + " | ".join(head) + " |", "| " + " | ".join(rule) + " |"]
    cells = table_cells(table, currency)
    for n, values in enumerate(cells):
        text = [_md_cell(v) for v in values]
        if table.total is not None and n == len(cells) - 1:
            text = [f"**{v}**" if v else v for v in text]
        lines.append("| " + " | ".join(text) + " |")
    return "\n".join(lines)


def to_markdown(report: Report, *, chart_width: int = 100) -> str:
    parts = [f"# {_md_cell(_(report.title))}", f"_{_md_cell(heading_line(report))}_"]
    if report.notes:
        parts.append("\n".join(f"> {_md_cell(note)}" for note in report.notes))
    for table in report.tables:
        parts.append(f"## {_md_cell(_(table.title))}")
        parts.append(table_markdown(table))
        for chart in report.charts:
            if chart.table == table.key:
                drawn = chart_text(report, chart, chart_width)
                if drawn:
                    parts.append(f"```text\n{drawn}\n```")
    return "\n\n".join(parts) + "\n"


# -- files ----------------------------------------------------------------------------------------


def _write_text(path: Path, text: str, *, bom: bool = False, mode: int | None = None) -> None:
    """Text written under a temporary name and renamed over ``path``."""
    from termcrm.exchange.output_file import OutputFile

    output = OutputFile(Path(path), mode=mode)
    try:
        output.stream.write(text.encode("utf-8-sig" if bom else "utf-8"))
    except BaseException:
        output.discard()
        raise
    output.commit()


def write_report(report: Report, fmt: str, out: Path, *, mode: int | None = None) -> list[Path]:
    """The report written to ``out`` in ``fmt``; the files written (``mode``: their
    permissions, default the owner's only).

    ``out`` is a file, or for CSV also an existing folder (one file per table there).
    """
    from termcrm.reports.workbook import report_workbook, save_workbook

    out = Path(out)
    if fmt == "xlsx":
        save_workbook(report_workbook(report), out, mode=mode)
    elif fmt == "csv" and out.is_dir():
        return csv_files(report, out, mode=mode)
    elif fmt == "csv":
        _write_text(out, to_csv(report), bom=True, mode=mode)
    elif fmt == "json":
        _write_text(out, to_json(report), mode=mode)
    elif fmt == "md":
        _write_text(out, to_markdown(report), mode=mode)
    else:
        raise ValueError(f"unknown report format {fmt!r}")
    return [out]


def render(report: Report, fmt: str) -> str:
    """The report as text in ``fmt`` (csv, json or md), for standard output."""
    if fmt == "csv":
        return to_csv(report)
    if fmt == "json":
        return to_json(report)
    if fmt == "md":
        return to_markdown(report)
    raise ValueError(f"{fmt} is not a text format")
