"""graphfields.django.orm under Django's test runner: query counts, equality with the plain
executor on random data and requests (Hypothesis), declaration errors."""

from __future__ import annotations

import datetime as dt
from typing import Any
from unittest import mock

from blog_data import STATEMENTS, T0, Data, as_objects, datasets, fixed_data, requests
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis.extra.django import TestCase as HypothesisTestCase

import graphfields
from graphfields import FieldsValidationError, Int, Limits, SchemaError, _orm, compile
from graphfields.django.orm import Models

from .models import Author, Comment, Post, Tag

MODELS = Models(
    [Author, Post, Comment, Tag],
    connections={
        "Author.posts": {"order_by": "created", "timestamp_field": "created", "max_first": 50},
        "Post.comments": {"timestamp_field": "at", "max_first": 50},
        "Tag.posts": {"max_first": 50},
    },
    lists=["Post.tags"],
    defaults={"Author": ["id", "name"]},
)
SCHEMA = MODELS.schema


def aware(data: Data) -> Data:
    """``data`` with its datetimes in UTC, as Django gives them back (USE_TZ)."""
    comments = [(i, t, at.replace(tzinfo=dt.timezone.utc), p, a)
                for i, t, at, p, a in data.comments]
    return Data(data.authors, data.posts, comments, data.tags, data.links)


def store(data: Data) -> None:
    """Replace every row with ``data``'s (aware datetimes)."""
    for model in (Comment, Post, Tag, Author):
        model.objects.all().delete()
    Author.objects.bulk_create(Author(id=i, name=n) for i, n in data.authors)
    Tag.objects.bulk_create(Tag(id=i, label=lb) for i, lb in data.tags)
    Post.objects.bulk_create(Post(id=i, title=t, created=c, author_id=a)
                             for i, t, c, a in data.posts)
    Comment.objects.bulk_create(
        Comment(id=i, text=t, at=at, post_id=p, author_id=a)
        for i, t, at, p, a in data.comments)
    Post.tags.through.objects.bulk_create(
        Post.tags.through(post_id=p, tag_id=t) for p, t in data.links)


def reference(fields: str, data: Data, root: int = 1) -> Any:
    """The plain executor's answer over ``data`` as Python objects."""
    return graphfields.execute(compile(SCHEMA, "Author", fields), as_objects(data)[root])


class Queries(TestCase):
    def setUp(self) -> None:
        store(aware(fixed_data()))

    def run_counted(self, fields: str, root: Any = 1) -> tuple[Any, list[str]]:
        with CaptureQueriesContext(connection) as ctx:
            out = MODELS.execute(compile(SCHEMA, "Author", fields), root)
        return out, [q["sql"] for q in ctx.captured_queries]

    def test_queries_per_request(self) -> None:
        for fields, count in STATEMENTS:
            with self.subTest(fields=fields):
                out, queries = self.run_counted(fields)
                self.assertEqual(len(queries), count, queries)
                self.assertEqual(out, reference(fields, aware(fixed_data())))

    def test_only_the_selected_columns_are_read(self) -> None:
        _, queries = self.run_counted("id,name")
        self.assertEqual(len(queries), 1)
        self.assertIn('"blog_author"."name"', queries[0])
        _, queries = self.run_counted("posts{edges{node{title}}}")
        self.assertNotIn("name", queries[0])
        self.assertNotIn("created\" AS", queries[1])
        self.assertNotIn('"blog_post"."created",', queries[1].split("FROM")[0])

    def test_an_invalid_request_touches_no_table(self) -> None:
        for fields in ("nme", "posts.first(1000)", 'posts.after("bad")'):
            with self.subTest(fields=fields), CaptureQueriesContext(connection) as ctx:
                with self.assertRaises(FieldsValidationError):
                    MODELS.execute(compile(SCHEMA, "Author", fields), 1)
                self.assertEqual(ctx.captured_queries, [])

    def test_a_level_of_more_keys_than_one_in_list_takes_more_queries(self) -> None:
        fields = "posts{edges{node{comments.first(2){edges{node{id}}},tags{label}}}}"
        with mock.patch.object(_orm, "IN_LIMIT", 3):  # 4 posts: two queries a level
            out, queries = self.run_counted(fields)
        self.assertEqual(len(queries), 1 + 1 + 2 + 2)
        self.assertEqual(out, reference(fields, aware(fixed_data())))

    def test_missing_root_and_empty_levels(self) -> None:
        self.assertEqual(self.run_counted("posts{edges{node{id}}}", root=99)[0], None)
        out, queries = self.run_counted("posts{edges{node{comments{edges{node{id}}}}}}", 3)
        self.assertEqual(out, {"posts": {"edges": []}})
        self.assertEqual(len(queries), 2)

    def test_roots_by_instance_and_by_queryset(self) -> None:
        plan = compile(SCHEMA, "Author", "name,posts.first(1){edges{node{title}}}")
        by_instance = MODELS.execute(plan, Author.objects.get(pk=2))
        self.assertEqual(by_instance, MODELS.execute(plan, 2))
        with CaptureQueriesContext(connection) as ctx:
            many = MODELS.execute_all(plan, Author.objects.filter(id__lt=3).order_by("-id"))
        self.assertEqual([a["name"] for a in many], ["bob", "ann"])
        self.assertEqual(many[0], by_instance)
        self.assertEqual(len(ctx.captured_queries), 2)
        with self.assertRaises(TypeError):
            MODELS.execute_all(plan, Post.objects.all())

    async def test_async(self) -> None:
        fields = "name,posts.first(2){edges{cursor,node{title,author{name}}}}"
        plan = compile(SCHEMA, "Author", fields)
        one = await MODELS.execute_async(plan, 1)
        self.assertEqual(one, reference(fields, aware(fixed_data())))
        many = await MODELS.execute_all_async(plan, Author.objects.order_by("id"))
        self.assertEqual([a["name"] for a in many], ["ann", "bob", "cy"])
        self.assertEqual(many[0], one)
        self.assertIsNone(await MODELS.execute_async(plan, 99))

    def test_the_plain_executor_over_model_instances(self) -> None:
        """The types read model instances too (related managers, one query each)."""
        fields = ("name,posts.first(2){edges{node{title,tags{label},"
                  "comments.last(1){edges{node{text}}}}}}")
        plan = compile(SCHEMA, "Author", fields)
        self.assertEqual(graphfields.execute(plan, Author.objects.get(pk=1)),
                         MODELS.execute(plan, 1))

    def test_first_n_per_parent_over_many_parents(self) -> None:
        posts = [(i, f"p{i}", i, 1) for i in range(1, 31)]
        comments: list[tuple[int, str, dt.datetime, int, int | None]] = [
            (100 * p + j, "x", T0 + dt.timedelta(seconds=j), p, 1)
            for p in range(1, 31) for j in range(p % 7)]
        data = aware(Data([(1, "a")], posts, comments, [], []))
        store(data)
        fields = ("posts.first(30){edges{node{id,comments.first(3){page_info{has_next_page,"
                  "has_previous_page},edges{cursor,node{id}}}}}}")
        out = MODELS.execute(compile(SCHEMA, "Author", fields), 1)
        self.assertEqual(out, reference(fields, data))
        assert out is not None
        sizes = [len(e["node"]["comments"]["edges"]) for e in out["posts"]["edges"]]
        self.assertEqual(sizes, [min(p % 7, 3) for p in range(30, 0, -1)])


