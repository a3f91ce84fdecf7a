"""Plan x data -> plain JSON-ready dict.

``execute(plan, data)`` runs a plan's shape with the plan's arguments. A shape's first
runs are walked by the interpreter (:mod:`~graphfields.execution.interpret`): a request
of a new shape costs no code generation. Once a shape has run :data:`HOT_AFTER` times,
Python code specialised for it is generated (:mod:`~graphfields.execution.codegen`),
compiled once, and every later request of that shape, whatever its arguments, runs it.
Both give the same output, errors and batch calls (tests compare them).

Errors: any exception from user code (resolvers, getters, callables) or from data a
scalar cannot represent becomes an :class:`ExecutionError` whose ``path`` names the
output position (``media.edges[3].node.owner``) and whose ``__cause__`` is the
original. Paths cost nothing while nothing fails.

``execute_async(plan, data)`` is the same for resolvers that are ``async def`` or return
awaitables (sync ones work in the same plan): every batch and awaitable of one level is
awaited concurrently (``asyncio.gather``); cancelling the caller cancels them.
"""

from __future__ import annotations

from typing import Any

from graphfields import sources
from graphfields.execution import codegen
from graphfields.execution.batches import drain_async
from graphfields.execution.interpret import check, interpret, interpret_async
from graphfields.execution.runtime import Fail, error
from graphfields.plan import Plan, Shape

__all__ = ["HOT_AFTER", "execute", "execute_async", "generated_source", "interpret"]

HOT_AFTER = 3
"""A shape's code is generated on its third run: a request seen once or twice (a flood of
distinct shapes, say) is walked, never compiled."""

_SOURCE_BYTES = 12
"""About what a character of generated source costs in memory once compiled and loaded."""


def execute(plan: Plan, data: Any, *, context: Any = None) -> dict[str, Any]:
    """Run ``plan`` over ``data`` (the root object: a Mapping, an object, ...).

    ``context`` is passed to every resolver. Returns plain dicts, lists and scalars,
    keys in request order. Raises :class:`ExecutionError` when user code or the data
    fails (a resolver that returns an awaitable included: use :func:`execute_async`).
    """
    shape = check(plan, data).shape
    compiled = _hot(shape)
    if compiled is None:
        return interpret(plan, data, context=context)
    return compiled.run(data, context, plan.args)


async def execute_async(plan: Plan, data: Any, *, context: Any = None) -> dict[str, Any]:
    """:func:`execute` for resolvers that may be ``async def`` or return awaitables.

    A hot shape whose resolvers are all batch resolvers is walked by its generated code
    (then its batches are awaited, a level at a time); any other is walked by the
    interpreter, which defers every awaitable it meets."""
    compiled = _hot(check(plan, data).shape)
    if compiled is None or compiled.walk is None:
        return await interpret_async(plan, data, context=context)
    out, c = compiled.walk(data, context, plan.args)
    try:
        await drain_async(c, out, compiled.specs)
    except Fail as fail:
        raise error(fail) from fail.original
    return out


def _hot(shape: Shape) -> codegen.Compiled | None:
    """The shape's generated code, generated on its :data:`HOT_AFTER`-th run (``None``
    before: interpret it)."""
    runner = shape.runner
    if runner is not None and runner[1] == sources.version():
        compiled: codegen.Compiled = runner[0]
        return compiled
    shape.runs += 1
    if shape.runs < HOT_AFTER:
        return None
    with shape.lock:
        version = sources.version()
        runner = shape.runner
        if runner is None or runner[1] != version:
            built = codegen.build(shape)
            if runner is None:
                shape.grow(_SOURCE_BYTES * len(built.source))
            runner = shape.runner = (built, version)
    hot: codegen.Compiled = runner[0]
    return hot


def generated_source(plan: Plan) -> str:
    """The Python source :func:`execute` generates for ``plan``'s shape (for debugging)."""
    if not isinstance(plan, Plan):
        raise TypeError(f"generated_source() needs a Plan, not {type(plan).__name__}")
    return codegen.build(plan.shape).source
