"""A shape's arguments: checking and converting each request's values.

The walk of a new shape records one slot per node that takes arguments (a connection,
a field with declared calls), pointing at the request's argument values by their
position in document order. :meth:`Binder.bind` converts a request's values with the
same functions the walk used (:mod:`graphfields.calls`) and builds what the executors
read: a :class:`~graphfields.schema.ConnectionArgs` per connection, a dict per field
with calls, and the request's node estimate. Any value the walk would have reported
makes ``bind`` return ``None``: the compiler then checks the request afresh, which
reports the mistake with its position, exactly as for a new shape.

:meth:`Binder.rebind` is the paging request's shortcut: a request that differs from an
already bound one in a single cursor (``after``/``before``) keeps every other argument and
the node estimate, which a cursor never changes, and converts only that cursor.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphfields.calls import (
    CONNECTION_CALLS,
    Param,
    convert,
    convert_call,
    filter_seconds,
    show_raw,
)
from graphfields.schema import Connection, ConnectionArgs
from graphfields.syntax.ast import Value

__all__ = ["Binder", "CallSlot", "ConnSlot", "connection_args", "date_range"]

Range = tuple[int | None, int | None]


@dataclass(frozen=True, slots=True)
class ConnSlot:
    """A connection's arguments: its calls (name, value positions), whether the request's
    filters apply to it (a root connection with a timestamp field), and the slot of the
    connection it is nested in (-1: none), for the node estimate."""

    conn: Connection
    where: str
    calls: tuple[tuple[str, tuple[int, ...]], ...]
    root: bool
    parent: int


@dataclass(frozen=True, slots=True)
class CallSlot:
    """A field's declared calls and the calls the request gave (name, value positions)."""

    params: tuple[tuple[str, Param], ...]
    where: str
    calls: tuple[tuple[str, tuple[int, ...]], ...]


class _Range:
    """Collects from_/to_ bounds; the effective range is their intersection."""

    __slots__ = ("since", "until")

    def __init__(self) -> None:
        self.since: tuple[int, str, str] | None = None  # seconds, call name, value shown
        self.until: tuple[int, str, str] | None = None

    def add(self, name: str, seconds: int, shown: str) -> None:
        if name.startswith("from_"):
            if self.since is None or seconds > self.since[0]:
                self.since = (seconds, name, shown)
        elif self.until is None or seconds < self.until[0]:
            self.until = (seconds, name, shown)

    def empty(self) -> str | None:
        s, u = self.since, self.until
        if s is not None and u is not None and s[0] > u[0]:
            return f"{s[1]} {s[2]} is after {u[1]} {u[2]}"
        return None

    def bounds(self) -> Range:
        return (None if self.since is None else self.since[0],
                None if self.until is None else self.until[0])


def date_range(filters: Sequence[tuple[str, object]]) -> tuple[Range | None, str | None]:
    """The request-level date range of ``(name, raw value)`` filters: ``(range, None)``,
    or ``(None, reason)`` for an invalid value or an empty range."""
    dates = _Range()
    for name, raw in filters:
        seconds, reason = filter_seconds(name, raw)
        if seconds is None:
            return None, f"Invalid value for {name}: {reason}."
        dates.add(name, seconds, show_raw(raw))
    empty = dates.empty()
    if empty is not None:
        return None, f"Invalid date range: {empty}."
    return dates.bounds(), None


def connection_args(
    conn: Connection, converted: Sequence[tuple[str, Any, str]], request: Range | None,
) -> tuple[ConnectionArgs | None, str | None]:
    """A connection's arguments from its converted calls ``(name, value, shown)``:
    defaults applied (no ``first``/``last``: ``default_first``, else ``max_first``, so
    the page is never larger than the node estimate counts), the request's date range
    intersected. ``(None, reason)`` when the date range is empty."""
    values: dict[str, Any] = {}
    dates = _Range()
    for name, value, shown in converted:
        row = CONNECTION_CALLS[name]
        if row.dated:
            dates.add(name, value, shown)
        else:
            values[row.sets] = value
    empty = dates.empty()
    if empty is not None:
        return None, empty
    since, until = dates.bounds()
    if request is not None and conn.timestamp_field is not None:
        if request[0] is not None:
            since = request[0] if since is None else max(since, request[0])
        if request[1] is not None:
            until = request[1] if until is None else min(until, request[1])
    first, last = values.get("first"), values.get("last")
    if first is None and last is None:
        first = conn.default_first if conn.default_first is not None else conn.max_first
    return ConnectionArgs(first, last, values.get("after"), values.get("before"), since, until,
                          values.get("offset", 0)), None


def page_size(conn: Connection, args: ConnectionArgs | None) -> int:
    """How many nodes a page of ``conn`` can hold, for the node estimate."""
    first, last = (args.first, args.last) if args is not None else (None, None)
    return min(x for x in (first, last, conn.max_first) if x is not None)


