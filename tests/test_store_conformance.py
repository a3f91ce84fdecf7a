"""One conformance suite for every :class:`~graphfields.instagram.store.Store` backend.

Each test runs, unchanged, against SQLite and PostgreSQL (a throwaway cluster from
``tests/pgcluster.py``; under CI a missing PostgreSQL fails). Everything goes through the
Store protocol: pages forwards and backwards with ``offset`` and date filters against
Python's own slicing, batched comment pages against the per-post ones, imports, upserts,
the partial/pinned merge, atomic failed imports and negative results.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from conftest import new_postgres_database
from hypothesis import given, settings
from hypothesis import strategies as st

from graphfields.instagram.dataset import DatasetError, import_dataset
from graphfields.instagram.shortcode import id_to_shortcode, make_media_id
from graphfields.instagram.store import Store, StoreError, open_store
from graphfields.relay import Page, window
from graphfields.schema import ConnectionArgs

NOW = 1_560_000_000
T0 = 1_550_000_000
BACKENDS = ["sqlite", "postgres"]


def _open(kind: str, request: pytest.FixtureRequest, folder: Path) -> Store:
    if kind == "sqlite":
        return open_store(folder / "ig.sqlite3")
    return open_store(new_postgres_database(request.getfixturevalue("postgres_server")))


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store of each backend."""
    s = _open(request.param, request, tmp_path)
    yield s
    s.close()


