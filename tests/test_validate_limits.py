"""Limits (depth, fields, node estimate), robustness of compile() on generated input,
and the spec's own example request compiled and run end to end."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from example_schema import schema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphfields import (
    ID,
    Field,
    GraphFieldsError,
    IntValue,
    LimitExceededError,
    Limits,
    ObjectType,
    Schema,
    Selection,
    StringValue,
    compile,
    parse,
)
from graphfields.compiler import CONNECTION_CALLS
from graphfields.syntax.ast import BoolValue, Call, NullValue, Value
from graphfields.syntax.printer import format_fields

SPEC_USER_REQUEST = """id,username,media.first(1){edges{node{shortcode,created_time,timestamp,
media_type,media_url,caption,
tagged_user_media,tagged_user_text,tags,like_count,comment_count,video_view_count,
location{id,name,slug,has_public_page},
owner{id,username,full_name,profile_pic_url},
comments.first(1){edges{node{id,parent_id,created_time,timestamp,text,
owner{id,username,full_name,profile_pic_url}}}}}}}"""


def test_defaults() -> None:
    assert Limits() == Limits(max_depth=15, max_fields=1000, max_nodes=100_000)
    with pytest.raises(dataclasses.FrozenInstanceError):
        Limits().max_depth = 3  # type: ignore[misc]


def test_spec_request_is_within_the_default_limits() -> None:
    plan = compile(schema, "User", SPEC_USER_REQUEST)
    assert plan.cost == 2


@pytest.mark.parametrize(
    ("fields", "limits", "message", "limit", "column"),
    [
        ("comments{edges{node{id}}}", Limits(max_depth=2),
         "Selection is nested too deeply: depth 3 exceeds max_depth=2.", "max_depth", 21),
        ("id,comments{edges{node{owner{id}}}}", Limits(max_depth=3),
         "Selection is nested too deeply: depth 4 exceeds max_depth=3.", "max_depth", 30),
        ("owner{id}", Limits(max_depth=1), None, "", 0),
        ("id,shortcode,owner{id,username}", Limits(max_fields=4),
         "Selection has too many fields: 5 exceeds max_fields=4.", "max_fields", 23),
        ("comments.first(100){edges{node{id}}}", Limits(max_nodes=99),
         "Selection may return too many nodes: an estimated 100 exceeds max_nodes=99.",
         "max_nodes", 1),
        ("id,comments{edges{node{id}}}", Limits(max_nodes=99),
         "Selection may return too many nodes: an estimated 100 exceeds max_nodes=99.",
         "max_nodes", 4),
    ],
)
def test_limit_exceeded(
    fields: str, limits: Limits, message: str | None, limit: str, column: int
) -> None:
    if message is None:
        compile(schema, "Media", fields, limits=limits)
        return
    with pytest.raises(LimitExceededError) as info:
        compile(schema, "Media", fields, limits=limits)
    assert info.value.message == message
    assert info.value.limit == limit
    assert (info.value.line, info.value.column) == (1, column)


def test_node_estimate_multiplies_along_paths() -> None:
    text = "media.first(50){edges{node{comments.first(20){edges{cursor}}}}},id"
    plan = compile(schema, "User", text)
    assert plan.cost == 50 + 50 * 20
    # first and last together: the page is at most the smaller one.
    assert compile(schema, "User", "media.first(50).last(10)").cost == 10
    # No first/last and no default_first: max_first (100) per level.
    assert compile(schema, "User", "media{edges{node{comments}}}").cost == 100 + 100 * 100
    with pytest.raises(LimitExceededError):
        compile(schema, "User", "media{edges{node{comments}}}", limits=Limits(max_nodes=10_099))
    assert compile(schema, "User", "media{edges{node{comments}}}",
                   limits=Limits(max_nodes=10_100)).cost == 10_100


def test_validation_issues_win_over_the_node_limit() -> None:
    with pytest.raises(GraphFieldsError) as info:
        compile(schema, "Media", "nope,comments.first(100)", limits=Limits(max_nodes=1))
    assert "Cannot query field" in info.value.message


def test_limits_are_checked_before_walking_a_huge_request() -> None:
    # Built directly (not parsed), 5,000 levels deep: hashing or walking it recursively
    # would exhaust the stack, so the depth check must come first.
    sel = Selection((Field("id"),))
    for _ in range(5000):
        sel = Selection((Field("owner", selection=sel),))
    with pytest.raises(LimitExceededError) as info:
        compile(schema, "Media", sel)
    assert info.value.limit == "max_depth"
    wide = Selection(tuple(Field("id") for _ in range(5000)))
    with pytest.raises(LimitExceededError, match="5000 exceeds max_fields=1000"):
        compile(schema, "Media", wide)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_depth": 0}, "Limits.max_depth must be a positive integer, not 0"),
        ({"max_fields": True}, "Limits.max_fields must be a positive integer, not True"),
        ({"max_nodes": 1.5}, "Limits.max_nodes must be a positive integer, not 1.5"),
        ({"max_depth": 65}, "Limits.max_depth must be at most 64, not 65"),
    ],
)
def test_bad_limits(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as info:
        Limits(**kwargs)
    assert str(info.value) == message


def test_deepest_allowed_request_compiles() -> None:
    sel = Selection((Field("id"),))
    for _ in range(64):
        sel = Selection((Field("owner", selection=sel),))
    limits = Limits(max_depth=64)
    loop = ObjectType("Loop", {"id": ID, "owner": "Loop"})
    s = Schema([loop])
    assert compile(s, "Loop", sel, limits=limits)
    with pytest.raises(LimitExceededError):
        compile(s, "Loop", Selection((Field("owner", selection=sel),)), limits=limits)
    # Parsed text: the parser's own default cap (32) gives way to ours.
    text = "owner{" * 64 + "id" + "}" * 64
    assert compile(s, "Loop", text, limits=limits).text == text
    with pytest.raises(LimitExceededError) as info:
        compile(s, "Loop", "owner{" + text + "}", limits=limits)
    assert info.value.limit == "max_depth"
    many = ",".join(["id"] * 20_000)
    assert compile(s, "Loop", many, limits=Limits(max_fields=20_000)).selection.fields
    with pytest.raises(LimitExceededError) as info:  # the parser's check or ours
        compile(s, "Loop", many + ",id", limits=Limits(max_fields=20_000))
    assert info.value.limit == "max_fields"


def test_spec_example_runs_end_to_end() -> None:
    from graphfields.execution.interpret import interpret

    data = {
        "id": "1770093817144369706", "shortcode": "BiQovLGAWIq",
        "created_time": "2018-05-02T03:27:28",
        "owner": {"id": "3008836221", "username": "teslamotorsports"},
        "comments": [{
            "id": "17927679481127546", "timestamp": 1525641658, "last_update": 1551696861,
            "is_being_updated": False, "text": "Those brake pads ????",
            "owner": {"id": "527779220", "username": "steffenology"},
        }, {"id": "2", "timestamp": 1, "last_update": 1, "is_being_updated": False,
            "text": "x", "owner": {"id": "3", "username": "y"}}],
    }
    plan = compile(schema, "Media", "id,shortcode,created_time,owner{id,username},\n"
                   "comments.first(1){edges{node{id,text,owner{id,username}}}}")
    out = interpret(plan, data)
    assert out == {
        "id": "1770093817144369706", "shortcode": "BiQovLGAWIq",
        "created_time": "2018-05-02T03:27:28",
        "owner": {"id": "3008836221", "username": "teslamotorsports"},
        "comments": {"edges": [{"node": {
            "id": "17927679481127546", "timestamp": 1525641658, "last_update": 1551696861,
            "is_being_updated": False, "text": "Those brake pads ????",
            "owner": {"id": "527779220", "username": "steffenology"},
        }}]},
    }
    node = out["comments"]["edges"][0]["node"]
    assert list(node) == ["id", "timestamp", "last_update", "is_being_updated", "text", "owner"]


# -- generated selections: compile() only ever returns a plan or raises our errors -------

_NAMES = sorted({
    *schema.fields_of("Media"), *schema.fields_of("User"), *schema.fields_of("Comment"),
    "edges", "node", "page_info", "cursor", "has_next_page", "end_cursor", "bogus", "iD",
})
_CALLS = [*CONNECTION_CALLS, "as", "frist", "limit"]


def _values() -> st.SearchStrategy[Value]:
    return st.one_of(
        st.builds(IntValue, st.integers(-5, 300)),
        st.builds(StringValue, st.sampled_from([
            "YXJyYXljb25uZWN0aW9uOjI=", "abc", "2019-06-20", "2019-13-01", "", "x y",
            "1550000000",
        ])),
        st.builds(BoolValue, st.booleans()),
        st.just(NullValue()),
    )


def _calls() -> st.SearchStrategy[tuple[Call, ...]]:
    call = st.builds(Call, st.sampled_from(_CALLS), st.lists(_values(), max_size=2).map(tuple))
    return st.lists(call, max_size=3).map(tuple)


def _selection(depth: int) -> st.SearchStrategy[Selection]:
    inner: st.SearchStrategy[Any] = st.none() if depth == 0 else st.one_of(
        st.none(), st.deferred(lambda: _selection(depth - 1)))
    field = st.builds(
        Field, st.sampled_from(_NAMES), _calls(), inner,
        st.one_of(st.none(), st.sampled_from(["a", "b", "id", "1x"])),
    )
    return st.lists(field, min_size=1, max_size=4).map(lambda fs: Selection(tuple(fs)))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sel=_selection(4), root=st.sampled_from(["Media", "User", "Tag", "Comment"]),
       filters=st.one_of(st.none(), st.dictionaries(
           st.sampled_from(["from_date", "to_date", "from_timestamp", "to_timestamp", "x"]),
           st.sampled_from(["2019-06-20", "2019-06-19", "1561000000", "nope", 5]),
           max_size=2)))
def test_compile_only_raises_graphfields_errors(
    sel: Selection, root: str, filters: dict[str, Any] | None
) -> None:
    try:
        plan = compile(schema, root, sel, filters=filters)
    except GraphFieldsError as exc:
        assert exc.message
        str(exc)
        return
    assert plan.selection.type is schema[root]
    keys = [p.key for p in plan.selection.fields]
    assert len(keys) == len(set(keys))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sel=_selection(3), root=st.sampled_from(["Media", "User"]))
def test_selecting_everything_twice_changes_nothing(sel: Selection, root: str) -> None:
    """Duplicates merge like GraphQL's: ``X,X`` plans exactly like ``X``."""
    doubled = Selection(sel.fields + sel.fields)
    try:
        once = compile(schema, root, sel)
    except GraphFieldsError:
        with pytest.raises(GraphFieldsError):
            compile(schema, root, doubled)
        return
    twice = compile(schema, root, doubled)
    assert twice.selection == once.selection
    assert twice.cost == once.cost


_TOKENS = st.sampled_from([
    "id", "owner", "comments", "media", "edges", "node", "page_info", "cursor", "text", "idd",
    ",", "{", "}", ".first(", ".last(", ".after(", ".from_date(", ".as(", ")", "2", "-1",
    "\"YXJyYXljb25uZWN0aW9uOjI=\"", "2019-06-20", "frist", " ", "\n",
])


@settings(max_examples=200, deadline=None)
@given(tokens=st.lists(_TOKENS, max_size=25), root=st.sampled_from(["Media", "User"]))
def test_any_text_compiles_or_raises_graphfields_errors(tokens: list[str], root: str) -> None:
    text = "".join(tokens)
    try:
        plan = compile(schema, root, text)
    except GraphFieldsError as exc:
        assert str(exc)
        return
    assert plan.text == format_fields(parse(text))
