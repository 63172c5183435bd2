"""Funnel benchmark: ``funnel.funnel`` for all deals and for one owner against the raw
driver (sqlite3, or psycopg on PostgreSQL) running hand-written aggregate SQL of the same
shape on the same database.

    .venv/bin/python bench/bench_funnel.py [--deals 200000] [--moves 10] [--clients 20000]
        [--db PATH | --url postgresql+psycopg://postgres@127.0.0.1:5432/DB] [--rebuild]
        [--login dorlov] [--runs 15] [--warmup 2] [--explain]

The data set (built once, then reused; ``--rebuild`` builds it again):

1. the demo team and ``--clients`` clients without history (``demo.load_demo`` with
   ``history=False``: 4 reps own the clients);
2. ``--deals`` deals on those clients (the deal's owner is the client's owner), created
   over the last two years, 70% RUB, 15% USD, 15% CNY, with a source and a type, and
   about ``--moves`` stage changes each (2,000,000 for the defaults): a walk over the open
   stages, forward two times in three and back otherwise, 0.5-20 days apart; then 30%
   won, 25% lost (a last move into Won or Lost), the rest open in the stage reached.
   Rows go in through ``store/bulk.py`` (``executemany``) in one transaction, never ORM
   objects per row.

The file is ``termcrm-bench-funnel-<deals>.db`` in the temp directory (``--db`` to
choose). With ``--url`` the same data set goes into that PostgreSQL database (created
if missing; on a rebuild dropped and created again), through the same
``store/bulk.py``, which writes with ``COPY`` there; a marker table
(``bench_funnel_built``: deals, moves, clients, seed), written when a build completes,
says it can be reused. Its indexes are those of the migrations, among them the stays
of the stage history (``ix_deal_stage_history_stays``: deal, stage, in and out times,
0007), which the funnel reads alone; ``--rebuild`` after a migration changed them.

Then, with a warm cache (``--warmup`` untimed runs before ``--runs`` timed runs,
alternating with the raw counterpart; medians), it times ``funnel.funnel`` for the
director (all deals), for the director with an owner filter, and for a rep (their own
clients' deals, the access rule), each against raw sqlite3 (the app's pragmas: WAL,
16 MiB cache, mmap), or raw psycopg with ``--url``, running the same 8 statements
(currencies, stages, deals per stage, the furthest stage reached per deal, the stays per
stage (their ``left_at``), by source, by type, by owner) and fetching every row.
Target (issue 6): at most 1.5x raw.
Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import random
import re
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bench_store import remove_db, say  # the same file helpers
from termcrm.services import deals, demo, funnel, org
from termcrm.services.actor import Actor
from termcrm.services.funnel import FunnelFilter
from termcrm.store import bulk, migrate
from termcrm.store.engine import CACHE_KIB, MMAP_BYTES, Database, normalise_url
from termcrm.store.tables import Client, Deal, DealStageChange, table
from timing import Op, run, session

deal_t = table(Deal)
history_t = table(DealStageChange)
client_t = table(Client)
TARGET_RATIO = 1.5
SOURCES = ("Website", "Referral", "Cold call", "Trade show", "Tender", "Advertising", "")
KINDS = ("new business", "repeat sale", "upsell", "")
DEAL_KEYS = (
    "id",
    "version",
    "created_at",
    "updated_at",
    "deleted_at",
    "title",
    "client_id",
    "contact_id",
    "pipeline_id",
    "stage_id",
    "owner_id",
    "amount",
    "currency",
    "expected_close",
    "source",
    "kind",
    "amount_from_items",
    "competitor",
    "lost_reason",
    "description",
    "stage_changed_at",
    "closed_at",
)
HISTORY_KEYS = ("deal_id", "from_stage_id", "to_stage_id", "changed_at", "user_id", "left_at")
BATCH = 20_000

# -------------------------------------------------------------------- building


def _count(path: Path, sql: str) -> int:
    if not path.exists():
        return 0
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute(sql).fetchone()[0])
    except sqlite3.Error:
        return 0
    finally:
        conn.close()


def build(db: Database, n_deals: int, moves: int, clients: int, seed: int) -> None:
    """The data set, into a fresh (empty) database."""
    started = time.perf_counter()
    migrate.upgrade(db)
    demo.load_demo(db, admin_login="admin", clients=clients, seed=seed, history=False)
    say(f"  demo team and {clients:,} clients ({time.perf_counter() - started:.0f} s)")
    rng = random.Random(seed)
    now = datetime.now(UTC)
    with db.write() as s, bulk.bulk_loading(s):
        pipeline_id = deals.default_pipeline(s)
        stages = deals.stages(s, pipeline_id)
        opened = [st.id for st in stages if st.outcome == "open"]
        won = next(st.id for st in stages if st.outcome == "won")
        lost = next(st.id for st in stages if st.outcome == "lost")
        owners = s.execute(
            sa.select(client_t.c.id, client_t.c.owner_id).where(client_t.c.owner_id.is_not(None))
        ).all()
        ids = bulk.IdAllocator(s)
        made = changes = 0
        while made < n_deals:
            n = min(BATCH, n_deals - made)
            deal_rows: list[tuple[Any, ...]] = []
            hist_rows: list[tuple[Any, ...]] = []
            for deal_id in ids.take(deal_t, n):
                client_id, owner = rng.choice(owners)
                created = now - timedelta(days=rng.uniform(30, 730))
                walk = [rng.choice((0, 0, 0, 1, 2))]
                for _ in range(max(0, int(rng.gauss(moves - 1, 3)))):
                    pos = walk[-1]
                    up = rng.random() < 2 / 3
                    walk.append(min(pos + 1, 3) if up or pos == 0 else pos - 1)
                route = [opened[p] for p in walk]
                r = rng.random()
                if r < 0.30:
                    route.append(won)
                elif r < 0.55:
                    route.append(lost)
                when = created
                prev = None
                for n_stage, stage_id in enumerate(route):
                    moved = when + timedelta(days=rng.uniform(0.5, 20))
                    left = moved if n_stage + 1 < len(route) else None  # as move_deal sets it
                    hist_rows.append((deal_id, prev, stage_id, when, owner, left))
                    prev = stage_id
                    when = moved
                last = hist_rows[-1][3]
                closed = last if route[-1] in (won, lost) else None
                r = rng.random()
                currency = "RUB" if r < 0.7 else "USD" if r < 0.85 else "CNY"
                deal_rows.append(
                    (
                        deal_id,
                        1,
                        created,
                        last,
                        None,
                        f"Deal {deal_id}",
                        client_id,
                        None,
                        pipeline_id,
                        route[-1],
                        owner,
                        Decimal(rng.randrange(1_000, 5_000_000)),
                        currency,
                        (last + timedelta(days=rng.randint(0, 90))).date(),
                        rng.choice(SOURCES),
                        rng.choice(KINDS),
                        False,
                        "",
                        "too dear" if route[-1] == lost else "",
                        "",
                        last,
                        closed,
                    )
                )
            bulk.bulk_insert_tuples(s, deal_t, DEAL_KEYS, deal_rows)
            bulk.bulk_insert_tuples(s, history_t, HISTORY_KEYS, hist_rows)
            made += n
            changes += len(hist_rows)
            say(
                f"  {made:,} deals, {changes:,} stage changes "
                f"({time.perf_counter() - started:.0f} s)"
            )
    say(f"  loaded in {time.perf_counter() - started:.0f} s")


def ensure(args: argparse.Namespace, path: Path) -> None:
    have = _count(path, "SELECT count(*) FROM deal")
    if args.rebuild or have != args.deals:
        say(f"building {path}: {args.deals:,} deals, ~{args.deals * args.moves:,} stage changes")
        started = time.perf_counter()
        remove_db(path)
        db = Database(str(path))
        build(db, args.deals, args.moves, args.clients, args.seed)
        db.dispose()
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("ANALYZE")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        say(f"  built in {time.perf_counter() - started:.0f} s")
    else:
        say(f"reusing {path} ({have:,} deals)")


# -------------------------------------------------------------------- PostgreSQL

MARKER = "bench_funnel_built"


def libpq(url: str, database: str | None = None) -> str:
    """A psycopg conninfo for an SQLAlchemy URL (optionally of another database)."""
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def _pg_marker(url: str) -> tuple[int, int, int, int] | None:
    """(deals, moves, clients, seed) of a completed build, None if there is none."""
    import psycopg

    try:
        with psycopg.connect(libpq(url), connect_timeout=5) as conn:
            row = conn.execute(f"SELECT deals, moves, clients, seed FROM {MARKER}").fetchone()
    except psycopg.OperationalError as exc:
        if "does not exist" in str(exc):
            return None  # no such database yet
        raise
    except psycopg.errors.UndefinedTable:
        return None
    return None if row is None else (int(row[0]), int(row[1]), int(row[2]), int(row[3]))


def ensure_pg(args: argparse.Namespace, url: str) -> None:
    import psycopg

    name = make_url(url).database
    if not name or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) or name == "postgres":
        raise SystemExit(
            "--url needs a database of its own (letters, digits, _), not 'postgres': "
            "it is dropped and created again on a rebuild"
        )
    wanted = (args.deals, args.moves, args.clients, args.seed)
    have = _pg_marker(url)
    if not args.rebuild and have == wanted:
        say(f"reusing {make_url(url).render_as_string()} ({have[0]:,} deals)")
        return
    say(f"building {name}: {args.deals:,} deals, ~{args.deals * args.moves:,} stage changes")
    started = time.perf_counter()
    with psycopg.connect(libpq(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    db = Database(url)
    build(db, args.deals, args.moves, args.clients, args.seed)
    db.dispose()
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        conn.execute(f"CREATE TABLE {MARKER} (deals int, moves int, clients int, seed int)")
        conn.execute(f"INSERT INTO {MARKER} VALUES (%s, %s, %s, %s)", wanted)
    say(f"  built in {time.perf_counter() - started:.0f} s")


# -------------------------------------------------------------------- raw sqlite3

FROM = "FROM deal JOIN client ON client.id = deal.client_id "
WHERE = (
    "WHERE deal.deleted_at IS NULL AND client.deleted_at IS NULL {access} AND deal.pipeline_id = ? "
)
RAW_CURRENCIES = (
    f"SELECT deal.currency, count(*) AS n {FROM}{WHERE}"
    "GROUP BY deal.currency ORDER BY n DESC, deal.currency"
)
RAW_STAGES = (
    "SELECT id, name, position, probability, outcome FROM stage "
    "WHERE pipeline_id = ? AND deleted_at IS NULL ORDER BY position, id"
)
CUR = "AND deal.currency = ? "
RAW_CURRENT = (
    "SELECT deal.stage_id, count(*), sum(deal.amount), sum(deal.amount * stage.probability) "
    f"{FROM}JOIN stage ON stage.id = deal.stage_id {WHERE}{CUR}GROUP BY deal.stage_id"
)
RAW_REACH = (
    "SELECT stage.id, sum(r.n) FROM stage JOIN ("
    " SELECT reach, count(*) AS n FROM ("
    "  SELECT deal.id, CASE WHEN now_st.outcome = 'won' THEN 1000000 ELSE "
    "   max(CASE WHEN hist_st.outcome = 'open' THEN hist_st.position END) END AS reach "
    f"  {FROM}JOIN stage AS now_st ON now_st.id = deal.stage_id "
    "  JOIN deal_stage_history h ON h.deal_id = deal.id "
    f"  JOIN stage AS hist_st ON hist_st.id = h.to_stage_id {WHERE}{CUR}"
    "  GROUP BY deal.id, now_st.outcome) AS per_deal "
    " WHERE reach IS NOT NULL GROUP BY reach) AS r ON stage.position <= r.reach "
    "WHERE stage.pipeline_id = ? AND stage.outcome = 'open' GROUP BY stage.id"
)
RAW_DAYS = (
    "SELECT h.to_stage_id, count(*), "
    "avg((julianday(h.left_at) - julianday(h.changed_at)) * 86400.0) "
    f"{FROM}JOIN deal_stage_history h ON h.deal_id = deal.id {WHERE}{CUR}"
    "AND h.left_at IS NOT NULL GROUP BY h.to_stage_id"
)
FIGURES = (
    "count(*) AS deals, sum(deal.amount), "
    "sum(CASE WHEN stage.outcome = 'open' THEN 1 ELSE 0 END), "
    "sum(CASE WHEN stage.outcome = 'won' THEN 1 ELSE 0 END), "
    "sum(CASE WHEN stage.outcome = 'lost' THEN 1 ELSE 0 END), "
    "sum(CASE WHEN stage.outcome = 'won' THEN deal.amount ELSE 0 END)"
)
RAW_BY = (
    f"SELECT deal.{{col}} AS key, NULL, {FIGURES} {FROM}JOIN stage ON stage.id = deal.stage_id "
    f"{WHERE}{CUR}GROUP BY deal.{{col}} ORDER BY deals DESC, key"
)
RAW_BY_OWNER = (
    "SELECT coalesce(nullif(u.full_name, ''), u.login) AS key, deal.owner_id, "
    f"{FIGURES} {FROM}JOIN stage ON stage.id = deal.stage_id "
    f"JOIN user_account u ON u.id = deal.owner_id {WHERE}{CUR}"
    "GROUP BY deal.owner_id, u.full_name, u.login ORDER BY deals DESC, key"
)


def raw_connect(path: Path) -> sqlite3.Connection:
    """Plain sqlite3 with the settings of the app's (non-interactive) connections."""
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in (
        "journal_mode = WAL",
        "synchronous = NORMAL",
        "foreign_keys = ON",
        f"cache_size = -{CACHE_KIB}",
        f"mmap_size = {MMAP_BYTES}",
    ):
        conn.execute(f"PRAGMA {pragma}")
    return conn


