"""TUI benchmark: the client card file on a million clients (issue 3, Performance).

    .venv/bin/python bench/bench_tui.py [--db-large PATH] [--db-small PATH] [--runs 5]

Needs two SQLite databases built through the demo path (``bench_store.build``):
1,000,000 clients (``--db-large``, default /tmp/bench/b1m.db; building one takes
about 2.5 minutes) and 10,000 clients (``--db-small``, default /tmp/bench/b10k.db,
built in seconds when missing). Each figure is measured in fresh interpreters
running this file with ``--child``, headless at 80x24, and is the median of
several runs:

- launch: from spawning the interpreter to the first frame that shows rows of
  the client list (the ``VirtualTable`` has page 0 and a frame was composed), as
  seen by this process (the child writes a marker on its stdout from inside
  ``App._display``), against a bare Textual app that shows one ``DataTable`` of
  100 rows (the same marker). Through ``make_app`` (as the tests do; the target)
  and through the real ``termcrm --db`` entry point (typer included); also the
  first frame that draws the table at all (rows still on the way). The notes
  split the time: interpreter start, the driver's imports, first frame, rows;
- search: about 40 queries drawn from the data (Latin, Cyrillic, Chinese of 3-4
  and 2 characters, phone digits; ``bench_store.make_queries``) typed into the
  search box of the 1M card file, as the admin and as a rep (the access filter),
  each typed ``--search-rounds`` times (its median counts); the time from the end
  of the debounce (``ClientsScreen._apply_search``) to the first frame composed
  after the results replaced the table's source; p50 and p95, the service call
  alone as the base, and the phases (to the worker, service, back to the UI
  thread, to the frame) with the cyclic GC's pauses inside the window;
- memory: VmRSS after opening the card file, waiting for the count and the page
  anchors, 300 PageDowns, End and Home, on 1M clients against 10k, with its
  anonymous part (Python's heap, SQLite's page caches) and its file-backed part
  (shared libraries, and the database pages SQLite reads through mmap).

Targets (issue 3): launch <= 1.5x the bare app, search p95 < 50 ms, resident
memory with 1M clients <= 1.2x that with 10k. Not a test: it prints figures.

The child processes import only what the app imports: this module's top level
is the standard library.
"""

from __future__ import annotations

import argparse
import json
import operator
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SIZE = (80, 24)
MARK = "BENCH "  # the prefix of a child's report on its stdout


def say(*parts: Any) -> None:
    print(*parts, file=sys.stderr, flush=True)


def report(kind: str, payload: Any) -> None:
    """A line for the parent, written past Textual's capture of sys.stdout."""
    os.write(1, (MARK + kind + " " + json.dumps(payload) + "\n").encode())


def proc_status() -> dict[str, int]:
    """VmRSS, VmHWM, RssAnon, RssFile of this process in KiB."""
    out: dict[str, int] = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem"):
                out[key] = int(value.split()[0])
    return out


# ====================================================================== children
# Everything below up to the parent section runs in a fresh interpreter.


def paint_marker(
    widget_cls: Any, has_rows: Callable[[Any], bool], then: Callable[[str], None]
) -> None:
    """``then("frame")`` after the first composed frame in which a ``widget_cls`` drew a
    line, ``then("rows")`` after the first in which it drew a row of data."""
    from textual.app import App

    drew = {"frame": False, "rows": False}
    told: set[str] = set()
    render_line = widget_cls.render_line
    display = App._display

    def render_line_hook(self: Any, y: int) -> Any:
        strip = render_line(self, y)
        drew["frame"] = True
        if not drew["rows"] and y >= 1 and has_rows(self):
            drew["rows"] = True
        return strip

    def display_hook(self: Any, screen: Any, renderable: Any) -> None:
        display(self, screen, renderable)
        if renderable is None:
            return
        for what in ("frame", "rows"):
            if drew[what] and what not in told:
                told.add(what)
                then(what)

    widget_cls.render_line = render_line_hook
    App._display = display_hook  # type: ignore[method-assign]


def table_has_rows(table: Any) -> bool:
    source = table.source
    return source is not None and source.get(int(table.scroll_offset.y)) is not None


