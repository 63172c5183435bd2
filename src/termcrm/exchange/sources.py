"""Read a file of rows: xlsx, xlsm, xlsb, xls and ods (python-calamine), CSV and vCard.

``open_sheet`` checks the file (it refuses what cannot be read at all with a
``FileRefused`` that says why), finds the header row and returns a ``Sheet``; its ``rows()``
streams ``SourceRow`` objects, each with its row number as the user sees it in the file and
the problems the reader already knows about (a formula with no saved value, an error cell,
a cell over 10 MB, a control character, too many columns). A problem rejects the row, never
the file.

Workbooks: python-calamine reads every cell whatever the file's ``<dimension>`` record
says, gives a formula's saved value, dates as ``date``/``datetime``, whole numbers as
``int``. An xlsx is scanned once for formulas without a saved value and error cells
(cheap when it has no formula). A workbook whose extension lies (an xlsx named .xls) is
read for what it is.

CSV: the encoding is UTF-8 (with or without BOM), else Windows-1251, or UTF-16 with a BOM;
the delimiter is one of , ; tab. Cells stay text (the importer parses them); a ``'`` that
guards a formula-like text (``cells.guard_csv``) is taken off.

vCard: one row per card with fixed columns (``VCARD_HEADERS``).
"""

from __future__ import annotations

import codecs
import csv
import itertools
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import unescape

from termcrm.exchange.cells import (
    CONTROL_RE,
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    Cell,
    cell_problem,
    column_letter,
    unguard_csv,
)
from termcrm.exchange.errors import FileRefused
from termcrm.exchange.safety import OLE_MAGIC, ZIP_MAGIC, check_archive
from termcrm.exchange.vcards import FIELDS as VCARD_FIELDS
from termcrm.i18n import _

SUFFIXES = {
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xlsb": "xlsb",
    ".xls": "xls",
    ".ods": "ods",
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".vcf": "vcf",
    ".vcard": "vcf",
}
WORKBOOK_FORMATS = ("xlsx", "xlsb", "xls", "ods")
ENCODINGS = ("utf-8", "utf-8-sig", "cp1251")
DELIMITERS = (",", ";", "\t")

# the columns of a vCard file; "Phone" and "Email" repeat as "Phone 1".."Phone N"
VCARD_HEADERS = VCARD_FIELDS

_CSV_FIELD_LIMIT = 2**31 - 1  # read a huge cell whole, then reject its row
_SNIFF_CHARS = 32 * 1024
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class SourceRow:
    number: int  # as the user sees it: header row 1 -> first data row 2; CSV: the record's
    # first line; vCard: the card's ordinal
    values: tuple[Cell, ...]  # aligned with Sheet.headers
    problems: tuple[str, ...] = ()  # why the reader already knows this row is bad
    raw: str | None = None  # vCard: the card's own text (for the rejects file)
    # for each problem, the index in Sheet.headers of the column it is about, or None when
    # it is about the whole row: an importer may ignore a problem in a column it does not use
    problem_columns: tuple[int | None, ...] = ()


def _no_rows() -> Iterator[SourceRow]:
    return iter(())


@dataclass
class Sheet:
    path: Path
    format: str  # "xlsx" | "xlsb" | "xls" | "ods" | "csv" | "vcf"
    headers: list[str]  # trimmed; empty header cells become "Column N"
    sheet_name: str | None  # the workbook sheet read
    encoding: str | None  # csv: "utf-8" | "utf-8-sig" | "cp1251" | "utf-16"
    delimiter: str | None  # csv: "," | ";" | "\t"
    total: int | None  # data rows at most (empty rows included), for a progress bar
    _rows: Callable[[], Iterator[SourceRow]] = field(repr=False, compare=False, default=_no_rows)

    def rows(self) -> Iterator[SourceRow]:
        """The data rows, skipping empty ones; each call starts again from the top."""
        return self._rows()


def _refuse(message: str, **kwargs: object) -> FileRefused:
    return FileRefused(message.format(**kwargs))


