"""The planner as iCalendar (.ics): tasks and significant dates out, events in as tasks.

Export (``export_planner``): every task is a ``VEVENT`` (not a ``VTODO``): Google
Calendar and Apple Calendar import only events from an .ics file and drop to-dos,
Thunderbird imports both; a planned call or meeting has a time and a length, which is
what an event is. A task's time is written in a zone (``TZID``, with its
``VTIMEZONE``): a repeating task in the zone it repeats in, so "every first Monday at
10:00" stays 10:00 across a DST change; other tasks in the user's zone. Its length is
``DTEND`` (none when the task has no duration), its reminder a ``VALARM``
(``TRIGGER:-PT15M``), its rule an ``RRULE``. Significant dates (birthdays, company
dates) are all-day events repeating every year (29 February: the last day of
February), with a reminder at 09:00 N days before. termcrm's own references ride in
``X-TERMCRM-*`` properties (client id and name, contact, deal, kind, status) and in
the description, for apps that drop unknown properties.

Import (``import_planner``): each ``VEVENT``/``VTODO`` becomes a task of the acting
user (its UID kept in ``task.ical_uid``), or is skipped with the reason: imported
before, a task of this very database (its own UID), no start time, a client that is
not there or not visible, a rule the planner cannot keep (HOURLY, RDATE, EXDATE), a
significant date, a cancelled or done item.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from termcrm.exchange.calendars import PRODID, _categories
from termcrm.exchange.errors import FileRefused
from termcrm.i18n import _
from termcrm.services import planner, recurrence, significant_dates, task_links, tasks
from termcrm.services.actor import Actor
from termcrm.services.errors import CrmError

if TYPE_CHECKING:
    from termcrm.services.dto import TaskOut, UserOut
    from termcrm.services.schema import Database
    from termcrm.services.significant_dates import Occasion

UID_DOMAIN = "termcrm"
X_TASK_ID = "X-TERMCRM-TASK-ID"
X_KIND = "X-TERMCRM-KIND"
X_STATUS = "X-TERMCRM-STATUS"
X_CLIENT_ID = "X-TERMCRM-CLIENT-ID"
X_CLIENT = "X-TERMCRM-CLIENT"
X_CONTACT_ID = "X-TERMCRM-CONTACT-ID"
X_DEAL_ID = "X-TERMCRM-DEAL-ID"
X_DATE = "X-TERMCRM-SIGNIFICANT-DATE"  # the kind of a significant date: birthday, holiday...
PAGE = 1000  # tasks read per page
REMINDER_HOUR = 9  # a significant date's reminder comes at 09:00, N days before

_TASK_UID = re.compile(r"^task-(\d+)(?:-(\d{8}T\d{6}Z))?@termcrm$", re.IGNORECASE)
_EXPORT_UID = re.compile(r"^termcrm-task-(\d+)$", re.IGNORECASE)  # `termcrm export tasks`
_DATE_UID = re.compile(r"^(?:date|birthday)-\d+@termcrm$", re.IGNORECASE)
_STAMP = "%Y%m%dT%H%M%SZ"


def task_uid(task_id: int, created: datetime | None) -> str:
    """The UID of a task's event: its id and creation time, the same in every export of
    the task, and not mistaken for a task with the same id in another database."""
    if created is None:
        return f"task-{task_id}@{UID_DOMAIN}"
    return f"task-{task_id}-{created.astimezone(UTC).strftime(_STAMP)}@{UID_DOMAIN}"


def _client_line(name: str, client_id: int) -> str:
    return _("Client") + f": {name} (#{client_id})"


# ------------------------------------------------------------------ export


@dataclass(frozen=True, slots=True)
class PlannerExport:
    tasks: int
    dates: int


def _all_tasks(s: Session, actor: Actor, flt: tasks.TaskFilter) -> Iterator[TaskOut]:
    after: str | None = None
    while True:
        page = tasks.list_tasks(s, actor, flt, after=after, limit=PAGE)
        yield from page.items
        if not page.next_cursor:
            return
        after = page.next_cursor


def planner_tasks(
    s: Session,
    actor: Actor,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    include_closed: bool = False,
    user_id: int | None = None,
) -> list[TaskOut]:
    """The tasks of ``user_id`` (default the actor) due in [since, until): open ones, or
    every status; and the repeating tasks whose current occurrence comes before
    ``since`` (they go on)."""
    whose = actor.id if user_id is None else user_id
    status = None if include_closed else "open"
    flt = tasks.TaskFilter(assignee_id=whose, status=status, due_after=since, due_before=until)
    found = {t.id: t for t in _all_tasks(s, actor, flt)}
    if since is not None:
        earlier = tasks.TaskFilter(assignee_id=whose, status="open", due_before=since)
        found.update((t.id, t) for t in _all_tasks(s, actor, earlier) if t.repeating)
    return sorted(found.values(), key=lambda t: (t.due_at, t.id))


def series_rule(task: TaskOut) -> str:
    """A series' rule as from its current occurrence (the event's DTSTART): a COUNT
    counts only the occurrences left."""
    rule = task.repeat
    start = task.series_start or task.due_at
    parts = rule.split(";")
    counts = [p for p in parts if p.upper().startswith("COUNT=")]
    if not counts or start >= task.due_at:
        return rule
    total = int(counts[0].partition("=")[2])
    before = len(recurrence.between(rule, start, task.series_tz, start, task.due_at))
    left = max(total - before, 1)
    return ";".join(f"COUNT={left}" if p in counts else p for p in parts)


def _in_zone(moment: datetime, zone: ZoneInfo) -> datetime:
    if zone.key == "UTC":
        return moment.astimezone(UTC)
    return moment.astimezone(zone)


def task_event(task: TaskOut, created: datetime | None, tz: ZoneInfo, stamp: datetime) -> Any:
    """A task as a VEVENT (see the module's docstring)."""
    from icalendar import Alarm, Event, vRecur

    event = Event()
    event.add("uid", task_uid(task.id, created))
    event.add("dtstamp", stamp)
    if created is not None:
        event.add("created", created.astimezone(UTC).replace(microsecond=0))
    event.add("sequence", max(task.version - 1, 0))
    event.add("summary", task.title)
    zone = tz
    if task.repeating and task.series_tz:
        zone = ZoneInfo(task.series_tz)
    event.add("dtstart", _in_zone(task.due_at, zone))
    if task.duration_min:
        event.add("dtend", _in_zone(task.due_at + timedelta(minutes=task.duration_min), zone))
    if task.repeating:
        event.add("rrule", vRecur.from_ical(series_rule(task)))
    event.add("status", "CANCELLED" if task.status == "cancelled" else "CONFIRMED")
    event.add("categories", [task.kind])
    lines = [_client_line(task.client, task.client_id)] if task.client_id is not None else []
    if task.notes:
        lines += ["", task.notes] if lines else [task.notes]
    if lines:
        event.add("description", "\n".join(lines))
    event.add(X_TASK_ID, str(task.id))
    event.add(X_KIND, task.kind)
    event.add(X_STATUS, task.status)
    if task.client_id is not None:
        event.add(X_CLIENT_ID, str(task.client_id))
        event.add(X_CLIENT, task.client)
        if task.contact_id is not None:
            event.add(X_CONTACT_ID, str(task.contact_id))
        if task.deal_id is not None:
            event.add(X_DEAL_ID, str(task.deal_id))
    if task.remind_before_min is not None:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", task.title)
        alarm.add("trigger", timedelta(minutes=-task.remind_before_min))
        event.add_component(alarm)
    return event


def _leap_year_from(year: int) -> int:
    while not (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)):
        year += 1
    return year


