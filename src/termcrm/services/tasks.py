"""Tasks of the planner: what, when, who, about which client, contact or deal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from termcrm.i18n import N_, _
from termcrm.services.access import check_user_in_reach, visible_users
from termcrm.services.actor import MANAGER, Actor
from termcrm.services.audit import plain, record
from termcrm.services.clients import require_visible_client
from termcrm.services.dto import Page, TaskOut
from termcrm.services.errors import Forbidden, Invalid, NotFound
from termcrm.services.journal import check_links
from termcrm.services.paging import check_limit, decode_cursor, encode_cursor, keyset
from termcrm.services.text import clean
from termcrm.store.tables import Client, Contact, Deal, Task, User, table
from termcrm.store.types import utcnow

task_t = table(Task)
client_t = table(Client)
contact_t = table(Contact)
deal_t = table(Deal)
user_t = table(User)

KINDS = ("call", "meeting", "visit", "letter", "email", "other")
STATUSES = ("open", "done", "cancelled")


@dataclass(frozen=True, slots=True)
class TaskFilter:
    assignee_id: int | None = None
    status: str | None = "open"
    client_id: int | None = None
    due_before: datetime | None = None
    due_after: datetime | None = None


def add_task(
    s: Session,
    actor: Actor,
    *,
    title: str,
    due_at: datetime,
    kind: str = "call",
    assignee_id: int | None = None,
    client_id: int | None = None,
    contact_id: int | None = None,
    deal_id: int | None = None,
    notes: str = "",
) -> TaskOut:
    errors: dict[str, str] = {}
    title = clean(title)
    if not title:
        errors["title"] = _("a task needs a title")
    if kind not in KINDS:
        errors["kind"] = _("must be one of {choices}").format(choices=", ".join(KINDS))
    if due_at.tzinfo is None:
        errors["due"] = _("give a time with its zone")
    if (contact_id is not None or deal_id is not None) and client_id is None:
        errors["client"] = _("a task about a contact or a deal names its client too")
    if errors:
        raise Invalid(errors)
    if client_id is not None:
        check_links(s, actor, client_id, contact_id, deal_id)
    assignee = assignee_id if assignee_id is not None else actor.id
    row = s.execute(sa.select(user_t.c.active).where(user_t.c.id == assignee)).first()
    if row is None or not row.active:
        raise Invalid(
            {"assignee": _("user {id} does not exist or is deactivated").format(id=assignee)}
        )
    check_user_in_reach(s, actor, assignee, N_("assignee"))
    now = utcnow()
    values = {
        "title": title,
        "kind": kind,
        "due_at": due_at,
        "assignee_id": assignee,
        "author_id": actor.id,
        "status": "open",
        "notes": clean(notes),
        "client_id": client_id,
        "contact_id": contact_id,
        "deal_id": deal_id,
    }
    new_id = s.execute(
        sa.insert(task_t)
        .values(**values, version=1, created_at=now, updated_at=now)
        .returning(task_t.c.id)
    ).scalar_one()
    record(
        s,
        actor,
        action="create",
        entity="task",
        entity_id=new_id,
        client_id=client_id,
        version=1,
        changes={k: [None, plain(v)] for k, v in values.items() if v not in ("", None)},
    )
    return get_task(s, actor, new_id)


def access_conditions(actor: Actor) -> list[sa.ColumnElement[bool]]:
    """The live tasks this actor may see (over ``task`` outer-joined with its ``client``)."""
    t = task_t.c
    return [
        t.deleted_at.is_(None),
        client_t.c.deleted_at.is_(None),  # tasks about a trashed client go with it
        visible_users(actor, t.assignee_id),
    ]


def _query(actor: Actor) -> sa.Select[Any]:
    t = task_t.c
    return (
        sa.select(
            task_t,
            sa.func.coalesce(client_t.c.name, "").label("client_name"),
            sa.func.coalesce(sa.func.nullif(user_t.c.full_name, ""), user_t.c.login).label(
                "assignee_name"
            ),
        )
        .select_from(
            task_t.join(user_t, user_t.c.id == t.assignee_id).outerjoin(
                client_t, client_t.c.id == t.client_id
            )
        )
        .where(*access_conditions(actor))
    )


def get_task(s: Session, actor: Actor, task_id: int) -> TaskOut:
    row = s.execute(_query(actor).where(task_t.c.id == task_id)).first()
    if row is None:
        found = s.execute(
            sa.select(task_t.c.deleted_at, user_t.c.full_name, user_t.c.login)
            .select_from(task_t.join(user_t, user_t.c.id == task_t.c.assignee_id))
            .where(task_t.c.id == task_id)
        ).first()
        if found is None or found.deleted_at is not None:
            raise NotFound(_("task {id} does not exist").format(id=task_id))
        if actor.role == MANAGER:
            reason = _(
                "task {id} is assigned to {user}: managers see the tasks of their own "
                "department and the departments below it"
            )
        else:
            reason = _("task {id} is assigned to {user}: reps see only the tasks assigned to them")
        raise Forbidden(reason.format(id=task_id, user=found.full_name or found.login))
    return _out(row)


def list_tasks(
    s: Session,
    actor: Actor,
    flt: TaskFilter | None = None,
    *,
    after: str | None = None,
    limit: int = 100,
) -> Page[TaskOut]:
    """Tasks by due time, earliest (so overdue) first."""
    check_limit(limit)
    f = flt or TaskFilter()
    t = task_t.c
    conds: list[sa.ColumnElement[bool]] = []
    if f.status is not None:
        if f.status not in STATUSES:
            raise Invalid(
                {"status": _("must be one of {choices}").format(choices=", ".join(STATUSES))}
            )
        conds.append(t.status == f.status)
    if f.assignee_id is not None:
        conds.append(t.assignee_id == f.assignee_id)
    if f.client_id is not None:
        require_visible_client(s, actor, f.client_id)
        conds.append(t.client_id == f.client_id)
    if f.due_before is not None:
        conds.append(t.due_at < f.due_before)
    if f.due_after is not None:
        conds.append(t.due_at >= f.due_after)
    columns = [t.due_at, t.id]
    if after:
        conds.append(
            keyset(columns, decode_cursor(after, [datetime, int], list_name="tasks"), False)
        )
    rows = s.execute(_query(actor).where(*conds).order_by(*columns).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = (
        encode_cursor([rows[-1].due_at, rows[-1].id], list_name="tasks") if more and rows else None
    )
    return Page(items=[_out(r) for r in rows], next_cursor=cursor)


def _out(r: Any) -> TaskOut:
    return TaskOut(
        id=r.id,
        title=r.title,
        kind=r.kind,
        due_at=r.due_at,
        status=r.status,
        assignee_id=r.assignee_id,
        assignee=r.assignee_name,
        author_id=r.author_id,
        client_id=r.client_id,
        client=r.client_name,
        contact_id=r.contact_id,
        deal_id=r.deal_id,
        notes=r.notes,
        completed_at=r.completed_at,
        version=r.version,
    )
