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
from blog_data import STATEMENTS, T0, Data, as_objects, datasets, fixed_data, requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqla_models import (
    MODELS,
    SCHEMA,
    Author,
    Base,
    Comment,
    Counter,
    Post,
    Tag,
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
    _orm,
    compile,
)
from graphfields._orm import Bounds, row_maker
from graphfields.relay import slice_page
from graphfields.sqlalchemy import Models


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


def test_the_page_strategy_per_dialect(session: orm.Session) -> None:
    """Forward pages: LATERAL on PostgreSQL, a ROW_NUMBER() window elsewhere; pages that
    need the collection's size (last, before): the window with COUNT(*) everywhere."""
    counter = Counter(session.get_bind())  # type: ignore[arg-type]
    for fields in ('posts.first(2).after("YXJyYXljb25uZWN0aW9uOjA="){edges{node{id}}}',
                   "posts.last(2){edges{node{id}}}"):
        MODELS.execute(session, compile(SCHEMA, "Author", fields), 1)
    forward, backward = (s.upper() for s in counter.statements[1::2])
    postgres = session.get_bind().dialect.name == "postgresql"
    assert ("LATERAL" in forward) == postgres and "ROW_NUMBER()" in forward
    assert "ROW_NUMBER()" in backward and "COUNT(*)" in backward


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


def test_a_level_of_more_keys_than_one_in_list_takes_more_statements(
        session: orm.Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_orm, "IN_LIMIT", 3)  # 4 posts: their comments in two statements
    fields = "posts{edges{node{comments.first(2){edges{node{id}}},tags{label}}}}"
    out, statements = run(session, fields)
    assert statements == 1 + 1 + 2 + 2
    assert out == reference(fields, fixed_data())


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
    post = SCHEMA.fields_of("Post")
    assert {n: (f.kind, f.is_list) for n, f in post.items()} == {
        "id": ("scalar", False), "title": ("scalar", False), "created": ("scalar", False),
        "author_id": ("scalar", False), "author": ("object", False),
        "comments": ("connection", False), "tags": ("object", True),
    }
    assert post["id"].scalar is graphfields.ID
    assert post["created"].scalar is Int
    assert SCHEMA.fields_of("Comment")["at"].scalar is graphfields.Datetime
    comments = post["comments"].connection
    assert comments is not None and comments.max_first == 50
    assert SCHEMA.type("Author").defaults == ("id", "name")
    assert SCHEMA.type("Tag").defaults == ("id",)


def test_overrides_and_exclusions() -> None:
    m = Models([Author, Post, Comment, Tag], scalars={"Post.id": Int}, exclude=["Author.name"],
               lists=[Author.posts])
    assert m.schema.fields_of("Post")["id"].scalar is Int
    assert "name" not in m.schema.fields_of("Author")
    assert m.schema.fields_of("Author")["posts"].is_list


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
    class Other(orm.DeclarativeBase):
        pass

    other_author = type("Author", (Other,), {
        "__tablename__": "author", "__annotations__": {"id": "orm.Mapped[int]"},
        "id": orm.mapped_column(primary_key=True)})
    with pytest.raises(SchemaError, match='two models are named "Author"'):
        Models([Author, Post, Comment, Tag, other_author])


def test_a_relationship_with_a_filtered_join_is_refused() -> None:
    class Local(orm.DeclarativeBase):
        pass

    class Writer(Local):
        __tablename__ = "writer"
        id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
        drafts: orm.Mapped[list[Draft]] = orm.relationship(
            primaryjoin="and_(Writer.id == Draft.writer_id, Draft.public == False)",
            viewonly=True)

    class Draft(Local):
        __tablename__ = "draft"
        id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
        public: orm.Mapped[bool]
        writer_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("writer.id"))

    with pytest.raises(SchemaError, match=r"Writer\.drafts: its join condition has more"):
        Models([Writer, Draft])
    assert "drafts" not in Models([Writer, Draft], exclude=["Writer.drafts"]).types[
        "Writer"].declared


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


def test_composite_keys(engine: sa.Engine) -> None:
    """Relationships on two-column keys: tuple IN for the lists, pages and objects."""

    class Local(orm.DeclarativeBase):
        pass

    class Shelf(Local):
        __tablename__ = "shelf"
        room: orm.Mapped[int] = orm.mapped_column(primary_key=True)
        row: orm.Mapped[int] = orm.mapped_column(primary_key=True)
        label: orm.Mapped[str]
        books: orm.Mapped[list[Book]] = orm.relationship(back_populates="shelf",
                                                         order_by="Book.id.desc()")

    class Book(Local):
        __tablename__ = "book"
        __table_args__ = (sa.ForeignKeyConstraint(["room", "row"], ["shelf.room", "shelf.row"]),)
        id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
        title: orm.Mapped[str]
        room: orm.Mapped[int]
        row: orm.Mapped[int]
        shelf: orm.Mapped[Shelf] = orm.relationship(back_populates="books")

    Local.metadata.create_all(engine)
    models = Models([Shelf, Book])
    with orm.Session(engine) as s:
        s.add_all([Shelf(room=1, row=1, label="a"), Shelf(room=1, row=2, label="b")])
        s.add_all([Book(id=i, title=f"t{i}", room=1, row=1 + i % 2) for i in range(1, 6)])
        s.commit()
        counter = Counter(engine)
        fields = "label,books.first(2){page_info{has_next_page},edges{node{title,shelf{label}}}}"
        out = models.execute_all(s, compile(models.schema, "Shelf", fields),
                                 sa.select(Shelf).order_by(Shelf.row))
        statements = len(counter.statements)
        expected = [graphfields.execute(compile(models.schema, "Shelf", fields), shelf)
                    for shelf in s.scalars(sa.select(Shelf).order_by(Shelf.row))]
    assert statements == 3
    assert out == expected
    assert [[e["node"]["title"] for e in o["books"]["edges"]] for o in out] == [
        ["t4", "t2"], ["t5", "t3"]]
    Local.metadata.drop_all(engine)


def test_row_maker_takes_the_first_values_under_their_keys() -> None:
    make = row_maker(("id", "it's", 'a"b'))
    assert make((1, 2, 3, "join key", 0)) == {"id": 1, "it's": 2, 'a"b': 3}
    assert row_maker(())((1,)) == {}


# -- the differential test: random data, random requests -----------------------------------

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
