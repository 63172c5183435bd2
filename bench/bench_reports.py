"""Reports benchmark: each report of ``reports/registry.REPORTS`` for the director (all)
and for one rep, against the raw driver (sqlite3, or psycopg on PostgreSQL) running
hand-written aggregate SQL of the same shape on the same database; and the whole
nightly batch (``reports/nightly.run_nightly``) against the raw libraries doing the same
work (see "The nightly line" below).

    .venv/bin/python bench/bench_reports.py [--clients 100000] [--interactions 1000000]
        [--shipments 2000000] [--deals 50000] [--tasks 200000]
        [--db PATH | --url postgresql+psycopg://postgres@127.0.0.1:5432/DB] [--rebuild]
        [--login dorlov] [--runs 7] [--warmup 1] [--only NAME ...] [--explain]
        [--no-nightly] [--nightly-runs 3] [--build-only]

The data set (built once, then reused; ``--rebuild`` builds it again):

1. the demo team, ``--clients`` clients and ``--deals`` deals with ~10 stage changes
   each: ``bench_funnel.build`` (imported, not copied);
2. ``--interactions`` journal entries over the last two years (85% by the client's
   owner), ``--tasks`` tasks (done, open, some overdue, a few repeating);
3. a catalog of 40 products and ``--shipments`` shipment lines over the last 30 months
   (85% RUB, 10% USD, 5% CNY; 60% of clients buy, each most months; 1.5% returns; the
   manager is the client's owner), a payment per two lines, and RUB plans per user and
   department for every month of last year and this one.

Rows go in through ``store/bulk.py`` in one transaction per stage (COPY on
PostgreSQL). The SQLite file is ``termcrm-bench-reports-<shipments>.db`` in the temp
directory (``--db`` to choose); a marker table (``bench_reports_built``: the sizes and
the seed) written when a build completes says it can be reused, on both backends.

Then, with a warm cache (``--warmup`` untimed runs before ``--runs`` timed runs,
alternating with the raw counterpart; medians), each report over this calendar year.
Target (issue 7): at most 1.5x raw. Not a test: it prints figures.

The client report reads one client: a dozen statements of a few rows each, so its
figure is mostly the cost of issuing statements. A line under it runs its raw SQL
through SQLAlchemy's lowest layer (``exec_driver_sql``): the toolkit's own cost for
that SQL, the floor under termcrm's figure.

The nightly line: ``run_nightly`` for the director over the same year (every nightly
report, its sheet and charts, the Summary, the file saved), against a raw counterpart
doing the same work with the raw libraries: the raw SQL of every report the batch holds
(the ``raw_*`` functions below, the director's), then the same cells written with raw
openpyxl in write-only mode (plain values, no styles, no charts) to a file. The cells
are those of the workbook termcrm wrote in an untimed first run, read back (untimed)
with openpyxl read-only: each sheet's rows of plain values, trailing empty cells left
out. One untimed run of each, then ``--nightly-runs`` timed runs, alternating; medians,
the raw figure's SQL and writing parts printed apart. The nightly line does not depend
on ``--only``: its raw SQL is run for it.
"""

from __future__ import annotations

import argparse
import random
import re
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

import bench_funnel
from bench_store import remove_db, say
from termcrm import i18n
from termcrm.store import bulk
from termcrm.store.engine import Database, normalise_url
from termcrm.store.tables import (
    Client,
    Department,
    Interaction,
    Payment,
    Product,
    SalesPlan,
    Shipment,
    Task,
    User,
    table,
)
from timing import Op, run, session, timed

client_t = table(Client)
user_t = table(User)
dept_t = table(Department)
TARGET_RATIO = 1.5
MARKER = "bench_reports_built"
BATCH = 50_000
KINDS = ("call", "call", "call", "email", "email", "meeting", "visit", "message", "letter")
CURRENCIES = (("RUB", 0.85, Decimal(1)), ("USD", 0.95, Decimal(90)), ("CNY", 1.0, Decimal(12)))
GROUPS = ("Paper", "Packaging", "Office supplies", "Printing", "Services")


def _sizes(args: argparse.Namespace) -> tuple[int, ...]:
    return (args.clients, args.interactions, args.shipments, args.deals, args.tasks, args.seed)


# -------------------------------------------------------------------- building


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def build_history(db: Database, args: argparse.Namespace) -> None:
    """Journal entries and tasks of the clients already there."""
    rng = random.Random(args.seed * 7 + 1)
    now = _now()
    with db.write() as s, bulk.bulk_loading(s):
        owners = s.execute(sa.select(client_t.c.id, client_t.c.owner_id)).all()
        managers = list(
            s.execute(sa.select(user_t.c.id).where(user_t.c.role == "manager")).scalars()
        )
        keys = ("version", "created_at", "updated_at", "deleted_at", "kind", "direction",
                "occurred_at", "purpose", "result", "user_id", "client_id")  # fmt: skip
        done = 0
        while done < args.interactions:
            n = min(BATCH, args.interactions - done)
            rows = []
            for _ in range(n):
                client_id, owner = rng.choice(owners)
                at = now - timedelta(seconds=rng.randrange(730 * 86400))
                user = owner if rng.random() < 0.85 else rng.choice(managers)
                rows.append((1, at, at, None, rng.choice(KINDS), "out", at, "Follow-up", "",
                             user, client_id))  # fmt: skip
            bulk.bulk_insert_tuples(s, table(Interaction), keys, rows)
            done += n
        say(f"  {done:,} journal entries")
        keys = ("version", "created_at", "updated_at", "deleted_at", "title", "kind", "due_at",
                "assignee_id", "author_id", "status", "notes", "client_id", "completed_at",
                "duration_min", "rrule", "series_start", "series_tz", "cancel_reason",
                "ical_uid")  # fmt: skip
        done = 0
        while done < args.tasks:
            n = min(BATCH, args.tasks - done)
            rows = []
            for i in range(n):
                client_id, owner = rng.choice(owners)
                due = now + timedelta(seconds=rng.randrange(-400 * 86400, 60 * 86400))
                status = "done" if due < now and rng.random() < 0.8 else "open"
                done_at = due + timedelta(hours=rng.randint(-24, 72)) if status == "done" else None
                rrule, start, zone = "", None, ""
                if status == "open" and (done + i) % 200 == 0:
                    rrule, start, zone = "FREQ=MONTHLY;BYDAY=1MO", due, "Europe/Moscow"
                created = due - timedelta(days=rng.randint(1, 14))
                rows.append((1, created, done_at or created, None, "Call back", "call", due,
                             owner, owner, status, "", client_id, done_at, 15, rrule, start,
                             zone, "", ""))  # fmt: skip
            bulk.bulk_insert_tuples(s, table(Task), keys, rows)
            done += n
        say(f"  {done:,} tasks")


