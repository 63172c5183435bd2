"""Edge cases of the import found in review: long text, huge ids, resume, undo of repeated
updates, round trips that must change nothing (namesakes, deactivated owners, tags with
commas, blank lines), duplicates found through a merged row."""

from __future__ import annotations

import csv
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from termcrm.exchange.export import export
from termcrm.exchange.importer import ImportOptions, run_import
from termcrm.services import clients, custom_fields, imports, org
from termcrm.services.filters import ClientFilter
from termcrm.services.validation import inn_with_checksum

UTC = ZoneInfo("UTC")


def write_csv(path, rows):
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def run(db, actor, path, entity="clients", **kw):
    return run_import(db, actor, path, ImportOptions(entity=entity, zone=UTC, **kw))


def inn(n):
    return inn_with_checksum(f"77{n:07d}")


def _export(db, actor, path):
    with db.read() as s:
        export(s, actor, "clients", "xlsx", path, client_filter=ClientFilter(), tz=UTC)


# 1. very long text: a DB error aborts the whole import on PostgreSQL
def test_long_name_rejects_one_row_not_the_import(db, admin, tmp_path):
    rows = [["Name", "City"], ["Good", "Omsk"], ["x" * 400, "Omsk"], ["Also good", "y" * 150]]
    report = run(db, admin, write_csv(tmp_path / "long.csv", rows))
    assert report.created == 1 and report.rejected == 2


# 2. undo after two updates of the same client in one import
def test_undo_restores_the_value_before_the_import(db, admin, tmp_path):
    with db.write() as s:
        c = clients.create_client(
            s,
            admin,
            {"name": "Alpha", "tax_id": inn(1), "emails": ["a@alpha.ru"], "industry": "Oil"},
        )
    rows = [
        ["Name", "INN", "Email", "Industry"],
        ["Alpha", inn(1), "", "Gas"],
        ["Alpha 2", "", "a@alpha.ru", "Coal"],
    ]
    report = run(db, admin, write_csv(tmp_path / "u.csv", rows), on_duplicate="update")
    assert report.updated == 2
    with db.write() as s:
        result = imports.undo_import(s, admin, report.import_id)
    with db.read() as s:
        now = clients.get_client(s, admin, c.id)
    assert now.industry == "Oil", (now.industry, result)


# 3. undo does not remove a custom value the import added
def test_undo_removes_a_custom_value_the_import_added(db, admin, tmp_path):
    with db.write() as s:
        custom_fields.define_field(s, admin, key="region", kind="text", label="Region")
        c = clients.create_client(s, admin, {"name": "Alpha", "tax_id": inn(1)})
    rows = [["Name", "INN", "Region"], ["Alpha", inn(1), "North"]]
    report = run(db, admin, write_csv(tmp_path / "c.csv", rows), on_duplicate="update")
    assert report.updated == 1
    with db.write() as s:
        result = imports.undo_import(s, admin, report.import_id)
    with db.read() as s:
        now = clients.get_client(s, admin, c.id)
    assert result.restored == 1
    assert now.custom == {}, now.custom


# 4. resume double-counts the rejects of the interrupted run
def test_resume_counts_earlier_rejects_once(db, admin, tmp_path, monkeypatch):
    rows = [["Name", "Email"], ["A", "bad@"], ["B", "b@b.ru"], ["C", "c@c.ru"], ["D", "d@d.ru"]]
    path = write_csv(tmp_path / "r.csv", rows)
    real = imports.record_progress
    calls = {"n": 0}

    def boom(*a, **k):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(imports, "record_progress", boom)
    with pytest.raises(KeyboardInterrupt):
        run(db, admin, path, batch_size=2)
    monkeypatch.setattr(imports, "record_progress", real)
    report = run(db, admin, path, batch_size=2, resume=True)
    assert report.rows == 4
    assert report.created == 3
    assert report.rejected == 1, report.rejected


# 5. an id too big for a 64-bit integer crashes the import (SQLite)
def test_huge_id_is_a_rejected_row(db, admin, tmp_path):
    rows = [["ID", "Name"], ["99999999999999999999", "X"], ["", "Y"]]
    report = run(db, admin, write_csv(tmp_path / "h.csv", rows))
    assert report.created == 1 and report.rejected == 1


def test_huge_client_id_in_contacts(db, admin, tmp_path):
    rows = [["Full name", "Client ID"], ["Ann", "99999999999999999999"]]
    report = run(db, admin, write_csv(tmp_path / "h.csv", rows), entity="contacts")
    assert report.rejected == 1


# 6. round trip: the owner resolves by full name, the first of two namesakes wins
def test_round_trip_keeps_the_owner_of_a_namesake(db, admin, tmp_path):
    with db.write() as s:
        org.add_department(s, admin, "Sales")
        org.add_user(s, admin, "ivan1", role="manager", department="Sales", full_name="Ivan Petrov")
        org.add_user(s, admin, "ivan2", role="manager", department="Sales", full_name="Ivan Petrov")
        ivan2 = org.actor_by_login(s, "ivan2")
        c = clients.create_client(s, admin, {"name": "Alpha", "owner_id": ivan2.id})
    path = tmp_path / "all.xlsx"
    _export(db, admin, path)
    report = run(db, admin, path)
    with db.read() as s:
        now = clients.get_client(s, admin, c.id)
    assert now.owner_id == ivan2.id, (report.outcomes, now.owner_id)
    assert report.unchanged == 1


