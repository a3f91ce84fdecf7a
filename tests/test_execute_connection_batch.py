"""Connection(batch=...): one call per place and level, in both executors' outputs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from plan_builder import run_generated

from graphfields import compile
from graphfields.errors import ExecutionError, SchemaError
from graphfields.execution import execute
from graphfields.execution.interpret import interpret
from graphfields.plan import ObjectPlan
from graphfields.relay import Page, encode_cursor, slice_page
from graphfields.schema import (
    ID,
    Connection,
    ConnectionArgs,
    Int,
    ObjectType,
    Schema,
    String,
    field_,
)

Calls = dict[str, list[Any]]


def _schema(calls: Calls, *, comments_batch: Any = None) -> Schema:
    """User.media and Media.comments batched over all parents; owners batched too.
    Media come back as full sequences (graphfields slices), comments as Pages."""

    def media(users: Sequence[Any], args: ConnectionArgs, ctx: Any) -> list[Any]:
        calls["media"].append((len(users), args))
        return [u["all_media"] for u in users]

    def comments(parents: Sequence[Any], args: ConnectionArgs, ctx: Any) -> list[Any]:
        calls["comments"].append((len(parents), args))
        return [slice_page(m["all_comments"], args.first, args.last, args.after, args.before)
                for m in parents]  # fmt: skip

    def owners(parents: Sequence[Any], ctx: Any) -> list[Any]:
        calls["owners"].append(len(parents))
        return [ctx[p["owner_id"]] for p in parents]

    owner = ObjectType("Owner", {"id": ID, "username": String, "shout": field_(
        String, resolve=lambda p, ctx: p["username"].upper())})
    comment = ObjectType(
        "Comment", {"id": ID, "timestamp": Int, "owner": field_(owner, batch=owners)}
    )
    media_t = ObjectType("Media", {
        "id": ID, "timestamp": Int, "owner": field_(owner, batch=owners),
        "comments": Connection(comment, default_first=5, timestamp_field="timestamp",
                               batch=comments_batch or comments),
    })  # fmt: skip
    user = ObjectType("User", {
        "id": ID,
        "media": Connection(media_t, timestamp_field="timestamp", batch=media),
    })  # fmt: skip
    return Schema([user, media_t, comment, owner])


PEOPLE = {i: {"id": i, "username": f"u{i}"} for i in range(10)}


def _data(n_media: int = 150, n_comments: int = 30) -> dict[str, Any]:
    return {
        "id": 1,
        "all_media": [
            {
                "id": m,
                "timestamp": 10_000 - m,
                "owner_id": m % 10,
                "all_comments": [
                    {"id": f"{m}-{c}", "timestamp": 10_000 - c, "owner_id": c % 10}
                    for c in range(n_comments)
                ],
            }
            for m in range(n_media)
        ],
    }


def _calls() -> Calls:
    return {"media": [], "comments": [], "owners": []}


LONG = (
    "id,media.first(100){page_info{has_next_page},edges{node{id,owner{username},"
    "comments.first(20){page_info{has_next_page,end_cursor},edges{cursor,node{id,"
    "owner{username}}}}}}}"
)


def test_one_call_per_place_and_level() -> None:
    calls = _calls()
    s = _schema(calls)
    plan = compile(s, "User", LONG)
    data = _data()
    out = execute(plan, data, context=PEOPLE)
    # media: one call for the root; comments: one call with all 100 media; owners of the
    # 100 media and of the 2,000 comments: one call each.
    assert calls["media"] == [(1, ConnectionArgs(first=100))]
    assert calls["comments"] == [(100, ConnectionArgs(first=20))]
    assert sorted(calls["owners"]) == [100, 2000]
    media = out["media"]
    assert media["page_info"] == {"has_next_page": True}
    node = media["edges"][42]["node"]
    assert list(node) == ["id", "owner", "comments"]  # placeholders keep request order
    assert node["owner"] == {"username": "u2"}
    assert node["comments"]["page_info"] == {"has_next_page": True, "end_cursor": encode_cursor(19)}
    assert node["comments"]["edges"][7] == {
        "cursor": encode_cursor(7), "node": {"id": "42-7", "owner": {"username": "u7"}}
    }  # fmt: skip
    # The reference gives the same output; it calls once per list of sibling parents.
    ref_calls = _calls()
    assert interpret(compile(_schema(ref_calls), "User", LONG), data, context=PEOPLE) == out
    assert ref_calls["comments"] == [(100, ConnectionArgs(first=20))]


@pytest.mark.parametrize(("fields", "shared"), [
    # owners: plain reads, so one output per distinct owner row (10 people, 40 comments)
    ("media.first(4){edges{node{id,comments.first(10){edges{node{id,owner{username}}}}}}}", True),
    ("media.first(4){edges{node{owner{id,username},comments.first(10){edges{node{id}}}}}}", True),
    # a resolver below: made per parent, as the resolver is called per parent
    ("media.first(4){edges{node{id,comments.first(10){edges{node{id,owner{username,"
     "shout}}}}}}}", False),
])
def test_a_batch_object_read_plainly_is_made_once_per_distinct_value(
        fields: str, shared: bool) -> None:
    plan = compile(_schema(_calls()), "User", fields)
    data = _data(4, 10)
    out = run_generated(plan, data, context=PEOPLE)
    assert out == interpret(plan, data, context=PEOPLE)
    owners = [e["node"]["owner"] for e in out["media"]["edges"] if "owner" in e["node"]] + [
        c["node"]["owner"] for e in out["media"]["edges"] if "comments" in e["node"]
        for c in e["node"]["comments"]["edges"] if "owner" in c["node"]]
    assert len({id(o) for o in owners}) == (len({repr(o) for o in owners}) if shared
                                            else len(owners))


def test_a_shared_object_that_fails_names_its_first_place() -> None:
    class Bad:
        @property
        def username(self) -> str:
            raise _Boom("no username")

    plan = compile(_schema(_calls()), "User",
                   "media.first(4){edges{node{id,comments.first(10){edges{node{id,"
                   "owner{username}}}}}}}")
    people: dict[int, Any] = {**PEOPLE, 3: Bad()}
    data = _data(4, 10)
    with pytest.raises(ExecutionError) as info:
        run_generated(plan, data, context=people)
    assert info.value.path == "media.edges[0].node.comments.edges[3].node.owner.username"
    with pytest.raises(ExecutionError) as ref:
        interpret(plan, data, context=people)
    assert ref.value.path == info.value.path


def test_default_first_filters_and_full_sequences() -> None:
    calls = _calls()
    s = _schema(calls)
    plan = compile(
        s,
        "User",
        "media.first(3){edges{node{id,comments.from_timestamp(9998){edges{node{id}}}}}}",
        filters={"from_timestamp": 9_995},
    )
    data = _data(10, 10)
    out = execute(plan, data, context=PEOPLE)
    # default_first applies and the date filter reaches the resolver's arguments; the
    # media resolver's full sequence is filtered (request filter) and sliced by graphfields.
    assert calls["comments"] == [(3, ConnectionArgs(first=5, since=9_998))]
    assert calls["media"] == [(1, ConnectionArgs(first=3, since=9_995))]
    assert [e["node"]["id"] for e in out["media"]["edges"]] == ["0", "1", "2"]
    sliced = compile(s, "User", "media.first(2).after(\"YXJyYXljb25uZWN0aW9uOjM=\")"
                     "{edges{node{id}}}", filters={"from_timestamp": 9_995})  # fmt: skip
    assert execute(sliced, data)["media"]["edges"] == [{"node": {"id": "4"}}, {"node": {"id": "5"}}]
    assert execute(sliced, data) == interpret(sliced, data)
    assert out == interpret(plan, data, context=PEOPLE)


def test_empty_pages_and_null_results() -> None:
    calls = _calls()

    def comments(parents: Sequence[Any], args: ConnectionArgs, ctx: Any) -> list[Any]:
        return [None if m["id"] % 2 else Page([], 0, False, False) for m in parents]

    s = _schema(calls, comments_batch=comments)
    plan = compile(s, "User", "media.first(4){edges{node{id,comments{edges{node{id}}}}}}")
    out = execute(plan, _data(4, 3))
    assert [e["node"]["comments"] for e in out["media"]["edges"]] == [
        {"edges": []}, None, {"edges": []}, None
    ]  # fmt: skip
    assert out == interpret(plan, _data(4, 3))
    # no parents (an empty page): the resolver is not called
    empty = {"id": 1, "all_media": []}
    assert execute(plan, empty) == {"media": {"edges": []}} == interpret(plan, empty)


@pytest.mark.parametrize("run", [execute, interpret], ids=["generated", "reference"])
def test_wrong_length_names_the_field(run: Any) -> None:
    s = _schema(_calls(), comments_batch=lambda parents, args, ctx: [None])
    plan = compile(s, "User", "media.first(4){edges{node{id,comments{edges{node{id}}}}}}")
    with pytest.raises(ExecutionError) as info:
        run(plan, _data(4, 3))
    assert info.value.path == "media.edges[0].node.comments"
    assert isinstance(info.value.__cause__, ValueError)
    assert 'batch resolver of "Media.comments" returned 1 values for 4 parents' in str(
        info.value.__cause__
    )


class _Boom(Exception):
    pass


@pytest.mark.parametrize("run", [execute, interpret], ids=["generated", "reference"])
def test_resolver_errors_carry_the_path(run: Any) -> None:
    def broken(parents: Sequence[Any], args: ConnectionArgs, ctx: Any) -> list[Any]:
        raise _Boom("store down")

    s = _schema(_calls(), comments_batch=broken)
    plan = compile(s, "User", "media.first(4).after(\"YXJyYXljb25uZWN0aW9uOjA=\")"
                   "{edges{node{id,comments{edges{node{id}}}}}}")  # fmt: skip
    with pytest.raises(ExecutionError) as info:
        run(plan, _data(6, 3))
    assert info.value.path == "media.edges[0].node.comments"
    assert isinstance(info.value.original, _Boom)


def test_failing_read_inside_a_batched_page_has_the_full_path() -> None:
    class Bad:
        @property
        def username(self) -> str:
            raise _Boom("no username")

    calls = _calls()
    s = _schema(calls)
    people: dict[int, Any] = {**PEOPLE, 7: Bad()}
    plan = compile(s, "User", "media.first(4){edges{node{id,comments.first(3){edges{node{id,"
                   "owner{username}}}}}}}")  # fmt: skip
    data = _data(4, 3)
    data["all_media"][2]["all_comments"][1]["owner_id"] = 7
    with pytest.raises(ExecutionError) as info:
        execute(plan, data, context=people)
    assert info.value.path == "media.edges[2].node.comments.edges[1].node.owner.username"
    assert isinstance(info.value.__cause__, _Boom)
    with pytest.raises(ExecutionError) as ref:
        interpret(plan, data, context=people)
    assert ref.value.path == info.value.path


def test_nested_batches_inside_a_batched_object() -> None:
    """A batch field below another batch field gets its own slot (one call per level)."""
    sizes: list[tuple[str, int]] = []

    def best(parents: Sequence[Any], ctx: Any) -> list[Any]:
        sizes.append(("best", len(parents)))
        return [p.get("best") for p in parents]

    def pets(parents: Sequence[Any], args: ConnectionArgs, ctx: Any) -> list[Any]:
        sizes.append(("pets", len(parents)))
        return [p.get("pets", []) for p in parents]

    pet = ObjectType("Pet", {"id": ID})
    person = ObjectType("Person", {
        "id": ID, "best": field_("Person", batch=best), "pets": Connection(pet, batch=pets),
    })  # fmt: skip
    s = Schema([person, pet])
    plan = compile(s, "Person", "id,best{id,best{id,pets{edges{node{id}}}},pets{edges{node{id}}}}")
    data = {
        "id": 1,
        "best": {"id": 2, "pets": [{"id": 20}], "best": {"id": 3, "pets": [{"id": 30}]}},
    }
    out = execute(plan, data)
    assert sorted(sizes) == [("best", 1), ("best", 1), ("pets", 1), ("pets", 1)]
    assert out["best"]["best"]["pets"] == {"edges": [{"node": {"id": "30"}}]}
    assert out["best"]["pets"] == {"edges": [{"node": {"id": "20"}}]}
    assert out == interpret(plan, data)


def test_schema_rejects_resolve_and_batch_together() -> None:
    def one(parent: Any, args: ConnectionArgs, ctx: Any) -> Any:
        return []

    def many(parents: Sequence[Any], args: ConnectionArgs, ctx: Any) -> Any:
        return [[] for _ in parents]

    with pytest.raises(SchemaError, match="not both"):
        Connection("Pet", resolve=one, batch=many)
    pet = ObjectType("Pet2", {"id": ID})
    person = ObjectType("Person2", {
        "id": ID, "pets": field_(Connection(pet, batch=many), batch=lambda ps, c: ps),
    })  # fmt: skip
    with pytest.raises(SchemaError, match=r'Field "Person2\.pets": a connection with batch='):
        Schema([person, pet])


def test_field_batch_below_a_field_batch() -> None:
    """Regression: the nested batch once took its parent's slot (wrong keys, nulls)."""

    def best(parents: Sequence[Any], ctx: Any) -> list[Any]:
        return [p.get("best") for p in parents]

    def pal(parents: Sequence[Any], ctx: Any) -> list[Any]:
        return [p.get("pal") for p in parents]

    person = ObjectType("Person3", {
        "id": ID, "best": field_("Person3", batch=best), "pal": field_("Person3", batch=pal),
    })  # fmt: skip
    plan = compile(Schema([person]), "Person3", "id,best{id,pal{id}}")
    data = {"id": 1, "best": {"id": 2, "pal": {"id": 3}}}
    assert execute(plan, data) == {"id": "1", "best": {"id": "2", "pal": {"id": "3"}}}
    assert execute(plan, data) == interpret(plan, data)


