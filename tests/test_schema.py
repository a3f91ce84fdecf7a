"""Schema declaration: the compact builder, lookups, and SchemaError for every inconsistency."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from example_schema import MEDIA, Media, schema

from graphfields.compiler import compile
from graphfields.errors import FieldsValidationError, SchemaError
from graphfields.execution import execute
from graphfields.schema import (
    ID,
    Connection,
    Datetime,
    Int,
    ListOf,
    ObjectType,
    Schema,
    String,
    field_,
)


def test_example_schema_resolves_every_kind() -> None:
    assert set(schema.types) == {"Media", "User", "Tag", "Comment", "Owner", "Location"}
    assert schema.type("Media") is Media
    media = schema.fields_of("Media")
    assert media["id"].kind == "scalar"
    assert media["caption"].kind == "scalar" and media["caption"].is_list
    assert media["owner"].object_type is schema["Owner"]
    comments = media["comments"]
    assert comments.kind == "connection" and comments.object_type is schema["Comment"]
    assert comments.connection is not None
    assert comments.connection.always == ("timestamp", "last_update", "is_being_updated")
    # One Connection declaration shared by two fields.
    assert schema.fields_of("User")["media"].connection is MEDIA
    assert schema.fields_of("Tag")["media"].connection is MEDIA
    assert "User" in schema and "Nope" not in schema


def test_string_refs_forward_and_cyclic() -> None:
    a = ObjectType("A", {"id": ID, "b": "B", "bs": ListOf("B")})
    b = ObjectType("B", {"id": ID, "a": "A", "more": Connection("A", default_first=10)})
    s = Schema([a, b])
    assert s.fields_of("A")["b"].object_type is b
    assert s.fields_of("B")["a"].object_type is a
    assert s.fields_of("B")["more"].object_type is a


def test_object_refs_join_the_schema() -> None:
    inner = ObjectType("Inner", {"id": ID})
    outer = ObjectType("Outer", {"id": ID, "inner": inner})
    s = Schema([outer])
    assert s.type("Inner") is inner


def test_field_options_and_list_always() -> None:
    t = ObjectType("T", {
        "id": field_(ID, source="pk"),
        "ts": Int,
        "kids": Connection("T", always=["ts"], timestamp_field="ts"),  # type: ignore[arg-type]
    })
    s = Schema([t])
    assert s.fields_of("T")["id"].source == "pk"
    assert s.fields_of("T")["ts"].source == "ts"
    conn = s.fields_of("T")["kids"].connection
    assert conn is not None and conn.always == ("ts",)
    hash(conn)


def _schema(**fields: Any) -> Schema:
    return Schema([ObjectType("T", {"id": ID, "ts": Int, "when": Datetime, **fields})])


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: _schema(o="Ownr"), 'Field "T.o" refers to unknown type "Ownr".'),
        (lambda: Schema([ObjectType("Owner", {"id": ID}),
                         ObjectType("T", {"id": ID, "o": "Ownr"})]),
         'Field "T.o" refers to unknown type "Ownr". Did you mean "Owner"?'),
        (lambda: Schema([ObjectType("T", {"name": String})]),
         'Type "T": default field "id" is not a field.'),
        (lambda: Schema([ObjectType("T", {"id": ID}, defaults=["idd"])]),
         'Type "T": default field "idd" is not a field. Did you mean "id"?'),
        (lambda: Schema([ObjectType("T", {"id": ID}), ObjectType("T", {"id": ID})]),
         'Type "T" is declared twice'),
        (lambda: Schema([ObjectType("T", {})]), 'Type "T" has no fields'),
        (lambda: Schema([ObjectType("T-1", {"id": ID})]), 'Type name "T-1" is not a valid name'),
        (lambda: _schema(**{"bad name": ID}), "Type \"T\": 'bad name' is not a valid field name"),
        (lambda: _schema(c=Connection("T", max_first=0)),
         'Field "T.c": max_first must be a positive integer, not 0'),
        (lambda: _schema(c=Connection("T", default_first=-1)),
         'Field "T.c": default_first must be a non-negative integer, not -1'),
        (lambda: _schema(c=Connection("T", default_first=200)),
         'Field "T.c": default_first 200 is above max_first 100'),
        (lambda: _schema(c=Connection("T", timestamp_field="tss")),
         'Field "T.c": timestamp_field "tss" is not a field of node type "T". Did you mean "ts"?'),
        (lambda: _schema(c=Connection("T", timestamp_field="id")),
         'Field "T.c": timestamp_field "id" must be an Int (UNIX seconds) or Datetime field'),
        (lambda: _schema(c=Connection("T", order_by="nope")),
         'Field "T.c": order_by "nope" is not a field of node type "T".'),
        (lambda: _schema(c=Connection("T", always=("ts", "last"))),
         'Field "T.c": always field "last" is not a field of node type "T".'),
        (lambda: _schema(c=Connection("T", always="ts")),  # type: ignore[arg-type]
         'Field "T.c": always must be a sequence of field names, not a string'),
        (lambda: _schema(c=Connection(String)),  # type: ignore[arg-type]
         'Field "T.c": a connection\'s node must be an object type'),
        (lambda: _schema(l=ListOf(ListOf(String))),  # type: ignore[arg-type]
         'Field "T.l": ListOf takes a scalar or an object type'),
        (lambda: _schema(x=42), 'Field "T.x": 42 is not a type'),
        (lambda: Schema(["T"]),  # type: ignore[list-item]
         "Schema expects ObjectType instances, got 'T'"),
        (lambda: Schema([ObjectType("A", {"id": ID, "b": "B"}, defaults=["b"]),
                         ObjectType("B", {"id": ID, "a": "A"}, defaults=["a"])]),
         "Default fields form a cycle: A -> B -> A"),
    ],
)
def test_schema_errors(build: Any, message: str) -> None:
    with pytest.raises(SchemaError) as info:
        build()
    assert str(info.value) == message


def test_unknown_type_lookup_suggests() -> None:
    with pytest.raises(SchemaError, match=r'^Unknown type "Medai"\. Did you mean "Media"\?$'):
        schema.type("Medai")
    with pytest.raises(SchemaError, match=r'^Unknown type "Zzz"\.$'):
        schema["Zzz"]


def test_readme_example_runs() -> None:
    """The example of the README's "Schemas and validation" section is executable."""
    import re
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "README.md").read_text("utf-8")
    section = readme.split("## Schemas and validation", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None
    namespace: dict[str, Any] = {}
    exec(match.group(1), namespace)
    plan = namespace["plan"]
    assert plan.cost == 2
    assert [p.key for p in plan.selection.fields] == ["id", "owner", "comments"]


# Regression: a Schema that failed half-way left its types half-resolved; the next Schema
# built with them (the mistake fixed) silently lost every field after the failing one.
# (Schemas no longer change their types at all: the resolution is the schema's.)
def test_a_failed_schema_leaves_its_types_unresolved() -> None:
    owner = ObjectType("Owner", {"id": ID})
    media = ObjectType("Media", {"id": ID, "owner": "Owner", "caption": String})
    with pytest.raises(SchemaError, match='refers to unknown type "Owner"'):
        Schema([media])
    fixed = Schema([media, owner])
    assert list(fixed.fields_of(media)) == ["id", "owner", "caption"]
    assert compile(fixed, "Media", "id,owner,caption").text == "id,owner,caption"


def test_a_default_cycle_leaves_its_types_unresolved() -> None:
    a = ObjectType("A", {"id": ID, "b": "B"}, defaults=["b"])
    b = ObjectType("B", {"id": ID, "a": a}, defaults=["a"])
    with pytest.raises(SchemaError, match="Default fields form a cycle"):
        Schema([a, b])
    assert list(a.declared) == ["id", "b"] and list(b.declared) == ["id", "a"]


# Regression (issue 7): Schema resolved a type in place, so a type used in a second schema
# kept the first schema's bindings of its type names.
def test_a_type_in_two_schemas_resolves_by_each_schemas_names() -> None:
    media = ObjectType("Media", {"id": ID, "owner": "Owner"})
    owner_a = ObjectType("Owner", {"id": ID, "name": String})
    owner_b = ObjectType("Owner", {"id": ID, "username": String})
    a, b = Schema([media, owner_a]), Schema([media, owner_b])
    assert a.fields_of(media)["owner"].object_type is owner_a
    assert b.fields_of(media)["owner"].object_type is owner_b
    data = {"id": 1, "owner": {"id": 2, "name": "n", "username": "u"}}
    assert execute(compile(b, "Media", "owner{username}"), data) == {"owner": {"username": "u"}}
    assert execute(compile(a, "Media", "owner{name}"), data) == {"owner": {"name": "n"}}
    with pytest.raises(FieldsValidationError, match='Cannot query field "name" on type "Owner"'):
        compile(b, "Media", "owner{name}")


@pytest.mark.parametrize(("make", "message"), [
    (lambda: ObjectType("X", {"id": ID}, defaults="id"),
     'Type "X": defaults must be a sequence of field names, not a string'),
    (lambda: Schema(ObjectType("X", {"id": ID})),  # type: ignore[arg-type]
     "Schema expects a list of ObjectType instances, got ObjectType('X')"),
])
def test_schema_argument_shapes(make: Callable[[], object], message: str) -> None:
    with pytest.raises(SchemaError) as info:
        make()
    assert str(info.value) == message
