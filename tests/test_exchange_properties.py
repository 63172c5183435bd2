"""Property: no export ever holds a formula cell, and export then import returns the text.

For random text, with a bias to what spreadsheets treat specially (a leading = + - @ tab
CR NUL or '; CR, the _xHHHH_ escape, control characters), sinks write xlsx and CSV, and
the files are read back with openpyxl (no cell is a formula or an error) and with
``open_sheet``:

- CSV returns every string exactly;
- xlsx returns every string exactly once the characters XML 1.0 cannot hold are removed
  (NUL and the other C0 controls but tab, LF and CR): the xlsx writer drops them, as no
  spreadsheet can store them. CR survives (written as Excel writes it, ``_x000D_``).

An empty string comes back as an empty cell (None).
"""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from termcrm.exchange.cells import FORMULA_START
from termcrm.exchange.sinks import XML_ILLEGAL_RE, Column, open_writer
from termcrm.exchange.sources import open_sheet

COLUMNS = [Column("N", "int"), Column("Text")]

special = st.sampled_from(
    [*FORMULA_START, "'", "\r\n", "\n", "_x000D_", "_x005F_", "\x07", "\x1f", " ", "#N/A", "\ufeff"]
)
chunks = st.one_of(special, st.text(max_size=12))
texts = st.lists(chunks, max_size=6).map("".join)


def _written(fmt: str, folder: Path, values: list[str]) -> Path:
    path = folder / f"out.{fmt}"
    writer = open_writer(fmt, path, COLUMNS)
    for index, value in enumerate(values, start=1):
        writer.write([index, value])
    writer.close()
    return path


def _expected_xlsx(value: str) -> str | None:
    return XML_ILLEGAL_RE.sub("", value) or None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(texts, min_size=1, max_size=8))
@example(["\x01=1+2", "\x00#N/A", " ", "\r", "_x000D_", "'", "-"])
def test_exports_hold_no_formula_and_read_back_the_same_text(values: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)

        xlsx = _written("xlsx", folder, values)
        ws = openpyxl.load_workbook(xlsx).active
        cells = [c for row in ws.iter_rows() for c in row]
        assert all(c.data_type not in ("f", "e") for c in cells)
        rows = list(open_sheet(xlsx).rows())
        assert [r.values[0] for r in rows] == list(range(1, len(values) + 1))
        assert [r.values[1] for r in rows] == [_expected_xlsx(v) for v in values]

        path = _written("csv", folder, values)
        raw = list(csv.reader(io.StringIO(path.read_text("utf-8-sig"), newline="")))
        assert not any(cell.startswith(FORMULA_START) for line in raw for cell in line)
        rows = list(open_sheet(path).rows())
        assert [r.values[1] for r in rows] == [v or None for v in values]