def _leap_year_before(year: int) -> int:
    while not (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)):
        year -= 1
    return year


def planner_dates(
    s: Session, actor: Actor, today: date, user_id: int | None = None
) -> tuple[int, list[Occasion]]:
    """Every significant date of the clients of ``user_id`` (default the actor), once:
    as it falls in a leap year (so 29 February is itself), with that year (which gives
    the dates' own years)."""
    year = _leap_year_from(today.year)
    whose = actor.id if user_id is None else user_id
    found = significant_dates.occasions(
        s, actor, date(year, 1, 1), date(year, 12, 31), owner_id=whose
    )
    return year, found


def date_event(occasion: Occasion, seen_in: int, today: date, stamp: datetime) -> Any:
    """A significant date as an all-day event every year, reminded at 09:00 N days before."""
    from icalendar import Alarm, Event, vRecur

    month, day = occasion.on.month, occasion.on.day
    year = seen_in - occasion.years if occasion.years is not None else None
    leap_day = (month, day) == (2, 29)
    if year is None:
        year = _leap_year_before(today.year) if leap_day else today.year
    start = date(year, month, day)
    event = Event()
    if occasion.date_id is not None:
        event.add("uid", f"date-{occasion.date_id}@{UID_DOMAIN}")
    else:
        event.add("uid", f"birthday-{occasion.contact_id}@{UID_DOMAIN}")
    event.add("dtstamp", stamp)
    label = _(significant_dates.KIND_LABELS.get(occasion.kind, occasion.kind))
    label = label[:1].upper() + label[1:]
    event.add("summary", f"{label}: {occasion.title} ({occasion.client})")
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(days=1))
    rule = "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1" if leap_day else "FREQ=YEARLY"
    event.add("rrule", vRecur.from_ical(rule))
    event.add("transp", "TRANSPARENT")
    event.add("categories", [occasion.kind])
    lines = [_client_line(occasion.client, occasion.client_id)]
    if occasion.years is not None and occasion.kind == "birthday":
        lines.append(_("Born in {year}").format(year=year))
    elif occasion.years is not None:
        lines.append(_("Since {year}").format(year=year))
    event.add("description", "\n".join(lines))
    event.add(X_DATE, occasion.kind)
    event.add(X_CLIENT_ID, str(occasion.client_id))
    event.add(X_CLIENT, occasion.client)
    if occasion.contact_id is not None:
        event.add(X_CONTACT_ID, str(occasion.contact_id))
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", f"{label}: {occasion.title}")
    alarm.add("trigger", timedelta(hours=REMINDER_HOUR) - timedelta(days=occasion.remind_days))
    event.add_component(alarm)
    return event