def sample(n_media: int = 14, n_comments: int = 9) -> dict[str, Any]:
    """Two users, a location, posts with shared timestamps (the ID tie-break), comments
    of several posts in an order unlike their timestamps, and a tag whose feed is in
    neither timestamp nor ID order."""
    media = []
    for i in range(n_media):
        ts = T0 + (i // 2) * 3600
        media.append({"id": str(make_media_id(ts, shard=i)), "timestamp": ts, "owner_id": "1",
                      "caption": [f"post {i} #sun"], "tags": ["sun"], "like_count": i,
                      "location_id": "77" if i % 3 == 0 else None})
    media.append({"id": str(make_media_id(T0 + 5)), "owner_id": "2", "timestamp": T0 + 5})
    comments = [
        {"id": str(900 + 20 * p + i), "parent_id": media[p]["id"],
         "timestamp": T0 + 10 * ((i * 7) % n_comments), "text": f"c{p}.{i}",
         "owner_id": "2" if i % 2 else "1"}
        for p in (0, 1, 3) for i in range(n_comments - p)
    ]
    feed = [m["id"] for m in reversed(media[:n_media])][::2] + [m["id"] for m in media][::2]
    return {
        "users": [
            {"id": "1", "username": "alice", "full_name": "Alice A", "is_private": False,
             "follower_count": 10, "last_update": NOW},
            {"id": 2, "username": "Bob", "profile_pic_url": "https://x/b.jpg"},
        ],
        "locations": [{"id": "77", "name": "Lisbon", "slug": "lisbon", "has_public_page": True}],
        "media": media,
        "comments": comments,
        "tags": [{"id": "Sun", "media_count": 99, "media_ids": feed}],
    }


DATA = sample()
_ALL = ConnectionArgs()


def snapshot(store: Store, data: dict[str, Any] = DATA) -> dict[str, Any]:
    """Everything the store answers about ``data``'s nodes, through the protocol."""
    users = {u["username"]: store.get_user(u["username"]) for u in data["users"]}
    media = {m["id"]: store.get_media(str(m["id"])) for m in data["media"]}
    pages = {
        "user": [store.user_media_page(str(u["id"]), _ALL) for u in data["users"]],
        "tag": [store.tag_media_page(t["id"].lower(), _ALL) for t in data["tags"]],
        "comments": store.media_comments_pages([m["id"] for m in data["media"]], _ALL),
    }
    tags = {t["id"]: store.get_tag(t["id"].lower()) for t in data["tags"]}
    return {"users": users, "media": media, "pages": pages, "tags": tags}


# -- imports and lookups -------------------------------------------------------------------


def test_import_and_lookups(store: Store) -> None:
    counts = import_dataset(store, copy.deepcopy(DATA), now=NOW)
    assert counts == {"users": 2, "locations": 1, "media": 15, "comments": 23, "tags": 1}
    alice = store.get_user("ALICE")
    assert alice is not None and alice["id"] == "1" and alice["is_private"] is False
    assert alice["last_update"] == NOW and alice["full_name"] == "Alice A"
    bob = store.get_user("bob")
    assert bob is not None and bob["last_update"] == NOW and bob["follower_count"] is None
    assert store.get_user("carol") is None
    first = DATA["media"][0]
    post = store.get_media(first["id"])
    assert post is not None and post["caption"] == ["post 0 #sun"] and post["tags"] == ["sun"]
    assert post["owner_id"] == "1" and post["location_id"] == "77"
    assert post["shortcode"] == id_to_shortcode(first["id"])
    assert store.get_media_by_shortcode(post["shortcode"]) == post
    assert store.get_media("1") is None and store.get_media_by_shortcode("AAAA") is None
    tag = store.get_tag("SUN")
    assert tag is not None and tag["id"] == "sun" and tag["media_count"] == 99
    users = store.users_by_ids(["1", "2", "1", "404"])
    assert sorted(users) == ["1", "2"] and users["2"]["username"] == "Bob"
    assert list(store.locations_by_ids(["77", "77"])) == ["77"]
    assert store.locations_by_ids([])  == {} and store.users_by_ids(["x"]) == {}
    assert store.locations_by_ids(["77"])["77"]["has_public_page"] is True


def test_orders(store: Store) -> None:
    import_dataset(store, copy.deepcopy(DATA), now=NOW)
    page = store.user_media_page("1", _ALL)
    keys = [(m["timestamp"], m["id"]) for m in page.nodes]
    assert keys == sorted(keys, reverse=True) and len(keys) == 14
    assert [m["id"] for m in store.tag_media_page("sun", _ALL).nodes] == \
        DATA["tags"][0]["media_ids"]
    texts = [c["text"] for c in store.media_comments_page(DATA["media"][1]["id"], _ALL).nodes]
    assert texts == [f"c1.{i}" for i in range(8)]


# -- pages against Python's slicing -----------------------------------------------------


@pytest.fixture(scope="module", params=BACKENDS)
def shared(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    s = _open(request.param, request, tmp_path_factory.mktemp("pages"))
    import_dataset(s, copy.deepcopy(DATA), now=NOW)
    yield s
    s.close()


def _expected(items: list[dict[str, Any]], args: ConnectionArgs) -> tuple[list[str], int,
                                                                           bool, bool]:
    kept = [m for m in items
            if (args.since is None or m["timestamp"] >= args.since)
            and (args.until is None or m["timestamp"] <= args.until)]
    start, end = window(len(kept), args.first, args.last, args.after, args.before, args.offset)
    return [str(m["id"]) for m in kept[start:end]], start, end < len(kept), start > 0


def _collections() -> dict[str, tuple[Callable[[Store, ConnectionArgs], Any], list[Any]]]:
    by_id = {m["id"]: m for m in DATA["media"]}
    user = sorted((m for m in DATA["media"] if m["owner_id"] == "1"),
                  key=lambda m: (m["timestamp"], m["id"]), reverse=True)
    post = DATA["media"][0]["id"]
    return {
        "user": (lambda s, a: s.user_media_page("1", a), user),
        "tag": (lambda s, a: s.tag_media_page("sun", a),
                [by_id[i] for i in DATA["tags"][0]["media_ids"]]),
        "comments": (lambda s, a: s.media_comments_page(post, a),
                     [c for c in DATA["comments"] if c["parent_id"] == post]),
        "none": (lambda s, a: s.user_media_page("404", a), []),
    }


_COLLECTIONS = _collections()
_small = st.none() | st.integers(min_value=0, max_value=18)
_offset = st.integers(min_value=0, max_value=4) | st.just(0)
_stamp = st.none() | st.integers(min_value=T0 - 10, max_value=T0 + 8 * 3600)
_args = st.builds(ConnectionArgs, first=_small, last=_small, after=_small, before=_small,
                  since=_stamp, until=_stamp, offset=_offset)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(sorted(_COLLECTIONS)), _args)
def test_pages_equal_python_slicing(shared: Store, which: str, args: ConnectionArgs) -> None:
    fetch, items = _COLLECTIONS[which]
    page = fetch(shared, args)
    ids, start, has_next, has_prev = _expected(items, args)
    assert [str(n["id"]) for n in page.nodes] == ids
    assert (page.has_next_page, page.has_previous_page) == (has_next, has_prev)
    if ids:
        assert page.offset == start


@pytest.mark.parametrize("args", [
    ConnectionArgs(first=3), ConnectionArgs(first=2, after=5), ConnectionArgs(last=2),
    ConnectionArgs(first=1, before=3), ConnectionArgs(first=2, after=40),
    ConnectionArgs(first=2, offset=3, since=T0 + 20), ConnectionArgs(last=3, until=T0 + 40),
])
def test_named_pages(shared: Store, args: ConnectionArgs) -> None:
    for fetch, items in _COLLECTIONS.values():
        page = fetch(shared, args)
        ids, _, has_next, has_prev = _expected(items, args)
        assert ([str(n["id"]) for n in page.nodes], page.has_next_page,
                page.has_previous_page) == (ids, has_next, has_prev)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(DATA["media"])), max_size=10), _args)
