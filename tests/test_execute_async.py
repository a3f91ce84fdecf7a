"""execute_async (issue 8): async resolvers, concurrency per level, cancellation."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphfields import (
    ID,
    Connection,
    ExecutionError,
    Int,
    ListOf,
    ObjectType,
    Page,
    Schema,
    String,
    calls,
    compile,
    execute,
    execute_async,
    field_,
)


class Boom(Exception):
    pass


def make_schema(is_async: bool, fail: str | None) -> Schema:
    """The same schema with sync or async resolvers; ``fail`` names the one resolver that
    raises, for the parent with id "p1": the root's posts only (the author's posts are
    "q1", "q9"), so a request fails at one place. (When several resolvers fail,
    which error ``execute_async`` reports may differ: they run concurrently.)"""

    def wrap(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def check(first: Any) -> None:
            ids = [p["id"] for p in first] if isinstance(first, list) else [first["id"]]
            if name == fail and ("p1" in ids or "ap1" in ids):
                raise Boom(f"{name} failed")

        if is_async:
            async def run_async(first: Any, *rest: Any) -> Any:
                await asyncio.sleep(0)
                check(first)
                return fn(first, *rest)

            return run_async

        def run(first: Any, *rest: Any) -> Any:
            check(first)
            return fn(first, *rest)

        return run

    Tag = ObjectType("Tag", {"id": ID, "label": field_(String, resolve=wrap(
        "label", lambda t, c: t["id"].upper()))}, defaults=["id"])
    Comment = ObjectType("Comment", {"id": ID, "n": Int})
    Post = ObjectType("Post", {
        "id": ID,
        "title": field_(String, resolve=wrap("title", lambda p, c: f"title {p['id']}")),
        "author": field_("Author", batch=wrap("author", lambda ps, c: [
            {"id": f"a{p['id']}", "name": f"author of {p['id']}"} for p in ps])),
        "tags": field_(ListOf(Tag), batch=wrap("tags", lambda ps, c: [
            [{"id": f"{p['id']}t{i}"} for i in range(2)] for p in ps])),
        "comments": Connection(Comment, max_first=10, batch=wrap("comments", lambda ps, a, c: [
            [{"id": f"{p['id']}c{i}", "n": i} for i in range(5)] for p in ps])),
        "likes": Connection(Comment, max_first=10, resolve=wrap("likes", lambda p, a, c: Page(
            [{"id": f"{p['id']}l", "n": 1}], 0, False, False))),
        "shout": field_(String, resolve=wrap("shout", lambda p, a, c: a["word"] * 2),
                        calls={"word": calls.string(default="hey")}),
    })
    Author = ObjectType("Author", {"id": ID, "name": String, "posts": field_(
        ListOf(Post), resolve=wrap("posts", lambda a, c: [{"id": "q1"}, {"id": "q9"}]))})
    Root = ObjectType("Root", {"id": ID, "posts": field_(ListOf(Post), batch=wrap(
        "root_posts", lambda rs, c: [[{"id": f"p{i}"} for i in range(4)] for _ in rs]))})
    return Schema([Root, Post, Author, Tag, Comment])


POST_FIELDS = ["id", "title", "author{id,name}", "tags{id,label}", "comments.first(2)"
               "{edges{cursor,node{id,n}}}", "likes{edges{node{id}}}", "shout.word(ho)",
               "author{posts{id,title,tags{label}}}"]
FAILING = [None, "label", "title", "author", "tags", "comments", "likes", "shout", "posts",
           "root_posts"]


def _run_sync(schema: Schema, text: str) -> Any:
    plan = compile(schema, "Root", text)
    try:
        return [execute(plan, {"id": "r"}) for _ in range(4)][-1]  # interpreted and generated
    except ExecutionError as exc:
        return (exc.path, repr(exc.original))


def _run_async(schema: Schema, text: str) -> Any:
    """The answer of execute_async, the same for each run: interpreted, then (for a
    shape whose resolvers are all batches) walked by generated code."""
    plan = compile(schema, "Root", text)
    outs: list[Any] = []
    for _ in range(4):
        try:
            outs.append(asyncio.run(execute_async(plan, {"id": "r"})))
        except ExecutionError as exc:
            outs.append((exc.path, repr(exc.original)))
    assert all(out == outs[0] for out in outs)
    return outs[0]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(POST_FIELDS), min_size=1, max_size=5, unique=True),
       st.sampled_from(FAILING))
def test_async_resolvers_give_what_sync_ones_give(fields: list[str], fail: str | None) -> None:
    text = "id,posts{" + ",".join(fields) + "}"
    expected = _run_sync(make_schema(False, fail), text)
    assert _run_async(make_schema(True, fail), text) == expected
    # Sync resolvers work in execute_async too.
    assert _run_async(make_schema(False, fail), text) == expected


@pytest.mark.parametrize("fail", [None, "author", "tags", "comments", "root_posts"])
def test_generated_code_walks_an_all_batch_shape_for_execute_async(fail: str | None) -> None:
    text = "id,posts{id,author{id,name},tags{id},comments.first(3){edges{node{id}}}}"
    expected = _run_sync(make_schema(False, fail), text)
    schema = make_schema(True, fail)
    assert _run_async(schema, text) == expected
    plan = compile(schema, "Root", text)
    assert plan.shape.runner is not None and plan.shape.runner[0].walk is not None
    # a shape with a plain resolver is walked by the interpreter, even when hot
    other = compile(schema, "Root", "posts{title}")
    _run_async(schema, "posts{title}")
    assert other.shape.runner[0].walk is None


def test_batches_of_one_level_run_concurrently() -> None:
    """Each batch waits until all three have started: run one after another, they would
    never get there (the timeout only guards against a hang)."""
    started: list[str] = []
    everyone = asyncio.Event()

    def batch(name: str) -> Callable[..., Any]:
        async def run(parents: Sequence[Any], context: Any) -> list[Any]:
            started.append(name)
            if len(started) == 3:
                everyone.set()
            await asyncio.wait_for(everyone.wait(), 5)
            return [f"{name}{p['id']}" for p in parents]

        return run

    Post = ObjectType("Post", {"id": ID, **{n: field_(String, batch=batch(n))
                                            for n in ("author", "tags", "comments")}})
    plan = compile(Schema([Post]), "Post", "author,tags,comments")
    for _ in range(4):  # interpreted, then generated code
        started.clear()
        everyone.clear()
        out = asyncio.run(execute_async(plan, {"id": "1"}))
        assert out == {"author": "author1", "tags": "tags1", "comments": "comments1"}
        assert sorted(started) == ["author", "comments", "tags"]
    assert plan.shape.runner is not None and plan.shape.runner[0].walk is not None


def test_cancelling_the_caller_cancels_pending_resolvers() -> None:
    cancelled: list[str] = []
    entered = asyncio.Event()

    async def forever(parents: Sequence[Any], context: Any) -> list[Any]:
        entered.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append("batch")
            raise
        return []

    async def slow_one(parent: Any, context: Any) -> str:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append("resolver")
            raise
        return ""

    Post = ObjectType("Post", {"id": ID, "a": field_(String, batch=forever),
                               "b": field_(String, resolve=slow_one)})
    plan = compile(Schema([Post]), "Post", "a,b")

    async def main() -> set[asyncio.Task[Any]]:
        task = asyncio.ensure_future(execute_async(plan, {"id": "1"}))
        await entered.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(0)
        return asyncio.all_tasks() - {asyncio.current_task()}

    left = asyncio.run(main())
    assert sorted(cancelled) == ["batch", "resolver"] and not left

    async def with_timeout() -> None:
        await asyncio.wait_for(execute_async(plan, {"id": "1"}), 0.05)

    cancelled.clear()
    with pytest.raises(TimeoutError):
        asyncio.run(with_timeout())
    assert sorted(cancelled) == ["batch", "resolver"]


def test_a_blocking_sync_resolver_is_allowed_in_execute_async() -> None:
    import time

    def blocking(parent: Any, context: Any) -> str:
        time.sleep(0.01)  # the user's choice: it blocks the loop, and still works
        return "done"

    t = ObjectType("T", {"id": ID, "x": field_(String, resolve=blocking)})
    plan = compile(Schema([t]), "T", "x")
    assert asyncio.run(execute_async(plan, {"id": "1"})) == {"x": "done"}


def test_execute_async_checks_its_arguments() -> None:
    t = ObjectType("T", {"id": ID})
    plan = compile(Schema([t]), "T", "id")
    with pytest.raises(ExecutionError, match="root object"):
        asyncio.run(execute_async(plan, None))
    with pytest.raises(TypeError, match="needs a Plan"):
        asyncio.run(execute_async("id", {}))  # type: ignore[arg-type]


def test_the_awaitable_check_is_inspects() -> None:
    import inspect
    import types

    from graphfields.execution.runtime import is_awaitable

    async def coro() -> None:
        pass

    @types.coroutine
    def generator_coroutine() -> Any:
        yield

    class Awaits:
        def __await__(self) -> Any:
            yield

    def plain_generator() -> Any:
        yield

    values = [coro(), generator_coroutine(), Awaits(), plain_generator(), asyncio.Future,
              [], {}, "x", 1, None, object(), lambda: None]
    loop = asyncio.new_event_loop()
    values.append(loop.create_future())
    try:
        for value in values:
            assert is_awaitable(value) == inspect.isawaitable(value), value
    finally:
        values[0].close()
        values[1].close()
        loop.close()
