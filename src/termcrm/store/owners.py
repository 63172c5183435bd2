"""The client's owner, copied onto the rows the planner looks up by owner and by day.

A rep's planner shows the birthdays of the contact persons of the rep's clients and
the company dates of those clients. Looking them up through ``client`` means reading
every client of everyone's birthdays of the month (some 90,000 rows a month on a
million-client base) to keep the rep's own. So ``contact`` and ``significant_date``
carry ``owner_id``, the owner of their client, indexed with the month and day, and
database triggers keep it so whatever writes the rows (the services, a bulk load,
an import, a hand-written UPDATE):

- a row inserted, or moved to another client, takes its client's owner (a value
  written to ``owner_id`` by hand is put right);
- a client given another owner passes the new owner to its rows.

The triggers are per dialect (SQLite cannot change NEW in a BEFORE trigger, so it
corrects the row after; PostgreSQL sets it before). A migration that recreates
``client``, ``contact`` or ``significant_date`` (SQLite's batch mode does, to drop a
column) drops their triggers with them: it must call :func:`create_triggers` again;
test_migrations checks that they are there at the head.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from termcrm.store.dates import month_day_sql

# the tables that copy their client's owner
COPIES = ("contact", "significant_date")

OWNER_BIRTHDAY_INDEX = "ix_contact_owner_birthday"
OWNER_DATE_INDEX = "ix_significant_date_owner_day"


def trigger_names(dialect: str) -> list[str]:
    """The names of the triggers :func:`create_triggers` makes."""
    if dialect == "postgresql":
        return [*(f"trg_{t}_owner" for t in COPIES), "trg_client_owner"]
    names = []
    for table in COPIES:
        names += [f"trg_{table}_owner_insert", f"trg_{table}_owner_update"]
        names.append(f"trg_client_owner_{table}")
    return names


def create_triggers(execute: Any, dialect: str) -> None:
    """Make the triggers (``execute`` runs one statement: ``op.execute`` in a migration)."""
    for statement in _postgresql() if dialect == "postgresql" else _sqlite():
        execute(statement)


def drop_triggers(execute: Any, dialect: str) -> None:
    if dialect == "postgresql":
        for table in COPIES:
            execute(f"DROP TRIGGER IF EXISTS trg_{table}_owner ON {table}")
        execute("DROP TRIGGER IF EXISTS trg_client_owner ON client")
        execute("DROP FUNCTION IF EXISTS termcrm_owner_from_client()")
        execute("DROP FUNCTION IF EXISTS termcrm_client_owner_follows()")
        return
    for name in trigger_names(dialect):
        execute(f"DROP TRIGGER IF EXISTS {name}")


def fill(execute: Any) -> None:
    """Copy every row's owner from its client (once, when the column is added)."""
    for table in COPIES:
        execute(
            f"UPDATE {table} SET owner_id = "
            f"(SELECT owner_id FROM client WHERE client.id = {table}.client_id)"
        )


def index_sql(dialect: str) -> list[str]:
    """The indexes by owner and month-and-day: live birthdays, live company dates."""
    md = month_day_sql(dialect, "birthday")
    return [
        f"CREATE INDEX {OWNER_BIRTHDAY_INDEX} ON contact (owner_id, {md}, client_id) "
        "WHERE birthday IS NOT NULL AND deleted_at IS NULL",
        f"CREATE INDEX {OWNER_DATE_INDEX} ON significant_date (owner_id, month_day, client_id) "
        "WHERE deleted_at IS NULL",
    ]


def _sqlite() -> list[str]:
    out = []
    for table in COPIES:
        owner = "(SELECT owner_id FROM client WHERE client.id = NEW.client_id)"
        fix = f"UPDATE {table} SET owner_id = {owner} WHERE id = NEW.id;"
        out.append(
            f"CREATE TRIGGER trg_{table}_owner_insert AFTER INSERT ON {table} "
            f"WHEN NEW.owner_id IS NOT {owner} BEGIN {fix} END"
        )
        out.append(
            f"CREATE TRIGGER trg_{table}_owner_update AFTER UPDATE OF client_id, owner_id "
            f"ON {table} WHEN NEW.owner_id IS NOT {owner} BEGIN {fix} END"
        )
        out.append(
            f"CREATE TRIGGER trg_client_owner_{table} AFTER UPDATE OF owner_id ON client "
            "WHEN NEW.owner_id IS NOT OLD.owner_id BEGIN "
            f"UPDATE {table} SET owner_id = NEW.owner_id WHERE client_id = NEW.id; END"
        )
    return out


def _postgresql() -> list[str]:
    follows = " ".join(
        f"UPDATE {table} SET owner_id = NEW.owner_id "
        "WHERE client_id = NEW.id AND owner_id IS DISTINCT FROM NEW.owner_id;"
        for table in COPIES
    )
    out = [
        "CREATE OR REPLACE FUNCTION termcrm_owner_from_client() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        "NEW.owner_id := (SELECT owner_id FROM client WHERE client.id = NEW.client_id); "
        "RETURN NEW; END $$",
        "CREATE OR REPLACE FUNCTION termcrm_client_owner_follows() RETURNS trigger "
        f"LANGUAGE plpgsql AS $$ BEGIN {follows} RETURN NULL; END $$",
        "CREATE TRIGGER trg_client_owner AFTER UPDATE OF owner_id ON client FOR EACH ROW "
        "WHEN (OLD.owner_id IS DISTINCT FROM NEW.owner_id) "
        "EXECUTE FUNCTION termcrm_client_owner_follows()",
    ]
    for table in COPIES:
        out.append(
            f"CREATE TRIGGER trg_{table}_owner BEFORE INSERT OR UPDATE OF client_id, owner_id "
            f"ON {table} FOR EACH ROW EXECUTE FUNCTION termcrm_owner_from_client()"
        )
    return out


def owner_column() -> sa.Column[Any]:
    return sa.Column("owner_id", sa.Integer(), nullable=True)
