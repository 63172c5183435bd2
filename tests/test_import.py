"""The importer on real files and real databases (SQLite and PostgreSQL).

Files are written here with the csv module or openpyxl, imported with
``run_import`` (or the CLI), and the database is checked through the services.
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from termcrm.exchange.importer import ImportOptions, ImportReport, run_import
from termcrm.exchange.sources import open_sheet
from termcrm.services import client_lists, clients, contacts, imports, journal, org
from termcrm.services.actor import Actor
from termcrm.services.errors import Invalid
from termcrm.services.filters import ClientFilter
from termcrm.services.validation import inn_with_checksum
from termcrm.store.engine import Database

UTC = ZoneInfo("UTC")


def write_csv(
    path: Path, rows: Sequence[Sequence[object]], *, encoding: str = "utf-8", delimiter: str = ","
) -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        csv.writer(f, delimiter=delimiter).writerows(rows)
    return path


def run(
    db: Database, actor: Actor, path: Path, entity: str = "clients", **kw: object
) -> ImportReport:
    return run_import(db, actor, path, ImportOptions(entity=entity, zone=UTC, **kw))  # type: ignore[arg-type]


def all_clients(db: Database, actor: Actor) -> list[clients.ClientOut]:
    with db.read() as s:
        ids: list[int] = []
        after = None
        while True:
            page = client_lists.list_clients(s, actor, ClientFilter(), limit=500, after=after)
            ids += [r.id for r in page.items]
            if page.next_cursor is None:
                break
            after = page.next_cursor
        return [clients.get_client(s, actor, i) for i in ids]


def inn(n: int) -> str:
    return inn_with_checksum(f"77{n:07d}")


RU_HEADER = ["Наименование", "ИНН", "Город", "Телефон", "Эл. почта", "Группа", "Статус", "Адрес"]


def ru_rows(n: int, start: int = 0) -> list[list[object]]:
    return [
        [
            f"ООО Ромашка {i}",
            inn(i),
            "Москва",
            f"+7 495 {1000000 + i:07d}"[:16],
            f"info{i}@romashka.ru",
            "опт",
            "активный",
            f"Тверская, {i}",
        ]
        for i in range(start, start + n)
    ]


def test_windows_1251_semicolon_csv_with_russian_headers(db: Database, admin: Actor, tmp_path):
    path = write_csv(
        tmp_path / "clients.csv", [RU_HEADER, *ru_rows(3)], encoding="cp1251", delimiter=";"
    )
    report = run(db, admin, path)
    assert (report.rows, report.created, report.rejected) == (3, 3, 0)
    assert report.import_id is not None
    got = {c.name: c for c in all_clients(db, admin)}
    one = got["ООО Ромашка 1"]
    assert one.tax_id == inn(1)
    assert one.city == "Москва"
    assert one.status == "active"
    assert one.group == "опт"
    assert [e.address for e in one.emails] == ["info1@romashka.ru"]
    assert one.phones[0].e164.startswith("+7495")
    assert one.addresses[0].line == "Тверская, 1"
    with db.read() as s:  # the search finds imported clients
        assert {r.id for r in client_lists.search_clients(s, admin, "ромашка 2").items} == {
            got["ООО Ромашка 2"].id
        }


def test_the_same_file_twice_creates_nothing_the_second_time(db: Database, admin, tmp_path):
    path = write_csv(tmp_path / "c.csv", [RU_HEADER, *ru_rows(5)])
    first = run(db, admin, path)
    second = run(db, admin, path)
    assert first.created == 5
    assert (second.created, second.skipped) == (0, 5)
    assert all("already in the CRM" in o.reason for o in second.outcomes)
    assert len(all_clients(db, admin)) == 5


def test_duplicates_inside_the_file_and_by_each_key(db: Database, admin, tmp_path):
    with db.write() as s:
        clients.create_client(s, admin, {"name": "Alpha", "tax_id": inn(1)})
        clients.create_client(s, admin, {"name": "Beta", "emails": ["sales@beta.com"]})
        clients.create_client(s, admin, {"name": "Gamma", "phones": ["+7 495 111-22-33"]})
        clients.create_client(s, admin, {"name": "ООО «Дельта-Трейд»", "city": "Казань"})
    rows = [
        ["Company", "INN", "Email", "Phone", "City"],
        ["Alpha two", inn(1), "", "", ""],  # row 2: tax id
        ["Beta two", "", "SALES@beta.com", "", ""],  # row 3: email, any case
        ["Gamma two", "", "", "8 (495) 111-22-33", ""],  # row 4: phone as dialled at home
        ["Дельта Трейд", "", "", "", "Казань"],  # row 5: the name without legal form
        ["Дельта Трейт", "", "", "", "Казань"],  # row 6: a typo: the fuzzy match
        ["Дельта Трейд", "", "", "", "Самара"],  # row 7: another city: a new client
        ["New one", "", "a@new.com", "", ""],  # row 8: new
        ["New one again", "", "a@new.com", "", ""],  # row 9: repeats row 8
    ]
    report = run(db, admin, write_csv(tmp_path / "d.csv", rows))
    why = {o.number: o.reason for o in report.outcomes if o.action == "skip"}
    assert set(why) == {2, 3, 4, 5, 6, 9}
    assert "same tax id" in why[2]
    assert "same email" in why[3]
    assert "same phone" in why[4]
    assert "same name in the same city" in why[5]
    assert "similar name" in why[6]
    assert "repeats row 8" in why[9]
    assert report.created == 2


def test_on_duplicate_update_and_fill_empty(db: Database, admin, tmp_path):
    with db.write() as s:
        c = clients.create_client(
            s,
            admin,
            {"name": "Alpha", "tax_id": inn(1), "city": "Tula", "phones": ["+74951112233"]},
        )
    rows = [
        ["Name", "INN", "City", "Industry", "Phone"],
        ["Alpha", inn(1), "Орёл", "Steel", "+7 916 555-44-33"],
    ]
    path = write_csv(tmp_path / "u.csv", rows)
    filled = run(db, admin, path, on_duplicate="fill-empty")
    assert filled.updated == 1
    with db.read() as s:
        now = clients.get_client(s, admin, c.id)
    assert (now.city, now.industry) == ("Tula", "Steel")  # city was set: kept
    assert len(now.phones) == 2  # phones are added, never replaced
    updated = run(db, admin, path, on_duplicate="update")
    assert updated.updated == 1
    with db.read() as s:
        assert clients.get_client(s, admin, c.id).city == "Орёл"
    again = run(db, admin, path, on_duplicate="update")
    assert (again.updated, again.unchanged) == (0, 1)


def test_rejected_rows_go_to_the_rejects_file_and_come_back_fixed(db: Database, admin, tmp_path):
    rows = [RU_HEADER, *ru_rows(6)]
    rows[2][1] = "7707083894"  # row 3: wrong checksum
    rows[4][4] = "not-an-email"  # row 5
    rows[6][0] = ""  # row 7: no name
    path = write_csv(tmp_path / "r.csv", rows, encoding="cp1251", delimiter=";")
    report = run(db, admin, path)
    assert (report.created, report.rejected) == (3, 3)
    reasons = {o.number: o.reason for o in report.outcomes if o.action == "reject"}
    assert set(reasons) == {3, 5, 7}
    assert "«ИНН»" in reasons[3]
    assert "«Эл. почта»" in reasons[5]
    assert report.rejects_path == tmp_path / "r.rejects.csv"
    rejects = open_sheet(report.rejects_path)
    assert (rejects.encoding, rejects.delimiter) == ("cp1251", ";")
    assert rejects.headers[-2:] == ["Source row", "Reject reason"]
    back = list(rejects.rows())
    assert [r.values[-2] for r in back] == ["3", "5", "7"]
    # the user fixes the rows in the rejects file and imports it
    fixed = [rejects.headers]
    for r in back:
        values = list(r.values)
        values[1] = inn(101) if values[1] == "7707083894" else values[1]
        values[4] = "fixed@romashka.ru" if values[4] == "not-an-email" else values[4]
        values[0] = values[0] or "ООО Ромашка 5"
        fixed.append(values)
    again = run(
        db, admin, write_csv(tmp_path / "fixed.csv", fixed, encoding="cp1251", delimiter=";")
    )
    assert (again.created, again.skipped, again.rejected) == (3, 0, 0)
    assert len(all_clients(db, admin)) == 6


def test_dry_run_writes_nothing_and_reports_the_plan(db: Database, admin, tmp_path):
    rows = [RU_HEADER, *ru_rows(4)]
    rows[3][1] = "123"
    report = run(db, admin, write_csv(tmp_path / "p.csv", rows), dry_run=True)
    assert report.dry_run and report.import_id is None
    assert (report.created, report.rejected) == (3, 1)
    assert report.rejects_path is None
    assert all_clients(db, admin) == []
    with db.read() as s:
        assert imports.list_imports(s, admin) == []


def test_undo_removes_what_was_created_and_restores_what_was_updated(db: Database, admin, tmp_path):
    with db.write() as s:
        old = clients.create_client(s, admin, {"name": "Old", "tax_id": inn(9), "industry": "Oil"})
    rows = [["Name", "INN", "Industry"], ["Old", inn(9), "Gas"], ["New", inn(10), "Coal"]]
    report = run(db, admin, write_csv(tmp_path / "x.csv", rows), on_duplicate="update")
    assert (report.created, report.updated) == (1, 1)
    with db.read() as s:
        listed = imports.list_imports(s, admin)
    assert [(r.id, r.status, r.created, r.updated) for r in listed] == [
        (report.import_id, "done", 1, 1)
    ]
    with db.write() as s:
        result = imports.undo_import(s, admin, report.import_id)
    assert (result.removed, result.restored, result.kept) == (1, 1, [])
    left = all_clients(db, admin)
    assert [(c.id, c.industry) for c in left] == [(old.id, "Oil")]
    with db.write() as s, pytest.raises(Exception, match="already undone"):
        imports.undo_import(s, admin, report.import_id)


def test_undo_leaves_records_changed_since(db: Database, admin, tmp_path):
    rows = [["Name"], ["Kept"], ["Gone"]]
    report = run(db, admin, write_csv(tmp_path / "k.csv", rows))
    kept = next(c for c in all_clients(db, admin) if c.name == "Kept")
    with db.write() as s:
        clients.update_client(s, admin, kept.id, version=kept.version, changes={"city": "Omsk"})
    with db.write() as s:
        result = imports.undo_import(s, admin, report.import_id)
    assert result.removed == 1
    assert len(result.kept) == 1 and "changed after the import" in result.kept[0]
    assert [c.name for c in all_clients(db, admin)] == ["Kept"]


def test_a_rep_imports_for_themselves_and_cannot_update_others(db: Database, admin, tmp_path):
    with db.write() as s:
        org.add_department(s, admin, "Sales")
        org.add_user(s, admin, "rep1", role="rep", department="Sales")
        org.add_user(s, admin, "rep2", role="rep", department="Sales")
        rep1 = org.actor_by_login(s, "rep1")
        rep2 = org.actor_by_login(s, "rep2")
        clients.create_client(s, rep2, {"name": "Theirs", "tax_id": inn(5)})
    rows = [
        ["Name", "INN", "Owner"],
        ["Mine", inn(6), ""],
        ["Theirs", inn(5), ""],
        ["X", "", "rep2"],
    ]
    report = run(db, rep1, write_csv(tmp_path / "rep.csv", rows), on_duplicate="update")
    by_row = {o.number: o for o in report.outcomes}
    assert report.created == 1
    assert by_row[3].action == "reject" and "reps see only the clients they own" in by_row[3].reason
    assert by_row[4].action == "reject" and "for themselves" in by_row[4].reason
    assert [c.name for c in all_clients(db, rep1)] == ["Mine"]


def test_contacts_go_to_their_company_or_a_private_person(db: Database, admin, tmp_path):
    with db.write() as s:
        acme = clients.create_client(s, admin, {"name": "Acme"})
    rows = [
        [
            "First Name",
            "Last Name",
            "Company",
            "Job Title",
            "E-mail Address",
            "Mobile Phone",
            "Birthday",
        ],
        ["John", "Smith", "Acme", "CEO", "john@acme.com", "+1 212 555 0100", "5/14/1980"],
        ["Иван", "Петров", "ООО Новая", "", "ivan@new.ru", "", ""],
        ["Ann", "Lee", "", "", "ann@lee.me", "", "0/0/00"],
        ["Jane", "Doe", "Acme", "", "bad@", "", ""],
    ]
    report = run(db, admin, write_csv(tmp_path / "outlook.csv", rows), entity="contacts")
    assert (report.created, report.rejected) == (3, 1)
    with db.read() as s:
        people = {c.full_name: c for c in contacts.list_contacts(s, admin, limit=50).items}
    assert people["John Smith"].client_id == acme.id
    assert people["John Smith"].birthday.isoformat() == "1980-05-14"
    assert people["Петров Иван"].client == "ООО Новая"
    assert people["Ann Lee"].client == "Ann Lee"
    again = run(db, admin, write_csv(tmp_path / "outlook.csv", rows), entity="contacts")
    assert again.created == 0 and again.skipped == 3


def test_interactions_and_deals(db: Database, admin, tmp_path):
    with db.write() as s:
        acme = clients.create_client(s, admin, {"name": "Acme", "tax_id": inn(3)})
        contacts.create_contact(s, admin, acme.id, {"full_name": "John Smith"})
    rows = [
        ["Дата", "Время", "Тип", "Клиент", "Контактное лицо", "Тема", "Результат"],
        ["25.11.2025", "14:30", "звонок", "Acme", "John Smith", "цены", "ok"],
        ["26.11.2025", "", "встреча", "Acme", "", "договор", ""],
        ["31.02.2025", "", "звонок", "Acme", "", "", ""],
        ["27.11.2025", "", "телепатия", "Acme", "", "", ""],
        ["27.11.2025", "", "звонок", "Nobody Ltd", "", "", ""],
    ]
    path = write_csv(tmp_path / "j.csv", rows)
    report = run(db, admin, path, entity="interactions")
    report_journal_id = report.import_id
    assert report.created == 2
    reasons = {o.number: o.reason for o in report.outcomes if o.action == "reject"}
    assert set(reasons) == {4, 5, 6}
    assert "not a date" in reasons[4]
    assert "телепатия" in reasons[5]
    assert "Nobody Ltd" in reasons[6]
    with db.read() as s:
        entries = journal.list_interactions(
            s, admin, journal.JournalFilter(client_id=acme.id)
        ).items
    first = next(e for e in entries if e.purpose == "цены")
    assert first.occurred_at.isoformat() == "2025-11-25T14:30:00+00:00"
    assert first.kind == "call" and first.contact == "John Smith"
    assert run(db, admin, path, entity="interactions").created == 0

    deals_rows = [
        ["Title", "Client tax ID", "Amount", "Currency", "Stage", "Lost reason"],
        ["Pumps", inn(3), "1 250 000,50", "RUB", "Proposal", ""],
        ["Valves", inn(3), "10", "usd", "Lost", "price"],
        ["Bad", inn(3), "lots", "RUB", "", ""],
    ]
    report = run(db, admin, write_csv(tmp_path / "deals.csv", deals_rows), entity="deals")
    assert (report.created, report.rejected) == (2, 1)
    from termcrm.services import deals

    with db.read() as s:
        got = {d.title: d for d in deals.list_deals(s, admin).items}
    assert str(got["Pumps"].amount) == "1250000.50" and got["Pumps"].stage == "Proposal"
    assert got["Valves"].stage == "Lost" and got["Valves"].lost_reason == "price"

    # undo the journal import: the entries go and the client's last contact goes back
    with db.write() as s:
        imports.undo_import(s, admin, report_journal_id)
        assert clients.get_client(s, admin, acme.id).last_interaction_at is None
        assert (
            journal.list_interactions(s, admin, journal.JournalFilter(client_id=acme.id)).items
            == []
        )


def test_missing_name_column_and_bad_map_are_refused(db: Database, admin, tmp_path):
    path = write_csv(tmp_path / "n.csv", [["Город"], ["Москва"]])
    with pytest.raises(Invalid, match="no column holds the name"):
        run(db, admin, path)
    with pytest.raises(Invalid, match="no column 'Nope'"):
        run(db, admin, path, overrides={"Nope": "name"})
    report = run(db, admin, path, overrides={"Город": "name"})
    assert report.created == 1


def test_ten_thousand_rows_with_300_bad(db: Database, admin, tmp_path):
    rows = [RU_HEADER, *ru_rows(10_000)]
    bad = set(range(5, 10_000, 33))[:300] if False else sorted(range(5, 10_000, 33))[:300]
    for i in bad:
        rows[i + 1][4] = f"broken{i}@"  # an email with no domain
    path = write_csv(tmp_path / "big.csv", rows)
    report = run(db, admin, path, worker=True)  # phones and emails checked in a worker
    assert (report.created, report.rejected) == (9_700, 300)
    rejected_rows = sorted(o.number for o in report.outcomes if o.action == "reject")
    assert rejected_rows == [i + 2 for i in bad]
    rejects = open_sheet(report.rejects_path)
    back = list(rejects.rows())
    assert [int(r.values[-2]) for r in back] == rejected_rows
    fixed = [rejects.headers[:-2]] + [
        [*r.values[:4], str(r.values[4]).replace("@", "@fixed.ru"), *r.values[5:-2]] for r in back
    ]
    again = run(db, admin, write_csv(tmp_path / "fixed.csv", fixed))
    assert (again.created, again.skipped, again.rejected) == (300, 0, 0)
    with db.read() as s:
        assert client_lists.count_clients(s, admin) == 10_000


@pytest.mark.slow
def test_a_killed_batched_import_resumes_with_every_row_once(db_url: str, db, admin, tmp_path):
    rows = [RU_HEADER, *ru_rows(20_000)]
    path = write_csv(tmp_path / "resume.csv", rows)
    me = org.os_login()  # the command runs as the OS user running the tests
    if me != admin.login:
        with db.write() as s:
            org.add_department(s, admin, "Office")
            org.add_user(s, admin, me, role="admin", department="Office")
    env = {**os.environ, "TERMCRM_DATABASE_URL": db_url}
    cmd = [
        sys.executable,
        "-m",
        "termcrm",
        "import",
        "clients",
        str(path),
        "--batch-size",
        "500",
        "-q",
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    done = 0
    while time.monotonic() < deadline and proc.poll() is None:
        with db.read() as s:
            done = s.execute(sa.text("SELECT max(rows_done) FROM import_run")).scalar() or 0
        if done >= 2_000:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert 0 < done < 20_000, f"not killed in the middle: {proc.stderr.read()!r}"
    again = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert again.returncode == 1 and "--resume" in again.stderr
    resumed = subprocess.run([*cmd, "--resume"], env=env, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    with db.read() as s:
        assert client_lists.count_clients(s, admin) == 20_000
        names = s.execute(sa.text("SELECT count(DISTINCT name) FROM client")).scalar()
        assert names == 20_000
        runs = imports.list_imports(s, admin)  # an admin sees everybody's
    assert [(r.status, r.rows_done, r.created) for r in runs] == [("done", 20_000, 20_000)]


def test_undo_leaves_a_client_that_got_a_contact_since(db: Database, admin, tmp_path):
    report = run(db, admin, write_csv(tmp_path / "c.csv", [["Name"], ["A"], ["B"], ["C"]]))
    b = next(c for c in all_clients(db, admin) if c.name == "B")
    with db.write() as s:
        contacts.create_contact(
            s, admin, b.id, {"full_name": "Added Later", "phones": ["+74951112233"]}
        )
    with db.write() as s:
        result = imports.undo_import(s, admin, report.import_id)
    assert result.removed == 2
    assert len(result.kept) == 1 and "other records were added" in result.kept[0]
    (left,) = all_clients(db, admin)
    assert left.id == b.id
    with db.read() as s:
        (person,) = contacts.list_contacts(s, admin, limit=10).items
    assert [p.e164 for p in person.phones] == ["+74951112233"]
