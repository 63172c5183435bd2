"""Schema migrations: Alembic scripts shipped inside the package.

SQLite migrations run with foreign keys off, because batch mode recreates
tables and would otherwise cascade-delete child rows; afterwards
``PRAGMA foreign_key_check`` must come back empty or the migration fails.
"""

from __future__ import annotations

import re
import warnings
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from termcrm.store.engine import Database

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


class MigrationError(RuntimeError):
    pass


def _config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


_REVISION = re.compile(r'^revision\s*=\s*"([^"]+)"', re.M)
_DOWN = re.compile(r'^down_revision\s*=\s*"([^"]+)"', re.M)


@cache
def head_revision() -> str:
    """The newest migration, read from the scripts' text: opening a database does not
    pay for importing alembic (a test checks this against alembic's own answer)."""
    revisions, parents = set(), set()
    for script in (MIGRATIONS / "versions").glob("*.py"):
        text = script.read_text(encoding="utf-8")
        if found := _REVISION.search(text):
            revisions.add(found.group(1))
        if down := _DOWN.search(text):
            parents.add(down.group(1))
    heads = revisions - parents
    if len(heads) != 1:
        raise MigrationError(f"the migrations have {len(heads)} heads: {sorted(heads)}")
    return heads.pop()


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def is_empty(db: Database) -> bool:
    """True when the database has no tables at all (a brand new file or schema)."""
    names = sa.inspect(db.engine).get_table_names()
    return not names


def _run(db: Database, action: str, revision: str) -> None:
    from alembic import command

    cfg = _config()
    with db.engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            # must happen outside a transaction, before alembic begins one
            conn.connection.driver_connection.execute("PRAGMA foreign_keys = OFF")  # type: ignore[union-attr]
        try:
            cfg.attributes["connection"] = conn
            with warnings.catch_warnings():
                # SQLite's batch mode reflects tables whose expression indexes (the
                # birthday index) SQLAlchemy cannot read; the migrations recreate them
                warnings.filterwarnings(
                    "ignore", message="Skipped unsupported reflection of expression-based index"
                )
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
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_config())
    return [(s.revision, s.doc or "") for s in script.walk_revisions()]
