"""The activity report on a hand-built month of interactions, tasks, new clients and
closed deals with known answers, on SQLite and PostgreSQL: the columns per user, the
totals, the period's days in a time zone, the deals' currency, and the access rule (a
rep, a manager and a director each see their rows)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from termcrm.reports.activity import activity
from termcrm.reports.model import Params, Scope
from termcrm.services import clients, journal, tasks
from termcrm.services.errors import Forbidden, Invalid
from termcrm.store.tables import Client, Task, table
from test_funnel import Team, make_team, walk

D = Decimal
MARCH = (date(2026, 3, 1), date(2026, 3, 31))
TODAY = date(2026, 3, 26)  # "now": the start of this day
task_t = table(Task)
client_t = table(Client)


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


@pytest.fixture
def team(db, admin) -> Team:
    with db.write() as s:
        t = make_team(s, admin)
        c = t.client
        touches = [  # user, client, kind, when
            (t.rep, c["rep"], "call", at(3, 2)),
            (t.rep, c["rep"], "call", at(3, 3)),
            (t.rep, c["rep"], "meeting", at(3, 5)),
            (t.rep, c["rep"], "email", at(3, 10)),
            (t.rep, c["rep"], "call", at(2, 20)),  # before the period
            (t.rep, c["rep"], "call", at(2, 28, 22)),  # 1 March 01:00 in Moscow
            (t.kid, c["kid"], "visit", at(3, 4)),
            (t.kid, c["kid"], "message", at(3, 6)),
            (t.sue, c["sue"], "letter", at(3, 7)),
        ]
        for user, client, kind, when in touches:
            journal.log_interaction(
                s, admin, kind=kind, client_id=client, occurred_at=when, user_id=user.id
            )
        # a client in the trash takes its journal (and its newness) with it
        gone = clients.create_client(s, admin, {"name": "Gone", "owner_id": t.rep.id}).id
        journal.log_interaction(
            s, admin, kind="call", client_id=gone, occurred_at=at(3, 8), user_id=t.rep.id
        )
        clients.delete_client(s, admin, gone)
        # new clients: created in March (the rep's and Sue's), the kid's in February
        for login, when in (("rep", at(3, 3)), ("sue", at(3, 15)), ("kid", at(2, 1))):
            s.execute(sa.update(client_t).where(client_t.c.id == c[login]).values(created_at=when))
        s.execute(sa.update(client_t).where(client_t.c.id == gone).values(created_at=at(3, 9)))
        plan = [  # assignee, due, status, completed
            (t.rep, at(3, 10), "done", at(3, 10, 15)),  # done on the day
            (t.rep, at(3, 11), "done", at(3, 13)),  # done late
            (t.rep, at(3, 20), "open", None),  # overdue on the 26th
            (t.rep, at(3, 25), "cancelled", None),  # not planned any more
            (t.rep, at(4, 2), "open", None),  # after the period
            (t.kid, at(3, 28), "open", None),  # not due yet on the 26th
        ]
        for n, (user, due, status, completed) in enumerate(plan):
            task = tasks.add_task(s, admin, title=f"task {n}", due_at=due, assignee_id=user.id)
            s.execute(
                sa.update(task_t)
                .where(task_t.c.id == task.id)
                .values(status=status, completed_at=completed)
            )
        # deals closed (days after 1 January): won 12 March, lost 7 March, won in January
        walk(s, admin, c["rep"], 1000, [("Lead", 0), ("Won", 70)], owner=t.rep)
        walk(s, admin, c["rep"], 500, [("Lead", 0), ("Lost", 65)], owner=t.rep)
        walk(s, admin, c["rep"], 300, [("Lead", 0), ("Won", 20)], owner=t.rep)
        walk(s, admin, c["rep"], 100, [("Lead", 0)], owner=t.rep)  # open
        walk(s, admin, c["kid"], 3000, [("Lead", 0), ("Won", 75)], owner=t.kid)
        walk(s, admin, c["sue"], 700, [("Lead", 0), ("Lost", 62)], owner=t.sue)
        walk(s, admin, c["sue"], 200, [("Lead", 0), ("Won", 80)], owner=t.sue, currency="USD")
    return t


# user, department; calls, meetings, emails, letters, visits, messages, interactions; tasks
# planned, done, overdue, done late; new clients; won, won amount, lost, conversion %
MGR = ("Mgr", "North", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, D("0.00"), 0, None)
REP = ("Rep", "North", 2, 1, 1, 0, 0, 0, 4, 3, 2, 1, 1, 1, 1, D("1000.00"), 1, 50.0)
KID = ("Kid", "North / Retail", 0, 0, 0, 0, 1, 1, 2, 1, 0, 0, 0, 0, 1, D("3000.00"), 0, 100.0)
# Sue's won deal is in USD: counted, its amount not in the RUB column
SUE = ("Sue", "South", 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 1, 1, D("0.00"), 1, 50.0)


def test_activity_per_user_and_the_totals(db, team):
    with db.read() as s:
        r = activity(s, team.director, Params(MARCH, today=TODAY))
    t = r.table("by_user")
    assert t.rows == (MGR, REP, KID, SUE)
    # 3 won (1000, 3000 and USD 200, counted but not summed) and 2 lost: 60 %
    assert t.total == ("Total", "", 2, 1, 1, 1, 1, 1, 7, 4, 2, 1, 1, 2, 3, D("4000.00"), 2, 60.0)
    assert r.currency == "RUB" and any("USD" in n for n in r.notes)
    chart = r.charts[0]
    assert chart.stacked and chart.series[0] == "kind_call" and len(chart.series) == 6
    assert [c.heading() for c in t.columns[2:4]] == ["Calls", "Meetings"]


def test_the_days_of_the_period_in_a_time_zone(db, team):
    with db.read() as s:
        moscow = activity(
            s, team.rep, Params(MARCH, today=TODAY, options=(("tz", "Europe/Moscow"),))
        )
        with pytest.raises(Invalid):
            activity(s, team.rep, Params(MARCH, options=(("tz", "Mars/Olympus"),)))
    # the call at 22:00 UTC on 28 February is on 1 March in Moscow
    assert moscow.table("by_user").rows[0][2:4] == (3, 1)


def test_a_rep_a_manager_and_a_director_each_see_their_rows(db, team):
    with db.read() as s:
        rep = activity(s, team.rep, Params(MARCH, today=TODAY))
        mgr = activity(s, team.manager, Params(MARCH, today=TODAY))
        sue = activity(
            s, team.director, Params(MARCH, Scope("user", user_id=team.sue.id), today=TODAY)
        )
        usd = activity(s, team.director, Params(MARCH, currency="usd", today=TODAY))
        with pytest.raises(Forbidden):
            activity(s, team.rep, Params(MARCH, Scope("user", user_id=team.sue.id)))
    assert rep.table("by_user").rows == (REP,)
    assert mgr.table("by_user").rows == (MGR, REP, KID)
    assert mgr.table("by_user").total[-1] == 66.67  # 2 won, 1 lost
    # Sue alone won only in USD: her report is in USD
    assert sue.currency == "USD"
    assert sue.table("by_user").rows == ((*SUE[:15], D("200.00"), *SUE[16:]),)
    assert usd.table("by_user").total[15] == D("200.00")


def test_an_empty_database(db, admin):
    with db.read() as s:
        r = activity(s, admin, Params(MARCH, today=TODAY))
        with pytest.raises(Invalid):
            activity(s, admin, Params((MARCH[1], MARCH[0])))
    assert r.currency is None and r.table("by_user").rows == ()
    assert r.table("by_user").total[-1] is None
