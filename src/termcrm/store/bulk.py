"""Bulk loading: many rows into a table fast, inside the caller's transaction.

The bulk paths (demo data, imports) never build ORM objects per row:

- SQLite: the driver's ``executemany`` with values converted once, column by
  column, by the same bind processors SQLAlchemy Core would apply (aware UTC
  datetimes, money as hundredths, JSON, booleans, dates);
- PostgreSQL: ``COPY ... FROM STDIN`` through psycopg, row by row with
  ``write_row`` (JSON/JSONB, ``Decimal``, dates, aware datetimes, booleans and
  ``None`` are adapted by psycopg).

Rows inserted with explicit ids take them from :class:`IdAllocator`, which on
PostgreSQL draws them from the table's sequence, so the sequence never falls
behind. :func:`reset_sequences` repairs a sequence after ids were inserted
that did not come from it (restoring a backup, say).

This is the only module besides ``engine``/``search``/``migrate`` that knows
how each dialect does things; services call it with tables and plain values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Session

from termcrm.store import search
from termcrm.store.types import UTCDateTime

# SQLite page cache during a bulk load (KiB, as a negative cache_size): a big
# transaction that spills a small cache writes the same pages to the WAL over and over
BULK_CACHE_KIB = 512 * 1024


def connection_of(target: Session | Connection) -> Connection:
    """The Core connection under a session (starting its transaction) or the connection itself."""
    conn = target.connection() if isinstance(target, Session) else target
    if not conn.in_transaction():
        conn.begin()
    return conn


def _memo(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Remember the last conversion: columns such as created_at often repeat one value."""
    last_in: list[Any] = [object()]
    last_out: list[Any] = [None]

    def convert(value: Any) -> Any:
        prev = last_in[0]
        if value is prev or (
            type(value) is type(prev) and not isinstance(value, dict | list) and value == prev
        ):
            return last_out[0]
        out = process(value)
        last_in[0] = value
        last_out[0] = out
        return out

    return convert


def _sqlite_utc(value: datetime) -> str:
    """UTCDateTime on SQLite, as its bind processor would store it, several times faster."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: termcrm stores aware UTC times only")
    if value.utcoffset():
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


def _converters(
    dialect: Dialect, table: sa.Table, keys: Sequence[str]
) -> list[tuple[int, Callable[[Any], Any]]]:
    """(position, converter) for the columns whose values need converting.

    Columns of one type share a converter, so a row whose created_at and
    updated_at are equal converts the value once.
    """
    out = []
    shared: dict[Any, Callable[[Any], Any]] = {}
    for i, key in enumerate(keys):
        coltype = table.c[key].type
        sig = (type(coltype), repr(coltype))
        if sig not in shared:
            if dialect.name == "sqlite" and isinstance(coltype, UTCDateTime):
                process: Callable[[Any], Any] | None = _sqlite_utc
            else:
                process = coltype.dialect_impl(dialect).bind_processor(dialect)
            if process is None:
                continue
            shared[sig] = _memo(process)
        out.append((i, shared[sig]))
    return out


def _tuples(
    rows: Iterable[Sequence[Any]], converters: list[tuple[int, Callable[[Any], Any]]]
) -> Iterator[Sequence[Any]]:
    if not converters:
        yield from rows
        return
    for row in rows:
        values = list(row)
        for i, convert in converters:
            value = values[i]
            if value is not None:
                values[i] = convert(value)
        yield values


def bulk_insert(
    target: Session | Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Insert ``rows`` (dicts keyed by column key, all with the keys of the first row).

    Runs in the caller's transaction; nothing is committed here. No ORM, no
    RETURNING: give explicit ids (see :class:`IdAllocator`) when other rows
    must refer to these.
    """
    if not rows:
        return
    keys = list(rows[0].keys())
    getter = itemgetter(*keys)
    tuples: Iterable[Sequence[Any]] = (
        ((getter(r),) for r in rows) if len(keys) == 1 else (getter(r) for r in rows)
    )
    bulk_insert_tuples(target, table, keys, tuples)