class Declarations(TestCase):
    def test_types_from_models(self) -> None:
        post = SCHEMA.fields_of("Post")
        self.assertEqual({n: (f.kind, f.is_list) for n, f in post.items()}, {
            "id": ("scalar", False), "title": ("scalar", False), "created": ("scalar", False),
            "author_id": ("scalar", False), "author": ("object", False),
            "comments": ("connection", False), "tags": ("object", True),
        })
        self.assertIs(post["id"].scalar, graphfields.ID)
        self.assertIs(post["created"].scalar, Int)
        self.assertIs(SCHEMA.fields_of("Comment")["at"].scalar, graphfields.Datetime)
        self.assertEqual(set(SCHEMA.fields_of("Tag")), {"id", "label", "posts"})

    def test_errors(self) -> None:
        cases: list[tuple[dict[str, Any], str]] = [
            ({"connections": {"Author.post": {}}},
             '"Author.post" is not a mapped attribute. Did you mean "Author.posts"?'),
            ({"connections": {"Post.author": {}}}, "Post.author is a single object"),
            ({"connections": {"Author.posts": {"timestamp_field": "title"}}},
             'timestamp_field "title" must be'),
            ({"lists": ["Author.posts"], "connections": {"Author.posts": {}}},
             "both a list and a connection"),
        ]
        for kwargs, message in cases:
            with self.subTest(kwargs=kwargs), self.assertRaises(SchemaError) as err:
                Models([Author, Post, Comment, Tag], **kwargs)
            self.assertIn(message, str(err.exception))
        with self.assertRaisesRegex(SchemaError, "Post.comments refers to Comment"):
            Models([Author, Post, Tag])
        with self.assertRaisesRegex(SchemaError, "is not a Django model"):
            Models([int])


class Differential(HypothesisTestCase):
    """Random rows and random requests: the ORM's answer is the plain executor's."""

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=datasets(), fields=requests())
    def test_equals_the_plain_executor(self, data: Data, fields: str) -> None:
        try:
            plan = compile(SCHEMA, "Author", fields, limits=Limits(max_nodes=10**9))
        except FieldsValidationError as exc:
            self.assertIn("Invalid date range", str(exc))
            return
        data = aware(data)
        store(data)
        objects = as_objects(data)
        for author, _ in data.authors:
            self.assertEqual(MODELS.execute(plan, author),
                             graphfields.execute(plan, objects[author]), (fields, author))
