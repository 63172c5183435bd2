"""Planner benchmark: a rep's agenda, month calendar, overdue count and reminders against
raw sqlite3 on the same SQLite file.

    .venv/bin/python bench/bench_planner.py [--clients 1000000] [--tasks 5000000]
        [--users 20] [--series 20] [--db PATH] [--rebuild] [--login dorlov]
        [--runs 40] [--warmup 5] [--explain] [--profile]

The data set (built once, then reused; ``--rebuild`` builds it again):

1. the demo of ``--clients`` clients with its history, through the demo's bulk path
   (``load_demo``; for a million clients: 1.5 million contacts, 70% of them with a
   birthday, 1.84 million tasks, a repeating first-Monday call for one company in
   40, 111,000 company dates);
2. topped up to ``--tasks`` tasks over ``--users`` reps: reps are added (alternately
   in Wholesale and Retail) until there are ``--users``; each department's clients
   are shared out among its reps (by client id), every task goes to its client's
   owner, and each rep gets new tasks on their own clients up to ``--tasks /
   --users``: due over the last two years and the next four months in office hours,
   done, cancelled or open (overdue ones within the last month) in about the demo's
   mix, half with a reminder; plus ``--series`` repeating tasks per rep with assorted
   rules (daily, weekdays, weekly, fortnightly, monthly) stored as ``tasks.add_task``
   stores them, started up to a year ago, each with its last three occurrences done
   (rows with series_id). Rows go in through ``store/bulk.py`` (``executemany``), in
   one transaction, in the order they were created. No ORM object per row.

The file is ``termcrm-bench-planner-<clients>.db`` in the temp directory (``--db`` to
choose): about 7 GB for a million clients; building it takes about 20 minutes on 2
cores (the demo 15, the top-up 4). Its indexes are made those of the current
migrations at every run (dropped and made again where they differ), so a file built
before an index changed still measures the current ones.

Then, for one rep (``--login``, default dorlov) in Europe/Moscow, with a warm cache
(each operation runs ``--warmup`` times before ``--runs`` timed runs, alternating with
its raw counterpart; medians are printed), it times:

- ``planner.agenda`` for today, this week, this calendar month and the next one (with
  the overdue list when the span holds today, as the planner screen asks),
  ``planner.month_counts`` for this month and the next (every monthly series falls
  in the next one), the planner's month view (this month's counts and today's list
  below the calendar, as the screen reads them), ``tasks.overdue_count`` and
  ``planner.reminders``;
- against raw sqlite3 (the app's settings: WAL, 16 MiB cache, mmap) running
  hand-written SQL of the same shape on the same indexes and fetching every row:
  the tasks of the span with the client's and the user's names, the open series,
  the birthdays and company dates by owner, month and day (their copy of the
  client's owner, store/owners.py, then the client for its name), the overdue list
  and count; for the month view, the tasks counted per due time, the series grouped by
  rule, start, zone and current time, and the dates counted per day from the owner's
  index entries.

Targets (issue 5): at most 2x raw and under 50 ms. Not a test: it prints figures.
``--explain`` prints the query plans of the services' statements; ``--profile`` their
top functions under cProfile.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import sqlite3
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bench_store import client_count, remove_db, say  # the same file helpers
from termcrm.services import demo, org, planner, recurrence, tasks
from termcrm.services.actor import Actor
from termcrm.services.demo import words
from termcrm.store import bulk, migrate
from termcrm.store.engine import CACHE_KIB, MMAP_BYTES, Database
from termcrm.store.tables import Task, User, table
from timing import Op, run, session

task_t = table(Task)
user_t = table(User)
ZONE = "Europe/Moscow"
TARGET_RATIO = 2.0
TARGET_MS = 50.0

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


def build_demo(path: Path, clients: int, seed: int) -> None:
    remove_db(path)
    db = Database(str(path))
    migrate.upgrade(db)
    step = max(clients // 10, demo.BATCH)
    start = time.perf_counter()
    shown = [0]

    def progress(stage: str, count: int) -> None:
        if stage != "clients" or count - shown[0] >= step or count == clients:
            shown[0] = count
            say(f"  demo {stage}: {count:,} ({time.perf_counter() - start:.0f} s)")

    summary = demo.load_demo(
        db, admin_login="admin", clients=clients, seed=seed, history=True, progress=progress
    )
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    counts = {k: v for k, v in asdict(summary).items() if isinstance(v, int) and v}
    say(f"  demo built in {time.perf_counter() - start:.0f} s: {counts}")


TASK_KEYS = (
    "version",
    "created_at",
    "updated_at",
    "deleted_at",
    "title",
    "kind",
    "due_at",
    "assignee_id",
    "author_id",
    "status",
    "notes",
    "client_id",
    "contact_id",
    "deal_id",
    "completed_at",
    "duration_min",
    "remind_before_min",
    "rrule",
    "series_start",
    "series_tz",
    "series_id",
    "cancel_reason",
    "interaction_id",
    "ical_uid",
)
SERIES_RULES = (
    "FREQ=DAILY",
    "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
    "FREQ=WEEKLY;BYDAY={wd}",
    "FREQ=WEEKLY;INTERVAL=2;BYDAY={wd}",
    "FREQ=MONTHLY;BYMONTHDAY={day}",
    "FREQ=MONTHLY;BYDAY=1{wd}",
    "FREQ=MONTHLY;BYDAY=-1FR",
)
CANCEL_REASONS = ("client asked to postpone", "duplicate", "no longer needed", "client closed")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def _new_reps(s: Any, wanted: int) -> dict[int, list[int]]:
    """Add reps (alternately in each sales department) until there are ``wanted``;
    department id -> its reps' ids."""
    rows = s.execute(
        sa.select(user_t.c.id, user_t.c.department_id)
        .where(user_t.c.role == "rep", user_t.c.active.is_(True))
        .order_by(user_t.c.id)
    ).all()
    by_dept: dict[int, list[int]] = {}
    for uid, dept in rows:
        by_dept.setdefault(dept, []).append(uid)
    depts = sorted(by_dept)
    missing = wanted - len(rows)
    if missing > 0:
        ids = bulk.IdAllocator(s).take(user_t, missing)
        now = datetime.now(UTC)
        new = []
        for n, uid in enumerate(ids):
            dept = depts[n % len(depts)]
            new.append(
                {
                    "id": uid,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                    "deleted_at": None,
                    "login": f"rep{n + 1:02d}",
                    "full_name": f"Rep {n + 1:02d}",
                    "role": "rep",
                    "department_id": dept,
                    "active": True,
                }
            )
            by_dept[dept].append(uid)
        bulk.bulk_insert(s, user_t, new)
    return by_dept


