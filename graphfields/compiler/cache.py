"""What the compiler keeps between requests: bounded by an estimate of memory, not count.

Two caches per schema: request text -> :class:`~graphfields.plan.Plan` (a repeated
request is one dict lookup) and shape -> :class:`~graphfields.plan.Shape` (a request
whose text is new but whose shape is known pays parsing and argument binding only).
Each entry has a weight, about the bytes it holds; the least recently used entries are
dropped once the total is over the budget, so a flood of distinct large selections
cannot grow the process without bound.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any, Generic, TypeVar

from graphfields.syntax.ast import Selection, Value

__all__ = ["PLAN_BUDGET", "SHAPE_BUDGET", "Caches", "WeightedLRU", "skeleton"]

V = TypeVar("V")

PLAN_BUDGET = 8 * 2**20
"""Bytes (estimated) of request plans kept per schema."""
SHAPE_BUDGET = 32 * 2**20
"""Bytes (estimated) of shapes, with their generated code, kept per schema."""


class WeightedLRU(Generic[V]):
    """A segmented least-recently-used mapping whose entries weigh what they hold.

    New entries go to a *probation* segment (a fifth of the budget); an entry found
    again moves to the *protected* segment. A flood of entries that are used once (an
    attacker's distinct selections) only churns probation, so what real traffic reuses
    stays; the least recently used of each segment go first when it is over its share.
    """

    __slots__ = ("_lock", "_probation", "_protected", "_protected_weight", "budget", "total")

    def __init__(self, budget: int) -> None:
        self._probation: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._protected: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._lock = threading.Lock()
        self._protected_weight = 0
        self.budget = budget
        self.total = 0

    def __len__(self) -> int:
        return len(self._probation) + len(self._protected)

    def get(self, key: Hashable) -> V | None:
        entry = self._protected.get(key)
        if entry is not None:
            try:  # noqa: SIM105 - cheaper than contextlib.suppress on the hot path
                self._protected.move_to_end(key)
            except KeyError:  # dropped by another thread meanwhile
                pass
            return entry[0]
        entry = self._probation.get(key)
        if entry is None:
            return None
        with self._lock:  # found again: protect it
            if self._probation.pop(key, None) is not None:
                self._protected[key] = entry
                self._protected_weight += entry[1]
                self._shrink()
        return entry[0]

    def put(self, key: Hashable, value: V, weight: int) -> None:
        """Keep ``value``; an entry heavier than the probation segment is not kept."""
        with self._lock:
            self._drop(key)
            if weight > self.budget // 5:
                return
            self._probation[key] = (value, weight)
            self.total += weight
            self._shrink()

    def reweigh(self, key: Hashable, value: V, weight: int) -> None:
        """``value`` grew (its code was generated): account for it if still kept."""
        with self._lock:
            for segment in (self._protected, self._probation):
                entry = segment.get(key)
                if entry is not None and entry[0] is value:
                    segment[key] = (value, weight)
                    self.total += weight - entry[1]
                    if segment is self._protected:
                        self._protected_weight += weight - entry[1]
                    self._shrink()
                    return

    def _drop(self, key: Hashable) -> None:
        old = self._probation.pop(key, None)
        if old is not None:
            self.total -= old[1]
        old = self._protected.pop(key, None)
        if old is not None:
            self.total -= old[1]
            self._protected_weight -= old[1]

    def _shrink(self) -> None:
        """Over budget: demote the protected segment's oldest to probation beyond its
        share, then drop probation's oldest (then protected's) until within budget."""
        protected_share = self.budget - self.budget // 5
        while self._protected_weight > protected_share and self._protected:
            key, entry = self._protected.popitem(last=False)
            self._protected_weight -= entry[1]
            self._probation[key] = entry
            self._probation.move_to_end(key, last=False)
        while self.total > self.budget and self._probation:
            _, (_, w) = self._probation.popitem(last=False)
            self.total -= w

    def clear(self) -> None:
        with self._lock:
            self._probation.clear()
            self._protected.clear()
            self._protected_weight = 0
            self.total = 0


SEEN_MAX = 1 << 15
"""Texts a schema's doorkeeper remembers before it starts afresh."""


class Caches:
    """A schema's caches: plans by text, shapes, and request templates.

    A plan read through a template (a text that differs from a known one in one argument:
    a new cursor) is kept only when its text comes a second time (:meth:`again`): paging
    traffic is mostly texts seen once, and keeping each would cost an insertion and, once
    the cache is full, an eviction per request, while reading it again through the
    template costs about as much as that.
    """

    __slots__ = ("_seen", "plans", "shapes", "templates")

    def __init__(self) -> None:
        from graphfields.compiler.templates import TemplateCache

        self.plans: WeightedLRU[Any] = WeightedLRU(PLAN_BUDGET)
        self.shapes: WeightedLRU[Any] = WeightedLRU(SHAPE_BUDGET)
        self.templates = TemplateCache()
        self._seen: set[int] = set()

    def again(self, key: Hashable) -> bool:
        """Whether ``key`` was asked about before (then forgotten); else remember it. The
        memory is bounded: it starts afresh after :data:`SEEN_MAX` keys."""
        h = hash(key)
        seen = self._seen
        if h in seen:
            seen.discard(h)
            return True
        if len(seen) >= SEEN_MAX:
            seen.clear()
        seen.add(h)
        return False


def skeleton(sel: Selection, values: list[Value]) -> tuple[Any, ...]:
    """The shape of a selection: every name, alias and call with the kinds of its
    arguments but not their values, which are appended to ``values`` in document order.
    Two requests with equal skeletons differ only in argument values. (Recursive: the
    caller has bounded the depth.)"""
    out = []
    for f in sel.fields:
        calls = []
        for c in f.calls:
            kinds = []
            for a in c.args:
                values.append(a)
                kinds.append(type(a))
            calls.append((c.name, tuple(kinds)))
        out.append((f.name, f.alias, tuple(calls),
                    None if f.selection is None else skeleton(f.selection, values)))
    return tuple(out)
