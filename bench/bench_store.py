"""Store benchmark: termcrm's services against raw sqlite3 on the same SQLite file.

    .venv/bin/python bench/bench_store.py --clients 1000000 [--db PATH] [--explain]

Builds (or reuses) an SQLite database of N clients through the demo's bulk path
(``load_demo(history=False)``: clients with their phones, emails, addresses and
tags), then prints, each as a ratio against raw sqlite3 on the same file:

- search: 200 queries (Latin, Cyrillic in upper case, Chinese of 3-4 and of 2
  characters, phone digits) through ``client_lists.search_clients`` as an admin
  and as a rep (access filter included) vs the raw FTS5 query; p50 and p95;
- a page of 100 clients about 500,000 rows deep, sorted by name, through
  ``client_lists.list_clients`` with a cursor vs the raw keyset SQL (and the
  raw OFFSET query for contrast);
- the demo's insert rate vs raw ``executemany`` of the same rows into the same
  schema (a fresh migrated file, FTS triggers and all).

Targets (issue 2): search p95 <= 3x raw, deep page <= 3x raw, inserts >= 30%
of raw. Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from termcrm.services import client_lists, demo, org
from termcrm.services.actor import Actor
from termcrm.services.paging import encode_cursor
from termcrm.services.text import digits, search_words
from termcrm.store import migrate
from termcrm.store.engine import Database

LOADED_TABLES = ("client", "client_tag", "address", "phone", "email")
FIXED_TABLES = ("department", "user_account", "pipeline", "stage")
PAGE_SQL = (
    "SELECT c.id, c.name, c.kind, c.client_group, c.status, c.city, "
    "c.last_interaction_at, c.version, "
    "coalesce(nullif(u.full_name, ''), u.login, '') AS owner "
    "FROM client c LEFT JOIN user_account u ON u.id = c.owner_id "
    "WHERE c.deleted_at IS NULL {extra}"
    "ORDER BY c.name_key, c.id LIMIT {limit}"
)
ROUNDS = 3  # timed rounds per query (after one warm-up round)
RAW_FTS = "SELECT rowid FROM client_fts WHERE client_fts MATCH ? LIMIT 50"
# a query under three characters has no trigram; raw sqlite3 would scan the text
RAW_SHORT = "SELECT id FROM client WHERE instr(search_body, ?) > 0 ORDER BY id DESC LIMIT 50"


def say(*parts: Any) -> None:
    print(*parts, file=sys.stderr, flush=True)


def raw_connect(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection with the app's settings (WAL, FKs, synchronous NORMAL)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def client_count(path: Path) -> int:
    if not path.exists():
        return 0
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM client").fetchone()[0])
    except sqlite3.Error:
        return 0
    finally:
        conn.close()


# ------------------------------------------------------------------ inserts


def build(path: Path, clients: int, seed: int) -> tuple[int, float]:
    """A fresh database of ``clients`` through the demo path; (rows, seconds)."""
    remove_db(path)
    db = Database(str(path))
    migrate.upgrade(db)
    step = max(clients // 10, demo.BATCH)
    shown = [0]

    def progress(stage: str, count: int) -> None:
        if stage != "clients" or count - shown[0] >= step or count == clients:
            shown[0] = count
            say(f"  demo {stage}: {count:,}")

    start = time.perf_counter()
    summary = demo.load_demo(
        db, admin_login="admin", clients=clients, seed=seed, history=False, progress=progress
    )
    seconds = time.perf_counter() - start
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    counts = asdict(summary)
    rows = sum(counts[k] for k in ("clients", "client_tags", "addresses", "phones", "emails"))
    return rows, seconds


def raw_insert_rate(source: Path, workdir: Path) -> tuple[int, float]:
    """Raw executemany of the source's rows into a fresh migrated file; (rows, seconds)."""
    target = workdir / "raw-insert.db"
    remove_db(target)
    db = Database(str(target))
    migrate.upgrade(db)
    db.dispose()
    src = sqlite3.connect(source)
    dst = raw_connect(target)
    dst.execute("BEGIN IMMEDIATE")
    for name in FIXED_TABLES:  # the parents, untimed
        rows = src.execute(f"SELECT * FROM {name}").fetchall()
        if rows:
            marks = ", ".join("?" * len(rows[0]))
            dst.executemany(f"INSERT INTO {name} VALUES ({marks})", rows)
    total, spent = 0, 0.0
    for name in LOADED_TABLES:
        cur = src.execute(f"SELECT * FROM {name} ORDER BY rowid")
        sql = f"INSERT INTO {name} VALUES ({', '.join('?' * len(cur.description))})"
        while rows := cur.fetchmany(50_000):
            start = time.perf_counter()
            dst.executemany(sql, rows)
            spent += time.perf_counter() - start
            total += len(rows)
    start = time.perf_counter()
    dst.execute("COMMIT")
    spent += time.perf_counter() - start
    src.close()
    dst.close()
    remove_db(target)
    return total, spent


