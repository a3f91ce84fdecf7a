"""Freshness and loading (spec section 2): 202 then 200, 404 remembered, stale nodes
served while they refresh, single-flight loads, crashes leave the store unchanged,
plan limits, and the deterministic synthetic loader."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graphfields.instagram.loader import LoadResult
from graphfields.instagram.service import (
    Freshness,
    InstagramService,
    NodeLoading,
    NodeNotFound,
    create_service,
)
from graphfields.instagram.shortcode import id_to_shortcode, make_media_id, media_id_time
from graphfields.instagram.sqlite_store import SQLiteStore
from graphfields.instagram.synthetic import SyntheticLoader, exists

HOUR = 3600
T0 = 1_600_000_000


class Clock:
    def __init__(self, t: float = T0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


class FakeLoader:
    """Counts calls; can block on an event, fail, or say "does not exist"."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.calls: list[tuple[str, str]] = []
        self.gate: threading.Event | None = None
        self.fail = False
        self.missing: set[str] = set()
        self.version = 0
        self.n_posts = 3
        self.n_comments = 2
        self.bad_data = False
        self._lock = threading.Lock()

    def _enter(self, kind: str, key: str) -> bool:
        with self._lock:
            self.calls.append((kind, key))
        if self.gate is not None:
            assert self.gate.wait(10)
        if self.fail:
            raise RuntimeError("upstream exploded")
        return key not in self.missing

    def _user(self, username: str) -> dict[str, Any]:
        return {"id": str(abs(hash(username)) % 10**9), "username": username,
                "full_name": f"{username} v{self.version}"}  # fmt: skip

    def _post(self, i: int, owner: str) -> dict[str, Any]:
        ts = int(self.clock()) - 600 * (i + 1)
        shard = int(owner) % 100_000 * 16 + i  # distinct posts per owner
        return {"id": str(make_media_id(ts, shard=shard)), "timestamp": ts, "owner_id": owner,
                "like_count": self.version}  # fmt: skip

    def load_user(self, username: str, *, max_media: int) -> LoadResult | None:
        if not self._enter("user", username):
            return None
        user = self._user(username)
        media = [self._post(i, user["id"]) for i in range(self.n_posts)]
        if self.bad_data:
            media[-1]["timestamp"] = "yesterday"
        return {"users": [user], "media": media}

    def load_tag(self, name: str, *, max_media: int) -> LoadResult | None:
        if not self._enter("tag", name):
            return None
        owner = self._user("tagger")
        media = [self._post(i, owner["id"]) for i in range(self.n_posts)]
        return {"users": [owner], "media": media,
                "tags": [{"id": name, "media_count": 10 + self.version,
                          "media_ids": [m["id"] for m in media]}]}  # fmt: skip

    def load_media(self, media_id: str, *, max_comments: int) -> LoadResult | None:
        if not self._enter("media", media_id):
            return None
        owner = self._user("poster")
        commenter = self._user("commenter")
        ts = int(media_id_time(media_id))
        comments = [{"id": f"{media_id}{i}", "parent_id": media_id, "timestamp": ts + i,
                     "text": f"c{i}", "owner_id": commenter["id"]}
                    for i in range(self.n_comments)]  # fmt: skip
        return {"users": [owner, commenter], "comments": comments,
                "media": [{"id": media_id, "owner_id": owner["id"], "like_count": self.version}]}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def loader(clock: Clock) -> FakeLoader:
    return FakeLoader(clock)


@pytest.fixture
def service(tmp_path: Path, clock: Clock, loader: FakeLoader) -> Iterator[InstagramService]:
    svc = InstagramService(SQLiteStore(tmp_path / "ig.db"), loader=loader, clock=clock)
    yield svc
    svc.close()


FIELDS = "id,username,full_name,last_update,is_being_updated"


