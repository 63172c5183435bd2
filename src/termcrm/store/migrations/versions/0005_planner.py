"""planner: durations, reminders and repeating tasks; significant dates

Tasks get a duration, a reminder (minutes before the due time), an RFC 5545 rule
with the start and time zone it is expanded from, a link to the series a done
occurrence belongs to, a cancel reason, the journal entry their completion wrote
and the UID of the calendar event they were imported from. Contacts get the
number of days before their birthday to remind. New table significant_date holds
the company dates of clients. Birthdays are found by month and day through an
index on that expression (see store/dates.py). The user's task index
(ix_task_assignee_status_due) gains the columns the planner's counts filter on, so
they read the index alone.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 22:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from termcrm.store.dates import BIRTHDAY_INDEX, birthday_index_sql
from termcrm.store.types import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ASSIGNEE_INDEX = ["assignee_id", "status", "due_at"]  # ix_task_assignee_status_due of 0001
COVERED = ["series_start", "deleted_at", "client_id"]  # what 0005 adds to it


def upgrade() -> None:
    with op.batch_alter_table("task") as batch_op:
        batch_op.add_column(sa.Column("duration_min", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("remind_before_min", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("rrule", sa.String(length=500), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("series_start", UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("series_tz", sa.String(length=64), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("series_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("cancel_reason", sa.Text(), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("interaction_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("ical_uid", sa.String(length=255), nullable=False, server_default="")
        )
        batch_op.create_foreign_key("fk_task_series_id_task", "task", ["series_id"], ["id"])
        batch_op.create_foreign_key(
            "fk_task_interaction_id_interaction", "interaction", ["interaction_id"], ["id"]
        )
    op.create_index("ix_task_series_id", "task", ["series_id"])
    op.create_index("ix_task_ical_uid", "task", ["ical_uid"])
    where = sa.text("series_start IS NOT NULL")
    op.create_index(
        "ix_task_series",
        "task",
        ["assignee_id", "status", "due_at"],
        sqlite_where=where,
        postgresql_where=where,
    )
    op.create_index(
        "ix_task_series_due",
        "task",
        ["status", "due_at"],
        sqlite_where=where,
        postgresql_where=where,
    )
    # the planner's counts read the user's index alone (see store/tables/activity.py)
    op.drop_index("ix_task_assignee_status_due", table_name="task")
    op.create_index("ix_task_assignee_status_due", "task", [*ASSIGNEE_INDEX, *COVERED])
    with op.batch_alter_table("contact") as batch_op:
        batch_op.add_column(
            sa.Column("birthday_remind_days", sa.Integer(), nullable=False, server_default="3")
        )
    op.execute(birthday_index_sql(op.get_bind().dialect.name))
    op.create_table(
        "significant_date",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("deleted_at", UTCDateTime(), nullable=True),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("month_day", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("remind_days", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"]),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_significant_date_client_id", "significant_date", ["client_id"])
    op.create_index("ix_significant_date_contact_id", "significant_date", ["contact_id"])
    live = sa.text("deleted_at IS NULL")
    op.create_index(
        "ix_significant_date_day",
        "significant_date",
        ["month_day", "client_id"],
        sqlite_where=live,
        postgresql_where=live,
    )


def downgrade() -> None:
    op.drop_table("significant_date")
    op.execute(f"DROP INDEX {BIRTHDAY_INDEX}")
    with op.batch_alter_table("contact") as batch_op:
        batch_op.drop_column("birthday_remind_days")
    op.drop_index("ix_task_assignee_status_due", table_name="task")
    op.create_index("ix_task_assignee_status_due", "task", ASSIGNEE_INDEX)
    op.drop_index("ix_task_series_due", table_name="task")
    op.drop_index("ix_task_series", table_name="task")
    op.drop_index("ix_task_ical_uid", table_name="task")
    op.drop_index("ix_task_series_id", table_name="task")
    with op.batch_alter_table("task") as batch_op:
        batch_op.drop_constraint("fk_task_interaction_id_interaction", type_="foreignkey")
        batch_op.drop_constraint("fk_task_series_id_task", type_="foreignkey")
        for name in (
            "ical_uid",
            "interaction_id",
            "cancel_reason",
            "series_id",
            "series_tz",
            "series_start",
            "rrule",
            "remind_before_min",
            "duration_min",
        ):
            batch_op.drop_column(name)