# -- batch queues: order and sharing (one queue per selection) ------------------------------


def _nested_batches(calls: list[str], failing: set[str]) -> Schema:
    """R{x:X, y:Y}: X.a and Y.b batched, and below them A.t and B.u batched."""

    def batch(name: str) -> Any:
        def run(parents: Sequence[Any], ctx: Any) -> list[Any]:
            calls.append(name)
            if name in failing:
                raise _Boom(name)
            return [{"name": name} for _ in parents]
        return run

    leaf = ObjectType("Leaf", {"name": String}, defaults=["name"])
    a = ObjectType("A", {"t": field_(leaf, batch=batch("t"))}, defaults=["t"])
    b = ObjectType("B", {"u": field_(leaf, batch=batch("u"))}, defaults=["u"])
    x = ObjectType("X", {"a": field_(a, batch=batch("a"))}, defaults=["a"])
    y = ObjectType("Y", {"b": field_(b, batch=batch("b"))}, defaults=["b"])
    root = ObjectType("R", {"x": x, "y": y}, defaults=["x"])
    return Schema([root, x, y, a, b, leaf])


_NESTED = "x{a{t{name}}},y{b{u{name}}}"
_ROOT_DATA: dict[str, Any] = {"x": {}, "y": {}}


@pytest.mark.parametrize("failing", [set(), {"t", "b"}, {"u"}, {"a", "b"}])
def test_both_executors_run_batches_in_one_order(failing: set[str]) -> None:
    """The generated code's drain calls batches in the interpreter's order, so a request
    whose batches fail reports the same error whichever executor runs it."""
    outcomes = []
    for run in (interpret, run_generated):
        calls: list[str] = []
        plan = compile(_nested_batches(calls, failing), "R", _NESTED)
        try:
            outcome: Any = run(plan, _ROOT_DATA)
        except ExecutionError as exc:
            outcome = exc.path
        outcomes.append((outcome, calls))
    assert outcomes[0] == outcomes[1]
    if not failing:
        assert outcomes[0][1] == ["a", "t", "b", "u"]


