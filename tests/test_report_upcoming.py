"""The upcoming dates and overdue tasks report on hand-built dates and tasks with known
answers, on SQLite and PostgreSQL: birthdays and company dates of the next days,
overdue tasks per user and their list, the scope and the access rule."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from termcrm.reports.model import Params, Scope
from termcrm.reports.registry import run
from termcrm.reports.upcoming import upcoming
from termcrm.services import contacts, significant_dates, tasks
from termcrm.services.errors import Forbidden, Invalid
from test_funnel import Team, make_team

TODAY = date(2026, 3, 1)  # tasks due before 1 March 00:00 UTC are overdue
PERIOD = (date(2026, 1, 1), date(2026, 12, 31))  # the dates follow today, not the period


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


@pytest.fixture
def team(db, admin) -> Team:
    with db.write() as s:
        t = make_team(s, admin)
        c = t.client
        contacts.create_contact(s, admin, c["rep"], {"full_name": "Ann", "birthday": "1990-03-05"})
        contacts.create_contact(s, admin, c["sue"], {"full_name": "Bob", "birthday": "1985-03-15"})
        contacts.create_contact(s, admin, c["kid"], {"full_name": "Cid", "birthday": "1970-03-20"})
        significant_dates.add_date(
            s, admin, client_id=c["rep"], kind="foundation", title="Founded", month=3, day=10,
            year=2000,
        )  # fmt: skip
        significant_dates.add_date(
            s, admin, client_id=c["kid"], kind="holiday", title="Printers' day", month=3, day=1
        )
        for title, due, who, client in [
            ("Call back", at(2, 20), t.rep, "rep"),  # 9 days overdue
            ("Send offer", at(2, 27), t.rep, "rep"),  # 2 days
            ("Visit", at(1, 31), t.kid, "kid"),  # 29 days
            ("Ring", at(2, 28, 12), t.sue, None),  # 1 day, about no client
            ("Plan", at(3, 1, 9), t.sue, None),  # due today: not overdue yet
        ]:
            tasks.add_task(
                s,
                admin,
                title=title,
                due_at=due,
                assignee_id=who.id,
                client_id=c[client] if client else None,
            )
        done = tasks.add_task(s, admin, title="Done", due_at=at(1, 5), assignee_id=t.rep.id)
        tasks.cancel_task(s, admin, done.id, version=done.version, reason="not needed")
        return t


def test_dates_of_the_next_two_weeks_and_overdue_tasks(db, team):
    with db.read() as s:
        r = upcoming(s, team.director, Params(PERIOD, today=TODAY))
    assert r.period == (TODAY, date(2026, 3, 15))
    # Cid's birthday (20 March) is after the 14 days
    assert r.table("dates").rows == (
        (date(2026, 3, 1), 0, "professional holiday", "Printers' day", None, "Client of kid"),
        (date(2026, 3, 5), 4, "birthday", "Ann", 36, "Client of rep"),
        (date(2026, 3, 10), 9, "foundation day", "Founded", 26, "Client of rep"),
        (date(2026, 3, 15), 14, "birthday", "Bob", 41, "Client of sue"),
    )
    assert r.table("overdue_users").rows == (
        ("Rep", 2, date(2026, 2, 20), 9),
        ("Kid", 1, date(2026, 1, 31), 29),
        ("Sue", 1, date(2026, 2, 28), 1),
    )
    assert r.table("overdue_users").total == ("Total", 4, None, None)
    assert r.table("overdue_tasks").rows == (
        ("Kid", "Visit", "Client of kid", date(2026, 1, 31), 29),
        ("Rep", "Call back", "Client of rep", date(2026, 2, 20), 9),
        ("Rep", "Send offer", "Client of rep", date(2026, 2, 27), 2),
        ("Sue", "Ring", "", date(2026, 2, 28), 1),
    )
    assert r.charts[0].table == "overdue_users"


def test_each_role_and_scope_sees_its_own(db, team):
    with db.read() as s:
        rep = upcoming(s, team.rep, Params(PERIOD, today=TODAY, options=(("days", "9"),)))
        mgr = upcoming(s, team.manager, Params(PERIOD, today=TODAY))
        assert run(s, team.manager, "upcoming", Params(PERIOD, today=TODAY)) == mgr
        south = upcoming(
            s,
            team.director,
            Params(PERIOD, Scope("department", department_id=team.south), today=TODAY),
        )
        short = upcoming(s, team.director, Params(PERIOD, today=TODAY, options=(("limit", 2),)))
        with pytest.raises(Forbidden):
            upcoming(s, team.rep, Params(PERIOD, Scope("user", user_id=team.sue.id), today=TODAY))
        with pytest.raises(Invalid, match="days"):
            upcoming(s, team.rep, Params(PERIOD, today=TODAY, options=(("days", -1),)))
    assert rep.table("dates").values("title") == ["Ann", "Founded"]
    assert rep.table("overdue_tasks").values("title") == ["Call back", "Send offer"]
    # North and North / Retail: rep and kid
    assert mgr.table("dates").values("title") == ["Printers' day", "Ann", "Founded"]
    assert mgr.table("overdue_users").values("user") == ["Rep", "Kid"]
    assert south.table("dates").values("title") == ["Bob"]
    assert south.table("overdue_tasks").values("title") == ["Ring"]
    assert short.table("overdue_tasks").values("title") == ["Visit", "Call back"]
    assert any("2 oldest of 4" in n for n in short.notes)
