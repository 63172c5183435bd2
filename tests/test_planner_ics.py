"""`termcrm planner export --ics` and `termcrm planner import` on SQLite and PostgreSQL.

The exported file parses with the icalendar package; importing it into a fresh
database keeps every task's title, time (a repeating task across a DST change too),
client reference, rule, length and reminder; importing it again, or into the database
it came from, skips every event as already there; events the planner cannot keep are
skipped with their reason (exit code 3)."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest
from dateutil.rrule import rrulestr
from icalendar import Calendar
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from termcrm.cli import app
from termcrm.services import clients, contacts, org, recurrence, significant_dates, tasks
from termcrm.services.actor import Actor
from termcrm.services.dto import TaskOut
from termcrm.store import migrate
from termcrm.store.engine import Database

runner = CliRunner()
ME = org.os_login()
BERLIN = ZoneInfo("Europe/Berlin")
MOSCOW = ZoneInfo("Europe/Moscow")


class Cli:
    def __init__(self, url: str) -> None:
        self.url = url

    def __call__(self, *args: str, code: int = 0) -> str:
        result = runner.invoke(app, ["--db", self.url, *args])
        assert result.exit_code == code, (args, result.exit_code, result.output)
        assert "Traceback" not in result.output
        return result.output


@pytest.fixture
def berlin(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "none.toml").write_text("", encoding="utf-8")
    monkeypatch.setenv("TERMCRM_TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("TERMCRM_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def fresh_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A second empty, migrated database of the same backend (dropped afterwards)."""
    if backend == "sqlite":
        target = tmp_path / "fresh.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), target)
        yield str(target)
        return
    admin_url: str = request.getfixturevalue("pg_admin_url")
    name = f"termcrm_fresh_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_libpq(admin_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        db = Database(url)
        migrate.upgrade(db)
        db.dispose()
        yield url
    finally:
        with psycopg.connect(_libpq(admin_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Shop:
    url: str
    db: Database
    me: Actor
    acme: int
    south: int  # a client of another department's rep
    jane: int  # a contact of acme


def populate(url: str) -> Shop:
    """The same team and clients in any empty database (so the same ids)."""
    db = Database(url)
    with db.write() as s:
        admin = org.resolve_actor(s, "admin")
        org.add_department(s, admin, "North")
        org.add_department(s, admin, "South")
        org.add_user(s, admin, ME, role="rep", department="North", full_name="Me Myself")
        org.add_user(s, admin, "sue", role="rep", department="South", full_name="Sue South")
        me = org.actor_by_login(s, ME)
        sue = org.actor_by_login(s, "sue")
        acme = clients.create_client(s, admin, {"name": "Acme; Sons, Ltd", "owner_id": me.id}).id
        south = clients.create_client(s, admin, {"name": "South Ltd", "owner_id": sue.id}).id
        jane = contacts.create_contact(
            s,
            admin,
            acme,
            {"full_name": "Jane Roe", "birthday": date(1980, 2, 29), "birthday_remind_days": 2},
        ).id
        significant_dates.add_date(
            s, me, client_id=acme, kind="foundation", title="Founded", month=6, day=15,
            year=2001, remind_days=3,
        )  # fmt: skip
    return Shop(url, db, me, acme, south, jane)


@pytest.fixture
def shop(db_url: str, berlin: None) -> Iterator[Shop]:
    made = populate(db_url)
    yield made
    made.db.dispose()


def _at(day: date, hour: int, tz: ZoneInfo = BERLIN) -> datetime:
    return datetime.combine(day, time(hour), tz)


def plan(shop: Shop) -> dict[str, int]:
    """The tasks of the round trip; returns title -> id."""
    me = shop.me
    with shop.db.write() as s:
        call = tasks.add_task(
            s, me, title="Call Acme", due_at=_at(date(2030, 3, 5), 14), client_id=shop.acme,
            contact_id=shop.jane, duration_min=30, remind_before_min=15,
            notes="Ask about the spring order",
        )  # fmt: skip
        weekly = tasks.add_task(
            s, me, title="Weekly sync", due_at=_at(date(2030, 3, 18), 10), kind="meeting",
            duration_min=45, remind_before_min=10, repeat="FREQ=WEEKLY;BYDAY=MO",
            tz="Europe/Berlin",
        )  # fmt: skip
        moscow = tasks.add_task(
            s, me, title="Moscow call", due_at=_at(date(2030, 3, 4), 11, MOSCOW),
            client_id=shop.acme, repeat="FREQ=MONTHLY;BYDAY=1MO", tz="Europe/Moscow",
        )  # fmt: skip
        counted = tasks.add_task(
            s, me, title="Counted", due_at=_at(date(2030, 3, 1), 9),
            repeat="FREQ=DAILY;COUNT=5", tz="Europe/Berlin",
        )  # fmt: skip
        tasks.complete_task(s, me, counted.id, version=counted.version, result="first one")
        done = tasks.add_task(s, me, title="Done one", due_at=_at(date(2030, 3, 2), 9))
        tasks.complete_task(s, me, done.id, version=done.version, result="ok")
        gone = tasks.add_task(s, me, title="Cancelled one", due_at=_at(date(2030, 3, 3), 9))
        tasks.cancel_task(s, me, gone.id, version=gone.version, reason="no need")
    return {
        "Call Acme": call.id,
        "Weekly sync": weekly.id,
        "Moscow call": moscow.id,
        "Counted": counted.id,
    }


def _events(path: Path) -> dict[str, Any]:
    calendar = Calendar.from_ical(path.read_bytes())
    return {str(e.get("summary")): e for e in calendar.walk("VEVENT")}


def _open_tasks(db: Database, actor: Actor) -> list[TaskOut]:
    with db.read() as s:
        page = tasks.list_tasks(s, actor, tasks.TaskFilter(assignee_id=actor.id), limit=1000)
    return page.items


def _rule(text: str) -> dict[str, str]:
    return dict(part.partition("=")[::2] for part in text.split(";"))


# -- export


def test_the_export_parses_with_icalendar_and_carries_everything(shop: Shop, tmp_path: Path):
    ids = plan(shop)
    out = tmp_path / "planner.ics"
    said = Cli(shop.url)("planner", "export", "--ics", str(out))
    assert "Exported 4 tasks and 2 significant dates" in said
    calendar = Calendar.from_ical(out.read_bytes())
    assert str(calendar.get("x-wr-timezone")) == "Europe/Berlin"
    zones = {str(z.get("tzid")) for z in calendar.walk("VTIMEZONE")}
    assert {"Europe/Berlin", "Europe/Moscow"} <= zones
    events = _events(out)
    assert set(events) == {
        "Call Acme",
        "Weekly sync",
        "Moscow call",
        "Counted",
        "Birthday: Jane Roe (Acme; Sons, Ltd)",
        "Foundation day: Founded (Acme; Sons, Ltd)",
    }

    call = events["Call Acme"]
    assert str(call.get("uid")).startswith(f"task-{ids['Call Acme']}-")
    assert str(call.get("uid")).endswith("@termcrm")
    assert call.get("dtstart").dt == _at(date(2030, 3, 5), 14)
    assert call.get("dtstart").params["TZID"] == "Europe/Berlin"
    assert call.get("dtend").dt - call.get("dtstart").dt == timedelta(minutes=30)
    alarm = next(iter(call.walk("VALARM")))
    assert alarm.get("trigger").dt == timedelta(minutes=-15)
    assert alarm.get("trigger").to_ical() == b"-PT15M"
    assert str(call.get("x-termcrm-client-id")) == str(shop.acme)
    assert str(call.get("x-termcrm-client")) == "Acme; Sons, Ltd"
    assert str(call.get("x-termcrm-contact-id")) == str(shop.jane)
    assert "Acme; Sons, Ltd" in str(call.get("description"))
    assert "Ask about the spring order" in str(call.get("description"))
    assert call.get("rrule") is None

    weekly = events["Weekly sync"]
    assert weekly.get("rrule").to_ical() == b"FREQ=WEEKLY;BYDAY=MO"
    start = weekly.get("dtstart").dt
    assert start.tzinfo is not None and start.tzinfo.key == "Europe/Berlin"
    # expanded by a calendar app: 10:00 on Berlin's clock before and after 31 March 2030
    expanded = list(rrulestr("FREQ=WEEKLY;BYDAY=MO;COUNT=3", dtstart=start))
    assert [m.astimezone(UTC).hour for m in expanded] == [9, 9, 8]
    assert str(weekly.get("status")) == "CONFIRMED"

    moscow = events["Moscow call"]
    assert moscow.get("dtstart").params["TZID"] == "Europe/Moscow"
    assert moscow.get("dtstart").dt.hour == 11

    counted = events["Counted"]  # one of five done: four left, from the next one
    assert _rule(counted.get("rrule").to_ical().decode()) == {"FREQ": "DAILY", "COUNT": "4"}
    assert counted.get("dtstart").dt == _at(date(2030, 3, 2), 9)

    birthday = events["Birthday: Jane Roe (Acme; Sons, Ltd)"]
    assert birthday.get("dtstart").dt == date(1980, 2, 29)
    assert birthday.get("dtend").dt == date(1980, 3, 1)
    assert _rule(birthday.get("rrule").to_ical().decode()) == {
        "FREQ": "YEARLY",
        "BYMONTH": "2",
        "BYMONTHDAY": "-1",
    }
    assert str(birthday.get("x-termcrm-significant-date")) == "birthday"
    # reminded at 09:00 two days before: 2 days minus 9 hours before midnight
    trigger = next(iter(birthday.walk("VALARM"))).get("trigger").dt
    assert trigger == timedelta(hours=9) - timedelta(days=2)
    founded = events["Foundation day: Founded (Acme; Sons, Ltd)"]
    assert founded.get("dtstart").dt == date(2001, 6, 15)
    assert founded.get("rrule").to_ical() == b"FREQ=YEARLY"
    assert next(iter(founded.walk("VALARM"))).get("trigger").to_ical() == b"-P2DT15H"


def test_export_periods_closed_tasks_and_no_dates(shop: Shop, tmp_path: Path):
    plan(shop)
    cli = Cli(shop.url)
    out = tmp_path / "p.ics"
    cli("planner", "export", "--ics", str(out), "--from", "2030-03-10", "--no-dates")
    # the plain call of 5 March is before the period; the series go on into it
    assert set(_events(out)) == {"Weekly sync", "Moscow call", "Counted"}
    cli("planner", "export", "--ics", str(out), "--to", "2030-03-05", "--all", "--no-dates")
    events = _events(out)
    assert {"Done one", "Cancelled one", "Call Acme", "Counted"} <= set(events)
    assert str(events["Cancelled one"].get("status")) == "CANCELLED"
    assert str(events["Done one"].get("x-termcrm-status")) == "done"
    assert "BEGIN:VCALENDAR" in cli("planner", "export", "--ics", "-", "--no-dates")


# -- round trips


def test_round_trip_into_a_fresh_database_keeps_every_task(
    shop: Shop, fresh_url: str, tmp_path: Path
):
    ids = plan(shop)
    out = tmp_path / "planner.ics"
    Cli(shop.url)("planner", "export", "--ics", str(out))
    with shop.db.read() as s:
        original = {t: tasks.get_task(s, shop.me, i) for t, i in ids.items()}

    fresh = populate(fresh_url)
    try:
        cli = Cli(fresh_url)
        said = cli("planner", "import", str(out))
        assert "Imported 4 of 6 events" in said
        assert said.count("a significant date, not a task") == 2
        copies = {t.title: t for t in _open_tasks(fresh.db, fresh.me)}
        assert set(copies) == set(original)
        for title, was in original.items():
            now = copies[title]
            assert now.due_at == was.due_at, title
            assert now.kind == was.kind and now.notes == was.notes, title
            assert (now.client_id, now.contact_id) == (was.client_id, was.contact_id), title
            assert now.duration_min == was.duration_min, title
            assert now.remind_before_min == was.remind_before_min, title
            assert now.series_tz == (was.series_tz if was.repeat else ""), title
            assert now.ical_uid.startswith(f"task-{was.id}-"), title
        assert copies["Call Acme"].client == "Acme; Sons, Ltd"
        for title in ("Weekly sync", "Moscow call"):
            assert _rule(copies[title].repeat) == _rule(original[title].repeat)
        assert _rule(copies["Counted"].repeat) == {"FREQ": "DAILY", "COUNT": "4"}

        # the same occurrences in UTC, before and after the DST change of 31 March 2030
        since, until = datetime(2030, 3, 1, tzinfo=UTC), datetime(2030, 5, 1, tzinfo=UTC)
        for title in ("Weekly sync", "Moscow call", "Counted"):
            a, b = original[title], copies[title]
            assert recurrence.between(
                b.repeat, b.series_start or b.due_at, b.series_tz, since, until
            ) == [
                m
                for m in recurrence.between(
                    a.repeat, a.series_start or a.due_at, a.series_tz, since, until
                )
                if m >= a.due_at
            ], title
        weekly = recurrence.between(
            copies["Weekly sync"].repeat,
            copies["Weekly sync"].due_at,
            "Europe/Berlin",
            datetime(2030, 3, 25, tzinfo=UTC),
            datetime(2030, 4, 2, tzinfo=UTC),
        )
        assert [m.astimezone(BERLIN).hour for m in weekly] == [10, 10]
        assert [m.hour for m in weekly] == [9, 8]

        again = cli("planner", "import", str(out))  # exit code 0: nothing to look at
        assert "Imported 0 of 6 events" in again
        assert again.count("imported before: task") == 4
        assert len(_open_tasks(fresh.db, fresh.me)) == 4
    finally:
        fresh.db.dispose()


def test_importing_into_the_database_it_came_from_changes_nothing(shop: Shop, tmp_path: Path):
    plan(shop)
    cli = Cli(shop.url)
    out = tmp_path / "planner.ics"
    cli("planner", "export", "--ics", str(out), "--all")
    before = _open_tasks(shop.db, shop.me)
    said = " ".join(cli("planner", "import", str(out)).split())
    assert "Imported 0 of" in said
    assert said.count("a task of this database") == 4
    assert "already done" in said and "cancelled" in said
    assert _open_tasks(shop.db, shop.me) == before
    # the same UIDs from an export of `termcrm export tasks --format ics` (VTODO)
    todo = tmp_path / "tasks.ics"
    cli("export", "tasks", "--format", "ics", "--out", str(todo), "--status", "open")
    said = cli("planner", "import", str(todo))
    assert "Imported 0 of" in said and "a task of this database" in said


def test_an_export_of_the_task_list_imports_into_a_fresh_database(
    shop: Shop, fresh_url: str, tmp_path: Path
):
    plan(shop)
    todo = tmp_path / "tasks.ics"
    Cli(shop.url)("export", "tasks", "--format", "ics", "--out", str(todo), "--status", "open")
    fresh = populate(fresh_url)
    try:
        said = Cli(fresh_url)("planner", "import", str(todo))
        assert "Imported 4 of 4 events" in said
        titles = sorted(t.title for t in _open_tasks(fresh.db, fresh.me))
        assert len(titles) == 4 and all(t.startswith(("Call Acme", "Weekly", "Moscow", "Count"))
                                        for t in titles)  # fmt: skip
    finally:
        fresh.db.dispose()


# -- what is skipped, and why

FOREIGN = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Example//Calendar//EN
BEGIN:VEVENT
UID:good-1@example.com
SUMMARY:Lunch with the buyer
DTSTART;TZID=Europe/Moscow:20300305T130000
DTEND;TZID=Europe/Moscow:20300305T140000
RRULE:FREQ=WEEKLY;BYDAY=TU;UNTIL=20300430T235959Z
LOCATION:Café Pushkin
DESCRIPTION:Bring the samples
BEGIN:VALARM
ACTION:DISPLAY
TRIGGER;RELATED=END:-PT90M
END:VALARM
END:VEVENT
BEGIN:VTODO
UID:todo-1@example.com
SUMMARY:Send the invoice
DUE:20300306T090000Z
BEGIN:VALARM
ACTION:DISPLAY
TRIGGER;VALUE=DATE-TIME:20300306T083000Z
END:VALARM
END:VTODO
BEGIN:VEVENT
UID:hourly@example.com
SUMMARY:Every hour
DTSTART:20300305T090000Z
RRULE:FREQ=HOURLY
END:VEVENT
BEGIN:VEVENT
UID:allday@example.com
SUMMARY:Trade fair
DTSTART;VALUE=DATE:20300310
END:VEVENT
BEGIN:VTODO
UID:notime@example.com
SUMMARY:Someday
END:VTODO
BEGIN:VEVENT
UID:exdate@example.com
SUMMARY:With a hole
DTSTART:20300305T090000Z
RRULE:FREQ=DAILY
EXDATE:20300306T090000Z
END:VEVENT
BEGIN:VEVENT
UID:hidden@example.com
SUMMARY:Their client
DTSTART:20300305T090000Z
X-TERMCRM-CLIENT-ID:{south}
END:VEVENT
BEGIN:VEVENT
UID:nobody@example.com
SUMMARY:Gone client
DTSTART:20300305T090000Z
X-TERMCRM-CLIENT-ID:999
END:VEVENT
BEGIN:VEVENT
UID:renamed@example.com
SUMMARY:Other name
DTSTART:20300305T090000Z
X-TERMCRM-CLIENT-ID:{acme}
X-TERMCRM-CLIENT:Another Company
END:VEVENT
BEGIN:VEVENT
UID:good-1@example.com
RECURRENCE-ID;TZID=Europe/Moscow:20300312T130000
SUMMARY:Lunch moved
DTSTART;TZID=Europe/Moscow:20300312T150000
END:VEVENT
BEGIN:VEVENT
UID:cancelled@example.com
SUMMARY:Called off
STATUS:CANCELLED
DTSTART:20300305T090000Z
END:VEVENT
BEGIN:VEVENT
UID:birthday-77@termcrm
SUMMARY:Birthday: Someone
DTSTART;VALUE=DATE:19800101
RRULE:FREQ=YEARLY
END:VEVENT
END:VCALENDAR
"""


def test_skipped_events_are_reported_with_their_reasons(shop: Shop, tmp_path: Path):
    path = tmp_path / "foreign.ics"
    path.write_text(FOREIGN.format(south=shop.south, acme=shop.acme), encoding="utf-8")
    cli = Cli(shop.url)
    dry = " ".join(cli("planner", "import", str(path), "--dry-run", code=3).split())
    assert "Would import 2 of 12 events" in dry and "dry run: nothing was written" in dry
    assert _open_tasks(shop.db, shop.me) == []

    said = " ".join(cli("planner", "import", str(path), code=3).split())
    assert "Imported 2 of 12 events" in said
    for reason in (
        "Every hour: repeats HOURLY: the planner repeats daily at most",
        "Trade fair: an all-day item has no start time",
        "Someday: no start time",
        "With a hole: extra or excluded dates (RDATE, EXDATE)",
        f"Their client: client {shop.south} not found or not visible to you",
        "Gone client: client 999 not found or not visible to you",
        f"Other name: client {shop.acme} is Acme; Sons, Ltd here, the file says Another Company",
        "Lunch moved: a changed occurrence of a repeating event (RECURRENCE-ID)",
        "Called off: cancelled",
        "Birthday: Someone: a significant date, not a task",
    ):
        assert reason in said, reason

    got = {t.title: t for t in _open_tasks(shop.db, shop.me)}
    lunch = got["Lunch with the buyer"]
    assert lunch.due_at == datetime(2030, 3, 5, 10, 0, tzinfo=UTC)
    assert lunch.series_tz == "Europe/Moscow" and lunch.kind == "meeting"
    assert _rule(lunch.repeat) == {"FREQ": "WEEKLY", "BYDAY": "TU", "UNTIL": "20300430T235959Z"}
    assert lunch.duration_min == 60 and lunch.remind_before_min == 30  # 90 min before the end
    assert lunch.notes == "Bring the samples Location: Café Pushkin"  # notes are one line
    assert lunch.ical_uid == "good-1@example.com"
    invoice = got["Send the invoice"]
    assert invoice.kind == "other" and invoice.remind_before_min == 30
    assert invoice.due_at == datetime(2030, 3, 6, 9, 0, tzinfo=UTC)

    quiet = runner.invoke(app, ["--db", shop.url, "planner", "import", str(path), "--quiet"])
    assert quiet.exit_code == 3 and quiet.stdout == ""
    assert "events skipped" in quiet.stderr


def test_a_file_that_is_not_icalendar_is_refused(shop: Shop, tmp_path: Path):
    bad = tmp_path / "bad.ics"
    bad.write_text("not a calendar", encoding="utf-8")
    assert "not a valid iCalendar file" in Cli(shop.url)("planner", "import", str(bad), code=1)
    Cli(shop.url)("planner", "import", str(tmp_path / "missing.ics"), code=2)


def test_today_json_and_export_agree_on_times(shop: Shop, tmp_path: Path):
    """The JSON of `today` gives times with Berlin's offset; the .ics the same moments."""
    plan(shop)
    cli = Cli(shop.url)
    data = json.loads(cli("today", "--date", "2030-04-01", "--json"))
    sync = next(i for i in data["items"] if i["title"] == "Weekly sync")
    assert sync["at"] == "2030-04-01T10:00:00+02:00" and sync["at_utc"] == "2030-04-01T08:00:00Z"
    assert sync["occurrence"] is True and sync["repeat_text"] == "every week on Monday"
