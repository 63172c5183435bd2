"""Schema migrations: Alembic scripts shipped inside the package.

SQLite migrations run with foreign keys off, because batch mode recreates
tables and would otherwise cascade-delete child rows; afterwards
``PRAGMA foreign_key_check`` must come back empty or the migration fails.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from termcrm.store.engine import Database

MIGRATIONS = Path(__file__).parent / "migrations"


class MigrationError(RuntimeError):
    pass


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def is_empty(db: Database) -> bool:
    """True when the database has no tables at all (a brand new file or schema)."""
    names = sa.inspect(db.engine).get_table_names()
    return not names


def _run(db: Database, action: str, revision: str) -> None:
    cfg = _config()
    with db.engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            # must happen outside a transaction, before alembic begins one
            conn.connection.driver_connection.execute("PRAGMA foreign_keys = OFF")  # type: ignore[union-attr]
        try:
            cfg.attributes["connection"] = conn
            if action == "upgrade":
                command.upgrade(cfg, revision)
            else:
                command.downgrade(cfg, revision)
            conn.commit()
            if sqlite:
                problems = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                conn.rollback()
                if problems:
                    raise MigrationError(
                        f"foreign key check failed after {action} to {revision}: {problems[:5]}"
                    )
        finally:
            if sqlite:
                conn.connection.driver_connection.execute("PRAGMA foreign_keys = ON")  # type: ignore[union-attr]


def upgrade(db: Database, revision: str = "head") -> None:
    _run(db, "upgrade", revision)


def downgrade(db: Database, revision: str) -> None:
    _run(db, "downgrade", revision)


def history() -> list[tuple[str, str]]:
    script = ScriptDirectory.from_config(_config())
    return [(s.revision, s.doc or "") for s in script.walk_revisions()]