def top_up(path: Path, total: int, users: int, series: int, seed: int) -> None:
    """Share the clients and tasks out among ``users`` reps and add tasks up to ``total``."""
    started = time.perf_counter()
    rng = random.Random(seed)
    db = Database(str(path))
    with db.write() as s, bulk.bulk_loading(s):
        conn = bulk.connection_of(s)
        by_dept = _new_reps(s, users)
        reps = sorted(u for ids in by_dept.values() for u in ids)
        say(f"  {len(reps)} reps; sharing the clients out among them ...")
        conn.exec_driver_sql(
            "CREATE TEMP TABLE bench_owner (dept INTEGER, k INTEGER, user_id INTEGER, "
            "PRIMARY KEY (dept, k))"
        )
        for dept, ids in by_dept.items():
            for k, uid in enumerate(ids):
                conn.exec_driver_sql("INSERT INTO bench_owner VALUES (?, ?, ?)", (dept, k, uid))
        sizes = " ".join(f"WHEN {d} THEN {len(ids)}" for d, ids in by_dept.items())
        conn.exec_driver_sql(
            "UPDATE client SET owner_id = (SELECT user_id FROM bench_owner m "
            f"WHERE m.dept = client.department_id AND m.k = client.id % "
            f"(CASE client.department_id {sizes} END)) "
            f"WHERE department_id IN ({', '.join(str(d) for d in by_dept)})"
        )
        say(f"  every task to its client's owner ({time.perf_counter() - started:.0f} s) ...")
        conn.exec_driver_sql(
            "UPDATE task SET assignee_id = (SELECT owner_id FROM client "
            "WHERE client.id = task.client_id) WHERE client_id IS NOT NULL"
        )
        have = dict(
            conn.exec_driver_sql(
                "SELECT assignee_id, count(*) FROM task GROUP BY assignee_id"
            ).all()
        )
        clients_of: dict[int, list[int]] = {u: [] for u in reps}
        for cid, owner in conn.exec_driver_sql(
            "SELECT id, owner_id FROM client WHERE deleted_at IS NULL"
        ):
            if owner in clients_of:
                clients_of[owner].append(cid)
        per_user = total // users
        say(
            f"  generating tasks up to {per_user:,} per rep "
            f"({time.perf_counter() - started:.0f} s) ..."
        )
        titles = [t for loc in words.LOCALES for t in loc.task_titles]
        now = datetime.now(UTC)
        today = now.replace(hour=0, minute=0, second=0, microsecond=0)
        rows: list[tuple[Any, ...]] = []
        for uid in reps:
            mine = clients_of[uid]
            for _ in range(max(0, per_user - have.get(uid, 0) - series * 4)):
                rows.append(_plain_task(rng, uid, rng.choice(mine), titles, now, today))
        rows.sort(key=lambda r: r[1])  # in the order they were created
        say(f"  inserting {len(rows):,} tasks ({time.perf_counter() - started:.0f} s) ...")
        step = 250_000
        for i in range(0, len(rows), step):
            bulk.bulk_insert_tuples(s, task_t, TASK_KEYS, rows[i : i + step])
            say(f"    {min(i + step, len(rows)):,}")
        del rows
        made = _series(s, rng, reps, clients_of, series, titles, now)
        say(f"  {made:,} repeating tasks with their done occurrences")
        if not conn.exec_driver_sql("SELECT 1 FROM significant_date LIMIT 1").first():
            say("  the demo made no company dates: run it with the current demo")
    with db.engine.connect() as c:
        c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    say(f"  topped up in {time.perf_counter() - started:.0f} s")


