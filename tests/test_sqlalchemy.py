"""graphfields.sqlalchemy: exact statement counts, equality with the plain executor on
random data and requests, on SQLite and PostgreSQL, with Session and AsyncSession."""

from __future__ import annotations

import asyncio
import builtins
import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqla_models import (
    MODELS,
    SCHEMA,
    Author,
    Base,
    Comment,
    Counter,
    Data,
    Post,
    Tag,
    as_objects,
    postgres_engine,
    sqlite_engine,
    store,
)
from sqlalchemy import orm

import graphfields
from graphfields import (
    Connection,
    ConnectionArgs,
    FieldsValidationError,
    Int,
    Limits,
    SchemaError,
    compile,
)
from graphfields._orm import Bounds
from graphfields.relay import encode_cursor, slice_page
from graphfields.sqlalchemy import Models

T0 = dt.datetime(2024, 1, 1)
SECONDS = int((T0 - dt.datetime(1970, 1, 1)).total_seconds())


def fixed_data() -> Data:
    """3 authors, 6 posts (author 1 has 4), comments 0..5 per post, 3 tags."""
    posts = [(10 + i, f"post {i}", 1000 + i // 2, 1 if i < 4 else 2) for i in range(6)]
    comments = []
    n = 100
    for k, (pid, *_rest) in enumerate(posts):
        for j in range(k):
            comments.append((n, f"c{n}", T0 + dt.timedelta(hours=j), pid, (n % 3) + 1))
            n += 1
    return Data(authors=[(1, "ann"), (2, "bob"), (3, "cy")], posts=posts, comments=comments,
                tags=[(1, "a"), (2, "b"), (3, "c")],
                links=[(10, 1), (10, 2), (11, 2), (12, 3), (14, 1)])


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> Iterator[sa.Engine]:
    if request.param == "sqlite":
        eng = sqlite_engine()
    else:
        eng = postgres_engine(request.getfixturevalue("postgres_url"))
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: sa.Engine) -> Iterator[orm.Session]:
    with orm.Session(engine) as s:
        store(s, fixed_data())
        yield s


def run(session: orm.Session, fields: str, root: Any = 1) -> tuple[Any, int]:
    counter = Counter(session.get_bind())  # type: ignore[arg-type]
    plan = compile(SCHEMA, "Author", fields)
    out = MODELS.execute(session, plan, root)
    sa.event.remove(session.get_bind(), "before_cursor_execute", counter._seen)
    return out, len(counter.statements)


def reference(fields: str, data: Data, root: int = 1) -> Any:
    return graphfields.execute(compile(SCHEMA, "Author", fields), as_objects(data)[root])


# (request on author 1, statements): the root row, then one per relationship of the request
STATEMENTS = [
    ("id,name", 1),
    ("name", 1),
    ("posts", 2),
    ("posts.first(2){page_info}", 2),
    ("posts.first(2){edges{node{title}}}", 2),
    ("posts{edges{node{author{name}}}}", 3),
    ("posts{edges{node{author{name},comments{edges{node{text}}}}}}", 4),
    ("posts.first(3){edges{node{author{name},comments.first(2){edges{node{author{name}}}}}}}",
     5),
    ("posts{edges{node{tags{label,posts.last(1){edges{node{title}}}}}}}", 4),
    # one relationship twice with the same calls is loaded once; other calls, once more
    ("posts.first(1).as(a){edges{node{title}}},posts.first(1).as(b){edges{node{id}}}", 2),
    ("posts.first(1).as(a){edges{node{title}}},posts.last(1).as(b){edges{node{id}}}", 3),
    ("posts{edges{node{author{name},author.as(writer){id}}}}", 3),
]


@pytest.mark.parametrize(("fields", "count"), STATEMENTS)
def test_statements_per_request(session: orm.Session, fields: str, count: int) -> None:
    out, statements = run(session, fields)
    assert statements == count
    assert out == reference(fields, fixed_data())


def test_a_selection_without_relationships_reads_only_its_table(
        session: orm.Session) -> None:
    counter = Counter(session.get_bind())  # type: ignore[arg-type]
    MODELS.execute(session, compile(SCHEMA, "Author", "id,name"), 2)
    assert counter.tables() == {"author"}
    assert "SELECT author.id, author.name" in counter.statements[0]


def test_only_the_selected_columns_and_join_keys_are_read(session: orm.Session) -> None:
    counter = Counter(session.get_bind())  # type: ignore[arg-type]
    MODELS.execute(session, compile(SCHEMA, "Author", "posts{edges{node{title}}}"), 1)
    post_sql = counter.statements[1]
    assert "post.title" in post_sql and "post.created AS" not in post_sql
    assert "author.name" not in counter.statements[0]


@pytest.mark.parametrize("fields", [
    "nme", "posts.first(1000)", 'posts.after("bad")', "posts{edges{node{nope}}}",
])
def test_an_invalid_request_touches_no_table(session: orm.Session, fields: str) -> None:
    counter = Counter(session.get_bind())  # type: ignore[arg-type]
    with pytest.raises(FieldsValidationError):
        MODELS.execute(session, compile(SCHEMA, "Author", fields), 1)
    assert counter.statements == []


def test_a_missing_root_is_none_and_an_empty_level_runs_no_statement(
        session: orm.Session) -> None:
    assert run(session, "posts{edges{node{id}}}", root=99) == (None, 1)
    out, statements = run(session, "posts{edges{node{comments{edges{node{id}}}}}}", root=3)
    assert statements == 2  # author 3 has no posts: no comment statement
    assert out == {"posts": {"edges": []}}


def test_roots_by_instance_and_by_query(session: orm.Session) -> None:
    plan = compile(SCHEMA, "Author", "name,posts.first(1){edges{node{title}}}")
    by_instance = MODELS.execute(session, plan, session.get(Author, 2))
    assert by_instance == MODELS.execute(session, plan, 2)
    counter = Counter(session.get_bind())  # type: ignore[arg-type]
    many = MODELS.execute_all(session, plan,
                              sa.select(Author).where(Author.id < 3).order_by(Author.id.desc()))
    assert [a["name"] for a in many] == ["bob", "ann"]
    assert many[0] == by_instance
    assert len(counter.statements) == 2  # the authors, then all their posts at once


def test_the_plain_executor_over_orm_objects_gives_the_same_answer(
        session: orm.Session) -> None:
    """The types read ORM objects too (attribute by attribute: the N+1 way)."""
    fields = "name,posts.first(2){edges{node{title,comments.last(1){edges{node{text}}}}}}"
    plan = compile(SCHEMA, "Author", fields)
    assert graphfields.execute(plan, session.get(Author, 1)) == MODELS.execute(
        session, plan, 1)


def test_async_session(engine: sa.Engine) -> None:
    from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

    url = engine.url
    if url.get_backend_name() == "sqlite":
        async_url: Any = "sqlite+aiosqlite://"
    else:
        async_url = url.set(drivername="postgresql+psycopg")
    fields = ("name,posts.first(2){page_info{has_next_page},edges{cursor,node{title,"
              "comments.first(1){edges{node{text,author{name}}}}}}}")

    async def main() -> tuple[Any, list[Any], int]:
        aengine = create_async_engine(async_url, poolclass=sa.pool.StaticPool)
        async with aengine.begin() as conn:
            if url.get_backend_name() == "sqlite":
                await conn.run_sync(Base.metadata.create_all)
                await conn.run_sync(lambda c: store(orm.Session(c), fixed_data()))
        counter = Counter(aengine.sync_engine)
        plan = compile(SCHEMA, "Author", fields)
        async with AsyncSession(aengine) as s:
            one = await MODELS.execute_async(s, plan, 1)
            many = await MODELS.execute_all_async(s, plan, sa.select(Author).order_by(Author.id))
        await aengine.dispose()
        return one, many, len(counter.statements)

    if url.get_backend_name() != "sqlite":
        with orm.Session(engine) as s:
            store(s, fixed_data())
    one, many, statements = asyncio.run(main())
    assert one == reference(fields, fixed_data())
    assert [m["name"] for m in many] == ["ann", "bob", "cy"] and many[0] == one
    assert statements == 4 + 4


# -- declaring types ----------------------------------------------------------------------

def test_types_from_mapped_classes() -> None:
    post = SCHEMA.type("Post")
    assert {n: (f.kind, f.is_list) for n, f in post.fields.items()} == {
        "id": ("scalar", False), "title": ("scalar", False), "created": ("scalar", False),
        "author_id": ("scalar", False), "author": ("object", False),
        "comments": ("connection", False), "tags": ("object", True),
    }
    assert post.fields["id"].scalar is graphfields.ID
    assert post.fields["created"].scalar is Int
    assert SCHEMA.type("Comment").fields["at"].scalar is graphfields.Datetime
    comments = post.fields["comments"].connection
    assert comments is not None and comments.max_first == 50
    assert SCHEMA.type("Author").defaults == ("id", "name")
    assert SCHEMA.type("Tag").defaults == ("id",)


def test_overrides_and_exclusions() -> None:
    m = Models([Author, Post, Comment, Tag], scalars={"Post.id": Int}, exclude=["Author.name"],
               lists=[Author.posts])
    assert m.types["Post"].fields["id"].scalar is Int
    assert "name" not in m.types["Author"].fields
    assert m.types["Author"].fields["posts"].is_list


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"connections": {"Author.post": {}}},
     'connections: "Author.post" is not a mapped attribute. Did you mean "Author.posts"?'),
    ({"connections": {"Post.author": {}}}, "Post.author is a single object"),
    ({"connections": {"Author.posts": {"max_frist": 3}}}, "Author.posts: "),
    ({"connections": {"Author.posts": Connection("Comment")}},
     "the connection's node is \"Comment\""),
    ({"connections": {"Author.posts": {"timestamp_field": "title"}}},
     'timestamp_field "title" must be'),
    ({"lists": ["Author.posts"], "connections": {"Author.posts": {}}},
     "both a list and a connection"),
])
def test_declaration_errors(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(SchemaError, match=None) as err:
        Models([Author, Post, Comment, Tag], **kwargs)
    assert message in str(err.value)


def test_a_relationship_to_a_class_left_out_is_an_error() -> None:
    with pytest.raises(SchemaError, match=r'Post\.comments refers to Comment, which is not'):
        Models([Author, Post])
    with pytest.raises(SchemaError, match="is not a mapped class"):
        Models([int])


def test_a_plan_of_another_schema_is_refused(session: orm.Session) -> None:
    other = Models([Author, Post, Comment, Tag])
    with pytest.raises(SchemaError, match="which these Models did not build"):
        MODELS.execute(session, compile(other.schema, "Author", "id"), 1)
    with pytest.raises(ValueError, match="primary key of 1 column"):
        MODELS.execute(session, compile(SCHEMA, "Author", "id"), (1, 2))


# -- page bounds: a superset of the window that always tells the total ----------------------

@given(total=st.integers(0, 12), first=st.none() | st.integers(0, 6),
       last=st.none() | st.integers(0, 6), after=st.none() | st.integers(-1, 14),
       before=st.none() | st.integers(0, 14), offset=st.integers(0, 4))
def test_bounds_keep_the_page_and_a_row_of_every_non_empty_parent(
        total: int, first: int | None, last: int | None, after: int | None,
        before: int | None, offset: int) -> None:
    args = ConnectionArgs(first=first, last=last, after=after, before=before, offset=offset)
    bounds = Bounds.of(args)
    kept = [pos for pos in range(total) if bounds.keeps(pos, total)]
    expected = slice_page(list(range(total)), first, last, after, before, offset=offset)
    assert set(expected.nodes) <= set(kept)
    assert bool(kept) == (total > 0)
    assert len(kept) <= len(expected.nodes) + 2
    page = bounds.cut(kept[::-1], total if bounds.counted else None, int)
    assert (page.nodes, page.has_next_page, page.has_previous_page) == (
        expected.nodes, expected.has_next_page, expected.has_previous_page)
    assert page.offset == expected.offset or not page.nodes


# -- the differential test: random data, random requests -----------------------------------

@st.composite
def datasets(draw: st.DrawFn) -> Data:
    n_authors = draw(st.integers(1, 4))
    authors = [(i, f"author{i}") for i in range(1, n_authors + 1)]
    author_ids = st.sampled_from([a for a, _ in authors])
    posts = [(i, f"p{i}", draw(st.integers(0, 4)), draw(author_ids))
             for i in range(1, draw(st.integers(0, 9)) + 1)]
    comments: list[tuple[int, str, dt.datetime, int, int | None]] = []
    if posts:
        post_ids = st.sampled_from([p for p, *_ in posts])
        for i in range(1, draw(st.integers(0, 25)) + 1):
            at = T0 + dt.timedelta(seconds=draw(st.integers(0, 5)))
            comments.append((i, f"c{i}", at, draw(post_ids), draw(st.none() | author_ids)))
    tags = [(i, f"t{i}") for i in range(1, draw(st.integers(0, 3)) + 1)]
    links = sorted({(p, t) for p, *_ in posts for t, _ in tags if draw(st.booleans())})
    return Data(authors, posts, comments, tags, links)


def _calls(draw: st.DrawFn, dated: str | None, base: int) -> str:
    """Mostly the shapes clients send (first/after forwards, last/before backwards), now
    and then any mix; date filters on a third of the connections that have them."""
    n, cursor = st.integers(0, 4), st.integers(0, 6).map(encode_cursor)
    shape = draw(st.sampled_from(["forward", "forward", "backward", "backward", "none", "mix"]))
    calls = []
    if shape == "forward" or (shape == "mix" and draw(st.booleans())):
        calls.append(f".first({draw(n)})")
    if shape == "backward" or (shape == "mix" and draw(st.booleans())):
        calls.append(f".last({draw(n)})")
    if (shape == "forward" or shape == "mix") and draw(st.booleans()):
        calls.append(f'.after("{draw(cursor)}")')
    if (shape == "backward" or shape == "mix") and draw(st.booleans()):
        calls.append(f'.before("{draw(cursor)}")')
    if dated and draw(st.integers(0, 2)) == 0:
        low = draw(st.integers(0, 5))
        calls.append(f".from_timestamp({base + low})")
        if draw(st.booleans()):
            calls.append(f".to_timestamp({base + draw(st.integers(low, 5))})")
    return "".join(draw(st.permutations(calls)))


def _connection(draw: st.DrawFn, name: str, node: str, dated: str | None, base: int) -> str:
    parts = []
    if draw(st.booleans()):
        parts.append("page_info")
    parts.append("edges{" + ("cursor," if draw(st.booleans()) else "") + f"node{{{node}}}}}")
    return f"{name}{_calls(draw, dated, base)}{{{','.join(draw(st.permutations(parts)))}}}"


@st.composite
def requests(draw: st.DrawFn) -> str:
    def comment_fields() -> str:
        out = ["text"] if draw(st.booleans()) else ["id"]
        if draw(st.booleans()):
            out.append("at")
        if draw(st.booleans()):
            out.append("author{name}" if draw(st.booleans()) else "author")
        return ",".join(out)

    def post_fields(depth: int) -> str:
        out = [draw(st.sampled_from(["id", "title", "created,title"]))]
        if draw(st.booleans()):
            out.append("author{name}")
        for i in range(draw(st.integers(0, 2))):
            conn = _connection(draw, "comments", comment_fields(), "at", SECONDS)
            out.append(conn.replace("{", f".as(c{i}){{", 1) if i else conn)
        if depth < 2 and draw(st.booleans()):
            inner = _connection(draw, "posts", post_fields(depth + 1), None, 0)
            out.append(f"tags{{label,{inner}}}")
        return ",".join(out)

    fields = [draw(st.sampled_from(["id", "name", "id,name"]))]
    for i in range(draw(st.integers(1, 2))):
        conn = _connection(draw, "posts", post_fields(0), "created", 0)
        fields.append(conn.replace("{", f".as(p{i}){{", 1) if i else conn)
    return ",".join(fields)


def _differential(engine: sa.Engine, data: Data, fields: str) -> None:
    try:
        plan = compile(SCHEMA, "Author", fields, limits=Limits(max_nodes=10**9))
    except FieldsValidationError as exc:
        assert "Invalid date range" in str(exc), exc
        return
    with orm.Session(engine) as s:
        store(s, data)
        for author, _ in data.authors:
            expected = graphfields.execute(plan, as_objects(data)[author])
            assert MODELS.execute(s, plan, author) == expected, (fields, author)


DIFF = settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow,
                                                         HealthCheck.function_scoped_fixture])


