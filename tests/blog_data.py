"""The blog data both ORM push-downs are tested on, independent of any ORM.

Authors write posts (a connection by ``created``, Int UNIX seconds), posts have comments (a
connection by ``at``, a datetime) and tags (many-to-many: a list on posts, a connection on
tags). :class:`Data` holds rows as tuples; :func:`as_objects` builds the plain-object graph
the plain executor reads, every collection in the order its connection declares (newest
first, then highest id; a post's tags by id), so an ORM's answer must equal the plain one.
:func:`datasets` and :func:`requests` are the Hypothesis strategies of the differential
tests: random rows, and random requests on ``Author`` (nested pages, cursors forwards and
backwards, date filters, aliases).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from hypothesis import strategies as st

from graphfields.relay import encode_cursor

# Requests on author 1 of fixed_data() and the statements each runs: the root row, then
# one per relationship of the request (the same for every ORM push-down).
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


T0 = dt.datetime(2024, 1, 1)
SECONDS = int((T0 - dt.datetime(1970, 1, 1)).total_seconds())


@dataclass
class Data:
    """Rows as tuples: (id, name); (id, title, created, author_id); (id, text, at, post_id,
    author_id); (id, label); (post_id, tag_id)."""

    authors: Sequence[tuple[int, str]]
    posts: Sequence[tuple[int, str, int, int]]
    comments: Sequence[tuple[int, str, dt.datetime, int, int | None]]
    tags: Sequence[tuple[int, str]]
    links: Sequence[tuple[int, int]]


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
    """Mostly the shapes clients send (first or limit, after, offset forwards; last,
    before backwards), now and then any mix; date filters on a third of the connections
    that have them."""
    n, cursor = st.integers(0, 4), st.integers(0, 6).map(encode_cursor)
    shape = draw(st.sampled_from(["forward", "forward", "backward", "backward", "none", "mix"]))
    calls = []
    if shape == "forward" or (shape == "mix" and draw(st.booleans())):
        calls.append(f".{draw(st.sampled_from(['first', 'first', 'limit']))}({draw(n)})")
    if shape in ("forward", "mix") and draw(st.integers(0, 2)) == 0:
        calls.append(f".offset({draw(st.integers(0, 3))})")
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
