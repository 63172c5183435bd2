"""Columns every editable table carries: id, timestamps, version, soft delete."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from termcrm.store.types import UTCDateTime, utcnow


class Editable(SQLModel):
    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(default=1, nullable=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
