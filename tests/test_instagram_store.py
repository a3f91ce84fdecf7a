"""The SQLite store: dataset import, validation errors, atomicity, ordering, pages."""

from __future__ import annotations

import copy
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphfields.errors import GraphFieldsError
from graphfields.instagram.dataset import Batch, DatasetError, import_dataset, parse_dataset
from graphfields.instagram.shortcode import make_media_id
from graphfields.instagram.sqlite_store import SQLiteStore
from graphfields.relay import window
from graphfields.schema import ConnectionArgs

NOW = 1_560_000_000
T0 = 1_550_000_000


def sample(n_media: int = 12, n_comments: int = 7) -> dict[str, Any]:
    """Two users, one location, media with repeated timestamps, comments, one tag."""
    media = []
    for i in range(n_media):
        ts = T0 + (i // 2) * 3600  # pairs share a timestamp: exercises the id tie-break
        media.append({
            "id": str(make_media_id(ts, shard=i)), "timestamp": ts, "owner_id": "1",
            "caption": [f"post {i} #sun"], "tags": ["sun"], "like_count": i,
            "location_id": "77" if i % 3 == 0 else None,
        })  # fmt: skip
    media.append({"id": str(make_media_id(T0 + 5)), "owner_id": "2", "timestamp": T0 + 5})
    comments = [
        {"id": str(900 + i), "parent_id": media[0]["id"], "timestamp": T0 + 10 * (n_comments - i),
         "text": f"c{i}", "owner_id": "2" if i % 2 else "1"}
        for i in range(n_comments)
    ]  # fmt: skip
    return {
        "users": [
            {"id": "1", "username": "alice", "full_name": "Alice A", "is_private": False,
             "follower_count": 10, "last_update": NOW},
            {"id": 2, "username": "Bob", "profile_pic_url": "https://x/b.jpg"},
        ],
        "locations": [{"id": "77", "name": "Lisbon", "slug": "lisbon", "has_public_page": True}],
        "media": media,
        "comments": comments,
        "tags": [
            {"id": "sun", "media_count": 99,
             "media_ids": [m["id"] for m in reversed(media[:n_media])][::2]
             + [m["id"] for m in media[:n_media]][::2]},
        ],
    }


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "ig.db")
    yield s
    s.close()


def dump(store: SQLiteStore) -> dict[str, list[tuple[Any, ...]]]:
    conn = store.connection()
    tables = ["users", "locations", "media", "comments", "tags", "tag_media", "missing"]
    return {t: sorted(tuple(r) for r in conn.execute(f"SELECT * FROM {t}")) for t in tables}


def test_import_and_lookups(store: SQLiteStore) -> None:
    data = sample()
    counts = import_dataset(store, data, now=NOW)
    assert counts == {"users": 2, "locations": 1, "media": 13, "comments": 7, "tags": 1}
    alice = store.get_user("ALICE")
    assert alice is not None
    assert alice["id"] == "1" and alice["is_private"] is False and alice["last_update"] == NOW
    bob = store.get_user("bob")
    assert bob is not None and bob["id"] == "2" and bob["last_update"] == NOW
    m0 = data["media"][0]
    row = store.get_media(m0["id"])
    assert row is not None
    assert row["caption"] == ["post 0 #sun"] and row["tags"] == ["sun"]
    assert store.get_media_by_shortcode(row["shortcode"]) == row
    tag = store.get_tag("SUN")
    assert tag is not None and tag["id"] == "sun" and tag["media_count"] == 99
    assert store.get_tag("moon") is None and store.get_user("carol") is None


