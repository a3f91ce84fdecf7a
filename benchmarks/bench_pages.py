"""Deep pages of a 100,000-post user, a 100,000-post tag and a 100,000-comment post, on
SQLite and PostgreSQL (the target: any page within 2x the first page's time).

Each store holds one user with 100,000 posts, a tag whose feed is those posts newest first
and a post with 100,000 comments oldest first. Contenders, interleaved and repeated, each
with distinct cursors (a new page every call, as real paging does): the first page
``first(10)``; ``first(10).after(c)`` at a random depth up to the end; ``last(10)``;
``last(10).before(c)`` at a random depth; ``first(10)`` inside a date filter at a random
depth; and, for reference, the query the stores ran before positions were kept on write
(``LIMIT 11 OFFSET k``, deep ``k``, and its ``COUNT(*)``). The comments are also read
through the batched ``media_comments_pages`` (the big post and 99 posts without comments,
``first(10)`` and a deep ``after``, which also reads the totals of the 99 posts it runs past
the end: a second query). Printed: median microseconds per page and the ratio to the first
page. On PostgreSQL
the comment pages of 100 posts are also timed three ways (the store's ``LATERAL`` join, a
``UNION ALL`` of per-post queries, a ``ROW_NUMBER()`` window), as the issue asked.

Run: ``.venv/bin/python -m benchmarks pages`` (part of ``make bench``).
"""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks._postgres import new_database, postgres_server
from benchmarks._timing import interleaved_medians
from graphfields.instagram.dataset import import_dataset
from graphfields.instagram.shortcode import make_media_id
from graphfields.instagram.store import Store, open_store
from graphfields.schema import ConnectionArgs

__all__ = ["main"]

N = 100_000
NOW = 1_700_000_000
OWNER = "42"
TAG = "prolific"
BIG_POST = str(make_media_id(NOW + 3600, shard=1))  # the post with N comments


def dataset(n: int = N) -> dict[str, Any]:
    """One user with ``n`` posts (other benchmarks load it too)."""
    media = []
    for i in range(n):
        ts = NOW - 60 * i - (i % 7)  # some posts share a timestamp with another owner's
        media.append({"id": str(make_media_id(ts, shard=i % 4096)), "owner_id": OWNER,
                      "timestamp": ts, "like_count": i, "caption": [f"post {i}"]})
    return {"users": [{"id": OWNER, "username": "prolific"}], "media": media}


def with_collections(data: dict[str, Any], n: int = N) -> dict[str, Any]:
    """``data`` (:func:`dataset`) plus a tag listing its ``n`` posts newest first (as
    Instagram lists a tag) and one more post with ``n`` comments, oldest first."""
    feed = [m["id"] for m in data["media"][:n]]
    comments = [{"id": f"c{i}", "parent_id": BIG_POST, "timestamp": comment_time(i),
                 "text": f"comment {i}", "owner_id": OWNER} for i in range(n)]
    return {**data, "media": [*data["media"], {"id": BIG_POST, "owner_id": OWNER,
                                               "timestamp": NOW + 3600}],
            "tags": [{"id": TAG, "media_ids": feed}], "comments": comments}