@DIFF
@given(data=datasets(), fields=requests())
def test_differential_sqlite(data: Data, fields: str) -> None:
    _differential(_SQLITE, data, fields)


_SQLITE = sqlite_engine()


@settings(DIFF, max_examples=25)
@given(data=datasets(), fields=requests())
def test_differential_postgresql(postgres_engine_: sa.Engine, data: Data, fields: str) -> None:
    _differential(postgres_engine_, data, fields)


@pytest.fixture(scope="module")
def postgres_engine_(postgres_server: str) -> Iterator[sa.Engine]:
    import psycopg

    name = "sqla_differential"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    eng = postgres_engine(postgres_server.rpartition("/")[0] + "/" + name)
    yield eng
    eng.dispose()


def test_first_n_per_parent_over_many_parents(engine: sa.Engine) -> None:
    """The case a peer got wrong: first(n) applies per parent, not across the batch."""
    posts = [(i, f"p{i}", i, 1) for i in range(1, 31)]
    comments = [(100 * p + j, "x", T0 + dt.timedelta(seconds=j), p, 1)
                for p in range(1, 31) for j in range(p % 7)]
    data = Data([(1, "a")], posts, comments, [], [])
    fields = ("posts.first(30){edges{node{id,comments.first(3){page_info{has_next_page,"
              "has_previous_page},edges{cursor,node{id}}}}}}")
    with orm.Session(engine) as s:
        store(s, data)
        out = MODELS.execute(s, compile(SCHEMA, "Author", fields), 1)
    assert out == reference(fields, data)
    assert out is not None
    sizes = [len(e["node"]["comments"]["edges"]) for e in out["posts"]["edges"]]
    assert sizes == [min(p % 7, 3) for p in range(30, 0, -1)]



def test_readme_sqlalchemy_example_runs() -> None:
    from test_execute_readme import _section

    blocks = re.findall(r"```python\n(.*?)```", _section("SQL push-down: SQLAlchemy"), re.S)
    assert blocks, "no python example under the heading"
    for block in blocks:
        code = builtins.compile(block, "README.md", "exec", dont_inherit=True)
        exec(code, {"__name__": "readme_example"})
