"""strawberry-sqlalchemy-mapper on the blog of bench_sqlalchemy, for its table.

Runs in its own virtualenv (``.venv/strawberry``, made by ``make bench``): the mapper needs
graphql-core 3.3, the project pins 3.2. Usage: ``python -m benchmarks.strawberry_blog URL
ROUNDS`` prints one JSON object: statements, median seconds per request, and how many of
the posts got their own first 20 comments (the per-parent correctness the issue measured).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from typing import Any

import sqlalchemy as sa
import strawberry
from sqlalchemy import orm
from strawberry_sqlalchemy_mapper import StrawberrySQLAlchemyLoader, StrawberrySQLAlchemyMapper

import graphfields
from benchmarks.bench_sqlalchemy import AUTHOR, PLAN, Author, Comment, Post

QUERY = "{ author(id: " + str(AUTHOR) + """) { name posts(first: 100) { edges { node {
  author { name } comments(first: 20) { edges { node { author { name } } } } } } } } }"""

mapper = StrawberrySQLAlchemyMapper()


@mapper.type(Author)
class AuthorType:
    pass


@mapper.type(Post)
class PostType:
    pass


@mapper.type(Comment)
class CommentType:
    pass


@strawberry.type
class Query:
    @strawberry.field
    def author(self, info: strawberry.Info, id: int) -> AuthorType:
        author: AuthorType = info.context["session"].get(Author, id)
        return author


mapper.finalize()
SCHEMA = strawberry.Schema(query=Query)


def request(engine: sa.Engine) -> dict[str, Any]:
    with orm.Session(engine) as session:
        context = {"session": session, "sqlalchemy_loader": StrawberrySQLAlchemyLoader(
            bind=session)}
        result = asyncio.run(SCHEMA.execute(QUERY, context_value=context))
    if result.errors:
        raise RuntimeError(result.errors[0])
    assert result.data is not None
    data: dict[str, Any] = result.data["author"]
    return data


def main(url: str, rounds: int) -> None:
    engine = sa.create_engine(url)
    seen: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    out = request(engine)
    statements = len(seen)
    with orm.Session(engine) as session:
        expected = graphfields.execute(PLAN, session.get(Author, AUTHOR))
    # Per post (matched by position, as graphfields orders them: newest first), whether
    # its comment page has the comments the plain executor gives.
    got = [len(e["node"]["comments"]["edges"]) for e in out["posts"]["edges"]]
    want = [len(e["node"]["comments"]["edges"]) for e in expected["posts"]["edges"]]
    right = sum(1 for g, w in zip(got, want, strict=False) if g == w)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        request(engine)
        times.append(time.perf_counter() - start)
    print(json.dumps({
        "statements": statements, "seconds": statistics.median(times),
        "posts": len(got), "expected_posts": len(want), "right_pages": right,
        "comments": sum(got), "expected_comments": sum(want),
    }))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
