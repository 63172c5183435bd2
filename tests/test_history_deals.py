"""`termcrm history` for what issue 6 added, on SQLite and PostgreSQL: pipelines (with
their stages), stages, products and price lists, read by everyone as their lists are;
a deal's history holds its line items. Then `termcrm deal stages --pipeline`."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from termcrm.cli import app
from termcrm.services import clients, deal_items, deals, org, pipelines, products
from termcrm.services.actor import Actor
from termcrm.services.errors import Forbidden, Invalid, NotFound
from termcrm.services.history import history
from termcrm.store.engine import Database

runner = CliRunner()


@pytest.fixture
def rep(db: Database, admin: Actor) -> Actor:
    with db.write() as s:
        org.add_department(s, admin, "North")
        org.add_user(s, admin, "rep", role="rep", department="North", full_name="Rep One")
        return org.actor_by_login(s, "rep")


def _entries(db: Database, actor: Actor, entity: str, entity_id: int) -> list[tuple[str, ...]]:
    with db.read() as s:
        return [
            (e.action, e.entity, str(e.entity_id), ",".join(e.changes))
            for e in history(s, actor, entity, entity_id)
        ]


def test_pipeline_and_stage_history(db: Database, admin: Actor, rep: Actor) -> None:
    with db.write() as s:
        p = pipelines.add_pipeline(s, admin, "Projects")
        lead = p.stages[0]
        pipelines.update_stage(s, admin, lead.id, version=lead.version, name="Inquiry")
        pipelines.rename_pipeline(s, admin, p.id, "Big projects", version=p.version)
    got = _entries(db, rep, "pipeline", p.id)  # a rep reads it, as `pipeline list`
    assert got[0] == ("create", "pipeline", str(p.id), "name,stages")
    assert [g[1] for g in got[1:7]] == ["stage"] * 6  # its stages were created with it
    assert ("update", "stage", str(lead.id), "name") in got
    assert got[-1] == ("update", "pipeline", str(p.id), "name")
    with db.read() as s:
        stage_only = history(s, rep, "stage", lead.id)
    assert [e.action for e in stage_only] == ["create", "update"]
    assert stage_only[1].changes == {"name": ["Lead", "Inquiry"]}
    # a deleted stage keeps its history
    with db.write() as s:
        extra = pipelines.add_stage(s, admin, p.id, "Pilot", probability=50)
        pipelines.delete_stage(s, admin, extra.id, version=extra.version)
    assert [g[0] for g in _entries(db, rep, "stage", extra.id)] == ["create", "delete"]


def test_product_and_price_list_history(db: Database, admin: Actor, rep: Actor) -> None:
    with db.write() as s:
        pump = products.add_product(s, admin, {"sku": "P-1", "name": "Pump", "unit": "pcs"})
        products.update_product(s, admin, pump.id, version=pump.version, changes={"name": "Pump X"})
        plist = products.add_price_list(s, admin, "Retail", currency="RUB", is_default=True)
        products.set_price(s, admin, plist.id, pump.id, "1 000")
        products.set_price(s, admin, plist.id, pump.id, "1200")
    with db.read() as s:
        made = history(s, rep, "product", pump.id)
        prices = history(s, rep, "price-list", plist.id)  # as the command is spelt
    assert [e.action for e in made] == ["create", "update"]
    assert made[1].changes == {"name": ["Pump", "Pump X"]}
    assert [e.entity for e in prices] == ["price_list"] * 3
    assert prices[1].changes == {"price[P-1]": [None, "1000.00"]}
    assert prices[2].changes == {"price[P-1]": ["1000.00", "1200.00"]}


def test_unknown_records_and_entities(db: Database, admin: Actor) -> None:
    with db.read() as s:
        for entity, message in (
            ("pipeline", "pipeline 999 does not exist"),
            ("stage", "stage 999 does not exist"),
            ("product", "product 999 does not exist"),
            ("price_list", "price list 999 does not exist"),
        ):
            with pytest.raises(NotFound, match=message):
                history(s, admin, entity, 999)
        with pytest.raises(Invalid, match="pipeline, stage, product, price_list"):
            history(s, admin, "invoice", 1)


def test_deal_history_holds_its_line_items(db: Database, admin: Actor, rep: Actor) -> None:
    with db.write() as s:
        client = clients.create_client(s, admin, {"name": "Acme", "owner_id": rep.id}).id
        other = clients.create_client(s, admin, {"name": "Not yours"}).id
        deal = deals.add_deal(s, rep, title="Pumps", client_id=client)
        hidden = deals.add_deal(s, admin, title="Secret", client_id=other)
        lines = deal_items.add_item(
            s, rep, deal.id, version=deal.version, name="Install", quantity=2, price="100"
        )
        lines = deal_items.follow_items(s, rep, deal.id, version=lines.deal.version, on=True)
        deal_items.remove_item(s, rep, lines.items[0].id, version=lines.deal.version)
    with db.read() as s:
        got = history(s, rep, "deal", deal.id)
        with pytest.raises(Forbidden):
            history(s, rep, "deal", hidden.id)
    assert [e.action for e in got] == ["create", "update", "update", "update"]
    added = got[1].changes
    assert any("Install" in str(v) for v in added.values()), added
    assert got[2].changes["amount"] == ["0.00", "200.00"]
    assert got[3].changes["amount"] == ["200.00", "0.00"]


# -- the command line


class Cli:
    def __init__(self, url: str) -> None:
        self.url = url

    def __call__(self, *args: str, code: int = 0) -> str:
        result = runner.invoke(app, ["--db", self.url, *args])
        assert result.exit_code == code, (args, result.exit_code, result.output)
        assert "Traceback" not in result.output
        return " ".join(result.output.split())  # as one line: messages wrap


@pytest.fixture
def cli(db_url: str, plain_settings: None) -> Cli:
    return Cli(db_url)


def test_cli_deal_stages_of_a_pipeline(cli: Cli) -> None:
    out = cli("deal", "stages")  # a fresh database: the default pipeline is made
    assert "Lead 10 open" in out and "Lost 0 lost" in out
    cli("pipeline", "add", "Projects")
    db = Database(cli.url)
    try:
        with db.write() as s:
            admin = org.actor_by_login(s, org.os_login())
            pid = pipelines.pipeline_id(s, "Projects")
            first = pipelines.get_pipeline(s, admin, pid).stages[0]
            pipelines.update_stage(s, admin, first.id, version=first.version, name="Inquiry")
    finally:
        db.dispose()
    out = cli("deal", "stages", "--pipeline", "projects")
    assert "Inquiry 10 open" in out and "Lead" not in out
    by_id = json.loads(
        runner.invoke(
            app, ["--db", cli.url, "deal", "stages", "--pipeline", str(pid), "-f", "json"]
        ).stdout
    )
    assert [st["name"] for st in by_id][:2] == ["Inquiry", "Qualification"]
    assert {st["pipeline_id"] for st in by_id} == {pid}
    out = cli("deal", "stages", "--pipeline", "Nowhere", code=1)
    assert "--pipeline" in out and "no pipeline 'Nowhere'" in out and "Sales, Projects" in out


def test_cli_history_of_a_product(cli: Cli) -> None:
    cli("product", "add", "Pump", "--sku", "P-1")
    out = cli("history", "product", "1")
    assert "create product" in out and "Pump" in out and "P-1" in out
    cli("deal", "stages")  # makes the default pipeline, whose stages come unaudited
    out = cli("history", "stage", "1")
    assert "create stage" not in out
    out = cli("history", "pipeline", "77", code=1)
    assert "pipeline 77 does not exist" in out
