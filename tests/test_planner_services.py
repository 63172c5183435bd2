"""The planner's services on both backends: agendas for a user and a team, access,
repeating tasks across month ends and DST changes, significant dates across years and
leap years, completion writing exactly one journal entry, reminders and the team plan."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from termcrm.services import (
    clients,
    contacts,
    org,
    planner,
    recurrence,
    significant_dates,
    tasks,
)
from termcrm.services.actor import Actor
from termcrm.services.errors import Conflict, Forbidden, Invalid
from termcrm.services.journal import NextStep
from termcrm.services.planner import Who
from termcrm.store.engine import Database
from termcrm.store.tables import Interaction, Task, table

BERLIN = ZoneInfo("Europe/Berlin")
MOSCOW = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@dataclass
class Team:
    admin: Actor
    manager: Actor  # of North (and North / Retail below it)
    rep: Actor  # North
    child: Actor  # North / Retail
    south: Actor  # South
    director: Actor
    client: dict[str, int]  # login -> a client of theirs


@pytest.fixture
def team(db: Database, admin: Actor) -> Team:
    with db.write() as s:
        org.add_department(s, admin, "North")
        org.add_department(s, admin, "Retail", parent="North")
        org.add_department(s, admin, "South")
        people = {
            "boss": ("director", None),
            "mgr": ("manager", "North"),
            "rep": ("rep", "North"),
            "kid": ("rep", "North / Retail"),
            "sue": ("rep", "South"),
        }
        for login, (role, dept) in people.items():
            org.add_user(s, admin, login, role=role, department=dept, full_name=login.title())
        a = {k: org.actor_by_login(s, k) for k in people}
        owned = {}
        for login, actor in a.items():
            owned[login] = clients.create_client(
                s, admin, {"name": f"Client of {login}", "owner_id": actor.id}
            ).id
    return Team(admin, a["mgr"], a["rep"], a["kid"], a["sue"], a["boss"], owned)


def _at(day: date, hour: int, tz: ZoneInfo = BERLIN, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tz)


def _titles(items: list[planner.AgendaItem]) -> list[str]:
    return [
        i.task.title if i.task else f"date:{i.occasion.title}"
        for i in items
        if i.task or i.occasion
    ]  # type: ignore[union-attr]


# -- agendas and access


def test_agenda_of_a_day_holds_the_users_tasks_by_time_and_overdue_first(db, team):
    day = date(2026, 11, 25)
    with db.write() as s:
        for title, when in [
            ("late call", _at(day - timedelta(days=2), 9)),
            ("afternoon", _at(day, 15)),
            ("morning", _at(day, 9)),
            ("tomorrow", _at(day + timedelta(days=1), 9)),
        ]:
            tasks.add_task(s, team.rep, title=title, due_at=when, client_id=team.client["rep"])
        tasks.add_task(s, team.child, title="not mine", due_at=_at(day, 10))
        ag = planner.agenda(s, team.rep, day, day, BERLIN, now=_at(day, 12))
    assert _titles(ag.items) == ["morning", "afternoon"]
    assert [i.overdue for i in ag.items] == [True, False]
    assert _titles(ag.overdue) == ["late call"]
    assert ag.overdue_total == 1
    assert ag.items[0].task is not None and ag.items[0].task.client == "Client of rep"


def test_a_manager_sees_the_team_and_a_rep_only_themselves(db, team):
    day = date(2026, 11, 26)
    with db.write() as s:
        for actor in (team.rep, team.child, team.south, team.manager):
            tasks.add_task(s, actor, title=f"task of {actor.login}", due_at=_at(day, 10))
        mine = planner.agenda(s, team.manager, day, day, BERLIN)
        team_view = planner.agenda(s, team.manager, day, day, BERLIN, who=Who.team())
        kid_view = planner.agenda(s, team.manager, day, day, BERLIN, who=Who.user(team.child.id))
        rep_team = planner.agenda(s, team.rep, day, day, BERLIN, who=Who.team())
        boss_team = planner.agenda(s, team.director, day, day, BERLIN, who=Who.team())
        with pytest.raises(Forbidden):
            planner.agenda(s, team.manager, day, day, BERLIN, who=Who.user(team.south.id))
        with pytest.raises(Forbidden):
            planner.agenda(s, team.rep, day, day, BERLIN, who=Who.user(team.child.id))
        with pytest.raises(Forbidden):
            planner.month_counts(s, team.rep, 2026, 11, BERLIN, who=Who.user(team.south.id))
    assert _titles(mine.items) == ["task of mgr"]
    assert sorted(_titles(team_view.items)) == ["task of kid", "task of mgr", "task of rep"]
    assert _titles(kid_view.items) == ["task of kid"]
    assert _titles(rep_team.items) == ["task of rep"]
    assert len(boss_team.items) == 4


def test_times_are_stored_in_utc_and_days_are_the_users(db, team):
    # 00:30 in Moscow on the 26th is 21:30 UTC on the 25th
    due = datetime(2026, 11, 26, 0, 30, tzinfo=MOSCOW)
    with db.write() as s:
        t = tasks.add_task(s, team.rep, title="early", due_at=due)
        stored = s.execute(sa.select(table(Task).c.due_at).where(table(Task).c.id == t.id))
        assert stored.scalar_one() == datetime(2026, 11, 25, 21, 30, tzinfo=UTC)
        moscow = planner.agenda(s, team.rep, date(2026, 11, 26), date(2026, 11, 26), MOSCOW)
        utc = planner.agenda(s, team.rep, date(2026, 11, 25), date(2026, 11, 25), ZoneInfo("UTC"))
    assert _titles(moscow.items) == ["early"] and moscow.items[0].day == date(2026, 11, 26)
    assert _titles(utc.items) == ["early"]


def test_month_counts_count_open_done_dates_and_overdue_per_day(db, team):
    with db.write() as s:
        a = tasks.add_task(s, team.rep, title="a", due_at=_at(date(2026, 11, 3), 10))
        tasks.add_task(s, team.rep, title="b", due_at=_at(date(2026, 11, 3), 11))
        tasks.add_task(s, team.rep, title="c", due_at=_at(date(2026, 11, 30), 11))
        tasks.add_task(s, team.rep, title="dec", due_at=_at(date(2026, 12, 1), 11))
        tasks.add_task(s, team.child, title="other", due_at=_at(date(2026, 11, 3), 11))
        tasks.complete_task(s, team.rep, a.id, version=a.version, result="ok", log=False)
        significant_dates.add_date(
            s, team.rep, client_id=team.client["rep"], kind="holiday", title="Day", month=11, day=3
        )
        counts = planner.month_counts(s, team.rep, 2026, 11, BERLIN, now=_at(date(2026, 11, 20), 9))
    assert len(counts) == 30
    assert counts[date(2026, 11, 3)] == planner.DayCount(open=1, done=1, dates=1, overdue=1)
    assert counts[date(2026, 11, 30)] == planner.DayCount(open=1)
    assert sum(c.total for c in counts.values()) == 4


# -- repeating tasks


def _occurrences(s, actor, first, last, tz=BERLIN):
    ag = planner.agenda(s, actor, first, last, tz, with_dates=False, with_overdue=False)
    return [(i.at.astimezone(tz) if i.at else None) for i in ag.items]


def test_first_monday_of_each_month_without_copies(db, team):
    with db.write() as s:
        t = tasks.add_task(
            s,
            team.rep,
            title="monthly review",
            due_at=_at(date(2026, 9, 7), 10),
            repeat="RRULE:freq=monthly;byday=1MO",
            tz="Europe/Berlin",
        )
        assert t.repeat == "FREQ=MONTHLY;BYDAY=1MO"
        days = [m.date() for m in _occurrences(s, team.rep, date(2026, 9, 1), date(2026, 10, 31))]
        later = _occurrences(s, team.rep, date(2026, 11, 1), date(2026, 12, 31))
        rows = s.execute(sa.select(sa.func.count()).select_from(table(Task))).scalar_one()
    assert days == [date(2026, 9, 7), date(2026, 10, 5)]
    assert [m.date() for m in later] == [date(2026, 11, 2), date(2026, 12, 7)]
    assert all(m.hour == 10 for m in later)
    assert rows == 1


def test_a_weekly_task_keeps_its_local_time_across_dst_changes(db, team):
    with db.write() as s:
        tasks.add_task(
            s,
            team.rep,
            title="Monday call",
            due_at=_at(date(2026, 10, 19), 10),
            repeat="FREQ=WEEKLY;BYDAY=MO",
            tz="Europe/Berlin",
        )
        autumn = _occurrences(s, team.rep, date(2026, 10, 19), date(2026, 11, 2))
        spring = _occurrences(s, team.rep, date(2027, 3, 22), date(2027, 4, 5))
    assert [m.hour for m in autumn] == [10, 10, 10]
    # Berlin leaves summer time on 25 Oct 2026 and enters it on 28 Mar 2027
    assert [m.astimezone(UTC).hour for m in autumn] == [8, 9, 9]
    assert [m.astimezone(UTC).hour for m in spring] == [9, 8, 8]


def test_month_end_rules(db, team):
    with db.write() as s:
        tasks.add_task(
            s,
            team.rep,
            title="on the 31st",
            due_at=_at(date(2026, 1, 31), 9),
            repeat="FREQ=MONTHLY;BYMONTHDAY=31",
            tz="Europe/Berlin",
        )
        tasks.add_task(
            s,
            team.child,
            title="last day",
            due_at=_at(date(2026, 1, 31), 9),
            repeat="FREQ=MONTHLY;BYMONTHDAY=-1",
            tz="Europe/Berlin",
        )
        on31 = _occurrences(s, team.rep, date(2026, 1, 1), date(2026, 2, 28))
        on31 += _occurrences(s, team.rep, date(2026, 3, 1), date(2026, 4, 30))
        last = _occurrences(s, team.child, date(2026, 1, 1), date(2026, 2, 28))
        last += _occurrences(s, team.child, date(2028, 2, 1), date(2028, 3, 31))
    # RFC 5545: a month without a 31st has no occurrence
    assert [m.date() for m in on31] == [date(2026, 1, 31), date(2026, 3, 31)]
    assert [m.date() for m in last] == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2028, 2, 29),
        date(2028, 3, 31),
    ]


def test_count_and_until_end_a_series(db, team):
    with db.write() as s:
        counted = tasks.add_task(
            s,
            team.rep,
            title="three times",
            due_at=_at(date(2026, 12, 1), 9),
            repeat="FREQ=DAILY;COUNT=3",
            tz="Europe/Berlin",
        )
        tasks.add_task(
            s,
            team.child,
            title="until",
            due_at=_at(date(2026, 12, 1), 9),
            repeat="FREQ=WEEKLY;UNTIL=20261215",
            tz="Europe/Berlin",
        )
        three = _occurrences(s, team.rep, date(2026, 12, 1), date(2026, 12, 31))
        until = _occurrences(s, team.child, date(2026, 12, 1), date(2026, 12, 31))
        # completing all three ends the series; the count holds from the first one
        for _ in range(3):
            current = tasks.get_task(s, team.rep, counted.id)
            tasks.complete_task(s, team.rep, counted.id, version=current.version, result="x")
        ended = tasks.get_task(s, team.rep, counted.id)
    assert len(three) == 3
    assert [m.day for m in until] == [1, 8, 15]
    assert ended.status == "done"


def test_completing_an_occurrence_records_it_and_moves_the_series_on(db, team):
    with db.write() as s:
        series = tasks.add_task(
            s,
            team.rep,
            title="weekly",
            due_at=_at(date(2026, 11, 23), 10),
            repeat="FREQ=WEEKLY",
            tz="Europe/Berlin",
            client_id=team.client["rep"],
        )
        done = tasks.complete_task(s, team.rep, series.id, version=series.version, result="fine")
        after = tasks.get_task(s, team.rep, series.id)
        week = _occurrences(s, team.rep, date(2026, 11, 23), date(2026, 12, 6))
        items = planner.agenda(s, team.rep, date(2026, 11, 23), date(2026, 11, 23), BERLIN).items
    assert done.task.id != series.id and done.task.series_id == series.id
    assert done.task.status == "done" and done.task.due_at == series.due_at
    assert after.status == "open" and after.due_at == _at(date(2026, 11, 30), 10)
    assert [m.date() for m in week] == [date(2026, 11, 23), date(2026, 11, 30)]
    assert [(i.task.id, i.task.status) for i in items if i.task] == [(done.task.id, "done")]


def test_moving_one_occurrence_or_the_whole_series(db, team):
    with db.write() as s:
        series = tasks.add_task(
            s,
            team.rep,
            title="weekly",
            due_at=_at(date(2026, 12, 7), 10),
            repeat="FREQ=WEEKLY",
            tz="Europe/Berlin",
        )
        moved = tasks.move_task(
            s,
            team.rep,
            series.id,
            version=series.version,
            due_at=_at(date(2026, 12, 8), 16),
            only_this=True,
        )
        after = tasks.get_task(s, team.rep, series.id)
        assert moved.series_id == series.id and moved.repeat == ""
        assert after.due_at == _at(date(2026, 12, 14), 10)
        whole = tasks.move_task(
            s, team.rep, series.id, version=after.version, due_at=_at(date(2026, 12, 17), 11)
        )
        week = _occurrences(s, team.rep, date(2026, 12, 7), date(2026, 12, 27))
    assert whole.series_start == whole.due_at == _at(date(2026, 12, 17), 11)
    assert [(m.day, m.hour) for m in week] == [(8, 16), (17, 11), (24, 11)]


def test_a_task_moves_to_another_client_and_contact(db, team):
    with db.write() as s:
        mine, other = team.client["rep"], team.client["kid"]
        ivan = contacts.create_contact(s, team.rep, mine, {"full_name": "Ivan"}).id
        olga = contacts.create_contact(s, team.manager, other, {"full_name": "Olga"}).id
        task = tasks.add_task(
            s,
            team.manager,
            title="call",
            due_at=_at(date(2026, 12, 1), 9),
            client_id=mine,
            contact_id=ivan,
        )
        # another client: the old client's contact goes with it
        moved = tasks.update_task(
            s, team.manager, task.id, version=task.version, changes={"client_id": other}
        )
        assert (moved.client_id, moved.contact_id) == (other, None)
        with pytest.raises(Invalid) as exc:  # a contact of another client
            tasks.update_task(
                s, team.manager, task.id, version=moved.version, changes={"contact_id": ivan}
            )
        assert "contact" in exc.value.errors
        olga_task = tasks.update_task(
            s, team.manager, task.id, version=moved.version, changes={"contact_id": olga}
        )
        assert olga_task.contact_id == olga
        with pytest.raises(Invalid) as exc:  # a contact without a client
            tasks.update_task(
                s,
                team.manager,
                task.id,
                version=olga_task.version,
                changes={"client_id": None, "contact_id": olga},
            )
        assert "client" in exc.value.errors
        none = tasks.update_task(
            s, team.manager, task.id, version=olga_task.version, changes={"client_id": None}
        )
        assert (none.client_id, none.contact_id) == (None, None)
        # a rep cannot move a task onto a client that is not theirs
        own = tasks.add_task(s, team.rep, title="own", due_at=_at(date(2026, 12, 1), 9))
        with pytest.raises(Forbidden):
            tasks.update_task(
                s, team.rep, own.id, version=own.version, changes={"client_id": team.client["sue"]}
            )


def test_cancelling_keeps_the_record_with_its_reason(db, team):
    with db.write() as s:
        plain = tasks.add_task(s, team.rep, title="plain", due_at=_at(date(2026, 12, 1), 9))
        series = tasks.add_task(
            s,
            team.rep,
            title="daily",
            due_at=_at(date(2026, 12, 1), 9),
            repeat="FREQ=DAILY",
            tz="Europe/Berlin",
        )
        with pytest.raises(Invalid) as exc:
            tasks.cancel_task(s, team.rep, plain.id, version=plain.version, reason="  ")
        assert "reason" in exc.value.errors
        gone = tasks.cancel_task(s, team.rep, plain.id, version=plain.version, reason="client away")
        skipped = tasks.cancel_task(
            s, team.rep, series.id, version=series.version, reason="holiday"
        )
        current = tasks.get_task(s, team.rep, series.id)
        ended = tasks.cancel_task(
            s, team.rep, series.id, version=current.version, reason="stop", series=True
        )
        with pytest.raises(Invalid):
            tasks.complete_task(s, team.rep, plain.id, version=gone.version, result="x")
    assert (gone.status, gone.cancel_reason) == ("cancelled", "client away")
    assert skipped.series_id == series.id and skipped.cancel_reason == "holiday"
    assert current.due_at == _at(date(2026, 12, 2), 9)
    assert ended.status == "cancelled"


@pytest.mark.parametrize(
    ("rule", "field_text"),
    [
        ("FREQ=HOURLY", "FREQ must be one of"),
        ("BYDAY=MO", "starts with FREQ"),
        ("FREQ=WEEKLY;COUNT=2;UNTIL=20270101", "not both"),
        ("FREQ=WEEKLY;BYDAY=XX", "not a valid rule"),
        ("FREQ=YEARLY;UNTIL=20200101", "never happens"),
    ],
)
def test_bad_rules_are_refused_with_a_reason(db, team, rule, field_text):
    with db.write() as s, pytest.raises(Invalid) as exc:
        tasks.add_task(s, team.rep, title="x", due_at=_at(date(2026, 12, 1), 9), repeat=rule)
    assert field_text in exc.value.errors["repeat"]


def test_presets_and_their_words():
    monday = datetime(2026, 11, 2, 10, 0)  # the first Monday of November
    found = {p.key: (p.rule, p.label) for p in recurrence.presets(monday)}
    assert found["monthly_weekday"] == (
        "FREQ=MONTHLY;BYDAY=1MO",
        "every month on the first Monday",
    )
    assert found["weekly"][1] == "every week on Monday"
    last = {p.key: p.rule for p in recurrence.presets(datetime(2026, 11, 30, 9))}
    assert last["monthly_day"] == "FREQ=MONTHLY;BYMONTHDAY=-1"
    assert last["monthly_weekday"] == "FREQ=MONTHLY;BYDAY=-1MO"
    assert recurrence.describe("FREQ=DAILY;COUNT=3") == "every day, 3 times"
    assert recurrence.describe("FREQ=WEEKLY;BYSETPOS=1") == "FREQ=WEEKLY;BYSETPOS=1"


# -- completing


def _journal(s, client_id: int) -> int:
    it = table(Interaction)
    q = sa.select(sa.func.count()).select_from(it).where(it.c.client_id == client_id)
    return int(s.execute(q).scalar_one())


def test_completing_writes_exactly_one_journal_entry_and_plans_the_next_step(db, team):
    cid = team.client["rep"]
    with db.write() as s:
        person = contacts.create_contact(s, team.rep, cid, {"full_name": "Ivan"})
        t = tasks.add_task(
            s,
            team.rep,
            title="Call about the offer",
            kind="meeting",
            due_at=_at(date(2026, 11, 20), 10),
            client_id=cid,
            contact_id=person.id,
        )
        before = _journal(s, cid)
        with pytest.raises(Invalid) as exc:
            tasks.complete_task(s, team.rep, t.id, version=t.version, result="")
        assert "result" in exc.value.errors
        done = tasks.complete_task(
            s,
            team.rep,
            t.id,
            version=t.version,
            result="agreed to a pilot",
            next_step=NextStep("Send the contract", datetime(2027, 1, 10, 9, tzinfo=UTC)),
        )
        after = _journal(s, cid)
        with pytest.raises(Conflict):
            tasks.complete_task(s, team.rep, t.id, version=t.version, result="again")
    assert after == before + 1
    assert done.interaction is not None
    assert (done.interaction.kind, done.interaction.purpose, done.interaction.result) == (
        "meeting",
        "Call about the offer",
        "agreed to a pilot",
    )
    assert done.interaction.contact_id == person.id
    assert done.task.status == "done" and done.task.interaction_id == done.interaction.id
    assert done.next_task is not None and done.next_task.client_id == cid
    assert done.next_task.assignee_id == team.rep.id


def test_a_task_about_no_client_keeps_its_result_in_its_notes(db, team):
    with db.write() as s:
        t = tasks.add_task(s, team.rep, title="Tidy the price list", due_at=NOW)
        done = tasks.complete_task(s, team.rep, t.id, version=t.version, result="done by noon")
    assert done.interaction is None and "done by noon" in done.task.notes


def test_a_rep_cannot_act_on_another_reps_task_and_a_manager_reassigns(db, team):
    with db.write() as s:
        t = tasks.add_task(s, team.child, title="Kid's task", due_at=NOW)
        with pytest.raises(Forbidden):
            tasks.complete_task(s, team.rep, t.id, version=t.version, result="x")
        with pytest.raises(Forbidden):
            tasks.move_task(s, team.south, t.id, version=t.version, due_at=NOW)
        moved = tasks.assign_task(s, team.manager, t.id, version=t.version, assignee_id=team.rep.id)
        with pytest.raises(Forbidden):
            tasks.assign_task(
                s, team.manager, t.id, version=moved.version, assignee_id=team.south.id
            )
        with pytest.raises(Forbidden):
            tasks.assign_task(s, team.rep, t.id, version=moved.version, assignee_id=team.child.id)
        mine = planner.agenda(s, team.rep, NOW.date(), NOW.date(), ZoneInfo("UTC"))
    assert moved.assignee_id == team.rep.id
    assert "Kid's task" in _titles(mine.items)


def test_duration_and_reminder_limits(db, team):
    with db.write() as s:
        with pytest.raises(Invalid) as exc:
            tasks.add_task(
                s, team.rep, title="x", due_at=NOW, duration_min=0, remind_before_min=99999
            )
        t = tasks.add_task(
            s, team.rep, title="x", due_at=NOW, duration_min=45, remind_before_min=15
        )
    assert set(exc.value.errors) == {"duration", "remind"}
    assert t.remind_at == NOW - timedelta(minutes=15)


# -- significant dates


def test_birthdays_and_company_dates_every_year_with_29_february(db, team):
    cid = team.client["rep"]
    with db.write() as s:
        contacts.create_contact(s, team.rep, cid, {"full_name": "Leap", "birthday": "1988-02-29"})
        contacts.create_contact(s, team.rep, cid, {"full_name": "Eve", "birthday": "1990-12-31"})
        contacts.create_contact(
            s, team.south, team.client["sue"], {"full_name": "Not mine", "birthday": "1990-02-28"}
        )
        significant_dates.add_date(
            s,
            team.rep,
            client_id=cid,
            kind="foundation",
            title="Founded",
            month=1,
            day=1,
            year=2001,
        )
        common = significant_dates.occasions(s, team.rep, date(2027, 2, 27), date(2027, 3, 1))
        leap = significant_dates.occasions(s, team.rep, date(2028, 2, 27), date(2028, 3, 1))
        new_year = significant_dates.occasions(s, team.rep, date(2026, 12, 30), date(2027, 1, 2))
        with pytest.raises(Invalid) as exc:
            significant_dates.add_date(
                s, team.rep, client_id=cid, kind="other", title="x", month=2, day=30
            )
        with pytest.raises(Invalid):
            significant_dates.add_date(
                s, team.rep, client_id=cid, kind="other", title="x", month=2, day=29, year=2023
            )
        with pytest.raises(Forbidden):
            significant_dates.add_date(
                s, team.rep, client_id=team.client["sue"], kind="other", title="x", month=1, day=1
            )
    assert [(o.on, o.title, o.years) for o in common] == [(date(2027, 2, 28), "Leap", 39)]
    assert [(o.on, o.title, o.years) for o in leap] == [(date(2028, 2, 29), "Leap", 40)]
    assert [(o.on, o.kind, o.years) for o in new_year] == [
        (date(2026, 12, 31), "birthday", 36),
        (date(2027, 1, 1), "foundation", 26),
    ]
    assert "day" in exc.value.errors


def test_dates_appear_in_the_agenda_of_the_clients_owner(db, team):
    with db.write() as s:
        significant_dates.add_date(
            s,
            team.admin,
            client_id=team.client["kid"],
            kind="contract",
            title="Contract signed",
            month=12,
            day=3,
            year=2020,
        )
        kid = planner.agenda(s, team.child, date(2026, 12, 3), date(2026, 12, 3), BERLIN)
        rep = planner.agenda(s, team.rep, date(2026, 12, 3), date(2026, 12, 3), BERLIN)
        mgr = planner.agenda(
            s, team.manager, date(2026, 12, 3), date(2026, 12, 3), BERLIN, who=Who.team()
        )
    assert _titles(kid.items) == ["date:Contract signed"]
    assert kid.items[0].occasion is not None and kid.items[0].occasion.years == 6
    assert _titles(rep.items) == []
    assert _titles(mgr.items) == ["date:Contract signed"]


def test_editing_and_deleting_a_date(db, team):
    cid = team.client["rep"]
    with db.write() as s:
        d = significant_dates.add_date(
            s, team.rep, client_id=cid, kind="holiday", title="Builders' day", month=8, day=9
        )
        d2 = significant_dates.update_date(
            s, team.rep, d.id, version=d.version, changes={"day": 10, "remind_days": 7}
        )
        with pytest.raises(Conflict):
            significant_dates.update_date(s, team.rep, d.id, version=d.version, changes={"day": 1})
        aug10 = significant_dates.occasions(s, team.rep, date(2027, 8, 10), date(2027, 8, 10))
        significant_dates.delete_date(s, team.rep, d.id, version=d2.version)
        listed = significant_dates.list_dates(s, team.rep, client_id=cid)
    assert (d2.day, d2.remind_days) == (10, 7)
    assert [o.title for o in aug10] == ["Builders' day"]
    assert listed == []


# -- reminders


def test_reminders_of_tasks_and_dates(db, team):
    cid = team.client["rep"]
    now = _at(date(2026, 12, 1), 9, BERLIN)
    with db.write() as s:
        tasks.add_task(
            s, team.rep, title="soon", due_at=now + timedelta(minutes=10), remind_before_min=15
        )
        tasks.add_task(
            s, team.rep, title="later", due_at=now + timedelta(hours=3), remind_before_min=15
        )
        tasks.add_task(s, team.rep, title="silent", due_at=now + timedelta(minutes=5))
        tasks.add_task(
            s, team.rep, title="long ago", due_at=now - timedelta(days=3), remind_before_min=0
        )
        tasks.add_task(s, team.child, title="not mine", due_at=now, remind_before_min=60)
        contacts.create_contact(
            s,
            team.rep,
            cid,
            {"full_name": "Ivan", "birthday": "1980-12-04", "birthday_remind_days": 3},
        )
        contacts.create_contact(
            s,
            team.rep,
            cid,
            {"full_name": "Far", "birthday": "1980-12-20", "birthday_remind_days": 3},
        )
        found = planner.reminders(s, team.rep, BERLIN, now=now)
        again = planner.reminders(s, team.rep, BERLIN, now=now)
    assert [r.task.title if r.task else r.occasion.title for r in found] == ["soon", "Ivan"]  # type: ignore[union-attr]
    assert [r.key for r in found] == [r.key for r in again]


def test_overdue_count(db, team):
    with db.write() as s:
        tasks.add_task(s, team.rep, title="a", due_at=NOW - timedelta(days=1))
        b = tasks.add_task(s, team.rep, title="b", due_at=NOW - timedelta(hours=1))
        tasks.add_task(s, team.rep, title="c", due_at=NOW + timedelta(hours=1))
        tasks.add_task(
            s,
            team.rep,
            title="series",
            due_at=NOW - timedelta(days=2),
            repeat="FREQ=DAILY",
            tz="UTC",
        )
        tasks.complete_task(s, team.rep, b.id, version=b.version, result="ok")
        count = tasks.overdue_count(s, team.rep, now=NOW)
    assert count == 2


# -- the plan of the department


def _complete_at(s, task_id: int, when: datetime) -> None:
    t = table(Task)
    s.execute(sa.update(t).where(t.c.id == task_id).values(status="done", completed_at=when))


def test_team_plan_per_rep_and_per_department(db, team):
    week = [date(2026, 11, 16) + timedelta(days=i) for i in range(7)]
    now = _at(date(2026, 11, 25), 12)
    with db.write() as s:
        for i in range(4):
            tasks.add_task(s, team.rep, title=f"r{i}", due_at=_at(week[i], 10))
        rep_tasks = planner.agenda(s, team.rep, week[0], week[-1], BERLIN).items
        ids = [i.task.id for i in rep_tasks if i.task]
        _complete_at(s, ids[0], _at(week[0], 18))  # same day: on time
        _complete_at(s, ids[1], _at(week[2], 9))  # a day later: late
        cancelled = tasks.get_task(s, team.rep, ids[2])
        tasks.cancel_task(s, team.rep, ids[2], version=cancelled.version, reason="no")
        # ids[3] stays open and is past due
        tasks.add_task(s, team.child, title="k", due_at=_at(week[5], 10))
        tasks.add_task(s, team.child, title="outside", due_at=_at(week[-1] + timedelta(days=1), 1))
        tasks.add_task(
            s,
            team.south,
            title="daily",
            due_at=_at(week[0], 9),
            repeat="FREQ=DAILY",
            tz="Europe/Berlin",
        )
        by_rep = planner.team_plan(s, team.manager, week[0], week[-1], BERLIN, now=now)
        by_dept = planner.team_plan(
            s, team.director, week[0], week[-1], BERLIN, by="department", now=now
        )
        rep_only = planner.team_plan(s, team.rep, week[0], week[-1], BERLIN, now=now)
        mgr_depts = planner.team_plan(
            s, team.manager, week[0], week[-1], BERLIN, by="department", now=now
        )
    rows = {r.name: r for r in by_rep}
    assert set(rows) == {"Mgr", "Rep", "Kid"}
    r = rows["Rep"]
    assert (r.planned, r.done, r.done_late, r.overdue, r.cancelled) == (3, 2, 1, 1, 1)
    assert r.done_pct == pytest.approx(66.7)
    assert (rows["Kid"].planned, rows["Kid"].overdue) == (1, 1)
    depts = {d.name: d for d in by_dept}
    # a department counts its sub-departments too: North holds North / Retail
    assert depts["North"].planned == 4 and depts["North / Retail"].planned == 1
    assert depts["North"].overdue == rows["Rep"].overdue + rows["Kid"].overdue
    assert depts["North / Retail"].within == depts["North"].id
    assert depts["North"].within is None and depts["South"].within is None
    # the daily series: 7 occurrences planned, its current one overdue
    assert (depts["South"].planned, depts["South"].overdue) == (7, 1)
    assert [x.name for x in rep_only] == ["Rep"]
    # a manager's department rows stop at their own department
    assert [(d.name, d.planned) for d in mgr_depts] == [("North", 4), ("North / Retail", 1)]


def test_done_late_is_by_the_local_day_on_a_day_of_23_hours(db, team):
    """29 March 2026 in Berlin has 23 hours (clocks go forward): its end is 22:00 UTC,
    not the 23:00 a day of 24 hours from its midnight (23:00 UTC the day before) would
    give. A task due that evening and done 10 minutes after local midnight is late."""
    day = date(2026, 3, 29)
    due = datetime(2026, 3, 29, 21, 30, tzinfo=UTC)  # 23:30 in Berlin (CEST)
    with db.write() as s:
        on_time = tasks.add_task(s, team.rep, title="on time", due_at=due)
        late = tasks.add_task(s, team.rep, title="late", due_at=due)
        _complete_at(s, on_time.id, datetime(2026, 3, 29, 21, 50, tzinfo=UTC))  # 23:50
        _complete_at(s, late.id, datetime(2026, 3, 29, 22, 10, tzinfo=UTC))  # 00:10 on the 30th
        (row,) = planner.team_plan(s, team.rep, day, day, BERLIN, now=_at(date(2026, 4, 2), 9))
    assert (row.planned, row.done, row.done_late) == (2, 2, 1)


def test_done_late_without_the_servers_time_zones(db, team, monkeypatch):
    """A zone the database does not know (PostgreSQL's time zone data older than
    Python's) is counted with the day boundaries instead, to the same figures."""
    monkeypatch.setattr(planner, "server_has_zone", lambda s, zone: False)
    test_done_late_is_by_the_local_day_on_a_day_of_23_hours(db, team)
