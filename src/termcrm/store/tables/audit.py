"""The audit log: who changed what, when, field by field."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from termcrm.store.types import UTCDateTime, json_type, utcnow


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_log"
    __table_args__ = (
        sa.Index("ix_audit_entity", "entity", "entity_id", "id"),
        sa.Index("ix_audit_client", "client_id", "id"),
        sa.Index("ix_audit_import", "import_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    user_id: int | None = Field(default=None, foreign_key="user_account.id")
    action: str = Field(max_length=16)  # create | update | delete | restore
    entity: str = Field(max_length=32)
    entity_id: int
    # the client the record belongs to: history and access filters use it
    client_id: int | None = Field(default=None)
    version: int = Field(default=1)
    changes: dict[str, Any] = Field(default_factory=dict, sa_type=json_type())
    # the import that made this change (undo finds its changes by it)
    import_id: int | None = Field(default=None)
