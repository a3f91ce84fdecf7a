"""Async execution with batch resolvers: ``execute_async`` vs ``execute`` vs Strawberry.

The spec's long user request (``media.first(100)`` x ``comments.first(20)``, as in
``bench_execute``) over the same data normalised into tables
(:func:`benchmarks.data.user_tables`): media rows name their owner and location by id,
and owners, locations and comment pages are loaded by batch resolvers
(``field_(batch=...)``, ``Connection(batch=...)``), one load per place and level. Contenders,
interleaved in one run (:mod:`benchmarks._timing`):

1. graphfields ``execute`` with sync batch resolvers;
2. graphfields ``execute_async`` with async batch resolvers that ``await asyncio.sleep(0)``;
3. graphfields ``execute_async`` with the sync batch resolvers (mixed: no awaitables);
   and, to tell the cost of awaiting from the cost of walking, the sync tree walk
   (``interpret``) that ``execute`` runs before a shape is hot and ``execute_async`` always
   runs, with the same sync resolvers;
4. Strawberry with per-request DataLoaders whose load functions ``await asyncio.sleep(0)``,
   running the equivalent GraphQL document (``benchmarks.references_strawberry``).
   Strawberry needs graphql-core 3.3 and the project pins 3.2, so ``make bench`` (or
   ``make bench-env``) installs it into ``.venv/strawberry``; when the running Python has no
   Strawberry, this benchmark runs itself whole in that one (every contender in one
   process, interleaved), or without the Strawberry row when it does not exist.

Every contender's output equals the hand-written reference (checked before timing). One
event loop runs every async request (``loop.run_until_complete``). The medians are per
request; the ratios compare them.

Run: ``.venv/bin/python -m benchmarks async`` (``BENCH_QUICK=1`` for a fifth of the rounds).
"""

from __future__ import annotations

import asyncio
import importlib.util
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from benchmarks import references
from benchmarks._timing import interleaved_medians, scaled
from benchmarks.data import LONG_REQUEST, SCHEMA, Row, Tables, user_dataset, user_tables
from graphfields.compiler import compile
from graphfields.execution import execute, execute_async
from graphfields.execution.interpret import interpret
from graphfields.schema import Connection, ObjectType, Schema, field_

__all__ = ["batched_schema", "main", "measure"]

SYNC = "graphfields execute, sync batch resolvers"
ASYNC = "graphfields execute_async, async batch resolvers"
MIXED = "graphfields execute_async, sync batch resolvers"
WALK = "graphfields interpret (sync tree walk), sync batch"
STRAWBERRY = "Strawberry + DataLoaders"

ROOT = Path(__file__).resolve().parent.parent
STRAWBERRY_PYTHON = ROOT / ".venv" / "strawberry" / "bin" / "python"
"""The virtualenv ``make bench-env`` makes for Strawberry (graphql-core 3.3)."""


def _batch(load: Callable[[Sequence[str]], list[Any]], key: str, asynchronous: bool
           ) -> Callable[..., Any]:
    """A batch resolver loading ``load(parent[key] for each parent)``; ``(parents, context)``
    for a field, ``(parents, args, context)`` for a connection."""
    if asynchronous:
        async def run_async(parents: Sequence[Row], *_: Any) -> list[Any]:
            await asyncio.sleep(0)
            return load([p[key] for p in parents])

        return run_async

    def run(parents: Sequence[Row], *_: Any) -> list[Any]:
        return load([p[key] for p in parents])

    return run


