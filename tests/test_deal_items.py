"""Products, price lists, a deal's line items and its commercial proposal, on SQLite and
PostgreSQL; the proposal workbook read back with openpyxl cell by cell."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from termcrm.cli import app
from termcrm.exchange.proposal import FIRST_LINE_ROW, write_proposal
from termcrm.services import clients, contacts, deal_items, deals, org, products
from termcrm.services.actor import Actor
from termcrm.services.errors import Conflict, Forbidden, Invalid, NotFound
from termcrm.store.engine import Database

D = Decimal


@dataclass
class Shop:
    admin: Actor
    rep: Actor
    other: Actor  # a rep of another department
    deal: int
    pump: int
    service: int
    wholesale: int


@pytest.fixture
def shop(db: Database, admin: Actor) -> Shop:
    with db.write() as s:
        org.add_department(s, admin, "North")
        org.add_department(s, admin, "South")
        org.add_user(s, admin, "rep", role="rep", department="North", full_name="Rita Rep")
        org.add_user(s, admin, "sue", role="rep", department="South")
        rep = org.actor_by_login(s, "rep")
        other = org.actor_by_login(s, "sue")
        cid = clients.create_client(s, admin, {"name": "ООО «Ромашка»", "owner_id": rep.id}).id
        person = contacts.create_contact(s, rep, cid, {"full_name": "Пётр Сидоров"}).id
        deal = deals.add_deal(
            s, rep, title="Pumps for the plant", client_id=cid, contact_id=person, amount=1000
        ).id
        pump = products.add_product(
            s, admin, {"name": "Pump NK-200", "sku": "NK-200", "category": "Pumps"}
        ).id
        service = products.add_product(
            s, admin, {"name": "Installation", "sku": "SRV-1", "unit": "h"}
        ).id
        wholesale = products.add_price_list(s, admin, "Wholesale RUB", is_default=True).id
        products.set_price(s, admin, wholesale, pump, "125 000")
        products.set_price(s, admin, wholesale, service, "3500.50")
    return Shop(admin, rep, other, deal, pump, service, wholesale)


def _version(db: Database, actor: Actor, deal_id: int) -> int:
    with db.read() as s:
        return deals.get_deal(s, actor, deal_id).version


def test_lines_take_prices_from_the_default_list_and_the_amount_follows(
    db: Database, shop: Shop
) -> None:
    with db.write() as s:
        v = deals.get_deal(s, shop.rep, shop.deal).version
        got = deal_items.add_item(
            s, shop.rep, shop.deal, version=v, product="NK-200", quantity="2", discount_pct="5"
        )
        got = deal_items.add_item(
            s, shop.rep, shop.deal, version=got.deal.version, product=shop.service, quantity="2.5"
        )
        got = deal_items.add_item(
            s, shop.rep, shop.deal, version=got.deal.version, name="Delivery", price="12 000"
        )
        assert [i.amount for i in got.items] == [D("237500.00"), D("8751.25"), D("12000.00")]
        assert got.total == D("258251.25")
        assert got.deal.amount == D("1000.00")  # typed, until it follows the lines
        got = deal_items.follow_items(s, shop.rep, shop.deal, version=got.deal.version, on=True)
        assert got.deal.amount == got.total == D("258251.25")
        line = got.items[1]
        got = deal_items.update_item(
            s, shop.rep, line.id, version=got.deal.version, quantity="3", discount_pct="10"
        )
        assert got.items[1].amount == D("9451.35")  # 3 x 3500.50 - 10%
        assert got.deal.amount == got.total
        got = deal_items.remove_item(s, shop.rep, got.items[2].id, version=got.deal.version)
        assert [i.name for i in got.items] == ["Pump NK-200", "Installation"]
        assert got.deal.amount == D("246951.35")
    # the line keeps the product as sold: renaming the product later changes no line
    with db.write() as s:
        p = products.get_product(s, shop.pump)
        products.update_product(
            s, shop.admin, p.id, version=p.version, changes={"name": "NK-200 v2"}
        )
        assert deal_items.items_of(s, shop.rep, shop.deal).items[0].name == "Pump NK-200"


def test_refusals_say_why_and_change_nothing(db: Database, shop: Shop) -> None:
    with db.write() as s:
        v = deals.get_deal(s, shop.rep, shop.deal).version
        with pytest.raises(Invalid) as exc:
            deal_items.add_item(s, shop.rep, shop.deal, version=v, name="Free text")
        assert "price" in exc.value.errors
        with pytest.raises(Invalid) as exc:
            deal_items.add_item(s, shop.rep, shop.deal, version=v, product="NK-200", quantity="0")
        assert "quantity" in exc.value.errors
        with pytest.raises(Invalid) as exc:
            deal_items.add_item(
                s, shop.rep, shop.deal, version=v, product="NK-200", discount_pct="120"
            )
        assert "discount" in exc.value.errors
        with pytest.raises(NotFound):
            deal_items.add_item(s, shop.rep, shop.deal, version=v, product="NOPE")
        unpriced = products.add_product(s, shop.admin, {"name": "Valve"}).id
        with pytest.raises(Invalid) as exc:
            deal_items.add_item(s, shop.rep, shop.deal, version=v, product=unpriced)
        assert "no price" in exc.value.errors["price"]
        usd = products.add_price_list(s, shop.admin, "Export USD", currency="USD").id
        with pytest.raises(Invalid) as exc:
            deal_items.add_item(s, shop.rep, shop.deal, version=v, product="NK-200", price_list=usd)
        assert "USD" in exc.value.errors["price_list"]
        assert deal_items.items_of(s, shop.rep, shop.deal).items == []
        # a stale version: someone changed the deal meanwhile
        deal_items.add_item(s, shop.rep, shop.deal, version=v, product="NK-200")
        with pytest.raises(Conflict):
            deal_items.add_item(s, shop.rep, shop.deal, version=v, product="SRV-1")
    # another department's rep sees neither the deal nor its lines
    with db.read() as s, pytest.raises(Forbidden):
        deal_items.items_of(s, shop.other, shop.deal)


def test_the_catalog_is_changed_by_admins_and_directors_only(db: Database, shop: Shop) -> None:
    with db.write() as s:
        with pytest.raises(Forbidden):
            products.add_product(s, shop.rep, {"name": "Mine"})
        with pytest.raises(Forbidden):
            products.set_price(s, shop.rep, shop.wholesale, shop.pump, "1")
        with pytest.raises(Invalid) as exc:
            products.add_product(s, shop.admin, {"name": "Twin", "sku": "nk-200"})
        assert "taken" in exc.value.errors["sku"]
        assert [p.sku for p in products.list_products(s, text="nk")] == ["NK-200"]
        assert products.list_products(s, text="%") == []  # a letter, not a wildcard
        assert products.find_product(s, "installation").id == shop.service
        listed = products.prices(s, shop.wholesale)
        assert [(p.sku, p.price) for p in listed] == [
            ("SRV-1", D("3500.50")),
            ("NK-200", D("125000.00")),
        ]
        # a second default list of the same currency takes the default over
        products.add_price_list(s, shop.admin, "Retail RUB", is_default=True)
        assert {p.name: p.is_default for p in products.list_price_lists(s)} == {
            "Retail RUB": True,
            "Wholesale RUB": False,
        }


def test_the_proposal_workbook_holds_the_client_the_lines_and_the_total(
    db: Database, shop: Shop, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    with db.write() as s:
        v = deals.get_deal(s, shop.rep, shop.deal).version
        got = deal_items.add_item(
            s, shop.rep, shop.deal, version=v, product="NK-200", quantity="2", discount_pct="5"
        )
        deal_items.add_item(
            s, shop.rep, shop.deal, version=got.deal.version, product="SRV-1", quantity="1.5"
        )
    out = tmp_path / "proposal.xlsx"
    with db.read() as s:
        done = write_proposal(s, shop.rep, shop.deal, out, today=date(2026, 11, 26))
    assert (done.lines, done.total, done.currency) == (2, D("242750.75"), "RUB")
    ws = load_workbook(out).active
    assert ws["A1"].value == f"Commercial proposal No. {shop.deal}"
    heading = {ws.cell(r, 1).value: ws.cell(r, 3).value for r in range(2, 7)}
    assert heading["Client"] == "ООО «Ромашка»"
    assert heading["Contact person"] == "Пётр Сидоров"
    assert heading["Deal"] == "Pumps for the plant"
    assert heading["Manager"] == "Rita Rep"
    assert heading["Date"].date() == date(2026, 11, 26)
    header = [ws.cell(FIRST_LINE_ROW - 1, c).value for c in range(1, 9)]
    assert header == ["No.", "SKU", "Product", "Unit", "Quantity", "Price", "Discount, %", "Amount"]
    rows = [
        [ws.cell(r, c).value for c in range(1, 9)] for r in (FIRST_LINE_ROW, FIRST_LINE_ROW + 1)
    ]
    assert rows[0][:4] == [1, "NK-200", "Pump NK-200", "pcs"]
    assert [D(str(x)) for x in rows[0][4:]] == [D("2"), D("125000"), D("5"), D("237500")]
    assert rows[1][:4] == [2, "SRV-1", "Installation", "h"]
    assert [D(str(x)) for x in rows[1][4:]] == [D("1.5"), D("3500.5"), D("0"), D("5250.75")]
    total_row = FIRST_LINE_ROW + 2
    assert ws.cell(total_row, 7).value == "Total"
    assert D(str(ws.cell(total_row, 8).value)) == D("242750.75")
    assert ws.cell(FIRST_LINE_ROW, 8).number_format == '#,##0.00 "RUB"'
    assert not list(tmp_path.glob("*.part"))  # written whole, through a temporary name


runner = CliRunner()


def test_the_shell_commands(db: Database, admin: Actor, db_url: str, tmp_path: Path) -> None:
    def cli(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, ["--db", db_url, *args])
        assert result.exit_code == code, (args, result.output)
        return result.output

    with db.write() as s:  # the commands act as the OS user: a director here
        org.add_department(s, admin, "Sales")
        org.add_user(s, admin, org.os_login(), role="director", department="Sales")
        cid = clients.create_client(s, admin, {"name": "Acme"}).id
        deal = deals.add_deal(s, admin, title="Acme pumps", client_id=cid).id
    assert "Added product 1: Pump (P-1), per pcs" in cli("product", "add", "Pump", "--sku", "P-1")
    cli("price-list", "add", "Base", "--currency", "RUB", "--default")
    assert "Pump: 99.90 RUB per pcs in Base" in cli("price-list", "set", "Base", "P-1", "99.90")
    assert "Added line" in cli("deal", "item-add", str(deal), "P-1", "--qty", "3")
    out = cli("deal", "items", str(deal))
    assert "P-1" in out and "299.70" in out
    assert "follows" in cli("deal", "follow-items", str(deal), "--on")
    said = cli("deal", "proposal", str(deal), "--out", str(tmp_path / "p.xlsx"))
    assert "1 lines, total 299.70 RUB" in " ".join(said.split())  # wrapped at the width
    assert "no product 'NOPE'" in cli("deal", "item-add", str(deal), "NOPE", code=1)
    assert "P-1" in cli("product", "list", "--search", "p-")
