"""Tabular writers: xlsx (streaming), CSV and JSON, and the rejects file of an import.

``open_writer`` gives a ``TableWriter``: ``write`` one row of values at a time, then
``close`` (or ``abort``). A file is written under a temporary name in the same folder and
renamed on ``close``, so nobody ever sees half a file; ``abort`` drops it. Written files
are readable by their owner only, as a CRM export holds personal data.

No text is ever written as a formula: xlsx writes every text value as a string cell (text
that a spreadsheet would take for a formula also gets Excel's "quote prefix", so editing the
cell in Excel keeps it text); CSV puts a ``'`` in front of such text (``cells.guard_csv``),
which ``sources.open_sheet`` takes off again.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import re
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from termcrm.exchange.cells import Cell, column_letter, guard_csv, needs_text_guard
from termcrm.exchange.errors import FileRefused
from termcrm.exchange.output_file import OutputFile
from termcrm.i18n import _

if TYPE_CHECKING:
    from termcrm.exchange.sources import Sheet, SourceRow

# a value a writer accepts: a cell, or an exact amount of money
Value = Cell | Decimal

KINDS = ("text", "int", "number", "money", "date", "datetime", "bool")
FORMATS = ("xlsx", "csv", "json")

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
MONEY_FORMAT = "#,##0.00"
HEADER_FILL = "DDEBF7"
SOURCE_ROW = "Source row"
REJECT_REASON = "Reject reason"

# what XML 1.0 cannot hold (C0 controls but tab, LF, CR; surrogates; U+FFFE, U+FFFF): an
# xlsx drops these characters. CR is kept, written as Excel writes it (_x000D_).
XML_ILLEGAL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# a cheap test for text that needs any of that work (CR and "_x" included)
_XLSX_SPECIAL_RE = re.compile("[\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff]|_x")
_XSTRING_ESCAPE_RE = re.compile("_(x[0-9A-Fa-f]{4}_)")
_SHEET_TITLE_BAD = re.compile(r"[\[\]:*?/\\]")
# the strings openpyxl would otherwise store as error cells
_ERROR_CODES = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"})
# text starting with one of these needs a closer look before it goes into an xlsx
_SLOW_FIRST = frozenset("=+-@\t\r\0#")
_DEFAULT_WIDTH = {
    "text": 20,
    "int": 10,
    "number": 12,
    "money": 14,
    "date": 12,
    "datetime": 17,
    "bool": 8,
}


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    kind: str = "text"  # text | int | number | money | date | datetime | bool
    width: int | None = None  # characters; None: from the title and kind

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")


class TableWriter(Protocol):
    def write(self, values: Sequence[Value]) -> None: ...

    def close(self) -> None: ...

    def abort(self) -> None: ...


def xlsx_text(s: str) -> str:
    """Text as an xlsx cell holds it: XML-illegal characters dropped, CR and literal
    ``_xHHHH_`` escaped the way Excel escapes them (calamine and Excel read them back).

    Text of only white space gets its first character escaped too: readers drop white
    space that is all a cell holds, and openpyxl marks it to be kept only next to other text.
    """
    if _XLSX_SPECIAL_RE.search(s) is not None:
        s = XML_ILLEGAL_RE.sub("", s)
        if "_x" in s:
            s = _XSTRING_ESCAPE_RE.sub(r"_x005F_\1", s)
        s = s.replace("\r", "_x000D_")
    if s.isspace():
        s = f"_x{ord(s[0]):04X}_{s[1:]}"
    return s


def display_width(text: str) -> int:
    """Terminal/spreadsheet width of text: wide (CJK) characters count twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def column_width(column: Column) -> int:
    if column.width is not None:
        return column.width
    return min(60, max(_DEFAULT_WIDTH[column.kind], display_width(column.title) + 3))


def sheet_title(title: str) -> str:
    """A valid worksheet name: no []:*?/\\, at most 31 characters, not empty."""
    cleaned = _SHEET_TITLE_BAD.sub(" ", title).strip().strip("'")[:31]
    return cleaned or "termcrm"


