"""the client's owner copied onto contacts and company dates

``contact.owner_id`` and ``significant_date.owner_id`` hold the owner of their client,
kept by triggers (see store/owners.py), and are indexed with the month and day: a
rep's birthdays and company dates of a month are found from the rep's own index
entries instead of from everyone's.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 02:00:00
"""

from __future__ import annotations

from alembic import op

from termcrm.store import owners

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in owners.COPIES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(owners.owner_column())
    owners.fill(op.execute)
    for statement in owners.index_sql(dialect):
        op.execute(statement)
    owners.create_triggers(op.execute, dialect)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    owners.drop_triggers(op.execute, dialect)
    op.execute(f"DROP INDEX {owners.OWNER_DATE_INDEX}")
    op.execute(f"DROP INDEX {owners.OWNER_BIRTHDAY_INDEX}")
    for table in owners.COPIES:
        # not in batch mode: recreating contact on SQLite would lose its expression
        # index (ix_contact_birthday_day), which cannot be reflected
        op.execute(f"ALTER TABLE {table} DROP COLUMN owner_id")
