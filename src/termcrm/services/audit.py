"""Audit entries and versioned writes.

Every change goes through :func:`versioned_update` (or :func:`record` for a
create), so the audit entry is written in the same transaction as the change
and a stale version never overwrites anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from termcrm.i18n import _
from termcrm.services.actor import Actor
from termcrm.services.errors import ChangeBy, Conflict
from termcrm.store.tables import AuditEntry, User, table
from termcrm.store.types import utcnow

audit_t = table(AuditEntry)
# Session.info key: while an import runs, the audit entries of its session carry its id
IMPORT_ID = "termcrm.import_id"
user_t = table(User)


def plain(value: Any) -> Any:
    """A JSON-safe form of a field value for the audit log."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [plain(v) for v in value]
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Fields of ``new`` whose value differs from ``old``: field -> [old, new]."""
    return {
        name: [plain(old.get(name)), plain(value)]
        for name, value in new.items()
        if plain(old.get(name)) != plain(value)
    }


def record(
    s: Session,
    actor: Actor | None,
    *,
    action: str,
    entity: str,
    entity_id: int,
    client_id: int | None,
    version: int,
    changes: Mapping[str, list[Any]],
) -> None:
    s.execute(
        sa.insert(audit_t).values(
            at=utcnow(),
            user_id=actor.id if actor else None,
            action=action,
            entity=entity,
            entity_id=entity_id,
            client_id=client_id,
            version=version,
            changes=dict(changes),
            import_id=s.info.get(IMPORT_ID),
        )
    )


def changes_since(s: Session, entity: str, entity_id: int, version: int) -> list[ChangeBy]:
    rows = s.execute(
        sa.select(
            audit_t.c.at, audit_t.c.version, audit_t.c.changes, user_t.c.full_name, user_t.c.login
        )
        .select_from(audit_t.outerjoin(user_t, user_t.c.id == audit_t.c.user_id))
        .where(
            audit_t.c.entity == entity,
            audit_t.c.entity_id == entity_id,
            audit_t.c.version > version,
        )
        .order_by(audit_t.c.id)
    ).all()
    return [
        ChangeBy(
            # TRANSLATORS: shown as the author of a change made by no user (a migration, say).
            user=r.full_name or r.login or _("system"),
            at=r.at,
            version=r.version,
            fields=tuple(sorted((r.changes or {}).keys())),
        )
        for r in rows
    ]


def versioned_update(
    s: Session,
    actor: Actor,
    table: sa.Table,
    *,
    entity: str,
    entity_id: int,
    base_version: int,
    values: Mapping[str, Any],
    audit_changes: Mapping[str, list[Any]],
    client_id: int | None,
    action: str = "update",
) -> int:
    """Apply ``values`` if the row is still at ``base_version``; return the new version.

    The check is part of the UPDATE itself, so it holds under any isolation
    level and between processes. A stale version raises :class:`Conflict`
    naming who changed what since, and writes nothing.
    """
    new_version = base_version + 1
    result = s.execute(
        sa.update(table)
        .where(table.c.id == entity_id, table.c.version == base_version)
        .values(**values, version=new_version, updated_at=utcnow())
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(
            entity, entity_id, base_version, changes_since(s, entity, entity_id, base_version)
        )
    record(
        s,
        actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        client_id=client_id,
        version=new_version,
        changes=audit_changes,
    )
    return new_version


def check_version(s: Session, entity: str, entity_id: int, base: int, current: int) -> None:
    if base != current:
        raise Conflict(entity, entity_id, base, changes_since(s, entity, entity_id, base))