TASK_DEFAULTS: dict[str, Any] = {
    "version": 1,
    "deleted_at": None,
    "notes": "",
    "contact_id": None,
    "deal_id": None,
    "completed_at": None,
    "duration_min": None,
    "remind_before_min": None,
    "rrule": "",
    "series_start": None,
    "series_tz": "",
    "series_id": None,
    "cancel_reason": "",
    "interaction_id": None,
    "ical_uid": "",
}


def _task_row(**values: Any) -> tuple[Any, ...]:
    return tuple(values[k] if k in values else TASK_DEFAULTS[k] for k in TASK_KEYS)


def _plain_task(
    rng: random.Random,
    uid: int,
    client_id: int,
    titles: list[tuple[str, str]],
    now: datetime,
    today: datetime,
) -> tuple[Any, ...]:
    # due over the last two years and the next four months, 07:00-17:45 UTC
    due = today + timedelta(days=rng.randint(-730, 120), minutes=rng.randrange(420, 1080, 15))
    kind, title = rng.choice(titles)
    completed = None
    reason = ""
    r = rng.random()
    if due < now - timedelta(days=30):
        status = "done" if r < 0.93 else "cancelled"
    elif due < now:
        status = "open" if r < 0.35 else "done" if r < 0.95 else "cancelled"
    else:
        status = "open" if r < 0.97 else "cancelled"
    if status == "done":
        completed = min(now, due + timedelta(minutes=rng.randint(-600, 3 * 1440)))
    elif status == "cancelled":
        reason = rng.choice(CANCEL_REASONS)
    created = min(due, now) - timedelta(days=rng.randint(1, 14), minutes=rng.randrange(600))
    updated = completed or created
    remind = rng.choice((15, 15, 30, 60, 1440)) if rng.random() < 0.5 else None
    duration = {"call": 15, "meeting": 60, "visit": 90}.get(kind)
    return (
        1,
        created,
        updated,
        None,
        title,
        kind,
        due,
        uid,
        uid,
        status,
        "",
        client_id,
        None,
        None,
        completed,
        duration,
        remind,
        "",
        None,
        "",
        None,
        reason,
        None,
        "",
    )


