"""The client base dynamics report on a hand-built history of shipments with known
answers, on SQLite and PostgreSQL: new, active, lapsed, lost and the base per month,
the churn list at the period's end, the options, the access rule."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from termcrm.reports.client_base import client_base
from termcrm.reports.model import Params
from termcrm.reports.registry import run
from termcrm.services import sales_facts
from termcrm.services.errors import Invalid
from test_funnel import Team, make_team

D = Decimal
JAN_APR = (date(2026, 1, 1), date(2026, 4, 30))


@pytest.fixture
def team(db, admin) -> Team:
    with db.write() as s:
        t = make_team(s, admin)
        facts = [  # client, day, amount, currency
            ("rep", date(2025, 6, 10), 300, "RUB"),
            ("rep", date(2025, 12, 1), 10, "USD"),  # counts as a purchase, not in RUB sums
            ("rep", date(2026, 1, 15), 100, "RUB"),  # then nothing: lapsed in April
            ("kid", date(2026, 1, 20), 500, "RUB"),  # the first ever: new in January
            ("kid", date(2026, 3, 5), 50, "RUB"),
            ("sue", date(2025, 1, 10), 100, "RUB"),
            ("sue", date(2025, 4, 15), 200, "RUB"),  # lapsed until April, then lost
            ("mgr", date(2023, 11, 1), 1000, "RUB"),  # out of the 12 months before the last
            ("mgr", date(2024, 12, 1), 70, "RUB"),  # lost all along
            ("boss", date(2026, 2, 1), -50, "RUB"),  # a return alone: never a buyer
        ]
        for n, (who, day, amount, currency) in enumerate(facts):
            sales_facts.save_shipment(
                s,
                admin,
                shipped_on=day,
                client_id=t.client[who],
                amount=amount,
                currency=currency,
                external_id=f"s{n}",
            )
        return t


def test_new_active_lapsed_lost_per_month_and_the_churn_list(db, team):
    with db.read() as s:
        r = client_base(s, team.director, Params(JAN_APR, today=date(2026, 11, 1)))
    # at each month's end: lapsed = last shipment before end - 90 days and on or after
    # end - 365 days; lost = before end - 365 days
    # Jan 31 (2025-11-02, 2025-01-31): rep, kid active (kid new); sue lapsed; mgr lost
    # Feb 28 (2025-11-30, 2025-02-28): nobody shipped; sue lapsed; mgr lost
    # Mar 31 (2025-12-31, 2025-03-31): kid active; sue lapsed; mgr lost
    # Apr 30 (2026-01-30, 2025-04-30): rep lapsed (Jan 15); sue (2025-04-15), mgr lost
    assert r.table("by_unit").rows == (
        ("2026-01", 1, 2, 1, 1, 4),
        ("2026-02", 0, 0, 1, 1, 4),
        ("2026-03", 0, 1, 1, 1, 4),
        ("2026-04", 0, 0, 1, 2, 4),
    )
    # lapsed first, then by the turnover of the 12 months up to the last shipment:
    # rep 2025-02..2026-01: 300 + 100 (the USD 10 apart); sue 2024-05..2025-04: 300;
    # mgr 2024-01..2024-12: 70
    assert r.table("churn").rows == (
        ("Client of rep", "Rep", date(2026, 1, 15), 105, D("400.00"), "lapsed"),
        ("Client of sue", "Sue", date(2025, 4, 15), 380, D("300.00"), "lost"),
        ("Client of mgr", "Mgr", date(2024, 12, 1), 515, D("70.00"), "lost"),
    )
    assert r.currency == "RUB"
    assert r.charts[0].series == ("new", "active", "lapsed", "lost")


def test_by_quarter_today_options_and_a_short_list(db, team):
    with db.read() as s:
        r = client_base(
            s,
            team.director,
            Params(
                JAN_APR,
                today=date(2026, 3, 31),
                options=(("by", "quarter"), ("lapsed_days", "30"), ("limit", 1)),
            ),
        )
        # Q1 counted at today, Mar 31 (2026-03-01, 2025-03-31): rep, kid active, kid
        # new; rep (Jan 15) lapsed; sue lapsed; mgr lost. Q2 counted at its first day,
        # Apr 1 (2026-03-02, 2025-04-01): the same but kid (Mar 5) is current
        assert r.table("by_unit").rows == (
            ("2026-Q1", 1, 2, 2, 1, 4),
            ("2026-Q2", 0, 0, 2, 1, 4),
        )
        assert r.table("churn").values("client") == ["Client of rep"]
        assert any("1 of 3" in n for n in r.notes)
        with pytest.raises(Invalid, match="lost_days"):
            client_base(s, team.director, Params(JAN_APR, options=(("lost_days", 60),)))
        with pytest.raises(Invalid, match="by"):
            client_base(s, team.director, Params(JAN_APR, options=(("by", "week"),)))


def test_each_role_sees_its_own_clients(db, team):
    with db.read() as s:
        rep = client_base(s, team.rep, Params(JAN_APR, today=date(2026, 11, 1)))
        assert run(s, team.rep, "client-base", Params(JAN_APR, today=date(2026, 11, 1))) == rep
        mgr = client_base(s, team.manager, Params(JAN_APR, today=date(2026, 11, 1)))
    assert rep.table("by_unit").rows[0] == ("2026-01", 0, 1, 0, 0, 1)
    assert rep.table("churn").values("client") == ["Client of rep"]
    # North and North / Retail: rep, kid, mgr
    assert mgr.table("by_unit").rows == (
        ("2026-01", 1, 2, 0, 1, 3),
        ("2026-02", 0, 0, 0, 1, 3),
        ("2026-03", 0, 1, 0, 1, 3),
        ("2026-04", 0, 0, 1, 1, 3),
    )
    assert mgr.table("churn").values("client") == ["Client of rep", "Client of mgr"]
