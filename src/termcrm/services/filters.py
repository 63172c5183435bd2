"""What a list asks for: filters, as plain data that front ends hold.

Kept apart from the list services (which import the database stack), so that a
screen can hold a filter without importing SQLAlchemy before its first frame.
"""

from __future__ import annotations

from dataclasses import dataclass

SCOPES = ("all", "mine", "department")


@dataclass(frozen=True, slots=True)
class ClientFilter:
    scope: str = "all"  # all (everything the actor may see) | mine | department
    owner_id: int | None = None
    group: str | None = None
    status: str | None = None
    territory: str | None = None
    city: str | None = None
    tag: str | None = None
    parent_id: int | None = None
    custom: tuple[tuple[str, str], ...] = ()  # (key, value) pairs, all must match
    deleted: bool = False  # True lists the trash