def export_planner(
    s: Session,
    actor: Actor,
    out: Path | None,
    *,
    tz: ZoneInfo,
    since: datetime | None = None,
    until: datetime | None = None,
    include_closed: bool = False,
    with_dates: bool = True,
    now: datetime | None = None,
    user: UserOut | None = None,
) -> PlannerExport:
    """Write the tasks of ``user`` (default the actor, who must be allowed to see that
    user's planner) and the significant dates of their clients to ``out`` (None:
    stdout) as one VCALENDAR. The file appears whole or not at all."""
    from icalendar import Calendar

    from termcrm.exchange.output_file import OutputFile

    stamp = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    today = stamp.astimezone(tz).date()
    user_id = None if user is None else user.id
    if user_id is not None:
        planner.check_planner_reach(s, actor, user_id)
    found = planner_tasks(
        s, actor, since=since, until=until, include_closed=include_closed, user_id=user_id
    )
    created = task_links.created_times(s, [t.id for t in found])
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    whose = user or actor
    calendar.add("x-wr-calname", f"termcrm: {whose.full_name or whose.login}")
    calendar.add("x-wr-timezone", tz.key)
    for task in found:
        calendar.add_component(task_event(task, created.get(task.id), tz, stamp))
    occasions: list[Occasion] = []
    if with_dates:
        seen_in, occasions = planner_dates(s, actor, today, user_id)
        for occasion in occasions:
            calendar.add_component(date_event(occasion, seen_in, today, stamp))
    if hasattr(calendar, "add_missing_timezones"):  # icalendar 6.1 and later
        calendar.add_missing_timezones()
    output = OutputFile(out)
    try:
        output.stream.write(calendar.to_ical())
    except BaseException:
        output.discard()
        raise
    output.commit()
    return PlannerExport(len(found), len(occasions))


# ------------------------------------------------------------------ import


