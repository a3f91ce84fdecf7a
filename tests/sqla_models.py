"""The blog models the graphfields.sqlalchemy tests run on, and the same rows as plain objects.

Authors write posts (a connection by ``created``, Int UNIX seconds), posts have comments
(a connection by ``at``, a DateTime) and tags (many-to-many: a list on posts, a connection
on tags). :func:`as_objects` builds the plain-object graph the plain executor reads, with
every collection in the order the connection declares, so that both answers must match.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from graphfields import Connection
from graphfields.sqlalchemy import Models


class Base(orm.DeclarativeBase):
    pass


post_tag = sa.Table(
    "post_tag", Base.metadata,
    sa.Column("post_id", sa.ForeignKey("post.id"), primary_key=True),
    sa.Column("tag_id", sa.ForeignKey("tag.id"), primary_key=True),
)


class Author(Base):
    __tablename__ = "author"
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True, autoincrement=False)
    name: orm.Mapped[str]
    posts: orm.Mapped[list[Post]] = orm.relationship(
        back_populates="author", order_by="(Post.created.desc(), Post.id.desc())")


class Post(Base):
    __tablename__ = "post"
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True, autoincrement=False)
    title: orm.Mapped[str]
    created: orm.Mapped[int]
    author_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("author.id"))
    author: orm.Mapped[Author] = orm.relationship(back_populates="posts")
    comments: orm.Mapped[list[Comment]] = orm.relationship(
        back_populates="post", order_by="(Comment.at.desc(), Comment.id.desc())")
    tags: orm.Mapped[list[Tag]] = orm.relationship(
        secondary=post_tag, back_populates="posts", order_by="Tag.id")


class Comment(Base):
    __tablename__ = "comment"
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True, autoincrement=False)
    text: orm.Mapped[str]
    at: orm.Mapped[dt.datetime]
    post_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("post.id"))
    author_id: orm.Mapped[int | None] = orm.mapped_column(sa.ForeignKey("author.id"))
    post: orm.Mapped[Post] = orm.relationship(back_populates="comments")
    author: orm.Mapped[Author | None] = orm.relationship()


class Tag(Base):
    __tablename__ = "tag"
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True, autoincrement=False)
    label: orm.Mapped[str]
    posts: orm.Mapped[list[Post]] = orm.relationship(
        secondary=post_tag, back_populates="tags", order_by="Post.id.desc()")


MODELS = Models(
    [Author, Post, Comment, Tag],
    connections={
        Author.posts: Connection("Post", order_by="created", timestamp_field="created",
                                 max_first=50),
        "Post.comments": {"timestamp_field": "at", "max_first": 50},
        "Tag.posts": {"max_first": 50},
    },
    lists=["Post.tags"],
    defaults={"Author": ["id", "name"]},
)
SCHEMA = MODELS.schema


@dataclass
class Data:
    """Rows as tuples: (id, name); (id, title, created, author_id); (id, text, at, post_id,
    author_id); (id, label); (post_id, tag_id)."""

    authors: Sequence[tuple[int, str]]
    posts: Sequence[tuple[int, str, int, int]]
    comments: Sequence[tuple[int, str, dt.datetime, int, int | None]]
    tags: Sequence[tuple[int, str]]
    links: Sequence[tuple[int, int]]


def store(session: orm.Session, data: Data) -> None:
    """Replace every row with ``data``'s."""
    for table in reversed(Base.metadata.sorted_tables):
        session.execute(table.delete())
    session.add_all(Author(id=i, name=n) for i, n in data.authors)
    session.flush()
    session.add_all(Post(id=i, title=t, created=c, author_id=a) for i, t, c, a in data.posts)
    session.add_all(Tag(id=i, label=lb) for i, lb in data.tags)
    session.flush()
    session.add_all(Comment(id=i, text=t, at=at, post_id=p, author_id=a)
                    for i, t, at, p, a in data.comments)
    session.flush()
    if data.links:
        session.execute(post_tag.insert(), [{"post_id": p, "tag_id": t} for p, t in data.links])
    session.commit()


def as_objects(data: Data) -> dict[int, Any]:
    """Authors by id, as plain objects linked like the rows (collections sorted as the
    connections declare: newest first, then highest id)."""
    authors = {i: SimpleNamespace(id=i, name=n, posts=[]) for i, n in data.authors}
    posts = {i: SimpleNamespace(id=i, title=t, created=c, author_id=a, author=authors[a],
                                comments=[], tags=[])
             for i, t, c, a in data.posts}
    tags = {i: SimpleNamespace(id=i, label=lb, posts=[]) for i, lb in data.tags}
    for p in posts.values():
        p.author.posts.append(p)
    for i, t, at, pid, aid in data.comments:
        c = SimpleNamespace(id=i, text=t, at=at, post_id=pid, author_id=aid,
                            author=None if aid is None else authors[aid], post=posts[pid])
        posts[pid].comments.append(c)
    for pid, tid in data.links:
        posts[pid].tags.append(tags[tid])
        tags[tid].posts.append(posts[pid])
    for author in authors.values():
        author.posts.sort(key=lambda p: (p.created, p.id), reverse=True)
    for p in posts.values():
        p.comments.sort(key=lambda c: (c.at, c.id), reverse=True)
        p.tags.sort(key=lambda t: t.id)
    for tag in tags.values():
        tag.posts.sort(key=lambda p: p.id, reverse=True)
    return authors


def sqlite_engine() -> sa.Engine:
    engine = sa.create_engine("sqlite://", poolclass=sa.pool.StaticPool)
    Base.metadata.create_all(engine)
    return engine


def postgres_engine(url: str) -> sa.Engine:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    Base.metadata.create_all(engine)
    return engine


class Counter:
    """The statements an engine runs, through SQLAlchemy's ``before_cursor_execute``."""

    def __init__(self, engine: sa.Engine) -> None:
        self.statements: list[str] = []
        sa.event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        self.statements.append(statement)

    def tables(self) -> set[str]:
        names = ("author", "post", "comment", "tag", "post_tag")
        return {n for s in self.statements for n in names if f" {n}" in s}

