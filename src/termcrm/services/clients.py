"""Clients: create, read, update, soft delete and restore, with access, audit and versions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from termcrm.i18n import N_, _
from termcrm.services import contact_points as cp
from termcrm.services import custom_fields, search_index
from termcrm.services.access import check_user_in_reach, explain_client_refusal, visible_clients
from termcrm.services.actor import REP, Actor
from termcrm.services.audit import check_version, diff, plain, record, versioned_update
from termcrm.services.dto import ClientOut, CustomFieldOut
from termcrm.services.errors import BulkConflict, Conflict, Forbidden, Invalid, NotFound
from termcrm.services.text import clean, fold
from termcrm.services.validation import FieldError, length_errors, normalise_tax_id
from termcrm.store.tables import Client, ClientTag, Department, User, table
from termcrm.store.types import utcnow

client_t = table(Client)
tag_t = table(ClientTag)
user_t = table(User)
dept_t = table(Department)

KINDS = ("company", "person")
STATUSES = ("lead", "prospect", "new", "active", "loyal", "lapsed", "lost")
TEXT_FIELDS = (
    "name",
    "legal_name",
    "group",
    "industry",
    "territory",
    "city",
    "source",
    "website",
    "bank_details",
    "business_info",
)
FIELDS = (
    *TEXT_FIELDS,
    "kind",
    "tax_id",
    "status",
    "owner_id",
    "parent_id",
    "custom",
    "tags",
    "phones",
    "emails",
    "addresses",
)
COLUMN = {"group": "client_group"}
MULTILINE = ("bank_details", "business_info")
# the longest text each field's column holds
LIMITS = {f: getattr(client_t.c[COLUMN.get(f, f)].type, "length", None) for f in TEXT_FIELDS}


def _column(field: str) -> str:
    return COLUMN.get(field, field)


def _visible_row(
    s: Session, actor: Actor, client_id: int, *, deleted: bool | None = False
) -> sa.Row[Any]:
    """The client row if this actor may see it; NotFound / Forbidden with the reason if not."""
    q = sa.select(client_t).where(client_t.c.id == client_id, visible_clients(actor))
    row = s.execute(q).first()
    if row is None:
        raise explain_client_refusal(s, actor, client_id)
    if deleted is False and row.deleted_at is not None:
        raise NotFound(
            _(
                "client {id} is in the trash: restore it first (the app's Trash, "
                "or `termcrm client restore {id}`)"
            ).format(id=client_id)
        )
    if deleted is True and row.deleted_at is None:
        raise Invalid({"id": _("client {id} is not in the trash").format(id=client_id)})
    return row


def _current_values(s: Session, row: sa.Row[Any]) -> dict[str, Any]:
    """The client's editable fields in the same shape callers send them."""
    values = {
        f: getattr(row, _column(f))
        for f in (*TEXT_FIELDS, "kind", "tax_id", "status", "owner_id", "parent_id", "custom")
    }
    values["tags"] = _tags(s, row.id)
    phones = cp.phones_of(s, client_ids=[row.id]).get(("client", row.id), [])
    values["phones"] = [p.raw for p in phones]
    emails = cp.emails_of(s, client_ids=[row.id]).get(("client", row.id), [])
    values["emails"] = [e.address for e in emails]
    values["addresses"] = [
        {
            "kind": a.kind,
            "country": a.country,
            "postcode": a.postcode,
            "city": a.city,
            "line": a.line,
        }
        for a in cp.addresses_of(s, row.id)
    ]
    return values


def _tags(s: Session, client_id: int) -> list[str]:
    return list(
        s.execute(
            sa.select(tag_t.c.tag).where(tag_t.c.client_id == client_id).order_by(tag_t.c.tag)
        ).scalars()
    )