def open_sheet(
    path: Path,
    *,
    sheet: str | int | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> Sheet:
    """Open a file of rows for reading. ``sheet`` is a workbook sheet's name or 0-based index
    (default: the first visible sheet); ``encoding`` and ``delimiter`` override CSV detection.
    """
    path = Path(path)
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise _refuse(
            _("{name}: files of this kind cannot be imported; use one of: {suffixes}."),
            name=path.name,
            suffixes=", ".join(sorted(set(SUFFIXES))),
        )
    try:
        size = path.stat().st_size
    except FileNotFoundError as exc:
        raise _refuse(_("{name} does not exist."), name=path) from exc
    except OSError as exc:
        raise _refuse(_("{name} cannot be read: {error}"), name=path, error=exc.strerror) from exc
    if path.is_dir():
        raise _refuse(_("{name} is a folder, not a file."), name=path)
    if size == 0:
        raise _refuse(_("{name} is empty."), name=path.name)
    if fmt == "csv":
        return _open_csv(path, encoding, delimiter)
    if fmt == "vcf":
        return _open_vcf(path)
    return _open_workbook(path, fmt, sheet)


def _headers(cells: list[Any], first_column: int) -> list[str]:
    """Header texts: trimmed, "Column N" for an empty one, a repeated one numbered "(2)"."""
    headers: list[str] = []
    seen: set[str] = set()
    for index, cell in enumerate(cells):
        if cell is None or cell == "":
            text = ""
        elif isinstance(cell, float) and cell.is_integer():
            text = str(int(cell))
        elif hasattr(cell, "isoformat"):
            text = cell.isoformat()
        else:
            text = " ".join(str(cell).split())
        if not text:
            text = f"Column {first_column + index + 1}"
        unique, n = text, 2
        while unique.casefold() in seen:
            unique, n = f"{text} ({n})", n + 1
        seen.add(unique.casefold())
        headers.append(unique)
    return headers


def _blank(cells: list[Any]) -> bool:
    if cells.count("") == len(cells):
        return True
    return all(type(c) is str and not c.strip() for c in cells)


# --- workbooks -----------------------------------------------------------------------


def _real_format(path: Path, fmt: str) -> str:
    """What the workbook really is, whatever its extension says."""
    with open(path, "rb") as f:
        head = f.read(8)
    if head.startswith(ZIP_MAGIC):
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
                if "mimetype" in names:
                    if b"opendocument.spreadsheet" in archive.read("mimetype")[:200]:
                        return "ods"
                elif "xl/workbook.bin" in names:
                    return "xlsb"
                elif any(n.endswith("workbook.xml") for n in names):
                    return "xlsx"
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise _refuse(
                _("{name} is not a valid {kind} file: it is damaged ({error})."),
                name=path.name,
                kind=fmt,
                error=exc,
            ) from exc
        raise _refuse(
            _("{name} is a ZIP archive but not a spreadsheet (no workbook inside)."),
            name=path.name,
        )
    if head == OLE_MAGIC:
        return "xls"  # an encrypted xlsx is an OLE file too: calamine says so
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text[:1] == b"<":
        hint = _("it looks like a web page or XML saved with a spreadsheet name")
    elif b"\0" not in head:
        hint = _("it looks like text: if it is CSV, rename it to .csv")
    else:
        hint = _("its content is not a workbook")
    raise _refuse(
        _("{name} is not an Excel or OpenDocument workbook: {hint}."), name=path.name, hint=hint
    )


def sheet_names(path: Path) -> list[str]:
    """The sheets of a workbook (none for CSV and vCard files, or a file that cannot be read)."""
    if SUFFIXES.get(path.suffix.lower()) not in WORKBOOK_FORMATS:
        return []
    try:
        from python_calamine import CalamineWorkbook

        return list(CalamineWorkbook.from_path(str(path)).sheet_names)
    except Exception:  # the import itself explains an unreadable file
        return []


def _pick_sheet(path: Path, workbook: Any, sheet: str | int | None) -> str:
    names: list[str] = list(workbook.sheet_names)
    if not names:
        raise _refuse(_("{name} has no sheets."), name=path.name)
    if sheet is None:
        for meta in workbook.sheets_metadata:
            if str(meta.visible).endswith("Visible") and str(meta.typ).endswith("WorkSheet"):
                return str(meta.name)
        return names[0]
    if isinstance(sheet, int):
        if 0 <= sheet < len(names):
            return names[sheet]
    else:
        if sheet in names:
            return sheet
        folded = [n for n in names if n.strip().casefold() == sheet.strip().casefold()]
        if folded:
            return folded[0]
    raise _refuse(
        _("{name} has no sheet {sheet}; its sheets are: {names}."),
        name=path.name,
        sheet=f"“{sheet}”" if isinstance(sheet, str) else f"#{sheet + 1}",
        names=", ".join(f"“{n}”" for n in names),
    )


def _calamine_failure(path: Path, kind: str, exc: BaseException) -> FileRefused:
    if type(exc).__name__ == "PasswordError" or "password" in str(exc).lower():
        return _refuse(
            _("{name} is protected with a password; save a copy without the password."),
            name=path.name,
        )
    return _refuse(
        _("{name} cannot be read as {kind}: {error}"), name=path.name, kind=kind, error=exc
    )


def _load_calamine(path: Path, real: str, claimed: str, sheet: str | int | None) -> tuple[Any, str]:
    from python_calamine import CalamineWorkbook

    try:
        if real == claimed:
            workbook = CalamineWorkbook.from_path(str(path))
        else:
            with open(path, "rb") as f:
                workbook = CalamineWorkbook.from_filelike(f)
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except BaseException as exc:  # calamine errors, and its Rust panics (BaseException)
        raise _calamine_failure(path, real, exc) from exc
    try:
        name = _pick_sheet(path, workbook, sheet)
        try:
            return workbook.get_sheet_by_name(name), name
        except (KeyboardInterrupt, SystemExit, MemoryError):
            raise
        except BaseException as exc:
            raise _calamine_failure(path, real, exc) from exc
    finally:
        workbook.close()


def _open_workbook(path: Path, claimed: str, sheet: str | int | None) -> Sheet:
    real = _real_format(path, claimed)
    if real in ("xlsx", "xlsb", "ods"):
        check_archive(path)
    data, name = _load_calamine(path, real, claimed, sheet)
    start = data.start
    if start is None:
        raise _refuse(
            _("{name} has no header row: the sheet “{sheet}” is empty."), name=path.name, sheet=name
        )
    first_column = int(start[1])
    header_index = None
    header_cells: list[Any] = []
    for index, cells in enumerate(data.iter_rows()):
        if not _blank(cells):
            header_index, header_cells = index, cells
            break
    if header_index is None:
        raise _refuse(
            _("{name} has no header row: the sheet “{sheet}” is empty."), name=path.name, sheet=name
        )
    width = min(len(header_cells), MAX_COLUMNS)
    headers = _headers(list(header_cells[:width]), first_column)
    end = data.end
    total = max(int(end[0]) - header_index, 0) if end is not None else None

    def rows() -> Iterator[SourceRow]:
        known = _xlsx_cell_problems(path, name, first_column, width) if real == "xlsx" else {}
        return _workbook_rows(data, header_index, first_column, width, known)

    return Sheet(path, real, headers, name, None, None, total, rows)


def _duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    sign = "-" if seconds < 0 else ""
    hours, rest = divmod(abs(seconds), 3600)
    return f"{sign}{hours}:{rest // 60:02d}:{rest % 60:02d}"


def _workbook_rows(
    data: Any,
    header_index: int,
    first_column: int,
    width: int,
    known: dict[int, list[tuple[int | None, str]]],
) -> Iterator[SourceRow]:
    # Work by row, not by cell, where Python allows: the types a row holds decide which
    # conversions run, and its text is checked for control characters in one search.
    control = CONTROL_RE.search
    max_chars = MAX_CELL_CHARS
    for index, cells in enumerate(
        itertools.islice(data.iter_rows(), header_index + 1, None), start=header_index + 1
    ):
        number = index + 1
        found = known.get(number)
        types = set(map(type, cells))
        if types == {str} and _blank(cells) and not found:
            continue
        problems: list[tuple[int | None, str]] = list(found) if found else []
        values: list[Any] = cells
        if str in types:
            text = "".join([v for v in cells if type(v) is str])
            if len(text) > max_chars or control(text):
                for column, value in enumerate(cells):
                    if type(value) is str and (len(value) > max_chars or control(value)):
                        ref = f"{column_letter(first_column + column)}{number}"
                        where = _("cell {ref}").format(ref=ref)
                        problems.append((column, cell_problem(value, where) or ""))
            values = [None if v == "" else v for v in values]
        if float in types:
            values = [int(v) if type(v) is float and v.is_integer() else v for v in values]
        if timedelta in types:
            values = [_duration(v) if type(v) is timedelta else v for v in values]
        if len(values) > width:
            extra = values[width:]
            del values[width:]
            if any(v is not None for v in extra):
                problems.append(
                    (
                        None,
                        _("the row has values beyond column {max}, more than can be read").format(
                            max=column_letter(first_column + width - 1)
                        ),
                    )
                )
        elif len(values) < width:
            values.extend([None] * (width - len(values)))
        if problems:
            yield SourceRow(
                number,
                tuple(values),
                tuple(p for _c, p in problems),
                None,
                tuple(c if c is None or c < width else None for c, _p in problems),
            )
        else:
            yield SourceRow(number, tuple(values))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _sheet_part(archive: zipfile.ZipFile, sheet_name: str) -> str | None:
    """The path inside an xlsx of the worksheet called ``sheet_name``."""
    from defusedxml import ElementTree as SafeET

    names = set(archive.namelist())
    workbook = "xl/workbook.xml"
    if "_rels/.rels" in names:
        for rel in SafeET.fromstring(archive.read("_rels/.rels")):
            if rel.get("Type", "").endswith("/officeDocument"):
                workbook = rel.get("Target", workbook).lstrip("/")
    if workbook not in names:
        return None
    rid = None
    for el in SafeET.fromstring(archive.read(workbook)).iter():
        if _local(el.tag) == "sheet" and el.get("name") == sheet_name:
            rid = next((v for k, v in el.attrib.items() if _local(k) == "id"), None)
            break
    folder, base = posixpath.split(workbook)
    rels = posixpath.join(folder, "_rels", base + ".rels")
    if rid is None or rels not in names:
        return None
    for rel in SafeET.fromstring(archive.read(rels)):
        if rel.get("Id") == rid:
            target = rel.get("Target", "")
            part = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
            part = posixpath.normpath(part)
            return part if part in names else None
    return None


def _may_have_formulas(archive: zipfile.ZipFile, part: str) -> bool:
    """Whether the sheet's XML holds anything like a formula or an error cell (a fast byte
    search: most sheets have neither, and then nothing is parsed)."""
    tail = b""
    with archive.open(part) as stream:
        while chunk := stream.read(_CHUNK):
            if any(needle in chunk for needle in _CELL_NEEDLES):
                return True
            seam = tail + chunk[:4]
            if any(needle in seam for needle in _CELL_NEEDLES):
                return True
            tail = chunk[-4:]
    return False


def _column_index(ref: str) -> int:
    index = 0
    for ch in ref:
        if "A" <= ch <= "Z":
            index = index * 26 + ord(ch) - 64
        elif "a" <= ch <= "z":
            index = index * 26 + ord(ch) - 96
        else:
            break
    return index - 1


def _cell_message(ref: str, kind: str | None, has_formula: bool, value: str | None) -> str | None:
    """The problem of an xlsx cell (error, formula without a saved value) or None."""
    if kind == "e":
        return _("cell {ref} holds the error {error}").format(
            ref=ref, error=(value or "").strip() or "#N/A"
        )
    if has_formula and (value is None or (not value and kind != "str")):
        return _(
            "cell {ref} holds a formula with no saved value; open and save the file in Excel,"
            " or paste values"
        ).format(ref=ref)
    return None


_Found = dict[int, list[tuple[int | None, str]]]

# the byte-level scan: formula and error cells found without parsing every cell
_NAME = rb"(?:[A-Za-z_][\w.-]*:)?"
_CELL_NEEDLES = (b"<f", b":f", b'"e"', b"'e'")
_CELL_OPEN_RE = re.compile(rb"<" + _NAME + rb"c[\s/>]")
_CELL_RE = re.compile(rb"<" + _NAME + rb"c(?=[\s/>])[^>]*?(?:/>|>.*?</" + _NAME + rb"c>)", re.S)
_FORMULA_RE = re.compile(rb"<" + _NAME + rb"f[\s/>]")
_VALUE_RE = re.compile(rb"<" + _NAME + rb"v(?:\s[^>]*)?(?:/>|>(.*?)</" + _NAME + rb"v>)", re.S)
_ATTR_RE = re.compile(rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_REF_RE = re.compile(r"([A-Za-z]{1,3})(\d+)$")
_PREFIXED_ROW_END_RE = re.compile(rb"</" + _NAME + rb"row>")


def _cell_start(data: bytes, pos: int) -> int:
    """Where the cell element holding byte ``pos`` starts (-1: not found).

    The needle is in the cell's start tag (t="e") or its first child (<f>), so the start is
    close before it: the search looks back a few KB only, never over the whole buffer.
    """
    low = max(0, pos - 4096)
    start = data.rfind(b"<c ", low, pos + 1)
    if start >= 0 and data.find(b"<", start + 1, pos) < 0:
        return start  # the needle is in this start tag or right after it (<f>)
    last = -1  # prefixed or unusual markup: the last cell start tag before the needle
    for match in _CELL_OPEN_RE.finditer(data, low, pos + 1):
        last = match.start()
    return last


def _needles(data: bytes) -> list[int]:
    """Where the bytes of a formula or an error cell occur, in order (bytes.find is fast
    where a regular expression would try every "<")."""
    found = []
    for needle in _CELL_NEEDLES:
        at = data.find(needle)
        while at >= 0:
            found.append(at)
            at = data.find(needle, at + 1)
    found.sort()
    return found


def _rows_end(data: bytes) -> int:
    """The end of the last complete row element in ``data`` (0: none)."""
    at = data.rfind(b"</row>")
    end = at + len(b"</row>") if at >= 0 else 0
    tail = data[end:]
    if b":row>" in tail:  # prefixed elements (<x:row>)
        for match in _PREFIXED_ROW_END_RE.finditer(tail):
            end = len(data) - len(tail) + match.end()
    return end


def _scan_fast(stream: IO[bytes], first_column: int, width: int, found: _Found) -> bool:
    """Find formula and error cells by their bytes; False when a cell has no reference (r)
    and the slow, parsing scan must be used."""
    buf = b""
    while True:
        chunk = stream.read(_CHUNK)
        buf += chunk
        cut = _rows_end(buf) if chunk else len(buf)
        if cut == 0 and chunk:
            continue
        data, buf = buf[:cut], buf[cut:]
        done_to = -1
        for at in _needles(data):
            if at < done_to:
                continue  # the same cell, found by its other needle
            start = _cell_start(data, at)
            cell = _CELL_RE.match(data, start) if start >= 0 else None
            if cell is None or cell.end() <= at:
                continue  # not in a cell (e.g. a data validation's <formula1>)
            done_to = cell.end()
            text = cell.group()
            head_end = text.index(b">")
            head = text[:head_end]
            if b"e" not in head.replace(b"<c", b"", 1):
                value_at = text.find(b"<v>", head_end)
                if value_at > 0 and text[value_at + 3 : value_at + 4] not in (b"<", b""):
                    continue  # the common case: a formula with its saved value, no error
            attrs = {
                m.group(1).rsplit(b":", 1)[-1]: (m.group(2) or m.group(3) or b"")
                for m in _ATTR_RE.finditer(text, 0, head_end)
            }
            ref_match = _REF_RE.match(attrs.get(b"r", b"").decode("ascii", "replace"))
            if ref_match is None:
                return False
            body = text[head_end + 1 :] if not text[: head_end + 1].endswith(b"/>") else b""
            value = _VALUE_RE.search(body)
            value_text = None
            if value is not None:
                value_text = unescape((value.group(1) or b"").decode("utf-8", "replace"))
            kind = attrs.get(b"t", b"").decode("ascii", "replace") or None
            ref = ref_match.group(0).upper()
            message = _cell_message(ref, kind, _FORMULA_RE.search(body) is not None, value_text)
            if message is not None:
                row_number = int(ref_match.group(2))
                index = _column_index(ref_match.group(1)) - first_column
                found.setdefault(row_number, []).append(
                    (index if 0 <= index < width else None, message)
                )
        if not chunk:
            return True


def _scan_parsed(stream: IO[bytes], first_column: int, width: int, found: _Found) -> None:
    """Find formula and error cells by parsing the sheet (cells without a reference)."""
    from defusedxml import ElementTree as SafeET

    row_number = 0
    column = -1
    sheet_data = None
    for event, el in SafeET.iterparse(stream, events=("start", "end")):
        tag = _local(el.tag)
        if event == "start":
            if tag == "row":
                r = el.get("r")
                row_number = int(r) if r else row_number + 1
                column = -1
            elif tag == "sheetData":
                sheet_data = el
            continue
        if tag == "c":
            ref = el.get("r")
            column = _column_index(ref) if ref else column + 1
            ref = ref or f"{column_letter(column)}{row_number}"
            formula = value = None
            for child in el:
                name = _local(child.tag)
                if name == "f":
                    formula = child
                elif name == "v":
                    value = child
            value_text = None if value is None else (value.text or "")
            message = _cell_message(ref, el.get("t"), formula is not None, value_text)
            if message is not None:
                index = column - first_column
                found.setdefault(row_number, []).append(
                    (index if 0 <= index < width else None, message)
                )
            el.clear()
        elif tag == "row" and sheet_data is not None:
            sheet_data.remove(el)


def _xlsx_cell_problems(path: Path, sheet_name: str, first_column: int, width: int) -> _Found:
    """Row number -> problems for formulas with no saved value and error cells of an xlsx."""
    found: _Found = {}
    with zipfile.ZipFile(path) as archive:
        part = _sheet_part(archive, sheet_name)
        if part is None or not _may_have_formulas(archive, part):
            return found
        with archive.open(part) as stream:
            if _scan_fast(stream, first_column, width, found):
                return found
        found.clear()
        with archive.open(part) as stream:
            _scan_parsed(stream, first_column, width, found)
    return found


# --- CSV -----------------------------------------------------------------------------


def _validate_encoding(path: Path, encoding: str) -> tuple[bool, int, int]:
    """(decodes, line count, offset of the first bad byte) reading the whole file."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    lines = 0
    offset = 0
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return False, lines, offset + exc.start
            lines += chunk.count(b"\n")
            offset += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False, lines, offset
    return True, lines, offset


def _detect_encoding(path: Path, encoding: str | None) -> tuple[str, int]:
    with open(path, "rb") as f:
        head = f.read(8)
    if head.startswith((ZIP_MAGIC, OLE_MAGIC)):
        raise _refuse(
            _(
                "{name} is an Excel or OpenDocument workbook, not CSV text; give it its own"
                " extension (.xlsx, .xls or .ods)."
            ),
            name=path.name,
        )
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError as exc:
            raise _refuse(_("Unknown encoding {encoding}."), encoding=encoding) from exc
        ok, lines, offset = _validate_encoding(path, encoding)
        if not ok:
            raise _refuse(
                _("{name} is not valid {encoding} text (byte {offset} cannot be decoded)."),
                name=path.name,
                encoding=encoding,
                offset=offset,
            )
        return encoding, lines
    if head.startswith(codecs.BOM_UTF8):
        candidates: tuple[str, ...] = ("utf-8-sig",)
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ("utf-16",)
    else:
        candidates = ("utf-8", "cp1251")
    for candidate in candidates:
        ok, lines, offset = _validate_encoding(path, candidate)
        if ok:
            return candidate, lines
    raise _refuse(
        _(
            "{name} is neither UTF-8 nor Windows-1251 text (byte {offset} cannot be decoded);"
            " save it as UTF-8 CSV or give its encoding."
        ),
        name=path.name,
        offset=offset,
    )


def _count_outside_quotes(line: str, delimiter: str) -> int:
    count = 0
    quoted = False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == delimiter and not quoted:
            count += 1
    return count


def _detect_delimiter(sample: str) -> str:
    header = next((line for line in sample.splitlines() if line.strip()), "")
    counts = {d: _count_outside_quotes(header, d) for d in DELIMITERS}
    try:
        sniffed: str | None = csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        sniffed = None
    if sniffed in counts and counts[sniffed] > 0:
        return sniffed
    best = max(DELIMITERS, key=lambda d: counts[d])
    if counts[best] > 0:
        return best
    return sniffed or ","


def _open_csv(path: Path, encoding: str | None, delimiter: str | None) -> Sheet:
    if csv.field_size_limit() < _CSV_FIELD_LIMIT:
        csv.field_size_limit(_CSV_FIELD_LIMIT)
    enc, lines = _detect_encoding(path, encoding)
    with open(path, encoding=enc, newline="") as f:
        sample = f.read(_SNIFF_CHARS)
    if len(sample) == _SNIFF_CHARS and "\n" in sample:
        sample = sample[: sample.rfind("\n") + 1]
    if not sample.strip(" \t\r\n\ufeff"):
        raise _refuse(_("{name} has no header row: it holds no text."), name=path.name)
    if delimiter is None:
        delimiter = _detect_delimiter(sample)
    elif len(delimiter) != 1:
        raise _refuse(_("The delimiter must be one character, not “{d}”."), d=delimiter)

    def records() -> Iterator[tuple[int, list[str] | None, str | None]]:
        """(first line, fields, error) of each record."""
        with open(path, encoding=enc, newline="") as f:
            reader = csv.reader(f, delimiter=delimiter, quotechar='"', doublequote=True)
            while True:
                first = reader.line_num + 1
                try:
                    record = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    yield first, None, str(exc)
                    continue
                yield first, record, None

    header_line = 0
    header: list[str] = []
    for first, record, _error in records():
        if record and not _blank(record):
            header_line, header = first, record
            break
    if not header:
        raise _refuse(_("{name} has no header row: it holds no values."), name=path.name)
    cells = [unguard_csv(h.replace("\ufeff", "").strip()) for h in header[:MAX_COLUMNS]]
    headers = _headers(cells, 0)
    width = len(headers)
    total = max(lines - header_line + 1, 0) if enc != "utf-16" else None

    def rows() -> Iterator[SourceRow]:
        control = CONTROL_RE.search
        max_chars = MAX_CELL_CHARS
        for first, record, error in records():
            if first <= header_line:
                continue
            if record is None:
                message = _("line {line} cannot be read: {error}").format(line=first, error=error)
                yield SourceRow(first, (None,) * width, (message,), None, (None,))
                continue
            if not record or _blank(record):
                continue
            values: list[Cell] = []
            problems: list[tuple[int | None, str]] = []
            for column, text in enumerate(record):
                if not text:
                    values.append(None)
                    continue
                if len(text) > max_chars or control(text):
                    name = headers[column] if column < width else str(column + 1)
                    where = _("column “{name}”").format(name=name)
                    problems.append((column, cell_problem(text, where) or ""))
                values.append(unguard_csv(text))
            if len(values) > width:
                extra = values[width:]
                del values[width:]
                if len(record) > MAX_COLUMNS:
                    problems.append(
                        (
                            None,
                            _("the row has {count} columns, more than {max} can be read").format(
                                count=len(record), max=MAX_COLUMNS
                            ),
                        )
                    )
                elif any(v is not None for v in extra):
                    problems.append(
                        (
                            None,
                            _(
                                "the row has {count} values but the header row has {width} columns"
                            ).format(count=len(record), width=width),
                        )
                    )
            elif len(values) < width:
                values.extend([None] * (width - len(values)))
            yield SourceRow(
                first,
                tuple(values),
                tuple(p for _c, p in problems),
                None,
                tuple(c if c is None or c < width else None for c, _p in problems),
            )

    return Sheet(path, "csv", headers, None, enc, delimiter, total, rows)


# --- vCard ---------------------------------------------------------------------------

_SINGLE = tuple(h for h in VCARD_HEADERS if h not in ("Phone", "Email"))


def _open_vcf(path: Path) -> Sheet:
    from termcrm.exchange.vcards import read_vcards

    cards = 0
    phones = emails = 1
    for entry in read_vcards(path):
        cards += 1
        phones = max(phones, len(entry.fields.get("Phone", ())))
        emails = max(emails, len(entry.fields.get("Email", ())))
    if cards == 0:
        raise _refuse(_("{name} holds no vCard (no BEGIN:VCARD line)."), name=path.name)
    headers: list[str] = []
    for header in VCARD_HEADERS:
        if header == "Phone":
            headers += [f"Phone {n}" for n in range(1, phones + 1)]
        elif header == "Email":
            headers += [f"Email {n}" for n in range(1, emails + 1)]
        else:
            headers.append(header)

    def rows() -> Iterator[SourceRow]:
        for entry in read_vcards(path):
            fields = entry.fields
            values: list[Cell] = []
            problems: list[tuple[int | None, str]] = [(None, p) for p in entry.problems]
            for header in VCARD_HEADERS:
                if header in ("Phone", "Email"):
                    found = fields.get(header, [])
                    count = phones if header == "Phone" else emails
                    values += [*found, *([None] * (count - len(found)))]
                elif header == "Note":
                    values.append("\n".join(fields["Note"]) if "Note" in fields else None)
                else:
                    values.append(fields[header][0] if header in fields else None)
            for column, value in enumerate(values):
                if isinstance(value, str):
                    problem = cell_problem(value, _("field “{name}”").format(name=headers[column]))
                    if problem:
                        problems.append((column, problem))
            if not entry.problems and all(v is None for v in values):
                problems.append((None, _("the card holds no name, phone or email")))
            yield SourceRow(
                entry.ordinal,
                tuple(values),
                tuple(p for _c, p in problems),
                entry.raw,
                tuple(c for c, _p in problems),
            )

    return Sheet(path, "vcf", headers, None, None, None, cards, rows)