PG_DAYS = "avg(EXTRACT(EPOCH FROM (h.left_at - h.changed_at)))"
SQLITE_DAYS = "avg((julianday(h.left_at) - julianday(h.changed_at)) * 86400.0)"


def for_pg(sql: str) -> str:
    """A statement above as PostgreSQL spells it (as ``store/dates.py`` compiles it)."""
    return sql.replace(SQLITE_DAYS, PG_DAYS).replace("?", "%s")


def pg_connect(url: str) -> Any:
    """Plain psycopg, each statement in a transaction of its own."""
    import psycopg

    return psycopg.connect(libpq(url), autocommit=True)


def raw_funnel(
    raw: Any, pipeline_id: int, *, client_owner: int | None, owner: int | None, pg: bool = False
) -> int:
    """The service's statements, by hand; the number of rows fetched."""
    access = ""
    base: tuple[Any, ...] = ()
    if client_owner is not None:
        access += "AND client.owner_id = ? "
        base += (client_owner,)
    if owner is not None:
        access += "AND deal.owner_id = ? "
        base += (owner,)

    def q(sql: str) -> str:
        sql = sql.replace("{access}", access)
        return for_pg(sql) if pg else sql

    where = (*base, pipeline_id)
    rows = raw.execute(q(RAW_CURRENCIES), where).fetchall()
    n = len(rows)
    currency = rows[0][0] if rows else "RUB"
    full = (*where, currency)
    n += len(raw.execute(q(RAW_STAGES), (pipeline_id,)).fetchall())
    n += len(raw.execute(q(RAW_CURRENT), full).fetchall())
    n += len(raw.execute(q(RAW_REACH), (*full, pipeline_id)).fetchall())
    n += len(raw.execute(q(RAW_DAYS), full).fetchall())
    for col in ("source", "kind"):
        n += len(raw.execute(q(RAW_BY.replace("{col}", col)), full).fetchall())
    n += len(raw.execute(q(RAW_BY_OWNER), full).fetchall())
    return n


