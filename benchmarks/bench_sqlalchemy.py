"""A nested request over SQLAlchemy 2: graphfields.sqlalchemy against hand-written batching.

The blog schema of issue 9 (200 authors, 2,000 posts, 12,000 comments; the measured author
has 150 posts, with 0 to 30 comments each) and the request
``author -> posts.first(100){author{name}, comments.first(20){author{name}}}``, over SQLite
(a file) and PostgreSQL (a throwaway cluster from tests/pgcluster.py, when installed):

- ``graphfields``: ``Models.execute`` (statements by level, per-parent pages), then
  ``graphfields.execute`` over the loaded rows;
- ``hand-written batched``: the same batching written out for this one request with
  SQLAlchemy Core (the practical limit): one statement per level, ``ROW_NUMBER()`` for
  the per-post comment pages, the output built directly from the rows; its statements
  built per request as such code usually is, and (``built once``) prepared at import;
- ``naive ORM``: ``graphfields.execute`` over the ORM objects, lazy loading (N+1);
- ``strawberry-sqlalchemy-mapper`` (benchmarks/strawberry_blog.py, in its own virtualenv,
  when it installs): the same request in GraphQL, with its answer's correctness.

Each request gets a new Session (nothing cached between requests). Statements are counted
with SQLAlchemy's ``before_cursor_execute``; every answer is checked equal to the plain
executor over the same rows as Python objects. Run: ``python -m benchmarks sqlalchemy``.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

import graphfields
from benchmarks._timing import interleaved_medians
from graphfields.sqlalchemy import Models

__all__ = ["main"]

REQUEST = ("name,posts.first(100){edges{node{author{name},"
           "comments.first(20){edges{node{author{name}}}}}}}")
AUTHOR = 1


class Base(orm.DeclarativeBase):
    pass


class Author(Base):
    __tablename__ = "author"
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    name: orm.Mapped[str]
    posts: orm.Mapped[list[Post]] = orm.relationship(
        back_populates="author", order_by="(Post.created.desc(), Post.id.desc())")


class Post(Base):
    __tablename__ = "post"
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    title: orm.Mapped[str]
    created: orm.Mapped[int]
    author_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("author.id"), index=True)
    author: orm.Mapped[Author] = orm.relationship(back_populates="posts")
    comments: orm.Mapped[list[Comment]] = orm.relationship(
        order_by="(Comment.created.desc(), Comment.id.desc())")


class Comment(Base):
    __tablename__ = "comment"
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    text: orm.Mapped[str]
    created: orm.Mapped[int]
    post_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("post.id"), index=True)
    author_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("author.id"))
    author: orm.Mapped[Author] = orm.relationship()


MODELS = Models([Author, Post, Comment], connections={
    "Author.posts": {"order_by": "created", "timestamp_field": "created", "max_first": 100},
    "Post.comments": {"order_by": "created", "timestamp_field": "created", "max_first": 100},
})
PLAN = graphfields.compile(MODELS.schema, "Author", REQUEST)


def fill(engine: sa.Engine) -> None:
    """200 authors, 2,000 posts (150 by author 1), 12,000 comments."""
    rng = random.Random(9)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    authors = [{"id": i, "name": f"author {i}"} for i in range(1, 201)]
    posts = [{"id": i, "title": f"post {i}", "created": 1_600_000_000 + rng.randrange(10**6),
              "author_id": AUTHOR if i <= 150 else rng.randrange(2, 201)}
             for i in range(1, 2001)]
    per_post = [rng.randrange(31) if i <= 150 else 0 for i in range(1, 2001)]
    rest = 12_000 - sum(per_post)
    for _ in range(rest):
        per_post[rng.randrange(150, 2000)] += 1
    comments: list[dict[str, Any]] = []
    for pid, count in enumerate(per_post, 1):
        for _ in range(count):
            comments.append({"id": len(comments) + 1, "text": "nice", "post_id": pid,
                             "created": 1_600_000_000 + rng.randrange(10**6),
                             "author_id": rng.randrange(1, 201)})
    with engine.begin() as conn:
        conn.execute(sa.insert(Author), authors)
        conn.execute(sa.insert(Post), posts)
        conn.execute(sa.insert(Comment), comments)


def _statements() -> tuple[Any, ...]:
    """The five statements of the request, with its values as parameters."""
    a, p, c = Author.__table__.c, Post.__table__.c, Comment.__table__.c
    names = sa.select(a.id, a.name).where(a.id.in_(sa.bindparam("ids", expanding=True)))
    rank = sa.func.row_number().over(partition_by=c.post_id,
                                     order_by=(c.created.desc(), c.id.desc())).label("rank")
    ranked = sa.select(c.post_id, c.author_id, rank).where(
        c.post_id.in_(sa.bindparam("posts", expanding=True))).subquery()
    return (
        sa.select(a.name).where(a.id == sa.bindparam("author")),
        sa.select(p.id, p.author_id).where(p.author_id == sa.bindparam("author"))
        .order_by(p.created.desc(), p.id.desc()).limit(sa.bindparam("first")),
        names,
        sa.select(ranked.c.post_id, ranked.c.author_id).where(
            ranked.c.rank <= sa.bindparam("per_post")).order_by(ranked.c.post_id, ranked.c.rank),
    )


PREPARED = _statements()


def hand_written(session: orm.Session, author_id: int, *, prepared: bool = False
                 ) -> dict[str, Any]:
    """The batching written out for exactly this request: the five statements built per
    request as SQLAlchemy code usually is, or built once (``prepared``)."""
    author, posts_of, names_of, comments_of = PREPARED if prepared else _statements()
    run = session.execute
    name = run(author, {"author": author_id}).scalar_one()
    posts = run(posts_of, {"author": author_id, "first": 100}).all()
    post_authors: dict[int, str] = dict(run(  # type: ignore[arg-type]
        names_of, {"ids": list({row[1] for row in posts})}).all())
    comments = run(comments_of, {"posts": [row[0] for row in posts], "per_post": 20}).all()
    comment_authors: dict[int, str] = dict(run(  # type: ignore[arg-type]
        names_of, {"ids": list({row[1] for row in comments})}).all())
    by_post: dict[int, list[dict[str, Any]]] = {}
    for post_id, author_of in comments:
        by_post.setdefault(post_id, []).append(
            {"node": {"author": {"name": comment_authors[author_of]}}})
    return {"name": name, "posts": {"edges": [
        {"node": {"author": {"name": post_authors[author_of]},
                  "comments": {"edges": by_post.get(post_id, [])}}}
        for post_id, author_of in posts]}}


def contenders(engine: sa.Engine) -> dict[str, Callable[[], Any]]:
    def with_session(fn: Callable[[orm.Session], Any]) -> Callable[[], Any]:
        def run() -> Any:
            with orm.Session(engine) as session:
                return fn(session)
        return run

    return {
        "graphfields.sqlalchemy": with_session(lambda s: MODELS.execute(s, PLAN, AUTHOR)),
        "hand-written batched": with_session(lambda s: hand_written(s, AUTHOR)),
        "hand-written, built once": with_session(
            lambda s: hand_written(s, AUTHOR, prepared=True)),
        "naive ORM objects": with_session(
            lambda s: graphfields.execute(PLAN, s.get(Author, AUTHOR))),
    }


def statements(engine: sa.Engine, fn: Callable[[], Any]) -> tuple[int, Any]:
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        out = fn()
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return len(seen), out


def measure(label: str, engine: sa.Engine) -> None:
    fill(engine)
    runs = contenders(engine)
    with orm.Session(engine) as session:  # the plain executor over the same rows
        expected = graphfields.execute(PLAN, session.get(Author, AUTHOR))
    counts = {}
    for name, fn in runs.items():
        counts[name], out = statements(engine, fn)
        if out != expected:
            raise AssertionError(f"{name} gives another answer than the plain executor")
    rounds = int(os.environ.get("BENCH_ROUNDS", "40"))
    naive = runs.pop("naive ORM objects")
    medians = interleaved_medians(runs, rounds=rounds, number=2)
    medians.update(interleaved_medians({"naive ORM objects": naive}, rounds=max(rounds // 8, 3)))
    ref = medians["hand-written batched"]
    print(f"-- {label}: {REQUEST}")
    print(f"{'contender':30} {'statements':>10} {'ms/request':>11} {'vs hand-written':>16}")
    for name, t in medians.items():
        print(f"{name:30} {counts[name]:>10} {t * 1e3:>11.2f} {t / ref:>15.2f}x")
    strawberry(engine, ref, rounds)


STRAWBERRY = Path(__file__).resolve().parent.parent / ".venv" / "strawberry" / "bin" / "python"


def strawberry(engine: sa.Engine, ref: float, rounds: int) -> None:
    """The strawberry-sqlalchemy-mapper row, from its own virtualenv (make bench makes it
    when the package installs), with its per-parent correctness."""
    if not STRAWBERRY.exists():
        print("strawberry-sqlalchemy-mapper: not installed (make bench installs it into "
              ".venv/strawberry when it can)")
        return
    proc = subprocess.run(
        [str(STRAWBERRY), "-m", "benchmarks.strawberry_blog",
         engine.url.render_as_string(hide_password=False), str(max(rounds // 4, 3))],
        capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)})
    if proc.returncode != 0:
        print(f"strawberry-sqlalchemy-mapper: failed: {proc.stderr.strip()[-300:]}")
        return
    got = json.loads(proc.stdout)
    t = got["seconds"]
    print(f"{'strawberry-sqlalchemy-mapper':30} {got['statements']:>10} {t * 1e3:>11.2f} "
          f"{t / ref:>15.2f}x")
    print(f"  its answer: {got['comments']} comments in all instead of "
          f"{got['expected_comments']} (first(20) across the batch, not per post); "
          f"the comment page is right for {got['right_pages']} of {got['expected_posts']} posts")


def run_sqlite() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = sa.create_engine(f"sqlite:///{tmp}/blog.db")
        measure("SQLite (a file)", engine)
        engine.dispose()


def run_postgresql() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    import pgcluster

    try:
        cluster = pgcluster.start()
    except pgcluster.PostgresUnavailable as exc:
        print(f"-- PostgreSQL: skipped ({exc})")
        return
    try:
        engine = sa.create_engine(cluster.url.replace("postgresql://", "postgresql+psycopg://"))
        measure("PostgreSQL 15 (loopback TCP)", engine)
        engine.dispose()
    finally:
        cluster.stop()


def main() -> None:
    # Each database in a fresh interpreter: the second one in the same process crashed
    # SQLAlchemy 2.0.58's C extensions here (a segfault in a lazy load), and a fresh
    # process measures each without the other's heap.
    for backend in ("sqlite", "postgresql"):
        subprocess.run([sys.executable, "-m", "benchmarks.bench_sqlalchemy", backend],
                       check=True, cwd=Path(__file__).resolve().parent.parent)


if __name__ == "__main__":
    {"sqlite": run_sqlite, "postgresql": run_postgresql}[sys.argv[1]]()
