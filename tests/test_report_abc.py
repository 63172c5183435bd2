"""The ABC / XYZ report on a hand-built set of shipments with known answers, on SQLite
and PostgreSQL: ranks, shares, cumulative shares, classes, the variation of the monthly
turnover, false leaders, products and product groups, the options, the access rule."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from termcrm.reports.abc import abc_analysis
from termcrm.reports.model import Params
from termcrm.reports.registry import run
from termcrm.services import products, sales_facts
from termcrm.services.errors import Invalid
from test_funnel import Team, make_team

D = Decimal
Q1 = (date(2026, 1, 1), date(2026, 3, 31))  # three months


@pytest.fixture
def team(db, admin) -> Team:
    with db.write() as s:
        t = make_team(s, admin)
        c = t.client
        paper = products.add_product(
            s, admin, {"name": "Paper", "sku": "P-1", "category": "Office"}
        )
        ink = products.add_product(s, admin, {"name": "Ink", "sku": "P-2", "category": "Office"})
        facts = [  # client, day, amount, product, product group (without a product)
            # kid: one big January sale, 500: monthly 500, 0, 0 -> variation 141.42 %
            ("kid", date(2026, 1, 15), 500, paper.id, ""),
            # rep: 100 every month, 300: variation 0 %
            ("rep", date(2026, 1, 5), 100, ink.id, ""),
            ("rep", date(2026, 2, 5), 100, ink.id, ""),
            ("rep", date(2026, 3, 5), 100, ink.id, ""),
            ("rep", date(2025, 12, 31), 7000, ink.id, ""),  # before the period
            # sue: 40, 60, 50 = 150: mean 50, deviation sqrt(66.67) = 8.165 -> 16.33 %
            ("sue", date(2026, 1, 9), 40, None, "Misc"),
            ("sue", date(2026, 2, 9), 60, None, "Misc"),
            ("sue", date(2026, 3, 9), 50, None, "Misc"),
            # mgr: 50 in March: 0, 0, 50 -> 141.42 %
            ("mgr", date(2026, 3, 20), 50, paper.id, ""),
            # boss: 30 and a return of 10 = 20: 0, 30, -10 -> 254.95 %
            ("boss", date(2026, 2, 1), 30, None, ""),
            ("boss", date(2026, 3, 1), -10, None, ""),
        ]
        for n, (who, day, amount, product, group) in enumerate(facts):
            sales_facts.save_shipment(
                s,
                admin,
                shipped_on=day,
                client_id=c[who],
                amount=amount,
                product_id=product,
                product_group=group,
                external_id=f"s{n}",
            )
        sales_facts.save_shipment(
            s, admin, shipped_on=date(2026, 1, 2), client_id=c["rep"], amount=999, currency="USD"
        )
        return t


def test_clients_ranked_with_shares_classes_and_variation(db, team):
    with db.read() as s:
        r = abc_analysis(s, team.director, Params(Q1))
    assert r.currency == "RUB" and any("USD" in n for n in r.notes)
    t = r.table("clients")
    # total 1020: 500 (49.02 %), 300 (29.41), 150 (14.71), 50 (4.90), 20 (1.96);
    # cumulative before: 0, 49.02, 78.43 (< 80: still A), 93.14 (< 95: B), 98.04 (C)
    assert t.as_dicts()[0] == {
        "rank": 1,
        "client": "Client of kid",
        "owner": "Kid",
        "turnover": D("500.00"),
        "share": 49.02,
        "cumulative": 49.02,
        "abc": "A",
        "cv": 141.42,
        "xyz": "Z",
        "shipments": 1,
        "largest": D("500.00"),
        "largest_share": 100.0,
        "false_leader": "yes",  # all of an A client's turnover in one shipment
    }
    assert [row[1:3] for row in t.rows] == [
        ("Client of kid", "Kid"),
        ("Client of rep", "Rep"),
        ("Client of sue", "Sue"),
        ("Client of mgr", "Mgr"),
        ("Client of boss", "Boss"),
    ]
    assert t.values("turnover") == [D(500), D(300), D(150), D(50), D(20)]
    assert t.values("share") == [49.02, 29.41, 14.71, 4.9, 1.96]
    assert t.values("cumulative") == [49.02, 78.43, 93.14, 98.04, 100.0]
    assert t.values("abc") == ["A", "A", "A", "B", "C"]
    assert t.values("cv") == [141.42, 0.0, 16.33, 141.42, 254.95]
    assert t.values("xyz") == ["Z", "X", "Y", "Z", "Z"]
    assert t.values("shipments") == [1, 3, 3, 1, 2]
    assert t.values("largest") == [D(500), D(100), D(60), D(50), D(30)]
    assert t.values("largest_share") == [100.0, 33.33, 40.0, 100.0, 150.0]
    # mgr's one shipment is all its turnover, but it is a B client: no flag
    assert t.values("false_leader") == ["yes", "", "", "", ""]
    assert t.total is not None
    total = dict(zip([c.key for c in t.columns], t.total, strict=True))
    assert (total["client"], total["turnover"], total["shipments"]) == ("Total", D(1020), 10)
    classes = {row[0]: row[1:] for row in r.table("classes").rows}
    assert classes["A"][:3] == (3, D("950.00"), 93.14)
    assert classes["B"][:3] == (1, D("50.00"), 4.9)
    assert classes["C"][:3] == (1, D("20.00"), 1.96)
    assert r.table("top_clients").rows[0] == (1, "Client of kid", D("500.00"))
    assert any("1 A row has one shipment over 50 %" in n for n in r.notes)


def test_products_and_groups_without_a_product(db, team):
    with db.read() as s:
        r = abc_analysis(s, team.admin, Params(Q1, options=(("subject", "products"),)))
    assert [t.key for t in r.tables] == ["products", "classes", "top_products"]
    t = r.table("products")
    # Paper 550 (500 in January, 50 in March), Ink 300, Misc (no product) 150, no group 20;
    # total 1020, cumulative before: 0, 53.92, 83.33 (B), 98.04 (C)
    assert [row[1:4] for row in t.rows] == [
        ("Paper", "P-1", "Office"),
        ("Ink", "P-2", "Office"),
        ("(no product: Misc)", "", "Misc"),
        ("(no product: no group)", "", ""),
    ]
    assert t.values("turnover") == [D(550), D(300), D(150), D(20)]
    assert t.values("cumulative") == [53.92, 83.33, 98.04, 100.0]
    assert t.values("abc") == ["A", "A", "B", "C"]
    # Paper: 500, 0, 50: mean 183.33, deviation 224.85 -> 122.64 %
    assert t.values("cv") == [122.64, 0.0, 16.33, 254.95]
    # Paper's 500 is 90.91 % of 550: a false leader
    assert t.values("largest_share")[0] == 90.91
    assert t.values("false_leader") == ["yes", "", "", ""]


def test_thresholds_are_options_and_checked(db, team):
    with db.read() as s:
        r = abc_analysis(
            s,
            team.director,
            Params(
                Q1,
                options=(("subject", "clients"), ("a", "50"), ("b", 40), ("x", 20), ("y", 150)),
            ),
        )
        t = r.table("clients")
        # before: 0 (A), 49.02 (A: < 50), 78.43 (B: < 90), 93.14 (C), 98.04 (C)
        assert t.values("abc") == ["A", "A", "B", "C", "C"]
        assert t.values("xyz") == ["Y", "X", "X", "Y", "Z"]
        with pytest.raises(Invalid, match="at most 100"):
            abc_analysis(s, team.director, Params(Q1, options=(("a", 90), ("b", 20))))
        with pytest.raises(Invalid, match="y must be at least x"):
            abc_analysis(s, team.director, Params(Q1, options=(("x", 30), ("y", 20))))
        with pytest.raises(Invalid, match="subject"):
            abc_analysis(s, team.director, Params(Q1, options=(("subject", "deals"),)))
        with pytest.raises(Invalid, match="not a number"):
            abc_analysis(s, team.director, Params(Q1, options=(("false_leader", "half"),)))


def test_each_role_sees_its_own_clients(db, team):
    with db.read() as s:
        rep = abc_analysis(s, team.rep, Params(Q1, options=(("subject", "clients"),)))
        # the registry runs the same function
        assert run(s, team.rep, "abc", Params(Q1, options=(("subject", "clients"),))) == rep
        mgr = abc_analysis(s, team.manager, Params(Q1))
        usd = abc_analysis(s, team.director, Params(Q1, currency="usd"))
    t = rep.table("clients")
    assert t.values("client") == ["Client of rep"]
    assert (t.values("share"), t.values("abc")) == ([100.0], ["A"])
    # North and North / Retail: kid 500, rep 300, mgr 50 of 850
    m = mgr.table("clients")
    assert m.values("client") == ["Client of kid", "Client of rep", "Client of mgr"]
    assert m.values("share") == [58.82, 35.29, 5.88]
    assert m.values("abc") == ["A", "A", "B"]
    assert mgr.table("products").values("product") == ["Paper", "Ink"]
    assert usd.table("clients").values("turnover") == [D("999.00")]
    assert usd.table("products").values("product") == ["(no product: no group)"]


def test_xyz_leaves_out_months_after_today_and_the_current_one(db, team):
    with db.write() as s:  # an April sale: in the turnover, not in the variation
        sales_facts.save_shipment(
            s, team.admin, shipped_on=date(2026, 4, 5), client_id=team.client["sue"],
            amount=1000, product_group="Misc", external_id="april",
        )  # fmt: skip
    h1 = (date(2026, 1, 1), date(2026, 6, 30))
    with db.read() as s:
        r = abc_analysis(
            s, team.director, Params(h1, today=date(2026, 4, 15), options=(("subject", "clients"),))
        )
    t = r.table("clients")
    rows = {d["client"]: d for d in t.as_dicts()}
    # measured over January to March only (April is the current month, May and June
    # are to come): the same variations as over Q1, whatever April brought
    assert rows["Client of sue"]["turnover"] == D("1150.00")
    assert {name: d["cv"] for name, d in rows.items()} == {
        "Client of sue": 16.33,
        "Client of kid": 141.42,
        "Client of rep": 0.0,
        "Client of mgr": 141.42,
        "Client of boss": 254.95,
    }
    assert rows["Client of sue"]["xyz"] == "Y"
    assert any("3 whole months 2026-01 to 2026-03" in n for n in r.notes)


def test_xyz_counts_the_current_month_once_the_period_ended(db, team):
    with db.read() as s:
        r = abc_analysis(
            s,
            team.director,
            Params(
                (date(2026, 1, 1), date(2026, 3, 10)),
                today=date(2026, 3, 15),
                options=(("subject", "clients"),),
            ),
        )
    t = r.table("clients")
    # to 03-10: mgr's 03-20 sale is out; kid 500, 0, 0; rep 100 x 3; sue 40, 60, 50;
    # boss 0, 30, -10
    assert t.values("client") == [
        "Client of kid",
        "Client of rep",
        "Client of sue",
        "Client of boss",
    ]
    assert t.values("cv") == [141.42, 0.0, 16.33, 254.95]
    assert t.values("xyz") == ["Z", "X", "Y", "Z"]


@pytest.mark.parametrize(
    ("period", "today"),
    [
        ((date(2026, 1, 1), date(2026, 1, 31)), date(2026, 5, 1)),  # one month
        (Q1, date(2026, 3, 1)),  # the current quarter: January and February only
        (Q1, date(2025, 12, 1)),  # all of it to come
    ],
)
def test_no_xyz_under_three_whole_months(db, team, period, today):
    with db.read() as s:
        r = abc_analysis(s, team.director, Params(period, today=today))
    for key in ("clients", "products"):
        t = r.table(key)
        assert t.rows  # the ABC is there
        assert set(t.values("cv")) == {None} and set(t.values("xyz")) == {""}
    assert any("No XYZ: it needs at least three whole months" in n for n in r.notes)
    assert not any(n.startswith("XYZ by") for n in r.notes)
