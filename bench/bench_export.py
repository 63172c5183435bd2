"""Export benchmark: `termcrm export clients` to xlsx against raw openpyxl write-only.

    .venv/bin/python bench/bench_export.py --clients 100000 [--db PATH] [--small 10000]
                                           [--no-history] [--rebuild] [--profile]

Builds (or reuses) SQLite databases of N clients (and of --small clients, for the
memory comparison) through the demo's bulk path, with history by default (so the
Last contact and Next task columns are filled as in real use), then prints:

- the export of every client to xlsx as the admin, through ``exchange.export``
  (keyset-batched reads, the batch queries for phones, emails, tags, addresses
  and next tasks, the styled streaming writer), against raw openpyxl
  ``Workbook(write_only=True)`` appending the very same cells: those cells are
  fetched first and only the raw writing is timed. Target: <= 1.5x;
- how the export's time splits: reading the rows (SQL and the row objects, with
  the cells built) and the rest (the xlsx writer);
- peak memory of the export of --small and of N clients, each measured in a fresh
  subprocess: peak RSS (``getrusage``; it includes the interpreter, the imports
  and SQLite's memory-mapped file pages) and the Python heap's peak
  (``tracemalloc``, a separate run: it slows the export). Target: the same within
  20%.

``--profile`` prints the export's top functions under cProfile. Not a test: it
prints figures.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench_store import client_count, remove_db  # the same file helpers (bench/ is on sys.path)
from termcrm.exchange import export as exporter
from termcrm.services import demo, export_rows, org
from termcrm.store import migrate
from termcrm.store.engine import Database

ROOT = Path(__file__).resolve().parents[1]


def say(*parts: Any) -> None:
    print(*parts, file=sys.stderr, flush=True)


def build(path: Path, clients: int, seed: int, history: bool) -> None:
    remove_db(path)
    db = Database(str(path))
    migrate.upgrade(db)
    step = max(clients // 5, demo.BATCH)
    shown = [0]

    def progress(stage: str, count: int) -> None:
        if stage != "clients" or count - shown[0] >= step or count == clients:
            shown[0] = count
            say(f"  demo {stage}: {count:,}")

    start = time.perf_counter()
    summary = demo.load_demo(
        db, admin_login="admin", clients=clients, seed=seed, history=history, progress=progress
    )
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    counts = {k: v for k, v in asdict(summary).items() if isinstance(v, int) and v}
    say(f"  built in {time.perf_counter() - start:.0f} s: {counts}")


def ensure(path: Path, clients: int, seed: int, history: bool, rebuild: bool) -> None:
    if rebuild or client_count(path) != clients:
        say(f"building {path} with {clients:,} clients through the demo path ...")
        build(path, clients, seed, history)
    else:
        say(f"reusing {path} ({clients:,} clients)")


# ------------------------------------------------------------------ timing


Clock = tuple[float, float]  # wall seconds, CPU seconds of this process


def clock() -> Clock:
    return time.perf_counter(), time.process_time()


def since(start: Clock) -> Clock:
    return time.perf_counter() - start[0], time.process_time() - start[1]


def export_once(db: Database, out: Path) -> tuple[int, Clock]:
    with db.read() as s:
        actor = org.actor_by_login(s, "admin")
    start = clock()
    with db.read() as s:
        result = exporter.export(s, actor, "clients", "xlsx", out)
    return result.rows, since(start)


def fetch_cells(db: Database) -> tuple[list[str], list[tuple[Any, ...]], Clock]:
    """The header and every row's cells exactly as the export hands them to its writer,
    and the seconds that reading took (SQL, row objects, cells)."""
    with db.read() as s:
        actor = org.actor_by_login(s, "admin")
    start = clock()
    with db.read() as s:
        columns, cells = exporter.columns_for(s, "clients", "xlsx")
        rows = [cells(r) for r in export_rows.iter_clients(s, actor)]
    return [c.title for c in columns], rows, since(start)


def raw_write(header: list[str], rows: list[tuple[Any, ...]], out: Path) -> Clock:
    """Raw openpyxl write-only: append the same cells, save. Times stay aware: openpyxl
    cannot write them, so they are made naive (in UTC) before the clock starts."""
    from datetime import datetime

    from openpyxl import Workbook

    plain = [
        tuple(
            v.replace(tzinfo=None) if isinstance(v, datetime) and v.tzinfo is not None else v
            for v in row
        )
        for row in rows
    ]
    start = clock()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Clients")
    ws.append(header)
    for row in plain:
        ws.append(row)
    wb.save(out)
    return since(start)


# ------------------------------------------------------------------ memory

MEMORY_PROBE = r"""
import json, sys, threading, time, tracemalloc
from pathlib import Path
from termcrm.exchange import export as exporter
from termcrm.services import org
from termcrm.store.engine import Database
import openpyxl  # noqa: F401 - imported before the baseline is taken

