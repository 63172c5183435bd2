"""The database a front end works on: opening it and keeping its schema current.

A brand-new (empty) database is created by the migrations; one at an older
schema is refused until an explicit upgrade; one holding other tables is not
touched.
"""

from __future__ import annotations

from dataclasses import dataclass

from termcrm.i18n import _
from termcrm.services.errors import CrmError
from termcrm.store import migrate
from termcrm.store.engine import Database, DatabaseUrlError

__all__ = ["Database", "SchemaError", "SchemaState", "open_database", "prepare", "state", "upgrade"]


class SchemaError(CrmError):
    pass


@dataclass(frozen=True, slots=True)
class SchemaState:
    current: str | None  # None: no termcrm schema yet
    head: str  # what this termcrm needs

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def open_database(url: str, *, interactive: bool = False) -> Database:
    """``interactive``: for a long-running app, memory that does not grow with the file."""
    try:
        return Database(url, interactive=interactive)
    except DatabaseUrlError as exc:
        raise SchemaError(str(exc)) from None


def state(db: Database) -> SchemaState:
    return SchemaState(current=migrate.current_revision(db), head=migrate.head_revision())


def prepare(db: Database, where: str) -> bool:
    """Make the database usable; True when a new one was created just now."""
    st = state(db)
    if st.up_to_date:
        return False
    if st.current is None:
        if not migrate.is_empty(db):
            raise SchemaError(
                # TRANSLATORS: {where} is the database's address (host and name).
                _("{where} holds tables but is not a termcrm database").format(where=where)
            )
        migrate.upgrade(db)
        return True
    raise SchemaError(
        # TRANSLATORS: {current} and {needed} are schema revision ids; leave the
        # command `termcrm db upgrade` as it is.
        _(
            "the database at {where} is at schema {current}, this termcrm needs {needed}: "
            "run `termcrm db upgrade` (back it up first)"
        ).format(where=where, current=st.current, needed=st.head)
    )


def upgrade(db: Database) -> tuple[str | None, str | None]:
    """Upgrade to this termcrm's schema; (before, after)."""
    before = migrate.current_revision(db)
    migrate.upgrade(db)
    return before, migrate.current_revision(db)