def _series(
    s: Any,
    rng: random.Random,
    reps: list[int],
    clients_of: dict[int, list[int]],
    per_rep: int,
    titles: list[tuple[str, str]],
    now: datetime,
) -> int:
    """``per_rep`` repeating tasks per rep, as add_task stores them, started up to a year
    ago (due_at their next pending occurrence, one in five overdue), each with three
    done occurrences of their own (series_id)."""
    zones = ("Europe/Moscow", "Europe/Moscow", "Asia/Shanghai", "America/New_York")
    ids = bulk.IdAllocator(s).take(task_t, len(reps) * per_rep)
    heads: list[tuple[Any, ...]] = []
    done: list[tuple[Any, ...]] = []
    n = 0
    for uid in reps:
        for _ in range(per_rep):
            zone_name = rng.choice(zones)
            zone = ZoneInfo(zone_name)
            local_day = now.astimezone(zone).date() - timedelta(days=rng.randint(30, 365))
            start = datetime.combine(
                local_day, dtime(rng.choice((9, 10, 11, 14, 16)), rng.choice((0, 30))), zone
            ).astimezone(UTC)
            template = rng.choice(SERIES_RULES)
            local = start.astimezone(zone)
            rule = recurrence.normalize(
                template.format(wd=WEEKDAYS[local.weekday()], day=min(local.day, 28)), start, zone
            )
            start = recurrence.between(rule, start, zone_name, start, now + timedelta(days=400))[0]
            past = recurrence.between(rule, start, zone_name, start, now)
            nxt = recurrence.next_after(rule, start, zone_name, now)
            assert nxt is not None
            due = past[-1] if past and rng.random() < 0.2 else nxt
            kind, title = rng.choice(titles)
            client_id = rng.choice(clients_of[uid])
            sid = ids[n]
            n += 1
            common = {
                "title": title,
                "kind": kind,
                "assignee_id": uid,
                "author_id": uid,
                "client_id": client_id,
                "duration_min": 15,
                "remind_before_min": 30,
            }
            created = start - timedelta(days=1)
            heads.append(
                (
                    sid,
                    *_task_row(
                        **common,
                        created_at=created,
                        updated_at=created,
                        due_at=due,
                        status="open",
                        rrule=rule,
                        series_start=start,
                        series_tz=zone_name,
                    ),
                )
            )
            for moment in [m for m in past if m < due][-3:]:
                done.append(
                    _task_row(
                        **common,
                        created_at=moment,
                        updated_at=moment,
                        due_at=moment,
                        status="done",
                        completed_at=moment,
                        series_id=sid,
                    )
                )
    bulk.bulk_insert_tuples(s, task_t, ("id", *TASK_KEYS), heads)
    bulk.bulk_insert_tuples(s, task_t, TASK_KEYS, done)
    return len(heads)


def sync_indexes(path: Path) -> None:
    """Make the file's indexes those of a freshly migrated database (a file built before
    the indexes of an unreleased migration changed would measure the old ones)."""
    fresh = Path(tempfile.gettempdir()) / "termcrm-bench-planner-schema.db"
    remove_db(fresh)
    db = Database(str(fresh))
    migrate.upgrade(db)
    db.dispose()
    query = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
    conn = sqlite3.connect(fresh)
    wanted = dict(conn.execute(query).fetchall())
    conn.close()
    remove_db(fresh)
    conn = sqlite3.connect(path, isolation_level=None)
    have = dict(conn.execute(query).fetchall())
    for name, sql in have.items():
        if wanted.get(name) != sql:
            say(f"  dropping index {name} (not the migrations' own)")
            conn.execute(f'DROP INDEX "{name}"')
    for name, sql in wanted.items():
        if have.get(name) != sql:
            say(f"  creating index {name} as the migrations make it ...")
            conn.execute(sql)
    conn.close()


