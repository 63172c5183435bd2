"""Clients, their tags, contact persons, addresses, phones, emails, custom fields."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from termcrm.store.tables.base import Editable
from termcrm.store.types import UTCDateTime, json_type


def _live(name: str, *columns: str) -> sa.Index:
    """An index of live clients only (not in the trash)."""
    where = sa.text("deleted_at IS NULL")
    return sa.Index(name, *columns, sqlite_where=where, postgresql_where=where)


class Client(Editable, table=True):
    __tablename__ = "client"
    __table_args__ = (
        # the card file's lists: keyset pages over (filter, sort column, id) of live
        # clients; partial indexes, so counting and anchoring never read a trashed row
        _live("ix_client_owner_name", "owner_id", "name_key", "id"),
        _live("ix_client_department_name", "department_id", "name_key", "id"),
        _live("ix_client_name_key", "name_key", "id"),
        _live("ix_client_group_id", "client_group", "id"),
        _live("ix_client_status_id", "status", "id"),
        _live("ix_client_city_id", "city", "id"),
        _live("ix_client_territory_id", "territory", "id"),
        # new clients per owner in a period (the activity report, 0008)
        _live("ix_client_owner_created", "owner_id", "created_at"),
        sa.Index("ix_client_tax_id", "tax_id"),
        # the trash, newest deletion first
        sa.Index(
            "ix_client_trash",
            "updated_at",
            "id",
            sqlite_where=sa.text("deleted_at IS NOT NULL"),
            postgresql_where=sa.text("deleted_at IS NOT NULL"),
        ),
    )

    kind: str = Field(default="company", max_length=16)  # company | person
    name: str = Field(max_length=300)
    # casefolded NFC name: sorting and the short-query prefix search
    name_key: str = Field(max_length=300)
    legal_name: str = Field(default="", max_length=500)
    tax_id: str = Field(default="", max_length=32)
    group: str = Field(default="", max_length=64, sa_column_kwargs={"name": "client_group"})
    status: str = Field(default="lead", max_length=16)
    industry: str = Field(default="", max_length=100)
    territory: str = Field(default="", max_length=100)
    city: str = Field(default="", max_length=100)
    source: str = Field(default="", max_length=100)
    website: str = Field(default="", max_length=300)
    bank_details: str = Field(default="", sa_type=sa.Text)
    business_info: str = Field(default="", sa_type=sa.Text)
    owner_id: int | None = Field(default=None, foreign_key="user_account.id")
    department_id: int | None = Field(default=None, foreign_key="department.id")
    parent_id: int | None = Field(default=None, foreign_key="client.id", index=True)
    custom: dict[str, Any] = Field(default_factory=dict, sa_type=json_type())
    last_interaction_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # casefolded text over names, tax id, city, emails, phone digits and contact
    # names; indexed by FTS5 (SQLite) or pg_trgm (PostgreSQL)
    search_body: str = Field(default="", sa_type=sa.Text)


class ClientTag(SQLModel, table=True):
    __tablename__ = "client_tag"
    __table_args__ = (sa.Index("ix_client_tag_tag", "tag", "client_id"),)

    client_id: int = Field(foreign_key="client.id", primary_key=True)
    tag: str = Field(max_length=64, primary_key=True)


class Contact(Editable, table=True):
    __tablename__ = "contact"
    # the contacts section lists everyone by name, keyset over (full_name, id)
    __table_args__ = (sa.Index("ix_contact_name", "full_name", "id"),)

    client_id: int = Field(foreign_key="client.id", index=True)
    full_name: str = Field(max_length=300)
    position: str = Field(default="", max_length=200)
    birthday: date | None = Field(default=None)
    # the birthday reminder comes this many days before (0: on the day)
    birthday_remind_days: int = Field(default=3, sa_column_kwargs={"server_default": "3"})
    # the client's owner, kept by triggers (store/owners.py): a rep's birthdays by day
    owner_id: int | None = Field(default=None)
    character_notes: str = Field(default="", sa_type=sa.Text)
    notes: str = Field(default="", sa_type=sa.Text)


class Address(Editable, table=True):
    __tablename__ = "address"

    client_id: int | None = Field(default=None, foreign_key="client.id", index=True)
    contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True)
    kind: str = Field(default="actual", max_length=16)  # legal | actual | postal | delivery
    country: str = Field(default="", max_length=2)
    postcode: str = Field(default="", max_length=16)
    city: str = Field(default="", max_length=100)
    line: str = Field(default="", max_length=500)


class Phone(Editable, table=True):
    __tablename__ = "phone"
    __table_args__ = (sa.Index("ix_phone_digits", "digits"),)

    client_id: int | None = Field(default=None, foreign_key="client.id", index=True)
    contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True)
    kind: str = Field(default="work", max_length=16)
    raw: str = Field(max_length=64)
    e164: str = Field(default="", max_length=20)
    digits: str = Field(default="", max_length=20)
    extension: str = Field(default="", max_length=10)


class Email(Editable, table=True):
    __tablename__ = "email"
    __table_args__ = (sa.Index("ix_email_normalized", "normalized"),)

    client_id: int | None = Field(default=None, foreign_key="client.id", index=True)
    contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True)
    kind: str = Field(default="work", max_length=16)
    address: str = Field(max_length=320)
    normalized: str = Field(max_length=320)


class CustomField(Editable, table=True):
    __tablename__ = "custom_field"
    __table_args__ = (sa.UniqueConstraint("entity", "key"),)

    entity: str = Field(default="client", max_length=32)
    key: str = Field(max_length=64)
    label: str = Field(default="", max_length=200)
    kind: str = Field(max_length=16)  # number | text | date | choice
    choices: list[str] = Field(default_factory=list, sa_type=json_type())
    required: bool = Field(default=False)
