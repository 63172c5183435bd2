"""Tasks of the planner: what, when, who, about which client, contact or deal."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.orm import Session

from termcrm.i18n import N_, _
from termcrm.services import recurrence
from termcrm.services.access import check_user_in_reach, visible_users
from termcrm.services.actor import MANAGER, Actor
from termcrm.services.audit import check_version, diff, plain, record, versioned_update
from termcrm.services.clients import live_client, require_visible_client
from termcrm.services.dto import InteractionOut, Page, TaskOut
from termcrm.services.errors import Forbidden, Invalid, NotFound
from termcrm.services.journal import NextStep, check_links, log_interaction
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
# the journal entry a done task writes: the kinds the journal knows ("other" is a call)
JOURNAL_KIND = {
    "call": "call",
    "meeting": "meeting",
    "visit": "visit",
    "letter": "letter",
    "email": "email",
    "other": "call",
}
MAX_DURATION_MIN = 7 * 24 * 60
MAX_REMIND_MIN = 7 * 24 * 60  # a reminder comes at most a week ahead


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
    duration_min: int | None = None,
    remind_before_min: int | None = None,
    repeat: str = "",
    tz: str = "",
    ical_uid: str = "",
) -> TaskOut:
    """Plan a task. ``repeat`` is an RFC 5545 rule (``FREQ=MONTHLY;BYDAY=1MO``) expanded
    from ``due_at`` on the wall clock of ``tz`` (an IANA zone, default UTC); the task is
    then a series whose due time is its next pending occurrence."""
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
    errors.update(_minutes_errors(duration_min, remind_before_min))
    rule = ""
    zone = ""
    if repeat.strip() and "due" not in errors:
        try:
            zone = _zone(tz)
            rule = recurrence.normalize(repeat, due_at, ZoneInfo(zone))
        except Invalid as exc:
            errors.update(exc.errors)
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
    values = {
        "title": title,
        "kind": kind,
        "due_at": _first(rule, due_at, zone) if rule else due_at,
        "assignee_id": assignee,
        "author_id": actor.id,
        "status": "open",
        "notes": clean(notes),
        "client_id": client_id,
        "contact_id": contact_id,
        "deal_id": deal_id,
        "duration_min": duration_min,
        "remind_before_min": remind_before_min,
        "rrule": rule,
        "series_start": due_at if rule else None,
        "series_tz": zone,
        "ical_uid": ical_uid.strip()[:255],
    }
    return get_task(s, actor, _insert(s, actor, values))


def _insert(s: Session, actor: Actor, values: dict[str, Any]) -> int:
    """A new task row and its audit entry; returns its id."""
    now = utcnow()
    new_id: int = s.execute(
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
        client_id=values.get("client_id"),
        version=1,
        changes={k: [None, plain(v)] for k, v in values.items() if v not in ("", None)},
    )
    return new_id


def access_conditions(actor: Actor) -> list[sa.ColumnElement[bool]]:
    """The live tasks this actor may see (over ``task`` outer-joined with its ``client``)."""
    t = task_t.c
    return [
        t.deleted_at.is_(None),
        client_t.c.deleted_at.is_(None),  # tasks about a trashed client go with it
        visible_users(actor, t.assignee_id),
    ]


def _out_columns() -> list[sa.ColumnElement[Any]]:
    """The columns of a TaskOut, in the order of its fields (so a row is built
    positionally: naming 24 fields of thousands of rows would cost more than the SQL)."""
    t = task_t.c
    derived: dict[str, sa.ColumnElement[Any]] = {
        "assignee": sa.func.coalesce(sa.func.nullif(user_t.c.full_name, ""), user_t.c.login),
        "client": sa.func.coalesce(client_t.c.name, ""),
        "repeat": t.rrule,
    }
    return [
        derived[f.name].label(f.name) if f.name in derived else t[f.name]
        for f in dataclasses.fields(TaskOut)
    ]


_OUT_COLUMNS = _out_columns()


def _query(actor: Actor) -> sa.Select[Any]:
    """The tasks this actor may see, as rows of TaskOut's fields (read them with ``_out``)."""
    t = task_t.c
    return (
        sa.select(*_OUT_COLUMNS)
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
    """A row of ``_query`` as a TaskOut."""
    return TaskOut(*r)


def _first(rule: str, start: datetime, zone: str) -> datetime:
    """A series' current occurrence when it starts: its start time when the rule holds
    it, else the rule's first time after it ("the first Monday" planned on a Tuesday);
    occurrences fall on whole minutes."""
    floor = start.replace(second=0, microsecond=0)
    return recurrence.next_after(rule, start, zone, floor - timedelta(seconds=1)) or start


def _zone(name: str) -> str:
    zone = name or "UTC"
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid({"tz": _("unknown time zone {zone}").format(zone=zone)}) from None
    return zone


def _minutes_errors(duration: int | None, remind: int | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    if duration is not None and not 0 < duration <= MAX_DURATION_MIN:
        errors["duration"] = _("a duration is from 1 minute to 7 days")
    if remind is not None and not 0 <= remind <= MAX_REMIND_MIN:
        errors["remind"] = _("a reminder comes from 0 minutes to 7 days before")
    return errors


def _row(s: Session, actor: Actor, task_id: int) -> Any:
    """The task's row, once the actor may see it (get_task raises otherwise)."""
    get_task(s, actor, task_id)
    return s.execute(sa.select(task_t).where(task_t.c.id == task_id)).one()


def _require_open(row: Any) -> None:
    if row.status != "open":
        state = _("done") if row.status == "done" else _("cancelled")
        raise Invalid({"status": _("task {id} is already {state}").format(id=row.id, state=state)})


def update_task(
    s: Session, actor: Actor, task_id: int, *, version: int, changes: Mapping[str, Any]
) -> TaskOut:
    """Edit an open task: title, kind, notes, due_at, assignee_id, duration_min,
    remind_before_min, repeat (with tz), client_id, contact_id, deal_id. Moving a series'
    due time moves the series: its rule is expanded from the new time on. Another client
    drops the contact and the deal of the old one unless new ones are given."""
    row = _row(s, actor, task_id)
    check_version(s, "task", task_id, version, row.version)
    _require_open(row)
    known = {
        "title",
        "kind",
        "notes",
        "due_at",
        "assignee_id",
        "duration_min",
        "remind_before_min",
        "repeat",
        "tz",
        "client_id",
        "contact_id",
        "deal_id",
    }
    unknown = sorted(set(changes) - known)
    if unknown:
        raise Invalid({k: _("not a field of a task") for k in unknown})
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    if "title" in changes:
        values["title"] = clean(changes["title"])
        if not values["title"]:
            errors["title"] = _("a task needs a title")
    if "kind" in changes:
        if changes["kind"] not in KINDS:
            errors["kind"] = _("must be one of {choices}").format(choices=", ".join(KINDS))
        values["kind"] = changes["kind"]
    if "notes" in changes:
        values["notes"] = clean(changes["notes"])
    due = changes.get("due_at", row.due_at)
    if "due_at" in changes:
        if due.tzinfo is None:
            errors["due"] = _("give a time with its zone")
        values["due_at"] = due
    for key in ("duration_min", "remind_before_min"):
        if key in changes:
            values[key] = changes[key]
    errors.update(
        _minutes_errors(
            values.get("duration_min", row.duration_min),
            values.get("remind_before_min", row.remind_before_min),
        )
    )
    if "assignee_id" in changes:
        assignee = changes["assignee_id"]
        active = s.execute(sa.select(user_t.c.active).where(user_t.c.id == assignee)).first()
        if active is None or not active.active:
            errors["assignee"] = _("user {id} does not exist or is deactivated").format(id=assignee)
        values["assignee_id"] = assignee
    rule = changes.get("repeat", row.rrule)
    if ("repeat" in changes or "due_at" in changes or "tz" in changes) and "due" not in errors:
        if rule and rule.strip():
            try:
                zone = _zone(changes.get("tz") or row.series_tz)
                values["rrule"] = recurrence.normalize(rule, due, ZoneInfo(zone))
                values["series_tz"] = zone
                values["series_start"] = due
                values["due_at"] = _first(values["rrule"], due, zone)
            except Invalid as exc:
                errors.update(exc.errors)
        else:
            values.update(rrule="", series_tz="", series_start=None)
    errors.update(_link_values(row, changes, values))
    if errors:
        raise Invalid(errors)
    if "client_id" in values and values["client_id"] is not None:
        check_links(s, actor, values["client_id"], values["contact_id"], values["deal_id"])
    if "assignee_id" in values and values["assignee_id"] != row.assignee_id:
        check_user_in_reach(s, actor, values["assignee_id"], N_("assignee"))
    current = {k: getattr(row, k) for k in values}
    audit_changes = diff(current, values)
    if not audit_changes:
        return get_task(s, actor, task_id)
    versioned_update(
        s,
        actor,
        task_t,
        entity="task",
        entity_id=task_id,
        base_version=version,
        values={k: v for k, v in values.items() if k in audit_changes},
        audit_changes=audit_changes,
        client_id=values.get("client_id", row.client_id),
    )
    return get_task(s, actor, task_id)


def _link_values(row: Any, changes: Mapping[str, Any], values: dict[str, Any]) -> dict[str, str]:
    """The client, contact and deal an edit gives a task, put in ``values`` as a whole
    (they are checked together); the errors found."""
    if not {"client_id", "contact_id", "deal_id"} & set(changes):
        return {}
    client = changes.get("client_id", row.client_id)
    moved = client != row.client_id
    values["client_id"] = client
    values["contact_id"] = changes.get("contact_id", None if moved else row.contact_id)
    values["deal_id"] = changes.get("deal_id", None if moved else row.deal_id)
    if client is None and (values["contact_id"] is not None or values["deal_id"] is not None):
        return {"client": _("a task about a contact or a deal names its client too")}
    return {}


def move_task(
    s: Session,
    actor: Actor,
    task_id: int,
    *,
    version: int,
    due_at: datetime,
    only_this: bool = False,
) -> TaskOut:
    """Reschedule a task. For a series, ``only_this`` moves just its next occurrence
    (it becomes a task of its own and the series goes on from the one after);
    otherwise the whole series moves to the new time."""
    row = _row(s, actor, task_id)
    if not (only_this and row.rrule):
        return update_task(s, actor, task_id, version=version, changes={"due_at": due_at})
    check_version(s, "task", task_id, version, row.version)
    _require_open(row)
    if due_at.tzinfo is None:
        raise Invalid({"due": _("give a time with its zone")})
    moved = _occurrence_row(s, actor, row, status="open", due_at=due_at)
    _advance(s, actor, row, version)
    return get_task(s, actor, moved)


def _occurrence_row(
    s: Session,
    actor: Actor,
    row: Any,
    *,
    status: str,
    due_at: datetime | None = None,
    completed_at: datetime | None = None,
    cancel_reason: str = "",
    interaction_id: int | None = None,
) -> int:
    """A row of its own for one occurrence of a series (done, cancelled or moved)."""
    values = {
        "title": row.title,
        "kind": row.kind,
        "due_at": due_at or row.due_at,
        "assignee_id": row.assignee_id,
        "author_id": row.author_id,
        "status": status,
        "notes": row.notes,
        "client_id": row.client_id,
        "contact_id": row.contact_id,
        "deal_id": row.deal_id,
        "duration_min": row.duration_min,
        "remind_before_min": row.remind_before_min,
        "series_id": row.id,
        "completed_at": completed_at,
        "cancel_reason": cancel_reason,
        "interaction_id": interaction_id,
    }
    return _insert(s, actor, values)


def _advance(s: Session, actor: Actor, row: Any, version: int) -> int:
    """Move a series on to its occurrence after the current one; a series with no
    occurrence left is done. Returns the series' new version."""
    following = recurrence.next_after(row.rrule, row.series_start, row.series_tz, row.due_at)
    if following is None:
        values: dict[str, Any] = {"status": "done", "completed_at": utcnow()}
    else:
        values = {"due_at": following}
    return versioned_update(
        s,
        actor,
        task_t,
        entity="task",
        entity_id=row.id,
        base_version=version,
        values=values,
        audit_changes=diff({k: getattr(row, k) for k in values}, values),
        client_id=row.client_id,
    )


@dataclass(frozen=True, slots=True)
class Completed:
    """What completing a task wrote: the task (for a series, the occurrence's own row),
    its journal entry, and the next step if one was planned."""

    task: TaskOut
    interaction: InteractionOut | None
    next_task: TaskOut | None


def complete_task(
    s: Session,
    actor: Actor,
    task_id: int,
    *,
    version: int,
    result: str,
    kind: str | None = None,
    direction: str = "out",
    occurred_at: datetime | None = None,
    log: bool = True,
    next_step: NextStep | None = None,
) -> Completed:
    """Mark a task done: one journal entry records its result (``log``; a task with no
    client writes none), and the next step is planned when asked, in one transaction.

    For a series, the current occurrence is recorded as a done row of its own and the
    series moves on to its next occurrence (or ends)."""
    row = _row(s, actor, task_id)
    check_version(s, "task", task_id, version, row.version)
    _require_open(row)
    now = utcnow()
    when = occurred_at or now
    errors: dict[str, str] = {}
    if not clean(result):
        errors["result"] = _("say how it went: the result goes to the journal")
    if next_step is not None:
        if not clean(next_step.title):
            errors["next_title"] = _("a next step needs a title")
        if next_step.due_at.tzinfo is None:
            errors["next_due"] = _("give a time with its zone")
        elif next_step.due_at < when:
            errors["next_due"] = _("the next step comes after this one")
    if errors:
        raise Invalid(errors)
    entry: InteractionOut | None = None
    if log and row.client_id is not None:
        entry = log_interaction(
            s,
            actor,
            kind=kind or JOURNAL_KIND.get(row.kind, "call"),
            client_id=row.client_id,
            contact_id=row.contact_id,
            deal_id=row.deal_id,
            direction=direction,
            occurred_at=when,
            purpose=row.title,
            result=result,
            user_id=row.assignee_id,
        )
    interaction_id = entry.id if entry else None
    notes = row.notes if entry else "\n".join(x for x in (row.notes, clean(result)) if x)
    if row.rrule:
        done_id = _occurrence_row(
            s, actor, row, status="done", completed_at=now, interaction_id=interaction_id
        )
        if not entry and notes != row.notes:
            s.execute(sa.update(task_t).where(task_t.c.id == done_id).values(notes=notes))
        _advance(s, actor, row, version)
    else:
        values = {"status": "done", "completed_at": now, "interaction_id": interaction_id}
        if notes != row.notes:
            values["notes"] = notes
        versioned_update(
            s,
            actor,
            task_t,
            entity="task",
            entity_id=task_id,
            base_version=version,
            values=values,
            audit_changes=diff({k: getattr(row, k) for k in values}, values),
            client_id=row.client_id,
        )
        done_id = task_id
    follow: TaskOut | None = None
    if next_step is not None:
        try:
            follow = add_task(
                s,
                actor,
                title=next_step.title,
                due_at=next_step.due_at,
                kind=next_step.kind,
                assignee_id=row.assignee_id,
                client_id=row.client_id,
                contact_id=row.contact_id if row.client_id is not None else None,
                deal_id=row.deal_id if row.client_id is not None else None,
                notes=next_step.notes,
            )
        except Invalid as exc:
            raise Invalid({f"next_{k}": v for k, v in exc.errors.items()}) from exc
    return Completed(get_task(s, actor, done_id), entry, follow)


def cancel_task(
    s: Session, actor: Actor, task_id: int, *, version: int, reason: str, series: bool = False
) -> TaskOut:
    """Cancel a task, keeping it with the reason. For a series, the current occurrence
    is cancelled and the series goes on, unless ``series`` cancels the whole series."""
    row = _row(s, actor, task_id)
    check_version(s, "task", task_id, version, row.version)
    _require_open(row)
    reason = clean(reason)
    if not reason:
        raise Invalid({"reason": _("say why the task is cancelled")})
    if row.rrule and not series:
        cancelled = _occurrence_row(s, actor, row, status="cancelled", cancel_reason=reason)
        _advance(s, actor, row, version)
        return get_task(s, actor, cancelled)
    values = {"status": "cancelled", "cancel_reason": reason}
    versioned_update(
        s,
        actor,
        task_t,
        entity="task",
        entity_id=task_id,
        base_version=version,
        values=values,
        audit_changes=diff({k: getattr(row, k) for k in values}, values),
        client_id=row.client_id,
    )
    return get_task(s, actor, task_id)


def assign_task(
    s: Session, actor: Actor, task_id: int, *, version: int, assignee_id: int
) -> TaskOut:
    """Hand a task (a series with all its coming occurrences) to another user."""
    return update_task(s, actor, task_id, version=version, changes={"assignee_id": assignee_id})


def overdue_count(s: Session, actor: Actor, *, now: datetime | None = None) -> int:
    """The actor's own open tasks past their due time (a series counts once)."""
    t = task_t.c
    query = (
        sa.select(sa.func.count())
        .select_from(task_t)
        .where(
            t.assignee_id == actor.id,
            t.status == "open",
            t.due_at < (now or utcnow()),
            t.deleted_at.is_(None),
            live_client(t.client_id),  # read from ix_task_assignee_status_due alone
        )
    )
    return int(s.execute(query).scalar_one())
