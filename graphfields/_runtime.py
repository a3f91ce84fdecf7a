"""Pieces shared by both executors (the generated one and the reference interpreter).

Kept small and free of per-field work: these run once per connection, per batch, or
only on the error path.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from graphfields import filters, relay, sources
from graphfields.schema import Connection, ConnectionArgs, ObjectType, ResolvedField, Scalar

__all__ = [
    "Fail",
    "as_list",
    "connection_page",
    "effective_args",
    "field_reader",
    "index_of",
    "path_to",
    "render_path",
    "scalar_converter",
]

Segment = str | int


class Fail(Exception):
    """Internal: a failure on its way up to ``execute``, collecting its path.

    ``segments`` are innermost first; ``item`` is the parent object the innermost
    selection was running on (used to find list indices on the way up).
    """

    def __init__(self, original: BaseException, segments: list[Segment] | None = None) -> None:
        super().__init__(original)
        self.original = original
        self.segments: list[Segment] = segments if segments is not None else []
        self.item: Any = None

    @property
    def path(self) -> str:
        return render_path(list(reversed(self.segments)))


def render_path(segments: Sequence[Segment]) -> str:
    """``["media", "edges", 3, "node", "owner"]`` -> ``media.edges[3].node.owner``."""
    out: list[str] = []
    for seg in segments:
        if isinstance(seg, int):
            out.append(f"[{seg}]")
        else:
            out.append(f".{seg}" if out else seg)
    return "".join(out)


def index_of(items: Any, item: Any) -> int:
    """Position of ``item`` (by identity) in ``items``; -1 if absent. Error path only."""
    try:
        for i, candidate in enumerate(items):
            if candidate is item:
                return i
    except Exception:
        pass
    return -1


def path_to(tree: Any, target: Any) -> list[Segment] | None:
    """The segments leading from output ``tree`` to the output object ``target`` (by
    identity). Error path only: batch failures locate their parent this way, so
    nothing is spent on paths while everything succeeds."""
    if tree is target:
        return []
    stack: list[tuple[Any, list[Segment]]] = [(tree, [])]
    seen = {id(tree)}  # scalar values may be user containers, even cyclic ones
    while stack:
        node, path = stack.pop()
        children: Any = node.items() if isinstance(node, dict) else enumerate(node)
        for key, child in children:
            if child is target:
                return [*path, key]
            if isinstance(child, dict | list) and id(child) not in seen:
                seen.add(id(child))
                stack.append((child, [*path, key]))
    return None


def effective_args(conn: Connection, args: ConnectionArgs) -> ConnectionArgs:
    """``args`` with the connection's ``default_first`` when neither first nor last is set."""
    if args.first is None and args.last is None and conn.default_first is not None:
        return dataclasses.replace(args, first=conn.default_first)
    return args


def field_reader(field: ResolvedField, context: Any) -> Callable[[Any], Any]:
    """Read one field of a parent outside generated code (timestamps for the filters)."""
    resolve = field.definition.resolve
    if resolve is not None:
        return lambda parent: resolve(parent, context)
    batch = field.definition.batch
    if batch is not None:
        return lambda parent: batch([parent], context)[0]
    source = field.source
    return lambda parent: sources.read(parent, source)


def _is_sequence(value: Any) -> bool:
    """Indexable with a length (an ABC Sequence, or duck-typed like a lazy store view)."""
    if isinstance(value, list | tuple):
        return True
    if isinstance(value, str | bytes | Mapping):
        return False
    cls = type(value)
    return isinstance(value, Sequence) or (hasattr(cls, "__getitem__") and hasattr(cls, "__len__"))


def _nodes(value: Any, what: str) -> Any:
    """``value`` if it can be a collection of nodes; a str, bytes or mapping would be taken
    apart into characters or keys, so it is a ``TypeError`` naming the type instead."""
    if isinstance(value, str | bytes | bytearray | Mapping):
        raise TypeError(
            f"{what} must be a sequence, an iterable or a graphfields.Page, "
            f"not {type(value).__name__}")
    return value


def as_list(value: Any, what: str = "a list field's value") -> list[Any]:
    """``list(value)`` for values that are collections of items. A str, bytes or mapping
    is a ``TypeError`` naming its type: ``list()`` would silently make characters or keys
    of it (a caption string as ``["F", "a", ...]``, a batch resolver's ``{id: row}`` as
    its IDs)."""
    if isinstance(value, str | bytes | bytearray | Mapping):
        raise TypeError(f"{what} must be a list or another iterable of items, "
                        f"not {type(value).__name__}")
    return list(value)


def connection_page(
    conn: Connection,
    node_type: ObjectType,
    args: ConnectionArgs,
    value: Any,
    context: Any,
) -> relay.Page | None:
    """The page of a connection value: a resolver's own :class:`relay.Page` as given, or
    a sequence filtered (bisect) and sliced (O(page)); ``None`` stays ``None``."""
    if value is None:
        return None
    if isinstance(value, relay.Page):
        page: relay.Page = value
        if not isinstance(page.nodes, list | tuple):
            page = relay.Page(
                list(_nodes(page.nodes, "Page.nodes")), page.offset, page.has_next_page,
                page.has_previous_page,
            )
        if type(page.offset) is not int or page.offset < 0:
            raise TypeError(f"Page.offset must be a non-negative int, not {page.offset!r:.40}")
        return page
    if not _is_sequence(value):
        value = list(_nodes(value, "a connection value"))
    lo, hi = 0, len(value)
    if (args.since is not None or args.until is not None) and conn.timestamp_field:
        reader = field_reader(node_type.fields[conn.timestamp_field], context)
        lo, hi = filters.bounds(value, reader, args.since, args.until, descending=conn.descending)
    return relay.slice_page(value, args.first, args.last, args.after, args.before,
                            offset=args.offset, lo=lo, hi=hi)


def scalar_converter(field: ResolvedField) -> Callable[[Any], Any]:
    """Raw value -> output for a scalar field (serializer applied, lists copied)."""
    scalar = field.scalar
    serialize = scalar.serialize if isinstance(scalar, Scalar) else None
    if field.is_list:
        if serialize is None:
            return lambda v: None if v is None else as_list(v)
        ser = serialize
        return lambda v: None if v is None else [None if i is None else ser(i)
                                                 for i in as_list(v)]
    if serialize is None:
        return lambda v: v
    ser1 = serialize
    return lambda v: None if v is None else ser1(v)
