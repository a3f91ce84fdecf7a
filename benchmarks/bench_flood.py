"""A flood of distinct large selections: memory must stay bounded, latency flat.

An attacker sends a new large selection every request: 300 aliases of ``id`` and
``username`` in a random mix (``id.as(ab),username.as(ac),...``, about 4 KB), each
compiled and executed over the spec's user (plain dicts, 3,000 posts). Every tenth of the
flood the benchmark measures a legitimate client beside it, the paging request of
``bench_paging`` (``media.first(10).after(cursor)`` x ``comments.first(5)``): its one
repeated string (one call, which pays for a new plan if the flood evicted its own) and a
new cursor (median of five), with the process's resident memory. The garbage collector
runs as it would in a server (not paused).

Targets (issue 7): memory bounded (the cache bounded by what it holds, not by count),
the legitimate request's latency flat, the flood's own requests cheap.

Run: ``.venv/bin/python -m benchmarks flood``. ``FLOOD_N`` (default 2,000; 400 under
``BENCH_QUICK=1``) distinct selections, stopped early after ``FLOOD_SECONDS`` (default
24; 6 quick) of flooding, so it stays short however slow a request is.
"""

from __future__ import annotations

import functools
import gc
import os
import random
import resource
import statistics
import string
import time
from collections.abc import Callable
from typing import Any

import graphfields
from benchmarks._timing import quick
from benchmarks.bench_paging import end_cursor, paging_request
from benchmarks.data import SCHEMA, user_dataset

__all__ = ["flood_selection", "main", "measure", "rss_mb"]

ALIASES = 300
_NAMES = [a + b for a in "abcdefghjklmnopq" for b in string.ascii_lowercase][:ALIASES]


def flood_selection(k: int) -> str:
    """Flood request ``k``: ``ALIASES`` aliases, each of ``id`` or ``username`` by seed ``k``."""
    rng = random.Random(k)
    return ",".join(f"{rng.choice(('id', 'username'))}.as({name})" for name in _NAMES)


def rss_mb() -> float:
    """The process's resident memory now (Linux), else its peak, in MB."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 1e6
    except (OSError, ValueError, IndexError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 1e3  # kilobytes on Linux


def _timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure(n: int, budget: float, checkpoints: int = 10) -> list[tuple[int, float, float, float]]:
    """Rows (flood requests so far, RSS MB, legit repeated ms, legit new cursor ms)."""
    user = user_dataset(3000, 20)
    repeated = paging_request(end_cursor(0))
    cursors = iter([end_cursor(page) for page in range(1, 250)])

    def run(text: str) -> Any:
        return graphfields.execute(graphfields.compile(SCHEMA, "User", text), user)

    first = run(flood_selection(-1))
    assert len(first) == ALIASES and set(first.values()) == {user["id"], user["username"]}
    run(repeated)

    def legit() -> tuple[float, float, float]:
        gc.collect()
        mb = rss_mb()
        again = _timed(lambda: run(repeated))
        fresh = statistics.median(_timed(lambda: run(paging_request(next(cursors))))
                                  for _ in range(5))  # fmt: skip
        return mb, again, fresh

    rows = [(0, *legit())]
    every = max(1, n // checkpoints)
    sizes = 0
    done = 0
    flooding = 0.0
    # A checkpoint after every n / checkpoints requests or budget / checkpoints seconds.
    mark, due = every, budget / checkpoints
    while done < n and flooding < budget:
        text = flood_selection(done)
        sizes += len(text)
        flooding += _timed(functools.partial(run, text))
        done += 1
        if done >= mark or done == n or flooding >= min(budget, due):
            rows.append((done, *legit()))
            mark, due = done + every, flooding + budget / checkpoints

    print(f"flood of distinct {ALIASES}-alias selections (mean {sizes / max(done, 1):.0f} "
          f"bytes), {done} of {n} sent in {flooding:.1f} s of flooding "
          f"({flooding / max(done, 1) * 1e3:.1f} ms each):")  # fmt: skip
    print(f"  {'flood requests':>14s} {'RSS MB':>9s} {'legit repeated ms':>18s} "
          f"{'legit new cursor ms':>20s}")  # fmt: skip
    for count, mb, again, fresh in rows:
        print(f"  {count:14d} {mb:9.1f} {again * 1e3:18.3f} {fresh * 1e3:20.3f}")
    (_, mb0, again0, fresh0), (_, mb1, again1, fresh1) = rows[0], rows[-1]
    print(f"  RSS {mb0:.1f} MB -> {mb1:.1f} MB (+{mb1 - mb0:.1f} MB, "
          f"{(mb1 - mb0) / max(done, 1):.3f} MB per flood request; target: bounded)")  # fmt: skip
    print(f"  legit repeated {again0 * 1e3:.3f} -> {again1 * 1e3:.3f} ms "
          f"({again1 / again0:.1f}x), new cursor {fresh0 * 1e3:.3f} -> {fresh1 * 1e3:.3f} ms "
          f"({fresh1 / fresh0:.1f}x; target: flat)")  # fmt: skip
    return rows


def main() -> None:
    default_n, default_budget = (400, 6.0) if quick() else (2000, 24.0)
    n = int(os.environ.get("FLOOD_N", "0")) or default_n
    budget = float(os.environ.get("FLOOD_SECONDS", "0")) or default_budget
    measure(n, budget)


if __name__ == "__main__":
    main()
