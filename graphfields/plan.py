"""The compiled form of a validated selection: a reusable *shape* and per-request *arguments*.

The compiler (``graphfields.compiler``) builds a :class:`Shape` from a request the first
time its shape is seen: the tree of plan nodes below, every field resolved and every
decision taken (how each value is read, which calls it received). Two requests that
differ only in argument values (cursors, page sizes, dates, field calls, request filters)
share one shape. A :class:`Plan` is one request: its shape plus its checked, converted
arguments (``args[node.arg]``), which is what ``execute`` runs.

Plan nodes are frozen; a :class:`Shape` additionally keeps the executor's cache (the code
generated for it once it is hot, and how often it ran).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from graphfields.schema import ConnectionArgs, ObjectType, ResolvedField

__all__ = [
    "ConnectionPlan",
    "EdgesPlan",
    "FieldPlan",
    "ObjectPlan",
    "PageInfoPlan",
    "Plan",
    "ScalarPlan",
    "SelectionPlan",
    "Shape",
    "args_of",
    "nested",
    "selections",
]

READ = "read"
"""``how`` values: ``read`` (by ``field.source`` through :mod:`graphfields.sources`),
``resolve`` (``fn(parent, context)``), ``resolve_args`` (``fn(parent, args, context)``),
``batch`` (``fn(parents, context)``, deferred), ``batch_args`` (``fn(parents, args,
context)``, deferred)."""
RESOLVE = "resolve"
RESOLVE_ARGS = "resolve_args"
BATCH = "batch"
BATCH_ARGS = "batch_args"
BATCHED = (BATCH, BATCH_ARGS)


@dataclass(frozen=True, slots=True)
class ScalarPlan:
    """A leaf: read the value, serialize it with the field's scalar (each item if a list)."""

    key: str
    field: ResolvedField
    how: str = READ
    fn: Callable[..., Any] | None = None
    arg: int = -1


@dataclass(frozen=True, slots=True)
class ObjectPlan:
    """An object (or list of objects) field with its nested selection."""

    key: str
    field: ResolvedField
    selection: SelectionPlan
    how: str = READ
    fn: Callable[..., Any] | None = None
    arg: int = -1


@dataclass(frozen=True, slots=True)
class PageInfoPlan:
    """``page_info{...}``: ``fields`` are ``(output key, name)`` pairs, ``name`` one of
    ``has_next_page``, ``has_previous_page``, ``start_cursor``, ``end_cursor``."""

    key: str
    fields: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class EdgesPlan:
    """``edges{...}``: ``items`` are ``(output key, "cursor" | "node")`` in request order;
    ``node`` is the node selection (``None`` when no ``node`` was selected)."""

    key: str
    items: tuple[tuple[str, str], ...]
    node: SelectionPlan | None


@dataclass(frozen=True, slots=True)
class ConnectionPlan:
    """A connection field: what to output, in request order; its arguments are
    ``plan.args[arg]`` (a :class:`ConnectionArgs`, defaults applied).

    ``timestamp`` is the node field the date filters read when ``filtered`` (some date
    filter applies in this shape); ``window`` is ``"first"`` when only a page size applies
    (a plain list is then cut as ``val[:first]``), else ``"general"``."""

    key: str
    field: ResolvedField
    parts: tuple[PageInfoPlan | EdgesPlan, ...]
    arg: int
    how: str = READ
    fn: Callable[..., Any] | None = None
    filtered: bool = False
    timestamp: ResolvedField | None = None
    window: str = "general"


FieldPlan: TypeAlias = ScalarPlan | ObjectPlan | ConnectionPlan


@dataclass(frozen=True, slots=True)
class SelectionPlan:
    """The fields to output for one object of ``type``, in output order (connection
    ``always`` fields already merged in)."""

    type: ObjectType
    fields: tuple[FieldPlan, ...]


def nested(fp: FieldPlan) -> tuple[SelectionPlan, ...]:
    """The selections directly inside a field: an object's, a connection's node's."""
    if isinstance(fp, ObjectPlan):
        return (fp.selection,)
    if isinstance(fp, ConnectionPlan):
        return tuple(p.node for p in fp.parts if isinstance(p, EdgesPlan) and p.node is not None)
    return ()


def selections(sel: SelectionPlan) -> Iterator[SelectionPlan]:
    """``sel`` and every selection nested in it (depth first, in no particular order)."""
    stack = [sel]
    while stack:
        s = stack.pop()
        yield s
        for fp in s.fields:
            stack.extend(nested(fp))


class Shape:
    """A validated selection with its arguments left open: shared by every request of
    the same shape. ``binder`` checks and converts a request's argument values.

    The executor keeps ``runs`` (how often the shape ran) and ``runner`` (the code it
    generated once the shape is hot) here."""

    __slots__ = ("binder", "home", "lock", "nodes", "runner", "runs", "selection", "type",
                 "weight")

    def __init__(self, type: ObjectType, selection: SelectionPlan, binder: Any,
                 nodes: int) -> None:
        self.type = type
        self.selection = selection
        self.binder = binder
        self.nodes = nodes
        self.weight = 0
        self.runs = 0
        self.runner: Any = None
        self.lock = threading.Lock()
        self.home: Any = None  # (cache, key) where the compiler keeps it

    def grow(self, extra: int) -> None:
        """The shape holds ``extra`` more bytes (its generated code): tell its cache."""
        self.weight += extra
        if self.home is not None:
            cache, key = self.home
            cache.reweigh(key, self, self.weight)

    def __repr__(self) -> str:
        return f"<Shape {self.type.name}: {self.nodes} nodes>"


@dataclass(frozen=True, slots=True, eq=False)
class Plan:
    """A validated, compiled request for a root type: its shape and its arguments."""

    shape: Shape
    args: tuple[Any, ...]
    cost: int = 0
    source: Any = field(default=None, repr=False)  # the parsed Selection, or the text

    @property
    def type(self) -> ObjectType:
        return self.shape.type

    @property
    def selection(self) -> SelectionPlan:
        return self.shape.selection

    @property
    def text(self) -> str:
        """The request in canonical form (``graphfields.format_fields``)."""
        from graphfields.syntax import MAX_SAFE_DEPTH, ParseLimits, parse
        from graphfields.syntax.printer import format_fields

        source = self.source
        if isinstance(source, str):  # a text compile() accepted: parse it without bounds
            unbounded = ParseLimits(max_length=len(source), max_depth=MAX_SAFE_DEPTH,
                                    max_fields=len(source) + 1)
            source = parse(source, limits=unbounded, cache=False)
        return format_fields(source) if source is not None else ""


def args_of(plan: Plan, connection: ConnectionPlan) -> ConnectionArgs:
    """The checked arguments of one connection of ``plan`` for this request (defaults
    applied). Code that walks a plan (an ORM loader, say) reads arguments only this way:
    a plan's tree is shared by every request of the same shape, its arguments are not."""
    args: ConnectionArgs = plan.args[connection.arg]
    return args
