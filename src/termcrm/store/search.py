"""Full-text search over clients: the only place that knows how each dialect does it.

Every client row carries ``search_body``: casefolded, NFC-normalised text made of
its names, tax id, city, emails, phone digits and contact names (services keep it
up to date). SQLite indexes it with an FTS5 ``trigram`` table kept in sync by
triggers; PostgreSQL with a ``pg_trgm`` GIN index. Both match substrings, so a
part of a Chinese name, of a phone number or of an INN is found.

The trigram index cannot serve queries shorter than three characters; those go
to a prefix match on the casefolded name (``name_key``), which a b-tree serves.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles

MIN_TRIGRAM = 3

_SQLITE_TRIGGERS = [
    """CREATE TRIGGER client_fts_ai AFTER INSERT ON client BEGIN
         INSERT INTO client_fts(rowid, search_body) VALUES (new.id, new.search_body);
       END""",
    """CREATE TRIGGER client_fts_ad AFTER DELETE ON client BEGIN
         INSERT INTO client_fts(client_fts, rowid, search_body)
         VALUES ('delete', old.id, old.search_body);
       END""",
    """CREATE TRIGGER client_fts_au AFTER UPDATE OF search_body ON client BEGIN
         INSERT INTO client_fts(client_fts, rowid, search_body)
         VALUES ('delete', old.id, old.search_body);
         INSERT INTO client_fts(rowid, search_body) VALUES (new.id, new.search_body);
       END""",
]


def install(conn: Connection) -> None:
    """Create the search index for the connection's dialect and fill it."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(
            "CREATE VIRTUAL TABLE client_fts USING fts5("
            "search_body, content='client', content_rowid='id', tokenize='trigram')"
        )
        install_sqlite_triggers(conn)
        conn.exec_driver_sql("INSERT INTO client_fts(client_fts) VALUES ('rebuild')")
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        conn.exec_driver_sql(
            "CREATE INDEX ix_client_search_trgm ON client USING gin (search_body gin_trgm_ops)"
        )
        conn.exec_driver_sql(
            'CREATE INDEX ix_client_name_key_prefix ON client (name_key COLLATE "C")'
        )


def install_sqlite_triggers(conn: Connection) -> None:
    """(Re)create the FTS triggers; a batch migration that rebuilds ``client`` must call it."""
    for name in ("client_fts_ai", "client_fts_ad", "client_fts_au"):
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    for ddl in _SQLITE_TRIGGERS:
        conn.exec_driver_sql(ddl)


def uninstall(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        for name in ("client_fts_ai", "client_fts_ad", "client_fts_au"):
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
        conn.exec_driver_sql("DROP TABLE IF EXISTS client_fts")
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql("DROP INDEX IF EXISTS ix_client_search_trgm")
        conn.exec_driver_sql("DROP INDEX IF EXISTS ix_client_name_key_prefix")


def _fts5_phrase(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def _like_escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def matching_ids(dialect: str, words: list[str]) -> sa.Select[tuple[int]]:
    """Ids of clients whose search text contains every word (each of 3+ characters).

    Words are already casefolded and NFC-normalised. Ids come newest first.
    """
    assert words and all(len(w) >= MIN_TRIGRAM for w in words)
    if dialect == "sqlite":
        fts = sa.table("client_fts", sa.column("rowid"))
        query = " ".join(_fts5_phrase(w) for w in words)
        return (
            sa.select(fts.c.rowid)
            .where(sa.text("client_fts MATCH :fts_query").bindparams(fts_query=query))
            .order_by(fts.c.rowid.desc())
        )
    client = sa.table("client", sa.column("id"), sa.column("search_body"))
    conditions = [client.c.search_body.like(f"%{_like_escape(w)}%", escape="\\") for w in words]
    return sa.select(client.c.id).where(*conditions).order_by(client.c.id.desc())


def capped_hits(
    dialect: str, query: sa.Select[Any], hit_id: sa.ColumnElement[int], cap: int
) -> sa.Select[Any]:
    """At most ``cap`` rows of ``query`` (joined with :func:`matching_ids`), for a capped count.

    SQLite: in the order FTS5 yields hits anyway (rowid, newest first). Without it the
    planner may drive the join from another index (a rep's ``owner_id``) and evaluate
    the MATCH once per client: seconds on a million clients instead of a millisecond.
    PostgreSQL: unordered, so the scan stops after ``cap`` rows instead of sorting all.
    """
    if dialect == "sqlite":
        query = query.order_by(hit_id.desc())
    return query.limit(cap)


def name_prefix(dialect: str, column: sa.ColumnElement[str], prefix: str) -> sa.ColumnElement[bool]:
    """``column`` starts with ``prefix``, in a form a b-tree index serves (byte order)."""
    upper = prefix + "\U0010ffff"
    if dialect == "postgresql":
        collated = column.collate("C")
        return sa.and_(collated >= prefix, collated < upper)
    return sa.and_(column >= prefix, column < upper)


# -- a case-insensitive match over any text column


class casefolded(sa.sql.functions.GenericFunction[str]):
    """``casefolded(column)``: the column casefolded, for a case-insensitive ``contains``.

    SQLite's own lower() folds ASCII only, so on SQLite this is a Python function the
    engine registers on every connection (``termcrm_casefold``); PostgreSQL's lower()
    folds every script.
    """

    type = sa.String()
    name = "casefolded"
    inherit_cache = True


@compiles(casefolded, "sqlite")
def _casefolded_sqlite(element: casefolded, compiler: Any, **kw: Any) -> str:
    return f"termcrm_casefold({compiler.process(element.clauses, **kw)})"


@compiles(casefolded)
def _casefolded_other(element: casefolded, compiler: Any, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


def sqlite_casefold(value: str | None) -> str | None:
    """What ``termcrm_casefold`` computes on SQLite (registered by the engine)."""
    return None if value is None else unicodedata.normalize("NFC", value.casefold())