def _naive(moment: datetime, tz: tzinfo | None) -> datetime:
    """An aware time in ``tz`` (default: the system's local time) without its tzinfo."""
    if moment.tzinfo is None:
        return moment
    return (moment.astimezone(tz) if tz is not None else moment.astimezone()).replace(tzinfo=None)


class _WriterBase:
    """Context manager support: a block that raises aborts the writer."""

    def close(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def abort(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def __enter__(self) -> _WriterBase:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


class XlsxWriter(_WriterBase):
    """openpyxl in write-only mode: rows stream to a temporary file, memory stays flat."""

    def __init__(
        self, out: Path | None, columns: Sequence[Column], *, title: str, tz: tzinfo | None
    ) -> None:
        if out is None and sys.stdout.isatty():
            raise FileRefused(
                _(
                    "An xlsx file is binary and cannot be shown in a terminal; give an output"
                    " file or redirect the output."
                )
            )
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

        self._columns = list(columns)
        self._tz = tz
        self._out = out
        self._wb = Workbook(write_only=True)
        self._wb.properties.creator = "termcrm"
        self._wb.properties.title = title
        ws = self._wb.create_sheet(title=sheet_title(title))
        self._ws = ws
        for index, column in enumerate(self._columns):
            ws.column_dimensions[column_letter(index)].width = column_width(column)
        ws.freeze_panes = "A2"
        font = Font(bold=True)
        fill = PatternFill("solid", fgColor=HEADER_FILL)
        border = Border(bottom=Side(style="thin", color="8EA9DB"))
        align = Alignment(vertical="center")
        header = []
        for column in self._columns:
            cell = WriteOnlyCell(ws, value=xlsx_text(column.title))
            cell.data_type = "s"
            cell.font, cell.fill, cell.border, cell.alignment = font, fill, border, align
            header.append(cell)
        ws.append(header)
        self._rows = 1

        # One reusable styled cell per column and style: openpyxl writes a cell as soon as
        # it is yielded, so a cell object can carry a new value in every row; the style is
        # looked up once instead of once per cell.
        def styled(number_format: str | None = None, quote: bool = False) -> Any:
            cell = WriteOnlyCell(ws)
            if number_format is not None:
                cell.number_format = number_format
            if quote:
                cell.quotePrefix = True
            return cell

        n = len(self._columns)
        self._date_cells = [styled(DATE_FORMAT) for _i in range(n)]
        self._datetime_cells = [styled(DATETIME_FORMAT) for _i in range(n)]
        self._money_cells = [
            styled(MONEY_FORMAT) if c.kind == "money" else None for c in self._columns
        ]
        self._text_cells = [styled(quote=True) for _i in range(n)]
        self._kinds = [c.kind for c in self._columns]

    def _text(self, index: int, value: str) -> Any:
        first = value[:1]
        if not (first in _SLOW_FIRST or first.isspace() or _XLSX_SPECIAL_RE.search(value)):
            return value  # the common case: plain text, written as it is
        guard = needs_text_guard(value) or value in _ERROR_CODES
        value = xlsx_text(value)  # may start with "=" only now: "\x01=1" -> "=1"
        if guard or needs_text_guard(value) or value in _ERROR_CODES:
            cell = self._text_cells[index]
            cell.value = value
            cell.data_type = "s"  # never a formula or an error cell
            return cell
        return value

    def _cell(self, index: int, value: Value) -> Any:
        kind = self._kinds[index]
        if isinstance(value, datetime):
            value = _naive(value, self._tz)
            if kind == "date":
                cell = self._date_cells[index]
                cell.value = value.date()
            else:
                cell = self._datetime_cells[index]
                cell.value = value
            return cell
        if isinstance(value, date):
            cell = self._date_cells[index]
            cell.value = value
            return cell
        money = self._money_cells[index]
        if money is not None and isinstance(value, int | float | Decimal):
            money.value = value
            return money
        return value

    def write(self, values: Sequence[Value]) -> None:
        row: list[Any] = []
        append = row.append
        for index, value in enumerate(values):
            t = type(value)
            if value is None or t is int or t is bool:
                append(value)
            elif t is str:
                append(self._text(index, value))  # type: ignore[arg-type]
            elif t is float and self._money_cells[index] is None:
                append(value)
            else:
                append(self._cell(index, value))
        self._ws.append(row)
        self._rows += 1

    def close(self) -> None:
        last = column_letter(max(len(self._columns), 1) - 1)
        self._ws.auto_filter.ref = f"A1:{last}{self._rows}"
        output = OutputFile(self._out)
        try:
            self._wb.save(output.stream)
        except BaseException:
            output.discard()
            self.abort()
            raise
        output.commit()

    def abort(self) -> None:
        # a write-only worksheet keeps its rows in a temporary file until saved: drop it
        writer = self._ws._writer
        if writer is None:
            return
        try:
            if not self._ws.closed:
                self._ws.close()
            writer.cleanup()
        except (OSError, ValueError):
            pass  # already cleaned up by a save


class CsvWriter(_WriterBase):
    """UTF-8 with BOM (so Excel reads it as UTF-8), ",", CRLF; text guarded against formulas."""

    def __init__(
        self,
        out: Path | None,
        columns: Sequence[Column],
        *,
        tz: tzinfo | None,
        encoding: str = "utf-8-sig",
        delimiter: str = ",",
    ) -> None:
        self._output = OutputFile(out)
        if out is None and encoding == "utf-8-sig":
            encoding = "utf-8"  # no BOM in a pipe
        self._text = io.TextIOWrapper(
            self._output.stream, encoding=encoding, errors="replace", newline=""
        )
        self._csv = csv.writer(self._text, delimiter=delimiter, lineterminator="\r\n")
        self._tz = tz
        self._kinds = [c.kind for c in columns]
        self._csv.writerow([guard_csv(c.title) for c in columns])

    def _value(self, index: int, value: Value) -> str:
        if value is None:
            return ""
        if isinstance(value, str):
            return guard_csv(value)
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, datetime):
            value = _naive(value, self._tz)
            if index < len(self._kinds) and self._kinds[index] == "date":
                return value.date().isoformat()
            return value.isoformat(sep=" ")
        if isinstance(value, date | time):
            return value.isoformat()
        if isinstance(value, float):
            if value.is_integer() and abs(value) < 1e16:
                return str(int(value))
            return repr(value)
        return str(value)

    def write(self, values: Sequence[Value]) -> None:
        self._csv.writerow([self._value(i, v) for i, v in enumerate(values)])

    def close(self) -> None:
        try:
            self._text.flush()
            self._text.detach()
        except BaseException:
            self._output.discard()
            raise
        self._output.commit()

    def abort(self) -> None:
        with contextlib.suppress(ValueError):
            self._text.detach()
        self._output.discard()


def _json_value(value: Value, tz: tzinfo | None) -> object:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(tz) if tz is not None else value.astimezone()
        return value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class JsonWriter(_WriterBase):
    """A JSON array of objects keyed by column title, one object a line, streamed.

    Dates and times are ISO 8601 (aware ones with their offset, in ``tz``); an amount given
    as a Decimal is written as an exact JSON number.
    """

    def __init__(self, out: Path | None, columns: Sequence[Column], *, tz: tzinfo | None) -> None:
        self._output = OutputFile(out)
        self._titles = [c.title for c in columns]
        self._keys = [json.dumps(t, ensure_ascii=False) for t in self._titles]
        self._tz = tz
        self._first = True
        self._output.stream.write(b"[")

    def write(self, values: Sequence[Value]) -> None:
        tz = self._tz
        if any(isinstance(v, Decimal) for v in values):
            parts = []
            for key, value in zip(self._keys, values, strict=False):
                if isinstance(value, Decimal):
                    text = str(value) if value.is_finite() else "null"
                else:
                    text = json.dumps(_json_value(value, tz), ensure_ascii=False)
                parts.append(f"{key}: {text}")
            text = "{" + ", ".join(parts) + "}"
        else:
            obj = {t: _json_value(v, tz) for t, v in zip(self._titles, values, strict=False)}
            text = json.dumps(obj, ensure_ascii=False)
        self._output.stream.write((b"\n" if self._first else b",\n") + text.encode("utf-8"))
        self._first = False

    def close(self) -> None:
        try:
            self._output.stream.write(b"]\n" if self._first else b"\n]\n")
        except BaseException:
            self._output.discard()
            raise
        self._output.commit()

    def abort(self) -> None:
        self._output.discard()


def open_writer(
    fmt: str,
    out: Path | None,
    columns: Sequence[Column],
    *,
    title: str = "termcrm",
    tz: tzinfo | None = None,
) -> TableWriter:
    """A writer of rows of ``columns`` to ``out`` (None: stdout) as xlsx, csv or json.

    Aware datetimes are shown in ``tz`` (default: the system's local time zone); xlsx and
    csv write them without an offset, json with it.
    """
    if fmt == "xlsx":
        return XlsxWriter(out, columns, title=title, tz=tz)
    if fmt == "csv":
        return CsvWriter(out, columns, tz=tz)
    if fmt == "json":
        return JsonWriter(out, columns, tz=tz)
    raise FileRefused(
        _("Unknown table format {fmt}; use one of: {formats}.").format(
            fmt=fmt, formats=", ".join(FORMATS)
        )
    )


def write_rejects(sheet: Sheet, rejects: Iterable[tuple[SourceRow, str]], out: Path) -> Path:
    """Write the rejected rows in the input's format, with "Source row" and "Reject reason"
    added at the end (replaced when the input is itself a rejects file).

    CSV keeps the input's encoding and delimiter; xlsx, xls, xlsb and ods inputs give an
    .xlsx file; a vCard input gives a .vcf of the rejected cards' own text, each with an
    ``X-TERMCRM-REJECTED`` property naming the reason. Returns the path written.
    """
    out = Path(out)
    if sheet.format == "vcf":
        out = out.with_suffix(".vcf")
        _write_rejected_cards(rejects, out)
        return out
    headers = list(sheet.headers)
    keep = len(headers)
    if headers[-2:] == [SOURCE_ROW, REJECT_REASON]:
        keep -= 2
    columns = [Column(h) for h in headers[:keep]]
    columns += [Column(SOURCE_ROW, "int"), Column(REJECT_REASON, width=60)]
    writer: TableWriter
    if sheet.format == "csv":
        out = out.with_suffix(out.suffix or ".csv")
        writer = CsvWriter(
            out,
            columns,
            tz=None,
            encoding=sheet.encoding or "utf-8-sig",
            delimiter=sheet.delimiter or ",",
        )
    else:
        out = out.with_suffix(".xlsx")
        writer = XlsxWriter(out, columns, title=_("Rejected rows"), tz=None)
    try:
        for row, reason in rejects:
            values: list[Value] = list(row.values[:keep])
            values += [None] * (keep - len(values))
            writer.write([*values, row.number, reason])
    except BaseException:
        writer.abort()
        raise
    writer.close()
    return out


_REJECT_LINE_RE = re.compile(r"^X-TERMCRM-REJECTED[;:].*(?:\r?\n[ \t].*)*\r?\n?", re.M | re.I)
_END_RE = re.compile(r"^END:VCARD[ \t]*\r?$", re.M | re.I)


def _write_rejected_cards(rejects: Iterable[tuple[SourceRow, str]], out: Path) -> None:
    from termcrm.exchange.vcards import escape_text, fold_line

    output = OutputFile(out)
    try:
        for row, reason in rejects:
            raw = _REJECT_LINE_RE.sub("", row.raw or "").rstrip("\r\n")
            line = fold_line("X-TERMCRM-REJECTED:" + escape_text(reason))
            ends = list(_END_RE.finditer(raw))
            if ends:
                at = ends[-1].start()
                text = raw[:at] + line + "\r\n" + raw[at:]
            else:  # a card that never ended: close it so the file stays readable
                text = raw + "\r\n" + line + "\r\nEND:VCARD"
            output.stream.write(text.replace("\r\n", "\n").replace("\n", "\r\n").encode())
            output.stream.write(b"\r\n")
    except BaseException:
        output.discard()
        raise
    output.commit()
