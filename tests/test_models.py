"""Object types from dataclasses, TypedDicts and Pydantic models: one blog declared three
ways gives one schema, and the same request over each kind of data gives the same output."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import keyword
import uuid
from collections.abc import Sequence
from typing import Any, Literal, NotRequired, Optional, TypedDict

import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphfields import (
    ID,
    Connection,
    Datetime,
    FieldDef,
    Int,
    ListOf,
    ObjectType,
    Schema,
    SchemaError,
    String,
    compile,
    execute,
    field_,
)
from graphfields.models import is_model, object_type, schema_from
from graphfields.web import describe

# -- the blog as dataclasses (string annotations: this module uses __future__ annotations)


@dataclasses.dataclass
class DAuthor:
    id: int
    name: str
    posts: list[DPost] = dataclasses.field(default_factory=list)  # forward reference


@dataclasses.dataclass
class DComment:
    id: str
    text: str = dataclasses.field(metadata={"description": "Plain text"})
    created: int = 0
    author: DAuthor | None = None


@dataclasses.dataclass
class DPost:
    id: int
    title: str
    published: dt.datetime
    rating: Optional[float]  # noqa: UP045
    tags: Sequence[str]
    status: Literal["draft", "live"]
    author: DAuthor
    comments: list[DComment]


# -- as TypedDicts


class TAuthor(TypedDict):
    id: int
    name: str
    posts: NotRequired[list[TPost]]


class TComment(TypedDict):
    id: str
    text: str
    created: int
    author: TAuthor | None


class TPost(TypedDict):
    id: int
    title: str
    published: dt.datetime
    rating: float | None
    tags: tuple[str, ...]
    status: Literal["draft", "live"]
    author: TAuthor
    comments: list[TComment]


# -- as Pydantic models


class PAuthor(pydantic.BaseModel):
    id: int
    name: str
    posts: list[PPost] = []


class PComment(pydantic.BaseModel):
    id: str
    text: str = pydantic.Field(description="Plain text")
    created: int = 0
    author: PAuthor | None = None


class PPost(pydantic.BaseModel):
    id: int
    title: str
    published: dt.datetime
    rating: float | None
    tags: list[str]
    status: Literal["draft", "live"]
    author: PAuthor
    comments: list[PComment]


PAuthor.model_rebuild()

KINDS = {"dataclass": (DPost, DComment, DAuthor), "typeddict": (TPost, TComment, TAuthor),
         "pydantic": (PPost, PComment, PAuthor)}


def blog(post: type, comment: type, author: type) -> Schema:
    """One line per model; the connection is what annotations cannot say."""
    return Schema([
        object_type(post, name="Post", fields={
            "comments": Connection("Comment", max_first=10, timestamp_field="created")}),
        object_type(comment, name="Comment", description="A reply"),
        object_type(author, name="Author", defaults=("name",)),
    ])


RAW: dict[str, Any] = {
    "id": 7, "title": "Hello", "published": dt.datetime(2019, 6, 20, 12, 0, tzinfo=dt.UTC),
    "rating": None, "tags": ["a", "b"], "status": "live",
    "author": {"id": 1, "name": "Ada"},
    "comments": [{"id": f"c{i}", "text": f"t{i}", "created": 100 - i,
                  "author": {"id": 2, "name": "Bob"}} for i in range(3)],
}


def data(kind: str) -> Any:
    if kind == "typeddict":
        return RAW
    if kind == "pydantic":
        return PPost.model_validate(RAW)
    comments = [DComment(c["id"], c["text"], c["created"], DAuthor(**c["author"]))
                for c in RAW["comments"]]
    return DPost(**{**RAW, "author": DAuthor(**RAW["author"]), "comments": comments})


REQUEST = ("status,id,title,published,rating,tags,author,"
           "comments.first(2){page_info{has_next_page},edges{node{id,text,author{name}}}}")


@pytest.mark.parametrize("kind", KINDS)
def test_the_same_schema_from_each_kind_of_model(kind: str) -> None:
    want = blog(*KINDS["dataclass"]).to_json()
    got = blog(*KINDS[kind]).to_json()
    if kind == "typeddict":  # a TypedDict has no place for field descriptions
        del want["types"][1]["fields"][1]["description"]
    assert got == want
    want = blog(*KINDS["dataclass"]).to_json()
    post, comment, author = want["types"]
    assert [(f["name"], f["type"]) for f in post["fields"]] == [
        ("id", "ID"), ("title", "String"), ("published", "Datetime"), ("rating", "Float"),
        ("tags", "[String]"), ("status", "String"), ("author", "Author"),
        ("comments", "Connection(Comment)")]
    assert comment["description"] == "A reply" and author["defaults"] == ["name"]
    assert [f["type"] for f in author["fields"]] == ["ID", "String", "[Post]"]


def test_field_descriptions_come_from_metadata_and_pydantic() -> None:
    for kind in ("dataclass", "pydantic"):
        (text,) = [f for f in blog(*KINDS[kind]).to_json()["types"][1]["fields"]
                   if f["name"] == "text"]
        assert text["description"] == "Plain text"
    assert "- `text` (String): Plain text" in describe(blog(*KINDS["dataclass"]), "Comment")


@pytest.mark.parametrize("kind", KINDS)
def test_the_same_output_over_each_kind_of_data(kind: str) -> None:
    plan = compile(blog(*KINDS[kind]), "Post", REQUEST)
    assert execute(plan, data(kind)) == {
        "status": "live", "id": "7", "title": "Hello", "published": "2019-06-20T12:00:00Z",
        "rating": None, "tags": ["a", "b"], "author": {"name": "Ada"},
        "comments": {"page_info": {"has_next_page": True}, "edges": [
            {"node": {"id": "c0", "text": "t0", "author": {"name": "Bob"}}},
            {"node": {"id": "c1", "text": "t1", "author": {"name": "Bob"}}}]},
    }


def test_schema_from_follows_references_and_takes_overrides() -> None:
    schema = schema_from(DPost, fields={DPost: {"comments": Connection("DComment")}},
                         descriptions={DAuthor: "A writer"})
    assert set(schema.types) == {"DPost", "DAuthor", "DComment"}
    assert schema.types["DAuthor"].description == "A writer"
    assert schema.fields_of("DPost")["comments"].kind == "connection"


def test_local_classes_refer_to_each_other_by_name() -> None:
    @dataclasses.dataclass
    class Node:
        id: uuid.UUID
        parent: Optional[Node]  # noqa: UP045
        children: list[Node]
        note: str | None = None

    t = object_type(Node, exclude=("note",),
                    fields={"size": field_(Int, resolve=lambda n, c: len(n.children))})
    schema = Schema([t])
    assert [(f.name, f.kind, f.is_list) for f in schema.fields_of(t).values()] == [
        ("id", "scalar", False), ("parent", "object", False), ("children", "object", True),
        ("size", "scalar", False)]
    root = Node(uuid.UUID(int=1), None, [])
    root.children.append(Node(uuid.UUID(int=2), root, []))
    plan = compile(schema, "Node", "id,size,children{parent{size}}")
    assert execute(plan, root) == {"id": str(uuid.UUID(int=1)), "size": 1,
                                   "children": [{"parent": {"size": 1}}]}


def test_a_type_without_id_defaults_to_its_first_field() -> None:
    class Point(TypedDict):
        x: int
        y: int

    assert object_type(Point).defaults == ("x",)


@pytest.mark.parametrize(("annotation", "expected"), [
    ("dict[str, int]", "cannot infer a graphfields type from the annotation"),
    ("Any", "cannot infer"),
    ("int | str", "cannot infer"),
])
def test_what_cannot_be_inferred_is_a_schema_error_naming_the_field(
    annotation: str, expected: str
) -> None:
    namespace: dict[str, Any] = {}
    exec("from typing import Any\nfrom dataclasses import dataclass\n"
         f"@dataclass\nclass Bad:\n    id: int\n    extra: {annotation}\n", namespace)
    with pytest.raises(SchemaError, match=r'Field "Bad.extra": ' + expected):
        object_type(namespace["Bad"])
    # ... and an override or exclude fixes it
    Schema([object_type(namespace["Bad"], fields={"extra": String})])
    Schema([object_type(namespace["Bad"], exclude=["extra"])])


@pytest.mark.parametrize("value", [int, object, ObjectType, dict, "DPost"])
def test_only_models_are_accepted(value: Any) -> None:
    assert not is_model(value)
    with pytest.raises(SchemaError, match="is not a dataclass, TypedDict or Pydantic model"):
        object_type(value)


def test_lists_of_models_and_scalars() -> None:
    t = object_type(TPost, name="Post2", fields={"comments": ListOf("TComment")})
    assert t._raw["tags"] == field_(ListOf(String))
    assert t._raw["published"] == field_(Datetime)
    assert t._raw["id"] == field_(ID)


# -- random field tables: the three kinds of model infer the same types -------------------

_ANNOTATIONS: list[tuple[Any, str]] = [
    (int, "Int"), (str, "String"), (float, "Float"), (bool, "Boolean"),
    (dt.datetime, "Datetime"), (dt.date, "Datetime"), (uuid.UUID, "ID"),
    (int | None, "Int"), (Optional[str], "String"), (list[str], "[String]"),  # noqa: UP045
    (tuple[int, ...], "[Int]"), (Sequence[float], "[Float]"), (set[str], "[String]"),
    (Literal["a", "b"], "String"), (Literal[1, 2], "Int"), (list[bool] | None, "[Boolean]"),
    (DAuthor, "DAuthor"), (list[DAuthor], "[DAuthor]"), (DAuthor | None, "DAuthor"),
]


_NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True).filter(
    lambda n: not keyword.iskeyword(n) and not hasattr(pydantic.BaseModel, n)
    and not n.startswith("model_"))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.just("id"), _NAMES), st.sampled_from(_ANNOTATIONS)),
                min_size=1, max_size=8, unique_by=lambda f: f[0]))
def test_random_models_infer_the_same_types(table: list[tuple[str, tuple[Any, str]]]) -> None:
    fields = [(name, annotation) for name, (annotation, _) in table]
    plain_ids = (int, str, uuid.UUID, int | None, Optional[str])  # noqa: UP045
    expected = [("ID" if name == "id" and annotation in plain_ids else label)
                for name, (annotation, label) in table]
    made = [
        dataclasses.make_dataclass("Random", fields),
        TypedDict("Random", dict(fields)),  # type: ignore[operator]
        pydantic.create_model("Random", **{n: (a, ...) for n, a in fields}),  # type: ignore[call-overload]
    ]
    for cls in made:
        t = object_type(cls)
        raw = [spec.type if isinstance(spec, FieldDef) else spec for spec in t._raw.values()]
        labels = [f"[{_label(r.of)}]" if isinstance(r, ListOf) else _label(r) for r in raw]
        assert list(t._raw) == [n for n, _ in fields]
        assert labels == expected, cls
        assert t.defaults == (("id",) if "id" in t._raw else (fields[0][0],))


def _label(ref: Any) -> str:
    return ref.name if hasattr(ref, "name") else str(ref)


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


def test_enums_are_output_as_their_values() -> None:
    @dataclasses.dataclass
    class Pen:
        id: int
        color: Color
        level: Level | None
        colors: list[Color]

    t = object_type(Pen)
    schema = Schema([t])
    assert [(f.scalar.name, f.is_list) for f in schema.fields_of(t).values() if f.scalar] == [
        ("ID", False), ("String", False), ("Int", False), ("String", True)]
    pen = Pen(1, Color.BLUE, Level.HIGH, [Color.RED, Color.BLUE])
    out = execute(compile(schema, "Pen", "color,level,colors"), pen)
    assert out == {"color": "blue", "level": 2, "colors": ["red", "blue"]}
    assert type(out["level"]) is int