def child_launch(kind: str, db: str, state: str) -> None:
    """Run an app headless and exit at its first frame with rows (the parent times it)."""
    started = time.perf_counter()
    timings: dict[str, float] = {}

    def painted(what: str) -> None:
        timings[what] = time.perf_counter() - started
        if what == "rows":
            report("painted", timings)
            os._exit(0)

    if kind == "bare":
        from textual.app import App, ComposeResult
        from textual.widgets import DataTable

        class Bare(App[None]):
            def compose(self) -> ComposeResult:
                yield DataTable()

            def on_mount(self) -> None:
                table = self.query_one(DataTable)
                table.add_columns("Name", "Group", "Status", "City", "Owner", "Last", "Next")
                table.add_rows(
                    (f"Client {i:05d} LLC", "B", "active", "Moscow", "admin", "2025-01-02", "")
                    for i in range(100)
                )

        paint_marker(DataTable, lambda t: t.row_count > 0, painted)
        timings["imports"] = time.perf_counter() - started
        Bare().run(headless=True, size=SIZE)
    elif kind == "app":
        from termcrm.app import make_app
        from termcrm.widgets.virtual_table import VirtualTable

        paint_marker(VirtualTable, table_has_rows, painted)
        timings["imports"] = time.perf_counter() - started
        make_app(db, login="admin", state_path=state).run(headless=True, size=SIZE)
    elif kind == "cli":
        # the real entry point; the OS login is taken to be "admin" and the App runs headless
        import functools

        from textual.app import App

        import termcrm.app
        from termcrm.cli import system
        from termcrm.widgets.virtual_table import VirtualTable

        system.has_terminal = lambda: True  # headless: no terminal, on purpose
        run = App.run

        def headless_run(self: Any, **kwargs: Any) -> Any:
            return run(self, **{"headless": True, "size": SIZE, **kwargs})

        App.run = headless_run  # type: ignore[method-assign]
        # the demo's admin, without importing the services (which the real start does not)
        termcrm.app.make_app = functools.partial(termcrm.app.make_app, login="admin")  # type: ignore[assignment]
        os.environ["XDG_STATE_HOME"] = str(Path(state).parent)
        paint_marker(VirtualTable, table_has_rows, painted)
        from termcrm.cli import main

        timings["imports"] = time.perf_counter() - started
        sys.argv = ["termcrm", "--db", db]
        main()
    raise SystemExit(f"{kind}: the app ended without painting rows")


async def until(cond: Callable[[], bool], timeout: float = 60.0, what: str = "") -> None:
    """Poll without forcing frames (Pilot.pause would compose one on each call)."""
    import asyncio

    end = time.perf_counter() + timeout
    while not cond():
        if time.perf_counter() > end:
            raise TimeoutError(f"waited {timeout:.0f} s for {what}")
        await asyncio.sleep(0.002)


