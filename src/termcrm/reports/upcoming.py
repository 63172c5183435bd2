"""Upcoming dates and overdue tasks: the birthdays of contact persons and the clients'
company dates of the next days (as the planner finds them,
``services.significant_dates.occasions``), and the open tasks past their due time per
user, with the list of them.

Dates follow the client's access rule, tasks their assignee's (a rep: their own).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from termcrm.i18n import N_, _
from termcrm.reports import option_values, scope
from termcrm.reports.model import Chart, Column, Params, Report, Table
from termcrm.services import significant_dates
from termcrm.services.actor import Actor
from termcrm.services.tasks import access_conditions
from termcrm.store.tables import Client, Task, User, table
from termcrm.store.types import utcnow

task_t = table(Task)
client_t = table(Client)
user_t = table(User)
NAME = "upcoming"
TITLE = N_("Upcoming dates and overdue tasks")
MAX_DAYS = 366


def _dates(s: Session, actor: Actor, params: Params, first: date, last: date) -> Table:
    """The occasions of first..last of the clients in the report's scope."""
    sc = params.scope
    owner_id: int | None = None
    if sc.kind == "me":
        owner_id = actor.id
    elif sc.kind == "user":
        owner_id = sc.user_id
    found = significant_dates.occasions(s, actor, first, last, owner_id=owner_id)
    if sc.kind == "department" and found:
        ids = {o.client_id for o in found}
        inside = set(
            s.execute(
                sa.select(client_t.c.id).where(
                    client_t.c.id.in_(ids), *scope.client_conditions(actor, sc)
                )
            ).scalars()
        )
        found = [o for o in found if o.client_id in inside]
    return Table(
        "dates",
        N_("Upcoming dates"),
        (
            Column("day", N_("Day"), "date"),
            Column("in_days", N_("In days"), "int"),
            Column("kind", N_("Kind")),
            Column("title", N_("Who or what")),
            Column("years", N_("Years"), "int"),
            Column("client", N_("Client")),
        ),
        tuple(
            (
                o.on,
                (o.on - first).days,
                _(significant_dates.KIND_LABELS.get(o.kind, o.kind)),
                o.title,
                o.years,
                o.client,
            )
            for o in found
        ),
    )


def _overdue(
    s: Session, actor: Actor, params: Params, now: datetime, today: date, limit: int
) -> tuple[Table, Table, int]:
    """Per user: the count and the oldest due time of their overdue tasks; and the
    overdue tasks themselves, oldest first (at most ``limit``); and how many in all."""
    t = task_t.c
    user = sa.func.coalesce(sa.func.nullif(user_t.c.full_name, ""), user_t.c.login)
    source = task_t.join(user_t, user_t.c.id == t.assignee_id).outerjoin(
        client_t, client_t.c.id == t.client_id
    )
    conds = [
        *access_conditions(actor),
        *scope.user_conditions(actor, params.scope, t.assignee_id),
        t.status == "open",
        t.due_at < now,
    ]
    per_user = s.execute(
        sa.select(user_t.c.id, user, sa.func.count(), sa.func.min(t.due_at))
        .select_from(source)
        .where(*conds)
        .group_by(user_t.c.id, user_t.c.full_name, user_t.c.login)
        .order_by(sa.func.count().desc(), user_t.c.login)
    ).all()
    users = Table(
        "overdue_users",
        N_("Overdue tasks per user"),
        (
            Column("user", N_("User")),
            Column("overdue", N_("Overdue"), "int"),
            Column("oldest_due", N_("Oldest due"), "date"),
            Column("days", N_("Days overdue"), "int"),
        ),
        tuple(
            (
                r[1],
                int(r[2]),
                _day(r[3]),
                (today - _day(r[3])).days,
            )
            for r in per_user
        ),
        (_("Total"), sum(int(r[2]) for r in per_user), None, None) if per_user else None,
    )
    rows = s.execute(
        sa.select(user, t.title, sa.func.coalesce(client_t.c.name, ""), t.due_at)
        .select_from(source)
        .where(*conds)
        .order_by(t.due_at, t.id)
        .limit(limit)
    ).all()
    tasks = Table(
        "overdue_tasks",
        N_("Overdue tasks"),
        (
            Column("user", N_("User")),
            Column("title", N_("Task")),
            Column("client", N_("Client")),
            Column("due", N_("Due"), "date"),
            Column("days", N_("Days overdue"), "int"),
        ),
        tuple((r[0], r[1], r[2], _day(r[3]), (today - _day(r[3])).days) for r in rows),
    )
    return users, tasks, sum(int(r[2]) for r in per_user)


def _day(moment: Any) -> date:
    """The UTC day of a due time."""
    value: datetime = moment
    return value.astimezone(UTC).date()


def upcoming(s: Session, actor: Actor, params: Params) -> Report:
    """Options: ``days`` (14): the dates from today to that many days after;
    ``limit`` (500): the longest list of overdue tasks. Today is ``Params.today`` (the
    calendar's today when not given); with ``Params.today`` a task is overdue when it
    was due before that day began (UTC), else when it is due before now."""
    scope.check_scope(s, actor, params.scope)
    days = option_values.whole(params, "days", 14, 0, MAX_DAYS)
    limit = option_values.whole(params, "limit", 500, 1, 100_000)
    today = option_values.today(params)
    now = datetime.combine(today, time(), tzinfo=UTC) if params.today else utcnow()
    last = today + timedelta(days=days)
    dates = _dates(s, actor, params, today, last)
    users, tasks, overdue = _overdue(s, actor, params, now, today, limit)
    notes = [
        _("Dates from {first} to {last}; tasks overdue at {now} UTC.").format(
            first=today.isoformat(), last=last.isoformat(), now=f"{now:%Y-%m-%d %H:%M}"
        )
    ]
    if overdue > len(tasks.rows):
        notes.append(
            _("The list shows the {shown} oldest of {total} overdue tasks (option limit).").format(
                shown=len(tasks.rows), total=overdue
            )
        )
    return Report(
        NAME,
        TITLE,
        (today, last),
        scope.describe(s, actor, params.scope),
        None,
        (dates, users, tasks),
        (Chart("bar", N_("Overdue tasks per user"), "overdue_users", "user", ("overdue",)),),
        tuple(notes),
    )
