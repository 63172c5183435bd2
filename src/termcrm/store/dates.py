"""Dates that come back every year: the month and day of a date column as one number.

``month_day(column)`` is ``month * 100 + day`` (17 May -> 517) in each dialect's own
functions. The agenda looks birthdays up by it, and migration 0005 indexes the same
expression on ``contact.birthday``: a query uses that index only when it spells the
expression exactly so, which is why it lives here, in one place.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class month_day(FunctionElement[int]):
    type = sa.Integer()
    name = "month_day"
    inherit_cache = True


@compiles(month_day, "sqlite")
def _sqlite(element: month_day, compiler: Any, **kw: Any) -> str:
    (column,) = element.clauses
    return f"CAST(strftime('%m%d', {compiler.process(column, **kw)}) AS INTEGER)"


@compiles(month_day, "postgresql")
def _postgresql(element: month_day, compiler: Any, **kw: Any) -> str:
    (column,) = element.clauses
    value = compiler.process(column, **kw)
    return f"(CAST(EXTRACT(MONTH FROM {value}) * 100 + EXTRACT(DAY FROM {value}) AS INTEGER))"


class seconds_between(FunctionElement[float]):
    """Seconds from the first time column to the second (``end - start``): julian days
    on SQLite (its times are ISO texts), an epoch of the interval on PostgreSQL."""

    type = sa.Float()
    name = "seconds_between"
    inherit_cache = True


@compiles(seconds_between, "sqlite")
def _sqlite_seconds(element: seconds_between, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


@compiles(seconds_between, "postgresql")
def _postgresql_seconds(element: seconds_between, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"EXTRACT(EPOCH FROM ({end} - {start}))"


BIRTHDAY_INDEX = "ix_contact_birthday_day"


def birthday_index_sql(dialect: str) -> str:
    """The DDL of the index over the contacts' birthdays by month and day.

    Partial: live contacts with a birthday only (a query uses it when it says
    ``birthday IS NOT NULL AND deleted_at IS NULL``, as ``significant_dates`` does).
    Besides being smaller, the index then answers for the contact's liveness, so a
    lookup by day checks the client (``client_id`` is in the index) before it reads
    any contact row."""
    return (
        f"CREATE INDEX {BIRTHDAY_INDEX} ON contact ({month_day_sql(dialect, 'birthday')}, "
        "client_id) WHERE birthday IS NOT NULL AND deleted_at IS NULL"
    )


def month_day_sql(dialect: str, column_name: str) -> str:
    """``month_day`` of a column as the dialect spells it, for an index's DDL."""
    column: sa.ColumnClause[Any] = sa.column(column_name)
    return str(month_day(column).compile(dialect=_dialect(dialect)))


def _dialect(name: str) -> sa.engine.Dialect:
    if name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.dialect()
    from sqlalchemy.dialects import sqlite

    return sqlite.dialect()