def _hand_built(share: str) -> tuple[Any, list[int]]:
    """``a{owner{username}},b{owner{username}}`` compiled, then rebuilt by hand so that
    ``b`` reuses ``a``'s selection object (``share="selection"``) or just its batch field
    plan inside a selection of its own (``share="field"``)."""
    from dataclasses import replace

    from graphfields.plan import Plan, SelectionPlan, Shape

    counts: list[int] = []

    def owners(parents: Sequence[Any], ctx: Any) -> list[Any]:
        counts.append(len(parents))
        return [{"username": f"u{p['n']}"} for p in parents]

    owner = ObjectType("Owner", {"username": String}, defaults=["username"])
    post = ObjectType("Post", {"n": Int, "owner": field_(owner, batch=owners)}, defaults=["n"])
    root = ObjectType("Root", {"a": post, "b": post}, defaults=["a"])
    plan = compile(Schema([root, post, owner]), "Root",
                   "a{n,owner{username}},b{n,owner{username}}")
    a, b = plan.selection.fields
    assert isinstance(a, ObjectPlan) and isinstance(b, ObjectPlan)
    inner = (a.selection if share == "selection"
             else SelectionPlan(b.selection.type, (b.selection.fields[0], a.selection.fields[1])))
    sel = replace(plan.selection, fields=(a, replace(b, selection=inner)))
    return Plan(Shape(plan.shape.type, sel, None, 0), plan.args), counts


@pytest.mark.parametrize(("share", "calls"), [
    ("selection", [2]),  # one selection object: one queue, one call for both places
    ("field", [1, 1]),  # two selections sharing a field plan: a call for each
])
@pytest.mark.parametrize("run", [interpret, run_generated], ids=["reference", "generated"])
def test_plan_nodes_used_at_two_places(share: str, calls: list[int], run: Any) -> None:
    plan, counts = _hand_built(share)
    out = run(plan, {"a": {"n": 1}, "b": {"n": 2}})
    assert out == {"a": {"n": 1, "owner": {"username": "u1"}},
                   "b": {"n": 2, "owner": {"username": "u2"}}}
    assert counts == calls