def ensure(args: argparse.Namespace, path: Path) -> None:
    if args.rebuild or client_count(path) != args.clients:
        say(f"building {path}: the demo of {args.clients:,} clients with its history ...")
        build_demo(path, args.clients, args.seed)
    tasks_now = _count(path, "SELECT count(*) FROM task")
    if tasks_now < args.tasks * 0.98:
        say(f"topping {path} up from {tasks_now:,} to {args.tasks:,} tasks over {args.users} reps")
        top_up(path, args.tasks, args.users, args.series, args.seed)
    else:
        say(f"reusing {path} ({args.clients:,} clients, {tasks_now:,} tasks)")
    db = Database(str(path))
    if migrate.current_revision(db) != migrate.head_revision():
        say("  bringing the file to the current migrations ...")
        migrate.upgrade(db)
    db.dispose()
    sync_indexes(path)


# -------------------------------------------------------------------- raw sqlite3

TASK_COLS = (
    "t.*, coalesce(c.name, '') AS client_name, "
    "coalesce(nullif(u.full_name, ''), u.login) AS assignee_name"
)
TASK_FROM = (
    "FROM task t JOIN user_account u ON u.id = t.assignee_id "
    "LEFT JOIN client c ON c.id = t.client_id "
    "WHERE t.deleted_at IS NULL AND c.deleted_at IS NULL AND t.assignee_id = ? "
)
RAW_PLAIN = (
    f"SELECT {TASK_COLS} {TASK_FROM}AND t.status IN ('open', 'done') "
    "AND t.due_at >= ? AND t.due_at < ? AND t.series_start IS NULL ORDER BY t.due_at, t.id"
)
RAW_SERIES = (
    f"SELECT {TASK_COLS} {TASK_FROM}AND t.series_start IS NOT NULL AND t.status = 'open' "
    "AND t.due_at < ? ORDER BY t.due_at, t.id"
)
RAW_OVERDUE = (
    f"SELECT {TASK_COLS} {TASK_FROM}AND t.status = 'open' AND t.due_at < ? "
    "ORDER BY t.due_at, t.id LIMIT 200"
)
# tasks of a trashed client are left out; a count needs nothing else of the client
LIVE_CLIENT = (
    "(t.client_id IS NULL OR t.client_id NOT IN "
    "(SELECT id FROM client WHERE deleted_at IS NOT NULL))"
)
RAW_OVERDUE_COUNT = (
    "SELECT count(*) FROM task t WHERE t.assignee_id = ? AND t.status = 'open' AND t.due_at < ? "
    f"AND t.deleted_at IS NULL AND {LIVE_CLIENT}"
)
RAW_DUES = (
    "SELECT t.due_at, t.status, count(*) FROM task t "
    f"WHERE t.deleted_at IS NULL AND {LIVE_CLIENT} AND t.assignee_id = ? "
    "AND t.status IN ('open', 'done') AND t.due_at >= ? AND t.due_at < ? "
    "AND t.series_start IS NULL GROUP BY t.due_at, t.status"
)
RAW_REMIND = (
    f"SELECT {TASK_COLS} {TASK_FROM}AND t.status = 'open' AND t.remind_before_min IS NOT NULL "
    "AND t.due_at >= ? AND t.due_at < ? ORDER BY t.due_at, t.id"
)
MONTH_DAY = "CAST(strftime('%m%d', ct.birthday) AS INTEGER)"
# by the owner's entries of the days' index (the partial index: live contacts with a
# birthday; owner_id is the client's owner copied by triggers), then the client for its
# name and to leave out a trashed one
RAW_BIRTHDAYS = (
    "SELECT ct.id, ct.full_name, ct.birthday, ct.birthday_remind_days, ct.client_id, c.name "
    "FROM contact ct JOIN client c ON c.id = ct.client_id "
    f"WHERE ct.owner_id = ? AND {MONTH_DAY} BETWEEN ? AND ? AND ct.birthday IS NOT NULL "
    "AND ct.deleted_at IS NULL AND c.deleted_at IS NULL"
)
RAW_COMPANY = (
    "SELECT d.*, c.name FROM significant_date d JOIN client c ON c.id = d.client_id "
    "WHERE d.owner_id = ? AND d.month_day BETWEEN ? AND ? AND d.deleted_at IS NULL "
    "AND c.deleted_at IS NULL"
)