def status():
    # kB; VmHWM is this process's peak RSS (ru_maxrss would also count the parent's
    # RSS at fork); RssAnon is private memory, RssFile the mapped file pages (SQLite's
    # memory-mapped database file among them)
    with open("/proc/self/status") as fh:
        pairs = (line.split(":", 1) for line in fh)
        return {k: int(v.split()[0]) for k, v in pairs if k in ("VmHWM", "RssAnon", "RssFile")}

peak = {"RssAnon": 0, "RssFile": 0}
done = threading.Event()

def sample():
    while not done.wait(0.02):
        for key, value in status().items():
            if key in peak:
                peak[key] = max(peak[key], value)

path, out, mode = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
db = Database(path)
with db.read() as s:
    actor = org.actor_by_login(s, "admin")
base = status()
if mode == "tracemalloc":
    tracemalloc.start()
sampler = threading.Thread(target=sample, daemon=True)
sampler.start()
start = time.perf_counter()
with db.read() as s:
    rows = exporter.export(s, actor, "clients", "xlsx", out).rows
seconds = time.perf_counter() - start
done.set()
sampler.join()
heap = tracemalloc.get_traced_memory()[1] if mode == "tracemalloc" else None
end = status()
print(json.dumps({"rows": rows, "base": base, "hwm": end["VmHWM"], "anon": peak["RssAnon"],
                  "file": peak["RssFile"], "heap": heap, "seconds": seconds}))