def child_search(db: str, login: str, state: str, queries_file: str, rounds: int) -> None:
    """Type each query into the card file; time _apply_search -> the frame with its results."""
    import asyncio
    import gc

    from textual.app import App
    from textual.widgets import Input

    from termcrm.app import make_app
    from termcrm.screens.clients import ClientsScreen
    from termcrm.services import client_lists
    from termcrm.widgets.row_sources import ListSource, PagedSource
    from termcrm.widgets.virtual_table import VirtualTable

    queries: list[list[str]] = json.loads(Path(queries_file).read_text())
    applied: dict[str, float] = {}
    shown: dict[str, float] = {}
    painted: dict[str, float] = {}
    service: dict[str, tuple[float, float]] = {}
    pending: list[str] = []
    anchored = [False]
    collections: list[tuple[float, float]] = []  # the cyclic GC's pauses (start, end)
    gc_started = [0.0]

    def gc_watch(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            gc_started[0] = time.perf_counter()
        else:
            collections.append((gc_started[0], time.perf_counter()))

    gc.callbacks.append(gc_watch)

    apply_search = ClientsScreen._apply_search

    def apply_hook(self: Any, value: str) -> None:
        applied[value.strip()] = time.perf_counter()
        apply_search(self, value)

    set_source = VirtualTable.set_source

    def set_source_hook(self: VirtualTable[Any], source: Any, **kwargs: Any) -> None:
        set_source(self, source, **kwargs)
        if isinstance(source, ListSource):
            text = self.screen.query_text  # type: ignore[attr-defined]
            shown[text] = time.perf_counter()
            pending.append(text)

    display = App._display

    def display_hook(self: Any, screen: Any, renderable: Any) -> None:
        display(self, screen, renderable)
        if renderable is not None and pending:
            now = time.perf_counter()
            for text in pending:
                painted.setdefault(text, now)
            pending.clear()

    search_clients = client_lists.search_clients

    def search_hook(s: Any, actor: Any, text: str, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return search_clients(s, actor, text, **kwargs)
        finally:
            service[text.strip()] = (start, time.perf_counter())

    set_anchors = PagedSource.set_anchors

    def anchors_hook(self: PagedSource[Any], anchors: Any) -> None:
        set_anchors(self, anchors)
        anchored[0] = True

    ClientsScreen._apply_search = apply_hook  # type: ignore[method-assign]
    VirtualTable.set_source = set_source_hook  # type: ignore[method-assign]
    App._display = display_hook  # type: ignore[method-assign]
    client_lists.search_clients = search_hook
    PagedSource.set_anchors = anchors_hook  # type: ignore[method-assign]

    async def drive() -> list[dict[str, Any]]:
        app = make_app(db, login=login, state_path=state)
        results = []
        async with app.run_test(size=SIZE) as pilot:
            screen = app.screen
            assert isinstance(screen, ClientsScreen), screen
            await until(lambda: table_has_rows(screen.table), what="the first page")
            await until(lambda: anchored[0], what="the page anchors")
            await app.workers.wait_for_complete()  # the list is idle: count, anchors done
            search = screen.query_one("#search", Input)
            await pilot.press("slash")
            for round_no in range(rounds):
                for category, text in queries[round_no:] + queries[:round_no]:
                    seen: dict[str, Any]
                    for seen in (applied, shown, painted, service):
                        seen.pop(text, None)
                    search.value = ""
                    await pilot.press(*text)
                    await until(partial(operator.contains, painted, text), 10, repr(text))
                    t0, t1 = applied[text], painted[text]
                    svc_start, svc_end = service[text]
                    results.append(
                        {
                            "category": category,
                            "query": text,
                            "painted": t1 - t0,
                            "to_worker": svc_start - t0,
                            "service": svc_end - svc_start,
                            "to_ui": shown[text] - svc_end,
                            "to_frame": t1 - shown[text],
                            "gc": sum(max(0.0, min(b, t1) - max(a, t0)) for a, b in collections),
                            "found": screen.table.source.total if screen.table.source else 0,
                        }
                    )
            await app.workers.wait_for_complete()
        return results

    report("search", asyncio.run(drive()))


def child_memory(db: str, state: str, pagedowns: int) -> None:
    """Open the card file, wait for count and anchors, scroll, then read VmRSS."""
    import asyncio
    import gc

    from termcrm.app import make_app
    from termcrm.screens.clients import ClientsScreen
    from termcrm.widgets.row_sources import PagedSource

    counted = [False]
    anchored = [0]
    set_total, set_anchors = PagedSource.set_total, PagedSource.set_anchors

    def total_hook(self: PagedSource[Any], total: int) -> None:
        set_total(self, total)
        counted[0] = True

    def anchors_hook(self: PagedSource[Any], anchors: Any) -> None:
        set_anchors(self, anchors)
        anchored[0] = len(anchors)

    PagedSource.set_total = total_hook  # type: ignore[method-assign]
    PagedSource.set_anchors = anchors_hook  # type: ignore[method-assign]

    async def drive() -> dict[str, Any]:
        app = make_app(db, login="admin", state_path=state)
        out: dict[str, Any] = {}
        async with app.run_test(size=SIZE) as pilot:
            screen = app.screen
            assert isinstance(screen, ClientsScreen), screen
            table = screen.table

            def in_view() -> bool:
                return table_has_rows(table)

            await until(in_view, what="the first page")
            out["first_page"] = proc_status()
            await until(lambda: counted[0] and anchored[0] > 0, what="count and anchors")
            await app.workers.wait_for_complete()
            out["anchored"] = proc_status()
            started = time.perf_counter()
            for _ in range(pagedowns):
                await pilot.press("pagedown")
                await until(in_view, timeout=10, what="a page")
            for key in ("end", "home"):
                await pilot.press(key)
                await until(in_view, timeout=10, what=key)
            out["scroll_s"] = time.perf_counter() - started
            out["row"] = int(table.scroll_offset.y)
            await app.workers.wait_for_complete()
            source = table.source
            assert isinstance(source, PagedSource)
            out["total"] = source.total
            out["anchors"] = anchored[0]
            out["cached_pages"] = len(source._pages)
            gc.collect()
            out["scrolled"] = proc_status()
        return out

    report("memory", asyncio.run(drive()))


def child_main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=("launch", "search", "memory"))
    ap.add_argument("--kind", default="app")
    ap.add_argument("--db", required=True)
    ap.add_argument("--state", required=True)
    ap.add_argument("--login", default="admin")
    ap.add_argument("--queries")
    ap.add_argument("--pagedowns", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=1)
    args = ap.parse_args(argv)
    if args.mode == "launch":
        child_launch(args.kind, args.db, args.state)
    elif args.mode == "search":
        child_search(args.db, args.login, args.state, args.queries, args.rounds)
    else:
        child_memory(args.db, args.state, args.pagedowns)


# ====================================================================== parent


def spawn(args: list[str], workdir: Path, timeout: float = 240) -> tuple[float, str, Any]:
    """Run a child; (seconds from spawn to its report, report kind, payload)."""
    err_path = workdir / "child.err"
    with open(err_path, "w+b") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--child", *args],
            stdout=subprocess.PIPE,
            stderr=err,
            stdin=subprocess.DEVNULL,
        )
        assert proc.stdout is not None
        line = b""
        for raw in proc.stdout:
            if raw.startswith(MARK.encode()):
                line = raw
                break
        elapsed = time.perf_counter() - start
        proc.stdout.read()
        proc.wait(timeout)
        if not line:
            err.seek(0)
            tail = err.read().decode(errors="replace")[-3000:]
            raise RuntimeError(f"child {args} gave no report (exit {proc.returncode}):\n{tail}")
    kind, _, payload = line.decode()[len(MARK) :].partition(" ")
    return elapsed, kind, json.loads(payload)