def test_missing_node_202_then_200(service: InstagramService, loader: FakeLoader) -> None:
    with pytest.raises(NodeLoading) as info:
        service.fetch("user", "alice", FIELDS, {})
    assert info.value.message == (
        "Some nodes you requested are being loaded now: alice. Try again later"
    )
    assert info.value.node_id == "alice"
    assert service.wait_idle(10)
    data = service.fetch("user", "alice", FIELDS, {})
    assert data["username"] == "alice" and data["full_name"] == "alice v0"
    assert data["last_update"] == T0 and data["is_being_updated"] is False
    media = service.fetch("user", "alice", "media.first(5){edges{node{id}}}", {})["media"]
    assert len(media["edges"]) == 3
    assert loader.calls == [("user", "alice")]


def test_nonexistent_is_404_and_remembered(
    service: InstagramService, loader: FakeLoader, clock: Clock
) -> None:
    loader.missing.add("ghost")
    with pytest.raises(NodeLoading):
        service.fetch("tag", "ghost", "id", {})
    service.wait_idle(10)
    for _ in range(3):
        with pytest.raises(NodeNotFound) as info:
            service.fetch("tag", "ghost", "id", {})
        assert info.value.message == "Some nodes you requested cannot be loaded: ghost"
    assert loader.calls == [("tag", "ghost")]
    clock.t += Freshness().negative_ttl + 1  # forgotten: asked again
    with pytest.raises(NodeLoading):
        service.fetch("tag", "ghost", "id", {})
    service.wait_idle(10)
    assert loader.calls == [("tag", "ghost")] * 2


def test_stale_profile_served_while_refreshing(
    service: InstagramService, loader: FakeLoader, clock: Clock
) -> None:
    with pytest.raises(NodeLoading):
        service.fetch("user", "bob", FIELDS, {})
    service.wait_idle(10)
    clock.t += 23 * HOUR  # still fresh: no load
    assert service.fetch("user", "bob", FIELDS, {})["is_being_updated"] is False
    assert len(loader.calls) == 1
    clock.t += 2 * HOUR  # 25 hours: stale
    loader.version = 1
    loader.gate = threading.Event()
    data = service.fetch("user", "bob", FIELDS, {})
    assert data["full_name"] == "bob v0" and data["is_being_updated"] is True
    assert data["last_update"] == T0
    again = service.fetch("user", "bob", FIELDS, {})  # no second load while one runs
    assert again["is_being_updated"] is True
    loader.gate.set()
    service.wait_idle(10)
    assert len(loader.calls) == 2
    data = service.fetch("user", "bob", FIELDS, {})
    assert data == {"id": data["id"], "username": "bob", "full_name": "bob v1",
                    "last_update": T0 + 25 * HOUR, "is_being_updated": False}  # fmt: skip


def test_post_freshness_rules(service: InstagramService, loader: FakeLoader, clock: Clock) -> None:
    post_id = str(make_media_id(T0 - 3 * 86400, shard=5))
    with pytest.raises(NodeLoading):
        service.fetch("media", post_id, "id", {})
    service.wait_idle(10)
    fields = "id,like_count,is_being_updated,comments{edges{node{text,is_being_updated}}}"
    clock.t += 1.9 * HOUR
    assert service.fetch("media", post_id, fields, {})["is_being_updated"] is False
    clock.t += 0.2 * HOUR  # 2.1 hours: stale, the post is 3 days old
    loader.gate = threading.Event()
    data = service.fetch("media", post_id, fields, {})
    assert data["is_being_updated"] is True
    assert [e["node"]["is_being_updated"] for e in data["comments"]["edges"]] == [True, True]
    loader.gate.set()
    service.wait_idle(10)
    assert len(loader.calls) == 2
    clock.t += 5 * 86400  # the post is now 8 days old: never refreshed again
    assert service.fetch("media", post_id, "is_being_updated", {}) == {"is_being_updated": False}
    assert len(loader.calls) == 2
    by_code = service.fetch("media", id_to_shortcode(post_id), "id", {})
    assert by_code == {"id": post_id}