def test_batched_comment_pages_equal_the_per_post_pages(
        shared: Store, which: list[int], args: ConnectionArgs) -> None:
    known = [m["id"] for m in DATA["media"]]
    ids = [known[i] if i < len(known) else "404" for i in which]  # unknown, repeated IDs
    assert shared.media_comments_pages(ids, args) == [
        shared.media_comments_page(i, args) for i in ids]


@pytest.mark.parametrize("args", [ConnectionArgs(first=2, after=0), ConnectionArgs(last=2)])
def test_batched_comment_pages_of_more_posts_than_one_query_holds(
        shared: Store, args: ConnectionArgs) -> None:
    """More posts than one UNION ALL takes (SQLite: 200): every query's own posts."""
    known = [m["id"] for m in DATA["media"]]
    ids = [*(f"{900 + i}" for i in range(230)), *known, *known[:2]]
    assert shared.media_comments_pages(ids, args) == [
        shared.media_comments_page(i, args) for i in ids]
    assert any(page.nodes for page in shared.media_comments_pages(ids, args))


# -- upserts, merges, atomicity ------------------------------------------------------------


def test_reimport_is_an_upsert_that_replaces_comments_and_feed(store: Store) -> None:
    import_dataset(store, copy.deepcopy(DATA), now=NOW)
    post = DATA["media"][0]["id"]
    again = {"users": [{"id": "1", "username": "alice", "full_name": "Alice B"}],
             "comments": [{"id": "5000", "parent_id": post, "text": "only one"}],
             "tags": [{"id": "sun", "media_ids": [post]}]}
    import_dataset(store, again, now=NOW + 5)
    alice = store.get_user("alice")
    assert alice is not None and alice["full_name"] == "Alice B"
    assert alice["follower_count"] is None and alice["last_update"] == NOW + 5  # a full record
    assert [c["text"] for c in store.media_comments_page(post, _ALL).nodes] == ["only one"]
    other = DATA["media"][1]["id"]
    assert len(store.media_comments_page(other, _ALL).nodes) == 8  # untouched
    assert [m["id"] for m in store.tag_media_page("sun", _ALL).nodes] == [post]
    tag = store.get_tag("sun")
    assert tag is not None and tag["media_count"] is None


def test_a_comment_moving_to_another_post(store: Store) -> None:
    import_dataset(store, copy.deepcopy(DATA), now=NOW)
    first, second = DATA["media"][0]["id"], DATA["media"][2]["id"]
    import_dataset(store, {"comments": [{"id": "900", "parent_id": second, "text": "moved"}]},
                   now=NOW)
    assert [c["id"] for c in store.media_comments_page(second, _ALL).nodes] == ["900"]
    assert "900" not in [c["id"] for c in store.media_comments_page(first, _ALL).nodes]


def test_partial_records_keep_stored_values(store: Store) -> None:
    from graphfields.instagram.dataset import parse_dataset

    import_dataset(store, copy.deepcopy(DATA), now=NOW)
    batch = parse_dataset({"users": [{"id": "1", "username": "alice", "follower_count": 11}]},
                          now=NOW + 100)
    batch.partial = {("user", "1")}
    store.write(batch)
    alice = store.get_user("alice")
    assert alice is not None
    assert (alice["full_name"], alice["follower_count"], alice["last_update"],
            alice["complete"]) == ("Alice A", 11, NOW, 1)  # still complete
    batch = parse_dataset({"users": [{"id": "3", "username": "carol"}]}, now=NOW)
    batch.partial = {("user", "3")}
    store.write(batch)
    carol = store.get_user("carol")
    assert carol is not None and carol["complete"] == 0