def test_import_from_file_and_shortcode_derivation(store: SQLiteStore, tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_text(
        '{"users": [{"id": "3008836221", "username": "teslamotorsports"}],'
        ' "media": [{"id": "1770093817144369706", "owner_id": "3008836221"}]}'
    )
    import_dataset(store, path, now=NOW)
    row = store.get_media_by_shortcode("BiQovLGAWIq")
    assert row is not None
    assert row["id"] == "1770093817144369706"
    assert row["timestamp"] == 1525231648  # derived from the ID's time bits


BAD_CASES: list[tuple[str, Callable[[dict[str, Any]], None], str | None, int | None, str]] = [
    ("unknown collection", lambda d: d.update({"x": 1}), None, None,
     'unknown collection "x"'),
    ("collection not list", lambda d: d.update({"users": {}}), None, None,
     '"users" must be a list, not object'),
    ("record not object", lambda d: d["media"].insert(2, 5), "media", 2,
     "a record must be an object, not integer"),
    ("missing id", lambda d: d["users"][1].pop("id"), "users", 1, 'missing "id"'),
    ("missing username", lambda d: d["users"][0].pop("username"), "users", 0,
     'missing "username"'),
    ("wrong type", lambda d: d["media"][3].update({"like_count": "7"}), "media", 3,
     '"like_count" must be an integer, not string'),
    ("bool as int", lambda d: d["users"][0].update({"follower_count": True}), "users", 0,
     '"follower_count" must be an integer, not boolean'),
    ("float id", lambda d: d["users"][0].update({"id": 1.5}), "users", 0,
     '"id" must be a non-empty string or integer, not number'),
    ("bad list", lambda d: d["media"][1].update({"tags": ["a", 1]}), "media", 1,
     '"tags" must be a list of strings'),
    ("unknown field", lambda d: d["comments"][4].update({"txt": "x"}), "comments", 4,
     'unknown field "txt"'),
    ("non-numeric media id", lambda d: d["media"][5].update({"id": "abc"}), "media", 5,
     '"id" of a media must be a decimal number: "abc"'),
    ("bad shortcode", lambda d: d["media"][5].update({"shortcode": "a/b"}), "media", 5,
     '"shortcode" is not a shortcode: "a/b"'),
    ("duplicate id", lambda d: d["users"][1].update({"id": "1"}), "users", 1,
     'duplicate id "1" (also at index 0)'),
    ("duplicate username", lambda d: d["users"][1].update({"username": "ALICE"}), "users", 1,
     'duplicate username "ALICE" (also at index 0)'),
    ("unknown owner", lambda d: d["media"][4].update({"owner_id": "55"}), "media", 4,
     'unknown owner_id "55"'),
    ("unknown location", lambda d: d["media"][6].update({"location_id": "8"}), "media", 6,
     'unknown location_id "8"'),
    ("unknown parent", lambda d: d["comments"][2].update({"parent_id": "1"}), "comments", 2,
     'unknown parent_id "1"'),
    ("unknown commenter", lambda d: d["comments"][3].update({"owner_id": "9"}), "comments", 3,
     'unknown owner_id "9"'),
    ("unknown feed media", lambda d: d["tags"][0]["media_ids"].append("123"), "tags", 0,
     'unknown media_ids "123"'),
    ("feed duplicate", lambda d: d["tags"][0]["media_ids"].append(d["media"][0]["id"]), "tags",
     0, "twice"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "mutate", "collection", "index", "reason"), BAD_CASES)
def test_rejects_malformed_records(
    store: SQLiteStore,
    name: str,
    mutate: Callable[[dict[str, Any]], None],
    collection: str | None,
    index: int | None,
    reason: str,
) -> None:
    import_dataset(store, {"users": [{"id": "0", "username": "zed"}]}, now=NOW)
    before = dump(store)
    data = sample()
    mutate(data)
    with pytest.raises(DatasetError) as info:
        import_dataset(store, data, now=NOW)
    err = info.value
    assert isinstance(err, GraphFieldsError)
    assert (err.collection, err.index) == (collection, index)
    assert reason in err.reason
    if collection is not None:
        assert f"{collection}[{index}]" in err.message
    assert dump(store) == before  # nothing written


def test_reference_to_stored_node_is_fine(store: SQLiteStore) -> None:
    import_dataset(store, sample(), now=NOW)
    extra = {"media": [{"id": str(make_media_id(T0 + 99)), "owner_id": "2", "location_id": "77"}]}
    import_dataset(store, extra, now=NOW)


def test_bad_files(tmp_path: Path, store: SQLiteStore) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"users": [}')
    with pytest.raises(DatasetError, match=r"is not valid JSON: .* at line 1, column 12"):
        import_dataset(store, bad)
    with pytest.raises(DatasetError, match="cannot read"):
        import_dataset(store, tmp_path / "nope.json")
    with pytest.raises(DatasetError, match="must be a JSON object, not array"):
        import_dataset(store, [])  # type: ignore[arg-type]


def test_crash_mid_write_rolls_back(store: SQLiteStore, monkeypatch: pytest.MonkeyPatch) -> None:
    import_dataset(store, sample(), now=NOW)
    before = dump(store)
    changed = sample()
    changed["users"][0]["full_name"] = "Changed"
    changed["comments"] = changed["comments"][:2]
    real = SQLiteStore._upsert
    calls = 0

    def flaky(self: SQLiteStore, *args: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 5:  # after users and some media were written
            raise RuntimeError("disk on fire")
        real(self, *args)

    monkeypatch.setattr(SQLiteStore, "_upsert", flaky)
    with pytest.raises(RuntimeError):
        import_dataset(store, changed, now=NOW + 1)
    assert dump(store) == before


def test_orderings(store: SQLiteStore) -> None:
    data = sample()
    import_dataset(store, data, now=NOW)
    page = store.user_media_page("1", ConnectionArgs())
    expected = sorted(
        (m for m in data["media"] if m["owner_id"] == "1"),
        key=lambda m: (m["timestamp"], m["id"]),
        reverse=True,
    )
    assert [n["id"] for n in page.nodes] == [m["id"] for m in expected]
    feed = store.tag_media_page("sun", ConnectionArgs())
    assert [n["id"] for n in feed.nodes] == data["tags"][0]["media_ids"]
    comments = store.media_comments_page(data["media"][0]["id"], ConnectionArgs())
    assert [c["id"] for c in comments.nodes] == [c["id"] for c in data["comments"]]
    assert comments.nodes[0] == {
        "id": "900", "parent_id": data["media"][0]["id"], "timestamp": T0 + 70, "text": "c0",
        "owner_id": "1", "last_update": NOW,
    }  # fmt: skip


def test_reimport_replaces_comment_list_and_feed(store: SQLiteStore) -> None:
    data = sample()
    import_dataset(store, data, now=NOW)
    again = {
        "comments": list(reversed(data["comments"][:3])),
        "tags": [{"id": "SUN", "media_ids": [data["media"][1]["id"]]}],
    }
    import_dataset(store, again, now=NOW)
    comments = store.media_comments_page(data["media"][0]["id"], ConnectionArgs())
    assert [c["text"] for c in comments.nodes] == ["c2", "c1", "c0"]
    assert [n["id"] for n in store.tag_media_page("sun", ConnectionArgs()).nodes] == [
        data["media"][1]["id"]
    ]


def test_partial_records_keep_stored_values(store: SQLiteStore) -> None:
    import_dataset(store, sample(), now=NOW)
    batch = parse_dataset(
        {"users": [{"id": "1", "username": "alice", "profile_pic_url": "new.jpg"},
                   {"id": "5", "username": "eve"}]},
        now=NOW + 50,
    )  # fmt: skip
    batch.partial = {("user", "1"), ("user", "5")}
    store.write(batch)
    alice = store.get_user("alice")
    assert alice is not None
    assert alice["full_name"] == "Alice A" and alice["profile_pic_url"] == "new.jpg"
    assert alice["last_update"] == NOW and alice["complete"] == 1
    eve = store.get_user("eve")
    assert eve is not None and eve["complete"] == 0 and eve["last_update"] == NOW + 50


def test_pinned_rows_are_not_overwritten(store: SQLiteStore) -> None:
    import_dataset(store, sample(), now=NOW, pinned=True)
    import_dataset(store, {"users": [{"id": "1", "username": "alice2"}]}, now=NOW + 9)
    alice = store.get_user("alice")
    assert alice is not None and alice["complete"] == 2 and alice["full_name"] == "Alice A"


def test_missing_bookkeeping(store: SQLiteStore) -> None:
    assert store.missing_since("user", "ghost") is None
    store.mark_missing("user", "ghost", 123.5)
    assert store.missing_since("user", "GHOST") == 123.5


def test_batches_are_one_query(store: SQLiteStore) -> None:
    import_dataset(store, sample(), now=NOW)
    statements: list[str] = []
    store.connection().set_trace_callback(statements.append)
    users = store.users_by_ids(["1", "2", "1", "404"])
    locations = store.locations_by_ids(["77", "77"])
    store.connection().set_trace_callback(None)
    assert sorted(users) == ["1", "2"] and list(locations) == ["77"]
    assert len(statements) == 2


def test_store_needs_a_file() -> None:
    with pytest.raises(ValueError, match="file path"):
        SQLiteStore(":memory:")


def test_concurrent_readers_and_writers(store: SQLiteStore) -> None:
    import_dataset(store, sample(), now=NOW)
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            for j in range(20):
                ts = T0 + 10_000 + k * 100 + j
                extra = {"media": [{"id": str(make_media_id(ts, k)), "owner_id": "2"}]}
                import_dataset(store, extra, now=NOW)
                store.user_media_page("2", ConnectionArgs(first=5))
                store.tag_media_page("sun", ConnectionArgs(last=3))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(store.user_media_page("2", ConnectionArgs()).nodes) == 1 + 6 * 20


# -- push-down equals slicing a Python list ----------------------------------------------

_DATA = sample(n_media=14, n_comments=9)


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SQLiteStore]:
    s = SQLiteStore(tmp_path_factory.mktemp("pages") / "ig.db")
    import_dataset(s, copy.deepcopy(_DATA), now=NOW)
    yield s
    s.close()


def _reference(
    items: list[dict[str, Any]], args: ConnectionArgs
) -> tuple[list[str], int, bool, bool]:
    kept = [
        m for m in items
        if (args.since is None or m["timestamp"] >= args.since)
        and (args.until is None or m["timestamp"] <= args.until)
    ]  # fmt: skip
    start, end = window(len(kept), args.first, args.last, args.after, args.before)
    return [m["id"] for m in kept[start:end]], start, end < len(kept), start > 0


def _collections() -> dict[str, tuple[Callable[[SQLiteStore, ConnectionArgs], Any], list[Any]]]:
    by_id = {m["id"]: m for m in _DATA["media"]}
    user = sorted(
        (m for m in _DATA["media"] if m["owner_id"] == "1"),
        key=lambda m: (m["timestamp"], m["id"]),
        reverse=True,
    )
    return {
        "user": (lambda s, a: s.user_media_page("1", a), user),
        "tag": (lambda s, a: s.tag_media_page("sun", a),
                [by_id[i] for i in _DATA["tags"][0]["media_ids"]]),
        "comments": (lambda s, a: s.media_comments_page(_DATA["media"][0]["id"], a),
                     _DATA["comments"]),
    }  # fmt: skip


_COLLECTIONS = _collections()
_small = st.none() | st.integers(min_value=0, max_value=18)
_stamp = st.none() | st.integers(min_value=T0 - 10, max_value=T0 + 8 * 3600)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(sorted(_COLLECTIONS)),
    st.builds(ConnectionArgs, first=_small, last=_small, after=_small, before=_small,
              since=_stamp, until=_stamp),
)  # fmt: skip
def test_pages_equal_python_slicing(
    shared_store: SQLiteStore, which: str, args: ConnectionArgs
) -> None:
    fetch, items = _COLLECTIONS[which]
    page = fetch(shared_store, args)
    ids, start, has_next, has_prev = _reference(items, args)
    assert [n["id"] for n in page.nodes] == ids
    assert (page.has_next_page, page.has_previous_page) == (has_next, has_prev)
    if ids:
        assert page.offset == start


