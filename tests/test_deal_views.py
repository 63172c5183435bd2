"""The deal list (filters, sorts, search, keyset pages), editing a deal, and the deal board,
on SQLite and PostgreSQL, with the access rule of each view."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from termcrm.services import deal_board, deal_items, deals, products
from termcrm.services.deals import DealFilter
from termcrm.services.errors import Conflict, Forbidden, Invalid
from termcrm.store.tables import Deal, table
from test_funnel import Team, make_team

deal_t = table(Deal)
NOW = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
def team(db, admin) -> Team:
    with db.write() as s:
        t = make_team(s, admin)
        rows = [  # title, client, owner, amount, stage, days in stage, expected close
            ("Трубы ПНД", "rep", t.rep, 500, "Lead", 3, date(2026, 4, 1)),
            ("Pumps", "rep", t.rep, 9000, "Proposal", 40, None),
            ("Valves 50%_off", "rep", t.rep, 1200, "Lead", 10, date(2026, 3, 15)),
            ("Kid deal", "kid", t.kid, 700, "Negotiation", 1, date(2026, 5, 1)),
            ("South deal", "sue", t.sue, 3000, "Lead", 25, date(2026, 3, 20)),
            ("Won one", "rep", t.rep, 100, "Won", 2, None),
        ]
        for title, client, owner, amount, stage, days, close in rows:
            d = deals.add_deal(
                s,
                admin,
                title=title,
                client_id=t.client[client],
                amount=amount,
                stage=stage,
                owner_id=owner.id,
                expected_close=close,
            )
            s.execute(
                sa.update(deal_t)
                .where(deal_t.c.id == d.id)
                .values(stage_changed_at=NOW - timedelta(days=days), created_at=NOW)
            )
    return t


def titles(s, actor, **kw) -> list[str]:
    return [d.title for d in deals.list_deals(s, actor, DealFilter(**kw)).items]


def test_sorts_and_reverse(db, team):
    with db.read() as s:
        a = team.admin
        assert titles(s, a, sort="amount", state="open") == [
            "Pumps",
            "South deal",
            "Valves 50%_off",
            "Kid deal",
            "Трубы ПНД",
        ]
        assert titles(s, a, sort="close", state="open")[:3] == [
            "Valves 50%_off",
            "South deal",
            "Трубы ПНД",
        ]
        assert titles(s, a, sort="close", state="open")[-1] == "Pumps"  # no date: last
        assert titles(s, a, sort="stage_age", state="open")[0] == "Pumps"
        assert titles(s, a, sort="amount", reverse=True)[0] == "Won one"


def test_keyset_pages_follow_the_sort(db, team):
    with db.read() as s:
        seen, after = [], None
        while True:
            page = deals.list_deals(s, team.admin, DealFilter(sort="close"), after=after, limit=2)
            seen += [d.title for d in page.items]
            after = page.next_cursor
            if after is None:
                break
        assert seen == titles(s, team.admin, sort="close")
        assert len(seen) == 6
        with pytest.raises(Invalid):  # a cursor of another sort is refused
            first = deals.list_deals(s, team.admin, DealFilter(sort="amount"), limit=2)
            deals.list_deals(s, team.admin, DealFilter(sort="close"), after=first.next_cursor)


def test_search_folds_case_in_every_script_and_takes_wildcards_literally(db, team):
    with db.read() as s:
        assert titles(s, team.admin, text="трубы") == ["Трубы ПНД"]
        assert titles(s, team.admin, text="PUMPS") == ["Pumps"]
        assert titles(s, team.admin, text="50%_") == ["Valves 50%_off"]
        assert titles(s, team.admin, text="%") == ["Valves 50%_off"]
        # the client's name matches too
        assert set(titles(s, team.admin, text="client of kid")) == {"Kid deal"}


def test_filters_owner_department_state_period(db, team):
    with db.read() as s:
        a = team.admin
        assert set(titles(s, a, department_id=team.north)) == {
            "Трубы ПНД",
            "Pumps",
            "Valves 50%_off",
            "Kid deal",
            "Won one",
        }
        assert titles(s, a, owner_id=team.sue.id) == ["South deal"]
        assert titles(s, a, state="won") == ["Won one"]
        assert len(titles(s, a, state="closed")) == 1
        march = (date(2026, 3, 1), date(2026, 3, 31))
        assert set(titles(s, a, period=march, period_of="close")) == {
            "Valves 50%_off",
            "South deal",
        }
        assert len(titles(s, a, period=march)) == 6  # all created on 1 March
        assert deals.count_deals(s, a, DealFilter(state="open")) == 5
        with pytest.raises(Invalid):
            titles(s, a, period=(date(2026, 4, 1), date(2026, 3, 1)))


def test_access_rule_on_the_list_and_the_board(db, team):
    with db.write() as s:
        assert set(titles(s, team.rep)) == {"Трубы ПНД", "Pumps", "Valves 50%_off", "Won one"}
        # the North manager sees North and Retail below it, a department filter beside
        # their own access rule in one statement
        assert set(titles(s, team.manager, department_id=team.north)) == {
            "Трубы ПНД",
            "Pumps",
            "Valves 50%_off",
            "Kid deal",
            "Won one",
        }
        assert titles(s, team.manager, department_id=team.south) == []
        b = deal_board.board(s, team.rep, now=NOW)
        assert sum(c.count for c in b.columns) == 3


def test_board_columns_counts_amounts_and_days(db, team):
    with db.write() as s:
        b = deal_board.board(s, team.admin, DealFilter(sort="stage_age"), now=NOW)
        assert [c.stage.name for c in b.columns] == [
            "Lead",
            "Qualification",
            "Proposal",
            "Negotiation",
        ]
        assert [st.outcome for st in b.closing] == ["won", "lost"]
        lead = b.columns[0]
        assert lead.count == 3
        assert lead.amounts == (("RUB", Decimal("4700.00")),)
        assert [c.title for c in lead.cards] == ["South deal", "Valves 50%_off", "Трубы ПНД"]
        assert [c.days_in_stage for c in lead.cards] == [25, 10, 3]
        capped = deal_board.board(s, team.admin, DealFilter(), per_column=1, now=NOW)
        assert capped.columns[0].count == 3 and len(capped.columns[0].cards) == 1
        north = deal_board.board(s, team.admin, DealFilter(owner_id=team.kid.id), now=NOW)
        assert [c.count for c in north.columns] == [0, 0, 0, 1]


def test_update_deal_changes_fields_and_refuses_with_reasons(db, team, admin):
    with db.write() as s:
        d = deals.list_deals(s, admin, DealFilter(text="pumps")).items[0]
        after = deals.update_deal(
            s,
            admin,
            d.id,
            version=d.version,
            changes={"title": " Pumps x2 ", "amount": "9 500,50", "competitor": "Grundfos"},
        )
        assert (after.title, after.amount, after.competitor) == (
            "Pumps x2",
            Decimal("9500.50"),
            "Grundfos",
        )
        with pytest.raises(Conflict):  # the old version
            deals.update_deal(s, admin, d.id, version=d.version, changes={"title": "x"})
        with pytest.raises(Invalid) as err:
            deals.update_deal(
                s, admin, d.id, version=after.version, changes={"title": "", "lost_reason": "x"}
            )
        assert set(err.value.errors) == {"title", "lost_reason"}
        with pytest.raises(Invalid):
            deals.update_deal(s, admin, d.id, version=after.version, changes={"stage": "Won"})
        # the amount follows the lines: typing one is refused; the currency is held too
        products.add_product(s, admin, {"sku": "P-1", "name": "Pump", "unit": "pcs"})
        lines = deal_items.add_item(
            s, admin, d.id, version=after.version, product="P-1", quantity="2", price="10"
        )
        current = deal_items.follow_items(s, admin, d.id, version=lines.deal.version, on=True).deal
        with pytest.raises(Invalid) as err:
            deals.update_deal(
                s,
                admin,
                d.id,
                version=current.version,
                changes={"amount": "1", "currency": "USD"},
            )
        assert set(err.value.errors) == {"amount", "currency"}


def test_a_rep_cannot_hand_a_deal_to_someone_out_of_reach(db, team):
    with db.write() as s:
        d = deals.list_deals(s, team.rep, DealFilter(text="pumps")).items[0]
        with pytest.raises((Forbidden, Invalid)):
            deals.update_deal(
                s, team.rep, d.id, version=d.version, changes={"owner_id": team.sue.id}
            )


def test_reopening_a_lost_deal_drops_its_reason(db, team, admin):
    with db.write() as s:
        d = deals.list_deals(s, admin, DealFilter(text="pumps")).items[0]
        lost = deals.move_deal(s, admin, d.id, version=d.version, stage="Lost", lost_reason="dear")
        assert lost.lost_reason == "dear"
        back = deals.move_deal(s, admin, d.id, version=lost.version, stage="Lead")
        assert back.lost_reason == ""
        assert deals.update_deal(s, admin, d.id, version=back.version, changes={}) == back


def test_lines_too_large_to_total_are_refused_and_nothing_is_written(db, team, admin):
    with db.write() as s:
        d = deals.list_deals(s, admin, DealFilter(text="pumps")).items[0]
    with pytest.raises(Invalid) as err, db.write() as s:
        deal_items.add_item(
            s,
            admin,
            d.id,
            version=d.version,
            name="Big",
            quantity="999999999",
            price="999999999999",
        )
    assert "does not fit" in err.value.errors["amount"]
    with db.read() as s:
        assert deal_items.items_of(s, admin, d.id).items == []
