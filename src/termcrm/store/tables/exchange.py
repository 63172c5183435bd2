"""Imports (each run, for the list, resume and undo) and saved segments (named list filters)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from termcrm.store.tables.base import Editable
from termcrm.store.types import UTCDateTime, json_type, utcnow


class ImportRun(SQLModel, table=True):
    """One run of `termcrm import` (or the wizard); its audit entries carry its id."""

    __tablename__ = "import_run"
    __table_args__ = (sa.Index("ix_import_run_file", "file_hash", "entity", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    entity: str = Field(max_length=16)  # clients | contacts | interactions | deals
    file_name: str = Field(max_length=500)
    file_hash: str = Field(max_length=64)  # sha256 of the file: --resume finds its run by it
    user_id: int | None = Field(default=None, foreign_key="user_account.id")
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    undone_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: str = Field(default="running", max_length=16)  # running | done | undone
    # the options that shape the result (mapping, on-duplicate, batch size)
    options: dict[str, Any] = Field(default_factory=dict, sa_type=json_type())
    rows_total: int = Field(default=0)
    rows_done: int = Field(default=0)  # source rows handled and committed (resume starts after)
    created: int = Field(default=0)
    updated: int = Field(default=0)
    skipped: int = Field(default=0)
    rejected: int = Field(default=0)


class ImportReject(SQLModel, table=True):
    """A row an import refused, and why: a resumed run's rejects file lists them all."""

    __tablename__ = "import_reject"

    run_id: int = Field(foreign_key="import_run.id", primary_key=True)
    row: int = Field(primary_key=True)  # the row number in the file
    reason: str = Field(sa_type=sa.Text)


class Segment(Editable, table=True):
    """A saved list filter: a name for a client filter and a search text."""

    __tablename__ = "segment"
    __table_args__ = (sa.UniqueConstraint("owner_id", "entity", "name"),)

    owner_id: int = Field(foreign_key="user_account.id")
    entity: str = Field(default="client", max_length=16)
    name: str = Field(max_length=100)
    filters: dict[str, Any] = Field(default_factory=dict, sa_type=json_type())
    search: str = Field(default="", max_length=300)
    shared: bool = Field(default=False)  # visible to everybody who may see the same lists
