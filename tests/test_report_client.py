"""The client report on a hand-built client with known answers, on SQLite and
PostgreSQL: profile, branches, contacts, interactions per month and kind, deals,
shipments and payments with the receivable, the required option, the access rule."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from termcrm.reports.client_report import client_report
from termcrm.reports.model import Params
from termcrm.reports.registry import run
from termcrm.services import clients, contacts, deals, journal, sales_facts
from termcrm.services.errors import Forbidden, Invalid, NotFound
from test_funnel import Team, make_team

D = Decimal
Q1 = (date(2026, 1, 1), date(2026, 3, 31))


@pytest.fixture
def team(db, admin) -> tuple[Team, int]:
    with db.write() as s:
        t = make_team(s, admin)
        big = clients.create_client(
            s,
            admin,
            {
                "name": "Big",
                "legal_name": "Big LLC",
                "group": "Wholesale",
                "status": "active",
                "owner_id": t.rep.id,
                "phones": ["+7 495 111-22-33"],
                "emails": ["info@big.example"],
                "addresses": [{"kind": "legal", "city": "Moscow", "line": "Tverskaya 1"}],
            },
        ).id
        clients.create_client(
            s, admin, {"name": "Big North", "parent_id": big, "owner_id": t.rep.id}
        )
        clients.create_client(
            s, admin, {"name": "Big South", "parent_id": big, "owner_id": t.sue.id}
        )
        contacts.create_contact(
            s, admin, big, {"full_name": "Ann Lee", "position": "CEO", "birthday": "1980-05-17"}
        )
        for kind, day in [
            ("call", datetime(2026, 1, 5, 10, tzinfo=UTC)),
            ("call", datetime(2026, 1, 20, 10, tzinfo=UTC)),
            ("email", datetime(2026, 1, 31, 23, tzinfo=UTC)),
            ("meeting", datetime(2026, 3, 2, 9, tzinfo=UTC)),
            ("call", datetime(2025, 12, 30, 9, tzinfo=UTC)),  # before the period
        ]:
            journal.log_interaction(
                s, admin, kind=kind, client_id=big, occurred_at=day, user_id=t.rep.id
            )
        deals.add_deal(
            s,
            admin,
            title="Paper for 2026",
            client_id=big,
            amount=5000,
            currency="RUB",
            owner_id=t.rep.id,
            expected_close=date(2026, 6, 30),
        )
        for n, (day, amount, currency) in enumerate(
            [
                (date(2025, 11, 10), 1000, "RUB"),
                (date(2026, 1, 10), 500, "RUB"),
                (date(2026, 3, 1), 200, "RUB"),
                (date(2026, 2, 1), 50, "USD"),
            ]
        ):
            sales_facts.save_shipment(
                s,
                admin,
                shipped_on=day,
                client_id=big,
                amount=amount,
                currency=currency,
                external_id=f"s{n}",
            )
        for n, (day, amount) in enumerate(
            [(date(2025, 12, 1), 600), (date(2026, 2, 15), 700), (date(2026, 4, 10), 100)]
        ):
            sales_facts.save_payment(
                s, admin, paid_on=day, client_id=big, amount=amount, external_id=f"p{n}"
            )
        return t, big


def params(client_id: object) -> Params:
    return Params(Q1, today=date(2026, 5, 1), options=(("client_id", client_id),))


def test_the_whole_client_on_its_tables(db, team):
    t, big = team
    with db.read() as s:
        r = client_report(s, t.director, params(big))
    assert r.scope == "client Big" and r.currency == "RUB"
    profile = dict(r.table("profile").rows)
    assert profile["Name"] == "Big" and profile["Legal name"] == "Big LLC"
    assert (profile["Group"], profile["Status"], profile["Owner"]) == ("Wholesale", "active", "Rep")
    assert profile["Department"] == "North"
    assert profile["Phones"] == "+7 495 111-22-33" and profile["Emails"] == "info@big.example"
    assert profile["Address"] == "Moscow, Tverskaya 1"
    assert r.table("branches").values("client") == ["Big North", "Big South"]
    assert r.table("contacts").rows == (("Ann Lee", "CEO", "", "", date(1980, 5, 17)),)
    # calls, meetings, emails, letters, visits, messages, total
    inter = r.table("interactions")
    assert inter.rows == (
        (date(2026, 1, 1), 2, 0, 1, 0, 0, 0, 3),
        (date(2026, 2, 1), 0, 0, 0, 0, 0, 0, 0),
        (date(2026, 3, 1), 0, 1, 0, 0, 0, 0, 1),
    )
    assert inter.total == ("Total", 2, 1, 1, 0, 0, 0, 4)
    (deal,) = r.table("deals").as_dicts()
    assert (deal["title"], deal["amount"], deal["currency"]) == ("Paper for 2026", D(5000), "RUB")
    assert (deal["expected_close"], deal["status"]) == (date(2026, 6, 30), "open")
    # before the period: 1000 shipped, 600 paid: 400 owed
    assert r.table("sales").rows == (
        (date(2026, 1, 1), D("500.00"), D("0.00"), D("900.00")),
        (date(2026, 2, 1), D("0.00"), D("700.00"), D("200.00")),
        (date(2026, 3, 1), D("200.00"), D("0.00"), D("400.00")),
    )
    assert r.table("sales").total == ("Total", D(700), D(700), D(400))
    # now (1 May): 1700 shipped, 1400 paid
    assert any("Receivable at 5/1/2026: RUB\u00a0300.00" in n and "400.00" in n for n in r.notes)
    assert any("USD" in n for n in r.notes)


def test_the_client_is_required_and_its_access_rule_holds(db, team):
    t, big = team
    with db.read() as s:
        with pytest.raises(Invalid, match="client_id"):
            client_report(s, t.director, Params(Q1))
        with pytest.raises(Invalid, match="not a client number"):
            client_report(s, t.director, params("Big"))
        with pytest.raises(NotFound):
            client_report(s, t.director, params(99999))
        with pytest.raises(Forbidden, match="belongs to Rep"):
            client_report(s, t.sue, params(big))
        # the rep sees their client, and of its branches only their own
        mine = client_report(s, t.rep, params(str(big)))
        assert run(s, t.rep, "client", params(big)) == mine
        assert mine.table("branches").values("client") == ["Big North"]
        # the manager of North sees it too
        assert client_report(s, t.manager, params(big)).table("sales").total[3] == D(400)


def test_a_client_without_facts(db, team):
    t, _big = team
    with db.read() as s:
        r = client_report(s, t.director, params(t.client["sue"]))
    assert r.currency is None and [x.key for x in r.tables][-1] == "deals"
    assert r.notes == ("The client has no shipments or payments.",)
    assert r.table("interactions").total == ("Total", 0, 0, 0, 0, 0, 0, 0)


def test_today_inside_the_period_and_a_chosen_currency(db, team):
    t, big = team
    with db.read() as s:
        mid = client_report(
            s, t.director, Params(Q1, today=date(2026, 2, 20), options=(("client_id", big),))
        )
        usd = client_report(
            s,
            t.director,
            Params(Q1, today=date(2026, 5, 1), currency="usd", options=(("client_id", big),)),
        )
    # the period's months hold March's shipment; today's receivable does not
    assert mid.table("sales").total == ("Total", D(700), D(700), D(400))
    assert any("Receivable at 2/20/2026: RUB\u00a0200.00" in n for n in mid.notes)
    assert usd.currency == "USD"
    assert [r[1] for r in usd.table("sales").rows] == [D(0), D(50), D(0)]
    assert any("there are also facts in RUB" in n for n in usd.notes)


def test_the_last_month_stops_at_the_periods_end(db, team):
    """A period that ends mid-month: a payment after its end is not the month's, though
    today's receivable has it."""
    t, big = team
    period = (date(2026, 1, 1), date(2026, 2, 10))
    with db.read() as s:
        r = client_report(
            s, t.director, Params(period, today=date(2026, 5, 1), options=(("client_id", big),))
        )
    # before: 400 owed; January ships 500; the 700 paid on 15 February is after the end
    assert r.table("sales").rows == (
        (date(2026, 1, 1), D("500.00"), D("0.00"), D("900.00")),
        (date(2026, 2, 1), D("0.00"), D("0.00"), D("900.00")),
    )
    assert any("Receivable at 5/1/2026: RUB\u00a0300.00" in n for n in r.notes)
