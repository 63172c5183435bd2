"""Golden imports of the files in tests/data (exports of Google, Outlook, Russian Excel,
Chinese Excel, vCards of each version), and the Excel round trip: export, edit the
workbook, import it back."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from termcrm.exchange.export import export
from termcrm.exchange.importer import ImportOptions, ImportReport, run_import
from termcrm.services import clients, contacts
from termcrm.services.actor import Actor
from termcrm.services.filters import ClientFilter
from termcrm.store.engine import Database

DATA = Path(__file__).parent / "data"


def run(db: Database, actor: Actor, path: Path, entity: str, **kw: object) -> ImportReport:
    options = ImportOptions(entity=entity, zone=ZoneInfo("UTC"), **kw)  # type: ignore[arg-type]
    return run_import(db, actor, path, options)


def people(db: Database, actor: Actor) -> dict[str, contacts.ContactOut]:
    with db.read() as s:
        return {c.full_name: c for c in contacts.list_contacts(s, actor, limit=200).items}


def mapped(report: ImportReport) -> dict[str, str | None]:
    return {c.title: c.field for c in report.mapping.columns}


@pytest.mark.parametrize(
    ("name", "fields"),
    [
        (
            "clients_ru_cp1251.csv",
            {"Наименование": "name", "ИНН": "tax_id", "Эл. почта": "emails", "Адрес": "address"},
        ),
        ("clients_ru.xls", {"Наименование": "name", "Телефон": "phones", "Статус": "status"}),
        ("clients_ru.ods", {"Наименование": "name", "Город": "city", "Группа": "group"}),
        (
            "clients_zh.xlsx",
            {"公司名称": "name", "电话": "phones", "税号": "tax_id", "联系人": "contact"},
        ),
    ],
)
def test_client_files(db: Database, admin: Actor, name: str, fields: dict[str, str]) -> None:
    report = run(db, admin, DATA / name, "clients")
    assert {k: mapped(report)[k] for k in fields} == fields
    assert report.rejected == 0 and report.created == report.rows > 0
    again = run(db, admin, DATA / name, "clients")
    assert (again.created, again.skipped) == (0, report.rows)


def test_russian_csv_values(db: Database, admin: Actor) -> None:
    run(db, admin, DATA / "clients_ru_cp1251.csv", "clients")
    with db.read() as s:
        found = clients.get_client(s, admin, 1)
    assert found.name.startswith("ООО") or found.name
    assert found.tax_id.isdigit() and found.phones and found.phones[0].e164.startswith("+7")


def test_chinese_workbook_makes_contact_persons(db: Database, admin: Actor) -> None:
    run(db, admin, DATA / "clients_zh.xlsx", "clients")
    got = people(db, admin)
    assert got and all(c.client.endswith("公司") for c in got.values())


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("google_contacts.csv", {"Иван Петров": ("+74951234567", "petrov@romashka.ru")}),
        (
            "outlook_contacts.csv",
            {"John A. Smith": ("+12175550134", "john.smith@acme.example.com")},
        ),
    ],
)
def test_contact_exports_of_google_and_outlook(db, admin, name, expected) -> None:
    report = run(db, admin, DATA / name, "contacts")
    assert report.rejected == 0 and report.created == report.rows
    got = people(db, admin)
    for person, (phone, email) in expected.items():
        assert phone in [p.e164 for p in got[person].phones]
        assert email in [e.address for e in got[person].emails]
    assert run(db, admin, DATA / name, "contacts").created == 0


def test_google_joins_several_values_in_one_cell(db: Database, admin: Actor) -> None:
    run(db, admin, DATA / "google_contacts.csv", "contacts")
    ivan = people(db, admin)["Иван Петров"]
    assert len(ivan.phones) == 3
    assert ivan.birthday is not None and ivan.birthday.isoformat() == "1980-03-15"


@pytest.mark.parametrize("version", ["21", "30", "40"])
def test_vcards_of_each_version(db: Database, admin: Actor, version: str) -> None:
    report = run(db, admin, DATA / f"contacts_v{version}.vcf", "contacts")
    assert report.rejected == 0 and report.created == report.rows >= 2
    got = people(db, admin)
    assert all(c.full_name and (c.phones or c.emails) for c in got.values())


def test_vcard_21_quoted_printable_cyrillic(db: Database, admin: Actor) -> None:
    run(db, admin, DATA / "contacts_v21.vcf", "contacts")
    names = set(people(db, admin))
    assert any(any("\u0400" <= ch <= "\u04ff" for ch in n) for n in names), names


def test_the_three_vcard_versions_hold_the_same_people(db: Database, admin: Actor) -> None:
    first = run(db, admin, DATA / "contacts_v30.vcf", "contacts")
    second = run(db, admin, DATA / "contacts_v40.vcf", "contacts")
    assert first.created >= 2
    assert second.created + second.skipped == second.rows


# -- the Excel round trip ----------------------------------------------------------------


def _export(db: Database, actor: Actor, path: Path) -> None:
    with db.read() as s:
        export(s, actor, "clients", "xlsx", path, client_filter=ClientFilter(), tz=ZoneInfo("UTC"))


def _column(ws, title: str) -> int:
    return [c.value for c in ws[1]].index(title) + 1


def test_excel_round_trip_updates_only_changed_cells_and_refuses_stale_rows(
    db: Database, admin: Actor, tmp_path: Path
) -> None:
    with db.write() as s:
        a = clients.create_client(
            s, admin, {"name": "Alpha", "city": "Tula", "phones": ["+7 495 111-22-33"]}
        )
        b = clients.create_client(s, admin, {"name": "Beta", "industry": "Oil", "tags": ["x"]})
        c = clients.create_client(s, admin, {"name": "Gamma"})
    exported = tmp_path / "clients.xlsx"
    _export(db, admin, exported)
    wb = load_workbook(exported)
    ws = wb.active
    rows = {ws.cell(r, 1).value: r for r in range(2, ws.max_row + 1)}
    ws.cell(rows[a.id], _column(ws, "City")).value = "Орёл"
    ws.cell(rows[b.id], _column(ws, "Industry")).value = "Gas"
    ws.cell(rows[c.id], _column(ws, "Industry")).value = "Coal"
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    with db.write() as s:  # somebody edits Gamma after the export
        clients.update_client(s, admin, c.id, version=1, changes={"status": "active"})

    report = run(db, admin, edited, "clients")
    by_id = {o.record_id: o for o in report.outcomes if o.record_id}
    assert (report.updated, report.unchanged, report.conflicts, report.created) == (2, 0, 1, 0)
    assert by_id[a.id].reason == "city"
    assert by_id[b.id].reason == "industry"
    stale = next(o for o in report.outcomes if o.action == "conflict")
    assert f"client {c.id} was changed after your export" in stale.reason
    assert "status" in stale.reason
    with db.read() as s:
        after = {x.id: clients.get_client(s, admin, x.id) for x in (a, b, c)}
    assert after[a.id].city == "Орёл" and after[a.id].version == 2
    assert [p.raw for p in after[a.id].phones] == ["+7 495 111-22-33"]
    assert after[b.id].industry == "Gas" and after[b.id].tags == ["x"]
    assert after[c.id].industry == "" and after[c.id].status == "active"
    assert report.rejects_path is not None and report.rejects_path.suffix == ".xlsx"
    # importing the same edited workbook again: the versions moved on, so all refuse
    again = run(db, admin, edited, "clients", dry_run=True)
    assert again.conflicts == 3


def test_an_unedited_export_imports_as_unchanged(db: Database, admin: Actor, tmp_path: Path):
    with db.write() as s:
        clients.create_client(
            s,
            admin,
            {
                "name": "Ромашка",
                "tax_id": "7707083893",
                "emails": ["a@b.ru", "c@d.ru"],
                "tags": ["опт", "vip"],
                "addresses": [
                    {"kind": "legal", "city": "Москва", "line": "Тверская, 1"},
                    {"kind": "actual", "city": "Москва", "line": "Арбат, 2"},
                ],
                "bank_details": "р/с 40702810\nБИК 044525225",
            },
        )
    path = tmp_path / "all.xlsx"
    _export(db, admin, path)
    report = run(db, admin, path, "clients")
    assert (report.unchanged, report.updated, report.rejected) == (1, 0, 0)


def test_formulas_and_error_cells_reject_only_rows_that_use_them(db, admin, tmp_path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Name", "City", "Unused"])
    ws.append(["Alpha", "Tula", "=1/0"])  # a formula in a column nobody imports
    ws.append(["Beta", '=UPPER("omsk")', ""])  # no saved value: openpyxl saves none
    ws.append(["Gamma", "Orel", ""])
    ws["C4"].value = "#DIV/0!"
    ws["C4"].data_type = "e"  # an error cell, in the unused column
    path = tmp_path / "formulas.xlsx"
    wb.save(path)
    report = run(db, admin, path, "clients")
    assert report.created == 2
    (rejected,) = [o for o in report.outcomes if o.action == "reject"]
    assert rejected.number == 3 and "formula with no saved value" in rejected.reason
    with db.read() as s:
        names = {c.name for c in (clients.get_client(s, admin, i) for i in (1, 2))}
    assert names == {"Alpha", "Gamma"}
    assert not any(n.startswith("=") for n in names)


def test_a_workbook_whose_first_sheet_is_not_the_list_names_its_sheets(db, admin, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "Notes"
    wb.active.append(["just notes"])
    sheet = wb.create_sheet("Клиенты")
    sheet.append(["Название", "Город"])
    sheet.append(["Альфа", "Тула"])
    path = tmp_path / "two.xlsx"
    wb.save(path)
    with pytest.raises(Exception, match="the workbook also has “Клиенты”"):
        run(db, admin, path, "clients")
    assert run(db, admin, path, "clients", sheet="клиенты").created == 1
