"""Deferred batch resolvers, shared by both executors: the order their batches run in,
and the drain that calls each once per place and level (awaiting them concurrently for
``execute_async``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from graphfields.execution.runtime import Fail, as_list, is_awaitable, path_to
from graphfields.plan import (
    BATCH_ARGS,
    BATCHED,
    RESOLVE,
    RESOLVE_ARGS,
    FieldPlan,
    ScalarPlan,
    SelectionPlan,
    nested,
    selections,
)

__all__ = [
    "BATCH_RESULT",
    "awaits_only_in_batches",
    "batch_places",
    "batch_slots",
    "check_batch",
    "drain",
    "drain_async",
    "fill",
    "filler",
    "label",
    "queues",
    "run_batch",
]

BATCH_RESULT = "a batch resolver's result (one value per parent, in order)"


def batch_places(sel: SelectionPlan) -> list[tuple[SelectionPlan, FieldPlan]]:
    """Every batch-resolved field of a plan with the selection it is in, in the order
    their batches run in a round: per selection, its batch fields in order (each followed
    by what is nested in it), then what is nested in its other fields."""
    out: list[tuple[SelectionPlan, FieldPlan]] = []

    def inner(fp: FieldPlan) -> None:
        for s in nested(fp):
            visit(s)

    def visit(s: SelectionPlan) -> None:
        for fp in s.fields:
            if fp.how in BATCHED:
                out.append((s, fp))
                inner(fp)
        for fp in s.fields:
            if fp.how not in BATCHED and not isinstance(fp, ScalarPlan):
                inner(fp)

    visit(sel)
    return out


def batch_slots(sel: SelectionPlan,
                ) -> tuple[list[tuple[SelectionPlan, FieldPlan]], dict[int, int], int]:
    """:func:`batch_places`, the queue (``c[slot]``) of each selection with batch fields
    (by the selection's ``id``) and how many queues there are: one per selection, shared
    by all its batch fields (a parent is queued once, whatever number of its fields are
    batched), numbered in the order of :func:`batch_places`. A selection object met at
    two places is one queue (its batches run once over the parents of both)."""
    places = batch_places(sel)
    queue: dict[int, int] = {}
    for s, _ in places:
        queue.setdefault(id(s), len(queue) + 2)
    return places, queue, len(queue)


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


Spec = tuple[Any, ...]
"""A batch field's ``(slot, key, fn, how, arg, put, label)`` (see :func:`drain`)."""
Queues = tuple[tuple[int, tuple[Spec, ...]], ...]
"""Each queue's slot with the specs of the batch fields it feeds (:func:`queues`)."""


def queues(specs: Iterable[Spec]) -> Queues:
    """The specs by queue (their ``slot``), in slot order (:func:`batch_slots` numbers
    them in the order batches run, so both executors run them alike), each queue's specs
    in the order given, a spec given again for the same queue and key once."""
    by_slot: dict[int, dict[str, Spec]] = {}
    for spec in specs:
        by_slot.setdefault(spec[0], {}).setdefault(spec[1], spec)
    return tuple((slot, tuple(by_slot[slot].values())) for slot in sorted(by_slot))


def drain(c: list[Any], root: Any, pending_queues: Queues) -> None:
    """Run deferred batch resolvers, level after level, until none is pending.

    ``c`` is ``[context, args, queue, ...]``; a spec is ``(slot, key, fn, how, arg, put,
    label)``: the queue ``c[slot]`` holds output dicts and their parents, flat (``[out0,
    parent0, out1, parent1, ...]``: a walk extends it by a pair, the batch takes both
    halves by slicing), whose ``key`` ``put(c, root, outs, values)`` fills with the
    batch's values (:func:`filler`). Every spec of a queue (:func:`batch_slots`, grouped
    by :func:`queues`) runs on what the queue holds in that round."""
    busy = True
    while busy:
        busy = False
        for slot, specs in pending_queues:
            pending = c[slot]
            if not pending:
                continue
            busy = True
            c[slot] = []
            parents = pending[1::2]
            outs = pending[0::2]
            for _, key, fn, how, arg, put, what in specs:
                try:
                    values = run_batch(fn, how, c[1][arg] if arg >= 0 else None, parents,
                                       c[0])
                    if type(values) is not list or len(values) != len(parents):
                        values = check_batch(values, parents, what)
                except Exception as exc:
                    raise Fail(exc, [key, *reversed(path_to(root, pending[0]) or [])]
                               ) from None
                put(c, root, outs, values)


async def drain_async(
    c: list[Any], root: Any, pending_queues: Queues,
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
        batches: list[tuple[Spec, list[Any]]] = []
        for slot, specs in pending_queues:
            pending = c[slot]
            if pending:
                c[slot] = []
                batches += ((spec, pending) for spec in specs)
        if not waiting and not batches:
            return
        calls: list[Any] = [pending for _, _, pending, _ in waiting]
        for (_, _, fn, how, arg, _, _), pending in batches:
            calls.append(_call_batch(fn, how, c[1][arg] if arg >= 0 else None,
                                     pending[1::2], c[0]))
        import asyncio  # (only here: execute does not need it)

        results = await asyncio.gather(*calls, return_exceptions=True)
        if waiting:
            assert settle is not None
            for (out, key, _, fp), result in zip(waiting, results, strict=False):
                settle(root, out, key, fp, result)
        for (spec, pending), result in zip(batches, results[len(waiting):], strict=True):
            _, key, _, _, _, put, what = spec
            try:
                if isinstance(result, BaseException):
                    raise result
                values = check_batch(result, pending[1::2], what)
            except Exception as exc:
                raise Fail(exc, [key, *reversed(path_to(root, pending[0]) or [])]) from None
            put(c, root, pending[0::2], values)


async def _call_batch(fn: Callable[..., Any], how: str, arg: Any, parents: list[Any],
                      context: Any) -> Any:
    result = run_batch(fn, how, arg, parents, context)
    if is_awaitable(result):
        result = await result
    return result


def awaits_only_in_batches(sel: SelectionPlan) -> bool:
    """Whether every resolver of a plan is a batch (so the walk itself never meets an
    awaitable, and generated code can walk it for :func:`execute_async`)."""
    return all(fp.how not in (RESOLVE, RESOLVE_ARGS)
               for s in selections(sel) for fp in s.fields)


Put = Callable[[list[Any], Any, list[Any], list[Any]], None]
"""A batch spec's ``put(c, root, outs, values)``: the values into the waiting dicts."""


def filler(key: str, convert: Callable[[Any, Any], Any]) -> Put:
    """The ``put`` of a spec that converts each value with ``convert(value, c)`` (generated
    code writes its own, with the conversion inline). A list's converter puts the failing
    item's index on the path itself: it has the list read from the value."""

    def put(c: list[Any], root: Any, outs: list[Any], values: list[Any]) -> None:
        fill(c, root, outs, values, key, convert)

    return put


def fill(c: list[Any], root: Any, outs: list[Any], values: list[Any],
         key: str, convert: Callable[[Any, Any], Any]) -> None:
    """Put a batch's converted values into the waiting output dicts."""
    for out, value in zip(outs, values, strict=True):
        try:
            out[key] = convert(value, c)
        except Fail as fail:
            fail.segments.append(key)
            fail.segments.extend(reversed(path_to(root, out) or []))
            raise
        except Exception as exc:
            raise Fail(exc, [key, *reversed(path_to(root, out) or [])]) from None
