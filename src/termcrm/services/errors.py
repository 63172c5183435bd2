"""Errors a user can act on. Front ends show ``str(error)`` as one line."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime


class CrmError(Exception):
    """Base of every error caused by the user's request rather than by a bug."""


class NotFound(CrmError):
    pass


class Forbidden(CrmError):
    pass


class Invalid(CrmError):
    """One or more fields failed validation; ``errors`` maps field to message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{field}: {msg}" for field, msg in self.errors.items()))


class UnknownUser(CrmError):
    pass


@dataclass(frozen=True)
class ChangeBy:
    """One change made by somebody else since the version a user started from."""

    user: str
    at: datetime
    version: int
    fields: tuple[str, ...]


class Conflict(CrmError):
    """The record changed since the version the caller based its edit on. Nothing was saved."""

    def __init__(self, entity: str, entity_id: int, base_version: int, changes: list[ChangeBy]):
        self.entity = entity
        self.entity_id = entity_id
        self.base_version = base_version
        self.changes = changes
        if changes:
            parts = [
                f"{c.user} at {c.at:%Y-%m-%d %H:%M} UTC ({', '.join(c.fields) or 'no fields'})"
                for c in changes
            ]
            who = "; ".join(parts)
        else:
            who = "another session"
        super().__init__(
            f"{entity} {entity_id} was changed since you opened version {base_version} "
            f"by {who}; nothing was saved. Reload and apply your edit again."
        )

    @property
    def fields(self) -> set[str]:
        return {f for c in self.changes for f in c.fields}


class BulkConflict(CrmError):
    """Some records of a bulk edit changed since they were loaded; nothing was saved."""

    def __init__(self, total: int, conflicts: list[Conflict]) -> None:
        self.conflicts = conflicts
        listed = "; ".join(
            f"{c.entity} {c.entity_id}"
            + (
                f" (by {', '.join(sorted({x.user for x in c.changes}))}: "
                f"{', '.join(sorted(c.fields))})"
                if c.changes
                else ""
            )
            for c in conflicts
        )
        super().__init__(
            f"{len(conflicts)} of {total} records changed since you loaded them: {listed}; "
            "nothing was saved"
        )
