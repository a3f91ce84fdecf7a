"""Plan shape -> Python source -> a runner, generated once per hot shape.

The generated code is what one would write by hand for that one shape (see
:mod:`~graphfields.execution.codegen.selections` and
:mod:`~graphfields.execution.codegen.connections`); the request's arguments are read at
run time, so every request of the shape shares it. Batch resolvers are deferred: every
parent of a batch field at one place is queued during the walk, then
:func:`~graphfields.execution.batches.drain` calls each batch once per place and level.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from graphfields import sources
from graphfields.execution.batches import Queues, awaits_only_in_batches, batch_slots, queues
from graphfields.execution.codegen.connections import Connections
from graphfields.plan import Shape

__all__ = ["Compiled", "Runner", "build"]

Runner = Callable[[Any, Any, tuple[Any, ...]], dict[str, Any]]


class _Generator(Connections):
    def __init__(self, shape: Shape) -> None:
        super().__init__(dict_fast=sources.getter_for(dict) is sources.mapping_getter)
        _, self.queue_of, self.queues = batch_slots(shape.selection)
        self.batch_specs = []
        self.fallbacks = {}

    def run(self, shape: Shape) -> str:
        root = self.selection(shape.selection)
        specs = self.batch_specs  # (each queue's in field order)
        pending = "".join(", []" for _ in range(self.queues))
        self.ns["_specs"] = specs
        lines = [
            "def run(x, ctx, args):",
            f"    c = [ctx, args{pending}]",
            "    try:",
            f"        o = {root}(x, c)",
        ]
        if specs:
            lines.append("        if o is not None:")
            lines.append("            _drain(c, o, _specs)")
        lines += [
            "    except _Fail as f:",
            "        raise _error(f) from f.original",
            "    if o is None:",
            "        raise _no_root()",
            "    return o",
        ]
        self.out.append("\n".join(lines))
        # The walk alone, for execute_async: it awaits the batches itself.
        self.out.append("\n".join([
            "def walk(x, ctx, args):",
            f"    c = [ctx, args{pending}]",
            "    try:",
            f"        o = {root}(x, c)",
            "    except _Fail as f:",
            "        raise _error(f) from f.original",
            "    if o is None:",
            "        raise _no_root()",
            "    return o, c",
        ]))
        return "\n\n\n".join(self.out) + "\n"


class Compiled(NamedTuple):
    """A shape's generated code: ``run(data, context, args)`` executes it; ``walk``
    (when every resolver is a batch) builds the output with the batches left queued in
    ``c``, for the caller to drain (:func:`~graphfields.execution.batches.drain_async`)."""

    run: Runner
    walk: Callable[[Any, Any, tuple[Any, ...]], tuple[dict[str, Any], list[Any]]] | None
    specs: Queues
    source: str


def build(shape: Shape) -> Compiled:
    """Generate, compile and load the code of ``shape``."""
    gen = _Generator(shape)
    source = gen.run(shape)
    code = compile(source, f"<graphfields plan {shape.type.name}>", "exec")
    exec(code, gen.ns)
    # Batch specs name put functions that exist only after exec: resolve them.
    gen.ns["_specs"] = queues(
        (slot, key, fn, how, arg, gen.ns[put], label)
        for slot, key, fn, how, arg, put, label in gen.ns["_specs"]
    )
    walkable = awaits_only_in_batches(shape.selection)
    return Compiled(gen.ns["run"], gen.ns["walk"] if walkable else None, gen.ns["_specs"],
                    source)
