"""The daily planner: agendas, month calendars, reminders and the department's plan.

Days are the user's days: a view is asked for by local dates in a time zone, and
read from the UTC times of the store over the matching UTC span. Repeating tasks are
expanded here, occurrence by occurrence, from their single row; significant dates come
from ``significant_dates``.

Whose planner: ``Who.mine()`` (tasks assigned to the actor, dates of their own
clients), ``Who.user(id)`` (a manager looking at one of their reps) or ``Who.team()``
(everyone the actor may see). The access rule of tasks applies to all three.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from termcrm.i18n import _
from termcrm.services import recurrence, significant_dates
from termcrm.services.access import visible_users
from termcrm.services.actor import MANAGER, Actor
from termcrm.services.clients import live_client
from termcrm.services.dto import TaskOut
from termcrm.services.errors import Forbidden, Invalid
from termcrm.services.significant_dates import Occasion
from termcrm.services.tasks import _out, _query, task_t
from termcrm.store.dates import local_day_end, server_has_zone
from termcrm.store.tables import User, table
from termcrm.store.types import utcnow

user_t = table(User)
OVERDUE_LIMIT = 200  # overdue tasks listed in an agenda (the count says how many in all)
MAX_DAYS = 62  # the longest span one agenda reads (two months)


@dataclass(frozen=True, slots=True)
class Who:
    """Whose planner: ``scope`` mine | user | team."""

    scope: str = "mine"
    user_id: int | None = None

    @staticmethod
    def mine() -> Who:
        return Who("mine")

    @staticmethod
    def user(user_id: int) -> Who:
        return Who("user", user_id)

    @staticmethod
    def team() -> Who:
        return Who("team")

    def assignee(self, actor: Actor) -> int | None:
        if self.scope == "mine":
            return actor.id
        if self.scope == "user":
            return self.user_id
        return None


@dataclass(slots=True, unsafe_hash=True)  # not frozen: built by the thousand (see TaskOut)
class AgendaItem:
    """One line of an agenda: a task (or one occurrence of a repeating task) or a
    significant date."""

    day: date  # the local day it is on
    at: datetime | None  # UTC; None for a significant date (all day)
    task: TaskOut | None = None
    occasion: Occasion | None = None
    overdue: bool = False

    @property
    def occurrence(self) -> bool:
        """A future occurrence of a series, not its current one (nothing to act on yet)."""
        return self.task is not None and self.at is not None and self.at != self.task.due_at

    @property
    def sort_key(self) -> tuple[Any, ...]:
        moment = self.at or datetime.min.replace(tzinfo=UTC)
        return (self.day, self.at is not None, moment, self.task.id if self.task else 0)


@dataclass(frozen=True, slots=True)
class Agenda:
    first: date
    last: date
    items: list[AgendaItem]  # by day, dates first, then by time
    overdue: list[AgendaItem] = field(default_factory=list)  # before ``first``, oldest first
    overdue_total: int = 0

    def on(self, day: date) -> list[AgendaItem]:
        return [i for i in self.items if i.day == day]


@dataclass(frozen=True, slots=True)
class DayCount:
    open: int = 0
    done: int = 0
    dates: int = 0
    overdue: int = 0

    @property
    def total(self) -> int:
        return self.open + self.done + self.dates


def utc_span(first: date, last: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC times of the local days first..last: [start, end)."""
    start = datetime.combine(first, time(), tz).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(), tz).astimezone(UTC)
    return start, end


def _check_span(first: date, last: date) -> None:
    if last < first:
        raise Invalid({"period": _("the period ends before it starts")})
    if (last - first).days >= MAX_DAYS:
        raise Invalid({"period": _("an agenda covers at most {n} days").format(n=MAX_DAYS)})


def _scope(s: Session, actor: Actor, who: Who) -> list[sa.ColumnElement[bool]]:
    t = task_t.c
    if who.scope == "mine":
        return [t.assignee_id == actor.id]
    if who.scope == "user":
        if who.user_id is None:
            raise Invalid({"user": _("name the user")})
        check_planner_reach(s, actor, who.user_id)
        return [t.assignee_id == who.user_id]
    if who.scope == "team":
        return [visible_users(actor, t.assignee_id)]
    raise Invalid({"scope": _("must be one of {choices}").format(choices="mine, user, team")})


