"""`termcrm today`: the day's agenda in the shell, a one-line summary, or JSON.

Exit code 0 whether or not something is due (a prompt or a login script must not
see a failure for an empty day); 1 for a real error (the database, a refused
``--user``), 2 for a usage error.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from termcrm.cli.output import console
from termcrm.cli.parse import parse_day
from termcrm.cli.runtime import guarded, runtime

if TYPE_CHECKING:
    from termcrm.services.dto import TaskOut
    from termcrm.services.planner import Agenda, AgendaItem
    from termcrm.services.significant_dates import Occasion

SCHEMA = "termcrm.today/1"
SHORT_TITLE = 40  # characters of the next task's title in --short
OVERDUE_SHOWN = 10  # overdue tasks listed in the table (the count says how many)


@dataclass
class Day:
    """What `today` shows, gathered once for every output form."""

    day: date
    tz: ZoneInfo
    now: datetime
    user: dict[str, Any]
    agenda: Agenda
    coming_dates: list[Occasion] = field(default_factory=list)
    coming_tasks: list[TaskOut] = field(default_factory=list)

    @property
    def is_today(self) -> bool:
        return self.day == self.now.astimezone(self.tz).date()

    @property
    def tasks_on_day(self) -> list[AgendaItem]:
        return [i for i in self.agenda.items if i.task is not None]

    @property
    def open_on_day(self) -> list[AgendaItem]:
        return [i for i in self.tasks_on_day if i.task and i.task.status == "open"]

    @property
    def ahead(self) -> list[AgendaItem]:
        """Open tasks of the day still to come (not yet past due)."""
        return [i for i in self.open_on_day if i.at is not None and i.at >= self.now]

    @property
    def late_on_day(self) -> list[AgendaItem]:
        return [i for i in self.open_on_day if i.at is not None and i.at < self.now]

    @property
    def overdue_total(self) -> int:
        """Every open task past due: from the days before and from this one."""
        return self.agenda.overdue_total + len(self.late_on_day)

    @property
    def dates_on_day(self) -> list[AgendaItem]:
        return [i for i in self.agenda.items if i.occasion is not None]

    @property
    def next_item(self) -> AgendaItem | None:
        ahead = self.ahead
        return ahead[0] if ahead else None


@guarded
def today(
    ctx: typer.Context,
    short: Annotated[
        bool,
        typer.Option("--short", help="one line, for a shell prompt, a tmux status or a login"),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON for scripts")] = False,
    day: Annotated[
        str | None,
        typer.Option("--date", help="another day: 2026-12-01, tomorrow, +3d (default: today)"),
    ] = None,
    user: Annotated[
        str | None,
        typer.Option("--user", help="a rep's agenda (managers: their department's users)"),
    ] = None,
) -> None:
    """Your agenda for today: overdue tasks, the day's tasks by time, birthdays and
    company dates, and the dates coming up. Exit code 0 whether or not something is due."""
    if short and as_json:
        raise typer.BadParameter("choose --short or --json", param_hint="--short")
    data = gather(ctx, day=day, user=user)
    if short:
        typer.echo(short_line(data))
    elif as_json:
        sys.stdout.write(json.dumps(to_json(data), ensure_ascii=False, indent=2) + "\n")
    else:
        print_table(data)


def gather(ctx: typer.Context, *, day: str | None, user: str | None) -> Day:
    from termcrm.services import org, planner, significant_dates

    rt = runtime(ctx)
    tz = rt.settings.tz
    actor = rt.actor
    now = datetime.now(UTC)
    wanted = parse_day(day, tz, option="--date") if day else now.astimezone(tz).date()
    with rt.read() as s:
        if user and user != actor.login:
            person = org.get_user(s, user)
            who = planner.Who.user(person.id)
            owner_id, name, login = person.id, person.full_name or person.login, person.login
        else:
            who = planner.Who.mine()
            owner_id, name, login = actor.id, actor.full_name or actor.login, actor.login
        agenda = planner.agenda(s, actor, wanted, wanted, tz, who=who, now=now)
        coming = [
            o
            for o in significant_dates.reminders(s, actor, wanted, owner_id=owner_id)
            if o.on > wanted
        ]
        tasks: list[TaskOut] = []
        if who.scope == "mine" and wanted == now.astimezone(tz).date():
            day_end = datetime.combine(wanted + timedelta(days=1), datetime.min.time(), tz)
            tasks = [
                r.task
                for r in planner.reminders(s, actor, tz, now=now)
                if r.task is not None and r.task.due_at >= day_end
            ]
    person_info = {"id": owner_id, "login": login, "name": name, "mine": who.scope == "mine"}
    return Day(wanted, tz, now, person_info, agenda, coming, tasks)


# -- one line


def short_line(data: Day) -> str:
    """'3 due today, 2 overdue, next 15:00 Call Acme'; 'nothing due today' otherwise."""
    when = "today" if data.is_today else f"on {data.day.isoformat()}"
    ahead = len(data.ahead)
    late = data.overdue_total
    parts: list[str] = []
    if ahead:
        parts.append(f"{ahead} due {when}")
    if late:
        parts.append(f"{late} overdue")
    if not parts:
        parts.append(f"nothing due {when}")
    dates = len(data.dates_on_day)
    if dates:
        parts.append(f"{dates} date" + ("s" if dates > 1 else ""))
    following = data.next_item
    if following is not None and following.task is not None and following.at is not None:
        title = " ".join(following.task.title.split())
        if len(title) > SHORT_TITLE:
            title = title[: SHORT_TITLE - 1] + "…"
        parts.append(f"next {_clock(following.at, data.tz)} {title}")
    return ", ".join(parts)


def _clock(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%H:%M")


# -- JSON


def _iso(moment: datetime | None, tz: ZoneInfo) -> str | None:
    return moment.astimezone(tz).isoformat() if moment is not None else None


def _utc(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def task_json(
    item: AgendaItem | None, task: TaskOut, tz: ZoneInfo, now: datetime
) -> dict[str, Any]:
    from termcrm.services import recurrence

    at = item.at if item is not None and item.at is not None else task.due_at
    return {
        "type": "task",
        "id": task.id,
        "title": task.title,
        "kind": task.kind,
        "status": task.status,
        "at": _iso(at, tz),
        "at_utc": _utc(at),
        "overdue": task.status == "open" and at < now,
        "occurrence": bool(item is not None and item.occurrence),
        "duration_min": task.duration_min,
        "remind_before_min": task.remind_before_min,
        "remind_at": _iso(at - timedelta(minutes=task.remind_before_min), tz)
        if task.remind_before_min is not None
        else None,
        "repeat": task.repeat or None,
        "repeat_text": recurrence.describe(task.repeat) if task.repeat else None,
        "series_id": task.series_id,
        "client_id": task.client_id,
        "client": task.client or None,
        "contact_id": task.contact_id,
        "deal_id": task.deal_id,
        "assignee_id": task.assignee_id,
        "assignee": task.assignee,
        "notes": task.notes,
        "version": task.version,
    }


def date_json(occasion: Occasion, day: date) -> dict[str, Any]:
    return {
        "type": "date",
        "on": occasion.on.isoformat(),
        "in_days": (occasion.on - day).days,
        "kind": occasion.kind,
        "kind_label": kind_label(occasion.kind),
        "title": occasion.title,
        "years": occasion.years,
        "client_id": occasion.client_id,
        "client": occasion.client,
        "contact_id": occasion.contact_id,
        "date_id": occasion.date_id,
        "remind_days": occasion.remind_days,
    }


def to_json(data: Day) -> dict[str, Any]:
    tz, now = data.tz, data.now
    items: list[dict[str, Any]] = []
    for item in data.agenda.items:
        if item.task is not None:
            items.append(task_json(item, item.task, tz, now))
        elif item.occasion is not None:
            items.append(date_json(item.occasion, data.day))
    following = data.next_item
    return {
        "schema": SCHEMA,
        "date": data.day.isoformat(),
        "timezone": tz.key,
        "generated_at": _iso(now.replace(microsecond=0), tz),
        "user": data.user,
        "counts": {
            "due": len(data.ahead),
            "overdue": data.overdue_total,
            "open": len(data.open_on_day),
            "done": sum(1 for i in data.tasks_on_day if i.task and i.task.status == "done"),
            "dates": len(data.dates_on_day),
            "coming_up": len(data.coming_dates) + len(data.coming_tasks),
        },
        "next": task_json(following, following.task, tz, now)
        if following is not None and following.task is not None
        else None,
        "overdue": [
            task_json(i, i.task, tz, now) for i in data.agenda.overdue if i.task is not None
        ],
        "overdue_before_total": data.agenda.overdue_total,
        "items": items,
        "coming_up": [date_json(o, data.day) for o in data.coming_dates]
        + [task_json(None, t, tz, now) for t in data.coming_tasks],
    }


# -- the table


def kind_label(kind: str) -> str:
    """A significant date's kind in words ("birthday", "foundation day")."""
    from termcrm.i18n import _
    from termcrm.services.significant_dates import KIND_LABELS

    return _(KIND_LABELS[kind]) if kind in KIND_LABELS else kind


