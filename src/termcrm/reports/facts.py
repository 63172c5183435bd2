"""SQL pieces the reports on shipments and payments share: periods split into units,
the currency a report is in, and a date column's unit (year, quarter or month)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from termcrm.i18n import _
from termcrm.services.errors import Invalid
from termcrm.services.funnel_charts import month_end, period_text

Unit = Literal["year", "quarter", "month"]
UNITS: tuple[Unit, ...] = ("year", "quarter", "month")


def check_unit(value: str) -> Unit:
    for unit in UNITS:
        if value == unit:
            return unit
    raise Invalid({"by": _("must be one of {choices}").format(choices=", ".join(UNITS))})


def unit_index(column: sa.ColumnElement[Any], unit: Unit) -> sa.ColumnElement[int]:
    """A number per unit of a date column: year; year*4+quarter-1; year*12+month-1."""
    year = sa.cast(sa.extract("year", column), sa.Integer)
    if unit == "year":
        return year
    month = sa.cast(sa.extract("month", column), sa.Integer)
    if unit == "quarter":
        return year * 4 + (month - 1) // 3
    return year * 12 + month - 1


def index_of(day: date, unit: Unit) -> int:
    if unit == "year":
        return day.year
    if unit == "quarter":
        return day.year * 4 + (day.month - 1) // 3
    return day.year * 12 + day.month - 1


def unit_days(index: int, unit: Unit) -> tuple[date, date]:
    """The first and last day of a unit's number."""
    if unit == "year":
        return date(index, 1, 1), date(index, 12, 31)
    if unit == "quarter":
        year, q = divmod(index, 4)
        return date(year, q * 3 + 1, 1), month_end(year, q * 3 + 3)
    year, m = divmod(index, 12)
    return date(year, m + 1, 1), month_end(year, m + 1)


def unit_label(index: int, unit: Unit) -> str:
    """2026, 2026-Q3, 2026-11: as ``--period`` reads it."""
    return period_text(*unit_days(index, unit))


def units_of(period: tuple[date, date], unit: Unit) -> list[int]:
    return list(range(index_of(period[0], unit), index_of(period[1], unit) + 1))


def pick_currency(
    s: Session,
    source: sa.FromClause,
    currency: sa.ColumnElement[str],
    conds: Sequence[sa.ColumnElement[bool]],
    wanted: str | None,
) -> tuple[str | None, list[str]]:
    """(the currency a report is in, the other currencies its facts have).

    ``wanted`` when given; else the currency most of the rows (of ``source`` under
    ``conds``) are in.
    """
    counts = s.execute(
        sa.select(currency, sa.func.count())
        .select_from(source)
        .where(*conds)
        .group_by(currency)
        .order_by(sa.func.count().desc(), currency)
    ).all()
    found = [str(r[0]) for r in counts]
    if wanted:
        code = wanted.strip().upper()
        return code, [c for c in found if c != code]
    if not found:
        return None, []
    return found[0], found[1:]