class Lookups:
    """Answers about other rows that validating a client needs, each asked once."""

    def __init__(self, s: Session, actor: Actor) -> None:
        self._s = s
        self._actor = actor
        self._fields: list[CustomFieldOut] | None = None
        self._owners: dict[int, int | None] = {}

    def fields(self) -> list[CustomFieldOut]:
        if self._fields is None:
            self._fields = custom_fields.list_fields(self._s, "client")
        return self._fields

    def owner_department(self, owner_id: int) -> int | None:
        """The department of a user who may own the actor's clients; Invalid/Forbidden if none."""
        if owner_id not in self._owners:
            owner = self._s.execute(
                sa.select(user_t.c.id, user_t.c.department_id, user_t.c.active).where(
                    user_t.c.id == owner_id
                )
            ).first()
            if owner is None or not owner.active:
                raise Invalid(
                    {
                        "owner_id": _("user {id} does not exist or is deactivated").format(
                            id=owner_id
                        )
                    }
                )
            check_user_in_reach(self._s, self._actor, owner_id, N_("owner"))
            self._owners[owner_id] = owner.department_id
        return self._owners[owner_id]


def _check_parent(s: Session, actor: Actor, client_id: int | None, parent_id: int) -> None:
    _visible_row(s, actor, parent_id)
    seen: set[int] = set()
    current: int | None = parent_id
    while current is not None:
        if current == client_id or current in seen:
            raise Invalid(
                {"parent_id": _("a client cannot be a branch of itself or of its own branch")}
            )
        seen.add(current)
        current = s.execute(
            sa.select(client_t.c.parent_id).where(client_t.c.id == current)
        ).scalar_one_or_none()


