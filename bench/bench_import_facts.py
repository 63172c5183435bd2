"""Facts import benchmark: `termcrm import shipments` from xlsx against a raw pipeline.

    .venv/bin/python bench/bench_import_facts.py [--rows 100000] [--clients 5000] [--dir PATH]

Writes (or reuses) an .xlsx of N shipment lines as an accounting system exports them
(date, the buyer's tax id, SKU, quantity, amount, currency, document, the line's
external id) of ``--clients`` clients and 40 products, then times, each on a fresh
migrated SQLite file holding those clients and products:

- termcrm's import (``run_import``: mapping, the client by tax id and the product by
  SKU, checks, upsert by external id in batches: ``sales_facts.save_shipments``);
- a raw pipeline doing the same by hand: python-calamine read, the clients and products
  read into dicts, the amounts parsed with ``Decimal``, raw sqlite3 ``executemany``.
  No external id lookups (the table is empty), no row errors to report.

Then the same file again with termcrm (every row unchanged: the upsert's other side).
Issue 7 sets no target for this import; the clients import's (issue 4) is 1.5x its raw
pipeline, printed here for comparison. Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from termcrm.services import org
from termcrm.services.validation import inn_with_checksum
from termcrm.store import migrate
from termcrm.store.engine import Database

HEADERS = ["Дата", "ИНН покупателя", "Артикул", "Количество", "Сумма", "Валюта", "Документ",
           "Внешний код"]  # fmt: skip
PRODUCTS = 40
NOW = "2026-11-25 00:00:00.000000"


def tax_id(i: int) -> str:
    return inn_with_checksum(f"77{i:08d}")


def make_workbook(path: Path, rows: int, clients: int) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Реализация")
    ws.append(HEADERS)
    start = date(2025, 1, 1)
    for i in range(rows):
        qty = 1 + i % 17
        ws.append(
            [
                start + timedelta(days=i % 600),
                tax_id(i * 7919 % clients),
                f"SKU-{i % PRODUCTS:03d}",
                qty,
                float(Decimal(qty * (100 + i % 900)) + Decimal("0.50")),
                "RUB",
                f"РН-{i // 5:07d}",
                f"1C:RN:{i}",
            ]
        )
    wb.save(path)


def fresh_db(folder: Path, name: str, clients: int) -> Path:
    """A migrated file with the admin, ``clients`` clients and the products."""
    path = folder / name
    path.unlink(missing_ok=True)
    db = Database(str(path))
    migrate.upgrade(db)
    with db.write() as s:
        admin = org.resolve_actor(s, "admin")
    db.dispose()
    conn = sqlite3.connect(path)
    conn.executemany(
        "INSERT INTO client (kind, name, name_key, legal_name, tax_id, client_group, status, "
        "industry, territory, city, source, website, bank_details, business_info, custom, "
        "search_body, owner_id, version, created_at, updated_at) "
        "VALUES ('company', ?, ?, '', ?, '', 'active', '', '', '', '', '', '', '', '{}', ?, ?, "
        "1, ?, ?)",
        [
            (f"Client {i}", f"client {i}", tax_id(i), f"client {i} {tax_id(i)}", admin.id, NOW,
             NOW)
            for i in range(clients)
        ],
    )  # fmt: skip
    conn.executemany(
        "INSERT INTO product (sku, name, unit, category, description, active, version, "
        "created_at, updated_at) VALUES (?, ?, 'pcs', ?, '', 1, 1, ?, ?)",
        [(f"SKU-{i:03d}", f"Product {i}", f"Group {i % 5}", NOW, NOW) for i in range(PRODUCTS)],
    )
    conn.commit()
    conn.close()
    return path


def time_termcrm(xlsx: Path, db_path: Path) -> tuple[float, int, float, int]:
    """(seconds, created) of the first load, (seconds, unchanged) of the same file again."""
    from termcrm.exchange.importer import ImportOptions, run_import

    db = Database(str(db_path))
    with db.read() as s:
        admin = org.resolve_actor(s, "admin")
    options = ImportOptions(entity="shipments", worker=True)
    start = time.perf_counter()
    first = run_import(db, admin, xlsx, options)
    took = time.perf_counter() - start
    assert first.rejected == 0, first.outcomes[:3]
    start = time.perf_counter()
    again = run_import(db, admin, xlsx, options)
    took_again = time.perf_counter() - start
    db.dispose()
    return took, first.created, took_again, again.unchanged


def time_raw(xlsx: Path, db_path: Path) -> tuple[float, int]:
    from python_calamine import CalamineWorkbook

    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    start = time.perf_counter()
    clients = dict(conn.execute("SELECT tax_id, id FROM client"))
    owners = dict(conn.execute("SELECT id, owner_id FROM client"))
    products = {sku: (pid, group) for sku, pid, group in
                conn.execute("SELECT sku, id, category FROM product")}  # fmt: skip
    sheet = CalamineWorkbook.from_path(str(xlsx)).get_sheet_by_index(0)
    rows = iter(sheet.iter_rows())
    next(rows)
    lines = []
    for day, tax, sku, qty, amount, currency, document, external in rows:
        client = clients[str(tax)]
        product, group = products[sku]
        lines.append(
            (str(day)[:10], client, product, group, str(Decimal(str(qty)).quantize(Decimal(
                "0.001"))), str(Decimal(str(amount)).quantize(Decimal("0.01"))), currency,
             document, owners[client], external, NOW, NOW)
        )  # fmt: skip
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(
        "INSERT INTO shipment (shipped_on, client_id, product_id, product_group, quantity, "
        "amount, currency, document, manager_id, external_id, created_at, updated_at) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        lines,
    )
    conn.execute("COMMIT")
    took = time.perf_counter() - start
    conn.close()
    return took, len(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=5_000)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "termcrm-bench")
    args = parser.parse_args()
    folder: Path = args.dir
    folder.mkdir(parents=True, exist_ok=True)
    xlsx = folder / f"shipments-{args.rows}-{args.clients}.xlsx"
    if not xlsx.exists():
        print(f"writing {xlsx} ...", file=sys.stderr)
        make_workbook(xlsx, args.rows, args.clients)
    raw, raw_rows = time_raw(xlsx, fresh_db(folder, "facts-raw.db", args.clients))
    ours, created, again, unchanged = time_termcrm(
        xlsx, fresh_db(folder, "facts-termcrm.db", args.clients)
    )
    print(f"rows: {args.rows:,} shipment lines of {args.clients:,} clients ({xlsx})")
    print(f"raw pipeline (calamine, dict lookups, executemany):   {raw:7.2f} s "
          f"({raw_rows / raw:,.0f} rows/s)")  # fmt: skip
    print(f"termcrm import shipments:                             {ours:7.2f} s "
          f"({created / ours:,.0f} rows/s)  ratio {ours / raw:.2f}x (the clients import's "
          "target: 1.5x)")  # fmt: skip
    print(f"the same file again (all unchanged):                  {again:7.2f} s "
          f"({unchanged / again:,.0f} rows/s)")  # fmt: skip


if __name__ == "__main__":
    main()
