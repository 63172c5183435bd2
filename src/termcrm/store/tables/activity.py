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
        sa.Index("ix_interaction_user_when", "user_id", "occurred_at"),
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
        sa.Index("ix_task_assignee_status_due", "assignee_id", "status", "due_at"),
        sa.Index("ix_task_client", "client_id"),
        # every task by due time (the planner, exports), keyset over (due, id)
        sa.Index("ix_task_due", "due_at", "id"),
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
