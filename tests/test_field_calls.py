"""Declared calls on ordinary fields (issue 7): Facebook's ``picture.type(large)``,
``picture.width(100).height(100).as(picture_small)``, ``insights.metric(a,b)``."""

from __future__ import annotations

from typing import Any

import pytest

from graphfields import (
    ID,
    Connection,
    ExecutionError,
    FieldsValidationError,
    Int,
    ListOf,
    ObjectType,
    Schema,
    SchemaError,
    String,
    calls,
    compile,
    execute,
    execute_async,
    field_,
)
from graphfields.execution.interpret import interpret

SIZES = {"small": 50, "normal": 100, "album": 180, "large": 200}


def picture(user: Any, args: dict[str, Any], context: Any) -> str:
    width = args["width"] or SIZES[args["type"]]
    height = args["height"] or width
    return f"https://cdn/{user['id']}/{width}x{height}.jpg"


def insights(parents: list[Any], args: dict[str, Any], context: Any) -> list[Any]:
    return [[{"name": m, "value": len(m) * int(p["id"])} for m in args["metric"]]
            for p in parents]


Insight = ObjectType("Insight", {"name": String, "value": Int}, defaults=["name", "value"])
Post = ObjectType("Post", {"id": ID, "message": String})
User = ObjectType("User", {
    "id": ID,
    "name": String,
    "picture": field_(String, resolve=picture, calls={
        "type": calls.enum("small", "normal", "album", "large", default="normal"),
        "width": calls.integer(min=1, max=2048),
        "height": calls.integer(min=1, max=2048),
    }),
    "insights": field_(ListOf(Insight), batch=insights, calls={
        "metric": calls.list_of(calls.enum("post_impressions", "post_clicks", "post_reach"),
                                required=True),
    }),
    "posts": Connection(Post, max_first=10),
})
schema = Schema([User, Insight, Post])
DATA = {"id": "4", "name": "Zuck", "posts": [{"id": str(i), "message": f"m{i}"} for i in range(5)]}


@pytest.mark.parametrize(("fields", "expected"), [
    ("picture", {"picture": "https://cdn/4/100x100.jpg"}),
    ("picture.type(large)", {"picture": "https://cdn/4/200x200.jpg"}),
    ("picture.width(100).height(100).as(picture_small)",
     {"picture_small": "https://cdn/4/100x100.jpg"}),
    ("picture.type(small).as(s),picture.type(large).as(l)",
     {"s": "https://cdn/4/50x50.jpg", "l": "https://cdn/4/200x200.jpg"}),
    ("picture.height(7).width(9)", {"picture": "https://cdn/4/9x7.jpg"}),
    ("insights.metric(post_impressions,post_clicks)",
     {"insights": [{"name": "post_impressions", "value": 64},
                   {"name": "post_clicks", "value": 44}]}),
    ('insights.metric("post_reach"){value}', {"insights": [{"value": 40}]}),
    ("picture.type(album),picture.type(album)", {"picture": "https://cdn/4/180x180.jpg"}),
])
def test_declared_calls_reach_the_resolver(fields: str, expected: dict[str, Any]) -> None:
    plan = compile(schema, "User", fields)
    assert interpret(plan, DATA) == expected
    for _ in range(4):  # interpreted, then generated code: the same
        assert execute(plan, DATA) == expected


def test_a_shape_is_shared_by_other_call_values() -> None:
    a = compile(schema, "User", "picture.type(small).width(30)")
    b = compile(schema, "User", "picture.type(large).width(300)")
    assert a.shape is b.shape and a.args != b.args
    for _ in range(4):
        assert execute(a, DATA) == {"picture": "https://cdn/4/30x30.jpg"}
        assert execute(b, DATA) == {"picture": "https://cdn/4/300x300.jpg"}


def test_async_execution_gets_the_same_arguments() -> None:
    import asyncio

    plan = compile(schema, "User", "picture.type(large),insights.metric(post_clicks)")
    assert asyncio.run(execute_async(plan, DATA)) == execute(plan, DATA)


