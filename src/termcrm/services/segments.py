"""Saved segments: a name for a client list filter and a search text, per user.

A segment belongs to the user who saved it; shared, every user sees it in their
list and can use it. Using a segment never widens what anyone sees: its filter
is applied with the access rule of whoever uses it (a rep using the director's
"Moscow, active" segment gets their own Moscow, active clients).

Saving under a name the user already has replaces that segment (a new version,
audited like every write); deleting is soft, and saving the name again revives it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from termcrm.i18n import _
from termcrm.services.actor import Actor
from termcrm.services.audit import check_version, diff, plain, record, versioned_update
from termcrm.services.errors import Forbidden, Invalid, NotFound
from termcrm.services.filters import SCOPES, ClientFilter
from termcrm.services.text import clean
from termcrm.store.tables import Segment, User, table
from termcrm.store.types import utcnow

segment_t = table(Segment)
user_t = table(User)

ENTITY = "client"  # segments are client lists (contacts exports use them too)
MAX_NAME = 100
MAX_SEARCH = 300
# the fields of a ClientFilter a segment keeps (a segment never lists the trash)
_KEPT = tuple(f.name for f in fields(ClientFilter) if f.name != "deleted")


@dataclass(frozen=True, slots=True)
class SegmentOut:
    id: int
    name: str
    owner_id: int
    owner: str  # the owner's login
    filter: ClientFilter
    search: str
    shared: bool
    version: int
    updated_at: datetime


def filter_to_json(flt: ClientFilter) -> dict[str, Any]:
    """The filter's non-default fields, as stored in ``segment.filters``."""
    default = ClientFilter()
    out: dict[str, Any] = {}
    for name in _KEPT:
        value = getattr(flt, name)
        if value != getattr(default, name):
            out[name] = [list(pair) for pair in value] if name == "custom" else value
    return out


def filter_from_json(data: dict[str, Any]) -> ClientFilter:
    values: dict[str, Any] = {k: v for k, v in (data or {}).items() if k in _KEPT}
    if "custom" in values:
        values["custom"] = tuple((str(k), str(v)) for k, v in values["custom"])
    return ClientFilter(**values)


def _out(r: Any) -> SegmentOut:
    return SegmentOut(
        id=r.id,
        name=r.name,
        owner_id=r.owner_id,
        owner=r.login,
        filter=filter_from_json(r.filters),
        search=r.search,
        shared=bool(r.shared),
        version=r.version,
        updated_at=r.updated_at,
    )


def _select() -> sa.Select[Any]:
    return (
        sa.select(segment_t, user_t.c.login)
        .select_from(segment_t.join(user_t, user_t.c.id == segment_t.c.owner_id))
        .where(segment_t.c.entity == ENTITY)
    )


def _validate(name: str, flt: ClientFilter, search: str) -> tuple[str, str]:
    errors: dict[str, str] = {}
    name = clean(name)
    search = clean(search)
    if not name:
        errors["name"] = _("a segment needs a name")
    elif len(name) > MAX_NAME:
        errors["name"] = _("a segment name has at most {n} characters").format(n=MAX_NAME)
    if len(search) > MAX_SEARCH:
        errors["search"] = _("a search text has at most {n} characters").format(n=MAX_SEARCH)
    if flt.scope not in SCOPES:
        errors["scope"] = _("must be one of {choices}").format(choices=", ".join(SCOPES))
    if flt.deleted:
        errors["scope"] = _("a segment cannot list the trash")
    if errors:
        raise Invalid(errors)
    return name, search


