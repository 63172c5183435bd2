"""The interaction journal: calls, meetings, emails, letters, visits and messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from termcrm.services.access import check_user_in_reach, department_subtree, visible_clients
from termcrm.services.actor import Actor
from termcrm.services.audit import plain, record
from termcrm.services.clients import require_visible_client
from termcrm.services.dto import InteractionOut, Page
from termcrm.services.errors import Invalid, NotFound
from termcrm.services.paging import check_limit, decode_cursor, encode_cursor, keyset
from termcrm.services.text import clean
from termcrm.store.tables import Client, Contact, Deal, Interaction, User, table
from termcrm.store.types import utcnow

interaction_t = table(Interaction)
client_t = table(Client)
contact_t = table(Contact)
deal_t = table(Deal)
user_t = table(User)

KINDS = ("call", "meeting", "email", "letter", "visit", "message")
DIRECTIONS = ("in", "out")


@dataclass(frozen=True, slots=True)
class JournalFilter:
    scope: str = "all"  # all | mine | department
    client_id: int | None = None
    contact_id: int | None = None
    deal_id: int | None = None
    user_id: int | None = None
    kind: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def check_links(
    s: Session, actor: Actor, client_id: int, contact_id: int | None, deal_id: int | None
) -> None:
    require_visible_client(s, actor, client_id)
    if contact_id is not None:
        owner = s.execute(
            sa.select(contact_t.c.client_id, contact_t.c.deleted_at).where(
                contact_t.c.id == contact_id
            )
        ).first()
        if owner is None or owner.deleted_at is not None:
            raise NotFound(f"contact {contact_id} does not exist")
        if owner.client_id != client_id:
            raise Invalid(
                {"contact": f"contact {contact_id} is not a contact of client {client_id}"}
            )
    if deal_id is not None:
        deal = s.execute(sa.select(deal_t.c.client_id).where(deal_t.c.id == deal_id)).first()
        if deal is None:
            raise NotFound(f"deal {deal_id} does not exist")
        if deal.client_id != client_id:
            raise Invalid({"deal": f"deal {deal_id} is not a deal of client {client_id}"})


def log_interaction(
    s: Session,
    actor: Actor,
    *,
    kind: str,
    client_id: int,
    contact_id: int | None = None,
    deal_id: int | None = None,
    direction: str = "out",
    occurred_at: datetime | None = None,
    purpose: str = "",
    result: str = "",
    user_id: int | None = None,
) -> InteractionOut:
    """Write one entry to the journal; the client's last interaction moves forward."""
    errors: dict[str, str] = {}
    if kind not in KINDS:
        errors["kind"] = f"must be one of {', '.join(KINDS)}"
    if direction not in DIRECTIONS:
        errors["direction"] = "must be 'in' or 'out'"
    when = occurred_at or utcnow()
    if when.tzinfo is None:
        errors["when"] = "give a time with its zone"
    elif when > utcnow() + timedelta(minutes=5):
        errors["when"] = "an interaction that already happened cannot be in the future; plan a task"
    if errors:
        raise Invalid(errors)
    check_links(s, actor, client_id, contact_id, deal_id)
    responsible = user_id if user_id is not None else actor.id
    check_user_in_reach(s, actor, responsible, "responsible user")
    now = utcnow()
    values = {
        "kind": kind,
        "direction": direction,
        "occurred_at": when,
        "purpose": clean(purpose),
        "result": clean(result),
        "user_id": responsible,
        "client_id": client_id,
        "contact_id": contact_id,
        "deal_id": deal_id,
    }
    new_id = s.execute(
        sa.insert(interaction_t)
        .values(**values, version=1, created_at=now, updated_at=now)
        .returning(interaction_t.c.id)
    ).scalar_one()
    s.execute(
        sa.update(client_t)
        .where(
            client_t.c.id == client_id,
            sa.or_(client_t.c.last_interaction_at.is_(None), client_t.c.last_interaction_at < when),
        )
        .values(last_interaction_at=when)
    )
    record(
        s,
        actor,
        action="create",
        entity="interaction",
        entity_id=new_id,
        client_id=client_id,
        version=1,
        changes={k: [None, plain(v)] for k, v in values.items() if v not in ("", None)},
    )
    return _page(s, actor, JournalFilter(), only_id=new_id).items[0]


