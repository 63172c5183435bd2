"""Deals through export and import on SQLite and PostgreSQL: the deal's type and its
pipeline (by name) go out and come back; the export says whether the amount follows
the line items; an unknown pipeline is a rejected row with its reason."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from conftest import _truncate_all
from termcrm.exchange import export as exporter
from termcrm.exchange.fields import field_for
from termcrm.exchange.importer import ImportOptions, run_import
from termcrm.services import clients, deal_items, deals, org, pipelines
from termcrm.services.actor import Actor
from termcrm.store.engine import Database

UTC = ZoneInfo("UTC")
CLIENTS = ("Acme", "Globex")


def _setup(db: Database) -> tuple[Actor, list[int]]:
    """An admin, two clients and a second pipeline 'Projects', in this order, so that a
    fresh database set up the same way gives them the same ids."""
    with db.write() as s:
        admin = org.resolve_actor(s, "admin")
        ids = [clients.create_client(s, admin, {"name": name}).id for name in CLIENTS]
        pipelines.add_pipeline(
            s,
            admin,
            "Projects",
            stages=[
                ("Scoping", 30, "open"),
                ("Delivery", 80, "open"),
                ("Done", 100, "won"),
                ("Dropped", 0, "lost"),
            ],
        )
    return admin, ids


def _deals(db: Database, admin: Actor, ids: list[int]) -> dict[str, int]:
    acme, globex = ids
    with db.write() as s:
        made = {
            "Pumps": deals.add_deal(
                s, admin, title="Pumps", client_id=acme, amount="1000", stage="Proposal",
                kind="new business",
            ).id,
            "Bridge": deals.add_deal(
                s, admin, title="Bridge", client_id=globex, amount="5", currency="USD",
                pipeline="projects", stage="Delivery", kind="upsell",
            ).id,
            "Plain": deals.add_deal(s, admin, title="Plain", client_id=acme).id,
        }  # fmt: skip
        bridge = deals.get_deal(s, admin, made["Bridge"])
        deal_items.add_item(
            s, admin, bridge.id, version=bridge.version, name="Design", quantity=2, price="150"
        )
        bridge = deals.get_deal(s, admin, made["Bridge"])
        deal_items.follow_items(s, admin, bridge.id, version=bridge.version, on=True)
        lost = deals.add_deal(
            s, admin, title="Tower", client_id=globex, pipeline="Projects", kind="tender"
        )
        deals.move_deal(
            s, admin, lost.id, version=lost.version, stage="Dropped", lost_reason="late"
        )
        made["Tower"] = lost.id
    return made


def _export(db: Database, admin: Actor, fmt: str, out: Path) -> None:
    with db.read() as s:
        exporter.export(s, admin, "deals", fmt, out, tz=UTC)


def _fresh(db: Database, backend: str, tmp_path: Path, template: Path | None) -> Database:
    """An empty migrated database of the same backend (the old one is disposed)."""
    url = db.url
    db.dispose()
    if backend == "sqlite":
        assert template is not None
        target = tmp_path / "fresh.db"
        shutil.copy(template, target)
        return Database(str(target))
    _truncate_all(url)
    return Database(url)


def test_titles_name_the_new_fields() -> None:
    for title in ("Type", "Deal type", "Тип сделки", "类型"):
        assert field_for("deals", title) == "kind"
    for title in ("Pipeline", "Воронка", "销售漏斗"):
        assert field_for("deals", title) == "pipeline"
    assert field_for("deals", "Amount follows items") == ""  # an export column, skipped


def test_export_has_type_pipeline_and_amount_follows_items(db: Database, tmp_path: Path) -> None:
    admin, ids = _setup(db)
    made = _deals(db, admin, ids)
    out = tmp_path / "deals.csv"
    _export(db, admin, "csv", out)
    with out.open(encoding="utf-8-sig", newline="") as f:
        rows = {r["ID"]: r for r in csv.DictReader(f)}
    titles = [t for t, _kind in exporter.DEAL_COLUMNS]
    assert titles.index("Pipeline") < titles.index("Stage") < titles.index("Type")
    bridge, pumps = rows[str(made["Bridge"])], rows[str(made["Pumps"])]
    assert (bridge["Pipeline"], bridge["Stage"], bridge["Type"]) == (
        "Projects",
        "Delivery",
        "upsell",
    )
    assert bridge["Amount follows items"] == "true" and bridge["Amount"] == "300.00"
    assert (pumps["Pipeline"], pumps["Type"], pumps["Amount follows items"]) == (
        "Sales",
        "new business",
        "false",
    )
    assert rows[str(made["Plain"])]["Type"] == ""

    book = tmp_path / "deals.xlsx"
    _export(db, admin, "xlsx", book)
    ws = openpyxl.load_workbook(book).active
    assert ws is not None
    head = [c.value for c in ws[1]]
    assert head == titles
    by_id = {r[0]: dict(zip(head, r, strict=True)) for r in ws.iter_rows(2, values_only=True)}
    assert by_id[made["Bridge"]]["Amount follows items"] is True
    assert by_id[made["Pumps"]]["Amount follows items"] is False
    assert by_id[made["Tower"]]["Pipeline"] == "Projects"
    assert by_id[made["Tower"]]["Type"] == "tender"

    js = tmp_path / "deals.json"
    _export(db, admin, "json", js)
    data = {r["ID"]: r for r in json.loads(js.read_text(encoding="utf-8"))}
    assert data[made["Bridge"]]["Amount follows items"] is True
    assert data[made["Bridge"]]["Pipeline"] == "Projects"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_round_trip_keeps_type_and_pipeline(
    db: Database, backend: str, tmp_path: Path, request: pytest.FixtureRequest, fmt: str
) -> None:
    admin, ids = _setup(db)
    _deals(db, admin, ids)
    out = tmp_path / f"deals.{fmt}"
    _export(db, admin, fmt, out)
    with db.read() as s:
        before = {
            d.title: (d.pipeline_id, d.stage, d.kind, d.amount, d.currency, d.lost_reason)
            for d in deals.list_deals(s, admin).items
        }
    template = request.getfixturevalue("sqlite_template") if backend == "sqlite" else None
    fresh = _fresh(db, backend, tmp_path, template)
    try:
        admin, _ids = _setup(fresh)
        report = run_import(fresh, admin, out, ImportOptions(entity="deals", zone=UTC))
        assert (report.created, report.rejected) == (4, 0), report.outcomes
        with fresh.read() as s:
            after = {
                d.title: (d.pipeline_id, d.stage, d.kind, d.amount, d.currency, d.lost_reason)
                for d in deals.list_deals(s, admin).items
            }
            projects = pipelines.get_pipeline(s, admin, "Projects").id
        assert after == before
        assert after["Bridge"][:3] == (projects, "Delivery", "upsell")
        assert after["Tower"][1:3] == ("Dropped", "tender")
    finally:
        fresh.dispose()


def test_unknown_pipeline_is_a_rejected_row(db: Database, tmp_path: Path) -> None:
    admin, _ids = _setup(db)
    rows = [
        ["Title", "Client", "Воронка", "Этап", "Тип сделки", "Amount", "Lost reason"],
        ["One", "Acme", "Projects", "Scoping", "pilot", "10", ""],
        ["Two", "Acme", "Nowhere", "Lead", "", "20", ""],
        ["Three", "Acme", "", "Lead", "", "30", ""],
        ["Four", "Acme", "Projects", "Lead", "", "40", ""],
        ["Lost one", "Acme", "projects", "Dropped", "", "50", "price"],
    ]
    path = tmp_path / "deals.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    report = run_import(db, admin, path, ImportOptions(entity="deals", zone=UTC))
    assert (report.created, report.rejected) == (3, 2)
    reasons = {o.number: o.reason for o in report.outcomes if o.action == "reject"}
    assert set(reasons) == {3, 5}
    assert "«Воронка»" in reasons[3] and "no pipeline 'Nowhere'" in reasons[3]
    assert "Sales, Projects" in reasons[3]  # the pipelines there are
    assert "no stage 'Lead'" in reasons[5]
    # the same file again: the deals made are duplicates, the unknown pipeline still a reason
    again = run_import(db, admin, path, ImportOptions(entity="deals", zone=UTC))
    assert (again.created, again.skipped, again.rejected) == (0, 3, 2)
    assert "no pipeline 'Nowhere'" in {o.number: o.reason for o in again.outcomes}[3]
    with db.read() as s:
        got = {d.title: d for d in deals.list_deals(s, admin).items}
        projects = pipelines.get_pipeline(s, admin, "Projects").id
        default = deals.default_pipeline(s)
    assert (got["One"].pipeline_id, got["One"].stage, got["One"].kind) == (
        projects,
        "Scoping",
        "pilot",
    )
    assert (got["Three"].pipeline_id, got["Three"].stage) == (default, "Lead")
    # a lost stage of another pipeline: created there, then closed as lost
    assert got["Lost one"].pipeline_id == projects and got["Lost one"].stage == "Dropped"
    assert got["Lost one"].lost_reason == "price"
