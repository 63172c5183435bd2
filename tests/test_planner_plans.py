"""The planner's faster ways give the same answers as the plain ones (bench/bench_planner.py
measures them): significant dates found by their copy of the client's owner, a
series expanded from its current occurrence, counts that leave out a trashed client's
tasks without reading the client of every task."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from termcrm.services import clients, contacts, org, planner, recurrence, significant_dates, tasks
from termcrm.services.actor import Actor
from termcrm.services.dto import TaskOut
from termcrm.services.planner import Who
from termcrm.store.engine import Database

MOSCOW = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _occasions(
    db: Database, actor: Actor, first: date, last: date, owner: int | None
) -> list[tuple[date, str, str]]:
    with db.read() as s:
        found = significant_dates.occasions(s, actor, first, last, owner_id=owner)
    return [(o.on, o.kind, o.title) for o in found]


def test_a_reps_dates_are_found_by_the_owner_copied_onto_them(db: Database, admin: Actor) -> None:
    with db.write() as s:
        org.add_department(s, admin, "Sales")
        for login in ("few", "many"):
            org.add_user(s, admin, login, role="rep", department="Sales")
        few = org.actor_by_login(s, "few")
        many = org.actor_by_login(s, "many")
        mine = clients.create_client(s, admin, {"name": "Mine", "owner_id": few.id}).id
        contacts.create_contact(s, few, mine, {"full_name": "Anna", "birthday": "1980-12-03"})
        contacts.create_contact(s, few, mine, {"full_name": "Boris", "birthday": "1985-12-20"})
        gone = contacts.create_contact(
            s, few, mine, {"full_name": "Gone", "birthday": "1990-12-04"}
        )
        contacts.delete_contact(s, few, gone.id)
        significant_dates.add_date(
            s, few, client_id=mine, kind="foundation", title="Founded", month=12, day=5
        )
        # the other rep: more clients than the first one's, with birthdays on the same days
        theirs = []
        for n in range(12):
            cid = clients.create_client(s, admin, {"name": f"Theirs {n}", "owner_id": many.id}).id
            theirs.append(cid)
            contacts.create_contact(
                s, many, cid, {"full_name": f"Other {n}", "birthday": f"1975-12-{n + 1:02d}"}
            )
            significant_dates.add_date(
                s, many, client_id=cid, kind="holiday", title=f"Day {n}", month=12, day=n + 1
            )
        trashed = theirs[0]
        clients.delete_client(s, admin, trashed)
    first, last = date(2026, 12, 1), date(2026, 12, 31)
    assert _occasions(db, few, first, last, few.id) == [
        (date(2026, 12, 3), "birthday", "Anna"),
        (date(2026, 12, 5), "foundation", "Founded"),
        (date(2026, 12, 20), "birthday", "Boris"),
    ]
    expected = []
    for n in range(1, 12):  # the trashed client's dates are gone
        expected += [
            (date(2026, 12, n + 1), "birthday", f"Other {n}"),
            (date(2026, 12, n + 1), "holiday", f"Day {n}"),
        ]
    assert _occasions(db, many, first, last, many.id) == expected
    # the admin looking at each rep's planner sees the same, and all of them together
    assert _occasions(db, admin, first, last, many.id) == expected
    assert len(_occasions(db, admin, first, last, None)) == 3 + len(expected)
    # a rep asking for another rep's dates gets none of them (the access rule)
    assert _occasions(db, few, first, last, many.id) == []
    # the month's counts, read from the owner's index entries alone, are the same days
    for actor, owner in ((few, few.id), (many, many.id), (admin, many.id), (few, many.id)):
        with db.read() as s:
            counted = significant_dates.day_counts(s, actor, first, last, owner_id=owner)
        assert counted == Counter(
            on for on, _kind, _title in _occasions(db, actor, first, last, owner)
        )


def test_day_counts_of_29_february_and_across_the_year_end(db: Database, admin: Actor) -> None:
    with db.write() as s:
        org.add_department(s, admin, "Sales")
        org.add_user(s, admin, "rep", role="rep", department="Sales")
        rep = org.actor_by_login(s, "rep")
        cid = clients.create_client(s, admin, {"name": "Leap", "owner_id": rep.id}).id
        for name, born in (("Leap", "1988-02-29"), ("Eve", "1990-12-31"), ("Jan", "1991-01-01")):
            contacts.create_contact(s, rep, cid, {"full_name": name, "birthday": born})
        significant_dates.add_date(
            s, rep, client_id=cid, kind="contract", title="Signed", month=2, day=29, year=2020
        )
    spans = [
        (date(2027, 2, 1), date(2027, 2, 28)),  # a common year: 29 Feb on the 28th
        (date(2028, 2, 1), date(2028, 2, 29)),
        (date(2026, 12, 20), date(2027, 1, 10)),
    ]
    for first, last in spans:
        with db.read() as s:
            counted = significant_dates.day_counts(s, rep, first, last, owner_id=rep.id)
        assert counted == Counter(on for on, _k, _t in _occasions(db, rep, first, last, rep.id))
        assert sum(counted.values()) == 2


def test_series_sharing_a_rule_and_a_time_are_each_counted(db: Database, admin: Actor) -> None:
    with db.write() as s:
        org.add_department(s, admin, "Sales")
        org.add_user(s, admin, "rep", role="rep", department="Sales")
        rep = org.actor_by_login(s, "rep")
        start = datetime.combine(date(2026, 11, 2), time(10), MOSCOW)  # a first Monday
        for n in range(3):
            tasks.add_task(
                s,
                rep,
                title=f"s{n}",
                due_at=start,
                repeat="FREQ=MONTHLY;BYDAY=1MO",
                tz="Europe/Moscow",
            )
        tasks.add_task(s, rep, title="w", due_at=start, repeat="FREQ=WEEKLY", tz="Europe/Moscow")
    with db.read() as s:
        counts = planner.month_counts(s, rep, 2026, 12, MOSCOW, now=NOW)
        agenda = planner.agenda(s, rep, date(2026, 12, 1), date(2026, 12, 31), MOSCOW, now=NOW)
    by_day = Counter(i.day for i in agenda.items if i.task)
    assert {d: c.open for d, c in counts.items() if c.open} == dict(by_day)
    assert counts[date(2026, 12, 7)].open == 4  # three monthly calls and the weekly one
    assert counts[date(2026, 12, 14)].open == 1


def _series(rule: str, start: datetime, zone: str) -> TaskOut:
    return TaskOut(
        id=1,
        title="series",
        kind="call",
        due_at=start,
        status="open",
        assignee_id=1,
        assignee="",
        author_id=1,
        client_id=None,
        client="",
        contact_id=None,
        deal_id=None,
        notes="",
        completed_at=None,
        version=1,
        repeat=rule,
        series_start=start,
        series_tz=zone,
    )


RULES = [
    ("FREQ=DAILY", datetime(2024, 1, 15, 9, 0), "Europe/Moscow"),
    ("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,FR", datetime(2025, 3, 3, 10, 30), "Europe/Berlin"),
    ("FREQ=WEEKLY;INTERVAL=3", datetime(2025, 1, 8, 16, 0), "America/New_York"),
    ("FREQ=MONTHLY;BYDAY=-1FR", datetime(2025, 1, 31, 14, 0), "Europe/Berlin"),
    ("FREQ=MONTHLY;BYMONTHDAY=31", datetime(2025, 1, 31, 9, 0), "Asia/Shanghai"),
    ("FREQ=MONTHLY", datetime(2025, 1, 30, 11, 0), "Europe/Moscow"),
    ("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", datetime(2025, 2, 28, 17, 0), "UTC"),
    ("FREQ=YEARLY", datetime(2024, 2, 29, 12, 0), "Europe/Moscow"),
    ("FREQ=DAILY;COUNT=400", datetime(2026, 1, 1, 9, 0), "Europe/Berlin"),
    ("FREQ=DAILY;BYHOUR=9,15", datetime(2026, 2, 1, 9, 0), "Europe/Berlin"),
    # 02:30 on Sundays: on 29 March 2026 Berlin skips from 02:00 to 03:00
    ("FREQ=WEEKLY;BYDAY=SU", datetime(2026, 1, 4, 2, 30), "Europe/Berlin"),
    ("FREQ=WEEKLY;BYDAY=SU;UNTIL=20270101T000000Z", datetime(2026, 1, 4, 2, 30), "Europe/Berlin"),
]


@pytest.mark.parametrize(("rule", "local", "zone"), RULES)
def test_a_series_expanded_from_its_current_occurrence(
    rule: str, local: datetime, zone: str
) -> None:
    start = local.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
    since, until = datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    every = recurrence.between(rule, start, zone, start, until)
    for current in every[:: max(1, len(every) // 40)]:
        task = dataclasses.replace(_series(rule, start, zone), due_at=current)
        for first, last in ((since, until), (current, current + timedelta(days=40))):
            expected = [
                m for m in recurrence.between(rule, start, zone, first, last) if m >= current
            ]
            assert planner._pending(task, first, last) == expected, (rule, current)


def test_counts_leave_out_a_trashed_clients_tasks(db: Database, admin: Actor) -> None:
    with db.write() as s:
        org.add_department(s, admin, "Sales")
        org.add_user(s, admin, "rep", role="rep", department="Sales")
        rep = org.actor_by_login(s, "rep")
        kept = clients.create_client(s, admin, {"name": "Kept", "owner_id": rep.id}).id
        gone = clients.create_client(s, admin, {"name": "Gone", "owner_id": rep.id}).id
        day = date(2026, 11, 20)
        for n, client_id in enumerate((kept, gone, None, kept)):
            due = datetime.combine(day, time(9 + n), MOSCOW)
            tasks.add_task(s, rep, title=f"t{n}", due_at=due, client_id=client_id)
        clients.delete_client(s, admin, gone)
    with db.read() as s:
        assert tasks.overdue_count(s, rep, now=NOW) == 3
        counts = planner.month_counts(s, rep, 2026, 11, MOSCOW, now=NOW)
        assert counts[day] == planner.DayCount(open=3, done=0, dates=0, overdue=3)
        agenda = planner.agenda(s, rep, NOW.date(), NOW.date(), MOSCOW, now=NOW)
        assert [i.task.title for i in agenda.overdue if i.task] == ["t0", "t2", "t3"]
        assert agenda.overdue_total == 3
        team = planner.agenda(s, admin, NOW.date(), NOW.date(), MOSCOW, now=NOW, who=Who.team())
        assert team.overdue_total == 3