def list_interactions(
    s: Session,
    actor: Actor,
    flt: JournalFilter | None = None,
    *,
    after: str | None = None,
    limit: int = 100,
) -> Page[InteractionOut]:
    """The journal, newest first."""
    check_limit(limit)
    return _page(s, actor, flt or JournalFilter(), after=after, limit=limit)


def _page(
    s: Session,
    actor: Actor,
    f: JournalFilter,
    *,
    after: str | None = None,
    limit: int = 100,
    only_id: int | None = None,
) -> Page[InteractionOut]:
    i = interaction_t.c
    conds: list[sa.ColumnElement[bool]] = [
        i.deleted_at.is_(None),
        visible_clients(actor),  # on the joined client
        client_t.c.deleted_at.is_(None),  # a client in the trash takes its journal with it
    ]
    if only_id is not None:
        conds.append(i.id == only_id)
    if f.scope == "mine":
        conds.append(i.user_id == actor.id)
    elif f.scope == "department":
        if actor.department_id is None:
            raise Invalid({"scope": "you belong to no department"})
        conds.append(
            i.user_id.in_(
                sa.select(user_t.c.id).where(
                    user_t.c.department_id.in_(department_subtree(actor.department_id))
                )
            )
        )
    elif f.scope != "all":
        raise Invalid({"scope": "must be one of all, mine, department"})
    if f.kind is not None and f.kind not in KINDS:
        raise Invalid({"kind": f"must be one of {', '.join(KINDS)}"})
    for column, value in (
        (i.client_id, f.client_id),
        (i.contact_id, f.contact_id),
        (i.deal_id, f.deal_id),
        (i.user_id, f.user_id),
        (i.kind, f.kind),
    ):
        if value is not None:
            conds.append(column == value)
    if f.since is not None:
        conds.append(i.occurred_at >= f.since)
    if f.until is not None:
        conds.append(i.occurred_at < f.until)
    columns = [i.occurred_at, i.id]
    if after:
        conds.append(
            keyset(columns, decode_cursor(after, [datetime, int], list_name="journal"), True)
        )
    q = (
        sa.select(
            interaction_t,
            client_t.c.name.label("client_name"),
            sa.func.coalesce(contact_t.c.full_name, "").label("contact_name"),
            sa.func.coalesce(sa.func.nullif(user_t.c.full_name, ""), user_t.c.login).label(
                "user_name"
            ),
        )
        .select_from(
            interaction_t.join(client_t, client_t.c.id == i.client_id)
            .join(user_t, user_t.c.id == i.user_id)
            .outerjoin(contact_t, contact_t.c.id == i.contact_id)
        )
        .where(*conds)
        .order_by(i.occurred_at.desc(), i.id.desc())
        .limit(limit + 1)
    )
    rows = s.execute(q).all()
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = (
        encode_cursor([rows[-1].occurred_at, rows[-1].id], list_name="journal")
        if more and rows
        else None
    )
    return Page(items=[_out(r) for r in rows], next_cursor=cursor)


def _out(r: Any) -> InteractionOut:
    return InteractionOut(
        id=r.id,
        kind=r.kind,
        direction=r.direction,
        occurred_at=r.occurred_at,
        purpose=r.purpose,
        result=r.result,
        user_id=r.user_id,
        user=r.user_name,
        client_id=r.client_id,
        client=r.client_name,
        contact_id=r.contact_id,
        contact=r.contact_name,
        deal_id=r.deal_id,
        version=r.version,
    )