def test_pinned_rows_are_only_replaced_by_pinned_ones(store: Store) -> None:
    import_dataset(store, copy.deepcopy(DATA), now=NOW, pinned=True)
    import_dataset(store, {"users": [{"id": "1", "username": "alice", "full_name": "X"}]},
                   now=NOW + 1)
    alice = store.get_user("alice")
    assert alice is not None and alice["full_name"] == "Alice A" and alice["complete"] == 2
    import_dataset(store, {"users": [{"id": "1", "username": "alice", "full_name": "Y"}]},
                   now=NOW + 2, pinned=True)
    alice = store.get_user("alice")
    assert alice is not None and alice["full_name"] == "Y"


def _feed_and_comments(store: Store, tag: str, post: str) -> tuple[list[str], list[str]]:
    every = ConnectionArgs(first=100)
    return ([m["id"] for m in store.tag_media_page(tag, every).nodes],
            [c["id"] for c in store.media_comments_page(post, every).nodes])


def test_pinned_feeds_and_comments_are_only_replaced_by_pinned_writes(store: Store) -> None:
    """A write that is not pinned (a loader's result that also brings a pinned tag's feed or
    a pinned post's comments) leaves them as they are, as it leaves the rows."""
    import_dataset(store, copy.deepcopy(DATA), now=NOW, pinned=True)
    tag = DATA["tags"][0]["id"]
    post = DATA["comments"][0]["parent_id"]
    before = _feed_and_comments(store, tag, post)
    assert before[0] and before[1]
    other = DATA["media"][-1]["id"]
    later = {"tags": [{"id": tag, "media_ids": [other]}],
             "comments": [{"id": "c-new", "parent_id": post, "text": "loaded"}]}
    import_dataset(store, copy.deepcopy(later), now=NOW + 1)
    assert _feed_and_comments(store, tag, post) == before
    import_dataset(store, copy.deepcopy(later), now=NOW + 2, pinned=True)
    assert _feed_and_comments(store, tag, post) == ([other], ["c-new"])


def test_a_comment_of_a_pinned_post_stays_there(store: Store) -> None:
    """A write that is not pinned and gives a pinned post's comment to another post leaves
    it where it is (the comment's upsert moved it, and the pinned post closed up)."""
    import_dataset(store, copy.deepcopy(DATA), now=NOW, pinned=True)
    post, comment = DATA["comments"][0]["parent_id"], DATA["comments"][0]["id"]
    tag = DATA["tags"][0]["id"]
    before = _feed_and_comments(store, tag, post)
    other = str(make_media_id(T0 + 99_999, shard=5))
    import_dataset(store, {"media": [{"id": other, "owner_id": "1", "timestamp": T0 + 99_999}],
                           "comments": [{"id": comment, "parent_id": other, "text": "moved"},
                                        {"id": "c-own", "parent_id": other, "text": "own"}]},
                   now=NOW + 1)
    assert _feed_and_comments(store, tag, post) == before
    assert [c["id"] for c in store.media_comments_page(other, ConnectionArgs(first=9)).nodes
            ] == ["c-own"]


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["media"].append({"id": str(make_media_id(T0 + 99)), "owner_id": "55"}),
     r'media\[15\]: unknown owner_id "55"'),
    (lambda d: d["comments"].append({"id": "1", "parent_id": "123"}),
     r'comments\[23\]: unknown parent_id "123"'),
    (lambda d: d["tags"][0]["media_ids"].append("42"), r'tags\[0\]: unknown media_ids "42"'),
    (lambda d: d["media"][3].update(location_id="78"), r'media\[3\]: unknown location_id "78"'),
])
def test_failed_import_changes_nothing(store: Store, change: Callable[[dict[str, Any]], None],
                                       message: str) -> None:
    import_dataset(store, copy.deepcopy(DATA), now=NOW)
    before = snapshot(store)
    bad = copy.deepcopy(DATA)
    bad["users"][0]["full_name"] = "Changed"
    bad["comments"] = bad["comments"][:3] + bad["comments"][3:]
    change(bad)
    with pytest.raises(DatasetError, match=message):
        import_dataset(store, bad, now=NOW + 1)
    assert snapshot(store) == before


