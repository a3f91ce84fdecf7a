"""Service-level timing of the reference API, without HTTP: ``InstagramService.fetch``.

The spec's long user request with ``media.first(100)`` and ``comments.first(20)`` over a
SQLite store holding one user with 100 posts of 20 comments each (owners, locations,
50 commenters). Reports the median time of one ``fetch`` (compile cached, store reads,
execute) and the number of SQL statements one request runs, which is what batching
connections across parents is about: one comments query per page, not one per post;
and, interleaved, a hand-written function issuing the same statements and building the
same answer (``benchmarks._handwritten_long``, checked equal first): the ratio is what
the service costs over the practical limit.

Then paging traffic through the service (``bench_paging``'s request:
``media.first(10).after(cursor)`` with ``page_info``, ``comments.first(5)``) over 2,500
posts of 20 comments: a new cursor on every request (page ``i``'s ``end_cursor``, each
used once) against one repeated string, interleaved. Target (issue 7): distinct /
repeated <= 2.0.

Last, what selecting only the columns a request reads is worth: the long request on SQLite
and on PostgreSQL, through the store as it is against the same store behind a wrapper whose
reads take no ``columns=`` (so the service reads whole rows, ``SELECT *``), interleaved.

Run: ``.venv/bin/python -m benchmarks service`` (or ``make bench``; ``BENCH_QUICK=1`` for
a fifth of the rounds).
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks._handwritten_long import long_data
from benchmarks._postgres import new_database, postgres_server
from benchmarks._timing import interleaved_medians, scaled
from benchmarks.bench_paging import COMMENTS, PAGE, end_cursor, paging_request
from benchmarks.data import LONG_REQUEST
from graphfields.instagram.dataset import import_dataset
from graphfields.instagram.service import _READS, InstagramService
from graphfields.instagram.shortcode import make_media_id
from graphfields.instagram.sqlite_store import SQLiteStore
from graphfields.instagram.store import open_store

__all__ = ["dataset", "main", "measure", "measure_paging"]

NOW = 1_560_430_000


def dataset(n_media: int = 100, n_comments: int = 20, n_users: int = 50) -> dict[str, Any]:
    """One user ``spacex`` with ``n_media`` posts of ``n_comments`` comments each."""
    users: list[dict[str, Any]] = [
        {"id": str(1000 + i), "username": f"fan{i}", "full_name": f"Fan {i}",
         "profile_pic_url": f"https://x/{i}.jpg"}
        for i in range(n_users)
    ]  # fmt: skip
    users.append({"id": "25025320", "username": "spacex", "full_name": "SpaceX"})
    locations = [{"id": str(200 + i), "name": f"Pad {i}", "slug": f"pad-{i}",
                  "has_public_page": True} for i in range(5)]  # fmt: skip
    media: list[dict[str, Any]] = []
    comments: list[dict[str, Any]] = []
    for m in range(n_media):
        ts = NOW - 3600 * (m + 1)
        mid = str(make_media_id(ts, shard=m))
        media.append({
            "id": mid, "owner_id": "25025320", "timestamp": ts, "media_type": "GraphImage",
            "media_url": f"https://x/m{m}.jpg", "caption": [f"launch {m} #space"],
            "tags": ["space"], "like_count": m, "comment_count": n_comments,
            "location_id": str(200 + m % 5) if m % 3 else None,
        })  # fmt: skip
        comments += [
            {"id": f"{mid}{c:03d}", "parent_id": mid, "timestamp": ts + 60 * (c + 1),
             "text": f"comment {c}", "owner_id": str(1000 + (m + c) % n_users)}
            for c in range(n_comments)
        ]  # fmt: skip
    return {"users": users, "locations": locations, "media": media, "comments": comments}


def measure(rounds: int = 60) -> tuple[float, int, int, float]:
    """(median seconds per fetch, SQL statements per fetch, comments returned, median
    seconds of the hand-written function)."""
    with tempfile.TemporaryDirectory(prefix="graphfields-bench-") as tmp:
        store = SQLiteStore(Path(tmp) / "bench.sqlite3")
        hand = sqlite3.connect(Path(tmp) / "bench.sqlite3")
        import_dataset(store, dataset(), now=NOW)
        service = InstagramService(store, clock=lambda: NOW)
        try:
            data = service.fetch("user", "spacex", LONG_REQUEST, {})  # warm: plan, connection
            edges = data["media"]["edges"]
            n_comments = sum(len(e["node"]["comments"]["edges"]) for e in edges)
            statements: list[str] = []
            store.connection().set_trace_callback(statements.append)
            service.fetch("user", "spacex", LONG_REQUEST, {})
            store.connection().set_trace_callback(None)
            written = long_data(hand, "spacex", 100, 20)
            assert json.dumps(written) == json.dumps(data), "the hand-written answer differs"
            medians = interleaved_medians(
                {"fetch": lambda: service.fetch("user", "spacex", LONG_REQUEST, {}),
                 "hand-written": lambda: long_data(hand, "spacex", 100, 20)}, rounds)
        finally:
            hand.close()
            service.close()
    return medians["fetch"], len(statements), n_comments, medians["hand-written"]


def measure_paging(rounds: int) -> dict[str, float]:
    """Median seconds per paging ``fetch``: distinct cursors and one repeated string."""
    n_media = max(2500, PAGE * (rounds + 10))
    with tempfile.TemporaryDirectory(prefix="graphfields-bench-") as tmp:
        store = SQLiteStore(Path(tmp) / "bench.sqlite3")
        import_dataset(store, dataset(n_media, 20), now=NOW)
        service = InstagramService(store, clock=lambda: NOW)

        def page_after(cursor: str) -> Any:
            return service.fetch("user", "spacex", paging_request(cursor), {})["media"]

        try:
            # Paging works as a client sees it, on pages the timed run does not use: each
            # page's end_cursor is the next page's cursor, and a cold compile of a text
            # gives what its cached plan gives.
            for page in (rounds + 2, rounds + 3):
                got = page_after(end_cursor(page))
                assert got["page_info"] == {"has_next_page": True,
                                            "end_cursor": end_cursor(page + 1)}, got  # fmt: skip
                assert len(got["edges"]) == PAGE, got
                assert all(len(e["node"]["comments"]["edges"]) == COMMENTS for e in got["edges"])
                assert page_after(end_cursor(page)) == got
            repeated = paging_request(end_cursor(0))
            service.fetch("user", "spacex", repeated, {})
            cursors = iter([end_cursor(page) for page in range(1, rounds + 1)])
            medians = interleaved_medians(
                {
                    "distinct cursors": lambda: page_after(next(cursors)),
                    "one repeated string": lambda: service.fetch("user", "spacex", repeated, {}),
                },
                rounds,
                collect=True,
            )
        finally:
            service.close()
    print(f"InstagramService.fetch, paging media.first({PAGE}).after(cursor) x "
          f"comments.first({COMMENTS}), {n_media} posts, {rounds} rounds:")  # fmt: skip
    for name, t in medians.items():
        print(f"  {name:20s} {t * 1e3:9.3f} ms per request")
    ratio = medians["distinct cursors"] / medians["one repeated string"]
    print(f"  distinct / repeated {ratio:8.2f}x  (target <= 2.0)")
    return medians


class WholeRows:
    """A store whose reads take no ``columns=``: the service then reads whole rows."""

    def __init__(self, store: Any) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def _whole_row_read(name: str) -> Any:
    def read(self: WholeRows, *args: Any) -> Any:
        return getattr(self._store, name)(*args)

    return read


for _name in _READS:
    setattr(WholeRows, _name, _whole_row_read(_name))


def measure_projection(rounds: int) -> None:
    """The long request with column projection and with whole rows, SQLite and PostgreSQL."""
    print("Column projection, the long request (first(100), comments.first(20)), "
          f"{rounds} rounds:")
    with tempfile.TemporaryDirectory(prefix="graphfields-bench-") as tmp, \
            postgres_server() as server:
        stores = {"SQLite": open_store(Path(tmp) / "bench.sqlite3")}
        if server is not None:
            stores["PostgreSQL"] = open_store(new_database(server))
        for name, store in stores.items():
            try:
                import_dataset(store, dataset(), now=NOW)
                projected = InstagramService(store, clock=lambda: NOW, workers=0)
                whole = InstagramService(WholeRows(store), clock=lambda: NOW, workers=0)
                want = projected.fetch("user", "spacex", LONG_REQUEST, {})
                assert whole.fetch("user", "spacex", LONG_REQUEST, {}) == want
                medians = interleaved_medians({
                    "projected": partial(projected.fetch, "user", "spacex", LONG_REQUEST, {}),
                    "whole rows": partial(whole.fetch, "user", "spacex", LONG_REQUEST, {}),
                }, rounds)
                print(f"  {name:10s} projected {medians['projected'] * 1e3:7.2f} ms, whole rows "
                      f"{medians['whole rows'] * 1e3:7.2f} ms: projected / whole "
                      f"{medians['projected'] / medians['whole rows']:.2f}x")
            finally:
                store.close()


def main() -> None:
    median, queries, n_comments, hand = measure(scaled(60))
    print("InstagramService.fetch, the spec's long user request with media.first(100) and "
          "comments.first(20),")
    print("SQLite store, 100 posts x 20 comments (no HTTP, plan cached):")
    print(f"  median {median * 1e3:.2f} ms per request, {queries} SQL statements per request, "
          f"{n_comments} comments returned")
    print(f"  hand-written function, same statements and answer: {hand * 1e3:.2f} ms; "
          f"fetch / hand-written {median / hand:.2f}x")
    measure_paging(scaled(100))
    measure_projection(scaled(40))


if __name__ == "__main__":
    main()