@dataclass(frozen=True, slots=True)
class Planned:
    """An event read from the file, to become a task."""

    uid: str
    title: str
    due_at: datetime
    kind: str
    notes: str = ""
    duration_min: int | None = None
    remind_before_min: int | None = None
    repeat: str = ""
    tz: str = ""
    client_id: int | None = None
    client: str = ""
    contact_id: int | None = None
    deal_id: int | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Skipped:
    """An item of the file that was not imported, and why. ``problem``: something to
    look at (exit code 3); otherwise an expected skip (imported before, a
    significant date, a cancelled or done item)."""

    uid: str
    title: str
    due_at: datetime | None
    reason: str
    problem: bool = True
    day: date | None = None  # an all-day item's date


@dataclass(frozen=True, slots=True)
class Imported:
    uid: str
    title: str
    due_at: datetime
    repeat: str
    task_id: int | None  # None in a dry run
    client: str = ""
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlannerImport:
    path: Path
    dry_run: bool
    imported: list[Imported] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def problems(self) -> list[Skipped]:
        return [s for s in self.skipped if s.problem]

    @property
    def ok(self) -> bool:
        return not self.problems


def _aware(value: datetime, tz: tzinfo) -> datetime:
    return value.replace(tzinfo=tz) if value.tzinfo is None else value


def _zone_name(moment: datetime, fallback: ZoneInfo) -> tuple[str, bool]:
    """The IANA zone a time was written in (a floating time: the user's zone), and
    whether it is known (False: an unknown zone, the user's is used for its rule)."""
    info = moment.tzinfo
    if info is None:
        return fallback.key, True
    key = getattr(info, "key", None)
    if key:
        return str(key), True
    if info is UTC or (moment.utcoffset() == timedelta(0) and moment.tzname() in ("UTC", "Z")):
        return "UTC", True
    candidates: list[str] = []
    try:
        from icalendar.timezone import tzid_from_dt

        tzid = tzid_from_dt(moment)
        if tzid:
            candidates.append(str(tzid))
    except ImportError:  # an older icalendar
        pass
    name = moment.tzname()
    if name:
        candidates.append(name)
    for candidate in candidates:
        try:
            from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

            candidate = WINDOWS_TO_OLSON.get(candidate, candidate)
        except ImportError:
            pass
        try:
            ZoneInfo(candidate)
        except (ZoneInfoNotFoundError, ValueError):
            continue
        return candidate, True
    return fallback.key, False


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _minutes(delta: timedelta) -> int:
    return round(delta.total_seconds() / 60)


def _notes(comp: Any, client_id: int | None) -> str:
    text = str(comp.get("description", "") or "")
    lines = text.splitlines()
    if client_id is not None and lines and lines[0].rstrip().endswith(f"(#{client_id})"):
        lines = lines[1:]
        if lines and not lines[0].strip():
            lines = lines[1:]
    location = str(comp.get("location", "") or "").strip()
    if location:
        lines.append(_("Location: {place}").format(place=location))
    return "\n".join(lines).strip()


def _reminder(
    comp: Any, start: datetime, duration: int | None, tz: tzinfo, warnings: list[str]
) -> int | None:
    for alarm in comp.walk("VALARM"):
        trigger = alarm.get("trigger")
        value = getattr(trigger, "dt", None)
        if isinstance(value, timedelta):
            related = str(getattr(trigger, "params", {}).get("RELATED", "START")).upper()
            anchor = start + timedelta(minutes=duration or 0) if related == "END" else start
            remind_at = anchor + value
        elif isinstance(value, datetime):
            remind_at = _aware(value, tz)
        else:
            continue
        before = _minutes(start - remind_at)
        if before < 0:
            warnings.append(_("a reminder after the start was left out"))
            continue
        if before > tasks.MAX_REMIND_MIN:
            warnings.append(_("a reminder more than 7 days ahead was left out"))
            continue
        return before
    return None


