"""The sales dynamics report on a hand-built set of shipments with known answers, on
SQLite and PostgreSQL: turnover per group and year, growth, shares, the access rule."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from termcrm.reports.model import Params, Scope
from termcrm.reports.sales_dynamics import default_unit, sales_dynamics, shifted
from termcrm.services import clients, sales_facts
from test_funnel import Team, make_team

D = Decimal


@pytest.fixture
def team(db, admin) -> Team:
    with db.write() as s:
        t = make_team(s, admin)
        big = clients.create_client(
            s, admin, {"name": "Big", "group": "Wholesale", "owner_id": t.rep.id}
        ).id
        shop = clients.create_client(
            s, admin, {"name": "Shop", "group": "Retail", "owner_id": t.sue.id}
        ).id
        facts = [  # client, day, amount
            (big, date(2024, 6, 1), 100),
            (shop, date(2024, 6, 1), 100),
            (big, date(2025, 3, 1), 150),
            (big, date(2025, 9, 1), 50),  # 2025: 200
            (shop, date(2025, 5, 1), 50),
            (big, date(2026, 1, 10), 200),
            (big, date(2026, 3, 10), 100),  # 2026-Q1: 300 over two months
            (shop, date(2026, 2, 10), 100),
        ]
        for n, (client, day, amount) in enumerate(facts):
            sales_facts.save_shipment(
                s, admin, shipped_on=day, client_id=client, amount=amount, external_id=f"s{n}"
            )
        sales_facts.save_shipment(
            s, admin, shipped_on=date(2026, 1, 1), client_id=big, amount=999, currency="USD"
        )
        return t


def test_turnover_growth_and_share_per_group_and_year(db, team):
    with db.read() as s:
        r = sales_dynamics(s, team.admin, Params((date(2025, 1, 1), date(2026, 12, 31))))
    t = r.table("by_group")
    assert r.currency == "RUB" and any("USD" in n for n in r.notes)
    rows = {row[0]: row[1:] for row in t.rows}
    # 2025: turnover, growth vs 2024, share; 2026: the same
    assert rows["Wholesale"] == (D("200.00"), 100.0, 80.0, D("300.00"), 50.0, 75.0)
    assert rows["Retail"] == (D("50.00"), -50.0, 20.0, D("100.00"), 100.0, 25.0)
    assert t.total == ("Total", D("250.00"), 25.0, 100.0, D("400.00"), 60.0, 100.0)
    assert [c.heading() for c in t.columns[1:4]] == [
        "2025 turnover",
        "2025 growth %",
        "2025 share %",
    ]
    assert r.table("totals").rows == (("2025", D("250.00"), 25.0), ("2026", D("400.00"), 60.0))


def test_by_quarter_and_a_reps_own_clients(db, team):
    with db.read() as s:
        r = sales_dynamics(
            s,
            team.rep,
            Params((date(2026, 1, 1), date(2026, 6, 30)), options=(("by", "quarter"),)),
        )
        assert [row[0] for row in r.table("by_group").rows] == ["Wholesale"]
        assert r.table("totals").rows == (
            ("2026-Q1", D("300.00"), None),  # nothing in 2025-Q4
            ("2026-Q2", D("0.00"), -100.0),
        )
        usd = sales_dynamics(
            s, team.admin, Params((date(2026, 1, 1), date(2026, 12, 31)), currency="usd")
        )
        assert usd.table("totals").rows == (("2026", D("999.00"), None),)
        south = sales_dynamics(
            s,
            team.director,
            Params(
                (date(2026, 1, 1), date(2026, 12, 31)),
                Scope("department", department_id=team.south),
            ),
        )
        assert [row[0] for row in south.table("by_group").rows] == ["Retail"]


@pytest.mark.parametrize(
    ("period", "unit"),
    [
        ((date(2026, 11, 1), date(2026, 11, 30)), "month"),
        ((date(2026, 1, 1), date(2026, 3, 31)), "quarter"),
        ((date(2026, 1, 1), date(2026, 6, 30)), "quarter"),
        ((date(2026, 1, 1), date(2026, 5, 31)), "month"),  # five months: not whole quarters
        ((date(2026, 1, 1), date(2026, 12, 31)), "year"),
        ((date(2025, 1, 1), date(2026, 12, 31)), "year"),
        ((date(2026, 1, 5), date(2026, 12, 31)), "month"),  # some days: the smallest unit
    ],
)
def test_the_default_unit_is_the_largest_the_period_is_made_of(period, unit):
    assert default_unit(period) == unit


def test_shifting_a_day_keeps_month_ends():
    assert shifted(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert shifted(date(2026, 3, 30), 1) == date(2026, 2, 28)
    assert shifted(date(2026, 3, 10), 3) == date(2025, 12, 10)
    assert shifted(date(2024, 2, 29), 12) == date(2023, 2, 28)
    assert shifted(date(2025, 2, 28), 12) == date(2024, 2, 29)


def test_a_month_period_is_by_month_by_default(db, team):
    with db.read() as s:
        r = sales_dynamics(s, team.admin, Params((date(2026, 2, 1), date(2026, 2, 28))))
    # February 2026: Shop 100, against January 2026: Retail nothing (Big's 200 is Wholesale)
    assert r.table("totals").rows == (("2026-02", D("100.00"), -50.0),)
    assert [c.heading() for c in r.table("by_group").columns[1:2]] == ["2026-02 turnover"]


def test_a_clipped_year_against_the_same_days_of_the_year_before(db, team):
    with db.read() as s:
        r = sales_dynamics(
            s,
            team.admin,
            Params((date(2026, 1, 1), date(2026, 3, 31)), options=(("by", "year"),)),
        )
    t = r.table("by_group")
    # 2026-01-01..03-31: Wholesale 200 + 100 = 300, Retail 100, total 400; against
    # 2025-01-01..03-31: Wholesale 150 (03-01), Retail nothing: growth 100 %, none,
    # total (400 - 150) / 150 = 166.67 % (not against the whole 2025, 250)
    assert [c.heading() for c in t.columns[1:4]] == [
        "2026 (01-01 to 03-31) turnover",
        "2026 (01-01 to 03-31) growth %",
        "2026 (01-01 to 03-31) share %",
    ]
    rows = {row[0]: row[1:] for row in t.rows}
    assert rows["Wholesale"] == (D("300.00"), 100.0, 75.0)
    assert rows["Retail"] == (D("100.00"), None, 25.0)
    assert t.total == ("Total", D("400.00"), 166.67, 100.0)
    assert r.table("totals").rows == (("2026 (01-01 to 03-31)", D("400.00"), 166.67),)


def test_months_clipped_at_both_ends(db, team):
    with db.read() as s:
        r = sales_dynamics(s, team.admin, Params((date(2026, 1, 11), date(2026, 3, 10))))
    # by month (the period is not whole months): January from the 11th: Big's 200 of
    # 01-10 is out, 0 against 2025-12-11..31 (nothing); February: Shop 100 against the
    # whole January (Big 200): -50 %; March to the 10th: Big 100 (03-10) against
    # 02-01..02-10: Shop 100 (02-10): 0 %
    assert r.table("totals").rows == (
        ("2026-01 (01-11 to 01-31)", D("0.00"), None),
        ("2026-02", D("100.00"), -50.0),
        ("2026-03 (03-01 to 03-10)", D("100.00"), 0.0),
    )
    rows = {row[0]: row[1:] for row in r.table("by_group").rows}
    # Wholesale: January 0 (no growth: nothing before), February 0 against 200: -100 %,
    # March 100 against nothing; Retail: February 100 against nothing, March 0 against 100
    assert rows["Wholesale"] == (
        D("0.00"), None, None, D("0.00"), -100.0, 0.0, D("100.00"), None, 100.0
    )  # fmt: skip
    assert rows["Retail"] == (
        D("0.00"), None, None, D("100.00"), None, 100.0, D("0.00"), -100.0, 0.0
    )  # fmt: skip


def test_a_month_by_year_against_that_month_a_year_before(db, team):
    with db.read() as s:
        r = sales_dynamics(
            s, team.admin, Params((date(2026, 3, 1), date(2026, 3, 31)), options=(("by", "year"),))
        )
    # March 2026 only (not 2026 from January): Big 100 against March 2025: Big 150
    assert r.table("totals").rows == (("2026 (03-01 to 03-31)", D("100.00"), -33.33),)
    assert [row[0] for row in r.table("by_group").rows] == ["Wholesale"]