def build_facts(db: Database, args: argparse.Namespace) -> None:
    """Products, shipments, payments and plans."""
    rng = random.Random(args.seed * 7 + 2)
    now = _now()
    today = now.date()
    with db.write() as s, bulk.bulk_loading(s):
        ids = bulk.IdAllocator(s)
        product_ids = ids.take(table(Product), 40)
        prices = {}
        rows: list[tuple[Any, ...]] = []
        for i, pid in enumerate(product_ids):
            group = GROUPS[i % len(GROUPS)]
            prices[pid] = (group, Decimal(rng.randint(50, 5000)))
            rows.append((pid, 1, now, now, None, f"B-{i:03d}", f"Product {i}", "pcs", group,
                         "", True))  # fmt: skip
        bulk.bulk_insert_tuples(s, table(Product), (
            "id", "version", "created_at", "updated_at", "deleted_at", "sku", "name", "unit",
            "category", "description", "active"), rows)  # fmt: skip
        owners = s.execute(sa.select(client_t.c.id, client_t.c.owner_id)).all()
        buyers = [o for o in owners if rng.random() < 0.6]
        first_day = date(today.year - 2, today.month, 1) + timedelta(days=183)  # ~30 months
        span = (today - first_day).days
        ship_keys = ("shipped_on", "client_id", "product_id", "product_group", "quantity",
                     "amount", "currency", "document", "manager_id", "external_id",
                     "created_at", "updated_at")  # fmt: skip
        pay_keys = ("paid_on", "client_id", "amount", "currency", "document", "external_id",
                    "created_at", "updated_at")  # fmt: skip
        made = paid = 0
        while made < args.shipments:
            n = min(BATCH, args.shipments - made)
            lines: list[tuple[Any, ...]] = []
            pays: list[tuple[Any, ...]] = []
            for _ in range(n):
                made += 1
                client_id, owner = rng.choice(buyers)
                r = rng.random()
                currency, rate = next((c, k) for c, top, k in CURRENCIES if r < top)
                day = first_day + timedelta(days=rng.randrange(span + 1))
                pid = rng.choice(product_ids)
                group, price = prices[pid]
                qty = Decimal(rng.randint(1, 40))
                if rng.random() < 0.015:
                    qty = -qty
                amount = (qty * price / rate).quantize(Decimal("0.01"))
                at = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
                lines.append((day, client_id, pid, group, qty, amount, currency, f"RN-{made}",
                              owner, f"B-RN-{made}", at, at))  # fmt: skip
                if made % 2 == 0 and amount > 0:
                    paid_on = day + timedelta(days=rng.randint(0, 60))
                    if paid_on <= today:
                        paid += 1
                        pays.append((paid_on, client_id, amount * 2, currency, f"PP-{paid}",
                                     f"B-PP-{paid}", at, at))  # fmt: skip
            bulk.bulk_insert_tuples(s, table(Shipment), ship_keys, lines)
            bulk.bulk_insert_tuples(s, table(Payment), pay_keys, pays)
            if made % 500_000 == 0 or made == args.shipments:
                say(f"  {made:,} shipments, {paid:,} payments")
        users = list(s.execute(sa.select(user_t.c.id).where(user_t.c.role == "rep")).scalars())
        depts = list(s.execute(sa.select(dept_t.c.id)).scalars())
        plan_keys = ("month", "user_id", "department_id", "amount", "currency", "version",
                     "created_at", "updated_at")  # fmt: skip
        plans = []
        for year in (today.year - 1, today.year):
            for m in range(1, 13):
                for uid in users:
                    amount = Decimal(rng.randint(500, 1500) * 10_000)
                    plans.append((date(year, m, 1), uid, None, amount, "RUB", 1, now, now))
                for did in depts:
                    amount = Decimal(rng.randint(1000, 4000) * 10_000)
                    plans.append((date(year, m, 1), None, did, amount, "RUB", 1, now, now))
        bulk.bulk_insert_tuples(s, table(SalesPlan), plan_keys, plans)
        bulk.analyze(s, [table(Shipment), table(Payment), table(SalesPlan), table(Product)])


def build(db: Database, args: argparse.Namespace) -> None:
    started = time.perf_counter()
    bench_funnel.build(db, args.deals, 10, args.clients, args.seed)
    build_history(db, args)
    say(f"  history ({time.perf_counter() - started:.0f} s)")
    build_facts(db, args)
    say(f"  facts ({time.perf_counter() - started:.0f} s)")


def _sqlite_marker(path: Path) -> tuple[int, ...] | None:
    if not path.exists():
        return None
    conn = sqlite3.connect(path)
    try:
        row = conn.execute(f"SELECT * FROM {MARKER}").fetchone()
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    return None if row is None else tuple(int(v) for v in row)


MARKER_DDL = (
    f"CREATE TABLE {MARKER} (clients int, interactions int, shipments int, deals int, "
    "tasks int, seed int)"
)


