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

from graphfields.ast import Selection, Value

__all__ = ["PLAN_BUDGET", "SHAPE_BUDGET", "Caches", "WeightedLRU", "skeleton"]

V = TypeVar("V")

PLAN_BUDGET = 16 * 2**20
"""Bytes (estimated) of request plans kept per schema."""
SHAPE_BUDGET = 64 * 2**20
"""Bytes (estimated) of shapes, with their generated code, kept per schema."""


class WeightedLRU(Generic[V]):
    """A least-recently-used mapping whose entries weigh what they hold."""

    __slots__ = ("_data", "_lock", "budget", "total")

    def __init__(self, budget: int) -> None:
        self._data: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._lock = threading.Lock()
        self.budget = budget
        self.total = 0

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: Hashable) -> V | None:
        entry = self._data.get(key)
        if entry is None:
            return None
        try:  # noqa: SIM105 - cheaper than contextlib.suppress on the hot path
            self._data.move_to_end(key)
        except KeyError:  # dropped by another thread meanwhile
            pass
        return entry[0]

    def put(self, key: Hashable, value: V, weight: int) -> None:
        """Keep ``value``; an entry heavier than the whole budget is not kept."""
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self.total -= old[1]
            if weight > self.budget:
                return
            self._data[key] = (value, weight)
            self.total += weight
            while self.total > self.budget:
                _, (_, w) = self._data.popitem(last=False)
                self.total -= w

    def reweigh(self, key: Hashable, value: V, weight: int) -> None:
        """``value`` grew (its code was generated): account for it if still kept."""
        entry = self._data.get(key)
        if entry is not None and entry[0] is value:
            self.put(key, value, weight)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self.total = 0


class Caches:
    """A schema's caches: plans by text, shapes, and request templates."""

    __slots__ = ("plans", "shapes", "templates")

    def __init__(self) -> None:
        from graphfields.compiler.templates import TemplateCache

        self.plans: WeightedLRU[Any] = WeightedLRU(PLAN_BUDGET)
        self.shapes: WeightedLRU[Any] = WeightedLRU(SHAPE_BUDGET)
        self.templates = TemplateCache()


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
