"""`termcrm import shipments | payments | plans` on SQLite and PostgreSQL: csv and xlsx
with 1C-style titles, a second load changes nothing, a changed row updates, bad rows are
rejected with their row numbers and reasons, and only the back office loads facts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from termcrm.exchange.importer import ImportReport
from termcrm.exchange.sales_records import parse_day, parse_month
from termcrm.services import clients, org, products, sales_facts, sales_plans
from termcrm.services.errors import Forbidden
from test_funnel import Team, make_team
from test_import import run, write_csv

SHIP_HEAD = [
    "Дата", "Контрагент", "Номенклатура", "Группа номенклатуры", "Количество", "Сумма",
    "Валюта", "Номер документа", "Менеджер", "Внешний код",
]  # fmt: skip
PAY_HEAD = ["Date", "Customer", "Amount", "Currency", "Document", "External ID"]
PLAN_HEAD = ["Месяц", "Сотрудник", "Отдел", "План", "Валюта"]


@pytest.fixture
def team(db, admin) -> Team:
    with db.write() as s:
        t = make_team(s, admin)
        products.add_product(
            s, admin, {"sku": "P-1", "name": "Paper A4", "unit": "box", "category": "Paper"}
        )
        return t


def write_xlsx(path: Path, rows: list[list[Any]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def write(path: Path, rows: list[list[Any]]) -> Path:
    return write_xlsx(path, rows) if path.suffix == ".xlsx" else write_csv(path, rows)


def counts(report: ImportReport) -> tuple[int, int, int, int]:
    return report.created, report.updated, report.unchanged, report.rejected


def shipment_rows(amount: Any = "1 200,50", day: Any = "02.03.2026") -> list[list[Any]]:
    return [
        SHIP_HEAD,
        # the product by name, its group from the catalog, the manager: the client's owner
        [day, "Client of rep", "Paper A4", "", "3", amount, "RUB", "РН-17", "", "1C-RN-17-1"],
        # a return to the same client, no product, sue's client sold by sue herself
        ["2026-03-05", "Client of sue", "", "Services", "-1", "-500", "", "РН-18", "sue",
         "1C-RN-18-1"],
    ]  # fmt: skip


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_shipments_load_twice_then_a_change_updates(db, team, tmp_path, suffix):
    path = write(tmp_path / f"ship{suffix}", shipment_rows())
    first = run(db, team.admin, path, "shipments")
    assert counts(first) == (2, 0, 0, 0), first.outcomes
    again = run(db, team.admin, path, "shipments")
    assert counts(again) == (0, 0, 2, 0)
    changed = write(tmp_path / f"ship2{suffix}", shipment_rows(amount="1300"))
    third = run(db, team.admin, changed, "shipments")
    assert counts(third) == (0, 1, 1, 0)
    with db.read() as s:
        rows = {r.external_id: r for r in sales_facts.list_shipments(s, team.admin)}
    assert set(rows) == {"1C-RN-17-1", "1C-RN-18-1"}
    sold, back = rows["1C-RN-17-1"], rows["1C-RN-18-1"]
    assert (sold.shipped_on, sold.amount, sold.quantity) == (
        date(2026, 3, 2),
        Decimal("1300.00"),
        Decimal("3.000"),
    )
    assert (sold.product, sold.product_group, sold.manager_id, sold.document) == (
        "Paper A4",
        "Paper",
        team.rep.id,
        "РН-17",
    )
    assert (back.amount, back.quantity, back.product_id, back.product_group) == (
        Decimal("-500.00"),
        Decimal("-1.000"),
        None,
        "Services",
    )
    assert (back.manager_id, back.currency) == (team.sue.id, "RUB")


def test_an_excel_date_cell_and_serial_and_rows_without_external_id(db, team, tmp_path):
    rows = [
        ["Date", "Client", "SKU", "Amount", "External ID"],
        [date(2026, 4, 1), "Client of rep", "p-1", 10, "x-1"],
        [46115, "Client of rep", "", 20, ""],  # 2026-04-03 as Excel counts days
    ]
    path = write_xlsx(tmp_path / "ship.xlsx", rows)
    assert counts(run(db, team.admin, path, "shipments")) == (2, 0, 0, 0)
    # without an external id a row cannot be recognised: loading it again adds it again
    assert counts(run(db, team.admin, path, "shipments")) == (1, 0, 1, 0)
    with db.read() as s:
        days = sorted(r.shipped_on for r in sales_facts.list_shipments(s, team.admin))
    assert days == [date(2026, 4, 1), date(2026, 4, 3), date(2026, 4, 3)]


def test_a_sale_of_a_user_who_has_left_stays_theirs(db, team, tmp_path):
    with db.write() as s:
        org.update_user(s, team.admin, "kid", active=False)
    rows = [SHIP_HEAD, ["2025-06-01", "Client of kid", "", "", "1", "10", "", "", "Kid", "k-1"]]
    assert counts(run(db, team.admin, write_csv(tmp_path / "k.csv", rows), "shipments")) == (
        1, 0, 0, 0,
    )  # fmt: skip
    with db.read() as s:
        assert [r.manager_id for r in sales_facts.list_shipments(s, team.admin)] == [team.kid.id]


def test_bad_shipment_rows_are_rejected_with_row_numbers(db, team, tmp_path):
    rows = [
        SHIP_HEAD,
        ["02.03.2026", "Nobody Ltd", "", "", "1", "100", "RUB", "", "", "b-2"],
        ["02.03.2026", "Client of rep", "", "", "1", "a lot", "RUB", "", "", "b-3"],
        ["31.02.2026", "Client of rep", "", "", "1", "100", "RUB", "", "", "b-4"],
        ["02.03.2026", "Client of rep", "Ghost", "", "1", "100", "RUB", "", "", "b-5"],
        ["02.03.2026", "Client of rep", "", "", "1", "100", "RUBLES", "", "", "b-6"],
        ["02.03.2026", "Client of rep", "", "", "1", "100", "RUB", "", "nobody", "b-7"],
        ["02.03.2026", "Client of rep", "", "", "1", "100", "RUB", "", "", "b-8"],
    ]
    path = write_csv(tmp_path / "bad.csv", rows)
    report = run(db, team.admin, path, "shipments")
    assert counts(report) == (1, 0, 0, 6)
    why = {o.number: o.reason for o in report.outcomes if o.action == "reject"}
    assert sorted(why) == [2, 3, 4, 5, 6, 7]
    assert "no client you can see is called 'Nobody Ltd'" in why[2]
    assert "«Сумма»" in why[3] and "'a lot' is not an amount" in why[3]
    assert "«Дата»" in why[4] and "not a date" in why[4]
    assert "«Номенклатура»" in why[5] and "no product 'Ghost'" in why[5]
    assert "«Валюта»" in why[6] and "three-letter" in why[6]
    assert "«Менеджер»" in why[7] and "no active user 'nobody'" in why[7]
    assert report.rejects_path is not None and report.rejects_path.exists()
    # nothing lost: the fixed rows load from the rejects file
    with db.read() as s:
        assert [r.external_id for r in sales_facts.list_shipments(s, team.admin)] == ["b-8"]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_payments_load_twice_then_a_change_updates(db, team, tmp_path, suffix):
    rows = [
        PAY_HEAD,
        ["2026-03-10", "Client of rep", "1000", "RUB", "ПП-1", "1C-PP-1"],
        ["11.03.2026", "Client of sue", "250.5", "usd", "ПП-2", "1C-PP-2"],
    ]
    path = write(tmp_path / f"pay{suffix}", rows)
    assert counts(run(db, team.admin, path, "payments")) == (2, 0, 0, 0)
    assert counts(run(db, team.admin, path, "payments")) == (0, 0, 2, 0)
    rows[1][2] = "1100"
    changed = write(tmp_path / f"pay2{suffix}", rows)
    assert counts(run(db, team.admin, changed, "payments")) == (0, 1, 1, 0)
    with db.read() as s:
        got = {p.external_id: (p.paid_on, p.amount, p.currency) for p in
               sales_facts.list_payments(s, team.admin)}  # fmt: skip
    assert got == {
        "1C-PP-1": (date(2026, 3, 10), Decimal("1100.00"), "RUB"),
        "1C-PP-2": (date(2026, 3, 11), Decimal("250.50"), "USD"),
    }


def test_bad_payment_rows_and_the_access_rule(db, team, tmp_path):
    rows = [
        PAY_HEAD,
        ["2026-03-10", "Unknown", "1000", "RUB", "", "p-2"],
        ["2026-03-10", "Client of rep", "-5", "RUB", "", "p-3"],
        ["someday", "Client of rep", "5", "RUB", "", "p-4"],
        ["2026-03-10", "Client of rep", "5", "RUB", "", "p-5"],
    ]
    path = write_csv(tmp_path / "pay.csv", rows)
    report = run(db, team.admin, path, "payments")
    assert counts(report) == (1, 0, 0, 3)
    why = {o.number: o.reason for o in report.outcomes if o.action == "reject"}
    assert sorted(why) == [2, 3, 4]
    assert "cannot be negative" in why[3] and "«Amount»" in why[3]
    assert "'someday' is not a date" in why[4]
    # a rep (and a manager) is refused before a row is read; a director loads
    for who in (team.rep, team.manager):
        with pytest.raises(Forbidden, match="only an admin or a director loads"):
            run(db, who, path, "payments")
        with pytest.raises(Forbidden):
            run(db, who, write_csv(tmp_path / "s.csv", shipment_rows()), "shipments")
    assert counts(run(db, team.director, path, "payments"))[2] == 1  # p-5 is there already


def plan_rows(amount: str = "100000") -> list[list[Any]]:
    return [
        PLAN_HEAD,
        ["2026-12", "rep", "", amount, "RUB"],
        ["01.11.2026", "Sue", "", "50000", ""],  # a day of the month; a full name
        ["2026-12", "", "North", "900000", "RUB"],  # a department by name
        ["12.2026", "", "North / Retail", "300 000", "RUB"],  # by path
    ]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_plans_load_twice_then_a_change_updates(db, team, tmp_path, suffix):
    path = write(tmp_path / f"plan{suffix}", plan_rows())
    first = run(db, team.admin, path, "plans")
    assert counts(first) == (4, 0, 0, 0), first.outcomes
    assert counts(run(db, team.admin, path, "plans")) == (0, 0, 4, 0)
    changed = write(tmp_path / f"plan2{suffix}", plan_rows(amount="120000"))
    assert counts(run(db, team.admin, changed, "plans")) == (0, 1, 3, 0)
    with db.read() as s:
        got = {
            (p.month, p.user or p.department, p.amount, p.currency, p.version)
            for p in sales_plans.plans(s, team.admin)
        }
    assert got == {
        (date(2026, 12, 1), "Rep", Decimal("120000.00"), "RUB", 2),
        (date(2026, 11, 1), "Sue", Decimal("50000.00"), "RUB", 1),
        (date(2026, 12, 1), "North", Decimal("900000.00"), "RUB", 1),
        (date(2026, 12, 1), "North / Retail", Decimal("300000.00"), "RUB", 1),
    }


def test_bad_plan_rows_and_who_sets_plans(db, team, tmp_path):
    rows = [
        PLAN_HEAD,
        ["2026-13", "rep", "", "1000", "RUB"],
        ["2026-12", "rep", "North", "1000", "RUB"],
        ["2026-12", "", "", "1000", "RUB"],
        ["2026-12", "rep", "", "much", "RUB"],
        ["2026-12", "", "Atlantis", "1000", "RUB"],
        ["2026-12", "kid", "", "1000", "RUB"],
    ]
    path = write_csv(tmp_path / "plans.csv", rows)
    report = run(db, team.admin, path, "plans")
    assert counts(report) == (1, 0, 0, 5)
    why = {o.number: o.reason for o in report.outcomes if o.action == "reject"}
    assert sorted(why) == [2, 3, 4, 5, 6]
    assert "'2026-13' is not a month" in why[2]
    assert "gives both" in why[3]
    assert "no user and no department" in why[4]
    assert "'much' is not an amount" in why[5]
    assert "no department named 'Atlantis'" in why[6]
    # a rep is refused up front; a manager sets the plans of their department only
    with pytest.raises(Forbidden, match="a rep cannot set sales plans"):
        run(db, team.rep, path, "plans")
    mine = write_csv(
        tmp_path / "mgr.csv",
        [PLAN_HEAD, ["2027-01", "rep", "", "10", "RUB"], ["2027-01", "sue", "", "10", "RUB"]],
    )
    report = run(db, team.manager, mine, "plans")
    assert counts(report) == (1, 0, 0, 1)
    assert [o.number for o in report.outcomes if o.action == "reject"] == [3]


def test_month_and_day_cells():
    assert parse_month("2026-12") == date(2026, 12, 1)
    assert parse_month("2026/3") == date(2026, 3, 1)
    assert parse_month("03.2026") == date(2026, 3, 1)
    assert parse_month("2026-12-17") == date(2026, 12, 1)
    assert parse_month(46000) == date(2025, 12, 1)  # 2025-12-09 as Excel counts days
    assert parse_day("46115") == date(2026, 4, 3)
    for bad in ("2026-13", "December", "13.2026", ""):
        with pytest.raises(ValueError):
            parse_month(bad)


def test_undo_of_a_facts_import_is_refused_with_the_reason(db, team, tmp_path):
    from termcrm.services import imports
    from termcrm.services.errors import CrmError

    report = run(db, team.admin, write(tmp_path / "ship.csv", shipment_rows()), "shipments")
    assert report.import_id is not None
    with pytest.raises(CrmError, match="external id"), db.write() as s:
        imports.undo_import(s, team.admin, report.import_id)
    with db.read() as s:
        assert len(sales_facts.list_shipments(s, team.admin)) == 2  # nothing was taken back


@pytest.mark.parametrize("batch_size", [None, 2])
def test_a_chunk_is_saved_as_rows_one_after_another(db, team, tmp_path, batch_size):
    """The facts of a chunk are looked up and written together: an external id twice in
    the file is created, then updated; a name two clients share is refused with the
    reason; a client named by tax id; with --batch-size, across batches as well."""
    with db.write() as s:
        for name in ("Twin", "Twin"):
            clients.create_client(s, team.admin, {"name": name, "owner_id": team.rep.id})
        taxed = clients.create_client(
            s, team.admin, {"name": "Taxed", "tax_id": "7707083893", "owner_id": team.rep.id}
        ).id
    head = ["Дата", "Контрагент", "ИНН", "Сумма", "Внешний код"]
    rows = [
        head,
        ["02.03.2026", "Client of rep", "", "100", "x-1"],
        ["02.03.2026", "Twin", "", "100", "x-2"],
        ["02.03.2026", "", "7707083893", "50", "x-3"],
        ["02.03.2026", "Client of rep", "", "100", "x-1"],  # the same: unchanged
        ["02.03.2026", "Client of rep", "", "120", "x-1"],  # changed: updated
    ]
    report = run(db, team.admin, write_csv(tmp_path / "dup.csv", rows), "shipments",
                 batch_size=batch_size)  # fmt: skip
    assert counts(report) == (2, 1, 1, 1)  # created, updated, unchanged, rejected
    twin, same, changed = report.outcomes  # the rows that were not simply created
    assert (twin.number, twin.action) == (3, "reject")
    assert "2 clients are called 'Twin'" in twin.reason
    assert [(o.number, o.action) for o in (same, changed)] == [(5, "unchanged"), (6, "update")]
    assert same.record_id == changed.record_id
    with db.read() as s:
        facts = {r.external_id: (r.client_id, r.amount) for r in
                 sales_facts.list_shipments(s, team.admin)}  # fmt: skip
    assert facts == {
        "x-1": (team.client["rep"], Decimal("120.00")),
        "x-3": (taxed, Decimal("50.00")),
    }


def test_a_batch_the_database_refuses_goes_again_row_by_row(db, team, tmp_path, monkeypatch):
    """A batch that breaks a rule no check knows of (here: ids that collide, as a
    concurrent load could make them) is not lost: its rows are saved one by one, and
    only a row that still breaks it is rejected."""
    from termcrm.store import bulk

    with db.write() as s:
        taken = sales_facts.save_shipment(
            s, team.admin, shipped_on=date(2026, 3, 1), client_id=team.client["rep"],
            amount=1, external_id="taken",
        ).id  # fmt: skip
    real_take = bulk.IdAllocator.take
    batches: list[int] = []

    def colliding(self: bulk.IdAllocator, table: Any, n: int) -> list[int]:
        ids = real_take(self, table, n)
        batches.append(n)
        return [taken, *ids[1:]] if n > 1 else ids  # a batch collides; one row does not

    monkeypatch.setattr(bulk.IdAllocator, "take", colliding)
    rows = [
        SHIP_HEAD,
        ["02.03.2026", "Client of rep", "", "", "1", "100", "RUB", "", "", "r-1"],
        ["02.03.2026", "Client of rep", "", "", "1", "200", "RUB", "", "", "r-2"],
    ]
    report = run(db, team.admin, write_csv(tmp_path / "r.csv", rows), "shipments")
    assert counts(report) == (2, 0, 0, 0)
    assert batches == [2, 1, 1]  # the batch, then its rows one by one
    with db.read() as s:
        assert {r.external_id for r in sales_facts.list_shipments(s, team.admin)} == {
            "taken", "r-1", "r-2",
        }  # fmt: skip


def test_the_bulk_insert_reports_a_broken_rule_as_sqlalchemy_does(db, team):
    import sqlalchemy as sa

    from termcrm.store import bulk
    from termcrm.store.tables import Shipment, table

    with db.write() as s:
        first = sales_facts.save_shipment(
            s, team.admin, shipped_on=date(2026, 3, 1), client_id=team.client["rep"], amount=1
        )
        row = {
            "id": first.id, "shipped_on": date(2026, 3, 1), "client_id": team.client["rep"],
            "product_group": "", "quantity": 0, "amount": 1, "currency": "RUB", "document": "",
            "manager_id": team.rep.id, "created_at": first_created(s, first.id),
            "updated_at": first_created(s, first.id),
        }  # fmt: skip
        with pytest.raises(sa.exc.IntegrityError), s.begin_nested():
            bulk.bulk_insert(s, table(Shipment), [row])


def first_created(s: Any, fact_id: int) -> Any:
    import sqlalchemy as sa

    from termcrm.store.tables import Shipment, table

    t = table(Shipment)
    return s.execute(sa.select(t.c.created_at).where(t.c.id == fact_id)).scalar_one()


def test_clients_by_id_are_looked_up_per_chunk_and_refused_with_reasons(db, team, tmp_path):
    with db.write() as s:
        gone = clients.create_client(s, team.admin, {"name": "Gone", "owner_id": team.rep.id})
        clients.delete_client(s, team.admin, gone.id)
    rows = [
        ["Date", "Client ID", "Amount", "External ID"],
        ["2026-03-02", str(team.client["rep"]), "100", "i-1"],
        ["2026-03-02", "99999", "100", "i-2"],
        ["2026-03-02", str(gone.id), "100", "i-3"],
        ["2026-03-02", "not a number", "100", "i-4"],
        ["2026-03-02", str(team.client["rep"]), "100", "i-5"],
    ]
    report = run(db, team.admin, write_csv(tmp_path / "ids.csv", rows), "shipments")
    assert counts(report) == (2, 0, 0, 3)
    why = {o.number: o.reason for o in report.outcomes if o.action == "reject"}
    assert sorted(why) == [3, 4, 5]
    assert "99999" in why[3] and "trash" in why[4] and "Client ID" in why[5]
