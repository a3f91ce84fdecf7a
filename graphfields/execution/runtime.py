"""What both executors share: paths of failures, collections, pages, scalars, batches.

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
    BATCH_ARGS,
    BATCHED,
    RESOLVE,
    RESOLVE_ARGS,
    ConnectionPlan,
    EdgesPlan,
    FieldPlan,
    ObjectPlan,
    ScalarPlan,
    SelectionPlan,
)
from graphfields.schema import ConnectionArgs, ResolvedField, Scalar

__all__ = [
    "Fail",
    "as_list",
    "batch_order",
    "connection_page",
    "drain",
    "drain_async",
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
    its IDs)."""
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
            return lambda v: None if v is None else as_list(v)
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


# -- batches -----------------------------------------------------------------------------

BATCH_RESULT = "a batch resolver's result (one value per parent, in order)"


def batch_order(sel: SelectionPlan) -> list[FieldPlan]:
    """Every batch-resolved field of a plan in the order their batches run in a round:
    per selection, its batch fields in order (each followed by what is nested in it),
    then what is nested in its other fields."""
    out: list[FieldPlan] = []

    def inner(fp: FieldPlan) -> None:
        if isinstance(fp, ObjectPlan):
            visit(fp.selection)
        elif isinstance(fp, ConnectionPlan):
            for part in fp.parts:
                if isinstance(part, EdgesPlan) and part.node is not None:
                    visit(part.node)

    def visit(s: SelectionPlan) -> None:
        for fp in s.fields:
            if fp.how in BATCHED:
                out.append(fp)
                inner(fp)
        for fp in s.fields:
            if fp.how not in BATCHED and not isinstance(fp, ScalarPlan):
                inner(fp)

    visit(sel)
    return out


def label(sel_type: str, fp: FieldPlan) -> str:
    return f"{sel_type}.{fp.field.name}"


def run_batch(fn: Callable[..., Any], how: str, arg: Any, parents: list[Any],
              context: Any) -> Any:
    """Call a batch resolver with or without its arguments."""
    if how == BATCH_ARGS:
        return fn(parents, arg, context)
    return fn(parents, context)


def check_batch(values: Any, parents: list[Any], what: str) -> list[Any]:
    """A batch resolver's result as a list of one value per parent."""
    out = as_list(values, BATCH_RESULT)
    if len(out) != len(parents):
        raise ValueError(f'batch resolver of "{what}" returned {len(out)} values for '
                         f"{len(parents)} parents")
    return out


def drain(c: list[Any], root: Any, specs: tuple[tuple[Any, ...], ...]) -> None:
    """Run deferred batch resolvers, level after level, until none is pending.

    ``c`` is ``[context, args, queue, ...]``; a spec is ``(slot, key, fn, how, arg,
    convert, is_list, label)``: the queue ``c[slot]`` holds ``(output dict, parent)``
    pairs whose ``key`` the batch fills with ``convert(value, c)``."""
    busy = True
    while busy:
        busy = False
        for slot, key, fn, how, arg, convert, is_list, what in specs:
            pending = c[slot]
            if not pending:
                continue
            busy = True
            c[slot] = []
            parents = [x for _, x in pending]
            try:
                values = check_batch(run_batch(fn, how, c[1][arg] if arg >= 0 else None,
                                               parents, c[0]), parents, what)
            except Exception as exc:
                raise Fail(exc, [key, *reversed(path_to(root, pending[0][0]) or [])]) from None
            fill(c, root, pending, values, key, convert, is_list)


async def drain_async(
    c: list[Any], root: Any, specs: tuple[tuple[Any, ...], ...],
    awaits: list[tuple[dict[str, Any], str, Any, Any]] | None = None,
    settle: Callable[[Any, dict[str, Any], str, Any, Any], None] | None = None,
) -> None:
    """:func:`drain` awaiting: every pending batch of a level (and every awaitable in
    ``awaits``: ``(output dict, key, awaitable, field plan)``, filled in by ``settle``)
    runs concurrently; their values are filled in level order, which may queue the next
    level. Cancelling the caller cancels whatever is pending."""
    while True:
        waiting = list(awaits) if awaits else []
        if awaits:
            awaits.clear()
        batches = []
        for spec in specs:
            slot = spec[0]
            if c[slot]:
                batches.append((spec, c[slot]))
                c[slot] = []
        if not waiting and not batches:
            return
        calls: list[Any] = [pending for _, _, pending, _ in waiting]
        for (_, _, fn, how, arg, _, _, _), pending in batches:
            calls.append(_call_batch(fn, how, c[1][arg] if arg >= 0 else None,
                                     [x for _, x in pending], c[0]))
        import asyncio  # (only here: execute does not need it)

        results = await asyncio.gather(*calls, return_exceptions=True)
        if waiting:
            assert settle is not None
            for (out, key, _, fp), result in zip(waiting, results, strict=False):
                settle(root, out, key, fp, result)
        for (spec, pending), result in zip(batches, results[len(waiting):], strict=True):
            _, key, _, _, _, convert, is_list, what = spec
            try:
                if isinstance(result, BaseException):
                    raise result
                values = check_batch(result, [x for _, x in pending], what)
            except Exception as exc:
                raise Fail(exc, [key, *reversed(path_to(root, pending[0][0]) or [])]) from None
            fill(c, root, pending, values, key, convert, is_list)


async def _call_batch(fn: Callable[..., Any], how: str, arg: Any, parents: list[Any],
                      context: Any) -> Any:
    result = run_batch(fn, how, arg, parents, context)
    if is_awaitable(result):
        result = await result
    return result


def awaits_only_in_batches(sel: SelectionPlan) -> bool:
    """Whether every resolver of a plan is a batch (so the walk itself never meets an
    awaitable, and generated code can walk it for :func:`execute_async`)."""
    stack = [sel]
    while stack:
        s = stack.pop()
        for fp in s.fields:
            if fp.how in (RESOLVE, RESOLVE_ARGS):
                return False
            if isinstance(fp, ObjectPlan):
                stack.append(fp.selection)
            elif isinstance(fp, ConnectionPlan):
                stack.extend(p.node for p in fp.parts if isinstance(p, EdgesPlan) and p.node)
    return True


def fill(c: list[Any], root: Any, pending: list[tuple[Any, Any]], values: list[Any],
         key: str, convert: Callable[[Any, Any], Any], is_list: bool) -> None:
    """Put a batch's converted values into the waiting output dicts."""
    for (out, _), value in zip(pending, values, strict=True):
        try:
            out[key] = convert(value, c)
        except Fail as fail:
            if is_list:
                fail.segments.append(index_of(value, fail.item))
            fail.segments.append(key)
            fail.segments.extend(reversed(path_to(root, out) or []))
            raise
        except Exception as exc:
            raise Fail(exc, [key, *reversed(path_to(root, out) or [])]) from None

