"""Schema.to_json() and the schema it reads back: a published schema validates requests
exactly as the server's own, without the server's code (`graphfields check --schema-file`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from example_schema import schema
from hypothesis import given, settings
from hypothesis import strategies as st
from test_validate_cli import run

from graphfields import (
    ID,
    Connection,
    GraphFieldsError,
    Int,
    ObjectType,
    Schema,
    SchemaError,
    String,
    compile,
    field_,
)
from graphfields.instagram.schema import SCHEMA as INSTAGRAM
from graphfields.schema_json import FORMAT, from_json

REQUESTS = [
    ("Media", "id,owner{username},comments.first(2){edges{node{id,text}}}"),
    ("Media", "id_,owner{idd},comments.frist(1)"),
    ("Media", "comments.first(101)"),
    ("Media", 'comments.after("nope")'),
    ("Media", "comments.from_date(2019-06-20).to_date(2019-06-01)"),
    ("Media", "comments{text}"),
    ("User", "id,media.last(3){page_info,edges{cursor}}"),
    ("User", "media{edges{node{owner}}},media{edges{node{id}}}"),
    ("Tag", "media.first(1).as(id),id"),
]


def _outcome(s: Schema, type_name: str, text: str) -> Any:
    try:
        compile(s, type_name, text)
    except GraphFieldsError as exc:
        return type(exc).__name__, exc.formatted
    return "ok"


def _published(s: Schema) -> Schema:
    return from_json(json.loads(json.dumps(s.to_json())))


@pytest.mark.parametrize("source", [schema, INSTAGRAM], ids=["example", "instagram"])
def test_round_trip_is_exact(source: Schema) -> None:
    published = _published(source)
    assert published.to_json() == source.to_json()
    assert list(published.types) == list(source.types)


@pytest.mark.parametrize(("type_name", "text"), REQUESTS)
def test_published_schema_validates_like_the_original(type_name: str, text: str) -> None:
    assert _outcome(_published(schema), type_name, text) == _outcome(schema, type_name, text)


def test_descriptions_and_connection_details_are_published() -> None:
    Author = ObjectType("Author", {"id": ID, "name": field_(String, description="Shown name")},
                        description="Who wrote it")
    Post = ObjectType("Post", {
        "id": ID, "author": Author, "created": Int,
        "replies": Connection("Post", max_first=50, timestamp_field="created",
                              description="Answers, newest first"),
    })
    doc = Schema([Post, Author]).to_json()
    assert doc["format"] == FORMAT
    post, author = doc["types"]
    assert author["description"] == "Who wrote it"
    assert author["fields"][1] == {"name": "name", "kind": "scalar", "type": "String",
                                   "of": "String", "list": False, "description": "Shown name"}
    replies = post["fields"][3]
    assert replies["type"] == "Connection(Post)" and replies["node"] == "Post"
    assert replies["description"] == "Answers, newest first"
    assert replies["connection"]["max_first"] == 50
    labels = [c["label"] for c in replies["calls"]]
    assert labels[:6] == ["first(n: 0..50)", "last(n: 0..50)", "limit(n: 0..50)",
                          "offset(n: 0..)", "after(cursor)", "before(cursor)"]
    assert "from_date(yyyy-mm-dd)" in labels
    assert replies["calls"][0]["param"]["kind"] == "page_size"


@pytest.mark.parametrize(("doc", "message"), [
    ([], "not a graphfields schema document"),
    ({"format": "other"}, "not a graphfields schema document"),
    ({"format": FORMAT}, 'missing "types"'),
    ({"format": FORMAT, "types": [{"name": "A", "fields": [{"name": "b", "kind": "object",
                                                             "of": "Nope"}]}]},
     'Field "A.b" refers to unknown type "Nope"'),
    ({"format": FORMAT, "types": [{"name": "A", "fields": [{"name": "b", "kind": "weird"}]}]},
     'unknown kind "weird"'),
])
def test_bad_documents_are_schema_errors(doc: Any, message: str) -> None:
    with pytest.raises(SchemaError, match=message):
        from_json(doc)


def test_cli_exports_and_checks_against_a_schema_file(tmp_path: Path) -> None:
    code, out, err = run("schema", "example_schema:schema")
    assert (code, err) == (0, "")
    path = tmp_path / "schema.json"
    path.write_text(out, encoding="utf-8")
    assert json.loads(out) == schema.to_json()
    assert run("check", "--schema-file", str(path), "Media", "id,owner{username}") == (0, "", "")
    code, out, err = run("check", "--schema-file", str(path), "Media", "id_")
    assert (code, out) == (1, "")
    assert err.startswith('1:1: Cannot query field "id_" on type "Media". Did you mean "id"?')
    # the same with --type, and the same message as with the module itself
    assert run("check", "--schema-file", str(path), "--type", "Media", "id_") == (
        run("check", "--schema", "example_schema:schema", "Media", "id_"))


@pytest.mark.parametrize(("content", "message"), [
    (None, "cannot read schema file"),
    ("{", "is not JSON"),
    ('{"format": "x"}', "not a graphfields schema document"),
])
def test_cli_bad_schema_file_exits_2(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "schema.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    code, out, err = run("check", "--schema-file", str(path), "Media", "id")
    assert (code, out) == (2, "")
    assert err.startswith("graphfields check: error: ") and message in err


def test_cli_type_needs_a_schema() -> None:
    with pytest.raises(SystemExit) as info:
        run("check", "Media", "id")
    assert info.value.code == 2


# -- random requests: the published schema answers exactly as the original ---------------

_CALLS = ["", ".first(2)", ".last(200)", '.after("YXJyYXljb25uZWN0aW9uOjA=")', '.after("x")',
          ".frist(1)", ".from_date(2019-06-20)", ".to_date(2019-02-30)", ".first(1).first(2)",
          ".as(alias)", ".from_timestamp(5).to_timestamp(1)"]


@st.composite
def _selection(draw: st.DrawFn, type_name: str, depth: int = 0) -> str:
    fields = schema.fields_of(type_name)
    names = [*fields, "edges", "node", "page_info", "cursor", "nope", "i_d"]
    parts = []
    for _ in range(draw(st.integers(1, 4))):
        name = draw(st.sampled_from(names))
        field = fields.get(name)
        text = name + draw(st.sampled_from(_CALLS))
        if field is not None and field.object_type is not None and depth < 3:
            nested = draw(_selection(field.object_type.name, depth + 1))
            if field.kind == "connection" and draw(st.booleans()):
                nested = f"page_info,edges{{cursor,node{{{nested}}}}}"
            if draw(st.booleans()):
                text += "{" + nested + "}"
        parts.append(text)
    return ",".join(parts)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(["Media", "User", "Tag", "Comment"]).flatmap(
    lambda t: st.tuples(st.just(t), _selection(t))))
def test_random_requests_validate_alike(case: tuple[str, str]) -> None:
    type_name, text = case
    assert _outcome(PUBLISHED, type_name, text) == _outcome(schema, type_name, text)


PUBLISHED = _published(schema)


# -- declared field calls travel with the schema ------------------------------------------


def _calls_schema() -> Schema:
    from graphfields import calls

    Person = ObjectType("Person", {
        "id": ID,
        "picture": field_(String, resolve=lambda u, args, c: "x", calls={
            "type": calls.enum("small", "normal", "large", default="normal"),
            "width": calls.integer(min=1, max=2048, description="pixels"),
            "height": calls.integer(min=1, max=2048)}),
        "insights": field_(Int, resolve=lambda u, args, c: 1, calls={
            "metric": calls.list_of(calls.enum("impressions", "clicks"), required=True),
            "since": calls.date(), "until": calls.timestamp(), "summary": calls.boolean(),
            "label": calls.string(default="all")}),
    })
    return Schema([Person])


CALL_REQUESTS = [
    "id,picture.type(large),picture.width(100).height(100).as(small)",
    "picture.type(huge)", "picture.tpye(large)", "picture.width(0)", "picture.width(x)",
    "insights.metric(impressions,clicks)", "insights", "insights.metric(views)",
    "insights.metric(clicks).since(2019-13-01)", "insights.metric(clicks).summary(maybe)",
    "picture.type(large).type(small)",
]


@pytest.mark.parametrize("text", CALL_REQUESTS)
def test_declared_calls_validate_alike(text: str) -> None:
    original = _calls_schema()
    assert _outcome(_published(original), "Person", text) == _outcome(original, "Person", text)


def test_declared_calls_are_published_with_labels() -> None:
    original = _calls_schema()
    assert _published(original).to_json() == original.to_json()
    picture = original.to_json()["types"][0]["fields"][1]
    assert [c["label"] for c in picture["calls"]] == [
        "type(small|normal|large)", "width(n: 1..2048)", "height(n: 1..2048)"]
    assert picture["calls"][1]["param"]["description"] == "pixels"
    insights = original.to_json()["types"][0]["fields"][2]
    assert insights["calls"][0] == {"name": "metric", "label": "metric(impressions|clicks,...)",
                                    "param": {"kind": "enum", "min": None, "max": None,
                                              "choices": ["impressions", "clicks"],
                                              "many": True, "required": True, "default": None,
                                              "description": ""}}
    from graphfields.web import describe

    assert "- `picture` (String). Calls: `type(small|normal|large)`" in describe(original,
                                                                                 "Person")


# -- a damaged document is a SchemaError, never another exception -------------------------

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 200) | st.sampled_from(
        ["", "id", "Media", "Comment", "scalar", "object", "connection", "Int", "x y"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["name", "kind", "of", "node", "list", "max_first", "always",
                         "default_first", "timestamp_field", "fields", "types", "defaults"]),
        inner, max_size=3),
    max_leaves=8)


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _paths(v, (*prefix, i))
    return out


DOC = schema.to_json()
DOC["types"] += _calls_schema().to_json()["types"]  # declared field calls too
PATHS = _paths(DOC)[1:]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(PATHS), _JSON | st.just(...)), min_size=1,
                max_size=3))
def test_damaged_documents_are_schema_errors(damage: list[tuple[tuple[Any, ...], Any]]) -> None:
    doc = json.loads(json.dumps(DOC))
    for path, value in damage:
        parent = doc
        try:
            for key in path[:-1]:
                parent = parent[key]
            if value is ...:
                del parent[path[-1]]
            else:
                parent[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed this place
    try:
        built = from_json(doc)
    except SchemaError as exc:
        assert str(exc)
    else:  # what is accepted is a schema like any other
        assert from_json(built.to_json()).to_json() == built.to_json()