def test_stale_tag_and_partial_nodes(
    service: InstagramService, loader: FakeLoader, clock: Clock
) -> None:
    with pytest.raises(NodeLoading):
        service.fetch("tag", "sun", "id", {})
    service.wait_idle(10)
    feed = service.fetch("tag", "sun", "media_count,media{edges{node{id,owner{username}}}}", {})
    assert feed["media_count"] == 10
    first = feed["media"]["edges"][0]["node"]
    assert first["owner"]["username"] == "tagger"
    # A post seen only in a feed is served at once, and loaded fully in the background.
    loader.gate = threading.Event()
    post = service.fetch("media", first["id"], "id,is_being_updated", {})
    assert post == {"id": first["id"], "is_being_updated": True}
    # So is its owner's profile (only a stub so far).
    owner = service.fetch("user", "tagger", "username,is_being_updated", {})
    assert owner == {"username": "tagger", "is_being_updated": True}
    loader.gate.set()
    service.wait_idle(10)
    assert ("media", first["id"]) in loader.calls and ("user", "tagger") in loader.calls
    comments = service.fetch("media", first["id"], "comments{edges{node{text}}}", {})
    assert len(comments["comments"]["edges"]) == 2
    clock.t += 2 * HOUR
    loader.version = 4
    service.fetch("tag", "sun", "id", {})
    service.wait_idle(10)
    assert service.fetch("tag", "sun", "media_count", {}) == {"media_count": 14}


def test_single_flight(service: InstagramService, loader: FakeLoader) -> None:
    loader.gate = threading.Event()
    outcomes: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(12)

    def ask() -> None:
        start.wait()
        try:
            service.fetch("user", "popular", "id", {})
            result = "ok"
        except NodeLoading:
            result = "loading"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=ask) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes == ["loading"] * 12
    loader.gate.set()
    service.wait_idle(10)
    assert loader.calls == [("user", "popular")]
    assert service.fetch("user", "popular", "username", {}) == {"username": "popular"}


