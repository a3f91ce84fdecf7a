"""What the ORM push-downs (``graphfields.sqlalchemy``, ``graphfields.django.orm``) share.

- :func:`needs` walks a plan once and says what to load: per object type the columns the
  selection reads and, per relationship (and per distinct connection arguments), what to
  load for its children. It is the only code of the push-downs that reads plan nodes.
- :class:`Bounds` turns a connection's arguments into the conditions on a row's position
  in its parent's (filtered, ordered) collection that a per-parent page query needs, and
  :meth:`Bounds.cut` turns the rows such a query returned for one parent into the exact
  :class:`graphfields.relay.Page` the plain executor would cut (same offsets, same flags).
- Loaded rows are plain dicts keyed by field source; a connection's page sits under
  ``(source, args)`` so that two aliases of one relationship with different calls keep
  their own pages; :func:`connection_resolver` reads it back (or, over ORM objects rather
  than loaded dicts, the relationship's collection as it is).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from graphfields import relay
from graphfields.plan import ConnectionPlan, EdgesPlan, ObjectPlan, Plan, SelectionPlan, args_of
from graphfields.schema import Connection, ConnectionArgs, ObjectType

__all__ = ["Bounds", "Need", "connection_resolver", "needs", "page_key"]

ChildKey = tuple[str, ConnectionArgs | None]
"""A relationship to load under a parent: its source, and the connection's arguments
(``None`` for an object or list field)."""


@dataclass
class Need:
    """What to load for the objects of ``type`` at one place of a request."""

    type: ObjectType
    columns: set[str] = field(default_factory=set)
    children: dict[ChildKey, Need] = field(default_factory=dict)


def needs(plan: Plan) -> Need:
    """The load tree of ``plan``: selections of one relationship (with equal arguments)
    at one place are merged, so each edge of the tree is one statement."""
    root = Need(plan.type)

    def walk(sel: SelectionPlan, need: Need) -> None:
        for fp in sel.fields:
            f = fp.field
            if f.kind == "scalar":
                need.columns.add(f.source)
                continue
            assert f.object_type is not None
            args: ConnectionArgs | None = None
            if isinstance(fp, ConnectionPlan):
                assert f.connection is not None
                args = defaulted(f.connection, args_of(plan, fp))
            child = need.children.get((f.source, args))
            if child is None:
                child = need.children[(f.source, args)] = Need(f.object_type)
            if isinstance(fp, ObjectPlan):
                walk(fp.selection, child)
            elif isinstance(fp, ConnectionPlan):
                for part in fp.parts:
                    if isinstance(part, EdgesPlan) and part.node is not None:
                        walk(part.node, child)

    walk(plan.selection, root)
    return root


def defaulted(conn: Connection, args: ConnectionArgs) -> ConnectionArgs:
    """``args`` with the connection's ``default_first`` when neither first nor last is
    given: the arguments the executor hands a connection resolver."""
    if args.first is None and args.last is None and conn.default_first is not None:
        return dataclasses.replace(args, first=conn.default_first)
    return args


def page_key(source: str, args: ConnectionArgs) -> tuple[str, ConnectionArgs]:
    """The key of a connection's page in a loaded row."""
    return (source, args)


def connection_resolver(source: str) -> Callable[[Any, ConnectionArgs, Any], Any]:
    """A connection's ``resolve=``: the loaded page of a loaded row (a dict); for any
    other parent (an ORM object) the relationship's collection, sliced by graphfields."""

    def resolve(parent: Any, args: ConnectionArgs, context: Any) -> Any:
        if type(parent) is dict:
            try:
                return parent[(source, args)]
            except KeyError:
                raise LookupError(
                    f"no page of {source!r} was loaded for {args}: was this row loaded "
                    "for this plan?") from None
        return getattr(parent, source)

    return resolve


@dataclass(frozen=True, slots=True)
class Bounds:
    """Which rows of a parent's (filtered, ordered) collection a per-parent page query
    returns, and how the page is cut from them.

    A row at 0-based position ``pos`` of ``n`` is kept when ``pos >= low`` and (``high``
    is None or ``pos < high``) and (``last`` is None or ``pos >= n - last`` or ``pos >=
    last_floor``), or when ``marker`` and ``pos == 0``: every parent with any row returns
    at least one, so the flags of an empty page are exact too. ``n`` (a window
    ``COUNT(*)``) is needed only when ``counted`` (``last`` or ``before``); otherwise
    ``high`` includes one row past the page, which says whether there is a next page.
    """

    args: ConnectionArgs
    low: int
    high: int | None
    last: int | None
    last_floor: int | None
    marker: bool
    counted: bool

    @classmethod
    def of(cls, args: ConnectionArgs) -> Bounds:
        # relay.window: a non-empty page starts at after + 1 + offset; it ends at most at
        # before and at that start + first; last keeps the last rows before that end.
        low = (0 if args.after is None else max(args.after + 1, 0)) + args.offset
        ends = [e for e in (args.before,
                            None if args.first is None else low + args.first) if e is not None]
        end = min(ends) if ends else None
        # Forwards (no last, no before) the window needs the size only up to the page's
        # end: one row more tells it. Otherwise the size is counted.
        counted = args.last is not None or args.before is not None
        floor = None
        if args.last is not None and end is not None:
            floor = end - args.last
        high = end if end is None or counted else end + 1
        return cls(args, low, high, args.last, floor, low > 0 or counted, counted)

    def keeps(self, pos: int, n: int) -> bool:
        """The condition in Python (the SQL builders write the same; tests compare)."""
        if self.marker and pos == 0:
            return True
        if pos < self.low or (self.high is not None and pos >= self.high):
            return False
        if self.last is None:
            return True
        return pos >= n - self.last or (self.last_floor is not None and pos >= self.last_floor)

    def cut(self, rows: list[Any], n: int | None, pos: Callable[[Any], int]) -> relay.Page:
        """The page of one parent from the rows its query returned, in any order (sorted
        here, in place; ``pos(row)`` is a row's position); ``n`` is its collection's size
        (``None`` unless ``counted``). The page's nodes are rows of ``rows``."""
        rows.sort(key=pos)
        if n is None:
            # Forwards, the window depends on the size only up to high: the rows
            # returned tell it that far (and an empty page's flags from the marker row).
            n = pos(rows[-1]) + 1 if rows else 0
        a = self.args
        start, end = relay.window(n, a.first, a.last, a.after, a.before, a.offset)
        nodes = [row for row in rows if start <= pos(row) < end]
        return relay.Page(nodes, start, end < n, start > 0)
