"""Import benchmark: `termcrm import clients` from xlsx against a raw pipeline and pandas.

    .venv/bin/python bench/bench_import.py [--rows 100000] [--dir PATH]

Writes (or reuses) an .xlsx of N clients x 12 columns (name, legal name, tax id,
group, status, industry, city, address, phone, email, website, source), then
times, each on a fresh migrated SQLite file:

- termcrm's import (``run_import``: mapping, validation through the services'
  ``_validate``, duplicate lookups, bulk writes with search text, audit entries);
- a raw pipeline doing the same work by hand on the same file: python-calamine
  read, the same phone and email validation calls (``normalise_phone``,
  ``normalise_email``), raw sqlite3 ``executemany`` of the rows;
- pandas.read_excel (default engine) followed by DataFrame.to_sql, which
  validates nothing.

Targets (issue 4): termcrm at most 1.5x the raw pipeline; faster than pandas.
Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from termcrm.services import org
from termcrm.services.validation import inn_with_checksum, normalise_email, normalise_phone
from termcrm.store import migrate
from termcrm.store.engine import Database

HEADERS = [
    "Name", "Legal name", "INN", "Group", "Status", "Industry", "City", "Address",
    "Phone", "Email", "Website", "Source",
]  # fmt: skip
CITIES = ["Москва", "Санкт-Петербург", "Казань", "Новосибирск", "Екатеринбург", "Самара"]
GROUPS = ["large wholesale", "small wholesale", "own retail"]


def make_workbook(path: Path, rows: int) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Clients")
    ws.append(HEADERS)
    for i in range(rows):
        ws.append(
            [
                f"Компания {i}",
                f"ООО «Компания {i}»",
                inn_with_checksum(f"77{i:07d}"),
                GROUPS[i % 3],
                "active",
                "торговля",
                CITIES[i % len(CITIES)],
                f"ул. Ленина, {i % 200}",
                f"+7 495 {i % 10_000_000:07d}",
                f"client{i}@example.ru",
                f"https://c{i}.example.ru",
                "exhibition",
            ]
        )
    wb.save(path)


def fresh_db(folder: Path, name: str) -> Database:
    path = folder / name
    path.unlink(missing_ok=True)
    db = Database(str(path))
    migrate.upgrade(db)
    return db


def time_termcrm(xlsx: Path, folder: Path) -> tuple[float, int]:
    from termcrm.exchange.importer import ImportOptions, run_import

    db = fresh_db(folder, "termcrm.db")
    with db.write() as s:
        admin = org.resolve_actor(s, "admin")
    start = time.perf_counter()
    report = run_import(db, admin, xlsx, ImportOptions(entity="clients", worker=True))
    took = time.perf_counter() - start
    db.dispose()
    return took, report.created


def time_raw(xlsx: Path, folder: Path) -> tuple[float, int]:
    """The same rows into the same schema (a fresh migrated file: indexes, FTS triggers),
    by hand: calamine, the same validation calls, executemany. No mapping, no duplicate
    lookups, no audit, no batching: what the importer adds is what the ratio measures."""
    from python_calamine import CalamineWorkbook

    from termcrm.services.text import build_search_body, fold

    fresh_db(folder, "raw.db").dispose()
    conn = sqlite3.connect(folder / "raw.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    start = time.perf_counter()
    sheet = CalamineWorkbook.from_path(str(xlsx)).get_sheet_by_index(0)
    rows = iter(sheet.iter_rows())
    next(rows)
    now = "2026-11-25 00:00:00.000000"
    clients, phones, emails, addresses = [], [], [], []
    for i, r in enumerate(rows, start=1):
        name, legal, inn, group, status, industry, city, line, raw_phone, raw_email = (
            str(v) for v in r[:10]
        )
        phone = normalise_phone(raw_phone, "RU")
        email, normalized = normalise_email(raw_email)
        body = build_search_body(
            [name, legal, inn, city, normalized, phone.digits, phone.national_digits]
        )
        clients.append(
            (i, "company", name, fold(name), legal, inn, group, status, industry, "", city,
             str(r[11]), str(r[10]), "", "", "{}", body, 1, now, now)
        )  # fmt: skip
        phones.append((i, phone.kind, phone.raw, phone.e164, phone.digits, "", 1, now, now))
        emails.append((i, "work", email, normalized, 1, now, now))
        addresses.append((i, "actual", "", "", city, line, 1, now, now))
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(
        "INSERT INTO client (id, kind, name, name_key, legal_name, tax_id, client_group, status, "
        "industry, territory, city, source, website, bank_details, business_info, custom, "
        "search_body, version, created_at, updated_at) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        clients,
    )
    conn.executemany(
        "INSERT INTO phone (client_id, kind, raw, e164, digits, extension, version, created_at, "
        "updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
        phones,
    )
    conn.executemany(
        "INSERT INTO email (client_id, kind, address, normalized, version, created_at, "
        "updated_at) VALUES (?,?,?,?,?,?,?)",
        emails,
    )
    conn.executemany(
        "INSERT INTO address (client_id, kind, country, postcode, city, line, version, "
        "created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
        addresses,
    )
    conn.execute("COMMIT")
    took = time.perf_counter() - start
    conn.close()
    return took, len(clients)


def time_pandas(xlsx: Path, folder: Path) -> tuple[float, int] | None:
    try:
        import pandas as pd
    except ImportError:
        return None
    path = folder / "pandas.db"
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path)
    start = time.perf_counter()
    frame = pd.read_excel(xlsx, engine="openpyxl")  # the default engine of pandas 2
    frame.to_sql("client", conn, index=False)
    conn.commit()
    took = time.perf_counter() - start
    conn.close()
    return took, len(frame)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "termcrm-bench")
    args = parser.parse_args()
    folder: Path = args.dir
    folder.mkdir(parents=True, exist_ok=True)
    xlsx = folder / f"clients-{args.rows}.xlsx"
    if not xlsx.exists():
        print(f"writing {xlsx} ...", file=sys.stderr)
        make_workbook(xlsx, args.rows)
    raw, raw_rows = time_raw(xlsx, folder)
    ours, our_rows = time_termcrm(xlsx, folder)
    print(f"rows: {args.rows:,} x {len(HEADERS)} columns ({xlsx})")
    print(f"raw pipeline (calamine, same checks, executemany):       {raw:7.2f} s "
          f"({raw_rows / raw:,.0f} rows/s)")  # fmt: skip
    print(f"termcrm import clients:                                  {ours:7.2f} s "
          f"({our_rows / ours:,.0f} rows/s)  ratio {ours / raw:.2f}x (target <= 1.5x)")  # fmt: skip
    pandas = time_pandas(xlsx, folder)
    if pandas is None:
        print("pandas: not installed (pip install -e '.[bench]')")
    else:
        took, _n = pandas
        verdict = "faster" if ours < took else "SLOWER"
        print(f"pandas read_excel + to_sql (no validation):               {took:7.2f} s "
              f"-> termcrm is {verdict} ({took / ours:.2f}x)")  # fmt: skip


if __name__ == "__main__":
    main()