# -------------------------------------------------------------------- timing


def explain(db: Database, raw: Any, actor: Actor, *, pg: bool = False) -> None:
    seen: list[tuple[str, Any]] = []

    def hook(conn: Any, cursor: Any, statement: str, params: Any, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, params))

    sa.event.listen(db.engine, "before_cursor_execute", hook)
    with session(db) as s:
        funnel.funnel(s, actor)
    sa.event.remove(db.engine, "before_cursor_execute", hook)
    for sql, params in seen:
        say(f"\n{sql}\n{params}")
        if pg:  # psycopg's %(name)s placeholders, as SQLAlchemy renders them
            for row in raw.execute("EXPLAIN " + sql, params):
                say("   ", row[0])
            continue
        for row in raw.execute("EXPLAIN QUERY PLAN " + sql, params):
            say("   ", row[-1])


# -------------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--deals", type=int, default=200_000)
    ap.add_argument("--moves", type=int, default=10, help="stage changes per deal, about")
    ap.add_argument("--clients", type=int, default=20_000)
    ap.add_argument("--db", type=Path, help="SQLite file to build or reuse")
    ap.add_argument(
        "--url",
        help="a PostgreSQL database to build or reuse instead, such as\n"
        "postgresql+psycopg://postgres@127.0.0.1:5432/termcrm_bench_funnel",
    )
    ap.add_argument("--rebuild", action="store_true", help="build even if --db (or --url) is there")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--login", default="dorlov", help="the rep (default dorlov)")
    ap.add_argument("--runs", type=int, default=15, help="timed runs per operation")
    ap.add_argument("--warmup", type=int, default=2, help="untimed runs first")
    ap.add_argument("--explain", action="store_true", help="print the services' query plans")
    args = ap.parse_args()
    if args.url and args.db:
        ap.error("give --db (SQLite) or --url (PostgreSQL), not both")
    started = time.perf_counter()
    pg = bool(args.url)
    raw: Any
    if pg:
        url = normalise_url(args.url)
        if not url.startswith("postgresql"):
            ap.error("--url is a PostgreSQL URL; use --db for an SQLite file")
        ensure_pg(args, url)
        shown = make_url(url).render_as_string()
        db = Database(url)
        raw = pg_connect(url)
    else:
        name = f"termcrm-bench-funnel-{args.deals}.db"
        path: Path = args.db or Path(tempfile.gettempdir()) / name
        path = path.expanduser().resolve()
        ensure(args, path)
        shown = str(path)
        db = Database(str(path))
        raw = raw_connect(path)
    param = "%s" if pg else "?"
    with db.read() as s:
        rep = org.actor_by_login(s, args.login)
        director = org.actor_by_login(s, "svolkov")
        found = funnel.find_pipeline(s, None)
    assert found is not None
    pipeline_id = found[0]
    n_deals = raw.execute("SELECT count(*) FROM deal").fetchone()[0]
    n_moves = raw.execute("SELECT count(*) FROM deal_stage_history").fetchone()[0]
    owned = raw.execute(f"SELECT count(*) FROM deal WHERE owner_id = {param}", (rep.id,))
    mine = owned.fetchone()[0]
    if args.explain:
        explain(db, raw, director, pg=pg)
        explain(db, raw, rep, pg=pg)
    by_owner = FunnelFilter(owner_id=rep.id)
    ops: list[Op] = [
        (
            "all deals (director)",
            lambda s: funnel.funnel(s, director),
            lambda: raw_funnel(raw, pipeline_id, client_owner=None, owner=None, pg=pg),
        ),
        (
            f"--owner {rep.login} (director)",
            lambda s: funnel.funnel(s, director, by_owner),
            lambda: raw_funnel(raw, pipeline_id, client_owner=None, owner=rep.id, pg=pg),
        ),
        (
            f"{rep.login}'s own (rep)",
            lambda s: funnel.funnel(s, rep),
            lambda: raw_funnel(raw, pipeline_id, client_owner=rep.id, owner=None, pg=pg),
        ),
    ]
    say(f"timing: {args.warmup} warm-up + {args.runs} timed runs per operation ...")
    results = run(db, ops, args.warmup, args.runs, digits=0)

    print(f"\ntermcrm funnel benchmark: {shown} ({db.dialect})")
    print(f"{n_deals:,} deals, {n_moves:,} stage changes; {rep.login} owns {mine:,} deals")
    print(f"medians of {args.runs} runs, warm cache")
    driver = "psycopg" if pg else "sqlite3"
    print(f"{'operation':<30}{'termcrm':>12}{driver:>12}{'ratio':>8}  target (<= {TARGET_RATIO}x)")
    print("-" * 80)
    for label, a, b in results:
        verdict = "met" if a / b <= TARGET_RATIO else "MISSED"
        print(f"{label:<30}{a:>10.0f}ms{b:>10.0f}ms{a / b:>7.2f}x  {verdict}")
    print(f"\n(total {time.perf_counter() - started:.0f} s)")
    raw.close()
    db.dispose()


if __name__ == "__main__":
    main()