@pytest.mark.parametrize(("fields", "errors"), [
    ("picture.typ(large)",
     [(1, 9, 'Unknown call "typ" on field "picture". Did you mean "type"?')]),
    ("picture.type(huge)",
     [(1, 14, 'Invalid value "huge" for call "type" on field "picture": expected one of small, '
              "normal, album, large.")]),
    ("picture.type(larg)",
     [(1, 14, 'Invalid value "larg" for call "type" on field "picture": expected one of small, '
              'normal, album, large. Did you mean "large"?')]),
    ('picture.width("wide")',
     [(1, 15, 'Call "width" on field "picture" expects an integer, got "wide".')]),
    ("picture.width(0)",
     [(1, 15, 'Call "width" on field "picture" expects an integer from 1 to 2048, got 0.')]),
    ("picture.width(1,2)",
     [(1, 17, 'Call "width" on field "picture" takes 1 argument, got 2.')]),
    ("picture.type(large).type(small)",
     [(1, 21, 'Call "type" is repeated on field "picture".')]),
    ("insights", [(1, 1, 'Field "insights" requires the call "metric" (one or more of one of '
                         "post_impressions, post_clicks, post_reach).")]),
    ("insights.metric()",
     [(1, 10, 'Call "metric" on field "insights" takes at least 1 argument, got 0.')]),
    ("insights.metric(post_clicks,clicks)",
     [(1, 29, 'Invalid value "clicks" for call "metric" on field "insights": expected one of '
              "post_impressions, post_clicks, post_reach.")]),
    ("name.type(large)", [(1, 6, 'Unknown call "type" on field "name": it takes no calls.')]),
    ("picture.type(small).as(p),picture.type(large).as(p)",
     [(1, 27, 'Fields "p" conflict because they have differing calls. Use different aliases '
              "on the fields to fetch both if this was intentional.")]),
])
def test_call_mistakes_are_positioned(fields: str, errors: list[tuple[int, int, str]]) -> None:
    with pytest.raises(FieldsValidationError) as info:
        compile(schema, "User", fields)
    assert [(i.line, i.column, i.message) for i in info.value.issues] == errors


def test_mistakes_in_values_of_a_known_shape_are_the_same() -> None:
    """A known shape with a bad value: the message of a fresh compile, position included."""
    compile(schema, "User", "picture.type(small).as(a),picture.type(small).as(b)")
    with pytest.raises(FieldsValidationError) as info:
        compile(schema, "User", "picture.type(small).as(a),picture.type(hug).as(b)")
    assert (info.value.line, info.value.column) == (1, 40)
    assert info.value.message.startswith('Invalid value "hug" for call "type"')
    compile(schema, "User", "picture.type(small).as(p),picture.type(small).as(p)")
    with pytest.raises(FieldsValidationError, match="differing calls"):
        compile(schema, "User", "picture.type(small).as(p),picture.type(large).as(p)")


def test_call_declarations_are_checked() -> None:
    with pytest.raises(SchemaError, match="declares calls but no resolve= or batch="):
        Schema([ObjectType("T", {"id": ID, "x": field_(String, calls={"a": calls.string()})})])
    with pytest.raises(SchemaError, match=r"must be declared with graphfields\.calls"):
        Schema([ObjectType("T", {"id": ID, "x": field_(
            String, resolve=lambda p, a, c: 1, calls={"a": int})})])  # type: ignore[dict-item]
    with pytest.raises(SchemaError, match="not a valid call name"):
        Schema([ObjectType("T", {"id": ID, "x": field_(
            String, resolve=lambda p, a, c: 1, calls={"as": calls.string()})})])
    with pytest.raises(ValueError, match="default 'x' is not one of"):
        calls.enum("a", "b", default="x")


def test_a_resolver_failure_names_the_aliased_path() -> None:
    def broken(user: Any, args: dict[str, Any], context: Any) -> str:
        raise RuntimeError(f"no {args['type']}")

    t = ObjectType("T", {"id": ID, "pic": field_(String, resolve=broken, calls={
        "type": calls.enum("a", "b")})})
    s = Schema([t])
    with pytest.raises(ExecutionError) as info:
        execute(compile(s, "T", "pic.type(a).as(x),pic.type(b).as(y)"), {"id": 1})
    assert info.value.path == "x" and "no a" in str(info.value.original)
