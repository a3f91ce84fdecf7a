"""The tree-walking executor: the reference for generated code, and what runs a shape
until it is hot (and every asynchronous execution).

It walks the plan once over the data, placing keys in request order. Batch resolvers are
deferred exactly as in generated code: the parents of each batch field are collected
per place in the plan, and :func:`~graphfields.execution.batches.drain` calls each batch
once per place and level (so a request runs the same batch calls, and the same SQL,
whichever executor runs it). In asynchronous mode, a resolver's awaitable is deferred
the same way and every batch and awaitable of one level is awaited concurrently.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphfields import relay, sources
from graphfields.execution.batches import (
    batch_slots,
    drain,
    drain_async,
    filler,
    label,
    queues,
)
from graphfields.execution.runtime import (
    AwaitableInSync,
    Fail,
    call_value,
    connection_page,
    discard,
    error,
    index_of,
    is_awaitable,
    no_root,
    path_to,
    read_list,
    scalar_converter,
)
from graphfields.plan import (
    BATCHED,
    READ,
    RESOLVE,
    ConnectionPlan,
    EdgesPlan,
    FieldPlan,
    ObjectPlan,
    PageInfoPlan,
    Plan,
    ScalarPlan,
    SelectionPlan,
)

__all__ = ["check", "interpret", "interpret_async"]


def interpret(plan: Plan, data: Any, *, context: Any = None) -> dict[str, Any]:
    """Execute ``plan`` over ``data`` by walking it; same contract as ``execute``."""
    check(plan, data)
    walker = _Walker(plan, context, False)
    try:
        out = walker.select(plan.selection, data)
        if out is None:
            raise no_root()
        drain(walker.c, out, walker.specs)
    except Fail as fail:
        raise error(fail) from fail.original
    return out


async def interpret_async(plan: Plan, data: Any, *, context: Any = None) -> dict[str, Any]:
    """:func:`interpret` awaiting resolvers' awaitables, a level at a time."""
    check(plan, data)
    walker = _Walker(plan, context, True)
    try:
        out = walker.select(plan.selection, data)
        if out is None:
            raise no_root()
        await walker.drain_async(out)
    except Fail as fail:
        raise error(fail) from fail.original
    finally:
        for _, _, pending, _ in walker.awaits:
            discard(pending)
    return out


def check(plan: Any, data: Any) -> Plan:
    """``plan`` if it is a :class:`Plan` and ``data`` is not ``None``."""
    if not isinstance(plan, Plan):
        raise TypeError(f"execute() needs a Plan from compile(), not {type(plan).__name__}")
    if data is None:
        raise no_root()
    return plan