def bulk_insert_tuples(
    target: Session | Connection,
    table: sa.Table,
    keys: Sequence[str],
    rows: Iterable[Sequence[Any]],
) -> None:
    """Insert rows given as tuples of values in the order of ``keys`` (column keys)."""
    conn = connection_of(target)
    dialect = conn.dialect
    columns = [table.c[k] for k in keys]
    data = _tuples(rows, _converters(dialect, table, keys))
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(c.name) for c in columns)
    driver: Any = conn.connection.driver_connection
    driver_error = dialect.loaded_dbapi.Error
    statement = ""
    try:
        if dialect.name == "sqlite":
            marks = ", ".join("?" for _ in columns)
            statement = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})"
            cursor = driver.cursor()
            try:
                cursor.executemany(statement, data)
            finally:
                cursor.close()
        elif dialect.name == "postgresql":
            statement = f"COPY {quote(table.name)} ({names}) FROM STDIN"
            with driver.cursor() as cursor, cursor.copy(statement) as copy:
                write = copy.write_row
                for row in data:
                    write(row)
        else:  # pragma: no cover - termcrm ships SQLite and PostgreSQL only
            conn.execute(sa.insert(table), [dict(zip(keys, r, strict=True)) for r in rows])
    except driver_error as exc:
        # as SQLAlchemy reports a driver's error everywhere else (a constraint a row
        # breaks is an IntegrityError), so that callers catch one kind
        raise sa.exc.DBAPIError.instance(statement, None, exc, driver_error) from exc


class IdAllocator:
    """Primary keys for rows about to be bulk-inserted, so children can refer to them.

    SQLite: ids continue after the highest one in the table. That is safe because
    a write transaction holds the database's write lock; insert the ids you took
    before taking more for the same table from another allocator.
    PostgreSQL: ids come from the table's sequence (``nextval``), so they are
    unique even with other writers and the sequence stays ahead of them.
    """

    def __init__(self, target: Session | Connection) -> None:
        self._conn = connection_of(target)
        self._next: dict[str, int] = {}

    def take(self, table: sa.Table, n: int) -> list[int]:
        if n <= 0:
            return []
        conn = self._conn
        if conn.dialect.name == "postgresql":
            rows = conn.execute(
                sa.text(
                    "SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"
                ),
                {"t": table.name, "n": n},
            ).scalars()
            return sorted(int(i) for i in rows)
        highest = conn.execute(sa.select(sa.func.max(table.c.id))).scalar() or 0
        start = max(self._next.get(table.name, 1), int(highest) + 1)
        self._next[table.name] = start + n
        return list(range(start, start + n))


def reset_sequences(target: Session | Connection, tables: Iterable[sa.Table]) -> None:
    """PostgreSQL: move each table's id sequence past the highest id in it (no-op on SQLite)."""
    conn = connection_of(target)
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        if "id" not in table.c or not table.c.id.primary_key:
            continue
        name = conn.dialect.identifier_preparer.quote(table.name)
        conn.execute(
            sa.text(
                "SELECT setval(pg_get_serial_sequence(:t, 'id'), "
                f"COALESCE((SELECT max(id) FROM {name}), 0) + 1, false)"
            ),
            {"t": table.name},
        )


def delete_all(target: Session | Connection, tables: Sequence[sa.Table]) -> None:
    """Delete every row of ``tables`` (children before parents are handled here).

    PostgreSQL: one TRUNCATE ... RESTART IDENTITY. SQLite: DELETE in dependency
    order, with the client search index dropped and rebuilt empty rather than
    maintained row by row. Both are transactional: a rollback restores everything.
    """
    conn = connection_of(target)
    quote = conn.dialect.identifier_preparer.quote
    if not tables:
        return
    if conn.dialect.name == "postgresql":
        names = ", ".join(quote(t.name) for t in tables)
        conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        return
    wanted = {t.name for t in tables}
    ordered = [t for t in reversed(tables[0].metadata.sorted_tables) if t.name in wanted]
    ordered += [t for t in tables if t not in ordered]
    with search_index_suspended(conn):
        for table in ordered:
            conn.exec_driver_sql(f"DELETE FROM {quote(table.name)}")


@contextmanager
def search_index_suspended(target: Session | Connection) -> Iterator[None]:
    """Drop the client search index for a bulk change and rebuild it afterwards.

    Building the index once over all rows is cheaper than keeping it in step
    row by row. Inside the caller's transaction: if the block fails, the
    caller's rollback restores the index as it was.
    """
    conn = connection_of(target)
    search.uninstall(conn)
    yield
    search.install(conn)


@contextmanager
def bulk_loading(target: Session | Connection) -> Iterator[None]:
    """Settings for a big load in this transaction: on SQLite a large page cache."""
    conn = connection_of(target)
    if conn.dialect.name != "sqlite":
        yield
        return
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    conn.exec_driver_sql(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size = {int(before or -2000)}")


def analyze(target: Session | Connection, tables: Sequence[sa.Table]) -> None:
    """Refresh the planner's statistics after a bulk load (PostgreSQL; SQLite needs none)."""
    conn = connection_of(target)
    if conn.dialect.name == "postgresql" and tables:
        quote = conn.dialect.identifier_preparer.quote
        conn.exec_driver_sql("ANALYZE " + ", ".join(quote(t.name) for t in tables))