def occasion_text(occasion: Occasion) -> str:
    """The date's title with the age reached ('Jane Roe (50)') or the anniversary
    ('Founded (25 years)')."""
    if occasion.years is None:
        return occasion.title
    if occasion.kind == "birthday":
        return f"{occasion.title} ({occasion.years})"
    years = "year" if occasion.years == 1 else "years"
    return f"{occasion.title} ({occasion.years} {years})"


def _task_text(task: TaskOut) -> Text:
    from termcrm.services import recurrence

    text = Text(task.title)
    if task.repeat and task.status == "open":
        text.append(f"\n↻ {recurrence.describe(task.repeat)}", style="dim")
    return text


def _table(title: str) -> Table:
    table = Table(
        title=Text(title),
        title_justify="left",
        title_style="bold",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        show_header=False,
        pad_edge=False,
        expand=True,  # the three tables line up
    )
    table.add_column("When", no_wrap=True, min_width=11)
    table.add_column("Kind", no_wrap=True, min_width=10)
    table.add_column("What", overflow="fold", ratio=3)
    table.add_column("Client", overflow="fold", ratio=2)
    table.add_column("ID", no_wrap=True, justify="right", min_width=12)
    return table


def _date_row(table: Table, when: Text, o: Occasion) -> None:
    ref = f"date {o.date_id}" if o.date_id is not None else f"contact {o.contact_id}"
    table.add_row(
        when, Text(o.kind), Text(occasion_text(o)), Text(o.client), Text(ref, style="dim")
    )