def ensure(args: argparse.Namespace, path: Path) -> None:
    wanted = _sizes(args)
    if not args.rebuild and _sqlite_marker(path) == wanted:
        say(f"reusing {path}")
        return
    say(f"building {path}: {wanted}")
    started = time.perf_counter()
    remove_db(path)
    db = Database(str(path))
    build(db, args)
    db.dispose()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("ANALYZE")
    conn.execute(MARKER_DDL)
    conn.execute(f"INSERT INTO {MARKER} VALUES (?, ?, ?, ?, ?, ?)", wanted)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    say(f"  built in {time.perf_counter() - started:.0f} s")


def ensure_pg(args: argparse.Namespace, url: str) -> None:
    import psycopg

    name = make_url(url).database
    if not name or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) or name == "postgres":
        raise SystemExit(
            "--url needs a database of its own (letters, digits, _), not 'postgres': "
            "it is dropped and created again on a rebuild"
        )
    wanted = _sizes(args)
    have = None
    try:
        with psycopg.connect(bench_funnel.libpq(url), connect_timeout=5) as conn:
            row = conn.execute(f"SELECT * FROM {MARKER}").fetchone()
            have = None if row is None else tuple(int(v) for v in row)
    except (psycopg.OperationalError, psycopg.errors.UndefinedTable):
        have = None
    if not args.rebuild and have == wanted:
        say(f"reusing {make_url(url).render_as_string()}")
        return
    say(f"building {name}: {wanted}")
    started = time.perf_counter()
    with psycopg.connect(bench_funnel.libpq(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    db = Database(url)
    build(db, args)
    db.dispose()
    with psycopg.connect(bench_funnel.libpq(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        conn.execute(MARKER_DDL)
        conn.execute(f"INSERT INTO {MARKER} VALUES (%s, %s, %s, %s, %s, %s)", wanted)
    say(f"  built in {time.perf_counter() - started:.0f} s")


RawFn = Callable[[Any, dict[str, Any]], int]


# -------------------------------------------------------------------- raw SQL
# Hand-written, in SQLite's spelling; Raw.q() turns a statement into PostgreSQL's.
# {M:col} is a month number (year * 12 + month) of a date or time column.

_MONTH = re.compile(r"\{M:([a-z_.]+)\}")
SQLITE_MONTH = "(CAST(strftime('%Y', {0}) AS INTEGER) * 12 + CAST(strftime('%m', {0}) AS INTEGER))"
PG_MONTH = (
    "(CAST(EXTRACT(YEAR FROM {0}) AS INTEGER) * 12 + CAST(EXTRACT(MONTH FROM {0}) AS INTEGER))"
)


class Raw:
    """The raw driver's connection, the dialect's spelling, and the access rule."""

    def __init__(self, conn: Any, pg: bool) -> None:
        self.conn = conn
        self.pg = pg

    def q(self, sql: str) -> str:
        shape = PG_MONTH if self.pg else SQLITE_MONTH
        sql = _MONTH.sub(lambda m: shape.format(m[1]), sql)
        if self.pg:
            sql = bench_funnel.for_pg(sql)
            # the local days of the report's zone, as termcrm counts "done late"
            zone = i18n.zone().key
            sql = sql.replace("date(t.completed_at) <= date(t.due_at)",
                              f"(t.completed_at AT TIME ZONE '{zone}')::date <= "
                              f"(t.due_at AT TIME ZONE '{zone}')::date")  # fmt: skip
            sql = sql.replace("strftime('%m%d', ct.birthday)", "to_char(ct.birthday, 'MMDD')")
            sql = sql.replace(" IS 1", " IS TRUE")
        return sql

    def stamp(self, day: date) -> Any:
        """A midnight UTC as the time columns store it."""
        moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
        return moment if self.pg else moment.replace(tzinfo=None).isoformat(" ", "microseconds")

    def day(self, day: date) -> Any:
        return day if self.pg else day.isoformat()

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        return len(self.conn.execute(self.q(sql), params).fetchall())

    def first(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        return self.conn.execute(self.q(sql), params).fetchone()


def _access(column: str, who: int | None) -> tuple[str, tuple[Any, ...]]:
    """A rep's access rule on a client owner (or user) column; nothing for the director."""
    return ("", ()) if who is None else (f" AND {column} = ?", (who,))


def _currency(raw: Raw, source: str, where: str, params: tuple[Any, ...]) -> str:
    row = raw.first(
        f"SELECT s.currency, count(*) FROM {source} WHERE {where} GROUP BY s.currency "
        "ORDER BY count(*) DESC, s.currency",
        params,
    )
    return str(row[0]) if row else "RUB"


def _people(raw: Raw) -> int:
    n = raw.rows(
        "SELECT id, coalesce(nullif(full_name, ''), login), department_id, active "
        "FROM user_account WHERE deleted_at IS NULL"
    )
    return n + raw.rows("SELECT id, name, parent_id FROM department WHERE deleted_at IS NULL")


SHIP = "shipment s JOIN client c ON c.id = s.client_id"


def raw_sales_dynamics(raw: Raw, k: dict[str, Any]) -> int:
    acc, ap = _access("c.owner_id", k["rep"])
    first = date(k["p0"].year - 1, 1, 1)
    where = f"s.shipped_on >= ? AND s.shipped_on <= ? AND c.deleted_at IS NULL{acc}"
    params = (raw.day(first), raw.day(k["p1"]), *ap)
    cur = _currency(raw, SHIP, where, params)
    return raw.rows(
        f"SELECT c.client_group, {{M:s.shipped_on}} / 12, sum(s.amount) FROM {SHIP} "
        f"WHERE {where} AND s.currency = ? GROUP BY 1, 2",
        (*params, cur),
    )


def _ranked(key: str, name_join: str, names: str, xyz: tuple[int, int]) -> str:
    """The ranking; the XYZ sums over the months ``xyz`` (the period's whole months up
    to today, as abc.xyz_months says)."""
    x = f"CASE WHEN m BETWEEN {xyz[0]} AND {xyz[1]} THEN CAST(x AS FLOAT) END"
    return (
        f"SELECT r.*, {names} FROM (SELECT per.*, "
        "row_number() OVER (ORDER BY turnover DESC, k) AS rank, "
        "sum(turnover) OVER (ORDER BY turnover DESC, k ROWS UNBOUNDED PRECEDING) AS cum, "
        "sum(turnover) OVER () AS total FROM ("
        f" SELECT k, sum(x) AS turnover, sum({x}) AS s1, "
        f" sum({x} * {x}) AS s2, sum(n) AS n, max(big) AS big FROM ("
        f"  SELECT {key} AS k, {{M:s.shipped_on}} AS m, sum(s.amount) AS x, count(*) AS n, "
        f"  max(s.amount) AS big FROM {SHIP} WHERE {{where}} AND s.currency = ? "
        "  GROUP BY 1, 2) AS monthly GROUP BY k) AS per) AS r "
        f"{name_join} ORDER BY r.rank"
    )


def raw_abc(raw: Raw, k: dict[str, Any]) -> int:
    acc, ap = _access("c.owner_id", k["rep"])
    where = f"s.shipped_on >= ? AND s.shipped_on <= ? AND c.deleted_at IS NULL{acc}"
    params = (raw.day(k["p0"]), raw.day(k["p1"]), *ap)
    cur = _currency(raw, SHIP, where, params)
    p0, p1, today = k["p0"], k["p1"], k["today"]
    last = p1.year * 12 + p1.month - 1
    if p1 >= today:
        last = min(last, today.year * 12 + today.month - 2)
    xyz = (p0.year * 12 + p0.month - 1, last)
    by_client = _ranked(
        "s.client_id",
        "JOIN client cl ON cl.id = r.k LEFT JOIN user_account u ON u.id = cl.owner_id",
        "cl.name, coalesce(nullif(u.full_name, ''), u.login)",
        xyz,
    )
    by_product = _ranked(
        "coalesce(s.product_id, -1)", "LEFT JOIN product p ON p.id = r.k",
        "p.name, p.sku, p.category", xyz,
    )  # fmt: skip
    n = raw.rows(by_client.replace("{where}", where), (*params, cur))
    return n + raw.rows(by_product.replace("{where}", where), (*params, cur))


def raw_plan_actual(raw: Raw, k: dict[str, Any]) -> int:
    acc, ap = _access("s.manager_id", k["rep"])
    n = _people(raw)
    where = f"s.shipped_on >= ? AND s.shipped_on <= ?{acc}"
    params = (raw.day(k["p0"]), raw.day(k["p1"]), *ap)
    cur = _currency(raw, "shipment s", where, params)
    n += raw.rows(
        f"SELECT s.manager_id, {{M:s.shipped_on}}, sum(s.amount) FROM shipment s "
        f"WHERE {where} AND s.currency = ? GROUP BY 1, 2",
        (*params, cur),
    )
    pacc, pp = _access("p.user_id", k["rep"])
    return n + raw.rows(
        "SELECT p.*, coalesce(nullif(u.full_name, ''), u.login) FROM sales_plan p "
        f"LEFT JOIN user_account u ON u.id = p.user_id WHERE p.month >= ? AND p.month <= ?{pacc}",
        (raw.day(k["p0"]), raw.day(k["p1"]), *pp),
    )


def raw_activity(raw: Raw, k: dict[str, Any]) -> int:
    rep = k["rep"]
    t0, t1 = raw.stamp(k["p0"]), raw.stamp(k["p1"] + timedelta(days=1))
    n = _people(raw)
    acc, ap = _access("i.user_id", rep)
    n += raw.rows(
        "SELECT i.user_id, i.kind, count(*) FROM interaction i WHERE i.occurred_at >= ? "
        f"AND i.occurred_at < ? AND i.deleted_at IS NULL{acc} AND i.client_id NOT IN "
        "(SELECT id FROM client WHERE deleted_at IS NOT NULL) GROUP BY 1, 2",
        (t0, t1, *ap),
    )
    acc, ap = _access("t.assignee_id", rep)
    n += raw.rows(
        "SELECT t.assignee_id, sum(CASE WHEN t.status != 'cancelled' THEN 1 ELSE 0 END), "
        "sum(CASE WHEN t.status = 'done' THEN 1 ELSE 0 END), "
        "sum(CASE WHEN t.status = 'done' AND date(t.completed_at) <= date(t.due_at) "
        "THEN 1 ELSE 0 END) FROM task t LEFT JOIN client c ON c.id = t.client_id "
        f"WHERE t.due_at >= ? AND t.due_at < ? AND t.deleted_at IS NULL{acc} "
        "AND c.deleted_at IS NULL GROUP BY 1",
        (t0, t1, *ap),
    )
    n += raw.rows(
        "SELECT t.* FROM task t LEFT JOIN client c ON c.id = t.client_id WHERE "
        f"t.deleted_at IS NULL AND c.deleted_at IS NULL{acc} AND t.series_start IS NOT NULL "
        "AND t.status = 'open' AND t.due_at < ?",
        (*ap, t1),
    )
    acc, ap = _access("c.owner_id", rep)
    n += raw.rows(
        "SELECT c.owner_id, count(*) FROM client c WHERE c.created_at >= ? AND c.created_at < ? "
        f"AND c.deleted_at IS NULL AND c.owner_id IS NOT NULL{acc} GROUP BY 1",
        (t0, t1, *ap),
    )
    acc, ap = _access("d.owner_id", rep)
    return n + raw.rows(
        "SELECT d.owner_id, d.currency, sum(CASE WHEN st.outcome = 'won' THEN 1 ELSE 0 END), "
        "sum(CASE WHEN st.outcome = 'lost' THEN 1 ELSE 0 END), "
        "sum(CASE WHEN st.outcome = 'won' THEN d.amount ELSE 0 END) FROM deal d "
        "JOIN stage st ON st.id = d.stage_id WHERE d.closed_at >= ? AND d.closed_at < ? "
        f"AND d.deleted_at IS NULL{acc} AND st.outcome IN ('won', 'lost') AND d.client_id "
        "NOT IN (SELECT id FROM client WHERE deleted_at IS NOT NULL) GROUP BY 1, 2",
        (t0, t1, *ap),
    )


def raw_client_base(raw: Raw, k: dict[str, Any]) -> int:
    """Per month of the period: new clients (first shipment), buying ones, lapsed (no
    shipment for 3-12 months) and lost (12+); then the lapsed clients' list."""
    acc, ap = _access("c.owner_id", k["rep"])
    p0, p1 = k["p0"], k["p1"]
    months = [(p0.year * 12 + m - 1) for m in range(1, 13)]
    units = " UNION ALL ".join("SELECT ? AS u, ? AS lapse_day, ? AS lost_day" for _ in months)
    unit_params: list[Any] = []
    for u in months:
        y, m = divmod(u, 12)
        end = date(y, m + 1, 1) - timedelta(days=1) if m < 11 else date(y, 12, 31)
        unit_params += [u, raw.day(end - timedelta(days=90)), raw.day(end - timedelta(days=365))]
    start = months[0]
    n = raw.rows(
        "SELECT units.u, sum(CASE WHEN seq.u = units.u AND seq.first_u = units.u THEN 1 ELSE 0 "
        "END), sum(CASE WHEN seq.u = units.u THEN 1 ELSE 0 END), sum(CASE WHEN seq.last < "
        "units.lapse_day AND seq.last >= units.lost_day THEN 1 ELSE 0 END), sum(CASE WHEN "
        f"seq.last < units.lost_day THEN 1 ELSE 0 END), count(*) FROM ({units}) AS units JOIN ("
        " SELECT client_id, u, last, lead(u) OVER (PARTITION BY client_id ORDER BY u) AS nxt, "
        " min(u) OVER (PARTITION BY client_id) AS first_u FROM ("
        f"  SELECT s.client_id, CASE WHEN {{M:s.shipped_on}} < ? THEN ? ELSE {{M:s.shipped_on}} "
        f"  END AS u, max(s.shipped_on) AS last FROM {SHIP} WHERE c.deleted_at IS NULL{acc} "
        "  AND s.shipped_on <= ? AND s.amount > 0 GROUP BY 1, 2) AS per_unit) AS seq "
        "ON seq.u <= units.u AND (seq.nxt IS NULL OR seq.nxt > units.u) GROUP BY units.u",
        (*unit_params, start, start - 1, *ap, raw.day(p1)),
    )
    where = f"c.deleted_at IS NULL{acc} AND s.shipped_on >= ? AND s.shipped_on <= ?"
    cur = _currency(raw, SHIP, where, (*ap, raw.day(p0), raw.day(p1)))
    lapse = raw.day(k["today"] - timedelta(days=90))
    lost = raw.day(k["today"] - timedelta(days=365))
    return n + raw.rows(
        "SELECT cl.name, coalesce(nullif(u.full_name, ''), u.login, ''), gone.last, "
        "coalesce(sum(CASE WHEN e.currency = ? AND {M:e.shipped_on} > {M:gone.last} - 12 "
        "THEN e.amount END), 0) AS turnover FROM ("
        f" SELECT s.client_id, max(s.shipped_on) AS last FROM {SHIP} WHERE c.deleted_at IS NULL"
        f"{acc} AND s.shipped_on <= ? AND s.amount > 0 GROUP BY s.client_id "
        " HAVING max(s.shipped_on) < ?) AS gone JOIN client cl ON cl.id = gone.client_id "
        "LEFT JOIN user_account u ON u.id = cl.owner_id JOIN shipment e ON e.client_id = "
        "gone.client_id AND e.shipped_on <= gone.last GROUP BY cl.id, cl.name, u.full_name, "
        "u.login, gone.last ORDER BY CASE WHEN gone.last < ? THEN 1 ELSE 0 END, turnover DESC, "
        "cl.name, cl.id LIMIT 500",
        (cur, *ap, raw.day(k["today"]), lapse, lost),
    )


DEALS = "deal d JOIN client ON client.id = d.client_id"
DEAL_WHERE = "d.deleted_at IS NULL AND client.deleted_at IS NULL{acc} AND d.pipeline_id = ?"


def raw_funnel(raw: Raw, k: dict[str, Any]) -> int:
    """The funnel of the deals created in the period (bench_funnel's statements with the
    period), then the forecast: won per month, open ones by expected close, the plans."""
    acc, ap = _access("client.owner_id", k["rep"])
    pipeline = k["pipeline"]
    n = raw.rows(
        "SELECT id, name FROM pipeline WHERE deleted_at IS NULL AND is_default IS 1 "
        "ORDER BY id LIMIT 1"
    )
    created = " AND d.created_at >= ? AND d.created_at < ?"
    span = (raw.stamp(k["p0"]), raw.stamp(k["p1"] + timedelta(days=1)))
    where = DEAL_WHERE.replace("{acc}", acc) + created
    base = (*ap, pipeline, *span)
    cur = raw.first(
        f"SELECT d.currency, count(*) AS n FROM {DEALS} WHERE {where} GROUP BY d.currency "
        "ORDER BY n DESC, d.currency",
        base,
    )
    currency = cur[0] if cur else "RUB"
    full = (*base, currency)
    n += raw.rows(bench_funnel.RAW_STAGES, (pipeline,))
    for sql in (bench_funnel.RAW_CURRENT, bench_funnel.RAW_DAYS, bench_funnel.RAW_BY_OWNER,
                bench_funnel.RAW_BY.replace("{col}", "source"),
                bench_funnel.RAW_BY.replace("{col}", "kind")):  # fmt: skip
        n += raw.rows(_funnel_sql(sql, acc, created), full)
    n += raw.rows(_funnel_sql(bench_funnel.RAW_REACH, acc, created), (*full, pipeline))
    where = DEAL_WHERE.replace("{acc}", acc)
    row = raw.first(
        f"SELECT d.currency, count(*) AS n FROM {DEALS} WHERE {where} GROUP BY d.currency "
        "ORDER BY n DESC, d.currency",
        (*ap, pipeline),
    )
    currency = row[0] if row else "RUB"
    back = k["today"].replace(day=1) - timedelta(days=365)
    n += raw.rows(
        f"SELECT {{M:d.closed_at}}, sum(d.amount) FROM {DEALS} JOIN stage st ON st.id = "
        f"d.stage_id WHERE {where} AND d.currency = ? AND st.outcome = 'won' AND d.closed_at "
        ">= ? AND d.closed_at < ? GROUP BY 1",
        (*ap, pipeline, currency, raw.stamp(back), raw.stamp(k["today"].replace(day=1))),
    )
    n += raw.rows(
        "SELECT CASE WHEN d.expected_close IS NULL THEN -1 WHEN d.expected_close < ? THEN -2 "
        "WHEN d.expected_close >= ? THEN -3 ELSE {M:d.expected_close} END AS m, sum(d.amount), "
        f"sum(d.amount * st.probability) FROM {DEALS} JOIN stage st ON st.id = d.stage_id "
        f"WHERE {where} AND d.currency = ? AND st.outcome = 'open' GROUP BY 1",
        (raw.day(k["today"].replace(day=1)), raw.day(k["today"] + timedelta(days=160)),
         *ap, pipeline, currency),
    )  # fmt: skip
    n += _people(raw)
    pacc, pp = _access("p.user_id", k["rep"])
    return n + raw.rows(
        "SELECT p.*, coalesce(nullif(u.full_name, ''), u.login) FROM sales_plan p "
        f"LEFT JOIN user_account u ON u.id = p.user_id WHERE p.month >= ? AND p.month <= ?{pacc}",
        (raw.day(back), raw.day(k["today"] + timedelta(days=160)), *pp),
    )


def _funnel_sql(sql: str, acc: str, created: str) -> str:
    """bench_funnel's statement with the deals' period after its pipeline condition."""
    return sql.replace("{access}", acc).replace(
        "AND deal.pipeline_id = ? ",
        "AND deal.pipeline_id = ? " + created.replace("d.", "deal.").strip() + " ",
    )


def raw_upcoming(raw: Raw, k: dict[str, Any]) -> int:
    acc, ap = _access("c.owner_id", k["rep"])
    today = k["today"]
    ahead = today + timedelta(days=14)
    window = (today.month * 100 + today.day, ahead.month * 100 + ahead.day)
    n = raw.rows(
        "SELECT ct.id, ct.full_name, ct.birthday, ct.client_id, c.name FROM contact ct "
        "JOIN client c ON c.id = ct.client_id WHERE CAST(strftime('%m%d', ct.birthday) AS "
        "INTEGER) BETWEEN ? AND ? AND ct.birthday IS NOT NULL AND ct.deleted_at IS NULL "
        f"AND c.deleted_at IS NULL{acc}",
        (*window, *ap),
    )
    n += raw.rows(
        "SELECT sd.*, c.name FROM significant_date sd JOIN client c ON c.id = sd.client_id "
        "WHERE sd.month_day BETWEEN ? AND ? AND sd.deleted_at IS NULL AND c.deleted_at IS NULL"
        f"{acc}",
        (*window, *ap),
    )
    tacc, tp = _access("t.assignee_id", k["rep"])
    tail = (
        "FROM task t JOIN user_account u ON u.id = t.assignee_id LEFT JOIN client c ON c.id = "
        f"t.client_id WHERE t.deleted_at IS NULL AND c.deleted_at IS NULL{tacc} AND "
        "t.status = 'open' AND t.due_at < ?"
    )
    n += raw.rows(
        f"SELECT u.id, coalesce(nullif(u.full_name, ''), u.login), count(*), min(t.due_at) {tail} "
        "GROUP BY u.id, u.full_name, u.login ORDER BY count(*) DESC, u.login",
        (*tp, raw.stamp(today)),
    )
    return n + raw.rows(
        f"SELECT coalesce(nullif(u.full_name, ''), u.login), t.title, coalesce(c.name, ''), "
        f"t.due_at {tail} ORDER BY t.due_at, t.id LIMIT 500",
        (*tp, raw.stamp(today)),
    )


def raw_client(raw: Raw, k: dict[str, Any]) -> int:
    """The client card's reads, then its journal by month, deals and money by month."""
    cid = k["client_id"]
    n = 0
    for sql in (
        "SELECT * FROM client WHERE id = ?",
        "SELECT u.full_name, u.login, dp.name FROM client c LEFT JOIN user_account u ON u.id = "
        "c.owner_id LEFT JOIN department dp ON dp.id = c.department_id WHERE c.id = ?",
        "SELECT * FROM phone WHERE client_id = ? AND contact_id IS NULL ORDER BY id",
        "SELECT * FROM email WHERE client_id = ? AND contact_id IS NULL ORDER BY id",
        "SELECT tag FROM client_tag WHERE client_id = ? ORDER BY tag",
        "SELECT * FROM address WHERE client_id = ? AND contact_id IS NULL ORDER BY id",
        "SELECT c.name, c.city, c.status, u.login FROM client c LEFT JOIN user_account u ON "
        "u.id = c.owner_id WHERE c.parent_id = ? AND c.deleted_at IS NULL ORDER BY c.name_key",
        "SELECT * FROM contact WHERE deleted_at IS NULL AND client_id = ? "
        "ORDER BY full_name, id LIMIT 101",
        "SELECT d.title, st.name, d.amount, d.currency, d.expected_close, st.outcome FROM deal d "
        "JOIN stage st ON st.id = d.stage_id WHERE d.client_id = ? AND d.deleted_at IS NULL "
        "ORDER BY d.created_at DESC, d.id DESC",
    ):
        n += raw.rows(sql, (cid,))
    span = (raw.stamp(k["p0"]), raw.stamp(k["p1"] + timedelta(days=1)))
    n += raw.rows(
        "SELECT {M:occurred_at}, kind, count(*) FROM interaction WHERE client_id = ? AND "
        "occurred_at >= ? AND occurred_at < ? AND deleted_at IS NULL GROUP BY 1, 2",
        (cid, *span),
    )
    end, today = raw.day(k["p1"]), raw.day(k["today"])
    return n + raw.rows(
        "SELECT currency, m, sum(CASE WHEN day <= ? THEN shipped ELSE 0 END), "
        " sum(CASE WHEN day <= ? THEN paid ELSE 0 END), "
        " sum(CASE WHEN day <= ? THEN shipped ELSE 0 END), "
        " sum(CASE WHEN day <= ? THEN paid ELSE 0 END), sum(ship), count(*) - sum(ship) FROM ("
        " SELECT currency, {M:shipped_on} AS m, shipped_on AS day, amount AS shipped, 0 AS paid,"
        " 1 AS ship FROM shipment WHERE client_id = ? UNION ALL"
        " SELECT currency, {M:paid_on}, paid_on, 0, amount, 0 FROM payment WHERE client_id = ?"
        ") AS f GROUP BY currency, m",
        (end, end, today, today, cid, cid),
    )


class ToolkitRaw(Raw):
    """The same hand-written SQL through SQLAlchemy's lowest layer (``exec_driver_sql``
    on the session's connection): what any statement costs through the toolkit
    termcrm is built on, before termcrm does anything."""

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        return len(self.conn.exec_driver_sql(self.q(sql), params).fetchall())

    def first(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        return self.conn.exec_driver_sql(self.q(sql), params).fetchone()


RAW: dict[str, RawFn] = {
    "client": raw_client,
    "sales-dynamics": raw_sales_dynamics,
    "abc": raw_abc,
    "plan-actual": raw_plan_actual,
    "activity": raw_activity,
    "client-base": raw_client_base,
    "funnel": raw_funnel,
    "upcoming": raw_upcoming,
}


# -------------------------------------------------------------------- timing


def explain(db: Database, raw: Raw, fn: Callable[[Any], Any]) -> None:
    """The query plans of the statements a report runs."""
    seen: list[tuple[str, Any]] = []

    def hook(conn: Any, cursor: Any, statement: str, params: Any, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, params))

    sa.event.listen(db.engine, "before_cursor_execute", hook)
    with session(db) as s:
        fn(s)
    sa.event.remove(db.engine, "before_cursor_execute", hook)
    for sql, params in seen:
        say(f"\n{sql[:600]}")
        prefix = "EXPLAIN " if raw.pg else "EXPLAIN QUERY PLAN "
        for row in raw.conn.execute(prefix + sql, params):
            say("   ", row[-1] if not raw.pg else row[0])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--clients", type=int, default=100_000)
    ap.add_argument("--interactions", type=int, default=1_000_000)
    ap.add_argument("--shipments", type=int, default=2_000_000)
    ap.add_argument("--deals", type=int, default=50_000)
    ap.add_argument("--tasks", type=int, default=200_000)
    ap.add_argument("--db", type=Path, help="SQLite file to build or reuse")
    ap.add_argument("--url", help="a PostgreSQL database to build or reuse instead")
    ap.add_argument("--rebuild", action="store_true", help="build even if it is there")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--login", default="dorlov", help="the rep (default dorlov)")
    ap.add_argument("--runs", type=int, default=7, help="timed runs per operation")
    ap.add_argument("--warmup", type=int, default=1, help="untimed runs first")
    ap.add_argument("--only", nargs="*", help="these reports only")
    ap.add_argument("--explain", action="store_true", help="print the reports' query plans")
    ap.add_argument("--build-only", action="store_true", help="build (or check) and stop")
    ap.add_argument("--no-nightly", action="store_true", help="skip the nightly batch")
    ap.add_argument("--nightly-runs", type=int, default=3, help="timed runs of the nightly")
    args = ap.parse_args()
    if args.url and args.db:
        ap.error("give --db (SQLite) or --url (PostgreSQL), not both")
    started = time.perf_counter()
    pg = bool(args.url)
    if pg:
        url = normalise_url(args.url)
        if not url.startswith("postgresql"):
            ap.error("--url is a PostgreSQL URL; use --db for an SQLite file")
        ensure_pg(args, url)
        shown = make_url(url).render_as_string()
        db = Database(url)
        raw = Raw(bench_funnel.pg_connect(url), pg=True)
    else:
        path: Path = args.db or Path(tempfile.gettempdir()) / (
            f"termcrm-bench-reports-{args.shipments}.db"
        )
        path = path.expanduser().resolve()
        ensure(args, path)
        shown = str(path)
        db = Database(str(path))
        raw = Raw(bench_funnel.raw_connect(path), pg=False)
    if args.build_only:
        return
    from termcrm.reports import registry
    from termcrm.reports.model import Params, Scope
    from termcrm.services import funnel, org

    today = date.today()
    p0, p1 = date(today.year, 1, 1), date(today.year, 12, 31)
    with db.read() as s:
        rep = org.actor_by_login(s, args.login)
        director = org.actor_by_login(s, "svolkov")
        found = funnel.find_pipeline(s, None)
    assert found is not None
    client_id = raw.first(
        "SELECT client_id FROM shipment WHERE manager_id = ? GROUP BY client_id "
        "ORDER BY count(*) DESC LIMIT 1",
        (rep.id,),
    )[0]
    base = {"p0": p0, "p1": p1, "today": today, "pipeline": found[0], "client_id": client_id}
    ops: list[Op] = []
    for name, spec in registry.REPORTS.items():
        if args.only and name not in args.only:
            continue
        if name not in RAW:
            say(f"  {name}: no raw counterpart written yet; left out")
            continue
        try:
            fn = spec.load()
        except (ImportError, AttributeError) as exc:
            say(f"  {name}: not there yet ({exc}); left out")
            continue
        options = (("client_id", client_id),) if spec.needs_client else ()
        params = Params((p0, p1), Scope("all"), today=today, options=options)
        for who, label in ((director, "director"), (rep, f"rep {rep.login}")):
            k = {**base, "rep": None if who is director else rep.id}
            ops.append(
                (
                    f"{name} ({label})",
                    lambda s, fn=fn, who=who, params=params: fn(s, who, params),
                    lambda k=k, raw_fn=RAW[name]: raw_fn(raw, k),
                )
            )
            if name == "client":
                ops.append(
                    (
                        f"  same SQL via SQLAlchemy ({label.split()[0]})",
                        lambda s, k=k: raw_client(ToolkitRaw(s.connection(), raw.pg), k),
                        lambda k=k: raw_client(raw, k),
                    )
                )
            if args.explain:
                say(f"\n===== {name} ({label})")
                explain(db, raw, lambda s, fn=fn, who=who, params=params: fn(s, who, params))
    counts = {
        t: raw.first(f"SELECT count(*) FROM {t}")[0]
        for t in ("client", "interaction", "shipment", "payment", "deal", "task")
    }
    say(f"timing: {args.warmup} warm-up + {args.runs} timed runs per operation ...")
    results = run(db, ops, args.warmup, args.runs, digits=1)
    nightly: tuple[float, float] | None = None
    if not args.no_nightly:
        nightly = _time_nightly(db, raw, director, {**base, "rep": None}, args.nightly_runs)

    print(f"\ntermcrm reports benchmark: {shown} ({db.dialect})")
    print(", ".join(f"{v:,} {k}s" for k, v in counts.items()))
    print(f"period {p0} .. {p1}; medians of {args.runs} runs, warm cache")
    driver = "psycopg" if pg else "sqlite3"
    print(f"{'operation':<34}{'termcrm':>12}{driver:>12}{'ratio':>8}  target (<= {TARGET_RATIO}x)")
    print("-" * 84)
    rows = list(results)
    if nightly is not None:
        rows.append(("nightly batch (director)", *nightly))
    for label, a, b in rows:
        verdict = "met" if a / b <= TARGET_RATIO else "MISSED"
        print(f"{label:<34}{a:>10.1f}ms{b:>10.1f}ms{a / b:>7.2f}x  {verdict}")
    print(f"\n(total {time.perf_counter() - started:.0f} s)")
    raw.conn.close()
    db.dispose()


def _time_nightly(
    db: Database, raw: Raw, director: Any, k: dict[str, Any], runs: int
) -> tuple[float, float] | None:
    """The nightly workbook against the raw SQL of its reports plus raw openpyxl writing
    the same cells (see the module's docstring): medians of ``runs`` timed runs."""
    try:
        from termcrm.reports import nightly
    except ImportError:
        say("  nightly: reports/nightly.py is not there yet; left out")
        return None
    names = [spec.name for spec in nightly.nightly_specs()]
    missing = [name for name in names if name not in RAW]
    if missing:
        say(f"  nightly: no raw SQL for {', '.join(missing)}; the raw figure leaves it out")
    raw_fns = [RAW[name] for name in names if name in RAW]
    period = (k["p0"], k["p1"])
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)

        def ours() -> Path:
            return nightly.run_nightly(
                db, director, folder, today=k["today"], now=datetime.now(), period=period
            ).path

        sheets = sheet_rows(ours())  # the untimed first run
        cells = sum(len(row) for _title, rows in sheets for row in rows)
        say(f"  nightly: {len(sheets)} sheets, {cells:,} cells (empty ones among them)")
        raw_sql: list[float] = []
        raw_xlsx: list[float] = []

        def theirs() -> None:
            raw_sql.append(timed(lambda: [fn(raw, k) for fn in raw_fns]))
            raw_xlsx.append(timed(lambda: write_raw_xlsx(sheets, folder / "raw.xlsx")))

        theirs()
        raw_sql.clear()
        raw_xlsx.clear()
        mine = []
        for _ in range(max(runs, 1)):
            mine.append(timed(ours))
            theirs()
    ms = statistics.median(mine)
    sql_ms, xlsx_ms = statistics.median(raw_sql), statistics.median(raw_xlsx)
    raw_ms = statistics.median(a + b for a, b in zip(raw_sql, raw_xlsx, strict=True))
    say(
        f"  nightly batch: {ms:.0f} ms vs {raw_ms:.0f} ms raw "
        f"(raw SQL {sql_ms:.0f} ms + raw openpyxl write-only {xlsx_ms:.0f} ms)"
    )
    return ms, raw_ms


def sheet_rows(path: Path) -> list[tuple[str, list[list[Any]]]]:
    """Each sheet of a workbook: its title and its rows of plain values (trailing empty
    cells left out), read with openpyxl read-only."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    try:
        sheets = []
        for ws in book.worksheets:
            rows = []
            for values in ws.iter_rows(values_only=True):
                row = list(values)
                while row and row[-1] is None:
                    row.pop()
                rows.append(row)
            sheets.append((ws.title, rows))
    finally:
        book.close()
    return sheets


def write_raw_xlsx(sheets: list[tuple[str, list[list[Any]]]], path: Path) -> None:
    """The rows with raw openpyxl in write-only mode: plain values, no styles."""
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    for title, rows in sheets:
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    wb.save(path)


if __name__ == "__main__":
    main()