class Binder:
    """Turns a request's argument values into a plan's ``args`` and node estimate."""

    __slots__ = ("cursors", "filters", "max_nodes", "same", "slots")

    def __init__(self, slots: Sequence[ConnSlot | CallSlot], same: Sequence[tuple[int, int]],
                 filters: tuple[str, ...], max_nodes: int) -> None:
        self.slots = tuple(slots)
        self.same = tuple(same)
        self.filters = filters
        self.max_nodes = max_nodes
        self.cursors = _lone_cursors(self.slots, self.same)

    def rebind(self, bound: tuple[tuple[Any, ...], int], values: Sequence[Value],
               changed: int, filters: Mapping[str, object] | None,
               ) -> tuple[tuple[Any, ...], int] | None:
        """:meth:`bind` for ``values`` that differ from those ``bound`` was made of (with
        the same request ``filters``) only at index ``changed``. A lone cursor converts
        just that value; any other change binds in full."""
        where = self.cursors.get(changed)
        if where is None:
            return self.bind(values, filters)
        at, target = where
        slot = self.slots[at]
        assert isinstance(slot, ConnSlot)
        offset, problem = convert(_CURSOR, values[changed], target, slot.where)
        if problem is not None:
            return None
        return self.moved(bound, changed, offset)

    def moved(self, bound: tuple[tuple[Any, ...], int], changed: int, offset: int,
              ) -> tuple[tuple[Any, ...], int]:
        """``bound`` with the lone cursor at value index ``changed`` (one of
        :attr:`cursors`) standing for ``offset`` instead."""
        at, target = self.cursors[changed]
        args = list(bound[0])
        a = args[at]
        args[at] = (ConnectionArgs(a.first, a.last, offset, a.before, a.since, a.until, a.offset)
                    if target == "after" else
                    ConnectionArgs(a.first, a.last, a.after, offset, a.since, a.until, a.offset))
        return tuple(args), bound[1]

    def bind(self, values: Sequence[Value], filters: Mapping[str, object] | None,
             ) -> tuple[tuple[Any, ...], int] | None:
        """``(args, cost)`` for a request of this shape, or ``None`` if the request has a
        mistake (then compile it afresh for the positioned message)."""
        for i, j in self.same:
            if values[i] != values[j]:
                return None
        request: Range | None = None
        if self.filters:
            assert filters is not None
            request, problem = date_range([(n, filters[n]) for n in self.filters])
            if problem is not None:
                return None
        args: list[Any] = []
        mults: list[int] = []
        cost = 0
        for slot in self.slots:
            if isinstance(slot, CallSlot):
                given: dict[str, Any] = {}
                params = dict(slot.params)
                for name, at in slot.calls:
                    value, problems = convert_call(params[name], [values[i] for i in at],
                                                   name, slot.where)
                    if problems:
                        return None
                    given[name] = value
                args.append({name: given.get(name, param.default) for name, param in slot.params})
                mults.append(0)
                continue
            conn = slot.conn
            converted = []
            for name, at in slot.calls:
                row = CONNECTION_CALLS[name]
                value, problems = convert_call(row.param, [values[i] for i in at], name,
                                               slot.where, conn.max_first)
                if problems:
                    return None
                # (how a date was written is only for the message of an empty range)
                converted.append((name, value, _shown(values, at) if row.dated else ""))
            cargs, _ = connection_args(conn, converted, request if slot.root else None)
            if cargs is None:
                return None
            mult = (1 if slot.parent < 0 else mults[slot.parent]) * page_size(conn, cargs)
            cost += mult
            args.append(cargs)
            mults.append(mult)
        if cost > self.max_nodes:
            return None
        return tuple(args), cost


_CURSOR = CONNECTION_CALLS["after"].param


def _lone_cursors(slots: Sequence[ConnSlot | CallSlot], same: Sequence[tuple[int, int]],
                  ) -> dict[int, tuple[int, str]]:
    """Value index -> (slot, ``"after"`` or ``"before"``) for each cursor that is the only
    value setting its connection's ``after``/``before`` and has no other value it must
    equal: a cursor only moves the page, so changing it changes nothing else."""
    paired = {k for pair in same for k in pair}
    out: dict[int, tuple[int, str]] = {}
    for s, slot in enumerate(slots):
        if not isinstance(slot, ConnSlot):
            continue
        sets = [CONNECTION_CALLS[name].sets for name, _ in slot.calls]
        for name, at in slot.calls:
            target = CONNECTION_CALLS[name].sets
            if (target in ("after", "before") and sets.count(target) == 1 and len(at) == 1
                    and at[0] not in paired):
                out[at[0]] = (s, target)
    return out


def _shown(values: Sequence[Value], at: tuple[int, ...]) -> str:
    from graphfields.calls import show

    return show(values[at[0]]) if at else ""