def _validate(
    s: Session,
    actor: Actor,
    data: Mapping[str, Any],
    *,
    current: Mapping[str, Any] | None,
    client_id: int | None,
    lookups: Lookups | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Check and normalise fields; return (column values, collections to replace).

    ``lookups`` answers the questions about other rows (custom field definitions,
    owners); a bulk caller passes one object for all its rows, so each is asked once.
    """
    lookups = lookups or Lookups(s, actor)
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise Invalid({f: _("no such client field") for f in sorted(unknown)})
    errors: dict[str, str] = {}
    columns: dict[str, Any] = {}
    collections: dict[str, Any] = {}
    for field in TEXT_FIELDS:
        if field in data:
            value = data[field]
            if field in MULTILINE:
                columns[field] = "\n".join(clean(line) for line in str(value or "").splitlines())
            else:
                columns[field] = clean(value)
    errors.update(length_errors(columns, LIMITS))
    if "name" in columns and not columns["name"]:
        errors["name"] = _("a client needs a name")
    if current is None and not columns.get("name"):
        errors["name"] = _("a client needs a name")
    if "kind" in data:
        if data["kind"] not in KINDS:
            # TRANSLATORS: {choices} lists the values allowed, as stored (left untranslated).
            errors["kind"] = _("must be one of {choices}").format(choices=", ".join(KINDS))
        columns["kind"] = data["kind"]
    if "status" in data:
        if data["status"] not in STATUSES:
            errors["status"] = _("must be one of {choices}").format(choices=", ".join(STATUSES))
        columns["status"] = data["status"]
    if "tax_id" in data:
        try:
            columns["tax_id"] = normalise_tax_id(data["tax_id"] or "")
        except FieldError as exc:
            errors["tax_id"] = str(exc)
    if "website" in columns and columns["website"] and " " in columns["website"]:
        errors["website"] = _("a web address has no spaces")
    if "tags" in data:
        tags = sorted({clean(t) for t in data["tags"] if clean(t)})
        if any(len(t) > 64 for t in tags):
            errors["tags"] = _("a tag has at most 64 characters")
        collections["tags"] = tags
    for field, parse in (
        ("phones", lambda v: cp.parse_phones(v, actor.phone_region)),
        ("emails", cp.parse_emails),
        ("addresses", cp.parse_addresses),
    ):
        if field in data:
            try:
                collections[field] = parse(data[field] or [])
            except Invalid as exc:
                errors.update(exc.errors)
    if "custom" in data:
        try:
            columns["custom"] = custom_fields.check_values(
                lookups.fields(), data["custom"] or {}, base=(current or {}).get("custom")
            )
        except Invalid as exc:
            errors.update(exc.errors)
    elif current is None:
        try:
            columns["custom"] = custom_fields.check_values(lookups.fields(), {})
        except Invalid as exc:
            errors.update(exc.errors)
    if errors:
        raise Invalid(errors)
    if "owner_id" in data and data["owner_id"] is not None:
        owner_id = int(data["owner_id"])
        if current is not None and owner_id != current.get("owner_id") and actor.role == REP:
            raise Forbidden(_("reps cannot hand a client to somebody else; ask your manager"))
        columns["owner_id"] = owner_id
        columns["department_id"] = lookups.owner_department(owner_id)
    if "parent_id" in data:
        if data["parent_id"] is not None:
            _check_parent(s, actor, client_id, int(data["parent_id"]))
        columns["parent_id"] = data["parent_id"]
    if "name" in columns:
        columns["name_key"] = fold(columns["name"])
    return columns, collections


def _write_collections(s: Session, client_id: int, collections: Mapping[str, Any]) -> None:
    if "tags" in collections:
        s.execute(sa.delete(tag_t).where(tag_t.c.client_id == client_id))
        if collections["tags"]:
            s.execute(
                sa.insert(tag_t), [{"client_id": client_id, "tag": t} for t in collections["tags"]]
            )
    if "phones" in collections:
        cp.replace_phones(s, collections["phones"], client_id=client_id)
    if "emails" in collections:
        cp.replace_emails(s, collections["emails"], client_id=client_id)
    if "addresses" in collections:
        cp.replace_addresses(s, collections["addresses"], client_id=client_id)


def _audit_values(columns: Mapping[str, Any], collections: Mapping[str, Any]) -> dict[str, Any]:
    """Field -> value in the shape shown in history (phones as typed, emails as given)."""
    values = {f: v for f, v in columns.items() if f not in ("name_key", "department_id")}
    for field, value in collections.items():
        if field == "phones":
            values[field] = [p.raw for p in value]
        elif field == "emails":
            values[field] = [a for a, _ in value]
        else:
            values[field] = value
    return values


def create_client(s: Session, actor: Actor, data: Mapping[str, Any]) -> ClientOut:
    """Create a client; a rep always owns what they create, others default to themselves."""
    data = dict(data)
    data.setdefault("owner_id", actor.id)
    if actor.role == REP and data["owner_id"] != actor.id:
        raise Forbidden(_("reps create clients for themselves; ask your manager to assign others"))
    columns, collections = _validate(s, actor, data, current=None, client_id=None)
    now = utcnow()
    defaults = {"kind": "company", "status": "lead", "tax_id": "", "custom": {}}
    values = {**defaults, **{f: "" for f in TEXT_FIELDS}, **columns}
    values = {_column(k): v for k, v in values.items()}
    client_id = s.execute(
        sa.insert(client_t)
        .values(**values, version=1, created_at=now, updated_at=now, search_body="")
        .returning(client_t.c.id)
    ).scalar_one()
    _write_collections(s, client_id, collections)
    search_index.refresh(s, client_id)
    audit_values = _audit_values(columns, collections)
    record(
        s,
        actor,
        action="create",
        entity="client",
        entity_id=client_id,
        client_id=client_id,
        version=1,
        changes={
            k: [None, plain(v)] for k, v in audit_values.items() if v not in ("", [], {}, None)
        },
    )
    return get_client(s, actor, client_id)


def update_client(
    s: Session, actor: Actor, client_id: int, *, version: int, changes: Mapping[str, Any]
) -> ClientOut:
    """Apply ``changes`` to the client as it was at ``version``; Conflict if it moved on."""
    row = _visible_row(s, actor, client_id)
    check_version(s, "client", client_id, version, row.version)
    current = _current_values(s, row)
    columns, collections = _validate(s, actor, changes, current=current, client_id=client_id)
    audit_changes = diff(current, _audit_values(columns, collections))
    if not audit_changes:
        return get_client(s, actor, client_id)
    changed_columns = {
        _column(k): v
        for k, v in columns.items()
        if k in audit_changes or k in ("name_key", "department_id")
    }
    versioned_update(
        s,
        actor,
        client_t,
        entity="client",
        entity_id=client_id,
        base_version=version,
        values=changed_columns,
        audit_changes=audit_changes,
        client_id=client_id,
    )
    _write_collections(s, client_id, {k: v for k, v in collections.items() if k in audit_changes})
    search_index.refresh(s, client_id)
    return get_client(s, actor, client_id)


def delete_client(
    s: Session, actor: Actor, client_id: int, *, version: int | None = None
) -> ClientOut:
    """Move a client to the trash (soft delete). Its branches keep their own records."""
    row = _visible_row(s, actor, client_id)
    base = row.version if version is None else version
    now = utcnow()
    versioned_update(
        s,
        actor,
        client_t,
        entity="client",
        entity_id=client_id,
        base_version=base,
        values={"deleted_at": now},
        audit_changes={"deleted_at": [None, plain(now)]},
        client_id=client_id,
        action="delete",
    )
    return get_client(s, actor, client_id, include_deleted=True)


def restore_client(s: Session, actor: Actor, client_id: int) -> ClientOut:
    row = _visible_row(s, actor, client_id, deleted=True)
    versioned_update(
        s,
        actor,
        client_t,
        entity="client",
        entity_id=client_id,
        base_version=row.version,
        values={"deleted_at": None},
        audit_changes={"deleted_at": [plain(row.deleted_at), None]},
        client_id=client_id,
        action="restore",
    )
    return get_client(s, actor, client_id)


def get_client(
    s: Session, actor: Actor, client_id: int, *, include_deleted: bool = False
) -> ClientOut:
    row = _visible_row(s, actor, client_id, deleted=None if include_deleted else False)
    names = s.execute(
        sa.select(user_t.c.full_name, user_t.c.login, dept_t.c.name.label("dept"))
        .select_from(
            client_t.outerjoin(user_t, user_t.c.id == client_t.c.owner_id).outerjoin(
                dept_t, dept_t.c.id == client_t.c.department_id
            )
        )
        .where(client_t.c.id == client_id)
    ).one()
    phones = cp.phones_of(s, client_ids=[client_id]).get(("client", client_id), [])
    emails = cp.emails_of(s, client_ids=[client_id]).get(("client", client_id), [])
    return ClientOut(
        id=row.id,
        kind=row.kind,
        name=row.name,
        legal_name=row.legal_name,
        tax_id=row.tax_id,
        group=row.client_group,
        status=row.status,
        industry=row.industry,
        territory=row.territory,
        city=row.city,
        source=row.source,
        website=row.website,
        bank_details=row.bank_details,
        business_info=row.business_info,
        owner_id=row.owner_id,
        owner=names.full_name or names.login or "",
        department_id=row.department_id,
        department=names.dept or "",
        parent_id=row.parent_id,
        custom=dict(row.custom or {}),
        tags=_tags(s, client_id),
        phones=phones,
        emails=emails,
        addresses=cp.addresses_of(s, client_id),
        last_interaction_at=row.last_interaction_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
        deleted_at=row.deleted_at,
        version=row.version,
    )


def live_client(client_id: sa.ColumnElement[int | None]) -> sa.ColumnElement[bool]:
    """The same filter as ``client.deleted_at IS NULL`` over the joined client, for a
    query that needs nothing else of the client (a count of tasks, of birthdays): no
    client or none in the trash. It reads the few trashed ids once (ix_client_trash)
    instead of a client row per counted row."""
    trashed = sa.select(client_t.c.id).where(client_t.c.deleted_at.is_not(None))
    return sa.or_(client_id.is_(None), client_id.not_in(trashed))


def require_visible_client(s: Session, actor: Actor, client_id: int) -> sa.Row[Any]:
    """For other services: the live client row, or the refusal with its reason."""
    return _visible_row(s, actor, client_id)


@dataclass(frozen=True, slots=True)
class ClientEdit:
    """One edit of a bulk update: the version it was based on and the fields to change."""

    client_id: int
    version: int
    changes: Mapping[str, Any]


def update_clients(s: Session, actor: Actor, edits: Sequence[ClientEdit]) -> list[ClientOut]:
    """Apply many edits all or nothing, each with its own version check.

    If any client moved on since its edit's version, BulkConflict lists every such
    client (who changed which fields) and the caller's transaction is rolled back,
    so nothing of the batch is saved. Access and validation errors abort likewise.
    """
    done: list[ClientOut] = []
    stale: list[Conflict] = []
    for edit in edits:
        try:
            done.append(
                update_client(s, actor, edit.client_id, version=edit.version, changes=edit.changes)
            )
        except Conflict as exc:
            stale.append(exc)
    if stale:
        raise BulkConflict(len(edits), stale)
    return done
