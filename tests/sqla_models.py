"""The blog of tests/blog_data.py as SQLAlchemy models, for the graphfields.sqlalchemy tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from blog_data import Data
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

