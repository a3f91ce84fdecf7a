"""What both executors share: paths of failures, collections, pages, scalars (batches:
:mod:`graphfields.execution.batches`).

Kept small and free of per-field work: these run once per connection, per batch, or
only on the error path.
"""

from __future__ import annotations

import types
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from graphfields import filters, relay, sources
from graphfields.errors import ExecutionError
from graphfields.plan import (
    ConnectionPlan,
)
from graphfields.schema import ConnectionArgs, ResolvedField, Scalar

__all__ = [
    "Fail",
    "as_list",
    "connection_page",
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


class AwaitableInSync(TypeError):
    """A resolver gave an awaitable to the synchronous executor."""

    def __init__(self) -> None:
        super().__init__("a resolver returned an awaitable (an async def or a coroutine): "
                         "use graphfields.execute_async to execute this plan")


def render_path(segments: Sequence[Segment]) -> str:
    """``["media", "edges", 3, "node", "owner"]`` -> ``media.edges[3].node.owner``."""
    out: list[str] = []
    for seg in segments:
        if isinstance(seg, int):
            out.append(f"[{seg}]")
        else:
            out.append(f".{seg}" if out else seg)
    return "".join(out)


def error(fail: Fail) -> ExecutionError:
    """The :class:`ExecutionError` a failure becomes at the top."""
    err = ExecutionError(fail.path, fail.original)
    err.__cause__ = fail.original
    return err


def no_root() -> ExecutionError:
    exc = TypeError("execute() needs a root object, got None")
    return ExecutionError("", exc)


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


# -- values ------------------------------------------------------------------------------


_PLAIN = frozenset({dict, list, tuple, str, int, float, bool, type(None)})
_ITERABLE_COROUTINE = 0x100  # inspect.CO_ITERABLE_COROUTINE (inspect is slow to import)


def _awaitable(value: Any) -> bool:
    """``inspect.isawaitable``: a coroutine, a generator-based coroutine, or an object
    with ``__await__``."""
    if isinstance(value, types.CoroutineType | Awaitable):
        return True
    return isinstance(value, types.GeneratorType) and bool(
        value.gi_code.co_flags & _ITERABLE_COROUTINE)


def is_awaitable(value: Any) -> bool:
    """Whether ``value`` is awaitable (plain data answers at once)."""
    return type(value) not in _PLAIN and _awaitable(value)


def no_await(value: Any) -> Any:
    """A resolver's result, unless it is an awaitable (the synchronous executor refuses)."""
    if type(value) in _PLAIN or not _awaitable(value):
        return value
    discard(value)
    raise AwaitableInSync


def call_value(value: Any) -> Any:
    """A callable read value called (a class is a value); an awaitable refused."""
    if callable(value) and not isinstance(value, type):
        value = value()
    if type(value) not in _PLAIN and _awaitable(value):
        discard(value)
        raise AwaitableInSync
    return value


def discard(value: Any) -> None:
    """Close a coroutine the synchronous executor will never run (no 'never awaited')."""
    close = getattr(value, "close", None)
    if isinstance(value, types.CoroutineType) and close is not None:
        close()


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
    if _awaitable(value):
        discard(value)
        raise AwaitableInSync
    return value


def as_list(value: Any, what: str = "a list field's value") -> list[Any]:
    """``list(value)`` for values that are collections of items. A str, bytes or mapping
    is a ``TypeError`` naming its type: ``list()`` would silently make characters or keys
    of it (a caption string as ``["F", "a", ...]``, a batch resolver's ``{id: row}`` as
    its IDs). A list is returned as it is (callers only read it)."""
    if type(value) is list:
        return value
    if isinstance(value, str | bytes | bytearray | Mapping):
        raise TypeError(f"{what} must be a list or another iterable of items, "
                        f"not {type(value).__name__}")
    if type(value) not in _PLAIN and _awaitable(value):
        discard(value)
        raise AwaitableInSync
    try:
        return list(value)
    except TypeError:
        if hasattr(type(value), "__iter__"):
            raise  # the iterable itself failed
        raise TypeError(f"{what} must be a list or another iterable of items, "
                        f"not {type(value).__name__}") from None


def read_list(value: Any) -> Any:
    """A list field's read value as a list (callables called; None kept)."""
    value = call_value(value)
    if value is None or type(value) is list:
        return value
    return as_list(value)


def field_reader(field: ResolvedField, context: Any) -> Callable[[Any], Any]:
    """Read one field of a node outside generated code (timestamps for the filters)."""
    resolve = field.definition.resolve
    if resolve is not None:
        return lambda parent: resolve(parent, context)
    batch = field.definition.batch
    if batch is not None:
        return lambda parent: batch([parent], context)[0]
    source = field.source
    return lambda parent: sources.read(parent, source)


def connection_page(fp: ConnectionPlan, args: ConnectionArgs, value: Any,
                    context: Any) -> relay.Page | None:
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
    if fp.filtered and fp.timestamp is not None and (args.since is not None
                                                     or args.until is not None):
        conn = fp.field.connection
        assert conn is not None
        reader = field_reader(fp.timestamp, context)
        lo, hi = filters.bounds(value, reader, args.since, args.until,
                                descending=conn.descending, checked=fp.timestamp.name)
    return relay.slice_page(value, args.first, args.last, args.after, args.before,
                            offset=args.offset, lo=lo, hi=hi)


def scalar_converter(field: ResolvedField) -> Callable[[Any], Any]:
    """Raw value -> output for a scalar field: its JSON form through the scalar's
    serializer (each item of a list); ``None`` stays ``None``."""
    scalar = field.scalar
    serialize = scalar.serialize if isinstance(scalar, Scalar) else None
    fast = scalar.json_type if isinstance(scalar, Scalar) else None
    if field.is_list:
        if serialize is None:
            return lambda v: None if v is None else (v.copy() if type(v) is list
                                                     else as_list(v))
        ser = serialize
        return lambda v: None if v is None else [
            None if i is None else (i if type(i) is fast else ser(i)) for i in as_list(v)]
    if serialize is None:
        return lambda v: v
    ser1 = serialize
    return lambda v: None if v is None else (v if type(v) is fast else ser1(v))


def item_converter(field: ResolvedField) -> Callable[[Any], Any]:
    """One item of a list scalar field off the fast path -> its JSON form."""
    scalar = field.scalar
    serialize = scalar.serialize if isinstance(scalar, Scalar) else None
    if serialize is None:
        return lambda i: i
    ser = serialize
    return lambda i: None if i is None else ser(i)


def scalar_slow(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A field's converter for values off the fast path: callables called first."""

    def slow(value: Any) -> Any:
        return convert(call_value(value))

    return slow
