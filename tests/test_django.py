"""graphfields.django through Django's test client: plain views (decorator and middleware),
DRF views (the mixin's serializer, and select() in a custom get), 400 and 500; related
managers and QuerySets as values, with bounded queries, compared with the same data as
plain dicts."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django_setup import N_COMMENTS, create_blog, setup

setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from djapp.models import Author, Comment, Post, Tag  # noqa: E402
from djapp.views import SCHEMA, SECRET  # noqa: E402

from graphfields import GraphFieldsError, compile, execute  # noqa: E402
from graphfields.django import QuerySetSequence  # noqa: E402
from graphfields.web import FieldsParam, error_response  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def database() -> None:
    create_blog()


def _author(a: Author) -> dict[str, Any]:
    return {"id": a.pk, "name": a.name,
            "posts": [_post(p, nested=False) for p in a.posts.order_by("pk")]}


def _post(p: Post, nested: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"id": p.pk, "title": p.title, "shout": p.title.upper(),
                           "tags": [{"id": t.pk, "label": t.label} for t in p.tags.all()]}
    if nested:
        out["author"] = _author(p.author)
        out["comments"] = [{"id": c.pk, "text": c.text, "created": c.created,
                            "author": {"id": c.author.pk, "name": c.author.name}}
                           for c in p.comments.all()]
    return out


def expected(query: dict[str, str], pk: int) -> tuple[int, Any]:
    """The same request over the same data as plain dicts, without Django."""
    try:
        plan = FieldsParam(SCHEMA, "Post", filters=True).plan(query)
        return 200, execute(plan, _post(Post.objects.get(pk=pk)))
    except GraphFieldsError as exc:
        return error_response(exc)


REQUESTS: list[tuple[dict[str, str], int]] = [
    ({}, 200),
    ({"fields": "title,id,shout,author{name,posts{edges{node{title}}}}"}, 200),
    ({"fields": "title.as(zz),tags{label},id"}, 200),
    ({"fields": "comments.first(3).after(\"YXJyYXljb25uZWN0aW9uOjE0OQ==\")"
                "{page_info{has_next_page,has_previous_page,end_cursor},"
                "edges{cursor,node{text,author{name}}}}"}, 200),
    ({"fields": "comments.last(2){edges{node{id,created}}}"}, 200),
    ({"fields": "comments{edges{node{text}}}", "from_timestamp": "1560000100",
      "to_timestamp": "1560000104"}, 200),
    ({"fields": "tittle"}, 400),
    ({"fields": "comments.first(51)"}, 400),
    ({"fields": "id", "to_date": "tomorrow"}, 400),
    ({"fields": "id,broken"}, 500),
]
PATHS = ["/posts/{pk}", "/async/posts/{pk}", "/mw/posts/{pk}", "/drf/posts/{pk}",
         "/drf/custom/posts/{pk}"]


def _check(query: dict[str, str], pk: int, status: int, text: str) -> None:
    want_status, want = expected(query, pk)
    assert status == want_status, text
    assert json.dumps(json.loads(text)) == json.dumps(want)  # values and key order
    assert SECRET not in text and "RuntimeError" not in text


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(("query", "status"), REQUESTS)
def test_answers(path: str, query: dict[str, str], status: int) -> None:
    pk = Post.objects.get(title="Hello").pk
    r = Client().get(path.format(pk=pk), query)
    assert r.status_code == status, r.content
    _check(query, pk, r.status_code, r.content.decode())


def test_drf_list_executes_the_plan_per_object() -> None:
    query = {"fields": "title,author{name}"}
    r = Client().get("/drf/posts", query)
    assert r.status_code == 200
    want = [expected(query, p.pk)[1] for p in Post.objects.order_by("id")]
    assert r.json() == want
    assert Client().get("/drf/posts", {"fields": "nope"}).status_code == 400
    paged = Client().get("/drf/pages/posts", {**query, "page": "2"}).json()
    assert paged["count"] == 2 and paged["results"] == want[1:]


def test_related_manager_pages_cost_a_count_and_one_chunk() -> None:
    post = Post.objects.get(title="Hello")
    plan = compile(SCHEMA, "Post", 'comments.first(10).after("YXJyYXljb25uZWN0aW9uOjE0OQ==")'
                   "{edges{node{text}}}")
    with CaptureQueriesContext(connection) as queries:
        out = execute(plan, post)
    texts = [e["node"]["text"] for e in out["comments"]["edges"]]
    assert texts == [f"c{N_COMMENTS - 1 - i}" for i in range(150, 160)]
    assert len(queries) == 2, [q["sql"] for q in queries]  # COUNT, then one LIMIT/OFFSET
    assert "LIMIT" in queries[1]["sql"]
    with CaptureQueriesContext(connection) as queries:
        assert [t["label"] for t in execute(compile(SCHEMA, "Post", "tags{label}"),
                                            post)["tags"]] == ["alpha", "zeta"]
    assert len(queries) == 1


def test_queryset_sequence_reads_like_a_list() -> None:
    everything = list(Comment.objects.all())
    seq = QuerySetSequence(Comment.objects.all(), chunk=7)
    assert len(seq) == N_COMMENTS
    assert [seq[i] for i in range(20, 30)] == everything[20:30]
    assert seq[-1] == everything[-1] and seq[3:9] == everything[3:9]
    with pytest.raises(IndexError):
        seq[N_COMMENTS]
    assert list(QuerySetSequence(Comment.objects.all())) == everything
    unordered = QuerySetSequence(Tag.objects.order_by())
    assert [t.label for t in unordered] == ["zeta", "alpha"]  # by primary key


def test_the_model_getter_is_what_makes_managers_values() -> None:
    """Without graphfields.django's registration, a related manager is 'called' with no
    arguments and fails: the registration, not the executor, fixes it."""
    from django.db.models import Model

    from graphfields import ExecutionError, sources
    from graphfields.django import model_getter

    post = Post.objects.get(title="Hello")
    plan = compile(SCHEMA, "Post", "tags{label}")
    assert sources.getter_for(Post) is model_getter
    sources.unregister(Model)
    try:
        with pytest.raises(ExecutionError) as info:
            execute(plan, post)
        assert info.value.path == "tags"
    finally:
        sources.register(Model, model_getter)
    assert execute(plan, post) == {"tags": [{"label": "alpha"}, {"label": "zeta"}]}


@pytest.mark.parametrize(("wrap", "queries"), [(False, 1), (True, 2)])
def test_querysets_returned_by_resolvers(wrap: bool, queries: int) -> None:
    """A connection resolver's QuerySet: read whole in one query as it is, or a COUNT and
    one slice when wrapped in QuerySetSequence; the same page either way."""
    from graphfields import Connection, ObjectType, Schema

    def recent(author: Any, args: Any, context: Any) -> Any:
        qs = Comment.objects.filter(author=author)
        return QuerySetSequence(qs) if wrap else qs

    node = ObjectType("Comment", {"id": SCHEMA.types["Comment"].declared["id"],
                                  "text": SCHEMA.types["Comment"].declared["text"]})
    author_type = ObjectType("Author", {"name": SCHEMA.types["Author"].declared["name"],
                                        "comments": Connection(node, resolve=recent)},
                             defaults=("name",))
    plan = compile(Schema([author_type, node]), "Author",
                   "comments.first(2).after(\"YXJyYXljb25uZWN0aW9uOjk=\"){edges{node{text}}}")
    ada = Author.objects.get(name="Ada")
    with CaptureQueriesContext(connection) as captured:
        out = execute(plan, ada)
    assert [e["node"]["text"] for e in out["comments"]["edges"]] == [
        f"c{N_COMMENTS - 2 - 2 * i}" for i in range(10, 12)]
    assert len(captured) == queries