# ------------------------------------------------------------------ queries


def make_queries(conn: sqlite3.Connection, count: int, seed: int) -> list[tuple[str, str]]:
    """(category, query) pairs drawn from the data itself."""
    rng = random.Random(seed)
    top = conn.execute("SELECT max(id) FROM client").fetchone()[0]
    want = {
        "latin": count * 25 // 100,
        "cyrillic": count * 25 // 100,
        "chinese": count * 20 // 100,
        "chinese-2": count * 10 // 100,
    }
    want["phone"] = count - sum(want.values())
    got: dict[str, list[str]] = {k: [] for k in want}
    word = re.compile(r"[A-Za-z\u0400-\u04ff]{3,}")
    skip = {"llc", "inc", "ltd", "ооо", "зао", "пао", "филиал", "branch", "партнёры"}
    while any(len(got[k]) < n for k, n in want.items()):
        ids = [rng.randint(1, top) for _ in range(200)]
        marks = ", ".join("?" * len(ids))
        rows = conn.execute(
            f"SELECT c.id, c.name, (SELECT raw FROM phone p WHERE p.client_id = c.id "
            f"AND p.extension = '' LIMIT 1) FROM client c WHERE c.id IN ({marks})",
            ids,
        ).fetchall()
        for _, name, phone in rows:
            if any("\u4e00" <= ch <= "\u9fff" for ch in name):
                if len(got["chinese"]) < want["chinese"]:
                    size = rng.choice((3, 4))
                    at = rng.randrange(0, max(1, len(name) - size))
                    got["chinese"].append(name[at : at + size])
                elif len(got["chinese-2"]) < want["chinese-2"]:
                    at = rng.randrange(0, max(1, len(name) - 2))
                    got["chinese-2"].append(name[at : at + 2])
            else:
                words = [w for w in word.findall(name) if w.casefold() not in skip]
                if not words:
                    continue
                pick = rng.choice(words)
                cyrillic = any("\u0400" <= ch <= "\u04ff" for ch in pick)
                key = "cyrillic" if cyrillic else "latin"
                if len(got[key]) < want[key]:
                    if rng.random() < 0.3 and len(pick) > 5:
                        pick = pick[: rng.randint(3, len(pick) - 1)]  # a prefix, typed halfway
                    got[key].append(pick.upper() if cyrillic else pick.lower())
            if phone and len(got["phone"]) < want["phone"]:
                d = digits(phone)
                style = rng.random()
                if style < 0.4:
                    got["phone"].append(phone)  # as written, '+7 (495) 123-45-67'
                elif style < 0.7:
                    got["phone"].append(d[-7:])  # the local number
                else:
                    got["phone"].append(d)
    return [(k, q) for k, qs in got.items() for q in qs]


def fts_query(query: str) -> str | None:
    """The MATCH expression the service builds, or None for a query under 3 characters."""
    text = query.strip()
    if re.fullmatch(r"[\d\s()+\-.]+", text) and len(digits(text)) >= 3:
        words = [digits(text)]
    else:
        words = search_words(text)
    longer = [w for w in words if len(w) >= 3]
    if not longer:
        return None
    return " ".join('"' + w.replace('"', '""') + '"' for w in longer)


