"""Contact persons of clients."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from termcrm.i18n import _
from termcrm.services import contact_points as cp
from termcrm.services import search_index
from termcrm.services.access import visible_clients
from termcrm.services.actor import Actor
from termcrm.services.audit import check_version, diff, plain, record, versioned_update
from termcrm.services.clients import require_visible_client
from termcrm.services.dto import ContactOut, Page
from termcrm.services.errors import Invalid, NotFound
from termcrm.services.paging import check_limit, decode_cursor, encode_cursor, keyset
from termcrm.services.text import clean, fold, search_words
from termcrm.services.validation import length_errors
from termcrm.store import search as store_search
from termcrm.store.tables import Client, Contact, table
from termcrm.store.types import utcnow

contact_t = table(Contact)
client_t = table(Client)
TEXT_FIELDS = ("full_name", "position", "character_notes", "notes")
FIELDS = (*TEXT_FIELDS, "birthday", "birthday_remind_days", "phones", "emails")
# the longest text each field's column holds
LIMITS = {f: getattr(contact_t.c[f].type, "length", None) for f in TEXT_FIELDS}
# rows read at a time while matching names against a text filter
TEXT_SCAN_BATCH = 500


def _validate(
    actor: Actor, data: Mapping[str, Any], *, creating: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise Invalid({f: _("no such contact field") for f in sorted(unknown)})
    errors: dict[str, str] = {}
    columns: dict[str, Any] = {}
    collections: dict[str, Any] = {}
    for field in TEXT_FIELDS:
        if field in data:
            if field in ("character_notes", "notes"):
                columns[field] = "\n".join(clean(x) for x in str(data[field] or "").splitlines())
            else:
                columns[field] = clean(data[field])
    errors.update(length_errors(columns, LIMITS))
    if ("full_name" in columns or creating) and not columns.get("full_name"):
        errors["full_name"] = _("a contact person needs a name")
    if "birthday" in data:
        value = data["birthday"]
        if value in (None, ""):
            columns["birthday"] = None
        elif isinstance(value, date):
            columns["birthday"] = value
        else:
            try:
                columns["birthday"] = date.fromisoformat(str(value))
            except ValueError:
                errors["birthday"] = _("'{value}' is not a date (use YYYY-MM-DD)").format(
                    value=value
                )
        bday = columns.get("birthday")
        if bday is not None and bday > date.today():
            errors["birthday"] = _("a birthday cannot be in the future")
    if "birthday_remind_days" in data:
        days = data["birthday_remind_days"]
        if isinstance(days, str) and days.strip().isdigit():
            days = int(days)
        if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= 30:
            errors["birthday_remind_days"] = _("remind from 0 to 30 days before")
        else:
            columns["birthday_remind_days"] = days
    if "phones" in data:
        try:
            collections["phones"] = cp.parse_phones(data["phones"] or [], actor.phone_region)
        except Invalid as exc:
            errors.update(exc.errors)
    if "emails" in data:
        try:
            collections["emails"] = cp.parse_emails(data["emails"] or [])
        except Invalid as exc:
            errors.update(exc.errors)
    if errors:
        raise Invalid(errors)
    return columns, collections


def _audit_values(columns: Mapping[str, Any], collections: Mapping[str, Any]) -> dict[str, Any]:
    values = dict(columns)
    if "phones" in collections:
        values["phones"] = [p.raw for p in collections["phones"]]
    if "emails" in collections:
        values["emails"] = [a for a, _ in collections["emails"]]
    return values


def _write_collections(
    s: Session, contact_id: int, client_id: int, collections: Mapping[str, Any]
) -> None:
    if "phones" in collections:
        cp.replace_phones(s, collections["phones"], client_id=client_id, contact_id=contact_id)
    if "emails" in collections:
        cp.replace_emails(s, collections["emails"], client_id=client_id, contact_id=contact_id)


def _visible_row(
    s: Session, actor: Actor, contact_id: int, *, deleted: bool | None = False
) -> sa.Row[Any]:
    row = s.execute(sa.select(contact_t).where(contact_t.c.id == contact_id)).first()
    if row is None:
        raise NotFound(_("contact {id} does not exist").format(id=contact_id))
    require_visible_client(s, actor, row.client_id)
    if deleted is False and row.deleted_at is not None:
        raise NotFound(_("contact {id} was deleted").format(id=contact_id))
    return row


def create_contact(s: Session, actor: Actor, client_id: int, data: Mapping[str, Any]) -> ContactOut:
    require_visible_client(s, actor, client_id)
    columns, collections = _validate(actor, data, creating=True)
    now = utcnow()
    values = {**{f: "" for f in TEXT_FIELDS}, "birthday": None, **columns}
    contact_id = s.execute(
        sa.insert(contact_t)
        .values(**values, client_id=client_id, version=1, created_at=now, updated_at=now)
        .returning(contact_t.c.id)
    ).scalar_one()
    _write_collections(s, contact_id, client_id, collections)
    search_index.refresh(s, client_id)
    audit_values = _audit_values(columns, collections)
    record(
        s,
        actor,
        action="create",
        entity="contact",
        entity_id=contact_id,
        client_id=client_id,
        version=1,
        changes={k: [None, plain(v)] for k, v in audit_values.items() if v not in ("", [], None)},
    )
    return get_contact(s, actor, contact_id)


def update_contact(
    s: Session, actor: Actor, contact_id: int, *, version: int, changes: Mapping[str, Any]
) -> ContactOut:
    row = _visible_row(s, actor, contact_id)
    check_version(s, "contact", contact_id, version, row.version)
    columns, collections = _validate(actor, changes, creating=False)
    current = get_contact(s, actor, contact_id)
    current_values = {
        f: getattr(current, f) for f in (*TEXT_FIELDS, "birthday", "birthday_remind_days")
    }
    current_values["phones"] = [p.raw for p in current.phones]
    current_values["emails"] = [e.address for e in current.emails]
    audit_changes = diff(current_values, _audit_values(columns, collections))
    if not audit_changes:
        return current
    versioned_update(
        s,
        actor,
        contact_t,
        entity="contact",
        entity_id=contact_id,
        base_version=version,
        values={k: v for k, v in columns.items() if k in audit_changes},
        audit_changes=audit_changes,
        client_id=row.client_id,
    )
    _write_collections(
        s, contact_id, row.client_id, {k: v for k, v in collections.items() if k in audit_changes}
    )
    search_index.refresh(s, row.client_id)
    return get_contact(s, actor, contact_id)


def delete_contact(s: Session, actor: Actor, contact_id: int) -> None:
    row = _visible_row(s, actor, contact_id)
    now = utcnow()
    versioned_update(
        s,
        actor,
        contact_t,
        entity="contact",
        entity_id=contact_id,
        base_version=row.version,
        values={"deleted_at": now},
        audit_changes={"deleted_at": [None, plain(now)]},
        client_id=row.client_id,
        action="delete",
    )
    search_index.refresh(s, row.client_id)


def get_contact(s: Session, actor: Actor, contact_id: int) -> ContactOut:
    row = _visible_row(s, actor, contact_id, deleted=None)
    return _outs(s, [row])[0]


def _outs(s: Session, rows: list[Any]) -> list[ContactOut]:
    if not rows:
        return []
    ids = [r.id for r in rows]
    phones = cp.phones_of(s, contact_ids=ids)
    emails = cp.emails_of(s, contact_ids=ids)
    names_q = sa.select(client_t.c.id, client_t.c.name).where(
        client_t.c.id.in_({r.client_id for r in rows})
    )
    client_names: dict[int, str] = {r.id: r.name for r in s.execute(names_q)}
    return [
        ContactOut(
            id=r.id,
            client_id=r.client_id,
            client=client_names.get(r.client_id, ""),
            full_name=r.full_name,
            position=r.position,
            birthday=r.birthday,
            birthday_remind_days=r.birthday_remind_days,
            character_notes=r.character_notes,
            notes=r.notes,
            phones=phones.get(("contact", r.id), []),
            emails=emails.get(("contact", r.id), []),
            deleted_at=r.deleted_at,
            version=r.version,
        )
        for r in rows
    ]


def list_contacts(
    s: Session,
    actor: Actor,
    *,
    client_id: int | None = None,
    text: str | None = None,
    after: str | None = None,
    limit: int = 100,
) -> Page[ContactOut]:
    """Contact persons the actor may see, by name; of one client when ``client_id`` is given.

    With ``text``, only those whose name contains every word of it, casefolded
    ("иван" finds "ИВАНОВ Иван"). The clients' search text (which holds their
    contacts' names, casefolded) narrows the rows read; the names are then
    matched here, so that case folds the same way on every database.
    """
    check_limit(limit)
    if client_id is not None:
        require_visible_client(s, actor, client_id)
    words = search_words(text or "")
    clients_q = sa.select(client_t.c.id).where(
        visible_clients(actor), client_t.c.deleted_at.is_(None)
    )
    if words:
        long_words = [w for w in words if len(w) >= store_search.MIN_TRIGRAM]
        if long_words:
            dialect = s.get_bind().dialect.name
            hits = store_search.matching_ids(dialect, long_words).order_by(None)
            clients_q = clients_q.where(client_t.c.id.in_(hits))
        clients_q = clients_q.where(
            *[
                client_t.c.search_body.contains(w, autoescape=True)
                for w in words
                if len(w) < store_search.MIN_TRIGRAM
            ]
        )
    conds: list[sa.ColumnElement[bool]] = [contact_t.c.deleted_at.is_(None)]
    if client_id is not None:
        conds.append(contact_t.c.client_id == client_id)
        if words:
            conds.append(contact_t.c.client_id.in_(clients_q))
    else:
        conds.append(contact_t.c.client_id.in_(clients_q))
    columns = [contact_t.c.full_name, contact_t.c.id]
    position = decode_cursor(after, [str, int], list_name="contacts") if after else None
    rows: list[Any] = []
    batch = max(limit + 1, TEXT_SCAN_BATCH) if words else limit + 1
    while True:
        page_conds = list(conds)
        if position is not None:
            page_conds.append(keyset(columns, position, False))
        got = s.execute(
            sa.select(contact_t).where(*page_conds).order_by(*columns).limit(batch)
        ).all()
        if not words:
            rows = list(got)
            break
        for r in got:
            name = fold(r.full_name)
            if all(w in name for w in words):
                rows.append(r)
                if len(rows) > limit:
                    break
        if len(rows) > limit or len(got) < batch:
            break
        position = [got[-1].full_name, got[-1].id]
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = (
        encode_cursor([rows[-1].full_name, rows[-1].id], list_name="contacts")
        if more and rows
        else None
    )
    return Page(items=_outs(s, rows), next_cursor=cursor)


def count_contacts(s: Session, actor: Actor, *, client_id: int | None = None) -> int:
    """How many contact persons :func:`list_contacts` lists without a text filter."""
    if client_id is not None:
        require_visible_client(s, actor, client_id)
        where = contact_t.c.client_id == client_id
    else:
        where = contact_t.c.client_id.in_(
            sa.select(client_t.c.id).where(visible_clients(actor), client_t.c.deleted_at.is_(None))
        )
    q = (
        sa.select(sa.func.count())
        .select_from(contact_t)
        .where(where, contact_t.c.deleted_at.is_(None))
    )
    return int(s.execute(q).scalar_one())