def ensure_db(path: Path, clients: int, seed: int) -> None:
    sys.path.insert(0, str(HERE))
    import bench_store

    have = bench_store.client_count(path)
    if have >= clients:
        return
    if clients > 100_000:
        say(f"building {path} with {clients:,} clients (about 2.5 minutes per million) ...")
    else:
        say(f"building {path} with {clients:,} clients ...")
    path.parent.mkdir(parents=True, exist_ok=True)
    bench_store.build(path, clients, seed)


def pick_queries(path: Path, count: int, seed: int) -> list[tuple[str, str]]:
    """Distinct queries drawn from the data, as bench_store draws them."""
    import sqlite3

    sys.path.insert(0, str(HERE))
    import bench_store

    conn = sqlite3.connect(path)
    try:
        seen: set[str] = set()
        out = []
        for category, query in bench_store.make_queries(conn, count, seed):
            query = query.strip()
            if query and query not in seen:
                seen.add(query)
                if category == "chinese" and len(query) < 3:
                    category = "chinese-2"  # a short name gave a short fragment
                out.append((category, query))
        return out
    finally:
        conn.close()


def rep_login(path: Path) -> str:
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        row = conn.execute(
            "SELECT login FROM user_account WHERE role = 'rep' AND active ORDER BY id LIMIT 1"
        ).fetchone()
    finally:
        conn.close()
    if row is None:
        raise SystemExit(f"{path} has no user with the role rep")
    return str(row[0])


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def bench_launch(db: Path, workdir: Path, runs: int) -> dict[str, list[tuple[float, Any]]]:
    # "app": a user who ran termcrm before (the card file opens on the first page they
    # saw last, from the state file, until the live page is in); "app-cold": a first run
    # ever, or a new state file: the first page is the live one
    kinds = ("bare", "app", "app-cold", "cli")
    out: dict[str, list[tuple[float, Any]]] = {k: [] for k in kinds}
    for round_no in range(runs + 1):  # round 0 warms the file cache and the .pyc files
        for kind in kinds:
            state = workdir / f"launch-{kind}.json"
            if kind == "app-cold":
                state.unlink(missing_ok=True)
            elapsed, _, timings = spawn(
                [
                    "launch",
                    "--kind",
                    "app" if kind == "app-cold" else kind,
                    "--db",
                    str(db),
                    "--state",
                    str(state),
                ],
                workdir,
            )
            if round_no:
                out[kind].append((elapsed, timings))
    return out