def test_round_trip_with_a_deactivated_owner(db, admin, tmp_path):
    with db.write() as s:
        org.add_department(s, admin, "Sales")
        org.add_user(s, admin, "gone", role="manager", department="Sales", full_name="Gone Person")
        gone = org.actor_by_login(s, "gone")
        clients.create_client(s, admin, {"name": "Alpha", "owner_id": gone.id})
        org.update_user(s, admin, "gone", active=False)
    path = tmp_path / "all.xlsx"
    _export(db, admin, path)
    report = run(db, admin, path)
    assert (report.unchanged, report.rejected) == (1, 0), report.outcomes


# 7. round trip of unedited values
def test_round_trip_custom_date_is_unchanged(db, admin, tmp_path):
    with db.write() as s:
        custom_fields.define_field(s, admin, key="since", kind="date", label="Since")
        clients.create_client(s, admin, {"name": "Alpha", "custom": {"since": "2024-03-01"}})
    path = tmp_path / "all.xlsx"
    _export(db, admin, path)
    report = run(db, admin, path)
    assert (report.unchanged, report.updated, report.rejected) == (1, 0, 0), report.outcomes


def test_round_trip_tag_with_comma_is_unchanged(db, admin, tmp_path):
    with db.write() as s:
        c = clients.create_client(s, admin, {"name": "Alpha", "tags": ["опт, розница"]})
    path = tmp_path / "all.xlsx"
    _export(db, admin, path)
    report = run(db, admin, path)
    with db.read() as s:
        now = clients.get_client(s, admin, c.id)
    assert now.tags == ["опт, розница"], (report.outcomes, now.tags)


def test_round_trip_bank_details_with_blank_line_is_unchanged(db, admin, tmp_path):
    with db.write() as s:
        clients.create_client(s, admin, {"name": "Alpha", "bank_details": "р/с 1\n\nБИК 2"})
    path = tmp_path / "all.xlsx"
    _export(db, admin, path)
    report = run(db, admin, path)
    assert (report.unchanged, report.updated) == (1, 0), report.outcomes


# 8. a row that matched an existing client does not teach its other keys to the index
def test_later_row_with_the_phone_of_a_merged_row_is_a_duplicate(db, admin, tmp_path):
    with db.write() as s:
        clients.create_client(s, admin, {"name": "Alpha", "tax_id": inn(1)})
    rows = [
        ["Name", "INN", "Phone"],
        ["Alpha", inn(1), "+7 495 111-22-33"],
        ["Alpha Moscow office", "", "+7 495 111-22-33"],
    ]
    report = run(db, admin, write_csv(tmp_path / "m.csv", rows), on_duplicate="update")
    assert report.created == 0, report.outcomes


# 9. --resume without --batch-size silently re-imports the whole file
def test_resume_without_batch_size_does_not_redo_committed_rows(db, admin, tmp_path, monkeypatch):
    rows = [["Name"], ["A"], ["B"], ["C"], ["D"]]
    path = write_csv(tmp_path / "r.csv", rows)
    real = imports.record_progress
    calls = {"n": 0}

    def boom(*a, **k):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(imports, "record_progress", boom)
    with pytest.raises(KeyboardInterrupt):
        run(db, admin, path, batch_size=2, on_duplicate="create")
    monkeypatch.setattr(imports, "record_progress", real)
    report = run(db, admin, path, resume=True, on_duplicate="create")
    with db.read() as s:
        n = s.execute(sa.text("select count(*) from client")).scalar()
        runs = imports.list_imports(s, admin)
    assert n == 4, (n, report.resumed_from, [(r.id, r.status) for r in runs])


def test_contacts_round_trip_unchanged(db, admin, tmp_path):
    from termcrm.services import contacts

    with db.write() as s:
        c = clients.create_client(s, admin, {"name": "Alpha"})
        contacts.create_contact(
            s,
            admin,
            c.id,
            {
                "full_name": "Ann Lee",
                "position": "CEO",
                "phones": ["+7 916 555-44-33"],
                "emails": ["ann@alpha.ru"],
                "birthday": __import__("datetime").date(1980, 5, 14),
                "notes": "likes tea\n\ncalls after 10",
            },
        )
    path = tmp_path / "contacts.xlsx"
    with db.read() as s:
        export(s, admin, "contacts", "xlsx", path, client_filter=ClientFilter(), tz=UTC)
    report = run(db, admin, path, entity="contacts")
    assert (report.unchanged, report.updated, report.rejected, report.created) == (1, 0, 0, 0), (
        report.outcomes
    )