def test_crash_mid_write_rolls_back(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    import_dataset(store, copy.deepcopy(DATA), now=NOW)
    before = snapshot(store)
    module = sys.modules[type(store).__module__]
    real = module.write_order

    def flaky(batch: Any) -> Iterator[Any]:
        for n, item in enumerate(real(batch)):
            if n == 6:  # after the users, a location and some posts
                raise RuntimeError("disk on fire")
            yield item

    monkeypatch.setattr(module, "write_order", flaky)
    changed = copy.deepcopy(DATA)
    changed["users"][0]["full_name"] = "Changed"
    changed["comments"] = changed["comments"][:2]
    with pytest.raises(RuntimeError, match="disk on fire"):
        import_dataset(store, changed, now=NOW + 1)
    assert snapshot(store) == before


def test_negative_results(store: Store) -> None:
    assert store.missing_since("user", "ghost") is None
    store.mark_missing("user", "ghost", 123.5)
    store.mark_missing("tag", "ghost", 7.0)
    assert store.missing_since("user", "GHOST") == 123.5
    store.mark_missing("user", "Ghost", 200.25)
    assert store.missing_since("user", "ghost") == 200.25
    assert store.missing_since("tag", "ghost") == 7.0
    assert store.missing_since("media", "ghost") is None


def test_unusable_database_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    with pytest.raises(StoreError, match="cannot open the database"):
        open_store(tmp_path / "dir")
    with pytest.raises(StoreError, match=r"cannot open the database postgresql://u:\*\*\*@"):
        open_store("postgresql://u:secret@127.0.0.1:1/x?connect_timeout=2")


# -- a user's feed positions, kept on write --------------------------------------------


def test_feed_positions_survive_any_order_of_writes(store: Store) -> None:
    """Posts arrive newest, oldest and in between, change timestamp and owner: every page
    of every owner still equals Python's slicing (the positions are renumbered when an
    append is not enough)."""
    import random

    rng = random.Random(7)
    users = [{"id": str(u), "username": f"u{u}"} for u in range(3)]
    import_dataset(store, {"users": users}, now=NOW)
    posts: dict[str, dict[str, Any]] = {}
    windows = [ConnectionArgs(first=4), ConnectionArgs(first=3, after=5),
               ConnectionArgs(last=4), ConnectionArgs(last=2, before=6),
               ConnectionArgs(first=5, since=T0 + 30_000),
               ConnectionArgs(last=3, until=T0 + 50_000),
               ConnectionArgs(first=2, after=1, since=T0 + 10_000, until=T0 + 80_000, offset=1),
               ConnectionArgs(first=3, after=200)]
    for step in range(8):
        batch: list[dict[str, Any]] = []
        for _ in range(rng.randint(1, 12)):
            ts = T0 + rng.randrange(0, 100_000, 1000)  # shared timestamps: the ID tie-break
            mid = str(make_media_id(ts, shard=rng.randrange(4096)))
            batch.append({"id": mid, "owner_id": rng.choice("012"), "timestamp": ts})
        if posts and step % 3 == 2:  # move a stored post in time, and another to a new owner
            a, b = rng.sample(sorted(posts), 2)
            batch.append({**posts[a], "timestamp": posts[a]["timestamp"] + 1})
            batch.append({**posts[b], "owner_id": str((int(posts[b]["owner_id"]) + 1) % 3)})
        batch = list({m["id"]: m for m in batch}.values())
        import_dataset(store, {"media": copy.deepcopy(batch)}, now=NOW)
        posts.update({m["id"]: m for m in batch})
        for owner in "012":
            feed = sorted((m for m in posts.values() if m["owner_id"] == owner),
                          key=lambda m: (m["timestamp"], m["id"]), reverse=True)
            assert [m["id"] for m in store.user_media_page(owner, _ALL).nodes] == \
                [m["id"] for m in feed]
            for args in windows:
                page = store.user_media_page(owner, args)
                ids, _, has_next, has_prev = _expected(feed, args)
                assert ([n["id"] for n in page.nodes], page.has_next_page,
                        page.has_previous_page) == (ids, has_next, has_prev), (step, args)


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "ig.sqlite3")
    return new_postgres_database(request.getfixturevalue("postgres_server"))