def bench_search(
    db: Path, workdir: Path, logins: dict[str, str], queries: list[tuple[str, str]], rounds: int
) -> dict[str, list[dict[str, Any]]]:
    """Per actor, per query: the round with the median time; per "actor:gc", the GC
    pauses over every typed search."""
    qfile = workdir / "queries.json"
    qfile.write_text(json.dumps(queries, ensure_ascii=False))
    out = {}
    for who, login in logins.items():
        _, _, results = spawn(
            [
                "search",
                "--db",
                str(db),
                "--login",
                login,
                "--state",
                str(workdir / f"search-{who}.json"),
                "--queries",
                str(qfile),
                "--rounds",
                str(rounds),
            ],
            workdir,
        )
        by_query: dict[str, list[dict[str, Any]]] = {}
        for r in results:
            by_query.setdefault(r["query"], []).append(r)
        # the run with the median time, so that its phases add up
        out[who] = [
            sorted(runs, key=lambda r: r["painted"])[(len(runs) - 1) // 2]
            for runs in by_query.values()
        ]
        pauses = [r["gc"] * 1000 for r in results]
        out[who + ":gc"] = [
            {"count": len(pauses), "long": sum(p > 10 for p in pauses), "max": max(pauses)}
        ]
    return out


def bench_memory(db: Path, workdir: Path, runs: int, pagedowns: int) -> list[dict[str, Any]]:
    out = []
    for _ in range(runs):
        _, _, result = spawn(
            [
                "memory",
                "--db",
                str(db),
                "--state",
                str(workdir / "memory.json"),
                "--pagedowns",
                str(pagedowns),
            ],
            workdir,
        )
        out.append(result)
    return out


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child_main(sys.argv[2:])
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--db-large", type=Path, default=Path("/tmp/bench/b1m.db"))
    ap.add_argument("--db-small", type=Path, default=Path("/tmp/bench/b10k.db"))
    ap.add_argument("--large", type=int, default=1_000_000, help="clients in --db-large")
    ap.add_argument("--small", type=int, default=10_000, help="clients in --db-small")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--runs", type=int, default=5, help="launch runs per app (after a warm-up)")
    ap.add_argument("--memory-runs", type=int, default=2)
    ap.add_argument("--pagedowns", type=int, default=300)
    ap.add_argument("--queries", type=int, default=40)
    ap.add_argument(
        "--search-rounds", type=int, default=3, help="each query typed this many times (median)"
    )
    ap.add_argument(
        "--only", choices=("launch", "search", "memory"), action="append", help="run only these"
    )
    args = ap.parse_args()
    only = set(args.only or ("launch", "search", "memory"))
    large: Path = args.db_large.expanduser().resolve()
    small: Path = args.db_small.expanduser().resolve()
    started = time.perf_counter()
    ensure_db(large, args.large, args.seed)
    if "memory" in only:
        ensure_db(small, args.small, args.seed)

    rows: list[tuple[str, str, str, str, str]] = []  # measure, value, base, ratio, target
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="termcrm-bench-tui-") as tmp:
        workdir = Path(tmp)
        if "launch" in only:
            say(f"launch: {args.runs} runs of each app after a warm-up ...")
            launch = bench_launch(large, workdir, args.runs)

            def spawn_to(kind: str, what: str) -> float:
                """Median seconds from spawn to the first frame / the first rows."""
                return statistics.median(e - (t["rows"] - t[what]) for e, t in launch[kind])

            bare = spawn_to("bare", "rows")
            for kind, what, label, target in (
                ("app", "rows", "first page (make_app)", "<= 1.5x"),
                ("app-cold", "rows", "first live page, first run", ""),
                ("cli", "rows", "first page (`termcrm --db`)", ""),
                ("app", "frame", "first frame, no rows yet (make_app)", ""),
            ):
                mine = spawn_to(kind, what)
                rows.append(
                    (
                        f"launch to {label}",
                        f"{mine * 1000:.0f} ms",
                        f"{bare * 1000:.0f} ms",
                        f"{mine / bare:.2f}x",
                        target,
                    )
                )
            for kind in ("bare", "app", "app-cold", "cli"):
                imp, frame, rows_at = (
                    statistics.median(t[key] for _, t in launch[kind])
                    for key in ("imports", "frame", "rows")
                )
                total = statistics.median(e for e, _ in launch[kind])
                notes.append(
                    f"launch {kind}: spawn to rows {total * 1000:.0f} ms = interpreter "
                    f"{(total - rows_at) * 1000:.0f} + driver imports {imp * 1000:.0f} + "
                    f"first frame at +{(frame - imp) * 1000:.0f} + rows at +"
                    f"{(rows_at - frame) * 1000:.0f} (medians)"
                )
        if "search" in only:
            queries = pick_queries(large, args.queries, args.seed)
            logins = {"admin": "admin", "rep": rep_login(large)}
            say(
                f"search: {len(queries)} typed queries x {args.search_rounds} rounds as admin "
                f"and as {logins['rep']} (rep) ..."
            )
            search = bench_search(large, workdir, logins, queries, args.search_rounds)
            for who, results in search.items():
                if who.endswith(":gc"):
                    g = results[0]
                    notes.append(
                        f"search {who[:-3]}: a GC pause over 10 ms inside {g['long']} of "
                        f"{g['count']} typed searches (longest {g['max']:.0f} ms)"
                    )
                    continue
                painted = [r["painted"] * 1000 for r in results]
                svc = [r["service"] * 1000 for r in results]
                for p in (50, 95):
                    rows.append(
                        (
                            f"search {who} p{p} ({len(results)} q): shown",
                            f"{pct(painted, p):.1f} ms",
                            f"{pct(svc, p):.1f} ms",
                            "",
                            "< 50 ms" if p == 95 else "",
                        )
                    )
                phases = ("to_worker", "service", "to_ui", "to_frame", "gc")
                notes.append(
                    f"search {who} phases p50/p95 ms: "
                    + ", ".join(
                        f"{k} {pct([r[k] * 1000 for r in results], 50):.1f}/"
                        f"{pct([r[k] * 1000 for r in results], 95):.1f}"
                        for k in phases
                    )
                )
                for r in sorted(results, key=lambda r: r["painted"])[-3:]:
                    notes.append(
                        f"  slow: {r['query']!r} ({r['category']}, {r['found']} rows) "
                        f"{r['painted'] * 1000:.1f} ms = "
                        + " + ".join(f"{k} {r[k] * 1000:.1f}" for k in phases[:4])
                        + f" (gc pauses inside: {r['gc'] * 1000:.1f})"
                    )
                by_cat: dict[str, list[float]] = {}
                for r in results:
                    by_cat.setdefault(r["category"], []).append(r["painted"] * 1000)
                notes.append(
                    f"search {who} by kind (max ms): "
                    + ", ".join(f"{k} {max(v):.0f}" for k, v in by_cat.items())
                )
        if "memory" in only:
            say(
                f"memory: {args.memory_runs} runs on each database, "
                f"{args.pagedowns} PageDowns + End + Home ..."
            )
            mem = {
                "large": bench_memory(large, workdir, args.memory_runs, args.pagedowns),
                "small": bench_memory(small, workdir, args.memory_runs, args.pagedowns),
            }

            def med(which: str, stage: str, key: str) -> float:
                return statistics.median(r[stage][key] for r in mem[which]) / 1024

            for key, target in (("VmRSS", "<= 1.2x"), ("RssAnon", ""), ("RssFile", "")):
                a, b = med("large", "scrolled", key), med("small", "scrolled", key)
                rows.append(
                    (
                        f"memory {key} 1M vs 10k after scrolling",
                        f"{a:.1f} MiB",
                        f"{b:.1f} MiB",
                        f"{a / b:.2f}x",
                        target,
                    )
                )
            for which in ("large", "small"):
                r0 = mem[which][0]
                stages = " -> ".join(
                    f"{stage} {med(which, stage, 'VmRSS'):.0f}"
                    for stage in ("first_page", "anchored", "scrolled")
                )
                notes.append(
                    f"memory {which} ({r0['total']:,} rows, {r0['anchors']:,} anchors, "
                    f"{r0['cached_pages']} pages cached): VmRSS MiB {stages}; peak (VmHWM) "
                    f"{med(which, 'scrolled', 'VmHWM'):.0f}; scrolling took "
                    f"{statistics.median(r['scroll_s'] for r in mem[which]):.1f} s"
                )

    print(f"\ntermcrm TUI benchmark: {large} vs {small}, headless {SIZE[0]}x{SIZE[1]}")
    print(f"{'measure':<44}{'value':>12}{'base':>12}{'ratio':>8}  target")
    print("-" * 86)
    for measure, value, base, ratio, target in rows:
        print(f"{measure:<44}{value:>12}{base:>12}{ratio:>8}  {target}")
    print(
        "\n(launch base: a bare Textual app with one DataTable of 100 rows; search base: "
        "the service call alone;\n memory base: the same session on 10,000 clients)"
    )
    for note in notes:
        print("  " + note)
    print(f"\n(total {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
