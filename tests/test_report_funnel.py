"""The funnel report on a hand-built set of deals and plans with known answers, on SQLite
and PostgreSQL: the stages, the totals, the forecast's months with the plans in scope
beside the trend, the scope mapped to the funnel's filter, and the access rule (a rep,
a manager and a director each see their deals and plans)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from termcrm.reports.funnel_report import funnel_report
from termcrm.reports.model import Params, Scope
from termcrm.services import sales_plans
from termcrm.services.errors import Forbidden, Invalid
from test_funnel import Team, make_team, walk

D = Decimal
Q1 = (date(2026, 1, 1), date(2026, 3, 31))
TODAY = date(2026, 4, 10)
AHEAD = (("months_back", 3), ("months_ahead", 2))
APR, MAY = date(2026, 4, 1), date(2026, 5, 1)


@pytest.fixture
def team(db, admin) -> Team:
    """Five RUB deals and one USD deal (days after 1 January 2026); plans for April, May."""
    with db.write() as s:
        t = make_team(s, admin)
        c, ad = t.client, admin
        won_path = [("Lead", 0), ("Qualification", 2), ("Proposal", 5), ("Negotiation", 9)]
        walk(s, ad, c["rep"], 1000, [*won_path, ("Won", 10)], owner=t.rep)  # closed in January
        walk(s, ad, c["rep"], 500, [("Lead", 0), ("Qualification", 4), ("Lost", 10)], owner=t.rep)
        walk(
            s,
            ad,
            c["rep"],
            2000,
            [("Lead", 0), ("Qualification", 1), ("Proposal", 3)],
            owner=t.rep,
            expected=date(2026, 4, 15),
        )
        walk(
            s,
            ad,
            c["kid"],
            3000,
            [("Lead", 0), ("Qualification", 6), ("Proposal", 7), ("Negotiation", 8), ("Won", 20)],
            owner=t.kid,
        )
        walk(
            s,
            ad,
            c["sue"],
            700,
            [("Lead", 0), ("Lost", 3)],
            owner=t.sue,
            created=datetime(2026, 3, 5, tzinfo=UTC),
        )
        walk(s, ad, c["sue"], 1000, [("Negotiation", 0)], owner=t.sue, currency="USD")
        for user, month, amount in ((t.rep, APR, 500), (t.kid, APR, 300), (t.sue, APR, 200)):
            sales_plans.set_plan(s, ad, month=month, amount=amount, user_id=user.id)
        sales_plans.set_plan(s, ad, month=MAY, amount=1000, department_id=t.north)
        sales_plans.set_plan(s, ad, month=MAY, amount=7, currency="USD", user_id=t.rep.id)
    return t


def test_stages_totals_and_the_forecast_with_the_plans(db, team):
    with db.read() as s:
        r = funnel_report(s, team.director, Params(Q1, today=TODAY, options=AHEAD))
    assert r.currency == "RUB"
    assert any("deals in USD" in n for n in r.notes)
    assert any("Plans in USD" in n for n in r.notes)
    # stage, probability, reached, now, amount, weighted, to next %, to won %, average days
    # (completed stays: Lead (2+4+1+6+3)/5, Qualification (3+6+2+1)/4, ...)
    assert r.table("stages").rows == (
        ("Lead", 10.0, 5, 0, D("0.00"), D("0.00"), 80.0, 40.0, 3.2),
        ("Qualification", 20.0, 4, 0, D("0.00"), D("0.00"), 75.0, 50.0, 3.0),
        ("Proposal", 40.0, 3, 1, D("2000.00"), D("800.00"), 66.7, 66.7, 2.5),
        ("Negotiation", 70.0, 2, 0, D("0.00"), D("0.00"), 100.0, 100.0, 6.5),
        ("Won", 100.0, 2, 2, D("4000.00"), D("4000.00"), None, None, None),
        ("Lost", 0.0, 2, 2, D("1200.00"), D("0.00"), None, None, None),
    )
    assert r.table("stages").total == (
        "Total",
        None,
        None,
        5,
        D("7200.00"),
        D("800.00"),  # the weighted pipeline: open deals only
        None,
        None,
        None,
    )
    # deals, open, won, lost, win rate, amount, won amount, weighted pipeline
    assert r.table("totals").rows == ((5, 1, 2, 2, 50.0, D("7200.00"), D("4000.00"), D("800.00")),)
    # won: January 4000, then nothing: the line through (0, 4000), (1, 0), (2, 0) has
    # slope -2000 from 3333.33 (never below zero). April: North (no plan of its own:
    # Rep 500 + Retail's Kid 300) + South (Sue 200) = 1000; May: North's own 1000
    assert r.table("forecast").rows == (
        (date(2026, 1, 1), D("4000.00"), D("3333.33"), None, None, D("0.00")),
        (date(2026, 2, 1), D("0.00"), D("1333.33"), None, None, D("0.00")),
        (date(2026, 3, 1), D("0.00"), D("0.00"), None, None, D("0.00")),
        (APR, D("0.00"), D("0.00"), D("800.00"), D("2000.00"), D("1000.00")),
        (MAY, None, D("0.00"), D("0.00"), D("0.00"), D("1000.00")),
    )
    assert [c.table for c in r.charts] == ["stages", "forecast"]


def test_a_rep_a_manager_and_a_director_each_see_their_deals_and_plans(db, team):
    params = {"today": TODAY, "options": AHEAD}
    with db.read() as s:
        rep = funnel_report(s, team.rep, Params(Q1, **params))
        mgr = funnel_report(s, team.manager, Params(Q1, **params))
        sue = funnel_report(
            s, team.director, Params(Q1, Scope("user", user_id=team.sue.id), **params)
        )
        retail = funnel_report(
            s, team.manager, Params(Q1, Scope("department", department_id=_retail(s)), **params)
        )
        with pytest.raises(Forbidden):
            funnel_report(
                s, team.manager, Params(Q1, Scope("department", department_id=team.south))
            )
        with pytest.raises(Invalid):
            funnel_report(s, team.rep, Params(Q1, options=(("pipeline", "Nope"),)))

    def reached(r):
        return r.table("stages").values("reached")[:4]

    def plans(r):
        return r.table("forecast").values("plan")[3:]

    assert reached(rep) == [3, 3, 2, 1] and plans(rep) == [D("500.00"), D("0.00")]
    assert reached(mgr) == [4, 4, 3, 2] and plans(mgr) == [D("800.00"), D("1000.00")]
    assert reached(retail) == [1, 1, 1, 1] and plans(retail) == [D("300.00"), D("0.00")]
    # Sue: one RUB deal (lost in Lead) and one USD deal: RUB first by name
    assert sue.currency == "RUB" and reached(sue) == [1, 0, 0, 0]
    assert plans(sue) == [D("200.00"), D("0.00")]
    assert sue.table("totals").rows[0][:4] == (1, 0, 0, 1)


def _retail(s) -> int:
    from termcrm.services import org

    return org.find_department(s, "North / Retail")


def test_an_empty_database_and_bad_options(db, admin):
    with db.read() as s:
        r = funnel_report(s, admin, Params(Q1, today=TODAY, options=AHEAD))
        with pytest.raises(Invalid):
            funnel_report(s, admin, Params(Q1, options=(("months_back", "many"),)))
        with pytest.raises(Invalid):
            funnel_report(s, admin, Params((Q1[1], Q1[0])))
    assert r.currency is None and r.table("stages").rows == ()
    assert r.table("forecast").rows == ()
