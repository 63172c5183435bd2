"""iCalendar (.ics) files: tasks as VTODO, interactions as VEVENT.

Writing streams one component at a time (an export of many tasks stays small in memory);
times are written in UTC. Reading accepts any VTODO/VEVENT: times with a TZID, in UTC or
floating (taken in ``tz``), and all-day dates (midnight in ``tz``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any, Literal

from termcrm.exchange.errors import FileRefused
from termcrm.i18n import _

PRODID = "-//termcrm//termcrm//EN"

# termcrm's task statuses and the iCalendar STATUS of a VTODO
TASK_STATUS_TO_ICAL = {"open": "NEEDS-ACTION", "done": "COMPLETED", "cancelled": "CANCELLED"}
ICAL_TO_TASK_STATUS = {
    "NEEDS-ACTION": "open",
    "IN-PROCESS": "open",
    "COMPLETED": "done",
    "CANCELLED": "cancelled",
}


@dataclass(frozen=True)
class CalendarItem:
    uid: str
    summary: str
    start: datetime  # aware; an event's start, a todo's due time (written as DUE)
    end: datetime | None = None  # an event's end (a todo has none)
    description: str = ""
    categories: list[str] = field(default_factory=list)
    status: str | None = None  # iCalendar STATUS, or a task status (open, done, cancelled)
    completed: datetime | None = None  # a todo's completion time
    kind: Literal["todo", "event"] = "todo"


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("calendar times must be timezone-aware")
    return moment.astimezone(UTC)


def _component(item: CalendarItem, stamp: datetime) -> Any:
    from icalendar import Event, Todo

    comp = Todo() if item.kind == "todo" else Event()
    comp.add("uid", item.uid)
    comp.add("dtstamp", stamp)
    comp.add("summary", item.summary)
    if item.kind == "todo":
        comp.add("due", _utc(item.start))
    else:
        comp.add("dtstart", _utc(item.start))
        if item.end is not None:
            comp.add("dtend", _utc(item.end))
    if item.description:
        comp.add("description", item.description)
    if item.categories:
        comp.add("categories", list(item.categories))
    if item.status:
        status = TASK_STATUS_TO_ICAL.get(item.status, item.status.upper())
        comp.add("status", status)
    if item.completed is not None:
        comp.add("completed", _utc(item.completed))
    return comp


def write_calendar(items: Iterable[CalendarItem], out: Path | None, *, name: str) -> None:
    """Write the items as one VCALENDAR named ``name`` to ``out`` (None: stdout)."""
    from icalendar import Calendar

    from termcrm.exchange.output_file import OutputFile

    head = Calendar()
    head.add("prodid", PRODID)
    head.add("version", "2.0")
    head.add("calscale", "GREGORIAN")
    head.add("x-wr-calname", name)
    opening, closing = head.to_ical().split(b"END:VCALENDAR")
    stamp = datetime.now(UTC).replace(microsecond=0)
    output = OutputFile(out)
    try:
        output.stream.write(opening)
        for item in items:
            output.stream.write(_component(item, stamp).to_ical())
        output.stream.write(b"END:VCALENDAR" + closing)
    except BaseException:
        output.discard()
        raise
    output.commit()


def _moment(value: Any, tz: tzinfo) -> datetime | None:
    moment = getattr(value, "dt", value)
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=tz)
        return moment.astimezone(UTC)
    if isinstance(moment, date):
        return datetime.combine(moment, time(), tzinfo=tz).astimezone(UTC)
    return None


def _categories(value: Any) -> list[str]:
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    found: list[str] = []
    for v in values:
        cats = getattr(v, "cats", None)
        found.extend(str(c) for c in (cats if cats is not None else [v]))
    return found


def read_calendar(path: Path, *, tz: tzinfo | None = None) -> Iterator[CalendarItem]:
    """The VTODO and VEVENT items of an .ics file, times in UTC.

    A todo's time is its DUE (else its DTSTART); an item with no time at all is skipped.
    Floating times and all-day dates are taken in ``tz`` (default: UTC).
    """
    from icalendar import Calendar

    zone = tz or UTC
    path = Path(path)
    try:
        data = path.read_bytes()
        calendars = Calendar.from_ical(data, multiple=True)
    except OSError as exc:
        raise FileRefused(
            _("{name} cannot be read: {error}").format(name=path.name, error=exc.strerror)
        ) from exc
    except ValueError as exc:
        raise FileRefused(
            _("{name} is not a valid iCalendar file: {error}").format(name=path.name, error=exc)
        ) from exc
    for calendar in calendars:
        for comp in calendar.walk():
            if comp.name not in ("VTODO", "VEVENT"):
                continue
            kind: Literal["todo", "event"] = "todo" if comp.name == "VTODO" else "event"
            if kind == "todo":
                start = _moment(comp.get("due") or comp.get("dtstart"), zone)
                end = None
            else:
                start = _moment(comp.get("dtstart"), zone)
                end = _moment(comp.get("dtend"), zone)
                duration = comp.get("duration")
                if end is None and start is not None and duration is not None:
                    delta = getattr(duration, "dt", None)
                    end = start + delta if isinstance(delta, timedelta) else None
            if start is None:
                continue
            status = comp.get("status")
            yield CalendarItem(
                uid=str(comp.get("uid", "")),
                summary=str(comp.get("summary", "")),
                start=start,
                end=end,
                description=str(comp.get("description", "")),
                categories=_categories(comp.get("categories")),
                status=str(status).upper() if status is not None else None,
                completed=_moment(comp.get("completed"), zone),
                kind=kind,
            )