def test_loader_crash_leaves_store_unchanged(
    service: InstagramService, loader: FakeLoader, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    loader.fail = True
    with caplog.at_level(logging.ERROR, logger="graphfields.instagram"):
        with pytest.raises(NodeLoading):
            service.fetch("user", "carol", "id", {})
        service.wait_idle(10)
    assert "loading user 'carol' failed" in caplog.text
    assert "upstream exploded" in caplog.text
    loader.fail = False
    with pytest.raises(NodeLoading):  # nothing was stored, nothing remembered: try again
        service.fetch("user", "carol", "id", {})
    service.wait_idle(10)
    assert service.fetch("user", "carol", "full_name", {}) == {"full_name": "carol v0"}


def test_malformed_load_writes_no_part(
    service: InstagramService, loader: FakeLoader, caplog: pytest.LogCaptureFixture
) -> None:
    loader.bad_data = True
    with pytest.raises(NodeLoading):
        service.fetch("user", "dave", "id", {})
    service.wait_idle(10)
    assert 'media[2]: "timestamp" must be an integer, not string' in caplog.text
    store = service.store
    assert isinstance(store, SQLiteStore)
    assert store.get_user("dave") is None
    assert store.connection().execute("SELECT COUNT(*) FROM media").fetchone()[0] == 0


def test_load_limits(tmp_path: Path, clock: Clock, loader: FakeLoader) -> None:
    loader.n_posts = 5
    loader.n_comments = 9
    svc = create_service(db_path=tmp_path / "l.db", loader=loader, clock=clock,
                         max_user_media=2, max_tag_media=3, max_comments=4)  # fmt: skip
    try:
        for kind, key in (("user", "erin"), ("tag", "moon")):
            with pytest.raises(NodeLoading):
                svc.fetch(kind, key, "id", {})
        svc.wait_idle(10)
        user = svc.fetch("user", "erin", "media.first(100){edges{node{id}}}", {})
        assert len(user["media"]["edges"]) == 2
        tag = svc.fetch("tag", "moon", "media.first(100){edges{node{id}}}", {})
        assert len(tag["media"]["edges"]) == 3
        post = tag["media"]["edges"][0]["node"]["id"]
        with pytest.raises(NodeLoading):  # stale/partial: served... but here a fresh ID
            svc.fetch("media", str(int(post) + 1), "id", {})
        svc.wait_idle(10)
        comments = svc.fetch("media", str(int(post) + 1), "comments.first(100){edges{node{id}}}",
                             {})  # fmt: skip
        assert len(comments["comments"]["edges"]) == 4
    finally:
        svc.close()


def test_no_loader_means_no_refresh(tmp_path: Path, clock: Clock) -> None:
    svc = InstagramService(SQLiteStore(tmp_path / "n.db"), clock=clock)
    try:
        from graphfields.instagram.dataset import import_dataset

        import_dataset(svc.store, {"users": [{"id": "1", "username": "old", "last_update": 5}]})
        assert svc.fetch("user", "old", "last_update,is_being_updated", {}) == {
            "last_update": 5, "is_being_updated": False}  # fmt: skip
        with pytest.raises(NodeNotFound):
            svc.fetch("user", "new", "id", {})
    finally:
        svc.close()


# -- the synthetic loader ------------------------------------------------------------------


def test_synthetic_is_deterministic_and_valid(tmp_path: Path) -> None:
    now = 1_560_500_000
    a = SyntheticLoader(delay=0, clock=lambda: now)
    b = SyntheticLoader(delay=0, clock=lambda: now)
    assert a.load_user("anna.travels", max_media=7) == b.load_user("anna.travels", max_media=7)
    assert a.load_tag("sunset", max_media=12) == b.load_tag("sunset", max_media=12)
    user = a.load_user("anna.travels", max_media=7)
    assert user is not None
    assert user["users"][0]["username"] == "anna.travels"
    assert len(user["media"]) <= 7
    for post in user["media"]:
        assert abs(media_id_time(post["id"]) - post["timestamp"]) < 1
        assert post["shortcode"] == id_to_shortcode(post["id"])
        assert any(c.startswith(("Golden", "Weekend")) or "#" in c for c in post["caption"])
        assert {f"#{t}" for t in post["tags"]} <= set(post["caption"][0].split())
    tag = a.load_tag("sunset", max_media=12)
    assert tag is not None and len(tag["tags"][0]["media_ids"]) == 12
    assert all("sunset" in m["tags"] for m in tag["media"])
    first = user["media"][0]
    post = a.load_media(first["id"], max_comments=5)
    assert post is not None
    assert post["media"][0]["owner_id"] == first["owner_id"]  # same post as in the profile
    assert len(post["comments"]) <= 5
    store = SQLiteStore(tmp_path / "s.db")
    try:
        from graphfields.instagram.dataset import import_dataset

        for result in (user, tag, post):
            import_dataset(store, dict(result), now=now)
    finally:
        store.close()


@pytest.mark.parametrize(
    ("kind", "key", "found"),
    [("user", "missing_person", False), ("user", "MissingX", False), ("user", "anna", True),
     ("tag", "missingtag", False), ("tag", "food", True), ("media", "1690", False),
     ("media", "1770093817144369706", True), ("media", str(make_media_id(T0 + 10)), False)],
)  # fmt: skip
def test_synthetic_existence_rule(kind: str, key: str, found: bool) -> None:
    loader = SyntheticLoader(delay=0, clock=lambda: T0)
    assert exists(kind, key, T0) is found
    if kind == "user":
        result = loader.load_user(key, max_media=3)
    elif kind == "tag":
        result = loader.load_tag(key, max_media=3)
    else:
        result = loader.load_media(key, max_comments=3)
    assert (result is not None) is found


def test_demo_flow(tmp_path: Path) -> None:
    svc = create_service(db_path=tmp_path / "demo.db", demo=True, demo_delay=0)
    try:
        with pytest.raises(NodeLoading):
            svc.fetch("user", "demo_new_user", FIELDS, {})
        assert svc.wait_idle(10)
        data = svc.fetch("user", "demo_new_user", FIELDS + ",media.first(2){edges{node{id}}}", {})
        assert data["username"] == "demo_new_user" and data["is_being_updated"] is False
        assert len(data["media"]["edges"]) == 2
        with pytest.raises(NodeLoading):
            svc.fetch("user", "missing_someone", "id", {})
        svc.wait_idle(10)
        with pytest.raises(NodeNotFound):
            svc.fetch("user", "missing_someone", "id", {})
        with pytest.raises(NodeLoading):
            svc.fetch("media", "1690", "id", {})
        svc.wait_idle(10)
        with pytest.raises(NodeNotFound):
            svc.fetch("media", "1690", "id", {})
    finally:
        svc.close()
