"""Tag feed and comment positions inside both SQL stores (what the conformance suite cannot
see through the Store protocol): a database made before them is migrated on open, order
flags are what the rows say, and a forward page of many posts' comments stays one query.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import new_postgres_database
from test_store_conformance import _ORDERED_WINDOWS, NOW, ORDERED, T0, _check, _Model

from graphfields.instagram.dataset import import_dataset
from graphfields.instagram.positions import FALLING, RISING, UNORDERED
from graphfields.instagram.store import Store, open_store
from graphfields.schema import ConnectionArgs

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "ig.sqlite3")
    return new_postgres_database(request.getfixturevalue("postgres_server"))


def _sql(store: Store, sql: str) -> list[tuple[Any, ...]]:
    """Run ``sql`` on the store's own database (no parameters) and return its rows."""
    if hasattr(store, "pool"):
        with store.pool.connection() as conn:
            cur = conn.execute(sql)
            return [tuple(r) for r in cur.fetchall()] if cur.description else []
    return [tuple(r) for r in store.connection().execute(sql)]  # type: ignore[attr-defined]


def _age(store: Store) -> None:
    """Make the database look as one written before tag feed and comment positions: no
    order flags, no feed timestamps, none of their indexes, and gaps in comment positions
    (a comment moving to another post left one behind)."""
    statements = [
        "DROP INDEX comments_by_time", "DROP INDEX tag_media_by_time",
        "DROP INDEX tag_media_by_media", "ALTER TABLE media DROP COLUMN comments_order",
        "ALTER TABLE tags DROP COLUMN feed_order", "ALTER TABLE tag_media DROP COLUMN ts",
        "UPDATE comments SET position = 3 * position + 1",
    ]
    if hasattr(store, "pool"):
        statements.append("DELETE FROM graphfields_schema")  # the DDL runs on open again
    for sql in statements:
        _sql(store, sql)


def _flags(store: Store) -> dict[str, int]:
    rows = _sql(store, "SELECT id, feed_order FROM tags")
    rows += _sql(store, "SELECT id, comments_order FROM media WHERE id IN"
                        " (SELECT parent_id FROM comments)")
    return {str(k): int(v) for k, v in rows}


def test_a_database_made_before_positions_is_migrated_on_open(db: str) -> None:
    store = open_store(db)
    model = _Model()
    for data in ORDERED[:2]:  # comments moved, a feed replaced
        import_dataset(store, copy.deepcopy(data), now=NOW)
        model.write(copy.deepcopy(data))
    flags = _flags(store)
    _age(store)
    store.close()
    store = open_store(db)
    try:
        assert _flags(store) == flags
        dense = _sql(store, "SELECT parent_id, MIN(position), MAX(position), COUNT(*)"
                            " FROM comments GROUP BY parent_id")
        assert all((lo, hi) == (0, n - 1) for _, lo, hi, n in dense)
        posts = [m["id"] for m in ORDERED[0]["media"]][:7]
        for args in _ORDERED_WINDOWS:
            _check(store, model, args, posts, ["dawn", "flat", "mixed"])
    finally:
        store.close()


@pytest.fixture
def store(db: str) -> Iterator[Store]:
    s = open_store(db)
    yield s
    s.close()


def test_order_flags_follow_the_rows(store: Store) -> None:
    ids = [m["id"] for m in ORDERED[0]["media"]]
    import_dataset(store, copy.deepcopy(ORDERED[0]), now=NOW)
    assert _flags(store) == {
        "dawn": FALLING, "flat": RISING, "mixed": UNORDERED,
        ids[0]: RISING, ids[1]: FALLING, ids[2]: UNORDERED,
        ids[3]: UNORDERED,  # a comment without a timestamp
        ids[4]: RISING,  # one timestamp
    }
    for data in ORDERED[1:]:
        import_dataset(store, copy.deepcopy(data), now=NOW)
    assert _flags(store) == {
        "dawn": UNORDERED, "flat": UNORDERED,  # a post of theirs moved in time
        "mixed": UNORDERED, ids[0]: RISING, ids[1]: RISING, ids[2]: UNORDERED,
        ids[3]: UNORDERED, ids[4]: RISING, ids[5]: RISING,
    }
    import_dataset(store, {"tags": [{"id": "dawn", "media_ids": ids[6:2:-1]}]}, now=NOW)
    import_dataset(store, {"comments": [{"id": "1", "parent_id": ids[2], "timestamp": T0}]},
                   now=NOW)
    assert _flags(store)["dawn"] == FALLING and _flags(store)[ids[2]] == RISING