def read_item(comp: Any, tz: ZoneInfo) -> Planned | Skipped:
    """One VEVENT or VTODO as a task to plan, or the reason it is skipped."""
    uid = str(comp.get("uid", "") or "").strip()
    title = " ".join(str(comp.get("summary", "") or "").split())
    todo = comp.name == "VTODO"
    raw = (comp.get("due") or comp.get("dtstart")) if todo else comp.get("dtstart")
    value = getattr(raw, "dt", None)
    start = _aware(value, tz) if isinstance(value, datetime) else None

    day = value if isinstance(value, date) and not isinstance(value, datetime) else None

    def skip(reason: str, problem: bool = True) -> Skipped:
        moment = start.astimezone(UTC) if start else None
        return Skipped(uid, title, moment, reason, problem, day)

    if comp.get(X_DATE) is not None or _DATE_UID.match(uid):
        return skip(_("a significant date, not a task"), problem=False)
    if comp.get("recurrence-id") is not None:
        return skip(
            _(
                "a changed occurrence of a repeating event (RECURRENCE-ID): only whole series "
                "are imported"
            )
        )
    status = str(comp.get("status", "") or "").upper()
    ours = str(comp.get(X_STATUS, "") or "").lower()
    if status == "CANCELLED" or ours == "cancelled":
        return skip(_("cancelled"), problem=False)
    if status == "COMPLETED" or ours == "done" or (todo and comp.get("completed") is not None):
        return skip(_("already done"), problem=False)
    if value is None:
        return skip(_("no start time"))
    if start is None:
        return skip(_("an all-day item has no start time"))
    if comp.get("rdate") is not None or comp.get("exdate") is not None:
        return skip(_("extra or excluded dates (RDATE, EXDATE): a task repeats by its rule alone"))
    rules = comp.get("rrule")
    if isinstance(rules, list):
        if len(rules) > 1:
            return skip(_("more than one RRULE"))
        rules = rules[0]
    repeat = ""
    warnings: list[str] = []
    zone = ""
    if rules is not None:
        freq = [str(f).upper() for f in rules.get("FREQ", [])]
        if not freq or freq[0] not in recurrence.FREQS:
            return skip(
                _("repeats {freq}: the planner repeats daily at most").format(
                    freq=freq[0] if freq else "?"
                )
            )
        repeat = rules.to_ical().decode()
        zone, known = _zone_name(start, tz)
        if not known:
            warnings.append(
                _("its time zone is unknown: it repeats on the clock of {zone}").format(zone=zone)
            )
    duration: int | None = None
    end = getattr(comp.get("dtend") if not todo else None, "dt", None)
    length = getattr(comp.get("duration"), "dt", None)
    if isinstance(end, datetime):
        duration = _minutes(_aware(end, tz) - start)
    elif isinstance(length, timedelta) and not todo:
        duration = _minutes(length)
    if duration is not None and duration <= 0:
        duration = None
    if duration is not None and duration > tasks.MAX_DURATION_MIN:
        warnings.append(_("a length over 7 days was left out"))
        duration = None
    remind = _reminder(comp, start, duration, tz, warnings)
    kind = str(comp.get(X_KIND, "") or "").lower()
    if kind not in tasks.KINDS:
        cats = [c.lower() for c in _categories(comp.get("categories"))]
        kind = next((c for c in cats if c in tasks.KINDS), "other" if todo else "meeting")
    client_id = _int(comp.get(X_CLIENT_ID)) if comp.get(X_CLIENT_ID) is not None else None
    return Planned(
        uid=uid,
        title=title,
        due_at=start.astimezone(UTC),
        kind=kind,
        notes=_notes(comp, client_id),
        duration_min=duration,
        remind_before_min=remind,
        repeat=repeat,
        tz=zone,
        client_id=client_id,
        client=str(comp.get(X_CLIENT, "") or ""),
        contact_id=_int(comp.get(X_CONTACT_ID)) if client_id is not None else None,
        deal_id=_int(comp.get(X_DEAL_ID)) if client_id is not None else None,
        warnings=tuple(warnings),
    )


def read_items(path: Path, tz: ZoneInfo) -> list[Planned | Skipped]:
    """Every VEVENT and VTODO of an .ics file, in file order."""
    from icalendar import Calendar

    path = Path(path)
    try:
        calendars = Calendar.from_ical(path.read_bytes(), multiple=True)
    except OSError as exc:
        raise FileRefused(
            _("{name} cannot be read: {error}").format(name=path.name, error=exc.strerror)
        ) from exc
    except ValueError as exc:
        raise FileRefused(
            _("{name} is not a valid iCalendar file: {error}").format(name=path.name, error=exc)
        ) from exc
    return [
        read_item(comp, tz)
        for calendar in calendars
        for comp in calendar.walk()
        if comp.name in ("VEVENT", "VTODO")
    ]


