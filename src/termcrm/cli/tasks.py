"""`termcrm task ...`: planned work: add, show, list, done, move, cancel, assign.

Writes read the task's current version first (or take ``--version``, the one you
saw): a change somebody saved in between is refused by the service, never lost.
Times are typed and shown in your time zone (``termcrm config show``).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo

import typer

from termcrm.cli.output import (
    AfterOpt,
    Format,
    FormatOpt,
    LimitOpt,
    emit,
    emit_page,
    emit_record,
    say,
)
from termcrm.cli.parse import day_bound, parse_minutes, parse_when
from termcrm.cli.runtime import guarded, runtime

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from termcrm.services.dto import TaskOut

app = typer.Typer(help="Tasks: add, show, list, done, move, cancel, assign.", no_args_is_help=True)


def _repeat_text(task: Any) -> str:
    from termcrm.services import recurrence

    return recurrence.describe(task.repeat) if task.repeat and task.status == "open" else ""


COLUMNS = [
    ("ID", lambda t: t.id),
    ("Due", lambda t: t.due_at),
    ("Kind", lambda t: t.kind),
    ("Task", lambda t: t.title + (f"\n↻ {_repeat_text(t)}" if _repeat_text(t) else "")),
    ("Client", lambda t: t.client),
    ("Assignee", lambda t: t.assignee),
    ("Status", lambda t: t.status),
]
# the words --repeat takes, and the preset of recurrence.presets() each one means
REPEAT_WORDS = {
    "daily": "daily",
    "weekdays": "weekdays",
    "weekly": "weekly",
    "monthly": "monthly_day",
    "monthly-day": "monthly_day",
    "monthly-weekday": "monthly_weekday",
    "yearly": "yearly",
}

VersionOpt = Annotated[
    int | None,
    typer.Option(
        "--version",
        help="the version you saw (`task show`); refused if somebody saved since "
        "(default: the current one)",
        show_default=False,
    ),
]


def _local(moment: datetime | None, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else ""


def _span(minutes: int) -> str:
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{days}d" if days else "", f"{hours}h" if hours else "", f"{mins}m" if mins else ""]
    return "".join(parts) or "0m"


def _zone_name(tz: ZoneInfo) -> str:
    return getattr(tz, "key", "") or "UTC"


def repeat_rule(text: str, due_at: datetime, tz: ZoneInfo) -> str:
    """The RRULE for --repeat: a preset word (for the due time in your zone) or a rule."""
    from termcrm.services import recurrence

    word = text.strip().lower().replace("_", "-")
    if word in REPEAT_WORDS:
        presets = {p.key: p.rule for p in recurrence.presets(due_at.astimezone(tz))}
        return presets[REPEAT_WORDS[word]]
    if "=" not in text:
        raise typer.BadParameter(
            f"'{text}' is not a repeat; use {', '.join(REPEAT_WORDS)}, or a rule such as "
            "FREQ=MONTHLY;BYDAY=1MO",
            param_hint="--repeat",
        )
    return text


def describe_task(task: TaskOut, tz: ZoneInfo) -> str:
    """'due 2026-12-01 10:00 for Anna, 30m, reminder 15m before, every week on Monday'."""
    parts = [f"due {_local(task.due_at, tz)} for {task.assignee}"]
    if task.duration_min:
        parts.append(f"{_span(task.duration_min)} long")
    if task.remind_before_min is not None:
        parts.append(f"reminder {_span(task.remind_before_min)} before")
    if _repeat_text(task):
        parts.append(f"repeats {_repeat_text(task)}")
    return ", ".join(parts)


def following(task: TaskOut, count: int) -> list[datetime]:
    """The occurrences of a repeating task after its current one (at most ``count``)."""
    from termcrm.services import recurrence

    found: list[datetime] = []
    moment: datetime | None = task.due_at
    while task.repeating and moment is not None and len(found) < count:
        moment = recurrence.next_after(
            task.repeat, task.series_start or task.due_at, task.series_tz, moment
        )
        if moment is not None:
            found.append(moment)
    return found


def _user_id(s: Session, login: str) -> int:
    from termcrm.services import org

    return org.get_user(s, login).id


@app.command()
@guarded
def add(
    ctx: typer.Context,
    title: Annotated[str, typer.Argument(help="what to do")],
    due: Annotated[str, typer.Option(help="'tomorrow 10:00', '2026-12-01 15:30', '+2d'")],
    kind: Annotated[str, typer.Option(help="call, meeting, visit, letter, email, other")] = "call",
    assignee: Annotated[str | None, typer.Option(help="login (default: you)")] = None,
    client: Annotated[int | None, typer.Option(help="client id")] = None,
    contact: Annotated[int | None, typer.Option(help="contact person id")] = None,
    deal: Annotated[int | None, typer.Option(help="deal id")] = None,
    notes: Annotated[str, typer.Option()] = "",
    duration: Annotated[
        str | None, typer.Option(help="how long: 30m, 1h30m, or minutes (90)", show_default=False)
    ] = None,
    remind: Annotated[
        str | None,
        typer.Option(
            help="a reminder this long before: minutes (15) or 15m, 1h, 1d", show_default=False
        ),
    ] = None,
    repeat: Annotated[
        str | None,
        typer.Option(
            help="daily, weekdays, weekly, monthly, monthly-weekday, yearly, or an RFC 5545 "
            "rule such as FREQ=MONTHLY;BYDAY=1MO (repeats on your time zone's clock)",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Plan a task (a call, meeting, visit...), once or repeating."""
    from termcrm.services import tasks

    rt = runtime(ctx)
    actor = rt.actor
    tz = rt.settings.tz
    due_at = parse_when(due, tz, option="--due")
    duration_min = parse_minutes(duration, option="--duration") if duration else None
    remind_min = parse_minutes(remind, option="--remind") if remind is not None else None
    rule = repeat_rule(repeat, due_at, tz) if repeat else ""
    with rt.write() as s:
        task = tasks.add_task(
            s,
            actor,
            title=title,
            due_at=due_at,
            kind=kind,
            assignee_id=_user_id(s, assignee) if assignee else None,
            client_id=client,
            contact_id=contact,
            deal_id=deal,
            notes=notes,
            duration_min=duration_min,
            remind_before_min=remind_min,
            repeat=rule,
            tz=_zone_name(tz),
        )
    say(f"Planned task {task.id}: {task.title}, {describe_task(task, tz)}")