def test_an_unchanged_data_file_is_not_imported_again(db: str, tmp_path: Path) -> None:
    import json

    from graphfields.instagram.service import create_service

    data_file = tmp_path / "data.json"
    data_file.write_text(json.dumps(DATA), "utf-8")
    create_service(db=db, data_file=data_file).close()
    svc = create_service(db=db)  # meanwhile, a load changes a record of the file
    import_dataset(svc.store, {"users": [{"id": "1", "username": "alice",
                                          "full_name": "Loaded"}]}, now=NOW)
    svc.close()
    svc = create_service(db=db, data_file=data_file)  # the same bytes: skipped
    assert svc.fetch("user", "alice", "full_name", {}) == {"full_name": "Loaded"}
    svc.close()
    changed = copy.deepcopy(DATA)
    changed["users"][0]["full_name"] = "From the new file"
    data_file.write_text(json.dumps(changed), "utf-8")
    svc = create_service(db=db, data_file=data_file)  # a changed file is imported
    assert svc.fetch("user", "alice", "full_name", {}) == {"full_name": "From the new file"}
    svc.close()


def _user(uid: str, name: str, **extra: Any) -> dict[str, Any]:
    return {"id": uid, "username": name, "full_name": f"user {uid}", **extra}


def test_a_username_names_one_user_across_writes(store: Store) -> None:
    import_dataset(store, {"users": [_user("1", "spacex")]}, now=100, pinned=True)
    import_dataset(store, {"users": [_user("2", "SpaceX", last_update=500)]}, now=200)
    assert (store.get_user("spacex") or {})["id"] == "1"  # a pinned user keeps its name
    import_dataset(store, {"users": [_user("3", "spacex")]}, now=300, pinned=True)
    assert (store.get_user("SPACEX") or {})["id"] == "3"  # a pinned write may move it
    import_dataset(store, {"users": [_user("4", "alice", last_update=900)]}, now=0)
    import_dataset(store, {"users": [_user("5", "alice", last_update=100)]}, now=0)
    assert (store.get_user("alice") or {})["id"] == "5"  # the user written last
    import_dataset(store, {"users": [_user("5", "bob")]}, now=0)  # 5 renames itself
    assert store.get_user("alice") is None and (store.get_user("bob") or {})["id"] == "5"
    import_dataset(store, {"users": [_user("4", "alice")]}, now=0)
    assert (store.get_user("alice") or {})["id"] == "4"


# -- tag feeds and comments: positions kept on write ------------------------------------
#
# The stores serve a tag's feed and a post's comments as ranges of positions, and a date
# filter as a range where the collection's timestamps are monotonic along it (newest first
# or oldest first); elsewhere they read the filter in order. The cases below hold
# collections of each kind (rising, falling, constant, unordered, a comment without a
# timestamp), written in several batches that move comments, replace feeds and change
# posts' timestamps, and compare every page with Python's reading of the rows.


def _within(ts: int | None, args: ConnectionArgs) -> bool:
    if args.since is None and args.until is None:
        return True
    return ts is not None and (args.since is None or ts >= args.since) and (
        args.until is None or ts <= args.until)


def _reference(items: list[dict[str, Any]], args: ConnectionArgs) -> Page:
    """The page ``args`` selects of ``items`` (rows in the collection's order), as IDs."""
    kept = [i for i in items if _within(i.get("timestamp"), args)]
    start, end = window(len(kept), args.first, args.last, args.after, args.before, args.offset)
    return Page([str(i["id"]) for i in kept[start:end]], start, end < len(kept), start > 0)


def _as_ids(page: Page) -> Page:
    return Page([str(n["id"]) for n in page.nodes], page.offset, page.has_next_page,
                page.has_previous_page)


class _Model:
    """What a store holds after a series of dataset imports, computed in Python: posts by
    ID, each tag's feed, each post's comments in order (a batch replaces the comments of
    the posts it carries; a comment it carries that was stored under another post leaves
    that post)."""

    def __init__(self) -> None:
        self.media: dict[str, dict[str, Any]] = {}
        self.feeds: dict[str, list[str]] = {}
        self.comments: dict[str, list[dict[str, Any]]] = {}

    def write(self, data: dict[str, Any]) -> None:
        for m in data.get("media", []):
            self.media[m["id"]] = {**self.media.get(m["id"], {}), **m}
        batch = data.get("comments", [])
        parents = dict.fromkeys(c["parent_id"] for c in batch)
        ids = {c["id"] for c in batch}
        for post, rows in self.comments.items():
            self.comments[post] = [c for c in rows if c["id"] not in ids]
        for post in parents:
            self.comments[post] = [c for c in batch if c["parent_id"] == post]
        for t in data.get("tags", []):
            if t.get("media_ids") is not None:
                self.feeds[t["id"]] = list(t["media_ids"])

    def feed(self, tag: str) -> list[dict[str, Any]]:
        return [self.media[i] for i in self.feeds.get(tag, [])]