def batched_schema(tables: Tables, asynchronous: bool) -> Schema:
    """The benchmark schema (:data:`benchmarks.data.SCHEMA`) with owners, locations and
    comment pages loaded from ``tables`` by batch resolvers (async ones if asked)."""
    types = SCHEMA.types

    def derive(name: str, overrides: dict[str, Any]) -> ObjectType:
        t = types[name]
        return ObjectType(name, {**t.declared, **overrides}, defaults=t.defaults)

    def connection(of: str, field: str, **options: Any) -> Connection:
        declared = types[of].declared[field]
        assert isinstance(declared, Connection)
        return replace(declared, node=declared.node if isinstance(declared.node, str) else
                       declared.node.name, **options)

    owner = field_("Owner", batch=_batch(tables.owners_of, "owner_id", asynchronous))
    comment = derive("Comment", {"owner": owner})
    media = derive("Media", {
        "owner": owner,
        "location": field_(
            "Location", batch=_batch(tables.locations_of, "location_id", asynchronous)),
        "comments": connection(
            "Media", "comments", batch=_batch(tables.comments_of, "id", asynchronous)),
    })
    user = derive("User", {"media": connection("User", "media")})
    return Schema([user, media, comment, types["Owner"], types["Location"]])


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:9.3f} ms"


def _strawberry(tables: Tables, loop: asyncio.AbstractEventLoop) -> Callable[[], Any] | None:
    try:
        from benchmarks import references_strawberry
    except ImportError:
        return None
    document = references.graphql_document(references.long_request())
    run = references_strawberry.request(tables, document)
    return lambda: loop.run_until_complete(run())


def _loads(tables: Tables, fn: Callable[[], Any]) -> str:
    """The loads one request makes, by table."""
    tables.calls.clear()
    fn()
    return ", ".join(f"{name} {n}" for name, n in sorted(tables.calls.items()))


def measure(rounds: int = 30) -> dict[str, float]:
    user = user_dataset(100, 20)
    tables = user_tables(user)
    expected = references.hand_written(user)
    sync_plan = compile(batched_schema(tables, False), "User", LONG_REQUEST)
    async_plan = compile(batched_schema(tables, True), "User", LONG_REQUEST)
    root = tables.root
    loop = asyncio.new_event_loop()
    try:
        contenders: dict[str, Callable[[], Any]] = {
            SYNC: lambda: execute(sync_plan, root),
            ASYNC: lambda: loop.run_until_complete(execute_async(async_plan, root)),
            MIXED: lambda: loop.run_until_complete(execute_async(sync_plan, root)),
            WALK: lambda: interpret(sync_plan, root),
        }
        strawberry = _strawberry(tables, loop)
        if strawberry is not None:
            contenders[STRAWBERRY] = strawberry
        for name, fn in contenders.items():
            for _ in range(4):  # past graphfields' code generation (a shape's third run)
                assert fn() == expected, f"{name}: output differs from hand-written"
        loads = {name: _loads(tables, fn) for name, fn in contenders.items()}
        medians = interleaved_medians(contenders, rounds, collect=True)
    finally:
        loop.close()
    print(f"long spec request over batch loaders, media.first(100) x comments.first(20), "
          f"{rounds} rounds, median per request:")
    for name, t in medians.items():
        print(f"  {name:50s} {_ms(t)}   loads: {loads[name]}")
    if strawberry is None:
        print("  Strawberry is not installed: `make bench-env` installs it in .venv/strawberry")
    sync, asynchronous = medians[SYNC], medians[ASYNC]
    print(f"  async / sync: {asynchronous / sync:.2f}x")
    print(f"  mixed (execute_async, sync resolvers) / sync: {medians[MIXED] / sync:.2f}x")
    print(f"  async / sync tree walk: {asynchronous / medians[WALK]:.2f}x")
    if strawberry is not None:
        from benchmarks.references_strawberry import VERSION

        other = medians[STRAWBERRY]
        print(f"  async / Strawberry {VERSION}: {asynchronous / other:.3f}x "
              f"(Strawberry {other / asynchronous:.1f}x slower)")
    return medians


def main() -> None:
    if importlib.util.find_spec("strawberry") is None and STRAWBERRY_PYTHON.exists():
        print(f"(in {STRAWBERRY_PYTHON}, which has Strawberry)", flush=True)
        done = subprocess.run([str(STRAWBERRY_PYTHON), "-m", "benchmarks.bench_async"], cwd=ROOT,
                              check=False)
        if done.returncode == 0:
            return
        print(f"  failed there (exit {done.returncode}): measured here, without Strawberry")
    measure(scaled(30))


if __name__ == "__main__":
    main()
