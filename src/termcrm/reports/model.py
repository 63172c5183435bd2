"""What every report returns: tables of typed columns and descriptions of charts.

A report function computes in SQL and returns a :class:`Report`: plain, frozen data
that the three renderers (the TUI screen, the terminal, files) draw each in their
own way. Titles are English, marked for translation (``N_``): a renderer shows
``_(title)``. Values keep their types (``Decimal`` money, ``date``, ``float``
percentages), so a workbook gets typed, formatted cells and JSON gets numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from termcrm.i18n import _, pgettext

# how a column's values are typed and shown: text; int (a count); money (Decimal, two
# places); number (a float); pct (a float percentage, 12.5 = 12.5 %); date; month (the
# first day of a month, shown as the month)
ColumnKind = Literal["text", "int", "money", "number", "pct", "date", "month"]
ChartKind = Literal["bar", "line", "pie"]
ScopeKind = Literal["me", "user", "department", "all"]


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    title: str  # English, marked with N_; may hold {fields} filled from ``args``
    kind: ColumnKind = "text"
    args: tuple[tuple[str, str], ...] = ()  # ("period", "2026-Q3"): put into the title
    context: str = ""  # the title's msgctxt, marked with NP_ (one word, two senses)

    def heading(self) -> str:
        """The title in the user's language, its fields filled."""
        text = pgettext(self.context, self.title) if self.context else _(self.title)
        return text.format(**dict(self.args)) if self.args else text


@dataclass(frozen=True, slots=True)
class Table:
    key: str  # unique within the report: a sheet's name part, a JSON key
    title: str  # English, marked with N_
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]
    total: tuple[Any, ...] | None = None  # a totals row, under the rows

    def column(self, key: str) -> int:
        """The index of the column called ``key``."""
        for i, c in enumerate(self.columns):
            if c.key == key:
                return i
        raise KeyError(key)

    def values(self, key: str) -> list[Any]:
        i = self.column(key)
        return [row[i] for row in self.rows]

    def as_dicts(self) -> list[dict[str, Any]]:
        keys = [c.key for c in self.columns]
        return [dict(zip(keys, row, strict=True)) for row in self.rows]


@dataclass(frozen=True, slots=True)
class Chart:
    """A chart of one table: a category column and one or more series columns."""

    kind: ChartKind
    title: str  # English, marked with N_
    table: str  # the key of the table it draws
    category: str  # the column along the axis (or the pie's slices)
    series: tuple[str, ...]  # the columns drawn (a pie draws the first)
    stacked: bool = False


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose data a report covers, inside what the actor may see anyway."""

    kind: ScopeKind = "all"
    user_id: int | None = None
    department_id: int | None = None


@dataclass(frozen=True, slots=True)
class Params:
    period: tuple[date, date]  # first and last day
    scope: Scope = field(default_factory=Scope)
    currency: str | None = None  # None: the most common currency of the facts
    today: date | None = None  # "now" for lapsed clients, upcoming dates (None: today)
    options: tuple[tuple[str, Any], ...] = ()  # report-specific: ("lapsed_days", 90)...

    def option(self, key: str, default: Any) -> Any:
        for k, v in self.options:
            if k == key:
                return v
        return default


@dataclass(frozen=True, slots=True)
class Report:
    name: str  # the command's name: sales-dynamics, abc, ...
    title: str  # English, marked with N_
    period: tuple[date, date]
    scope: str  # whose data, in words (already translated)
    currency: str | None
    tables: tuple[Table, ...]
    charts: tuple[Chart, ...] = ()
    notes: tuple[str, ...] = ()  # already translated: what the reader should know

    def table(self, key: str) -> Table:
        for t in self.tables:
            if t.key == key:
                return t
        raise KeyError(key)


def pct(part: Any, whole: Any) -> float | None:
    """``part`` as a percentage of ``whole`` (None when the whole is nothing)."""
    if not whole:
        return None
    return round(float(part) * 100.0 / float(whole), 2)


def growth(now: Any, before: Any) -> float | None:
    """The growth from ``before`` to ``now`` in % (None when there was nothing before)."""
    if not before:
        return None
    return round((float(now) - float(before)) * 100.0 / float(before), 2)


def rows(items: Sequence[Sequence[Any]]) -> tuple[tuple[Any, ...], ...]:
    return tuple(tuple(r) for r in items)