def _check(store: Store, model: _Model, args: ConnectionArgs, posts: list[str],
           tags: list[str]) -> None:
    for tag in tags:
        assert _as_ids(store.tag_media_page(tag, args)) == _reference(model.feed(tag), args), (
            tag, args)
    expected = [_reference(model.comments.get(p, []), args) for p in posts]
    assert [_as_ids(store.media_comments_page(p, args)) for p in posts] == expected, args
    assert [_as_ids(page) for page in store.media_comments_pages(posts, args)] == expected, args


def _ordered_sample() -> list[dict[str, Any]]:
    """Three batches: posts a user's feed would list, tags newest first (ties included),
    of one timestamp and in no order; comments oldest first with ties, newest first, in no
    order and without a timestamp; then comments moving between posts, a feed replaced and
    a post moved in time (which unorders the feed holding it)."""
    ts = [T0 + 100 * (i // 3) for i in range(12)]  # threes share a timestamp
    media: list[dict[str, Any]] = [{"id": str(make_media_id(ts[i], shard=500 + i)),
                                    "owner_id": "9", "timestamp": ts[i]} for i in range(12)]
    ids = [m["id"] for m in media]
    newest_first = [ids[i] for i in sorted(range(12), key=lambda i: -ts[i])]

    def comments(post: int, stamps: Sequence[int | None], first: int = 0) -> list[dict[str, Any]]:
        return [{"id": str(7000 + first + i), "parent_id": ids[post], "timestamp": t,
                 "text": f"{post}.{i}"} for i, t in enumerate(stamps)]

    rising = [T0 + 10 * (i // 2) for i in range(9)]
    first = {
        "users": [{"id": "9", "username": "ordered"}],
        "media": media,
        "tags": [{"id": "dawn", "media_ids": newest_first},
                 {"id": "flat", "media_ids": ids[3:6]},
                 {"id": "mixed", "media_ids": [ids[4], ids[0], ids[9], ids[2]]}],
        "comments": (comments(0, rising) + comments(1, rising[::-1], 20)
                     + comments(2, [T0 + 30, T0, T0 + 50, T0 + 10], 40)
                     + comments(3, [T0, None, T0 + 20], 60) + comments(4, [T0 + 5] * 4, 80)),
    }
    moved = comments(5, [T0 + 1, T0 + 2, T0 + 3], 2)  # comments 7002..7004 leave post 0
    second = {"comments": moved,
              "tags": [{"id": "flat", "media_ids": ids[6:9][::-1]},  # a feed replaced
                       {"id": "dawn", "media_count": 5}]}  # a tag's record without its feed
    third = {"media": [{**media[7], "timestamp": T0 + 1000}],  # its feeds are then unordered
             "comments": comments(1, [T0 + 40, T0 + 40, T0 + 41], 21)}  # from post 1 to 1
    return [first, second, third]


ORDERED = _ordered_sample()
_ORDERED_WINDOWS = [
    ConnectionArgs(), ConnectionArgs(first=2), ConnectionArgs(first=2, after=3),
    ConnectionArgs(last=3), ConnectionArgs(last=2, before=5), ConnectionArgs(first=3, offset=2),
    ConnectionArgs(first=1, after=40), ConnectionArgs(last=1, before=0),
    ConnectionArgs(since=T0 + 10), ConnectionArgs(until=T0 + 20),
    ConnectionArgs(first=2, since=T0 + 10, until=T0 + 30),
    ConnectionArgs(first=2, after=0, since=T0 + 10, until=T0 + 30, offset=1),
    ConnectionArgs(last=2, since=T0 + 100), ConnectionArgs(last=2, before=3, until=T0 + 300),
    ConnectionArgs(first=5, since=T0 + 5, until=T0 + 5),
    ConnectionArgs(first=5, since=T0 + 6, until=T0 + 9),  # between timestamps: empty
    ConnectionArgs(since=T0 + 50, until=T0 + 10),  # an empty range
    ConnectionArgs(first=2, since=T0 - 5), ConnectionArgs(last=4, until=T0 + 5000),
    ConnectionArgs(first=3, after=1, since=T0 + 1000),
    ConnectionArgs(since=T0 + 500), ConnectionArgs(last=3, until=T0 + 250),  # the moved post
]


@pytest.mark.parametrize("args", _ORDERED_WINDOWS)
def test_ordered_collections_in_batches(store: Store, args: ConnectionArgs) -> None:
    model = _Model()
    posts = [m["id"] for m in ORDERED[0]["media"]][:7]
    for data in ORDERED:
        import_dataset(store, copy.deepcopy(data), now=NOW)
        model.write(copy.deepcopy(data))
        _check(store, model, args, posts, ["dawn", "flat", "mixed", "none"])


def test_a_pinned_post_keeps_its_time_in_feeds(store: Store) -> None:
    data = ORDERED[0]
    import_dataset(store, copy.deepcopy(data), now=NOW, pinned=True)
    moved = {**data["media"][7], "timestamp": T0 + 1000}
    import_dataset(store, {"media": [moved]}, now=NOW)  # refused: the stored post is pinned
    model = _Model()
    model.write(copy.deepcopy(data))
    for args in _ORDERED_WINDOWS:
        _check(store, model, args, [], ["dawn"])


_ids_seen = iter(range(10**6))
_time = st.integers(min_value=T0, max_value=T0 + 12)  # a narrow range: many equal times
_arrangement = st.sampled_from(["rising", "falling", "as drawn"])


def _arrange(rows: list[dict[str, Any]], how: str, key: str = "timestamp") -> None:
    if how != "as drawn" and all(r.get(key) is not None for r in rows):
        rows.sort(key=lambda r: r[key], reverse=how == "falling")


@st.composite
def _histories(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    """Datasets written in turn: posts (new, or again with another timestamp), tag feeds
    of known posts (in a timestamp order or not), comments of some posts (ordered or not,
    some without a timestamp, IDs from a small pool, so comments move between posts)."""
    run = next(_ids_seen)
    user = f"h{run}"
    posts = [str(10**15 + run * 100 + i) for i in range(draw(st.integers(2, 6)))]
    tags = [f"hist{run}x{i}" for i in range(2)]
    times: dict[str, int] = {}
    history = []
    for step in range(draw(st.integers(1, 4))):
        data: dict[str, Any] = {"users": [{"id": user, "username": user}] if step == 0 else []}
        fresh = posts if step == 0 else draw(st.lists(st.sampled_from(posts), unique=True))
        data["media"] = [{"id": p, "owner_id": user, "timestamp": draw(_time)} for p in fresh]
        times.update({m["id"]: m["timestamp"] for m in data["media"]})
        data["tags"] = []
        for tag in draw(st.lists(st.sampled_from(tags), unique=True)):
            if draw(st.booleans()):
                feed = [{"id": p, "timestamp": times[p]}
                        for p in draw(st.lists(st.sampled_from(posts), unique=True))]
                _arrange(feed, draw(_arrangement))
                data["tags"].append({"id": tag, "media_ids": [f["id"] for f in feed]})
            else:
                data["tags"].append({"id": tag, "media_count": step})  # the feed stays
        data["comments"] = []
        pool = iter(draw(st.permutations(range(12))))
        for post in draw(st.lists(st.sampled_from(posts), unique=True, max_size=3)):
            stamps = st.none() | _time if draw(st.booleans()) else _time
            rows = [{"id": f"{user}c{next(pool)}", "parent_id": post,
                     "timestamp": draw(stamps)} for _ in range(draw(st.integers(0, 4)))]
            _arrange(rows, draw(_arrangement))
            data["comments"] += rows
        history.append(data)
    return history, posts, tags


_window = st.builds(
    ConnectionArgs, first=st.none() | st.integers(0, 7), last=st.none() | st.integers(0, 7),
    after=st.none() | st.integers(0, 8), before=st.none() | st.integers(0, 8),
    since=st.none() | st.integers(T0 - 1, T0 + 13), until=st.none() | st.integers(T0 - 1, T0 + 13),
    offset=st.integers(0, 3))


@settings(max_examples=40, deadline=None)
@given(case=_histories(), windows=st.lists(_window, min_size=1, max_size=4))
def test_positions_survive_any_history_of_writes(
        shared: Store, case: tuple[list[dict[str, Any]], list[str], list[str]],
        windows: list[ConnectionArgs]) -> None:
    history, posts, tags = case
    model = _Model()
    for data in history:
        import_dataset(shared, copy.deepcopy(data), now=NOW)
        model.write(copy.deepcopy(data))
        for args in windows:
            _check(shared, model, args, posts, tags)