@app.command()
@guarded
def show(
    ctx: typer.Context,
    task_id: Annotated[int, typer.Argument(metavar="ID", help="task id")],
    fmt: FormatOpt = Format.table,
) -> None:
    """One task with its version, reminder, repeat rule and next occurrences."""
    from termcrm.services import tasks

    rt = runtime(ctx)
    actor = rt.actor
    tz = rt.settings.tz
    with rt.read() as s:
        task = tasks.get_task(s, actor, task_id)
    if fmt is not Format.table:
        emit([task], COLUMNS, fmt, tz=tz)
        return
    coming = following(task, 3)
    pairs: list[tuple[str, Any]] = [
        ("Due", _local(task.due_at, tz)),
        ("Kind", task.kind),
        ("Status", task.status),
        ("Assignee", task.assignee),
        ("Client", f"{task.client} (#{task.client_id})" if task.client_id else ""),
        ("Contact", f"#{task.contact_id}" if task.contact_id else ""),
        ("Deal", f"#{task.deal_id}" if task.deal_id else ""),
        ("Duration", _span(task.duration_min) if task.duration_min else ""),
        (
            "Reminder",
            f"{_span(task.remind_before_min)} before ({_local(task.remind_at, tz)})"
            if task.remind_before_min is not None
            else "",
        ),
        ("Repeats", f"{_repeat_text(task)} ({task.repeat})" if _repeat_text(task) else ""),
        ("Then", ", ".join(_local(m, tz) for m in coming)),
        ("Series", f"an occurrence of task {task.series_id}" if task.series_id else ""),
        ("Done", _local(task.completed_at, tz)),
        ("Journal entry", f"#{task.interaction_id}" if task.interaction_id else ""),
        ("Cancelled", task.cancel_reason),
        ("Calendar UID", task.ical_uid),
        ("Notes", task.notes),
    ]
    emit_record(pairs, title=f"{task.title}  #{task.id} v{task.version}", tz=tz)


