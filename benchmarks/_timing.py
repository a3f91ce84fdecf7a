"""One timing method for every benchmark: interleaved rounds, medians, GC paused.

Machines here are shared and noisy, so contenders run in rounds with a rotating order (no
one always runs first after a collection), and the median of the rounds is reported.
"""

from __future__ import annotations

import gc
import os
import statistics
import time
from collections.abc import Callable
from typing import Any


def interleaved_medians(
    contenders: dict[str, Callable[[], Any]],
    rounds: int,
    number: int = 1,
    *,
    collect: bool = False,
) -> dict[str, float]:
    """Median seconds per call of each contender over ``rounds`` blocks of ``number`` calls.

    ``collect`` runs a full collection after every round (for allocation-heavy contenders).
    """
    times: dict[str, list[float]] = {name: [] for name in contenders}
    order = list(contenders.items())
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        for r in range(rounds):
            k = r % len(order)
            for name, fn in order[k:] + order[:k]:
                start = time.perf_counter()
                for _ in range(number):
                    fn()
                times[name].append((time.perf_counter() - start) / number)
            if collect:
                gc.collect()
    finally:
        if enabled:
            gc.enable()
    return {name: statistics.median(ts) for name, ts in times.items()}


def quick() -> bool:
    """``BENCH_QUICK=1``: benchmarks that honour it run a fraction of their rounds."""
    return os.environ.get("BENCH_QUICK", "") not in ("", "0")


def scaled(rounds: int, minimum: int = 5) -> int:
    """``rounds``, or a fifth of it (at least ``minimum``) under ``BENCH_QUICK=1``."""
    return max(minimum, rounds // 5) if quick() else rounds
