"""The plan-actual report on a hand-built set of plans and shipments with known answers,
on SQLite and PostgreSQL: per user, per department (its own plan, or its users' and
sub-departments' when it has none), per month with the cumulative figures, the
currency, and the access rule (a rep, a manager and a director each see their rows)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from termcrm.reports.model import Params, Scope
from termcrm.reports.plan_actual import plan_actual
from termcrm.services import sales_facts, sales_plans
from termcrm.services.errors import Forbidden
from test_funnel import Team, make_team

D = Decimal
PERIOD = (date(2026, 1, 1), date(2026, 2, 28))
JAN, FEB = date(2026, 1, 1), date(2026, 2, 1)


@pytest.fixture
def team(db, admin) -> Team:
    with db.write() as s:
        t = make_team(s, admin)
        c = t.client
        shipments = [  # client (its owner is the manager of the sale), day, amount
            (c["rep"], date(2026, 1, 10), 100),
            (c["rep"], date(2026, 2, 10), 50),
            (c["rep"], date(2026, 2, 20), -10),  # a return: the rep's February is 40
            (c["kid"], date(2026, 1, 15), 200),
            (c["sue"], date(2026, 2, 5), 300),
            (c["rep"], date(2026, 3, 1), 1000),  # after the period
        ]
        for n, (client, day, amount) in enumerate(shipments):
            sales_facts.save_shipment(
                s, admin, shipped_on=day, client_id=client, amount=amount, external_id=f"s{n}"
            )
        sales_facts.save_shipment(
            s, admin, shipped_on=JAN, client_id=c["rep"], amount=999, currency="USD"
        )
        plans = [  # (user, department), month, amount
            ((t.rep.id, None), JAN, 100),
            ((t.rep.id, None), FEB, 100),
            ((t.kid.id, None), JAN, 150),
            ((t.kid.id, None), FEB, 150),
            ((t.sue.id, None), JAN, 200),
            ((None, t.north), FEB, 500),  # North's own plan for February only
        ]
        for (user, dept), month, amount in plans:
            sales_plans.set_plan(
                s, admin, month=month, amount=amount, user_id=user, department_id=dept
            )
        sales_plans.set_plan(s, admin, month=JAN, amount=10, currency="USD", user_id=t.rep.id)
    return t


def test_by_user_department_and_month_for_the_director(db, team):
    with db.read() as s:
        r = plan_actual(s, team.director, Params(PERIOD))
    assert r.currency == "RUB"
    assert any("shipments in USD" in n for n in r.notes)
    assert any("Plans in USD" in n for n in r.notes)
    assert any("sum of the plans of its users" in n for n in r.notes)
    # plan, actual, % done, gap; the director (no department, no figures) has no row
    assert r.table("by_user").rows == (
        ("Mgr", "North", D("0.00"), D("0.00"), None, D("0.00")),
        ("Rep", "North", D("200.00"), D("140.00"), 70.0, D("60.00")),
        ("Kid", "North / Retail", D("300.00"), D("200.00"), 66.67, D("100.00")),
        ("Sue", "South", D("200.00"), D("300.00"), 150.0, D("-100.00")),
    )
    # 640 / 700 = 91.43 %
    assert r.table("by_user").total == ("Total", "", D("700.00"), D("640.00"), 91.43, D("60.00"))
    # North: January has no plan of its own: Rep 100 + Retail (Kid 150) = 250; February
    # its own 500: 750. Its actual: Rep 140 + Kid 200 = 340 (45.33 %)
    assert r.table("by_department").rows == (
        ("North", D("750.00"), D("340.00"), 45.33, D("410.00")),
        ("North / Retail", D("300.00"), D("200.00"), 66.67, D("100.00")),
        ("South", D("200.00"), D("300.00"), 150.0, D("-100.00")),
    )
    # the top lines: North + South; 640 / 950 = 67.37 %
    assert r.table("by_department").total == (
        "Total",
        D("950.00"),
        D("640.00"),
        67.37,
        D("310.00"),
    )
    # January: North 250 + South 200 = 450 against 100 + 200; February: 500 against 40 + 300
    assert r.table("by_month").rows == (
        (JAN, D("450.00"), D("300.00"), 66.67, D("450.00"), D("300.00")),
        (FEB, D("500.00"), D("340.00"), 68.0, D("950.00"), D("640.00")),
    )
    assert {c.table for c in r.charts} == {"by_user", "by_month"}


def test_a_rep_a_manager_and_a_director_each_see_their_rows(db, team):
    with db.read() as s:
        rep = plan_actual(s, team.rep, Params(PERIOD))
        mgr = plan_actual(s, team.manager, Params(PERIOD))
        sue = plan_actual(s, team.director, Params(PERIOD, Scope("user", user_id=team.sue.id)))
        with pytest.raises(Forbidden):
            plan_actual(
                s, team.manager, Params(PERIOD, Scope("department", department_id=team.south))
            )
        with pytest.raises(Forbidden):
            plan_actual(s, team.rep, Params(PERIOD, Scope("user", user_id=team.kid.id)))
    assert rep.table("by_user").rows == (
        ("Rep", "North", D("200.00"), D("140.00"), 70.0, D("60.00")),
    )
    assert rep.table("by_department").rows == ()
    assert rep.table("by_month").rows == (
        (JAN, D("100.00"), D("100.00"), 100.0, D("100.00"), D("100.00")),
        (FEB, D("100.00"), D("40.00"), 40.0, D("200.00"), D("140.00")),
    )
    assert [row[0] for row in mgr.table("by_user").rows] == ["Mgr", "Rep", "Kid"]
    assert [row[0] for row in mgr.table("by_department").rows] == ["North", "North / Retail"]
    assert mgr.table("by_month").rows[-1][4:] == (D("750.00"), D("340.00"))
    assert sue.table("by_user").rows == (
        ("Sue", "South", D("200.00"), D("300.00"), 150.0, D("-100.00")),
    )
    assert sue.table("by_department").rows == ()
    assert any("one user" in n for n in sue.notes)


def test_a_department_scope_and_a_currency_asked_for(db, team):
    with db.read() as s:
        retail = plan_actual(
            s,
            team.manager,
            Params(PERIOD, Scope("department", department_id=_retail(s))),
        )
        usd = plan_actual(s, team.director, Params(PERIOD, currency="usd"))
    assert [row[0] for row in retail.table("by_user").rows] == ["Kid"]
    assert retail.table("by_department").rows == (
        ("North / Retail", D("300.00"), D("200.00"), 66.67, D("100.00")),
    )
    assert usd.currency == "USD"
    assert usd.table("by_user").total == (
        "Total",
        "",
        D("10.00"),
        D("999.00"),
        9990.0,
        D("-989.00"),
    )


def _retail(s) -> int:
    from termcrm.services import org

    return org.find_department(s, "North / Retail")


def test_an_empty_database(db, admin):
    with db.read() as s:
        r = plan_actual(s, admin, Params(PERIOD))
    assert r.currency is None and r.table("by_user").rows == ()
    assert r.table("by_month").rows == (
        (JAN, D("0.00"), D("0.00"), None, D("0.00"), D("0.00")),
        (FEB, D("0.00"), D("0.00"), None, D("0.00"), D("0.00")),
    )
