"""Loads as jobs (graphfields.instagram.jobs, .worker): the queue of every backend, strict
single-flight across processes, leases and a killed worker, the per-client bound, and a
slow load watched step by step."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import new_postgres_database
from loadproc import user_result

from graphfields.instagram.freshness import Freshness, stored
from graphfields.instagram.jobs import Enqueued, JobQueue, MemoryJobs
from graphfields.instagram.service import InstagramService, NodeLoading
from graphfields.instagram.store import Store, open_store
from graphfields.instagram.worker import Worker, steps, trim
from graphfields.schema import ConnectionArgs

HERE = Path(__file__).parent
QUEUES = ["memory", "sqlite", "postgres"]


def _db(kind: str, request: pytest.FixtureRequest, folder: Path) -> str:
    if kind == "sqlite":
        return str(folder / "jobs.sqlite3")
    return new_postgres_database(request.getfixturevalue("postgres_server"))


@pytest.fixture(params=QUEUES)
def queue(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[JobQueue]:
    if request.param == "memory":
        yield MemoryJobs()
        return
    store = open_store(_db(request.param, request, tmp_path))
    assert isinstance(store, JobQueue)
    yield store
    store.close()


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return _db(request.param, request, tmp_path)


# -- the queue ----------------------------------------------------------------------------


def test_one_job_per_node_and_claims_in_order(queue: JobQueue) -> None:
    assert queue.enqueue("user", "a", client="t", now=10, limit=None) is Enqueued.ADDED
    assert queue.enqueue("user", "a", client="u", now=11, limit=None) is Enqueued.PENDING
    assert queue.enqueue("tag", "a", client=None, now=12, limit=None) is Enqueued.ADDED
    assert queue.enqueue("user", "b", client="t", now=9, limit=None) is Enqueued.ADDED
    assert queue.job_count() == 3
    assert queue.pending("user", ["a", "b", "c", "a"]) == {"a", "b"}
    assert queue.pending("tag", ["a", "b"]) == {"a"} and queue.pending("media", []) == set()
    first = queue.claim(now=20, lease=5)
    second = queue.claim(now=20, lease=5)
    third = queue.claim(now=20, lease=5)
    assert first is not None and second is not None and third is not None
    assert [(j.kind, j.key) for j in (first, second, third)] == [
        ("user", "b"), ("user", "a"), ("tag", "a")]  # oldest first
    assert queue.claim(now=21, lease=5) is None  # all held
    assert queue.pending("user", ["a"]) == {"a"}  # running still counts as being updated
    queue.finish(first)
    assert queue.pending("user", ["b"]) == set() and queue.job_count() == 2


def test_a_lapsed_lease_is_taken_again_and_the_old_claim_is_void(queue: JobQueue) -> None:
    queue.enqueue("user", "a", client=None, now=0, limit=None)
    job = queue.claim(now=10, lease=5)
    assert job is not None and job.attempts == 1
    assert queue.renew(job, now=14, lease=5)  # held until 19
    assert queue.claim(now=18, lease=5) is None
    again = queue.claim(now=20, lease=5)
    assert again is not None and (again.key, again.attempts) == ("a", 2)
    assert again.claim != job.claim
    assert not queue.renew(job, now=21, lease=5)  # the first worker lost it
    queue.finish(job)  # and cannot remove it
    assert queue.job_count() == 1
    queue.finish(again)
    assert queue.job_count() == 0


def test_each_client_has_a_bounded_share(queue: JobQueue) -> None:
    for i in range(3):
        assert queue.enqueue("user", f"x{i}", client="flood", now=i, limit=3) is Enqueued.ADDED
    assert queue.enqueue("user", "x3", client="flood", now=3, limit=3) is Enqueued.FULL
    assert queue.enqueue("user", "x0", client="flood", now=3, limit=3) is Enqueued.PENDING
    assert queue.enqueue("user", "legit", client="other", now=4, limit=3) is Enqueued.ADDED
    assert queue.pending("user", ["x3", "legit"]) == {"legit"}
    job = queue.claim(now=5, lease=10)
    assert job is not None
    queue.finish(job)  # a finished job frees a place
    assert queue.enqueue("user", "x3", client="flood", now=6, limit=3) is Enqueued.ADDED


# -- the service: bound per client, steps ---------------------------------------------


class _Gated:
    """A loader that returns ``user_result(name, posts)`` once ``gate`` is set."""

    def __init__(self, posts: int = 0) -> None:
        self.gate = threading.Event()
        self.posts = posts
        self.calls: list[str] = []

    def load_user(self, username: str, *, max_media: int) -> Any:
        self.calls.append(username)
        self.gate.wait(30)
        return user_result(username, self.posts)

    def load_media(self, media_id: str, *, max_comments: int) -> Any:
        return None

    def load_tag(self, name: str, *, max_media: int) -> Any:
        return None


def test_a_flood_from_one_client_does_not_starve_another(db: str) -> None:
    loader = _Gated()
    service = InstagramService(open_store(db), loader=loader, workers=1,
                               freshness=Freshness(max_client_jobs=5))
    try:
        for i in range(30):
            with pytest.raises(NodeLoading):
                service.fetch("user", f"unknown{i}", "id", {}, client="flood")
        assert service.jobs.job_count() == 5  # the first is running, four wait
        with pytest.raises(NodeLoading):
            service.fetch("user", "legit", "id", {}, client="alice")
        assert service.is_updating("user", "legit")
        assert not service.is_updating("user", "unknown29")
        loader.gate.set()
        assert service.wait_idle(20)
        assert service.fetch("user", "legit", "username", {}, client="alice") == {
            "username": "legit"}
        assert sorted(loader.calls) == sorted(["legit", *(f"unknown{i}" for i in range(5))])
    finally:
        loader.gate.set()
        service.close()


def _gated_writes(store: Store) -> tuple[threading.Semaphore, threading.Semaphore]:
    """Each write of ``store`` waits for ``gate``; ``written`` is released after it."""
    gate, written = threading.Semaphore(0), threading.Semaphore(0)
    real = store.write

    def write(batch: Any) -> None:
        assert gate.acquire(timeout=30)
        real(batch)
        written.release()

    store.write = write  # type: ignore[method-assign]
    return gate, written


def test_a_slow_load_is_served_step_by_step(db: str) -> None:
    store = open_store(db)
    gate, written = _gated_writes(store)
    loader = _Gated(posts=45)
    loader.gate.set()
    service = InstagramService(store, loader=loader, workers=1,
                               freshness=Freshness(load_step=20))
    fields = "username,is_being_updated,media.first(100){edges{node{id}}}"
    try:
        with pytest.raises(NodeLoading):  # nothing written yet
            service.fetch("user", "slow", fields, {})
        seen = []
        for _ in range(4):  # the profile, then posts 1-20, 21-40, 41-45
            gate.release()
            assert written.acquire(timeout=30)
            data = service.fetch("user", "slow", fields, {})
            seen.append((len(data["media"]["edges"]), data["is_being_updated"]))
        assert seen[:3] == [(0, True), (20, True), (40, True)]
        assert seen[3][0] == 45
        assert service.wait_idle(10)
        assert service.fetch("user", "slow", "is_being_updated", {}) == {
            "is_being_updated": False}
        assert loader.calls == ["slow"]
    finally:
        for _ in range(10):
            gate.release()
        service.close()


def test_steps_cover_the_batch_once_in_a_consistent_order() -> None:
    from graphfields.instagram.dataset import parse_dataset

    result = user_result("alice", 7)
    batch, root = trim("user", "alice", result, Freshness(), 1_560_000_000)
    parts = steps("user", root, batch, 3)
    # the profile first (partial until the end), then the posts; the last step has it whole
    assert [(len(p.users), len(p.media)) for p in parts] == [(1, 0), (0, 3), (0, 3), (1, 1)]
    assert [m["id"] for p in parts for m in p.media] == [m["id"] for m in sorted(
        batch.media, key=lambda m: (m["timestamp"], m["id"]), reverse=True)]
    assert all(p.partial == batch.partial | {("user", root)} for p in parts[:-1])
    assert parts[-1].partial == batch.partial and parts[-1].users[0]["id"] == root
    tag = parse_dataset({"users": [{"id": "1", "username": "u"}],
                         "media": [{"id": m["id"], "owner_id": "1", "timestamp": m["timestamp"]}
                                   for m in result["media"]],
                         "tags": [{"id": "t", "media_ids": [m["id"] for m in result["media"]]}]},
                        now=1)
    parts = steps("tag", "t", tag, 4)
    feeds = [p.tags[0].get("media_ids") for p in parts]
    assert feeds[0] is None  # the tag first, its stored feed untouched
    assert [len(f or []) for f in feeds[1:]] == [4, 7, 7]  # the feed grows with its posts
    assert [("tag", "t") in p.partial for p in parts] == [True, True, True, False]


def test_a_load_leaves_the_nodes_around_it_due(db: str) -> None:
    """Only the node asked for is a full load: the posts, users and tags its result also
    holds are written partial, so each stays due for a load of its own (a tag was written
    complete, and looked fresh for a TTL)."""
    result = user_result("alice", 3)
    result["tags"] = [{"id": "elsewhere", "media_ids": [result["media"][0]["id"]]}]
    now = time.time()
    batch, root = trim("user", "alice", result, Freshness(), now)
    assert ("tag", "elsewhere") in batch.partial and ("user", root) not in batch.partial
    store = open_store(db)
    try:
        for step in steps("user", root, batch, 20):
            store.write(step)
        fresh = Freshness()
        user, tag = stored(store, "user", "alice"), stored(store, "tag", "elsewhere")
        assert user is not None and not fresh.stale("user", user, now)
        assert tag is not None and fresh.stale("tag", tag, now)
    finally:
        store.close()


def _tag_result(tag: str, owner: str, n_posts: int) -> dict[str, Any]:
    result = user_result(owner, n_posts)
    result["tags"] = [{"id": tag, "media_ids": [m["id"] for m in result["media"]]}]
    return result


def test_a_load_keeps_the_feeds_of_other_tags(db: str) -> None:
    """A tag another load's result mentions keeps its stored feed: the result's media_ids
    for it are only the posts of that load (they replaced the feed before)."""
    store = open_store(db)
    try:
        first = _tag_result("juice", "bob", 6)
        batch, root = trim("tag", "juice", first, Freshness(), time.time())
        for step in steps("tag", root, batch, 20):
            store.write(step)
        every = ConnectionArgs(first=50)
        feed = [m["id"] for m in store.tag_media_page("juice", every).nodes]
        assert len(feed) == 6
        result = user_result("alice", 3)
        result["tags"] = [{"id": "juice", "media_ids": [result["media"][0]["id"]]}]
        batch, root = trim("user", "alice", result, Freshness(), time.time())
        for step in steps("user", root, batch, 20):
            store.write(step)
        assert [m["id"] for m in store.tag_media_page("juice", every).nodes] == feed
        again = _tag_result("juice", "carol", 2)
        batch, root = trim("tag", "juice", again, Freshness(), time.time())
        for step in steps("tag", root, batch, 20):
            store.write(step)  # the tag's own load replaces it
        assert len(store.tag_media_page("juice", every).nodes) == 2
    finally:
        store.close()


@pytest.mark.parametrize("background", [True, False])
def test_with_background_enqueue_a_request_never_writes(tmp_path: Path,
                                                         background: bool) -> None:
    """``serve`` on SQLite answers on the event loop: a request there must not wait for a
    write lock another process holds. With ``background_enqueue`` the job row is written
    by the service's thread, once the lock is free; without it the request itself waits
    (here for a 0.2 s busy timeout, then fails)."""
    import sqlite3

    from graphfields.instagram.sqlite_store import SQLiteStore

    path = tmp_path / "busy.sqlite3"
    store = SQLiteStore(path, timeout=0.2)
    loader = _Gated(posts=3)
    loader.gate.set()
    service = InstagramService(store, loader=loader, workers=1, background_enqueue=background)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process's write transaction
        if not background:
            with pytest.raises(Exception, match="locked"):
                service.fetch("user", "newcomer", "id", {})
            return
        for _ in range(20):  # answered at once, every time, while the lock is held
            with pytest.raises(NodeLoading):
                service.fetch("user", "newcomer", "id", {}, client="c")
        other.execute("COMMIT")
        assert service.wait_idle(20)
        assert service.fetch("user", "newcomer", "username", {}) == {"username": "newcomer"}
        assert loader.calls == ["newcomer"]  # one load for the twenty requests
    finally:
        if other.in_transaction:
            other.execute("ROLLBACK")
        other.close()
        service.close()


@pytest.mark.parametrize("kind", ["user", "tag", "media"])
def test_a_load_that_stops_midway_leaves_the_node_due(db: str, kind: str) -> None:
    """A failed later step (or a killed worker) used to leave the node complete and fresh
    after its first step, with only some of its posts, until its TTL: it stays partial
    until the last step, so the next request queues it again and that load completes it."""
    store = open_store(db)
    real = store.write
    writes = []

    fail_at = 2 if kind == "media" else 3  # a post is two steps: itself, its comments

    def failing(batch: Any) -> None:
        writes.append(batch)
        if len(writes) == fail_at:
            raise OSError("disk full")
        real(batch)

    store.write = failing  # type: ignore[method-assign]
    loader = _Steps()
    service = InstagramService(store, loader=loader, workers=0,
                               freshness=Freshness(load_step=20))
    worker = Worker(store, service.jobs, loader, freshness=Freshness(load_step=20))
    node = {"user": "slow", "tag": "slowtag", "media": loader.media_id}[kind]
    fields = {"user": "username,media.first(100){edges{node{id}}}",
              "tag": "id,media.first(100){edges{node{id}}}",
              "media": "id,comments.first(100){edges{node{id}}}"}
    try:
        with pytest.raises(NodeLoading):
            service.fetch(kind, node, fields[kind], {})
        assert worker.run_once()  # the steps before fail_at written, that one fails
        assert len(writes) == fail_at and service.jobs.job_count() == 0
        row = stored(store, kind, node.lower())
        assert row is not None and Freshness().stale(kind, row, time.time())  # still due
        service.fetch(kind, node, fields[kind], {})  # answered from what was written ...
        assert service.jobs.job_count() == 1  # ... and queued again
        assert worker.run_once()
        row = stored(store, kind, node.lower())
        assert row is not None and not Freshness().stale(kind, row, time.time())
        data = service.fetch(kind, node, fields[kind], {})
        got = data["comments"] if kind == "media" else data["media"]
        assert len(got["edges"]) == 45
    finally:
        service.close()


class _Steps:
    """A loader whose nodes take several steps: a user or a tag of 45 posts, a post of 45
    comments."""

    media_id = "2000000000000000001"

    def load_user(self, username: str, *, max_media: int) -> Any:
        return user_result(username, 45)

    def load_tag(self, name: str, *, max_media: int) -> Any:
        result = user_result("tagger", 45)
        result["tags"] = [{"id": name, "media_ids": [m["id"] for m in result["media"]]}]
        return result

    def load_media(self, media_id: str, *, max_comments: int) -> Any:
        return {"users": [{"id": "1", "username": "poster"}],
                "media": [{"id": media_id, "owner_id": "1", "timestamp": 1_560_000_000}],
                "comments": [{"id": f"c{i}", "parent_id": media_id, "owner_id": "1",
                              "timestamp": 1_560_000_000 + i, "text": str(i)}
                             for i in range(45)]}


# -- several processes ----------------------------------------------------------------


def _run(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, str(HERE / "loadproc.py"), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


@pytest.mark.slow
def test_exactly_one_load_per_node_across_processes(db: str, tmp_path: Path) -> None:
    open_store(db).close()  # the tables, once
    calls = tmp_path / "calls.txt"
    names = [f"new{i}" for i in range(12)]
    procs = [_run("ask", db, str(calls), *names) for _ in range(4)]
    for p in procs:
        out, _ = p.communicate(timeout=120)
        assert p.returncode == 0, out.decode()
    lines = calls.read_text().splitlines()
    assert sorted(lines) == sorted(f"user {n}" for n in names)


@pytest.mark.slow
def test_a_killed_worker_leaves_no_half_load_and_its_job_is_retaken(
        db: str, tmp_path: Path) -> None:
    store = open_store(db)
    assert isinstance(store, JobQueue)
    try:
        store.enqueue("user", "victim", client=None, now=time.time(), limit=None)
        marker = tmp_path / "entered"
        proc = _run("hang", db, str(marker))
        deadline = time.monotonic() + 30
        while not marker.exists():
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        assert store.get_user("victim") is None and store.job_count() == 1
        loader = _Gated(posts=2)
        loader.gate.set()
        worker = Worker(store, store, loader, freshness=Freshness(load_lease=1.0))
        _until(lambda: worker.run_once(), 10)  # once the dead worker's lease has lapsed
        row = store.get_user("victim")
        assert row is not None and row["full_name"] == "Victim"
        assert store.job_count() == 0 and loader.calls == ["victim"]
    finally:
        store.close()


def _until(check: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