def own_task(uid: str) -> tuple[int, str | None] | None:
    """The task id (and creation stamp) a UID of termcrm's own exports names."""
    match = _TASK_UID.match(uid)
    if match:
        return int(match.group(1)), match.group(2).upper() if match.group(2) else None
    match = _EXPORT_UID.match(uid)
    if match:
        return int(match.group(1)), None
    return None


class _DryRunDone(Exception):
    pass


def import_planner(
    db: Database, actor: Actor, path: Path, *, tz: ZoneInfo, dry_run: bool = False
) -> PlannerImport:
    """Import the events of an .ics file as tasks of ``actor``, in one transaction
    (a dry run checks everything, then rolls back)."""
    from termcrm.services.clients import require_visible_client

    items = read_items(path, tz)
    report = PlannerImport(Path(path), dry_run)
    planned = [i for i in items if isinstance(i, Planned)]
    try:
        with db.write() as s:
            known = task_links.imported_uids(s, actor, [p.uid for p in planned])
            own = {p.uid: own_task(p.uid) for p in planned}
            created = task_links.created_times(s, [o[0] for o in own.values() if o])
            seen: set[str] = set()
            for item in items:
                if isinstance(item, Skipped):
                    report.skipped.append(item)
                    continue
                reason = _already(item, known, own.get(item.uid), created, seen)
                if reason:
                    report.skipped.append(Skipped(item.uid, item.title, item.due_at, reason, False))
                    continue
                if item.uid:
                    seen.add(item.uid)
                reason = _client_refusal(s, actor, item, require_visible_client)
                if reason:
                    report.skipped.append(Skipped(item.uid, item.title, item.due_at, reason))
                    continue
                try:
                    with s.begin_nested():
                        task = tasks.add_task(
                            s,
                            actor,
                            title=item.title,
                            due_at=item.due_at,
                            kind=item.kind,
                            client_id=item.client_id,
                            contact_id=item.contact_id,
                            deal_id=item.deal_id,
                            notes=item.notes,
                            duration_min=item.duration_min,
                            remind_before_min=item.remind_before_min,
                            repeat=item.repeat,
                            tz=item.tz,
                            ical_uid=item.uid,
                        )
                except CrmError as exc:
                    report.skipped.append(Skipped(item.uid, item.title, item.due_at, str(exc)))
                    continue
                report.imported.append(
                    Imported(
                        item.uid,
                        task.title,
                        task.due_at,
                        task.repeat,
                        None if dry_run else task.id,
                        task.client,
                        item.warnings,
                    )
                )
            if dry_run:
                raise _DryRunDone
    except _DryRunDone:
        pass
    return report


def _already(
    item: Planned,
    known: dict[str, int],
    own: tuple[int, str | None] | None,
    created: dict[int, datetime],
    seen: set[str],
) -> str:
    if not item.uid:
        return ""
    if item.uid in seen:
        return _("the same UID comes earlier in this file")
    if item.uid in known:
        return _("imported before: task {id}").format(id=known[item.uid])
    if own is not None:
        task_id, stamp = own
        made = created.get(task_id)
        if made is not None and (stamp is None or made.astimezone(UTC).strftime(_STAMP) == stamp):
            return _("a task of this database: task {id}").format(id=task_id)
    return ""


def _client_refusal(s: Session, actor: Actor, item: Planned, visible: Any) -> str:
    if item.client_id is None:
        return ""
    try:
        row = visible(s, actor, item.client_id)
    except CrmError as exc:
        return _("client {id} not found or not visible to you: {reason}").format(
            id=item.client_id, reason=exc
        )
    if item.client and row.name != item.client:
        return _("client {id} is {here} here, the file says {there}").format(
            id=item.client_id, here=row.name, there=item.client
        )
    return ""