@app.command("list")
@guarded
def list_(
    ctx: typer.Context,
    mine: Annotated[bool, typer.Option("--mine", help="only the tasks assigned to you")] = False,
    user: Annotated[
        str | None, typer.Option("--user", "--assignee", help="the tasks of this login")
    ] = None,
    status: Annotated[str, typer.Option(help="open, done, cancelled or any")] = "open",
    client: Annotated[int | None, typer.Option(help="client id")] = None,
    since: Annotated[
        str | None,
        typer.Option("--from", help="due on or after this day (2026-12-01, today, -1w)"),
    ] = None,
    until: Annotated[
        str | None, typer.Option("--to", help="due on or before this day (2026-12-31, +1w)")
    ] = None,
    limit: LimitOpt = 50,
    after: AfterOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Tasks you may see, earliest due first (so overdue ones on top)."""
    from termcrm.services import tasks

    rt = runtime(ctx)
    actor = rt.actor
    tz = rt.settings.tz
    with rt.read() as s:
        flt = tasks.TaskFilter(
            assignee_id=actor.id if mine else (_user_id(s, user) if user else None),
            status=None if status == "any" else status,
            client_id=client,
            due_after=day_bound(since, tz, "--from", end=False),
            due_before=day_bound(until, tz, "--to", end=True),
        )
        page = tasks.list_tasks(s, actor, flt, after=after, limit=limit)
    emit_page(page, COLUMNS, fmt, tz=tz, empty="No tasks.")


@app.command()
@guarded
def done(
    ctx: typer.Context,
    task_id: Annotated[int, typer.Argument(metavar="ID", help="task id")],
    result: Annotated[str, typer.Option(help="how it went: goes to the client's journal")],
    kind: Annotated[
        str | None,
        typer.Option(help="the journal entry's kind (default: the task's: call, meeting...)"),
    ] = None,
    direction: Annotated[str, typer.Option(help="out (you reached them) or in")] = "out",
    when: Annotated[
        str | None, typer.Option(help="when it happened (default: now)", show_default=False)
    ] = None,
    next_title: Annotated[
        str | None, typer.Option("--next", help="plan the next step: its title")
    ] = None,
    next_due: Annotated[
        str | None, typer.Option("--next-due", help="the next step's time (with --next)")
    ] = None,
    next_kind: Annotated[str, typer.Option("--next-kind", help="the next step's kind")] = "call",
    version: VersionOpt = None,
) -> None:
    """Mark a task done: the result goes to the journal (one entry, when the task has a
    client), and --next plans the next step. For a repeating task, this occurrence."""
    from termcrm.services import tasks
    from termcrm.services.journal import NextStep

    rt = runtime(ctx)
    actor = rt.actor
    tz = rt.settings.tz
    if next_title and not next_due:
        raise typer.BadParameter("--next needs --next-due", param_hint="--next-due")
    if next_due and not next_title:
        raise typer.BadParameter("--next-due needs --next TITLE", param_hint="--next")
    step = (
        NextStep(next_title, parse_when(next_due, tz, option="--next-due"), next_kind)
        if next_title and next_due
        else None
    )
    occurred = parse_when(when, tz, option="--when") if when else None
    with rt.write() as s:
        base = tasks.get_task(s, actor, task_id)
        outcome = tasks.complete_task(
            s,
            actor,
            task_id,
            version=base.version if version is None else version,
            result=result,
            kind=kind,
            direction=direction,
            occurred_at=occurred,
            next_step=step,
        )
        series = tasks.get_task(s, actor, task_id) if base.repeat else None
    finished = outcome.task
    if finished.id != task_id:
        say(
            f"Done: the {_local(finished.due_at, tz)} occurrence of task {task_id} "
            f"(recorded as task {finished.id})."
        )
    else:
        say(f"Done task {finished.id}: {finished.title}.")
    if outcome.interaction is not None:
        say(
            f"Journal entry {outcome.interaction.id}: {outcome.interaction.kind} with "
            f"{outcome.interaction.client}."
        )
    else:
        say("No journal entry: the task has no client (the result is in its notes).", "dim")
    if series is not None:
        if series.status == "open":
            say(f"Task {series.id} repeats: next {_local(series.due_at, tz)}.")
        else:
            say(f"Task {series.id} had no occurrence left: the series is done.")
    if outcome.next_task is not None:
        nt = outcome.next_task
        say(f"Next: task {nt.id}: {nt.title}, {describe_task(nt, tz)}")


@app.command()
@guarded
def move(
    ctx: typer.Context,
    task_id: Annotated[int, typer.Argument(metavar="ID", help="task id")],
    due: Annotated[str, typer.Option(help="the new time: 'tomorrow 10:00', '+2d'...")],
    only_this: Annotated[
        bool,
        typer.Option(
            "--only-this",
            help="a repeating task: move only its next occurrence (default: the whole series)",
        ),
    ] = False,
    version: VersionOpt = None,
) -> None:
    """Reschedule a task (a repeating one: the series, or --only-this occurrence)."""
    from termcrm.services import tasks

    rt = runtime(ctx)
    actor = rt.actor
    tz = rt.settings.tz
    due_at = parse_when(due, tz, option="--due")
    with rt.write() as s:
        base = tasks.get_task(s, actor, task_id)
        moved = tasks.move_task(
            s,
            actor,
            task_id,
            version=base.version if version is None else version,
            due_at=due_at,
            only_this=only_this,
        )
        series = tasks.get_task(s, actor, task_id) if moved.id != task_id else None
    if series is not None:
        say(
            f"Moved the {_local(base.due_at, tz)} occurrence of task {task_id} to "
            f"{_local(moved.due_at, tz)} (now task {moved.id}); the series goes on "
            f"{_local(series.due_at, tz)}."
        )
    else:
        say(
            f"Moved task {moved.id} to {_local(moved.due_at, tz)}"
            + (f" ({_repeat_text(moved)} from then on)." if _repeat_text(moved) else ".")
        )


@app.command()
@guarded
def cancel(
    ctx: typer.Context,
    task_id: Annotated[int, typer.Argument(metavar="ID", help="task id")],
    reason: Annotated[str, typer.Option(help="why: kept with the task")],
    series: Annotated[
        bool,
        typer.Option(
            "--series",
            help="a repeating task: cancel the whole series (default: only its next occurrence)",
        ),
    ] = False,
    version: VersionOpt = None,
) -> None:
    """Cancel a task, keeping it with the reason."""
    from termcrm.services import tasks

    rt = runtime(ctx)
    actor = rt.actor
    tz = rt.settings.tz
    with rt.write() as s:
        base = tasks.get_task(s, actor, task_id)
        cancelled = tasks.cancel_task(
            s,
            actor,
            task_id,
            version=base.version if version is None else version,
            reason=reason,
            series=series,
        )
        rest = tasks.get_task(s, actor, task_id) if cancelled.id != task_id else None
    if rest is not None:
        tail = (
            f"the series goes on {_local(rest.due_at, tz)}"
            if rest.status == "open"
            else "the series had no occurrence left"
        )
        say(
            f"Cancelled the {_local(cancelled.due_at, tz)} occurrence of task {task_id} "
            f"(recorded as task {cancelled.id}); {tail}."
        )
    else:
        say(f"Cancelled task {cancelled.id}: {cancelled.title}.")


@app.command()
@guarded
def assign(
    ctx: typer.Context,
    task_id: Annotated[int, typer.Argument(metavar="ID", help="task id")],
    to: Annotated[str, typer.Option("--to", help="the login of the new assignee")],
    version: VersionOpt = None,
) -> None:
    """Hand a task (a repeating one with all its coming occurrences) to another user."""
    from termcrm.services import tasks

    rt = runtime(ctx)
    actor = rt.actor
    with rt.write() as s:
        base = tasks.get_task(s, actor, task_id)
        task = tasks.assign_task(
            s,
            actor,
            task_id,
            version=base.version if version is None else version,
            assignee_id=_user_id(s, to),
        )
    say(f"Task {task.id} ({task.title}) is now assigned to {task.assignee}.")
