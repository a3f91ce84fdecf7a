"""Comment pages of many posts in one store call: equal to the per-post path, few queries."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphfields.instagram.backend import COMMENT_COLS, comment_dicts
from graphfields.instagram.dataset import import_dataset
from graphfields.instagram.service import InstagramService
from graphfields.instagram.shortcode import make_media_id
from graphfields.instagram.sqlite_store import SQLiteStore
from graphfields.schema import ConnectionArgs

NOW = 1_560_430_000
T0 = 1_550_000_000
N_POSTS = 9


def _dataset(n_posts: int = N_POSTS, comments: Any = None) -> dict[str, Any]:
    """One user; post ``i`` has ``comments(i)`` comments (default ``i + i % 3``, so one
    has none), timestamps not in order, so the date filter is a real filter."""
    count = comments or (lambda i: i + i % 3)
    media: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    for i in range(n_posts):
        ts = T0 + 3600 * i
        mid = str(make_media_id(ts, shard=i))
        media.append({"id": mid, "owner_id": "1", "timestamp": ts, "location_id": "7"})
        rows += [
            {"id": f"{mid}-{c}", "parent_id": mid, "timestamp": T0 + (c * 7919 + i * 31) % 97,
             "text": f"c{c}", "owner_id": str(2 + c % 3)}
            for c in range(count(i))
        ]  # fmt: skip
    users = [{"id": str(u), "username": f"user{u}"} for u in range(1, 5)]
    locations = [{"id": "7", "name": "Lisbon"}]
    return {"users": users, "locations": locations, "media": media, "comments": rows}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SQLiteStore]:
    s = SQLiteStore(tmp_path_factory.mktemp("comments") / "ig.db")
    import_dataset(s, _dataset(), now=NOW)
    yield s
    s.close()


def _ids(store: SQLiteStore) -> list[str]:
    return [r[0] for r in store.connection().execute("SELECT id FROM media ORDER BY timestamp")]


_small = st.none() | st.integers(min_value=0, max_value=14)
_stamp = st.none() | st.integers(min_value=T0 - 2, max_value=T0 + 100)
_args = st.builds(ConnectionArgs, first=_small, last=_small, after=_small, before=_small,
                  since=_stamp, until=_stamp)  # fmt: skip


@settings(max_examples=250, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=N_POSTS), min_size=0, max_size=12), _args)
def test_batched_pages_equal_the_per_post_path(
    store: SQLiteStore, which: list[int], args: ConnectionArgs
) -> None:
    known = _ids(store)
    # index N_POSTS stands for a post the store does not have; repeats are allowed
    ids = [known[i] if i < len(known) else "404" for i in which]
    assert store.media_comments_pages(ids, args) == [
        store.media_comments_page(i, args) for i in ids
    ]


def _statements(store: SQLiteStore, run: Any) -> tuple[Any, list[str]]:
    statements: list[str] = []
    conn: sqlite3.Connection = store.connection()
    conn.set_trace_callback(statements.append)
    try:
        return run(), statements
    finally:
        conn.set_trace_callback(None)


@pytest.mark.parametrize(
    ("args", "queries"),
    [
        (ConnectionArgs(first=3), 1),
        (ConnectionArgs(), 1),
        # after the end of some posts (the first has no comments): their totals too
        (ConnectionArgs(first=2, after=1, since=T0 + 10), 2),
        (ConnectionArgs(first=2, after=8), 2),
        (ConnectionArgs(last=2), 4),  # BEGIN, totals, pages, COMMIT
        (ConnectionArgs(first=3, before=5, until=T0 + 60), 4),
    ],
)
def test_queries_do_not_depend_on_the_number_of_posts(
    store: SQLiteStore, args: ConnectionArgs, queries: int
) -> None:
    ids = _ids(store)
    for n in (2, 5, len(ids)):
        pages, statements = _statements(store, partial(store.media_comments_pages, ids[:n], args))
        assert len(pages) == n
        assert len(statements) == queries, statements


def test_rows_are_the_store_rows() -> None:
    """The fast row builder names the columns the query selects, in order."""
    assert tuple(comment_dicts([tuple(range(6))])[0]) == COMMENT_COLS
    assert list(comment_dicts([tuple(range(6))])[0].values()) == list(range(6))


def test_one_post_takes_the_single_post_query(store: SQLiteStore) -> None:
    media_id = _ids(store)[4]
    pages, statements = _statements(
        store, lambda: store.media_comments_pages([media_id], ConnectionArgs(first=2))
    )
    assert pages == [store.media_comments_page(media_id, ConnectionArgs(first=2))]
    assert len(statements) == 1
    assert "LIMIT 3 OFFSET 0" in statements[0] and "UNION" not in statements[0]


_LONG = (
    "id,username,media.first({n}){{edges{{node{{id,owner{{id,username}},location{{name}},"
    "comments.first({k}){{page_info{{has_next_page}},edges{{node{{id,text,"
    "owner{{id,username}}}}}}}}}}}}}}"
)


@pytest.mark.parametrize("n", [1, 3, 30, 100])
def test_long_request_is_a_constant_number_of_queries(tmp_path: Path, n: int) -> None:
    s = SQLiteStore(tmp_path / "ig.db")
    import_dataset(s, _dataset(100, comments=lambda i: 25), now=NOW)
    service = InstagramService(s, clock=lambda: NOW)
    try:
        fields = _LONG.format(n=n, k=20)
        data, statements = _statements(s, lambda: service.fetch("user", "user1", fields, {}))
        edges = data["media"]["edges"]
        assert len(edges) == n
        assert all(len(e["node"]["comments"]["edges"]) == 20 for e in edges)
        assert all(e["node"]["comments"]["page_info"]["has_next_page"] for e in edges)
        comments = [q for q in statements if "FROM comments" in q]
        # the user, its media page, media owners, locations, the comments, their owners
        assert len(comments) == 1
        assert len(statements) == 6
    finally:
        service.close()


def test_media_root_comments(tmp_path: Path) -> None:
    s = SQLiteStore(tmp_path / "ig.db")
    data = _dataset(3, comments=lambda i: 4)
    import_dataset(s, data, now=NOW)
    service = InstagramService(s, clock=lambda: NOW)
    try:
        media_id = data["media"][1]["id"]
        out = service.fetch(
            "media", media_id, "id,comments.last(2){page_info{has_previous_page},edges{node{id}}}",
            {},
        )  # fmt: skip
        assert out["comments"]["page_info"] == {"has_previous_page": True}
        assert [e["node"]["id"] for e in out["comments"]["edges"]] == [
            f"{media_id}-2", f"{media_id}-3"
        ]  # fmt: skip
    finally:
        service.close()