class _Walker:
    def __init__(self, plan: Plan, context: Any, asynchronous: bool) -> None:
        self.context = context
        self.args = plan.args
        self.asynchronous = asynchronous
        places, self.queue_of, n_queues = batch_slots(plan.selection)
        self.c: list[Any] = [context, plan.args, *([] for _ in range(n_queues))]
        self.converters: dict[int, Callable[[Any], Any]] = {}
        # (output dict, key, awaitable, field plan): awaited with the next level
        self.awaits: list[tuple[dict[str, Any], str, Any, FieldPlan]] = []
        self.specs = queues(
            (self.queue_of[id(s)], fp.key, fp.fn, fp.how, fp.arg,
             filler(fp.key, self._converter(fp)), label(s.type.name, fp))
            for s, fp in places)

    def _converter(self, fp: FieldPlan) -> Callable[[Any, Any], Any]:
        return lambda value, c: self.convert(fp, value)

    # -- the walk ---------------------------------------------------------------------

    def select(self, sel: SelectionPlan, x: Any) -> dict[str, Any] | None:
        """The output of ``sel`` for one parent (``None`` for ``None``)."""
        if x is None:
            return None
        given = x
        try:
            try:
                x = call_value(x)
            except Exception as exc:
                raise Fail(exc) from None
            if x is None:
                return None
            out: dict[str, Any] = {}
            queue = None
            for fp in sel.fields:
                key = fp.key
                if fp.how in BATCHED:
                    out[key] = None
                    if queue is None:  # one queue for all of this selection's batches
                        queue = self.queue_of[id(sel)]
                        self.c[queue] += (out, x)
                    continue
                try:
                    raw = self.raw(fp, x)
                    if is_awaitable(raw):
                        if not self.asynchronous:
                            discard(raw)
                            raise AwaitableInSync
                        out[key] = None
                        self.awaits.append((out, key, raw, fp))
                        continue
                    out[key] = self.convert(fp, raw)
                except Fail as fail:
                    fail.segments.append(key)
                    raise
                except Exception as exc:
                    raise Fail(exc, [key]) from None
            return out
        except Fail as fail:
            fail.item = given
            raise

    def raw(self, fp: FieldPlan, x: Any) -> Any:
        how = fp.how
        if how == READ:
            return sources.read(x, fp.field.source)
        fn = fp.fn
        assert fn is not None
        if how == RESOLVE:
            return fn(x, self.context)
        return fn(x, self.args[fp.arg], self.context)

    def convert(self, fp: FieldPlan, raw: Any) -> Any:
        """Output for a field's value (already read or resolved); a failure in a list's
        item gets the item's index (in the list read from the value) on its path here."""
        if isinstance(fp, ScalarPlan):
            convert = self.converters.get(id(fp))
            if convert is None:
                convert = self.converters[id(fp)] = scalar_converter(fp.field)
            return convert(raw)
        if isinstance(fp, ObjectPlan):
            if not fp.field.is_list:
                return self.select(fp.selection, raw)
            items = read_list(raw)
            if items is None:
                return None
            try:
                return [self.select(fp.selection, item) for item in items]
            except Fail as fail:
                fail.segments.append(index_of(items, fail.item))
                raise
        return self.connection(fp, raw)

    def connection(self, fp: ConnectionPlan, raw: Any) -> Any:
        page = connection_page(fp, self.args[fp.arg], raw, self.context)
        if page is None:
            return None
        nodes = page.nodes
        out: dict[str, Any] = {}
        for part in fp.parts:
            if isinstance(part, PageInfoPlan):
                out[part.key] = {key: _page_info(page, nodes, name) for key, name in part.fields}
                continue
            out[part.key] = self.edges(part, page, nodes)
        return out

    def edges(self, part: EdgesPlan, page: relay.Page, nodes: Any) -> list[dict[str, Any]]:
        node_key = next((k for k, what in part.items if what == "node"), "node")
        edges = []
        try:
            for i, n in enumerate(nodes):
                edge: dict[str, Any] = {}
                for key, what in part.items:
                    if what == "cursor":
                        edge[key] = relay.cursor(page.offset + i)
                    else:
                        assert part.node is not None
                        edge[key] = self.select(part.node, n)
                edges.append(edge)
        except Fail as fail:
            fail.segments.append(node_key)
            fail.segments.append(index_of(nodes, fail.item))
            fail.segments.append(part.key)
            raise
        return edges

    # -- asynchronous levels -------------------------------------------------------------

    async def drain_async(self, root: dict[str, Any]) -> None:
        """Await every pending batch and awaitable of a level together, then fill in
        their values (which may queue the next level), until nothing is pending."""
        await drain_async(self.c, root, self.specs, self.awaits, self._settle)

    def _settle(self, root: dict[str, Any], out: dict[str, Any], key: str, fp: FieldPlan,
                result: Any) -> None:
        """Fill in one awaited resolver value."""
        try:
            if isinstance(result, BaseException):
                raise result
            out[key] = self.convert(fp, result)
        except Fail as fail:
            fail.segments.append(key)
            fail.segments.extend(reversed(path_to(root, out) or []))
            raise
        except Exception as exc:
            raise Fail(exc, [key, *reversed(path_to(root, out) or [])]) from None


def _page_info(page: relay.Page, nodes: Any, name: str) -> Any:
    if name == "has_next_page":
        return bool(page.has_next_page)
    if name == "has_previous_page":
        return bool(page.has_previous_page)
    if not nodes:
        return None
    if name == "start_cursor":
        return relay.cursor(page.offset)
    return relay.cursor(page.offset + len(nodes) - 1)