def check_planner_reach(s: Session, actor: Actor, user_id: int) -> None:
    """Refuse, saying why, to show ``user_id``'s planner to an actor who may not see it."""
    if actor.sees_all or user_id == actor.id:
        return
    seen = s.execute(sa.select(sa.literal(1)).where(visible_users(actor, sa.literal(user_id))))
    if seen.first() is None:
        if actor.role == MANAGER:
            raise Forbidden(
                _("managers see the planners of their own department and the departments below it")
            )
        raise Forbidden(_("reps see only their own planner"))


def _owner(actor: Actor, who: Who) -> int | None:
    """Whose clients' significant dates: the user's own (None: all the actor sees)."""
    return who.assignee(actor)


def agenda(
    s: Session,
    actor: Actor,
    first: date,
    last: date,
    tz: ZoneInfo,
    *,
    who: Who | None = None,
    now: datetime | None = None,
    with_overdue: bool | None = None,
    with_dates: bool = True,
) -> Agenda:
    """Tasks (open and done, with every occurrence of repeating ones) and significant
    dates on the local days first..last. Open tasks due before the span (and before
    now) come as ``overdue`` when ``with_overdue`` (default: when the span holds today)."""
    who = who or Who.mine()
    _check_span(first, last)
    now = now or utcnow()
    start, end = utc_span(first, last, tz)
    scope = _scope(s, actor, who)
    t = task_t.c
    items: list[AgendaItem] = []
    plain = _query(actor).where(
        *scope,
        t.status.in_(("open", "done")),
        t.due_at >= start,
        t.due_at < end,
        t.series_start.is_(None),
    )
    days = _Days(first, start, end, tz)
    for row in s.execute(plain.order_by(t.due_at, t.id)).all():
        task = _out(row)
        late = task.status == "open" and task.due_at < now
        items.append(AgendaItem(days.of(task.due_at), task.due_at, task, overdue=late))
    for task in _series(s, actor, scope, end):
        for moment in _pending(task, start, end):
            items.append(
                AgendaItem(
                    _day(moment, tz),
                    moment,
                    task,
                    overdue=moment == task.due_at and moment < now,
                )
            )
    if with_dates:
        for occasion in significant_dates.occasions(
            s, actor, first, last, owner_id=_owner(actor, who)
        ):
            items.append(AgendaItem(occasion.on, None, occasion=occasion))
    items.sort(key=lambda i: i.sort_key)
    today = now.astimezone(tz).date()
    overdue: list[AgendaItem] = []
    total = 0
    if with_overdue if with_overdue is not None else first <= today <= last:
        before = min(start, now)
        query = _query(actor).where(*scope, t.status == "open", t.due_at < before)
        for row in s.execute(query.order_by(t.due_at, t.id).limit(OVERDUE_LIMIT)).all():
            task = _out(row)
            overdue.append(AgendaItem(_day(task.due_at, tz), task.due_at, task, overdue=True))
        total = len(overdue)
        if total == OVERDUE_LIMIT:
            # the same tasks counted from the assignee's index alone (see live_client)
            count = (
                sa.select(sa.func.count())
                .select_from(task_t)
                .where(*_counted(actor, scope), t.status == "open", t.due_at < before)
            )
            total = int(s.execute(count).scalar_one())
    return Agenda(first, last, items, overdue, total)


class _Days:
    """The local day of a moment in [start, end), from the days' UTC boundaries: a
    month's agenda asks it of thousands of tasks."""

    def __init__(self, first: date, start: datetime, end: datetime, tz: ZoneInfo) -> None:
        self.first = first
        self.ends = _day_ends(start, end, tz)

    def of(self, moment: datetime) -> date:
        return self.first + timedelta(days=bisect_right(self.ends, moment))