def print_table(data: Day, *, overdue_shown: int = OVERDUE_SHOWN) -> None:
    """Overdue, the day, coming up: a table each; the one-line summary last."""
    tz = data.tz
    title = Text(f"{data.day.isoformat()} ({data.day.strftime('%A')})")
    if data.is_today:
        title = Text("Today, ") + title
    title.append(f" - {data.user['name']}")
    console.print(title, style="bold")
    overdue = data.agenda.overdue
    if overdue:
        total = data.agenda.overdue_total
        table = _table(f"Overdue ({total})")
        for item in overdue[:overdue_shown]:
            task = item.task
            assert task is not None
            table.add_row(
                Text(task.due_at.astimezone(tz).strftime("%m-%d %H:%M"), style="red"),
                Text(task.kind),
                _task_text(task),
                Text(task.client),
                Text(str(task.id)),
            )
        console.print(table)
        if total > overdue_shown:
            more = total - overdue_shown
            whose = "" if data.user["mine"] else f" --user {data.user['login']}"
            last = (data.day - timedelta(days=1)).isoformat()
            console.print(
                Text(f"  ... and {more} more: termcrm task list{whose} --to {last}"), style="dim"
            )
    if data.agenda.items:
        table = _table("Today" if data.is_today else data.day.isoformat())
        for item in data.agenda.items:
            if item.occasion is not None:
                _date_row(table, Text("all day", style="magenta"), item.occasion)
            elif item.task is not None and item.at is not None:
                task = item.task
                done = task.status == "done"
                style = "dim" if done else ("red" if item.overdue else "")
                when = Text(_clock(item.at, tz), style=style)
                if done:
                    when.append(" done", style="green")
                table.add_row(
                    when,
                    Text(task.kind, style=style),
                    _task_text(task),
                    Text(task.client, style=style),
                    Text(str(task.id), style="dim" if item.occurrence else ""),
                )
        console.print(table)
    if data.coming_dates or data.coming_tasks:
        table = _table("Coming up")
        for o in data.coming_dates:
            days = (o.on - data.day).days
            _date_row(table, Text(f"{o.on.strftime('%m-%d')} in {days}d"), o)
        for task in data.coming_tasks:
            table.add_row(
                Text(task.due_at.astimezone(tz).strftime("%m-%d %H:%M")),
                Text(task.kind),
                _task_text(task),
                Text(task.client),
                Text(str(task.id)),
            )
        console.print(table)
    console.print(Text(short_line(data)), style="dim")