"""


def measure(path: Path, mode: str, workdir: Path) -> dict[str, Any]:
    out = workdir / f"bench-export-memory-{os.getpid()}.xlsx"
    proc = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, str(path), str(out), mode],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        check=False,
    )
    out.unlink(missing_ok=True)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def mib(kib: float) -> str:
    return f"{kib / 1024:,.1f} MiB"


# ------------------------------------------------------------------ main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--clients", type=int, default=100_000)
    ap.add_argument("--small", type=int, default=10_000, help="clients of the memory comparison")
    ap.add_argument("--db", type=Path, help="SQLite file of --clients clients to build or reuse")
    ap.add_argument("--small-db", type=Path, help="SQLite file of --small clients")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-history", action="store_true", help="clients only: no journal, tasks")
    ap.add_argument("--rebuild", action="store_true", help="build even if the files exist")
    ap.add_argument("--profile", action="store_true", help="print the export's cProfile top 25")
    ap.add_argument("--rounds", type=int, default=2, help="timed rounds (the best counts)")
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument(
        "--heap",
        action="store_true",
        help="also the Python heap's peak under tracemalloc (slow: about 8x the export)",
    )
    args = ap.parse_args()
    workdir = Path(tempfile.gettempdir())
    history = not args.no_history
    tag = "" if history else "-nohistory"
    big: Path = (args.db or workdir / f"termcrm-bench-export-{args.clients}{tag}.db").resolve()
    small: Path = (
        args.small_db or workdir / f"termcrm-bench-export-{args.small}{tag}.db"
    ).resolve()
    started = time.perf_counter()
    ensure(big, args.clients, args.seed, history, args.rebuild)
    if not args.skip_memory:
        ensure(small, args.small, args.seed, history, args.rebuild)

    db = Database(str(big))
    ours = workdir / f"bench-export-{os.getpid()}.xlsx"
    raw = workdir / f"bench-export-raw-{os.getpid()}.xlsx"
    say("fetching the cells the export writes (and warming the file cache) ...")
    header, cells, read_time = fetch_cells(db)
    gc.freeze()  # the held cells are never scanned by the collector while timing
    runs: list[tuple[Clock, Clock]] = []
    rows = 0
    for n in range(args.rounds):
        say(f"round {n + 1} of {args.rounds}: the export, then raw openpyxl write-only ...")
        rows, ours_time = export_once(db, ours)
        raw_time = raw_write(header, cells, raw)
        runs.append((ours_time, raw_time))
    assert len(cells) == rows, (len(cells), rows)
    size, raw_size = ours.stat().st_size, raw.stat().st_size
    del cells
    gc.unfreeze()
    if args.profile:
        say("export under cProfile ...")
        prof = cProfile.Profile()
        prof.enable()
        export_once(db, ours)
        prof.disable()
        pstats.Stats(prof, stream=sys.stderr).sort_stats("tottime").print_stats(25)
    ours.unlink(missing_ok=True)
    raw.unlink(missing_ok=True)
    db.dispose()

    memory: list[tuple[int, dict[str, Any], dict[str, Any] | None]] = []
    if not args.skip_memory:
        for path, n in ((small, args.small), (big, args.clients)):
            say(f"memory of the export of {n:,} clients (fresh subprocesses) ...")
            heap = measure(path, "tracemalloc", workdir) if args.heap else None
            memory.append((n, measure(path, "rss", workdir), heap))

    columns = len(header)
    print(f"\ntermcrm export benchmark: {rows:,} clients x {columns} columns, {big}")
    print(
        f"{'measure (best of ' + str(args.rounds) + ')':<52}{'termcrm':>12}{'raw':>12}{'ratio':>8}"
    )
    print("-" * 96)
    for index, label in ((0, "wall"), (1, "CPU")):
        mine = min(r[0][index] for r in runs)
        theirs = min(r[1][index] for r in runs)
        print(
            f"{f'export to xlsx, {label} time (raw: writing only)':<52}{mine:>11.1f}s"
            f"{theirs:>11.1f}s{mine / theirs:>7.2f}x  target <= 1.5x"
        )
        if index == 0:
            best = mine
    print(f"{'  of which reading rows and making cells (wall)':<52}{read_time[0]:>11.1f}s")
    print(f"{'  rows per second (wall)':<52}{rows / best:>12,.0f}")
    print(f"{'  file size':<52}{size / 2**20:>10.1f}MB{raw_size / 2**20:>10.1f}MB")
    if memory:
        (n1, rss1, heap1), (n2, rss2, heap2) = memory
        print(f"\n{'peak memory of the export':<52}{f'{n1:,} rows':>12}{f'{n2:,} rows':>12}")
        for label, a, b in (
            ("peak RSS (VmHWM)", rss1["hwm"], rss2["hwm"]),
            ("  private (RssAnon)", rss1["anon"], rss2["anon"]),
            ("  private above the start (imports done)",
             rss1["anon"] - rss1["base"]["RssAnon"], rss2["anon"] - rss2["base"]["RssAnon"]),
            ("  mapped files (RssFile: the SQLite file's pages)", rss1["file"], rss2["file"]),
        ):  # fmt: skip
            target = "  within 20%" if "file" not in label else ""
            print(f"{label:<52}{mib(a):>12}{mib(b):>12}{b / max(a, 1):>7.2f}x{target}")
        if heap1 is not None and heap2 is not None:
            a, b = heap1["heap"] / 1024, heap2["heap"] / 1024
            label = "peak Python heap (tracemalloc)"
            print(f"{label:<52}{mib(a):>12}{mib(b):>12}{b / max(a, 1):>7.2f}x  within 20%")
    print(f"\n(total {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