def timed(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> float:
    """Milliseconds one call of ``fn(*args, **kwargs)`` takes, its result fetched."""
    start = time.perf_counter()
    fn(*args, **kwargs)
    return (time.perf_counter() - start) * 1000


def raw_rows(raw: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> list[Any]:
    return raw.execute(sql, params).fetchall()


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class Capture:
    """The last SQL statement the service ran, for EXPLAIN QUERY PLAN."""

    def __init__(self, db: Database) -> None:
        self.last: tuple[str, Any] | None = None
        sa.event.listen(db.engine, "before_cursor_execute", self._hook)

    def _hook(self, conn: Any, cursor: Any, statement: str, params: Any, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            self.last = (statement, params)


@contextmanager
def session(db: Database) -> Iterator[Any]:
    with db.read() as s:
        s.connection()  # BEGIN outside the timing
        yield s


def explain(raw: sqlite3.Connection, capture: Capture, title: str) -> None:
    if capture.last is None:
        return
    sql, params = capture.last
    say(f"\n-- {title}\n{sql}\n{params}")
    for row in raw.execute("EXPLAIN QUERY PLAN " + sql, params):
        say("   ", row[-1])


def bench_search(
    db: Database,
    raw: sqlite3.Connection,
    actors: dict[str, Actor],
    queries: list[tuple[str, str]],
    explain_plans: bool,
) -> list[tuple[str, str, list[float], list[float]]]:
    capture = Capture(db)
    runs: dict[tuple[str, str, int], tuple[list[float], list[float]]] = {}
    for round_no in range(1 + ROUNDS):  # the first round warms the caches
        for n, (_category, query) in enumerate(queries):
            match = fts_query(query)
            if match is None:
                words = search_words(query)
                raw_ms = timed(raw_rows, raw, RAW_SHORT, (words[0] if words else query,))
            else:
                raw_ms = timed(raw_rows, raw, RAW_FTS, (match,))
            for who, actor in actors.items():
                with session(db) as s:
                    ms = timed(client_lists.search_clients, s, actor, query)
                if round_no:
                    key = (who, "short" if match is None else "fts", n)
                    mine, theirs = runs.setdefault(key, ([], []))
                    mine.append(ms)
                    theirs.append(raw_ms)
    # each query's median over the rounds, so that a hiccup of the machine is not a p95
    results: dict[tuple[str, str], tuple[list[float], list[float]]] = {}
    for (who, kind, _n), (mine, theirs) in runs.items():
        ours, raws = results.setdefault((who, kind), ([], []))
        ours.append(statistics.median(mine))
        raws.append(statistics.median(theirs))
    if explain_plans:
        for who, actor in actors.items():
            for category, query in queries:
                if category in ("cyrillic", "chinese-2"):
                    with session(db) as s:
                        client_lists.search_clients(s, actor, query)
                    explain(raw, capture, f"search {category} '{query}' as {who}")
                    break
    return [(who, kind, mine, theirs) for (who, kind), (mine, theirs) in results.items()]


def bench_page(
    db: Database, raw: sqlite3.Connection, actors: dict[str, Actor], depth: int, explain_plans: bool
) -> list[tuple[str, list[float], list[float]]]:
    capture = Capture(db)
    out = []
    for who, actor in actors.items():
        if actor.sees_all:
            where, args = "", ()
        else:
            where, args = "AND c.owner_id = ? ", (actor.id,)
        total = raw.execute(
            f"SELECT count(*) FROM client c WHERE c.deleted_at IS NULL {where}", args
        ).fetchone()[0]
        offset = min(depth, total // 2)
        key = raw.execute(
            f"SELECT c.name_key, c.id FROM client c WHERE c.deleted_at IS NULL {where}"
            "ORDER BY c.name_key, c.id LIMIT 1 OFFSET ?",
            (*args, offset - 1),
        ).fetchone()
        cursor = encode_cursor(list(key), list_name="clients:name")
        keyset_sql = PAGE_SQL.format(extra=where + "AND (c.name_key, c.id) > (?, ?) ", limit=101)
        mine, theirs = [], []
        for i in range(31):
            with session(db) as s:
                ms = timed(
                    client_lists.list_clients, s, actor, sort="name", after=cursor, limit=100
                )
            raw_ms = timed(raw_rows, raw, keyset_sql, (*args, *key))
            if i:
                mine.append(ms)
                theirs.append(raw_ms)
        if explain_plans:
            explain(raw, capture, f"page after {offset:,} rows as {who}")
        offset_sql = PAGE_SQL.format(extra=where, limit=100) + " OFFSET ?"
        offsets = [timed(raw_rows, raw, offset_sql, (*args, offset)) for _ in range(5)]
        out.append((f"{who} (after {offset:,})", mine, theirs))
        out.append((f"{who} raw OFFSET {offset:,}", offsets, theirs))
    return out


# ------------------------------------------------------------------ main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--clients", type=int, default=1_000_000)
    ap.add_argument("--db", type=Path, help="SQLite file to build or reuse")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--rebuild", action="store_true", help="build even if --db has the clients")
    ap.add_argument(
        "--rate-clients",
        type=int,
        default=100_000,
        help="clients for the insert-rate run when the database is reused (default 100,000;"
        " 0 skips it)",
    )
    ap.add_argument("--explain", action="store_true", help="print the services' query plans")
    args = ap.parse_args()
    workdir = Path(tempfile.gettempdir())
    path: Path = args.db or workdir / f"termcrm-bench-{args.clients}.db"
    path = path.expanduser().resolve()

    started = time.perf_counter()
    rate_db: Path | None = path
    if args.rebuild or client_count(path) < args.clients:
        say(f"building {path} with {args.clients:,} clients through the demo path ...")
        rows, seconds = build(path, args.clients, args.seed)
    elif args.rate_clients > 0:
        say(f"reusing {path}; insert rate measured on {args.rate_clients:,} clients")
        rate_db = workdir / f"termcrm-bench-rate-{os.getpid()}.db"
        rows, seconds = build(rate_db, args.rate_clients, args.seed)
    else:
        say(f"reusing {path}; insert rate not measured")
        rate_db = None
    if rate_db is not None:
        say(f"  demo path: {rows:,} rows in {seconds:.1f} s; raw executemany of the same rows ...")
        raw_rows, raw_seconds = raw_insert_rate(rate_db, workdir)
        if rate_db != path:
            remove_db(rate_db)
        assert raw_rows == rows, (raw_rows, rows)
        say(
            f"  raw executemany: {raw_rows:,} rows in {raw_seconds:.1f} s; demo "
            f"{rows / seconds:,.0f} rows/s = {rows / seconds / (raw_rows / raw_seconds):.0%} of raw"
        )

    db = Database(str(path))
    raw = raw_connect(path)
    with db.read() as s:
        actors = {"admin": org.actor_by_login(s, "admin"), "rep": org.actor_by_login(s, "dorlov")}
    queries = make_queries(raw, args.queries, args.seed)
    say(f"searching: {len(queries)} queries x 2 actors, {ROUNDS} rounds after a warm-up ...")
    search = bench_search(db, raw, actors, queries, args.explain)
    say("paging ...")
    pages = bench_page(db, raw, actors, 500_000, args.explain)

    n = client_count(path)
    print(f"\ntermcrm store benchmark: {n:,} clients, {path}")
    print(f"{'measure':<44}{'termcrm':>12}{'raw':>12}{'ratio':>8}  target")
    print("-" * 86)
    for who, kind, mine, theirs in sorted(search, key=lambda r: (r[1], r[0])):
        label = "search" if kind == "fts" else "search < 3 chars (raw: instr scan)"
        count = len(mine)
        for p in (50, 95):
            a, b = pct(mine, p), pct(theirs, p)
            target = "<= 3x" if (p == 95 and kind == "fts") else ""
            print(
                f"{label + f' {who} p{p} ({count} q)':<44}{a:>10.2f}ms{b:>10.2f}ms{a / b:>7.1f}x  "
                f"{target}"
            )
    for label, mine, theirs in pages:
        a, b = statistics.median(mine), statistics.median(theirs)
        target = "" if "OFFSET" in label else "<= 3x"
        print(f"{'page of 100, ' + label:<44}{a:>10.2f}ms{b:>10.2f}ms{a / b:>7.1f}x  {target}")
    if rate_db is not None:
        demo_rate, raw_rate = rows / seconds, raw_rows / raw_seconds
        print(
            f"{f'insert rate ({rows:,} rows)':<44}{demo_rate:>10,.0f}/s{raw_rate:>10,.0f}/s"
            f"{demo_rate / raw_rate:>7.0%}   >= 30%"
        )
    print(f"\n(total {time.perf_counter() - started:.0f} s)")
    raw.close()
    db.dispose()


if __name__ == "__main__":
    main()
