"""The interaction journal: calls, meetings, emails, letters, visits and messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from termcrm.i18n import _
from termcrm.services.access import check_user_in_reach, department_subtree, visible_clients
from termcrm.services.actor import Actor
from termcrm.services.audit import plain, record
from termcrm.services.clients import require_visible_client
from termcrm.services.dto import InteractionOut, Page, TaskOut
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
            raise NotFound(_("contact {id} does not exist").format(id=contact_id))
        if owner.client_id != client_id:
            raise Invalid(
                {
                    "contact": _("contact {id} is not a contact of client {client}").format(
                        id=contact_id, client=client_id
                    )
                }
            )
    if deal_id is not None:
        deal = s.execute(sa.select(deal_t.c.client_id).where(deal_t.c.id == deal_id)).first()
        if deal is None:
            raise NotFound(_("deal {id} does not exist").format(id=deal_id))
        if deal.client_id != client_id:
            raise Invalid(
                {
                    "deal": _("deal {id} is not a deal of client {client}").format(
                        id=deal_id, client=client_id
                    )
                }
            )


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


def filter_conditions(actor: Actor, f: JournalFilter) -> list[sa.ColumnElement[bool]]:
    """The SQL conditions of a journal list: the actor's access and the filter.

    For a query over ``interaction`` joined with its ``client``.
    """
    i = interaction_t.c
    conds: list[sa.ColumnElement[bool]] = [
        i.deleted_at.is_(None),
        visible_clients(actor),  # on the joined client
        client_t.c.deleted_at.is_(None),  # a client in the trash takes its journal with it
    ]
    if f.scope == "mine":
        conds.append(i.user_id == actor.id)
    elif f.scope == "department":
        if actor.department_id is None:
            raise Invalid({"scope": _("you belong to no department")})
        conds.append(
            i.user_id.in_(
                sa.select(user_t.c.id).where(
                    user_t.c.department_id.in_(department_subtree(actor.department_id))
                )
            )
        )
    elif f.scope != "all":
        raise Invalid(
            {"scope": _("must be one of {choices}").format(choices="all, mine, department")}
        )
    if f.kind is not None and f.kind not in KINDS:
        raise Invalid({"kind": _("must be one of {choices}").format(choices=", ".join(KINDS))})
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
    return conds


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
    conds = filter_conditions(actor, f)
    if only_id is not None:
        conds.append(i.id == only_id)
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


@dataclass(frozen=True, slots=True)
class NextStep:
    """A follow-up to plan while logging: a task for the user who logs."""

    title: str
    due_at: datetime
    kind: str = "call"
    notes: str = ""


@dataclass(frozen=True, slots=True)
class Logged:
    """What ``log_with_next_step`` wrote: the journal entry and the task, if one was asked."""

    interaction: InteractionOut
    task: TaskOut | None


def log_with_next_step(
    s: Session,
    actor: Actor,
    *,
    kind: str,
    client_id: int,
    contact_id: int | None = None,
    direction: str = "out",
    occurred_at: datetime | None = None,
    purpose: str = "",
    result: str = "",
    next_step: NextStep | None = None,
    deal_id: int | None = None,
) -> Logged:
    """Log an interaction and plan its next step (a task for the actor) in one transaction.

    ``deal_id``: the deal both are about (a deal of ``client_id``).
    Errors of both parts come back together in one ``Invalid``; the next step's
    fields are named ``next_title``, ``next_due`` and ``next_kind``. Either both
    are written or neither (the caller's transaction rolls back on any error).
    """
    from termcrm.services import tasks  # tasks imports this module

    errors: dict[str, str] = {}
    if next_step is not None:
        if not clean(next_step.title):
            errors["next_title"] = "a next step needs a title"
        if next_step.kind not in tasks.KINDS:
            errors["next_kind"] = f"must be one of {', '.join(tasks.KINDS)}"
        moment = occurred_at or utcnow()
        if next_step.due_at.tzinfo is None:
            errors["next_due"] = "give a time with its zone"
        elif moment.tzinfo is not None and next_step.due_at < moment:
            errors["next_due"] = "the next step comes after the interaction"
    try:
        entry = log_interaction(
            s,
            actor,
            kind=kind,
            client_id=client_id,
            contact_id=contact_id,
            deal_id=deal_id,
            direction=direction,
            occurred_at=occurred_at,
            purpose=purpose,
            result=result,
        )
    except Invalid as exc:
        raise Invalid({**exc.errors, **errors}) from exc
    if errors:
        raise Invalid(errors)
    if next_step is None:
        return Logged(entry, None)
    try:
        task = tasks.add_task(
            s,
            actor,
            title=next_step.title,
            due_at=next_step.due_at,
            kind=next_step.kind,
            client_id=client_id,
            contact_id=contact_id,
            deal_id=deal_id,
            notes=next_step.notes,
        )
    except Invalid as exc:
        raise Invalid({f"next_{k}": v for k, v in exc.errors.items()}) from exc
    return Logged(entry, task)
