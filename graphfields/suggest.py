""""Did you mean": the one place that decides which names look like a misspelt name.

The rule follows graphql-core's so users of both see the same suggestions: optimal
string alignment distance (Damerau-Levenshtein where a transposition of two adjacent
characters counts as one edit), compared case-insensitively, where a difference in case
only counts as one edit. A name is suggested when its distance is at most
``len(name) * 0.4 + 1`` (rounded down), closest first, ties in natural order
(``a2`` before ``a10``), at most :data:`MAX_SUGGESTIONS`.

Names are quoted with double quotes, as the Graph API messages this library mimics do.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

__all__ = ["MAX_SUGGESTIONS", "did_you_mean", "distance", "quoted_list", "suggestions"]

MAX_SUGGESTIONS = 5

_DIGITS = re.compile(r"(\d+)")


def distance(a: str, b: str, threshold: int | None = None) -> int | None:
    """Edit distance between ``a`` and ``b`` as :func:`suggestions` measures it.

    Returns ``None`` when the distance exceeds ``threshold`` (stops early, so a long
    option costs little when it is obviously far).
    """
    if a == b:
        return 0
    la, lb = a.lower(), b.lower()
    if la == lb:
        return 1
    if len(la) < len(lb):
        la, lb = lb, la
    n, m = len(la), len(lb)
    if threshold is not None and n - m > threshold:
        return None
    prev2: list[int] = []
    prev = list(range(m + 1))
    for i in range(1, n + 1):
        ca = la[i - 1]
        cur = [i] + [0] * m
        smallest = i
        for j in range(1, m + 1):
            cb = lb[j - 1]
            cell = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == lb[j - 2] and la[i - 2] == cb:
                cell = min(cell, prev2[j - 2] + 1)
            cur[j] = cell
            if cell < smallest:
                smallest = cell
        # Row minima never decrease, so once a whole row is over the threshold, stop.
        if threshold is not None and smallest > threshold:
            return None
        prev2, prev = prev, cur
    result = prev[m]
    return result if threshold is None or result <= threshold else None


def _natural_key(name: str) -> tuple[tuple[int, str], ...]:
    # Odd parts are digit runs: compare them by value, then by spelling ("01" vs "1").
    parts = _DIGITS.split(name)
    return tuple((int(p), p) if i % 2 else (0, p) for i, p in enumerate(parts))


def suggestions(name: str, options: Iterable[str], limit: int = MAX_SUGGESTIONS) -> list[str]:
    """The options close enough to ``name`` to suggest, best first, at most ``limit``."""
    threshold = int(len(name) * 0.4) + 1
    scored: dict[str, int] = {}
    for option in options:
        d = distance(name, option, threshold)
        if d is not None:
            scored[option] = d
    ranked = sorted(scored, key=lambda o: (scored[o], _natural_key(o)))
    return ranked[:limit]


def quoted_list(names: Sequence[str]) -> str:
    """``"a"``, ``"a" or "b"``, ``"a", "b", or "c"``."""
    q = [f'"{n}"' for n in names]
    if len(q) <= 1:
        return "".join(q)
    if len(q) == 2:
        return f"{q[0]} or {q[1]}"
    return ", ".join(q[:-1]) + f", or {q[-1]}"


def did_you_mean(names: Sequence[str]) -> str:
    """`` Did you mean "a" or "b"?`` (leading space included), or ``""`` for no names."""
    if not names:
        return ""
    return f" Did you mean {quoted_list(names[:MAX_SUGGESTIONS])}?"
