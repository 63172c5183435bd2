"""The sales dynamics report on a hand-built set of shipments with known answers, on
SQLite and PostgreSQL: turnover per group and year, growth, shares, the access rule."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from termcrm.reports.model import Params, Scope
from termcrm.reports.sales_dynamics import sales_dynamics
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
