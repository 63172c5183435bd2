"""Departments (a tree) and users."""

from __future__ import annotations

from sqlmodel import Field

from termcrm.store.tables.base import Editable


class Department(Editable, table=True):
    __tablename__ = "department"

    name: str = Field(max_length=200)
    parent_id: int | None = Field(default=None, foreign_key="department.id", index=True)


class User(Editable, table=True):
    __tablename__ = "user_account"

    login: str = Field(max_length=64, unique=True)
    full_name: str = Field(default="", max_length=200)
    role: str = Field(max_length=16)  # rep | manager | director | admin
    department_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    active: bool = Field(default=True)
