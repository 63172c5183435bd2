"""The engine factory and transactions.

SQLite runs in WAL mode with foreign keys on every connection and a busy
timeout. pysqlite's own transaction handling is switched off so that a write
transaction starts with ``BEGIN IMMEDIATE``: with the driver's defaults two
processes that read and then write silently lose updates or fail with
"database is locked". Read transactions start with a plain (deferred) BEGIN
and never block writers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session

from termcrm.store.search import sqlite_casefold

BUSY_TIMEOUT_S = 30.0
# A search that checks the access rule of each full-text hit reads thousands of
# client rows scattered over the file. With SQLite's defaults (a 2 MiB page cache,
# no memory mapping) each is a read() into the cache; memory-mapped they cost half
# (a rep's search on 1M clients: 13 -> 7 ms). The map is address space, not memory.
CACHE_KIB = 16 * 1024
MMAP_BYTES = 0x7FFF0000  # SQLite's default ceiling (SQLITE_MAX_MMAP_SIZE)
INTERACTIVE_CACHE_KIB = 2 * 1024  # per connection of the TUI: memory flat whatever the file size


class DatabaseUrlError(ValueError):
    """A database location termcrm cannot use; the message says what it accepts."""


SUPPORTED = "an SQLite file path or postgresql://user@host/dbname"
_PASSWORD = re.compile(r"(://[^:/@]*:)[^@]*@")


def _shown(url: str) -> str:
    """The URL as the user typed it, password hidden."""
    return _PASSWORD.sub(r"\1***@", url)


def normalise_url(url: str) -> str:
    """Accept the URL forms users type and pick the drivers termcrm ships with."""
    typed = url = url.strip()
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if "://" not in url:
        scheme = url.split(":", 1)[0]
        if ":" in url and scheme.isalpha() and len(scheme) > 1:  # sqlite:/x, mysql:x ...
            raise DatabaseUrlError(
                f"'{_shown(typed)}' is not a database termcrm can use: give {SUPPORTED}"
            )
        url = "sqlite:///" + str(Path(url).expanduser().resolve())  # a bare path
    try:
        parsed = make_url(url)
        parsed.port  # noqa: B018 - a bad port raises here, not later
    except (ArgumentError, ValueError):
        raise DatabaseUrlError(
            f"'{_shown(typed)}' is not a valid database URL: give {SUPPORTED}"
        ) from None
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise DatabaseUrlError(f"termcrm does not work with {backend}: give {SUPPORTED}")
    if backend == "postgresql" and parsed.get_driver_name() != "psycopg":
        raise DatabaseUrlError("use postgresql:// (termcrm talks to PostgreSQL through psycopg)")
    if backend == "sqlite" and (not parsed.database or parsed.host):
        raise DatabaseUrlError(
            f"'{_shown(typed)}' names no SQLite file: give a path such as ~/crm.db "
            "(or sqlite:////absolute/path.db)"
        )
    return url


def _configure_sqlite(engine: Engine, *, interactive: bool = False) -> None:
    cache_kib = INTERACTIVE_CACHE_KIB if interactive else CACHE_KIB
    mmap_bytes = 0 if interactive else MMAP_BYTES

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute(f"PRAGMA cache_size = -{cache_kib}")
        cur.execute(f"PRAGMA mmap_size = {mmap_bytes}")
        cur.close()
        dbapi_conn.create_function("termcrm_casefold", 1, sqlite_casefold, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str, *, echo: bool = False, interactive: bool = False) -> Engine:
    """An engine; ``interactive`` for a long-running app (the TUI): SQLite without
    mmap and with a small page cache, so its memory does not grow with the file
    (a million-client file is mapped, page by page, into every pooled connection)."""
    url = normalise_url(url)
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"echo": echo}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": BUSY_TIMEOUT_S, "check_same_thread": False}
        engine = sa.create_engine(url, **kwargs)
        _configure_sqlite(engine, interactive=interactive)
        return engine
    kwargs["pool_pre_ping"] = True
    return sa.create_engine(url, **kwargs)


class Database:
    """One database: an engine plus read and write transactions over it."""

    def __init__(self, url: str, *, echo: bool = False, interactive: bool = False) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url, echo=echo, interactive=interactive)
        self._writer = (
            self.engine.execution_options(sqlite_begin="IMMEDIATE")
            if self.dialect == "sqlite"
            else self.engine
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only unit of work: nothing is committed."""
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
            finally:
                session.rollback()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction: committed on success, rolled back on any error."""
        with Session(self._writer, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()


@contextmanager
def long_read(s: Session) -> Iterator[None]:
    """The database settings of one long read.

    PostgreSQL: the whole export reads one snapshot (REPEATABLE READ), so a client
    renamed while it runs is neither skipped nor written twice (SQLite's read
    transaction is a snapshot already). SQLite: no memory-mapped I/O while it runs;
    a mapped file counts its pages in the process's memory as they are read, so
    exporting a million clients would look like hundreds of megabytes (the page
    cache keeps the memory flat instead; the setting is put back afterwards).
    """
    dialect = s.get_bind().dialect.name
    if dialect == "postgresql":
        if not s.in_transaction():
            s.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        yield
        return
    if dialect != "sqlite":
        yield
        return
    conn = s.connection()
    before = conn.exec_driver_sql("PRAGMA mmap_size").scalar()
    conn.exec_driver_sql("PRAGMA mmap_size = 0")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA mmap_size = {int(before or 0)}")