def _day(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()


def _counted(actor: Actor, scope: list[sa.ColumnElement[bool]]) -> list[sa.ColumnElement[bool]]:
    """The access conditions of ``_query`` for a query of ``task`` alone (a count): the
    trashed clients' tasks left out without reading the client of every task."""
    t = task_t.c
    return [
        t.deleted_at.is_(None),
        live_client(t.client_id),
        visible_users(actor, t.assignee_id),
        *scope,
    ]


class _Series(Protocol):
    """What ``_pending`` reads of a series: a TaskOut, or a row of those columns."""

    @property
    def repeat(self) -> str: ...
    @property
    def series_start(self) -> datetime | None: ...
    @property
    def series_tz(self) -> str: ...
    @property
    def due_at(self) -> datetime: ...


def _pending(task: _Series, start: datetime, end: datetime) -> list[datetime]:
    """The occurrences of a series in [start, end) from its current one (``due_at``) on:
    the earlier ones, done, cancelled or moved, have rows of their own."""
    origin = task.series_start or task.due_at
    if task.due_at > origin and "COUNT=" not in task.repeat:
        zone = ZoneInfo(task.series_tz or "UTC")
        if task.due_at.astimezone(zone).time() == origin.astimezone(zone).time():
            # the current occurrence is one of the rule's, on the start's wall clock:
            # the rule expanded from it gives the same later occurrences, without
            # stepping through every one since the start (a daily rule started years ago)
            origin = task.due_at
    moments = recurrence.between(task.repeat, origin, task.series_tz, start, end)
    return [m for m in moments if m >= task.due_at]  # compared in UTC, not on a wall clock


def _series(
    s: Session, actor: Actor, scope: list[sa.ColumnElement[bool]], end: datetime
) -> list[TaskOut]:
    """The open repeating tasks in scope whose next occurrence comes before ``end``."""
    t = task_t.c
    query = _query(actor).where(
        *scope, t.series_start.is_not(None), t.status == "open", t.due_at < end
    )
    return [_out(r) for r in s.execute(query.order_by(t.due_at, t.id)).all()]


def month_counts(
    s: Session,
    actor: Actor,
    year: int,
    month: int,
    tz: ZoneInfo,
    *,
    who: Who | None = None,
    now: datetime | None = None,
) -> dict[date, DayCount]:
    """Items per local day of a month: open and done tasks (occurrences included) and
    significant dates. Reads only the due times, from the assignee's index."""
    who = who or Who.mine()
    now = now or utcnow()
    first = date(year, month, 1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    start, end = utc_span(first, last, tz)
    scope = _scope(s, actor, who)
    t = task_t.c
    # how many tasks fall due at each moment: read from the assignee's index alone, and
    # fewer rows than tasks (tasks are planned on round times)
    query = (
        sa.select(t.due_at, t.status, sa.func.count())
        .select_from(task_t)
        .where(
            *_counted(actor, scope),
            t.status.in_(("open", "done")),
            t.due_at >= start,
            t.due_at < end,
            t.series_start.is_(None),
        )
        .group_by(t.due_at, t.status)
    )
    opened: Counter[date] = Counter()
    done: Counter[date] = Counter()
    late: Counter[date] = Counter()
    days = _Days(first, start, end, tz)
    for due, status, n in s.execute(query).all():
        day = days.of(due)
        if status == "open":
            opened[day] += n
            if due < now:
                late[day] += n
        else:
            done[day] += n
    # the series, as many as share a rule, a start, a zone and a current occurrence at once
    # (a rep's thousand "first Monday at 10:00" calls are a few groups)
    series = (
        sa.select(t.rrule.label("repeat"), t.series_start, t.series_tz, t.due_at, sa.func.count())
        .where(*_counted(actor, scope), t.series_start.is_not(None), t.status == "open")
        .where(t.due_at < end)
        .group_by(t.rrule, t.series_start, t.series_tz, t.due_at)
    )
    for group in s.execute(series).all():
        n = group[-1]
        for moment in _pending(group, start, end):
            day = moment.astimezone(tz).date()
            opened[day] += n
            if moment == group.due_at and moment < now:
                late[day] += n
    dates = significant_dates.day_counts(s, actor, first, last, owner_id=_owner(actor, who))
    return {
        d: DayCount(opened[d], done[d], dates[d], late[d])
        for d in (first + timedelta(days=i) for i in range((last - first).days + 1))
    }


# -- reminders


@dataclass(frozen=True, slots=True)
class Reminder:
    key: str  # the same reminder has the same key in every run: show each once
    task: TaskOut | None = None
    occasion: Occasion | None = None

    @property
    def at(self) -> datetime | None:
        return self.task.due_at if self.task else None


def reminders(
    s: Session,
    actor: Actor,
    tz: ZoneInfo,
    *,
    now: datetime | None = None,
) -> list[Reminder]:
    """What to remind the actor of now: their open tasks whose reminder time has come
    (due today or later: older ones are in the overdue count), and the significant
    dates of their clients within each date's "remind N days before"."""
    now = now or utcnow()
    today = now.astimezone(tz).date()
    day_start = datetime.combine(today, time(), tz).astimezone(UTC)
    t = task_t.c
    query = _query(actor).where(
        t.assignee_id == actor.id,
        t.status == "open",
        t.remind_before_min.is_not(None),
        t.due_at >= day_start,
        t.due_at < now + timedelta(minutes=7 * 24 * 60),
    )
    found: list[Reminder] = []
    for row in s.execute(query.order_by(t.due_at, t.id)).all():
        task = _out(row)
        remind_at = task.remind_at
        if remind_at is not None and remind_at <= now:
            found.append(Reminder(f"t{task.id}@{task.due_at.isoformat()}", task=task))
    for occasion in significant_dates.reminders(s, actor, today, owner_id=actor.id):
        found.append(Reminder(occasion.key, occasion=occasion))
    return found


# -- the plan of a department: planned, done, overdue, done late


@dataclass(frozen=True, slots=True)
class PlanRow:
    id: int  # the user's (by user) or the department's (by department) id
    name: str
    department: str
    planned: int  # due in the period, not cancelled
    done: int
    done_late: int  # done after the end of the day it was due (in the user's zone)
    overdue: int  # still open and past due
    cancelled: int
    # per department: the shown department whose figures include this one's (None for
    # a top line and for a person), so a total adds up the top lines only
    within: int | None = None

    @property
    def done_pct(self) -> float | None:
        return None if self.planned == 0 else round(100.0 * self.done / self.planned, 1)


def _day_ends(start: datetime, end: datetime, tz: ZoneInfo) -> list[datetime]:
    """The UTC ends of the local days in [start, end)."""
    day = start.astimezone(tz).date()
    ends: list[datetime] = []
    while True:
        day += timedelta(days=1)
        moment = datetime.combine(day, time(), tz).astimezone(UTC)
        ends.append(moment)
        if moment >= end:
            return ends


def team_plan(
    s: Session,
    actor: Actor,
    first: date,
    last: date,
    tz: ZoneInfo,
    *,
    by: str = "user",
    now: datetime | None = None,
) -> list[PlanRow]:
    """Plan execution for the local days first..last: per user the actor may see
    (``by="user"``) or per department (``by="department"``, each department's figures
    including its sub-departments'), in one SQL aggregate.

    Future occurrences of repeating tasks are counted as planned (and as overdue
    when their current one is past due); done and cancelled ones have rows of their own.
    """
    if by not in ("user", "department"):
        raise Invalid({"by": _("must be one of {choices}").format(choices="user, department")})
    if last < first:
        raise Invalid({"period": _("the period ends before it starts")})
    now = now or utcnow()
    start, end = utc_span(first, last, tz)
    t = task_t.c
    from termcrm.services.tasks import access_conditions, client_t

    # the end of the local day each task was due on (exact across DST)
    day_end = local_day_end(t.due_at, tz, _day_ends(start, end, tz), native=server_has_zone(s, tz))
    status = t.status
    counts = (
        sa.select(
            t.assignee_id,
            sa.func.count().filter(status != "cancelled").label("planned"),
            sa.func.count().filter(status == "done").label("done"),
            sa.func.count().filter(status == "done", t.completed_at >= day_end).label("late"),
            sa.func.count().filter(status == "open", t.due_at < now).label("overdue"),
            sa.func.count().filter(status == "cancelled").label("cancelled"),
        )
        .select_from(task_t.outerjoin(client_t, client_t.c.id == t.client_id))
        .where(*access_conditions(actor), t.due_at >= start, t.due_at < end)
        .where(t.series_start.is_(None))
        .group_by(t.assignee_id)
    )
    per_user: dict[int, list[int]] = {}
    for r in s.execute(counts):
        per_user[r.assignee_id] = [r.planned, r.done, r.late, r.overdue, r.cancelled]
    series = _query(actor).where(t.series_start.is_not(None), t.status == "open", t.due_at < end)
    for row in s.execute(series).all():
        task = _out(row)
        pending = _pending(task, start, end)
        if pending:
            tally = per_user.setdefault(task.assignee_id, [0, 0, 0, 0, 0])
            tally[0] += len(pending)
            if pending[0] == task.due_at and task.due_at < now:
                tally[3] += 1
    people = _people(s, actor)
    if by == "user":
        rows = [
            PlanRow(uid, name, dept, *per_user.get(uid, [0, 0, 0, 0, 0]))
            for uid, (name, dept, _dept_id) in people.items()
            if uid in per_user or _dept_id is not None
        ]
        return sorted(rows, key=lambda r: (r.department, r.name))
    return _by_department(s, actor, people, per_user)


def _by_department(
    s: Session,
    actor: Actor,
    people: dict[int, tuple[str, str, int | None]],
    per_user: dict[int, list[int]],
) -> list[PlanRow]:
    """Per department, each one's figures including those of the departments below it,
    as far up as the actor's reach (a manager's rows stop at their own department)."""
    from termcrm.services.org import department_names, department_parents

    parents = department_parents(s)
    reach = set(parents) if actor.sees_all else _subtree(parents, actor.department_id)
    names = department_names(s)
    totals: dict[int, list[int]] = {}
    for uid, (_name, _dept, dept_id) in people.items():
        own = per_user.get(uid, [0, 0, 0, 0, 0])
        seen: set[int] = set()
        while dept_id is not None and dept_id not in seen and (dept_id in reach or not seen):
            seen.add(dept_id)
            tally = totals.setdefault(dept_id, [0, 0, 0, 0, 0])
            for i, n in enumerate(own):
                tally[i] += n
            dept_id = parents.get(dept_id)
    rows = []
    for d, tally in totals.items():
        parent = parents.get(d)
        within = parent if parent in totals else None
        name = names.get(d, "")
        planned, done, late, overdue, cancelled = tally
        rows.append(PlanRow(d, name, name, planned, done, late, overdue, cancelled, within))
    return sorted(rows, key=lambda r: r.name)


def _subtree(parents: dict[int, int | None], root: int | None) -> set[int]:
    """``root`` and every department below it."""
    if root is None:
        return set()
    found = {root}
    grew = True
    while grew:
        below = {d for d, parent in parents.items() if parent in found} - found
        found |= below
        grew = bool(below)
    return found


def _people(s: Session, actor: Actor) -> dict[int, tuple[str, str, int | None]]:
    """The active users the actor may see: id -> (name, department path, department id)."""
    from termcrm.services.org import department_names

    query = (
        sa.select(
            user_t.c.id,
            sa.func.coalesce(sa.func.nullif(user_t.c.full_name, ""), user_t.c.login).label("n"),
            user_t.c.department_id,
        )
        .where(user_t.c.active.is_(True), user_t.c.deleted_at.is_(None))
        .where(visible_users(actor, user_t.c.id))
    )
    paths = department_names(s)
    return {
        r.id: (r.n, paths.get(r.department_id, "") if r.department_id else "", r.department_id)
        for r in s.execute(query)
    }
