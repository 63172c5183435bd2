"""Errors a user can act on. Front ends show ``str(error)`` as one line."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from termcrm.i18n import N_, _, ngettext


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


# One whole sentence for each kind of record (and for each case of who changed it),
# so that a translation can agree with the record's noun; the kinds are the audit
# log's entity codes. A kind not listed falls back to naming the code itself.
_CHANGED_BY = {
    # TRANSLATORS: {changes} lists who changed the record, when and which fields,
    # one "{user} at {at} UTC ({fields})" each, separated by semicolons.
    "client": N_(
        "client {id} was changed since you opened version {version} by {changes}; "
        "nothing was saved. Reload and apply your edit again."
    ),
    "contact": N_(
        "contact {id} was changed since you opened version {version} by {changes}; "
        "nothing was saved. Reload and apply your edit again."
    ),
    "deal": N_(
        "deal {id} was changed since you opened version {version} by {changes}; "
        "nothing was saved. Reload and apply your edit again."
    ),
    "user": N_(
        "user {id} was changed since you opened version {version} by {changes}; "
        "nothing was saved. Reload and apply your edit again."
    ),
}
_CHANGED_ELSEWHERE = {
    "client": N_(
        "client {id} was changed since you opened version {version} by another session; "
        "nothing was saved. Reload and apply your edit again."
    ),
    "contact": N_(
        "contact {id} was changed since you opened version {version} by another session; "
        "nothing was saved. Reload and apply your edit again."
    ),
    "deal": N_(
        "deal {id} was changed since you opened version {version} by another session; "
        "nothing was saved. Reload and apply your edit again."
    ),
    "user": N_(
        "user {id} was changed since you opened version {version} by another session; "
        "nothing was saved. Reload and apply your edit again."
    ),
}
# TRANSLATORS: {entity} is a record kind as stored (client, task, ...), left untranslated.
_CHANGED_BY_OTHER = N_(
    "{entity} {id} was changed since you opened version {version} by {changes}; "
    "nothing was saved. Reload and apply your edit again."
)
# TRANSLATORS: {entity} is a record kind as stored (client, task, ...), left untranslated.
_CHANGED_ELSEWHERE_OTHER = N_(
    "{entity} {id} was changed since you opened version {version} by another session; "
    "nothing was saved. Reload and apply your edit again."
)
# an entry of a bulk edit's refusal: with who changed which fields, or without
_STALE_BY = {"client": N_("client {id} (by {users}: {fields})")}
_STALE = {"client": N_("client {id}")}
# TRANSLATORS: {entity} is a record kind as stored (client, task, ...), left untranslated.
_STALE_BY_OTHER = N_("{entity} {id} (by {users}: {fields})")
# TRANSLATORS: {entity} is a record kind as stored (client, task, ...), left untranslated.
_STALE_OTHER = N_("{entity} {id}")


def _change_text(change: ChangeBy) -> str:
    # TRANSLATORS: one change in a conflict message: who, when (always UTC, as
    # 2026-11-25 14:30) and the names of the fields changed, as stored.
    return _("{user} at {at} UTC ({fields})").format(
        user=change.user,
        at=f"{change.at:%Y-%m-%d %H:%M}",
        fields=", ".join(change.fields) or _("no fields"),
    )


class Conflict(CrmError):
    """The record changed since the version the caller based its edit on. Nothing was saved."""

    def __init__(self, entity: str, entity_id: int, base_version: int, changes: list[ChangeBy]):
        self.entity = entity
        self.entity_id = entity_id
        self.base_version = base_version
        self.changes = changes
        if changes:
            template = _CHANGED_BY.get(entity, _CHANGED_BY_OTHER)
        else:
            template = _CHANGED_ELSEWHERE.get(entity, _CHANGED_ELSEWHERE_OTHER)
        super().__init__(
            _(template).format(
                entity=entity,
                id=entity_id,
                version=base_version,
                changes="; ".join(_change_text(c) for c in changes),
            )
        )

    @property
    def fields(self) -> set[str]:
        return {f for c in self.changes for f in c.fields}


def _stale_text(conflict: Conflict) -> str:
    if conflict.changes:
        template = _STALE_BY.get(conflict.entity, _STALE_BY_OTHER)
    else:
        template = _STALE.get(conflict.entity, _STALE_OTHER)
    return _(template).format(
        entity=conflict.entity,
        id=conflict.entity_id,
        users=", ".join(sorted({x.user for x in conflict.changes})),
        fields=", ".join(sorted(conflict.fields)),
    )


class BulkConflict(CrmError):
    """Some records of a bulk edit changed since they were loaded; nothing was saved."""

    def __init__(self, total: int, conflicts: list[Conflict]) -> None:
        self.conflicts = conflicts
        super().__init__(
            # TRANSLATORS: the plural follows {total}; {listed} is a list of records.
            ngettext(
                "{count} of {total} records changed since you loaded them: {listed}; "
                "nothing was saved",
                "{count} of {total} records changed since you loaded them: {listed}; "
                "nothing was saved",
                total,
            ).format(
                count=len(conflicts),
                total=total,
                listed="; ".join(_stale_text(c) for c in conflicts),
            )
        )
