"""The interaction journal and the planner's tasks."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field

from termcrm.store.tables.base import Editable
from termcrm.store.types import UTCDateTime


class Interaction(Editable, table=True):
    __tablename__ = "interaction"
    __table_args__ = (
        sa.Index("ix_interaction_client_when", "client_id", "occurred_at"),
        # a user's journal; wide enough for the activity report to read it alone (0008)
        sa.Index(
            "ix_interaction_user_when", "user_id", "occurred_at", "kind", "client_id", "deleted_at"
        ),
        # the whole journal newest first (the journal section, exports), keyset over (when, id)
        sa.Index("ix_interaction_when", "occurred_at", "id"),
    )

    kind: str = Field(max_length=16)  # call | meeting | email | letter | visit | message
    direction: str = Field(default="out", max_length=8)  # in | out
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    purpose: str = Field(default="", sa_type=sa.Text)
    result: str = Field(default="", sa_type=sa.Text)
    user_id: int = Field(foreign_key="user_account.id")
    client_id: int = Field(foreign_key="client.id")
    contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True)
    deal_id: int | None = Field(default=None, foreign_key="deal.id", index=True)


class Task(Editable, table=True):
    __tablename__ = "task"
    __table_args__ = (
        # a user's tasks by status and due time; the trailing columns let the planner's
        # counts (overdue, a month's calendar) read this index alone, no task row
        sa.Index(
            "ix_task_assignee_status_due",
            "assignee_id",
            "status",
            "due_at",
            "series_start",
            "deleted_at",
            "client_id",
        ),
        sa.Index("ix_task_client", "client_id"),
        # every task by due time (the planner, exports), keyset over (due, id)
        sa.Index("ix_task_due", "due_at", "id"),
        # the open repeating tasks of a user: few rows, read whole by every agenda. It has
        # the status too, or SQLite prefers ix_task_assignee_status_due (as many equality
        # columns) and reads every open task of the user to find the few series
        sa.Index(
            "ix_task_series",
            "assignee_id",
            "status",
            "due_at",
            sqlite_where=sa.text("series_start IS NOT NULL"),
            postgresql_where=sa.text("series_start IS NOT NULL"),
        ),
        # the open repeating tasks of everyone (a team's planner, the team plan): without
        # it SQLite reads every task due before the end of the period (ix_task_due)
        sa.Index(
            "ix_task_series_due",
            "status",
            "due_at",
            sqlite_where=sa.text("series_start IS NOT NULL"),
            postgresql_where=sa.text("series_start IS NOT NULL"),
        ),
        # a calendar event imported before (planner import skips it)
        sa.Index("ix_task_ical_uid", "ical_uid"),
    )

    title: str = Field(max_length=300)
    kind: str = Field(default="call", max_length=16)  # call | meeting | visit | letter | other
    due_at: datetime = Field(sa_type=UTCDateTime)
    assignee_id: int = Field(foreign_key="user_account.id")
    author_id: int = Field(foreign_key="user_account.id")
    status: str = Field(default="open", max_length=16)  # open | done | cancelled
    notes: str = Field(default="", sa_type=sa.Text)
    client_id: int | None = Field(default=None, foreign_key="client.id")
    contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True)
    deal_id: int | None = Field(default=None, foreign_key="deal.id", index=True)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    duration_min: int | None = Field(default=None)
    # the reminder comes this many minutes before the due time (None: no reminder)
    remind_before_min: int | None = Field(default=None)
    # a repeating task: an RFC 5545 RRULE, expanded from series_start in series_tz (so
    # "every Monday 10:00" stays 10:00 local across DST); due_at is its next pending
    # occurrence. Done or cancelled occurrences are recorded as rows with series_id.
    rrule: str = Field(default="", max_length=500, sa_column_kwargs={"server_default": ""})
    series_start: datetime | None = Field(default=None, sa_type=UTCDateTime)
    series_tz: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})
    series_id: int | None = Field(default=None, foreign_key="task.id", index=True)
    cancel_reason: str = Field(default="", sa_type=sa.Text, sa_column_kwargs={"server_default": ""})
    # the journal entry written when the task was done
    interaction_id: int | None = Field(default=None, foreign_key="interaction.id")
    # the UID of the calendar event it was imported from
    ical_uid: str = Field(default="", max_length=255, sa_column_kwargs={"server_default": ""})


class SignificantDate(Editable, table=True):
    """A date of a client's company (foundation day, professional holiday, contract
    anniversary) or of a contact person (other than the birthday, kept on the contact)
    that comes back every year."""

    __tablename__ = "significant_date"
    __table_args__ = (
        # the live dates by month and day, with the client to check before reading a row
        sa.Index(
            "ix_significant_date_day",
            "month_day",
            "client_id",
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        ),
        # a rep's live dates by month and day (owner_id: store/owners.py)
        sa.Index(
            "ix_significant_date_owner_day",
            "owner_id",
            "month_day",
            "client_id",
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        ),
    )

    client_id: int = Field(foreign_key="client.id", index=True)
    contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True)
    kind: str = Field(max_length=16)  # foundation | holiday | contract | other
    title: str = Field(max_length=200)
    month: int
    day: int
    month_day: int  # month * 100 + day, what the agenda looks up
    year: int | None = Field(default=None)  # the first one, when known: "25 years"
    remind_days: int = Field(default=3)
    # the client's owner, kept by triggers (store/owners.py): a rep's dates by day
    owner_id: int | None = Field(default=None)
