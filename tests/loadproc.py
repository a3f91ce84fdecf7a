"""Processes for the job-table tests (tests/test_jobs.py), run as ``python tests/loadproc.py``.

``ask DB CALLS NAME...``: a server-like process - an InstagramService with two worker
threads and a slow loader over DB - asks for every NAME until each answers 200, then
exits; every load the loader runs is appended to the file CALLS (one line, written in
one ``O_APPEND`` write). Its store's reads are slowed, which widens the window the old
in-memory registry lost (read "no row", a load finishes, load again).

``hang DB MARKER``: a load worker (lease 1 s) whose loader writes MARKER and then hangs:
the test kills it with SIGKILL mid-load.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from graphfields.instagram.freshness import Freshness
from graphfields.instagram.service import InstagramService, NodeLoading
from graphfields.instagram.store import open_store
from graphfields.instagram.worker import Worker


def user_result(username: str, n_posts: int = 0, t0: int = 1_560_000_000) -> dict[str, Any]:
    """A loader's result for a user with ``n_posts`` posts (IDs derived from the name)."""
    from graphfields.instagram.shortcode import make_media_id

    uid = str(sum(ord(c) * 31**i for i, c in enumerate(username)) % 10**12 + 1)
    media = [{"id": str(make_media_id(t0 - 600 * (i + 1), shard=int(uid) % 1000 * 100 + i)),
              "owner_id": uid, "timestamp": t0 - 600 * (i + 1)} for i in range(n_posts)]
    return {"users": [{"id": uid, "username": username, "full_name": username.title()}],
            "media": media}


class LoggingLoader:
    """Sleeps ``delay`` and appends ``kind key`` to ``calls`` for every load."""

    def __init__(self, calls: str, delay: float) -> None:
        self.calls, self.delay = calls, delay

    def _log(self, kind: str, key: str) -> None:
        fd = os.open(self.calls, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            os.write(fd, f"{kind} {key}\n".encode())
        finally:
            os.close(fd)
        time.sleep(self.delay)

    def load_user(self, username: str, *, max_media: int) -> Any:
        self._log("user", username)
        return user_result(username, 3)

    def load_media(self, media_id: str, *, max_comments: int) -> Any:
        self._log("media", media_id)
        return None

    def load_tag(self, name: str, *, max_media: int) -> Any:
        self._log("tag", name)
        return None


class _SlowReads:
    """A store whose single-node reads take 20 ms longer (everything else passes through)."""

    def __init__(self, store: Any) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def get_user(self, username: str, *, columns: Any = None) -> Any:
        row = self._store.get_user(username, columns=columns)
        time.sleep(0.02)
        return row


def ask(db: str, calls: str, names: list[str]) -> None:
    store = open_store(db)
    service = InstagramService(_SlowReads(store), loader=LoggingLoader(calls, 0.05),
                               workers=2, jobs=store)  # type: ignore[arg-type]
    try:
        left = set(names)
        deadline = time.monotonic() + 60
        while left and time.monotonic() < deadline:
            for name in sorted(left):
                try:
                    service.fetch("user", name, "id", {})
                    left.discard(name)
                except NodeLoading:
                    pass
            time.sleep(0.01)  # ask again soon, without spinning
        if left:
            sys.exit(f"never loaded: {sorted(left)}")
    finally:
        service.close()


class _Hanging:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def load_user(self, username: str, *, max_media: int) -> Any:
        Path(self.marker).write_text(username)
        time.sleep(600)

    load_media = load_tag = load_user


def hang(db: str, marker: str) -> None:
    store = open_store(db)
    worker = Worker(store, store, _Hanging(marker),  # type: ignore[arg-type]
                    freshness=Freshness(load_lease=1.0))
    while not worker.run_once():
        time.sleep(0.02)


if __name__ == "__main__":
    mode, *rest = sys.argv[1:]
    if mode == "ask":
        ask(rest[0], rest[1], rest[2:])
    else:
        hang(rest[0], rest[1])