def save_segment(
    s: Session,
    actor: Actor,
    name: str,
    flt: ClientFilter,
    *,
    search: str = "",
    shared: bool = False,
    version: int | None = None,
) -> SegmentOut:
    """Create the actor's segment ``name``, or replace it (``version``: the one you saw;
    refused with a Conflict if it changed since; None replaces whatever is there)."""
    name, search = _validate(name, flt, search)
    values: dict[str, Any] = {
        "filters": filter_to_json(flt),
        "search": search,
        "shared": shared,
    }
    row = s.execute(
        sa.select(segment_t).where(
            segment_t.c.owner_id == actor.id,
            segment_t.c.entity == ENTITY,
            segment_t.c.name == name,
        )
    ).first()
    if row is None:
        now = utcnow()
        new_id = s.execute(
            sa.insert(segment_t)
            .values(
                **values,
                owner_id=actor.id,
                entity=ENTITY,
                name=name,
                version=1,
                created_at=now,
                updated_at=now,
            )
            .returning(segment_t.c.id)
        ).scalar_one()
        record(
            s,
            actor,
            action="create",
            entity="segment",
            entity_id=new_id,
            client_id=None,
            version=1,
            changes={"name": [None, name], **{k: [None, plain(v)] for k, v in values.items()}},
        )
        return _get_id(s, new_id)
    base = row.version if version is None else version
    check_version(s, "segment", row.id, base, row.version)
    old = {"filters": row.filters or {}, "search": row.search, "shared": bool(row.shared)}
    changes = diff(old, values)
    update = dict(values)
    if row.deleted_at is not None:
        update["deleted_at"] = None
        changes["deleted_at"] = [plain(row.deleted_at), None]
    if not changes:
        return _get_id(s, row.id)
    versioned_update(
        s,
        actor,
        segment_t,
        entity="segment",
        entity_id=row.id,
        base_version=base,
        values=update,
        audit_changes=changes,
        client_id=None,
    )
    return _get_id(s, row.id)


def _get_id(s: Session, segment_id: int) -> SegmentOut:
    return _out(s.execute(_select().where(segment_t.c.id == segment_id)).one())


def list_segments(s: Session, actor: Actor) -> list[SegmentOut]:
    """The actor's own segments, then those others share, each by name."""
    rows = s.execute(
        _select()
        .where(
            segment_t.c.deleted_at.is_(None),
            sa.or_(segment_t.c.owner_id == actor.id, segment_t.c.shared.is_(True)),
        )
        .order_by(segment_t.c.owner_id != actor.id, segment_t.c.name, user_t.c.login)
    ).all()
    return [_out(r) for r in rows]


def get_segment(s: Session, actor: Actor, name: str) -> SegmentOut:
    """A segment by name: the actor's own first, else one somebody shares.

    When several users share a segment of that name, give it as ``login/name``.
    """
    name = clean(name)
    live = _select().where(segment_t.c.deleted_at.is_(None))
    own = s.execute(live.where(segment_t.c.owner_id == actor.id, segment_t.c.name == name)).first()
    if own is not None:
        return _out(own)
    shared = s.execute(
        live.where(segment_t.c.shared.is_(True), segment_t.c.name == name).order_by(user_t.c.login)
    ).all()
    if len(shared) == 1:
        return _out(shared[0])
    if len(shared) > 1:
        raise Invalid(
            {
                "segment": _(
                    "several users share a segment '{name}'; give one as {choices}"
                ).format(name=name, choices=", ".join(f"{r.login}/{name}" for r in shared))
            }
        )
    login, sep, rest = name.partition("/")
    if sep and rest:
        found = s.execute(
            live.where(user_t.c.login == login, segment_t.c.name == clean(rest))
        ).first()
        if found is not None and (found.shared or found.owner_id == actor.id or actor.is_admin):
            return _out(found)
    raise NotFound(_("no segment '{name}' (see `termcrm segment list`)").format(name=name))


def delete_segment(s: Session, actor: Actor, name: str) -> None:
    """Delete one of the actor's segments (an admin may delete anyone's as ``login/name``)."""
    segment = get_segment(s, actor, name)
    if segment.owner_id != actor.id and not actor.is_admin:
        raise Forbidden(
            _("segment '{name}' belongs to {owner}: only its owner can delete it").format(
                name=segment.name, owner=segment.owner
            )
        )
    now = utcnow()
    versioned_update(
        s,
        actor,
        segment_t,
        entity="segment",
        entity_id=segment.id,
        base_version=segment.version,
        values={"deleted_at": now},
        audit_changes={"deleted_at": [None, plain(now)]},
        client_id=None,
        action="delete",
    )
