"""One spreadsheet cell: its type, the formula-injection guard, and what makes a cell unusable.

A value read from a file or written to one is a ``Cell``. Text that a spreadsheet would
take for a formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab, CR or NUL) is never
written as a formula: xlsx writes it as a string cell, CSV puts a ``'`` in front of it
(``guard_csv``), and reading a CSV takes that ``'`` off again (``unguard_csv``), so an
export read back returns the same text.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time

from termcrm.i18n import _

Cell = str | int | float | bool | date | datetime | time | None

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\0")
MAX_CELL_CHARS = 10 * 1024 * 1024  # a cell longer than this rejects its row
MAX_COLUMNS = 16_384 - 1  # a row with 16,384 columns (Excel's max) or more is refused

# C0 control characters other than tab, LF and CR, DEL, and the two non-characters that XML
# cannot hold: a cell holding one of them rejects its row.
CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def needs_text_guard(s: str) -> bool:
    """True when a spreadsheet would read ``s`` as a formula (it starts with = + - @ tab CR NUL)."""
    return s.startswith(FORMULA_START)


def guard_csv(s: str) -> str:
    """The CSV form of a text cell: a ``'`` in front when it could be read as a formula.

    Text that already starts with ``'`` gets one more, so ``unguard_csv`` gives back exactly
    the original text.
    """
    if s.startswith(FORMULA_START) or s.startswith("'"):
        return "'" + s
    return s


def unguard_csv(s: str) -> str:
    """Reverse ``guard_csv``: drop exactly one leading ``'``."""
    return s[1:] if s.startswith("'") else s


def column_letter(index: int) -> str:
    """The spreadsheet name of a 0-based column index: 0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    n = index + 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell_problem(value: Cell, where: str | None = None) -> str | None:
    """Why this cell cannot be imported, or None when it can.

    ``where`` names the cell in the message ("cell C5", 'column "Phone"'); without it the
    message says "cell". Tab, CR and LF inside text are fine.
    """
    if type(value) is not str:
        return None
    if len(value) > MAX_CELL_CHARS:
        if where is None:
            return _("cell is larger than 10 MB")
        return _("{where} is larger than 10 MB").format(where=where)
    found = CONTROL_RE.search(value)
    if found is None:
        return None
    code = f"U+{ord(found.group()):04X}"
    if where is None:
        return _("cell holds the control character {code}").format(code=code)
    return _("{where} holds the control character {code}").format(where=where, code=code)
