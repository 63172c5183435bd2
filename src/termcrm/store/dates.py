"""Dates in each dialect's own functions.

``month_day(column)`` is ``month * 100 + day`` (17 May -> 517): the agenda looks
birthdays up by it, and migration 0005 indexes the same expression on
``contact.birthday``: a query uses that index only when it spells the expression
exactly so, which is why it lives here, in one place.

``local_day_end(column, zone, ends)`` is the end of the local day a moment falls on.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from termcrm.store.types import UTCDateTime


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


class _day_end_in(FunctionElement[datetime]):
    """(moment, zone name, the same as a CASE over day boundaries): see local_day_end."""

    type = UTCDateTime()
    name = "local_day_end"
    inherit_cache = True


@compiles(_day_end_in, "postgresql")
def _postgresql_day_end(element: _day_end_in, compiler: Any, **kw: Any) -> str:
    column, zone, _tree = element.clauses  # the tree is SQLite's: not rendered here
    moment, name = compiler.process(column, **kw), compiler.process(zone, **kw)
    local_day = f"date_trunc('day', {moment} AT TIME ZONE {name})"
    return f"(({local_day} + INTERVAL '1 day') AT TIME ZONE {name})"


@compiles(_day_end_in)
def _other_day_end(element: _day_end_in, compiler: Any, **kw: Any) -> str:
    _column, _zone, tree = element.clauses
    return str(compiler.process(tree, **kw))


_SERVER_ZONES: dict[tuple[str, str], bool] = {}


def server_has_zone(s: Session, zone: ZoneInfo) -> bool:
    """Whether the database can do time zone arithmetic in ``zone``: PostgreSQL, knowing
    the zone by its name (its time zone data may be older than Python's); asked once
    per server and zone."""
    bind = s.get_bind()
    if bind.dialect.name != "postgresql" or not zone.key:
        return False
    engine = bind if isinstance(bind, sa.Engine) else bind.engine
    key = (engine.url.render_as_string(hide_password=True), zone.key)
    if key not in _SERVER_ZONES:
        found = s.execute(
            sa.text("SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = :zone)"),
            {"zone": zone.key},
        ).scalar()
        _SERVER_ZONES[key] = bool(found)
    return _SERVER_ZONES[key]


def local_day_end(
    column: sa.ColumnElement[Any], zone: ZoneInfo, ends: Sequence[datetime], *, native: bool
) -> sa.ColumnElement[Any]:
    """The end of the local day (in ``zone``) that ``column``'s moment falls on, in UTC:
    "done on time" is "completed before the end of the day it was due".

    With ``native`` (:func:`server_has_zone`), PostgreSQL does it with its own time zone
    arithmetic (exact across DST). Otherwise (SQLite has no time zones) it is the first
    of ``ends`` (the UTC ends of the local days the moments may fall on, ascending; the
    last one for a moment beyond them) after the moment, as a CASE nested into a
    balanced tree, so that a row takes about log2(days) comparisons, not one per day of
    a year-long period."""

    def within(lo: int, hi: int) -> sa.ColumnElement[Any]:
        if lo == hi:
            return sa.literal(ends[lo], UTCDateTime())
        mid = (lo + hi) // 2
        return sa.case((column < ends[mid], within(lo, mid)), else_=within(mid + 1, hi))

    tree = within(0, len(ends) - 1)
    if not native or not zone.key:
        return tree
    return _day_end_in(column, sa.literal(zone.key, sa.String()), tree)


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
