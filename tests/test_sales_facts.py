"""Shipments, payments and sales plans on SQLite and PostgreSQL: loading them again by
external id updates instead of duplicating, defaults, refusals with reasons, and who
may set and read a plan."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from termcrm.services import products, sales_facts, sales_plans
from termcrm.services.errors import Forbidden, Invalid
from test_funnel import Team, make_team


@pytest.fixture
def team(db, admin) -> Team:
    with db.write() as s:
        return make_team(s, admin)


def test_a_shipment_loaded_twice_is_one_row_and_a_change_updates_it(db, team):
    with db.write() as s:
        a = team.admin
        p = products.add_product(
            s, a, {"sku": "P-1", "name": "Paper A4", "unit": "box", "category": "Paper"}
        )
        first = sales_facts.save_shipment(
            s, a, shipped_on=date(2026, 3, 2), client_id=team.client["rep"], amount="1 200,50",
            product_id=p.id, quantity="3", document="РН-17", external_id="1C:RN-17:1",
        )  # fmt: skip
        again = sales_facts.save_shipment(
            s, a, shipped_on=date(2026, 3, 2), client_id=team.client["rep"], amount="1200.50",
            product_id=p.id, quantity=3, document="РН-17", external_id="1C:RN-17:1",
        )  # fmt: skip
        changed = sales_facts.save_shipment(
            s, a, shipped_on=date(2026, 3, 2), client_id=team.client["rep"], amount="1300",
            product_id=p.id, quantity=3, document="РН-17", external_id="1C:RN-17:1",
        )  # fmt: skip
        assert (first.action, again.action, changed.action) == ("create", "skip", "update")
        assert first.id == again.id == changed.id
        rows = sales_facts.list_shipments(s, a)
        assert len(rows) == 1
        row = rows[0]
        # the group comes from the product, the manager is the client's owner
        assert (row.product_group, row.manager_id, row.amount) == (
            "Paper",
            team.rep.id,
            Decimal("1300.00"),
        )


def test_facts_follow_the_client_access_rule_and_only_the_back_office_loads(db, team):
    with db.write() as s:
        a = team.admin
        for who in ("rep", "sue"):
            sales_facts.save_payment(
                s, a, paid_on=date(2026, 3, 5), client_id=team.client[who], amount=100,
                external_id=f"pay-{who}",
            )  # fmt: skip
        assert [p.client_id for p in sales_facts.list_payments(s, team.rep)] == [team.client["rep"]]
        assert len(sales_facts.list_payments(s, team.director)) == 2
        with pytest.raises(Forbidden):
            sales_facts.save_payment(
                s, team.rep, paid_on=date(2026, 3, 5), client_id=team.client["rep"], amount=1
            )


def test_bad_values_are_refused_with_reasons(db, team):
    with db.write() as s:
        with pytest.raises(Invalid) as err:
            sales_facts.save_shipment(
                s, team.admin, shipped_on=date(2026, 3, 2), client_id=team.client["rep"],
                amount="lots", currency="rubles", quantity="some", product_id=999,
            )  # fmt: skip
        assert set(err.value.errors) == {"amount", "currency", "quantity", "product"}


def test_plans_set_change_and_reach(db, team):
    with db.write() as s:
        made = sales_plans.set_plan(
            s, team.director, month=date(2026, 3, 17), amount="500000", user_id=team.rep.id
        )
        assert (made.month, made.amount, made.user) == (
            date(2026, 3, 1),
            Decimal("500000.00"),
            "Rep",
        )
        changed = sales_plans.set_plan(
            s, team.manager, month=date(2026, 3, 1), amount="600000", user_id=team.rep.id
        )
        assert (changed.id, changed.version, changed.amount) == (made.id, 2, Decimal("600000.00"))
        sales_plans.set_plan(
            s, team.director, month=date(2026, 3, 1), amount="2000000", department_id=team.north
        )
        sales_plans.set_plan(
            s, team.director, month=date(2026, 3, 1), amount="900000", department_id=team.south
        )
        sales_plans.set_plan(
            s, team.director, month=date(2026, 3, 1), amount="100", user_id=team.sue.id
        )
        with pytest.raises(Forbidden):  # another department's rep
            sales_plans.set_plan(
                s, team.manager, month=date(2026, 3, 1), amount="1", user_id=team.sue.id
            )
        with pytest.raises(Forbidden):
            sales_plans.set_plan(
                s, team.rep, month=date(2026, 3, 1), amount="1", user_id=team.rep.id
            )
        with pytest.raises(Invalid):
            sales_plans.set_plan(
                s, team.director, month=date(2026, 3, 1), amount="1",
                user_id=team.rep.id, department_id=team.north,
            )  # fmt: skip
        everything = sales_plans.plans(s, team.director)
        assert len(everything) == 4
        mine = sales_plans.plans(s, team.rep)
        assert [(p.user_id, p.amount) for p in mine] == [(team.rep.id, Decimal("600000.00"))]
        north = sales_plans.plans(s, team.manager)
        assert {(p.user_id, p.department_id) for p in north} == {
            (team.rep.id, None),
            (None, team.north),
        }
        march = sales_plans.plans(s, team.director, period=(date(2026, 3, 1), date(2026, 3, 31)))
        assert len(march) == 4
        assert (
            sales_plans.plans(s, team.director, period=(date(2026, 4, 1), date(2026, 4, 30))) == []
        )


def test_cli_plan_set_and_list(db, admin, db_url, monkeypatch, tmp_path):
    from termcrm.services import org
    from test_funnel import ME, invoke

    (tmp_path / "none.toml").write_text("", encoding="utf-8")
    monkeypatch.setenv("TERMCRM_CONFIG", str(tmp_path / "none.toml"))
    with db.write() as s:
        make_team(s, admin)
        org.add_user(s, admin, ME, role="director", department=None, full_name="Me Myself")
    out = invoke(db_url, "plan", "set", "2026-12", "500 000", "--user", "rep")
    assert "Plan for Rep, 2026-12: 500,000.00 RUB" in out
    invoke(db_url, "plan", "set", "2026-12", "2000000", "--department", "North")
    listed = invoke(db_url, "plan", "list", "--period", "2026-Q4")
    assert "Rep" in listed and "North" in listed and "2,000,000.00" in listed
    assert "not a month" in invoke(db_url, "plan", "set", "2026-13", "1", "--user", "rep", code=2)
    assert "--user or --department" in invoke(db_url, "plan", "set", "2026-12", "1", code=2)
    refused = invoke(db_url, "plan", "set", "2026-12", "lots", "--user", "rep", code=1)
    assert "is not an amount" in refused


def test_a_plans_history_shows_its_changes_to_those_who_may_read_it(db, team):
    from termcrm.services import history
    from termcrm.services.errors import NotFound

    with db.write() as s:
        made = sales_plans.set_plan(
            s, team.director, month=date(2026, 3, 1), amount="100", user_id=team.sue.id
        )
        sales_plans.set_plan(
            s, team.director, month=date(2026, 3, 1), amount="150", user_id=team.sue.id
        )
        entries = history.history(s, team.director, "sales-plan", made.id)
        assert [e.action for e in entries] == ["create", "update"]
        with pytest.raises(NotFound):  # another department's plan
            history.history(s, team.manager, "sales_plan", made.id)


def test_a_batch_saves_like_one_after_another(db, team):
    """``save_shipments``: refusals stay with their item, an external id twice in the
    batch is created then updated (or left), and the others are written together."""
    from termcrm.services import clients

    a = team.admin
    with db.write() as s:
        gone = clients.create_client(s, a, {"name": "Gone", "owner_id": team.sue.id}).id
        clients.delete_client(s, a, gone)
        sales_facts.save_shipment(
            s, a, shipped_on=date(2026, 3, 2), client_id=team.client["sue"], amount=5,
            external_id="old",
        )  # fmt: skip
    day = date(2026, 3, 2)

    def item(amount: object, external_id: str | None, **kw: object) -> sales_facts.ShipmentIn:
        fields = {"client_id": team.client["rep"], **kw}
        return sales_facts.ShipmentIn(day, amount=amount, external_id=external_id, **fields)

    with db.write() as s:
        out = sales_facts.save_shipments(
            s,
            a,
            [
                item(10, "a"),
                item("lots", "b"),  # refused: the amount
                item(10, "a"),  # the same again: left as it is
                item(12, "a"),  # changed: the one created above
                item(7, None),  # no external id: always a new fact
                item(5, "old", client_id=team.client["sue"]),  # stored, unchanged
                item(6, "old", client_id=team.client["sue"]),  # stored, changed
                item(1, "c", client_id=gone),  # refused: in the trash
                item(1, "d", client_id=99999),  # refused: no such client
                item(1, "e", manager_id=99999),  # refused: no such user
            ],
        )
    actions = [o.action if isinstance(o, sales_facts.Saved) else type(o).__name__ for o in out]
    assert actions == [
        "create", "Invalid", "skip", "update", "create", "skip", "update",
        "NotFound", "NotFound", "Invalid",
    ]  # fmt: skip
    assert out[0].id == out[2].id == out[3].id != out[4].id
    assert "trash" in str(out[7]) and set(out[9].errors) == {"manager"}
    with db.read() as s:
        rows = {(r.external_id, r.amount) for r in sales_facts.list_shipments(s, a)}
    assert rows == {("a", Decimal("12.00")), (None, Decimal("7.00")), ("old", Decimal("6.00"))}