# the month calendar counts: the owner's index entries of the days alone, the trashed
# clients left out by their few ids; the series grouped by rule, start, zone and time
RAW_BIRTHDAY_COUNTS = (
    f"SELECT {MONTH_DAY}, count(*) FROM contact ct WHERE ct.owner_id = ? "
    f"AND {MONTH_DAY} BETWEEN ? AND ? AND ct.birthday IS NOT NULL AND ct.deleted_at IS NULL "
    f"AND ct.client_id NOT IN (SELECT id FROM client WHERE deleted_at IS NOT NULL) "
    f"GROUP BY {MONTH_DAY}"
)
RAW_COMPANY_COUNTS = (
    "SELECT d.month_day, count(*) FROM significant_date d WHERE d.owner_id = ? "
    "AND d.month_day BETWEEN ? AND ? AND d.deleted_at IS NULL "
    "AND d.client_id NOT IN (SELECT id FROM client WHERE deleted_at IS NOT NULL) "
    "GROUP BY d.month_day"
)
RAW_SERIES_GROUPS = (
    "SELECT t.rrule, t.series_start, t.series_tz, t.due_at, count(*) FROM task t "
    f"WHERE t.deleted_at IS NULL AND {LIVE_CLIENT} AND t.assignee_id = ? "
    "AND t.series_start IS NOT NULL AND t.status = 'open' AND t.due_at < ? "
    "GROUP BY t.rrule, t.series_start, t.series_tz, t.due_at"
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


def stamp(moment: datetime) -> str:
    """A UTC time as the store keeps it on SQLite."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _md(day: date) -> int:
    return day.month * 100 + day.day


def _md_spans(first: date, last: date) -> list[tuple[int, int]]:
    if first.year == last.year:
        return [(_md(first), _md(last))]
    return [(_md(first), 1231), (101, _md(last))]


def raw_dates(raw: sqlite3.Connection, uid: int, first: date, last: date) -> int:
    n = 0
    for lo, hi in _md_spans(first, last):
        n += len(raw.execute(RAW_BIRTHDAYS, (uid, lo, hi)).fetchall())
        n += len(raw.execute(RAW_COMPANY, (uid, lo, hi)).fetchall())
    return n


def raw_agenda(
    raw: sqlite3.Connection,
    uid: int,
    first: date,
    last: date,
    tz: ZoneInfo,
    now: datetime,
    *,
    overdue: bool = True,
) -> int:
    start, end = planner.utc_span(first, last, tz)
    n = len(raw.execute(RAW_PLAIN, (uid, stamp(start), stamp(end))).fetchall())
    n += len(raw.execute(RAW_SERIES, (uid, stamp(end))).fetchall())
    n += raw_dates(raw, uid, first, last)
    if overdue and first <= now.astimezone(tz).date() <= last:
        rows = raw.execute(RAW_OVERDUE, (uid, stamp(min(start, now)))).fetchall()
        if len(rows) == 200:
            raw.execute(RAW_OVERDUE_COUNT, (uid, stamp(min(start, now)))).fetchone()
        n += len(rows)
    return n


def raw_month(raw: sqlite3.Connection, uid: int, first: date, last: date, tz: ZoneInfo) -> int:
    start, end = planner.utc_span(first, last, tz)
    n = len(raw.execute(RAW_DUES, (uid, stamp(start), stamp(end))).fetchall())
    n += len(raw.execute(RAW_SERIES_GROUPS, (uid, stamp(end))).fetchall())
    for lo, hi in _md_spans(first, last):
        n += len(raw.execute(RAW_BIRTHDAY_COUNTS, (uid, lo, hi)).fetchall())
        n += len(raw.execute(RAW_COMPANY_COUNTS, (uid, lo, hi)).fetchall())
    return n


def raw_overdue(raw: sqlite3.Connection, uid: int, now: datetime) -> int:
    return int(raw.execute(RAW_OVERDUE_COUNT, (uid, stamp(now))).fetchone()[0])


def raw_reminders(raw: sqlite3.Connection, uid: int, tz: ZoneInfo, now: datetime) -> int:
    today = now.astimezone(tz).date()
    day_start = datetime.combine(today, dtime(), tz).astimezone(UTC)
    n = len(
        raw.execute(RAW_REMIND, (uid, stamp(day_start), stamp(now + timedelta(days=7)))).fetchall()
    )
    return n + raw_dates(raw, uid, today, today + timedelta(days=30))


# -------------------------------------------------------------------- timing


class Capture:
    """Every SELECT the services run, for EXPLAIN QUERY PLAN."""

    def __init__(self, db: Database) -> None:
        self.on = False
        self.seen: list[tuple[str, Any]] = []
        sa.event.listen(db.engine, "before_cursor_execute", self._hook)

    def _hook(self, conn: Any, cursor: Any, statement: str, params: Any, *args: Any) -> None:
        if self.on and statement.lstrip().upper().startswith("SELECT"):
            self.seen.append((statement, params))


def explain(db: Database, raw: sqlite3.Connection, ops: list[Op]) -> None:
    capture = Capture(db)
    for label, mine, _ in ops:
        capture.seen.clear()
        capture.on = True
        with session(db) as s:
            mine(s)
        capture.on = False
        for sql, params in capture.seen:
            say(f"\n-- {label}\n{sql}\n{params}")
            for row in raw.execute("EXPLAIN QUERY PLAN " + sql, params):
                say("   ", row[-1])


def profile(db: Database, ops: list[Op]) -> None:
    for label, mine, _ in ops:
        prof = cProfile.Profile()
        for _ in range(5):
            with session(db) as s:
                prof.runcall(mine, s)
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(14)
        say(f"\n== {label} (5 calls)\n{out.getvalue()}")


# -------------------------------------------------------------------- main


def describe(raw: sqlite3.Connection, actor: Actor, first: date, last: date, tz: ZoneInfo) -> str:
    start, end = planner.utc_span(first, last, tz)
    uid = actor.id
    tasks_all = raw.execute("SELECT count(*) FROM task").fetchone()[0]
    users = raw.execute("SELECT count(DISTINCT assignee_id) FROM task").fetchone()[0]
    mine = raw.execute("SELECT count(*) FROM task WHERE assignee_id = ?", (uid,)).fetchone()[0]
    month = sum(r[2] for r in raw.execute(RAW_DUES, (uid, stamp(start), stamp(end))))
    series = raw.execute(
        "SELECT count(*) FROM task WHERE assignee_id = ? AND series_start IS NOT NULL "
        "AND status = 'open'",
        (uid,),
    ).fetchone()[0]
    dates = raw_dates(raw, uid, first, last)
    clients = raw.execute(
        "SELECT count(*) FROM client WHERE owner_id = ? AND deleted_at IS NULL", (uid,)
    ).fetchone()[0]
    return (
        f"{tasks_all:,} tasks over {users} users; {actor.login}: {clients:,} clients, "
        f"{mine:,} tasks, {month:,} open or done this month, {series:,} open series, "
        f"{dates:,} birthdays and company dates this month"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--clients", type=int, default=1_000_000)
    ap.add_argument("--tasks", type=int, default=5_000_000)
    ap.add_argument("--users", type=int, default=20, help="reps holding the tasks")
    ap.add_argument("--series", type=int, default=20, help="extra repeating tasks per rep")
    ap.add_argument("--db", type=Path, help="SQLite file to build or reuse")
    ap.add_argument("--rebuild", action="store_true", help="build even if --db is there")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--login", default="dorlov", help="whose planner (default dorlov, a rep)")
    ap.add_argument("--runs", type=int, default=40, help="timed runs per operation")
    ap.add_argument("--warmup", type=int, default=5, help="untimed runs first")
    ap.add_argument("--explain", action="store_true", help="print the services' query plans")
    ap.add_argument("--profile", action="store_true", help="print the top functions")
    args = ap.parse_args()
    path: Path = args.db or Path(tempfile.gettempdir()) / f"termcrm-bench-planner-{args.clients}.db"
    path = path.expanduser().resolve()
    started = time.perf_counter()
    ensure(args, path)

    db = Database(str(path))
    raw = raw_connect(path)
    tz = ZoneInfo(ZONE)
    now = datetime.now(UTC)
    today = now.astimezone(tz).date()
    first = today.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    monday = today - timedelta(days=today.weekday())
    after = last + timedelta(days=1)  # the next month: every monthly series falls in it
    after_last = (after + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    with db.read() as s:
        actor = org.actor_by_login(s, args.login)
    uid = actor.id
    say(describe(raw, actor, first, last, tz))

    def agenda(a: date, b: date) -> Callable[[Any], Any]:
        return lambda s: planner.agenda(s, actor, a, b, tz, now=now)

    ops: list[Op] = [
        (
            "agenda, today",
            agenda(today, today),
            lambda: raw_agenda(raw, uid, today, today, tz, now),
        ),
        (
            "agenda, this week",
            agenda(monday, monday + timedelta(days=6)),
            lambda: raw_agenda(raw, uid, monday, monday + timedelta(days=6), tz, now),
        ),
        (
            f"agenda, {first:%B %Y}",
            agenda(first, last),
            lambda: raw_agenda(raw, uid, first, last, tz, now),
        ),
        (
            f"month_counts, {first:%B %Y}",
            lambda s: planner.month_counts(s, actor, first.year, first.month, tz, now=now),
            lambda: raw_month(raw, uid, first, last, tz),
        ),
        (
            "month view (calendar+day)",
            lambda s: (
                planner.month_counts(s, actor, first.year, first.month, tz, now=now),
                planner.agenda(s, actor, today, today, tz, now=now, with_overdue=False),
            ),
            lambda: (
                raw_month(raw, uid, first, last, tz)
                + raw_agenda(raw, uid, today, today, tz, now, overdue=False)
            ),
        ),
        (
            f"agenda, {after:%B %Y}",
            agenda(after, after_last),
            lambda: raw_agenda(raw, uid, after, after_last, tz, now),
        ),
        (
            f"month_counts, {after:%B %Y}",
            lambda s: planner.month_counts(s, actor, after.year, after.month, tz, now=now),
            lambda: raw_month(raw, uid, after, after_last, tz),
        ),
        (
            "overdue_count",
            lambda s: tasks.overdue_count(s, actor, now=now),
            lambda: raw_overdue(raw, uid, now),
        ),
        (
            "reminders",
            lambda s: planner.reminders(s, actor, tz, now=now),
            lambda: raw_reminders(raw, uid, tz, now),
        ),
    ]
    if args.explain:
        explain(db, raw, ops)
    if args.profile:
        profile(db, ops)
    say(f"timing: {args.warmup} warm-up + {args.runs} timed runs per operation ...")
    results = run(db, ops, args.warmup, args.runs)

    print(f"\ntermcrm planner benchmark: {path}")
    print(describe(raw, actor, first, last, tz))
    print(f"rep {actor.login}, {ZONE}, today {today}; medians of {args.runs} runs, warm cache")
    print(f"{'operation':<28}{'termcrm':>12}{'raw':>12}{'ratio':>8}  target (<= 2x, < 50 ms)")
    print("-" * 84)
    for label, a, b in results:
        if a / b > TARGET_RATIO:
            verdict = "MISSED"
        elif a >= TARGET_MS:
            verdict = f"ratio met, over {TARGET_MS:.0f} ms"
        else:
            verdict = "met"
        print(f"{label:<28}{a:>10.2f}ms{b:>10.2f}ms{a / b:>7.1f}x  {verdict}")
    print(f"\n(total {time.perf_counter() - started:.0f} s)")
    raw.close()
    db.dispose()


if __name__ == "__main__":
    main()
