"""The timing loop the service benchmarks share: each operation of termcrm run in a
read session of its own, alternating with its raw counterpart, after untimed warm-up
runs; medians in milliseconds."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from bench_store import say
from termcrm.store.engine import Database

# label, termcrm's call (given a read session), the raw counterpart
Op = tuple[str, Callable[[Any], Any], Callable[[], Any]]


@contextmanager
def session(db: Database) -> Iterator[Any]:
    with db.read() as s:
        s.connection()  # BEGIN outside the timing
        yield s


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def run(
    db: Database, ops: list[Op], warmup: int, runs: int, *, digits: int = 2
) -> list[tuple[str, float, float]]:
    """(label, termcrm's median ms, raw median ms) per operation, printed as it goes."""
    out = []
    for label, mine, theirs in ops:
        ours: list[float] = []
        raws: list[float] = []
        for i in range(warmup + runs):
            with session(db) as s:
                ms = timed(lambda s=s, mine=mine: mine(s))
            raw_ms = timed(theirs)
            if i >= warmup:
                ours.append(ms)
                raws.append(raw_ms)
        a, b = statistics.median(ours), statistics.median(raws)
        say(f"  {label}: {a:.{digits}f} ms vs {b:.{digits}f} ms raw")
        out.append((label, a, b))
    return out