def test_a_forward_page_of_many_posts_comments_is_one_query(
        postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """On PostgreSQL (SQLite's statements are counted in test_instagram_comments_batch.py),
    with and without a date filter, whatever the posts' order flags."""
    import psycopg

    store = open_store(postgres_url)
    try:
        import_dataset(store, copy.deepcopy(ORDERED[0]), now=NOW)
        posts = [m["id"] for m in ORDERED[0]["media"]][:6]
        statements: list[str] = []
        real = psycopg.Cursor.execute

        def counted(self: Any, query: Any, *args: Any, **kw: Any) -> Any:
            statements.append(str(query))
            return real(self, query, *args, **kw)

        monkeypatch.setattr(psycopg.Cursor, "execute", counted)
        for args in (ConnectionArgs(first=2), ConnectionArgs(first=2, since=T0 + 5),
                     ConnectionArgs(first=3, until=T0 + 30, since=T0)):
            statements.clear()
            pages = store.media_comments_pages(posts, args)
            assert len(pages) == len(posts) and len(statements) == 1, statements
    finally:
        store.close()


def test_processes_opening_a_database_made_before_positions_at_once(tmp_path: Path) -> None:
    """Two processes (``serve --workers 2``, a server and a worker) opening an old file at
    once: each saw the columns missing, the second to take the write lock added them again
    ("duplicate column name") and could not open the store."""
    import sqlite3
    import threading
    import time

    path = str(tmp_path / "ig.sqlite3")
    store = open_store(path)
    for data in ORDERED[:2]:
        import_dataset(store, copy.deepcopy(data), now=NOW)
    flags = _flags(store)
    _age(store)
    store.close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # a writer in the way: both openers wait behind it
    opened: list[Store] = []
    failed: list[BaseException] = []

    def open_one() -> None:
        try:
            opened.append(open_store(path))
        except BaseException as exc:
            failed.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(2)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    holder.execute("COMMIT")
    holder.close()
    for t in threads:
        t.join(30)
    try:
        assert not failed, failed
        assert len(opened) == 2 and all(_flags(s) == flags for s in opened)
    finally:
        for s in opened:
            s.close()


def test_concurrent_writes_of_one_posts_comments_leave_one_whole(postgres_url: str) -> None:
    """Two loads writing one post's comments at once (a user's load and a tag's hold the
    same post), on PostgreSQL's READ COMMITTED: the second one's DELETE did not see the
    rows the first had inserted meanwhile, so both sets stayed, two comments at position 0
    (a page is a range of positions: its count and its rows were wrong)."""
    import threading
    import time

    import psycopg

    post = "2000000000000000001"
    base = {"users": [{"id": "1", "username": "poster"}],
            "media": [{"id": post, "owner_id": "1", "timestamp": T0}],
            "comments": [{"id": c, "parent_id": post, "timestamp": T0 + i}
                         for i, c in enumerate("ab")]}
    store = open_store(postgres_url)
    try:
        import_dataset(store, base, now=NOW)
        first = psycopg.connect(postgres_url)
        first.execute("SELECT 1 FROM media WHERE id = %s FOR UPDATE", (post,))
        first.execute(  # the first load's write, under way: its comments replaced ...
            "DELETE FROM comments WHERE parent_id = %s", (post,))
        second = threading.Thread(target=import_dataset, args=(store, {"comments": [
            {"id": "d", "parent_id": post, "timestamp": T0}]}), kwargs={"now": NOW})
        second.start()  # ... and the second's, waiting for the first's rows
        time.sleep(0.5)
        first.execute("INSERT INTO comments (id, parent_id, timestamp, position) VALUES"
                      " ('a', %s, %s, 0), ('b', %s, %s, 1), ('c', %s, %s, 2)",
                      (post, T0, post, T0 + 1, post, T0 + 2))
        first.commit()
        first.close()
        second.join(30)
        rows = _sql(store, f"SELECT id, position FROM comments WHERE parent_id = '{post}'"
                           " ORDER BY position, id")
        assert rows == [("d", 0)]  # the write that committed last replaced them whole
        page = store.media_comments_page(post, ConnectionArgs(first=10))
        assert [n["id"] for n in page.nodes] == ["d"]
    finally:
        store.close()


def test_concurrent_writes_of_one_tags_feed_leave_one_whole(postgres_url: str) -> None:
    """Two loads writing one tag's feed at once, over and over, on PostgreSQL: each write
    locks the tag's row with its upsert before it replaces the feed, so no write fails on
    the feed's (tag, position) key and the feed is always one write's whole list."""
    import threading

    posts = [str(2000000000000000100 + i) for i in range(12)]
    store = open_store(postgres_url)
    feeds = [posts[:7], posts[5:]]
    failed: list[Exception] = []

    def write(feed: list[str]) -> None:
        try:
            for _ in range(15):
                import_dataset(store, {"tags": [{"id": "race", "media_ids": feed}]}, now=NOW)
        except Exception as exc:  # reported below
            failed.append(exc)

    try:
        import_dataset(store, {"users": [{"id": "1", "username": "poster"}],
                               "media": [{"id": p, "owner_id": "1", "timestamp": T0 - i}
                                         for i, p in enumerate(posts)]}, now=NOW)
        threads = [threading.Thread(target=write, args=(f,)) for f in feeds]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not failed, failed
        rows = _sql(store, "SELECT media_id, position FROM tag_media WHERE tag = 'race'"
                           " ORDER BY position")
        assert [p for _, p in rows] == list(range(len(rows)))
        assert [m for m, _ in rows] in feeds
        page = store.tag_media_page("race", ConnectionArgs(first=20))
        assert [n["id"] for n in page.nodes] in feeds
    finally:
        store.close()