def test_forward_page_is_one_query(shared_store: SQLiteStore) -> None:
    statements: list[str] = []
    conn: sqlite3.Connection = shared_store.connection()
    conn.set_trace_callback(statements.append)
    page = shared_store.user_media_page("1", ConnectionArgs(first=3, after=2, since=T0))
    conn.set_trace_callback(None)
    assert len(page.nodes) == 3 and len(statements) == 1
    assert "LIMIT" in statements[0] and "timestamp >=" in statements[0]


def test_batch_type() -> None:
    assert Batch().partial == set()


# -- what goes in comes out ----------------------------------------------------------------

_text = st.text(st.characters(codec="utf-8"), max_size=12)
_maybe = st.none() | st.integers(min_value=0, max_value=2**40)
_user = st.fixed_dictionaries(
    {"username": st.from_regex(r"[a-z0-9._]{1,12}", fullmatch=True)},
    optional={"full_name": st.none() | _text, "biography": st.none() | _text,
              "is_private": st.none() | st.booleans(), "is_verified": st.booleans(),
              "follower_count": _maybe, "media_count": _maybe, "last_update": _maybe},
)  # fmt: skip
_post = st.fixed_dictionaries(
    {"timestamp": st.integers(min_value=1_400_000_000, max_value=1_900_000_000)},
    optional={"caption": st.lists(_text, max_size=3), "tags": st.lists(_text, max_size=3),
              "like_count": _maybe, "media_type": _text, "video_view_count": _maybe},
)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(st.lists(_user, min_size=1, max_size=4, unique_by=lambda u: u["username"]),
       st.lists(_post, max_size=6))  # fmt: skip