def comment_time(i: int) -> int:
    return NOW + 3600 + 10 * (i // 2)  # oldest first, pairs share a timestamp


def contenders(store: Store, raw: Callable[[str, tuple[Any, ...]], Any],
               mark: str) -> dict[str, Callable[[], Any]]:
    rng = random.Random(1)

    def deep() -> int:
        return rng.randrange(N // 2, N - 11)

    def after() -> Any:
        return store.user_media_page(OWNER, ConnectionArgs(first=10, after=deep()))

    def before() -> Any:
        return store.user_media_page(OWNER, ConnectionArgs(last=10, before=deep()))

    def dated() -> Any:
        since = NOW - 60 * rng.randrange(N // 2, N - 100)
        return store.user_media_page(OWNER, ConnectionArgs(first=10, since=since,
                                                           after=rng.randrange(20)))

    def offset_sql() -> Any:
        return raw("SELECT * FROM media WHERE owner_id = " + mark + " ORDER BY timestamp DESC,"
                   " id DESC LIMIT 11 OFFSET " + mark, (OWNER, deep()))

    def count_sql() -> Any:
        return raw("SELECT COUNT(*) FROM media WHERE owner_id = " + mark, (OWNER,))

    return {
        "first(10)": lambda: store.user_media_page(OWNER, ConnectionArgs(first=10)),
        "after(deep) first(10)": after,
        "last(10)": lambda: store.user_media_page(OWNER, ConnectionArgs(last=10)),
        "before(deep) last(10)": before,
        "date filter, deep": dated,
        "old: LIMIT/OFFSET deep": offset_sql,
        "old: COUNT(*)": count_sql,
    }


def tag_contenders(store: Store, raw: Callable[[str, tuple[Any, ...]], Any],
                   mark: str) -> dict[str, Callable[[], Any]]:
    rng = random.Random(2)

    def deep() -> int:
        return rng.randrange(N // 2, N - 11)

    def page(**kw: Any) -> Any:
        return store.tag_media_page(TAG, ConnectionArgs(**kw))

    def dated() -> Any:  # the posts between two deep dates (a range the old query walked to)
        k = deep()
        return page(first=10, until=NOW - 60 * k, since=NOW - 60 * (k + 5000),
                    after=rng.randrange(20))

    return {
        "first(10)": lambda: page(first=10),
        "after(deep) first(10)": lambda: page(first=10, after=deep()),
        "last(10)": lambda: page(last=10),
        "before(deep) last(10)": lambda: page(last=10, before=deep()),
        "date filter, deep": dated,
        "old: LIMIT/OFFSET deep": lambda: raw(
            f"SELECT m.* FROM tag_media t JOIN media m ON m.id = t.media_id WHERE t.tag = {mark}"
            f" ORDER BY t.position LIMIT 11 OFFSET {mark}", (TAG, deep())),
        "old: COUNT(*)": lambda: raw(
            "SELECT COUNT(*) FROM tag_media t JOIN media m ON m.id = t.media_id"
            f" WHERE t.tag = {mark}", (TAG,)),
    }


def comment_contenders(store: Store, raw: Callable[[str, tuple[Any, ...]], Any],
                       mark: str) -> dict[str, Callable[[], Any]]:
    rng = random.Random(3)
    others = [m["id"] for m in store.user_media_page(OWNER, ConnectionArgs(first=100)).nodes
              if m["id"] != BIG_POST][:99]

    def deep() -> int:
        return rng.randrange(N // 2, N - 11)

    def page(**kw: Any) -> Any:
        return store.media_comments_page(BIG_POST, ConnectionArgs(**kw))

    def dated() -> Any:
        return page(first=10, since=comment_time(deep()), after=rng.randrange(20))

    return {
        "first(10)": lambda: page(first=10),
        "after(deep) first(10)": lambda: page(first=10, after=deep()),
        "last(10)": lambda: page(last=10),
        "before(deep) last(10)": lambda: page(last=10, before=deep()),
        "date filter, deep": dated,
        "100 posts: first(10)": lambda: store.media_comments_pages(
            [BIG_POST, *others], ConnectionArgs(first=10)),
        "100 posts: after(deep)": lambda: store.media_comments_pages(
            [BIG_POST, *others], ConnectionArgs(first=10, after=deep())),
        "old: LIMIT/OFFSET deep": lambda: raw(
            f"SELECT * FROM comments WHERE parent_id = {mark} ORDER BY position"
            f" LIMIT 11 OFFSET {mark}", (BIG_POST, deep())),
        "old: COUNT(*)": lambda: raw(
            f"SELECT COUNT(*) FROM comments WHERE parent_id = {mark}", (BIG_POST,)),
    }


def report(name: str, times: dict[str, float]) -> None:
    base = times["first(10)"]
    print(f"  {name}: median per page, ratio to first(10)")
    for label, t in times.items():
        print(f"    {label:26s} {t * 1e6:9.1f} us  {t / base:6.2f}x")


def run_sqlite(data: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "pages.sqlite3")
        try:
            start = time.perf_counter()
            import_dataset(store, data, now=NOW)
            print(f"  SQLite: imported {N:,} posts, a {N:,}-post tag and {N:,} comments"
                  f" in {time.perf_counter() - start:.1f} s")
            conn = store.connection()  # type: ignore[attr-defined]
            raw = lambda sql, p: conn.execute(sql, p).fetchall()  # noqa: E731
            report("SQLite, a user's feed", interleaved_medians(contenders(store, raw, "?"),
                                                                rounds=300))
            report("SQLite, a tag's feed", interleaved_medians(tag_contenders(store, raw, "?"),
                                                               rounds=300))
            report("SQLite, a post's comments", interleaved_medians(
                comment_contenders(store, raw, "?"), rounds=300))
        finally:
            store.close()


def run_postgres(data: dict[str, Any], server: str) -> None:
    store = open_store(new_database(server))
    try:
        start = time.perf_counter()
        import_dataset(store, data, now=NOW)
        print(f"  PostgreSQL: imported {N:,} posts, a {N:,}-post tag and {N:,} comments"
              f" in {time.perf_counter() - start:.1f} s")
        pool = store.pool  # type: ignore[attr-defined]

        def raw(sql: str, params: tuple[Any, ...]) -> Any:
            with pool.connection() as conn:
                return conn.execute(sql, params).fetchall()

        with pool.connection() as conn:
            conn.execute("ANALYZE")
        report("PostgreSQL, a user's feed", interleaved_medians(contenders(store, raw, "%s"),
                                                                rounds=200))
        report("PostgreSQL, a tag's feed", interleaved_medians(
            tag_contenders(store, raw, "%s"), rounds=200))
        report("PostgreSQL, a post's comments", interleaved_medians(
            comment_contenders(store, raw, "%s"), rounds=200))
        comments(store, raw)
    finally:
        store.close()


def comments(store: Store, raw: Callable[[str, tuple[Any, ...]], Any]) -> None:
    """The comment pages of 100 posts with 25 comments each, first(20): three queries."""
    posts = [m["id"] for m in store.user_media_page(OWNER, ConnectionArgs(first=100)).nodes]
    rows = [{"id": f"{p}{c:03d}", "parent_id": p, "timestamp": NOW + c, "text": f"c{c}",
             "owner_id": OWNER} for p in posts for c in range(25)]
    import_dataset(store, {"comments": rows}, now=NOW)
    cols = "id, parent_id, timestamp, text, owner_id, last_update"
    union = " UNION ALL ".join(
        f"(SELECT {cols} FROM comments WHERE parent_id = %s ORDER BY position LIMIT 21)"
        for _ in posts)
    window = (f"SELECT {cols} FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY parent_id"
              f" ORDER BY position) AS n FROM comments WHERE parent_id = ANY(%s)) c"
              " WHERE n <= 21 ORDER BY parent_id, n")
    lateral = (f"SELECT {', '.join('c.' + c for c in cols.split(', '))} FROM unnest(%s::text[],"
               " %s::bigint[], %s::bigint[]) WITH ORDINALITY AS q(pid, lim, off, n) CROSS JOIN"
               " LATERAL (SELECT * FROM comments c WHERE c.parent_id = q.pid ORDER BY"
               " c.position LIMIT q.lim OFFSET q.off) c ORDER BY q.n, c.position")
    args = ConnectionArgs(first=20)
    times = interleaved_medians({
        "store (LATERAL)": lambda: store.media_comments_pages(posts, args),
        "LATERAL, SQL only": lambda: raw(lateral, (posts, [21] * len(posts),
                                                   [0] * len(posts))),
        "UNION ALL": lambda: raw(union, tuple(posts)),
        "ROW_NUMBER window": lambda: raw(window, (posts,)),
    }, rounds=60)
    base = times["store (LATERAL)"]
    print("  PostgreSQL: comment pages of 100 posts x 25 comments, first(20) (the store's"
          " time includes building the pages; the others only fetch the rows)")
    for label, t in times.items():
        print(f"    {label:26s} {t * 1e3:9.2f} ms  {t / base:6.2f}x")


def main() -> None:
    data = with_collections(dataset())
    run_sqlite(data)
    with postgres_server() as server:
        if server is not None:
            run_postgres(data, server)


if __name__ == "__main__":
    main()
