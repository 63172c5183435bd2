"""Pipelines, stages, deals and the stage history of each deal."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from termcrm.store.tables.base import Editable
from termcrm.store.types import Money, UTCDateTime, utcnow


class Pipeline(Editable, table=True):
    __tablename__ = "pipeline"

    name: str = Field(max_length=200)
    is_default: bool = Field(default=False)


class Stage(Editable, table=True):
    __tablename__ = "stage"

    pipeline_id: int = Field(foreign_key="pipeline.id", index=True)
    name: str = Field(max_length=200)
    position: int = Field(default=0)
    probability: int = Field(default=0)  # percent, 0..100
    outcome: str = Field(default="open", max_length=8)  # open | won | lost


class Deal(Editable, table=True):
    __tablename__ = "deal"
    __table_args__ = (
        sa.Index("ix_deal_client", "client_id"),
        sa.Index("ix_deal_owner_stage", "owner_id", "stage_id"),
    )

    title: str = Field(max_length=300)
    client_id: int = Field(foreign_key="client.id")
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    pipeline_id: int = Field(foreign_key="pipeline.id")
    stage_id: int = Field(foreign_key="stage.id", index=True)
    owner_id: int = Field(foreign_key="user_account.id")
    amount: Decimal = Field(default=Decimal("0.00"), sa_type=Money)
    currency: str = Field(default="RUB", max_length=3)
    expected_close: date | None = Field(default=None)
    source: str = Field(default="", max_length=100)
    competitor: str = Field(default="", max_length=200)
    lost_reason: str = Field(default="", max_length=500)
    description: str = Field(default="", sa_type=sa.Text)
    stage_changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DealStageChange(SQLModel, table=True):
    __tablename__ = "deal_stage_history"
    __table_args__ = (sa.Index("ix_deal_stage_history_deal", "deal_id", "changed_at"),)

    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(foreign_key="deal.id")
    from_stage_id: int | None = Field(default=None, foreign_key="stage.id")
    to_stage_id: int = Field(foreign_key="stage.id")
    changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    user_id: int | None = Field(default=None, foreign_key="user_account.id")