def test_round_trip(
    shared_store: SQLiteStore, users: list[dict[str, Any]], posts: list[dict[str, Any]]
) -> None:
    base = 10**6 + len(shared_store.connection().execute("SELECT id FROM users").fetchall())
    for i, u in enumerate(users):
        u["id"] = str(base + i)
        u["username"] = f"rt{base + i}_{u['username']}"
    for i, p in enumerate(posts):
        p["id"] = str(make_media_id(p["timestamp"], shard=base % 2**20 * 8 + i))
        p["owner_id"] = users[i % len(users)]["id"]
    import_dataset(shared_store, {"users": users, "media": posts}, now=NOW)
    for u in users:
        row = shared_store.get_user(u["username"].upper())
        assert row is not None
        for k, v in u.items():
            assert row[k] == (NOW if k == "last_update" and v is None else v)
    for p in posts:
        row = shared_store.get_media(p["id"])
        assert row is not None
        for k, v in p.items():
            assert row[k] == v


def test_a_database_made_before_feed_positions_is_numbered_on_open(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    s = SQLiteStore(path)
    import_dataset(s, sample(), now=NOW)
    expected = s.user_media_page("1", ConnectionArgs(last=5))
    conn = s.connection()
    conn.executescript("DROP INDEX media_by_seq; DROP INDEX media_by_time_seq;"
                       " ALTER TABLE media DROP COLUMN seq;")  # the old schema
    s.close()
    s = SQLiteStore(path)
    try:
        assert s.user_media_page("1", ConnectionArgs(last=5)) == expected
        assert s.connection().execute("SELECT COUNT(*) FROM media WHERE seq IS NULL"
                                      ).fetchone()[0] == 0
    finally:
        s.close()
